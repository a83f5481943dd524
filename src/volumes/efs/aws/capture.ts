import {
  type AccessPointDescription,
  CreateFileSystemCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemsCommand,
  type EFSClient,
  type FileSystemDescription,
} from '@aws-sdk/client-efs';
import type { AwsClients } from '../../../aws/clients';
import { awsErrorCode, awsErrorMessage, isEmulatorMissingApi } from '../../../aws/errors';
import type {
  EfsFileSystemRecord,
  ResourceError,
  Tag,
  TaskDefinitionRecord,
} from '../../../catalog/manifest';
import { SOURCE_ID_TAG } from '../../../fleet/inventory';
import { isRecord } from '../../../fleet/retarget/refs';
import { mapConcurrent } from '../../../kernel/concurrency';
import { createReplication, describeReplication, type ReplicaState } from './replication';

/** File systems looked at in parallel (each takes 1 + access points + 1–2 calls). */
const EFS_CONCURRENCY = 4;

/** Suffix of the creation token of the stand-in replica the emulator fallback creates. */
export const EMULATOR_REPLICA_TOKEN_SUFFIX = '-dr';

export interface CaptureEfsOptions {
  readonly primaryRegion: string;
  readonly drRegion: string;
  /** The account the restore runs in: a replica owned by another account is not used. */
  readonly account: string;
  /** The captured task definitions; their `efsVolumeConfiguration`s name what to record. */
  readonly taskDefinitions: readonly TaskDefinitionRecord[];
  /**
   * Create the replication configuration to the DR region for a file system that has none
   * (config `volumes.efs.createReplication`). Without it such a file system is an error.
   */
  readonly allowCreateReplication: boolean;
  /**
   * Source → DR file system ids the operator maps explicitly (config `mappings.efsFileSystems`):
   * those are not replicas, so their replication is neither checked nor created.
   * @default - none
   */
  readonly mappings?: Readonly<Record<string, string>>;
  /**
   * LOCAL RUNS ONLY. When the emulator answers the replication API with "not implemented",
   * create (or reuse) a DR file system with the source's creation token + "-dr" and record it
   * as the replica, with a warning. Has no effect without an endpoint override.
   * @default false
   */
  readonly emulatorFallback?: boolean;
  readonly now: () => Date;
}

/** Something recorded as well as it can be that the restore may need to know (not an error). */
export interface EfsCaptureWarning {
  readonly resourceType: 'fileSystem';
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export interface CaptureEfsResult {
  /** One per referenced file system, sorted by id (also those with errors, without `drFileSystemId`). */
  readonly records: EfsFileSystemRecord[];
  /** `fileSystem` errors: each makes the recovery point partial. */
  readonly errors: ResourceError[];
  readonly warnings: EfsCaptureWarning[];
}

/** The file systems and access points the task definitions mount, by file system id. */
export function referencedFileSystems(
  taskDefinitions: readonly TaskDefinitionRecord[],
): Map<string, Set<string>> {
  const refs = new Map<string, Set<string>>();
  for (const td of taskDefinitions) {
    const volumes = td.registerInput.volumes;
    if (!Array.isArray(volumes)) continue;
    for (const volume of volumes) {
      const efs = isRecord(volume) ? volume.efsVolumeConfiguration : undefined;
      if (!isRecord(efs) || typeof efs.fileSystemId !== 'string' || efs.fileSystemId === '') continue;
      const points = refs.get(efs.fileSystemId) ?? new Set<string>();
      const auth = efs.authorizationConfig;
      if (isRecord(auth) && typeof auth.accessPointId === 'string' && auth.accessPointId !== '')
        points.add(auth.accessPointId);
      refs.set(efs.fileSystemId, points);
    }
  }
  return refs;
}

interface FileSystemStep {
  readonly clients: AwsClients;
  readonly opts: CaptureEfsOptions;
  readonly emulated: boolean;
  readonly errors: ResourceError[];
  readonly warnings: EfsCaptureWarning[];
}

/**
 * Records the EFS file systems the captured task definitions mount: their access points
 * (DescribeAccessPoints by id: root directory with creation info, POSIX user, tags) and the
 * replica in the DR region (DescribeReplicationConfigurations: destination file system id and
 * `lastSyncAt` = its LastReplicatedTimestamp, the data RPO). A file system without replication
 * to the DR region gets it created when `allowCreateReplication` is set, and is otherwise an
 * error whose message says how to fix it; its record then has no `drFileSystemId`, so the
 * restore plan blocks the services that mount it (unless `mappings.efsFileSystems` names a DR
 * file system). One failing file system or access point never stops the others.
 */
export async function captureEfs(clients: AwsClients, opts: CaptureEfsOptions): Promise<CaptureEfsResult> {
  const step: FileSystemStep = {
    clients,
    opts,
    emulated: clients.target.endpoint !== undefined,
    errors: [],
    warnings: [],
  };
  const refs = [...referencedFileSystems(opts.taskDefinitions).entries()].sort(([a], [b]) => compare(a, b));
  const records = await mapConcurrent(refs, EFS_CONCURRENCY, ([fileSystemId, accessPointIds]) =>
    captureFileSystem(step, fileSystemId, [...accessPointIds].sort()),
  );
  return {
    records: records.filter((r): r is EfsFileSystemRecord => r !== undefined),
    errors: step.errors.sort((a, b) => compare(a.resourceId, b.resourceId)),
    warnings: step.warnings,
  };
}

function fail(step: FileSystemStep, resourceId: string, code: string, message: string): void {
  step.errors.push({
    resourceType: 'fileSystem',
    resourceId,
    code,
    message,
    at: step.opts.now().toISOString(),
  });
}

function warn(step: FileSystemStep, resourceId: string, code: string, message: string): void {
  step.warnings.push({ resourceType: 'fileSystem', resourceId, code, message });
}

async function captureFileSystem(
  step: FileSystemStep,
  fileSystemId: string,
  accessPointIds: readonly string[],
): Promise<EfsFileSystemRecord | undefined> {
  const efs = step.clients.efs(step.opts.primaryRegion);
  const accessPoints: EfsFileSystemRecord['accessPoints'] = [];
  for (const accessPointId of accessPointIds) {
    const record = await captureAccessPoint(step, efs, fileSystemId, accessPointId);
    if (record) accessPoints.push(record);
  }
  const mapped = step.opts.mappings?.[fileSystemId];
  if (mapped !== undefined) return { sourceFileSystemId: fileSystemId, drFileSystemId: mapped, accessPoints };
  const replica = await replicaFor(step, efs, fileSystemId);
  if (replica === 'gone') return undefined;
  return {
    sourceFileSystemId: fileSystemId,
    ...(replica?.destinationFileSystemId ? { drFileSystemId: replica.destinationFileSystemId } : {}),
    ...(replica?.lastReplicatedAt ? { lastSyncAt: replica.lastReplicatedAt.toISOString() } : {}),
    accessPoints,
  };
}

async function captureAccessPoint(
  step: FileSystemStep,
  efs: EFSClient,
  fileSystemId: string,
  accessPointId: string,
): Promise<EfsFileSystemRecord['accessPoints'][number] | undefined> {
  let point: AccessPointDescription | undefined;
  try {
    point = (await efs.send(new DescribeAccessPointsCommand({ AccessPointId: accessPointId })))
      .AccessPoints?.[0];
  } catch (error) {
    fail(
      step,
      accessPointId,
      awsErrorCode(error),
      `Could not describe EFS access point ${accessPointId} of ${fileSystemId}: ${awsErrorMessage(error)}. ` +
        'If it was deleted, point the task definition at an existing access point and run a backup.',
    );
    return undefined;
  }
  if (!point || point.FileSystemId !== fileSystemId) {
    fail(
      step,
      accessPointId,
      'AccessPointFileSystemMismatch',
      `EFS access point ${accessPointId} belongs to ${point?.FileSystemId ?? 'no file system'}, but the task definition mounts it from ${fileSystemId}; ECS cannot start such a task. Fix the volume's fileSystemId or accessPointId.`,
    );
    return undefined;
  }
  return {
    sourceAccessPointId: accessPointId,
    ...(point.RootDirectory ? { rootDirectory: { ...point.RootDirectory } } : {}),
    ...(point.PosixUser ? { posixUser: { ...point.PosixUser } } : {}),
    tags: restorableEfsTags(point.Tags),
  };
}

/**
 * The DR replica of the file system: found, created (when allowed) or, on the emulator with
 * `emulatorFallback`, a stand-in. Undefined when there is none (an error was recorded);
 * 'gone' when the file system itself no longer exists.
 */
async function replicaFor(
  step: FileSystemStep,
  efs: EFSClient,
  fileSystemId: string,
): Promise<ReplicaState | 'gone' | undefined> {
  const { drRegion } = step.opts;
  let lookup: Awaited<ReturnType<typeof describeReplication>>;
  try {
    lookup = await describeReplication(efs, fileSystemId, drRegion);
  } catch (error) {
    if (isEmulatorMissingApi(error, step.emulated)) return emulatorReplica(step, efs, fileSystemId);
    if (awsErrorCode(error) === 'FileSystemNotFound') {
      fail(
        step,
        fileSystemId,
        'FileSystemNotFound',
        `EFS file system ${fileSystemId} does not exist in ${step.opts.primaryRegion}, but a captured task definition mounts it. Fix the task definition's volume and run a backup.`,
      );
      return 'gone';
    }
    fail(
      step,
      fileSystemId,
      awsErrorCode(error),
      `Could not read the replication configuration of EFS file system ${fileSystemId}: ${awsErrorMessage(error)}. Allow elasticfilesystem:DescribeReplicationConfigurations to the backup role and run a backup.`,
    );
    return undefined;
  }
  switch (lookup.kind) {
    case 'replicated':
      return checkReplica(step, lookup.replica);
    case 'elsewhere':
      fail(
        step,
        fileSystemId,
        'EfsReplicatedElsewhere',
        `EFS file system ${fileSystemId} replicates to ${lookup.regions.join(', ')}, not to ${drRegion}, and EFS allows one destination per file system. Replicate it to ${drRegion} instead, or add mappings.efsFileSystems["${fileSystemId}"] = "fs-<DR id>" to the Lifeboat config.`,
      );
      return undefined;
    case 'destination':
      fail(
        step,
        fileSystemId,
        'EfsIsReplica',
        `EFS file system ${fileSystemId} is itself a read-only replica of ${lookup.sourceFileSystemId}${lookup.sourceRegion ? ` in ${lookup.sourceRegion}` : ''}; a service should mount the source. Fail it over (delete its replication configuration) or point the task definition at the source.`,
      );
      return undefined;
    case 'none':
      break;
  }
  if (!step.opts.allowCreateReplication) {
    fail(
      step,
      fileSystemId,
      'EfsNotReplicated',
      `EFS file system ${fileSystemId} has no replication to ${drRegion}, so its data cannot be restored there. Enable volumes.efs.createReplication in the Lifeboat config, or create replication to ${drRegion} yourself (aws efs create-replication-configuration --source-file-system-id ${fileSystemId} --destinations Region=${drRegion}).`,
    );
    return undefined;
  }
  let created: ReplicaState;
  try {
    created = await createReplication(efs, fileSystemId, drRegion);
  } catch (error) {
    fail(
      step,
      fileSystemId,
      awsErrorCode(error),
      `Could not create replication of EFS file system ${fileSystemId} to ${drRegion}: ${awsErrorMessage(error)}. Allow elasticfilesystem:CreateReplicationConfiguration (and CreateFileSystem in ${drRegion}) to the backup role, or create the replication yourself.`,
    );
    return undefined;
  }
  warn(
    step,
    fileSystemId,
    'EfsReplicationCreated',
    `Created replication of EFS file system ${fileSystemId} to ${drRegion}${created.destinationFileSystemId ? ` (${created.destinationFileSystemId})` : ''}; its data is usable there once the initial sync ends (the next backup records the sync time).`,
  );
  return created;
}

/** A replica in the DR region: usable only when this account owns it and it is not failing. */
function checkReplica(step: FileSystemStep, replica: ReplicaState): ReplicaState | undefined {
  const { drRegion, account } = step.opts;
  const id = replica.sourceFileSystemId;
  if (replica.ownerId !== undefined && replica.ownerId !== account) {
    fail(
      step,
      id,
      'EfsReplicaInOtherAccount',
      `EFS file system ${id} replicates to ${replica.destinationFileSystemId ?? 'a file system'} in account ${replica.ownerId}; the restore runs in ${account}. Replicate it to ${drRegion} in ${account}, or map a DR file system in mappings.efsFileSystems.`,
    );
    return undefined;
  }
  if (replica.status === 'ERROR' || replica.status === 'DELETING') {
    fail(
      step,
      id,
      replica.status === 'ERROR' ? 'EfsReplicationError' : 'EfsReplicationDeleting',
      `Replication of EFS file system ${id} to ${drRegion} is ${replica.status}${replica.statusMessage ? `: ${replica.statusMessage}` : ''}. Fix it in the EFS console (or delete and recreate it), then run a backup.`,
    );
    return undefined;
  }
  if (replica.lastReplicatedAt === undefined) {
    warn(
      step,
      id,
      'EfsReplicaNotSynced',
      `The replica of EFS file system ${id} in ${drRegion} (${replica.status}) has not finished its first sync; a restore now would mount incomplete data.`,
    );
  }
  return replica;
}

/**
 * Emulator only (it has no EFS replication APIs): a DR file system with the source's creation
 * token + "-dr" stands in for the replica, so a local failover has something to mount.
 */
async function emulatorReplica(
  step: FileSystemStep,
  efs: EFSClient,
  fileSystemId: string,
): Promise<ReplicaState | undefined> {
  const { drRegion } = step.opts;
  if (!step.opts.emulatorFallback) {
    fail(
      step,
      fileSystemId,
      'EfsReplicationApiUnavailable',
      `The emulator has no EFS replication APIs, so no replica of ${fileSystemId} in ${drRegion} can be found or created. For a local run, pass emulatorFallback (the demo does), or map a DR file system in mappings.efsFileSystems.`,
    );
    return undefined;
  }
  let replica: FileSystemDescription;
  let token: string;
  try {
    const source = (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId })))
      .FileSystems?.[0];
    token = `${source?.CreationToken ?? fileSystemId}${EMULATOR_REPLICA_TOKEN_SUFFIX}`;
    const dr = step.clients.efs(drRegion);
    const existing = (await dr.send(new DescribeFileSystemsCommand({ CreationToken: token })))
      .FileSystems?.[0];
    replica =
      existing ??
      (await dr.send(
        new CreateFileSystemCommand({
          CreationToken: token,
          ...(source?.PerformanceMode ? { PerformanceMode: source.PerformanceMode } : {}),
          ...(source?.ThroughputMode ? { ThroughputMode: source.ThroughputMode } : {}),
          ...(source?.Encrypted !== undefined ? { Encrypted: source.Encrypted } : {}),
          Tags: [
            ...(source?.Tags ?? []).filter((t) => t.Key !== SOURCE_ID_TAG && !t.Key?.startsWith('aws:')),
            { Key: SOURCE_ID_TAG, Value: fileSystemId },
          ],
        }),
      ));
  } catch (error) {
    fail(
      step,
      fileSystemId,
      awsErrorCode(error),
      `Could not make the emulator's stand-in replica of ${fileSystemId} in ${drRegion}: ${awsErrorMessage(error)}.`,
    );
    return undefined;
  }
  warn(
    step,
    fileSystemId,
    'EmulatorReplicaStandIn',
    `The emulator has no EFS replication: ${replica.FileSystemId} (creation token ${token}) in ${drRegion} stands in for the replica of ${fileSystemId}, without its data and without a sync time. Local runs only.`,
  );
  return {
    sourceFileSystemId: fileSystemId,
    region: drRegion,
    status: 'ENABLED',
    ...(replica.FileSystemId ? { destinationFileSystemId: replica.FileSystemId } : {}),
  };
}

/** Access point tags a CreateAccessPoint accepts again (`aws:` tags are reserved). */
function restorableEfsTags(tags: AccessPointDescription['Tags']): Tag[] {
  return (tags ?? [])
    .filter((t) => t.Key !== undefined && !t.Key.startsWith('aws:'))
    .map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
