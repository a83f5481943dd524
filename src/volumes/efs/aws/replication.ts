import {
  CreateReplicationConfigurationCommand,
  DeleteReplicationConfigurationCommand,
  DescribeFileSystemsCommand,
  DescribeReplicationConfigurationsCommand,
  type DescribeReplicationConfigurationsCommandOutput,
  type Destination,
  type EFSClient,
  type ReplicationStatus,
} from '@aws-sdk/client-efs';
import { awsErrorCode, awsErrorMessage, isEmulatorMissingApi, isUnreachable } from '../../../aws/errors';
import { EfsReplicationError } from '../errors';

/** EFS's answer when a file system is in no replication configuration. */
const REPLICATION_NOT_FOUND = 'ReplicationNotFound';

/** The replica of a file system in one region, as its replication configuration describes it. */
export interface ReplicaState {
  readonly sourceFileSystemId: string;
  /** Absent while EFS is still creating the destination file system. */
  readonly destinationFileSystemId?: string;
  readonly region: string;
  readonly status: ReplicationStatus | 'UNKNOWN';
  readonly statusMessage?: string;
  /** Everything written to the source before this time is in the replica (the data RPO). */
  readonly lastReplicatedAt?: Date;
  /** Account that owns the destination; absent for same-account replication. */
  readonly ownerId?: string;
}

/** What a file system's replication configuration says about a region. */
export type ReplicationLookup =
  /** The file system is in no replication configuration. */
  | { readonly kind: 'none' }
  /** It replicates to `region`. */
  | { readonly kind: 'replicated'; readonly replica: ReplicaState }
  /** It replicates, but not to `region` (EFS allows one destination per file system). */
  | { readonly kind: 'elsewhere'; readonly regions: string[] }
  /** It is itself a replica of `sourceFileSystemId` (a destination is read-only until failed over). */
  | { readonly kind: 'destination'; readonly sourceFileSystemId: string; readonly sourceRegion?: string };

function replicaOf(sourceFileSystemId: string, destination: Destination): ReplicaState {
  return {
    sourceFileSystemId,
    region: destination.Region ?? '',
    status: destination.Status ?? 'UNKNOWN',
    ...(destination.FileSystemId ? { destinationFileSystemId: destination.FileSystemId } : {}),
    ...(destination.StatusMessage ? { statusMessage: destination.StatusMessage } : {}),
    ...(destination.LastReplicatedTimestamp ? { lastReplicatedAt: destination.LastReplicatedTimestamp } : {}),
    ...(destination.OwnerId ? { ownerId: destination.OwnerId } : {}),
  };
}

type ReplicationConfiguration = NonNullable<
  DescribeReplicationConfigurationsCommandOutput['Replications']
>[number];

/** The replication configurations `fileSystemId` is in, as source or destination (none: empty). */
async function replicationConfigurations(
  efs: EFSClient,
  fileSystemId: string,
): Promise<ReplicationConfiguration[]> {
  try {
    const res = await efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: fileSystemId }));
    return res.Replications ?? [];
  } catch (error) {
    if (awsErrorCode(error) === REPLICATION_NOT_FOUND) return [];
    throw error;
  }
}

/**
 * Where `fileSystemId` (in the client's region) replicates to, as seen from `region`: one
 * DescribeReplicationConfigurations call. Other errors (including the emulator's missing
 * API, see `isEmulatorMissingApi`) propagate.
 */
export async function describeReplication(
  efs: EFSClient,
  fileSystemId: string,
  region: string,
): Promise<ReplicationLookup> {
  const configs = await replicationConfigurations(efs, fileSystemId);
  if (configs.length === 0) return { kind: 'none' };
  const asSource = configs.filter((c) => c.SourceFileSystemId === fileSystemId);
  if (asSource.length === 0) {
    const first = configs[0];
    return {
      kind: 'destination',
      sourceFileSystemId: first?.SourceFileSystemId ?? '',
      ...(first?.SourceFileSystemRegion ? { sourceRegion: first.SourceFileSystemRegion } : {}),
    };
  }
  const destinations = asSource.flatMap((c) => c.Destinations ?? []);
  const match = destinations.find((d) => d.Region === region);
  if (match) return { kind: 'replicated', replica: replicaOf(fileSystemId, match) };
  return { kind: 'elsewhere', regions: destinations.map((d) => d.Region ?? 'unknown').sort() };
}

/** Options of a replication Lifeboat creates. */
export interface CreateReplicationOptions {
  /** KMS key for the replica in the destination region. @default - the EFS service key (aws/elasticfilesystem) */
  readonly kmsKeyId?: string;
}

/**
 * Creates the replication configuration `fileSystemId` → a new file system in `region`
 * (CreateReplicationConfiguration). EFS creates the destination file system and starts the
 * initial sync, which takes a while: the replica has no `lastReplicatedAt` until it ends.
 */
export async function createReplication(
  efs: EFSClient,
  fileSystemId: string,
  region: string,
  opts: CreateReplicationOptions = {},
): Promise<ReplicaState> {
  const res = await efs.send(
    new CreateReplicationConfigurationCommand({
      SourceFileSystemId: fileSystemId,
      Destinations: [{ Region: region, ...(opts.kmsKeyId ? { KmsKeyId: opts.kmsKeyId } : {}) }],
    }),
  );
  const destination = (res.Destinations ?? []).find((d) => d.Region === region);
  if (!destination) {
    throw new EfsReplicationError(
      'UnexpectedResponse',
      fileSystemId,
      `CreateReplicationConfiguration for ${fileSystemId} answered without a destination in ${region}; check the file system's replication in the EFS console.`,
    );
  }
  return replicaOf(fileSystemId, destination);
}

/** How the fail-over of one replica ended. */
export type FailoverOutcome =
  /** The replication configuration was deleted from both regions; the replica becomes writable. */
  | 'deleted'
  /** The source region did not answer: deleted on the DR side only (LOCAL_CONFIGURATION_ONLY). */
  | 'deleted-locally'
  /** No replication configuration: already failed over (a re-run), or never a replica. */
  | 'not-replicating'
  /** Local emulator only: it has no replication APIs, so there is nothing to delete. */
  | 'emulator-no-replication';

export interface FailoverOptions {
  /** The client talks to the local emulator (an endpoint override is set). @default false */
  readonly emulated?: boolean;
  /**
   * Called with the error of the delete in both regions when it is an outage (`isUnreachable`),
   * just before the DR-side-only delete, so the caller can log why it falls back.
   * @default - nothing is called
   */
  readonly onSourceUnreachable?: (error: unknown) => void;
}

/**
 * Fails over the replica `drFileSystemId` (client in the DR region): deletes the replication
 * configuration it is the destination of, so it becomes writable (EFS takes a few minutes to
 * switch). Idempotent: a file system that is no destination is already failed over (or was
 * never a replica), and is left alone.
 *
 * The delete first goes to both regions (EFS's default, ALL_CONFIGURATIONS), which keeps the
 * primary's side consistent. Only when that delete got no answer from the source region (a
 * network error, timeout or 5xx after the SDK's retries: `isUnreachable`) is it repeated on the
 * DR side only (`DeletionMode: LOCAL_CONFIGURATION_ONLY`), which EFS provides for a region that
 * is down and which leaves the primary's configuration unrecoverable. Any other answer (access
 * denied, a validation error, throttling that outlived the retries) comes from a primary that is
 * up: it is thrown as an EfsReplicationError, never worked around on the DR side.
 */
export async function failOverReplica(
  efs: EFSClient,
  drFileSystemId: string,
  opts: FailoverOptions = {},
): Promise<FailoverOutcome> {
  let configs: ReplicationConfiguration[];
  try {
    configs = await replicationConfigurations(efs, drFileSystemId);
  } catch (error) {
    if (isEmulatorMissingApi(error, opts.emulated ?? false)) return 'emulator-no-replication';
    throw error;
  }
  // Only a destination is read-only; a file system that is itself a source is writable already.
  if (!configs.some((c) => c.SourceFileSystemId !== drFileSystemId)) return 'not-replicating';
  try {
    await efs.send(new DeleteReplicationConfigurationCommand({ SourceFileSystemId: drFileSystemId }));
    return 'deleted';
  } catch (error) {
    if (awsErrorCode(error) === REPLICATION_NOT_FOUND) return 'not-replicating';
    if (!isUnreachable(error)) {
      throw new EfsReplicationError(
        awsErrorCode(error),
        drFileSystemId,
        `Could not delete the replication configuration of the replica ${drFileSystemId} (${awsErrorCode(error)}: ${awsErrorMessage(error)}); the source region answered, so it was not deleted on the DR side only. ` +
          `Check that the restore role may call elasticfilesystem:DeleteReplicationConfiguration on ${drFileSystemId}, then run the restore again.`,
        { cause: error },
      );
    }
    opts.onSourceUnreachable?.(error);
    try {
      await efs.send(
        new DeleteReplicationConfigurationCommand({
          SourceFileSystemId: drFileSystemId,
          DeletionMode: 'LOCAL_CONFIGURATION_ONLY',
        }),
      );
      return 'deleted-locally';
    } catch (local) {
      if (awsErrorCode(local) === REPLICATION_NOT_FOUND) return 'not-replicating';
      throw new EfsReplicationError(
        awsErrorCode(local),
        drFileSystemId,
        `Could not delete the replication configuration of the replica ${drFileSystemId} (the source region did not answer: ${awsErrorCode(error)}: ${awsErrorMessage(error)}; on the DR side only: ${awsErrorCode(local)}: ${awsErrorMessage(local)}). ` +
          `Check that the restore role may call elasticfilesystem:DeleteReplicationConfiguration on ${drFileSystemId}, or delete it in the EFS console of the DR region, then run the restore again.`,
        { cause: local },
      );
    }
  }
}

/** Whether the source region's EFS answered a probe. */
export type SourceProbe = 'answers' | 'unreachable';

/**
 * A cheap reachability probe of the source region: DescribeFileSystems on `sourceFileSystemId`
 * (client in the source region), abandoned after `timeoutMs` (also while the SDK backs off
 * between retries). Any answer, an error included (access denied, file system not found), means
 * the region is up; no answer in time, or an outage (`isUnreachable`), means it is not.
 */
export async function probeSource(
  efs: EFSClient,
  sourceFileSystemId: string,
  timeoutMs: number,
): Promise<SourceProbe> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<SourceProbe>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve('unreachable');
    }, timeoutMs);
  });
  const call = efs
    .send(new DescribeFileSystemsCommand({ FileSystemId: sourceFileSystemId }), { abortSignal: abort.signal })
    .then(
      (): SourceProbe => 'answers',
      (error: unknown): SourceProbe =>
        awsErrorCode(error) === 'AbortError' || isUnreachable(error) ? 'unreachable' : 'answers',
    );
  try {
    return await Promise.race([call, deadline]);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
