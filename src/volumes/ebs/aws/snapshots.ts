import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  type DescribeSnapshotsCommandOutput,
  type EC2Client,
  type Tag as Ec2Tag,
  type Filter,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import { awsErrorCode, UnexpectedResponseError } from '../../../aws/errors';
import type { Tag } from '../../../catalog/manifest';
import { chunk } from '../../../kernel/concurrency';
import type { SnapshotObservation } from '../model';

/** EC2 snapshots in the calls Lifeboat makes: find by tags, create, copy, delete. */

/** Values EC2 accepts in one filter. */
const FILTER_VALUES_MAX = 200;
const DESCRIBE_SNAPSHOTS_PAGE = 1000;

/** A snapshot as Lifeboat reads it from DescribeSnapshots. */
export interface SnapshotFacts extends SnapshotObservation {
  readonly volumeId?: string;
  /** ISO 8601. */
  readonly startTime?: string;
  readonly encrypted?: boolean;
  readonly volumeSizeGiB?: number;
}

export function toEc2Tags(tags: readonly Tag[]): Ec2Tag[] {
  return tags.map((t) => ({ Key: t.key, Value: t.value }));
}

export function fromEc2Tags(tags: readonly Ec2Tag[] | undefined): Tag[] {
  return (tags ?? []).flatMap((t) => (t.Key ? [{ key: t.Key, value: t.Value ?? '' }] : []));
}

function facts(snapshot: Snapshot): SnapshotFacts | undefined {
  if (!snapshot.SnapshotId) return undefined;
  return {
    snapshotId: snapshot.SnapshotId,
    state: snapshot.State ?? 'pending',
    ...(snapshot.StateMessage ? { stateMessage: snapshot.StateMessage } : {}),
    ...(snapshot.KmsKeyId ? { kmsKeyId: snapshot.KmsKeyId } : {}),
    ...(snapshot.CompletionTime ? { completionTime: snapshot.CompletionTime.toISOString() } : {}),
    ...(snapshot.VolumeId ? { volumeId: snapshot.VolumeId } : {}),
    ...(snapshot.StartTime ? { startTime: snapshot.StartTime.toISOString() } : {}),
    ...(snapshot.Encrypted !== undefined ? { encrypted: snapshot.Encrypted } : {}),
    ...(snapshot.VolumeSize !== undefined ? { volumeSizeGiB: snapshot.VolumeSize } : {}),
    tags: fromEc2Tags(snapshot.Tags),
  };
}

export interface SnapshotQuery {
  /** Tags every snapshot must carry with exactly these values. */
  readonly tags?: Readonly<Record<string, string>>;
  /** One more tag whose value must be any of these (asked 200 values at a time). */
  readonly tagIn?: { readonly key: string; readonly values: readonly string[] };
  /** Only these snapshot ids (asked 200 at a time; ids that do not exist are left out, not errors). */
  readonly snapshotIds?: readonly string[];
}

/**
 * The account's own snapshots matching the query, every page. A `tagIn` or `snapshotIds` list
 * that is empty matches nothing and makes no call.
 */
export async function findSnapshots(ec2: EC2Client, query: SnapshotQuery): Promise<SnapshotFacts[]> {
  const base: Filter[] = Object.entries(query.tags ?? {}).map(([key, value]) => ({
    Name: `tag:${key}`,
    Values: [value],
  }));
  const lists: Filter[][] = [];
  if (query.tagIn) {
    for (const part of chunk(query.tagIn.values, FILTER_VALUES_MAX))
      lists.push([...base, { Name: `tag:${query.tagIn.key}`, Values: part }]);
  } else if (query.snapshotIds) {
    for (const part of chunk(query.snapshotIds, FILTER_VALUES_MAX))
      lists.push([...base, { Name: 'snapshot-id', Values: part }]);
  } else {
    lists.push(base);
  }
  const found: SnapshotFacts[] = [];
  for (const filters of lists) {
    let token: string | undefined;
    do {
      const page: DescribeSnapshotsCommandOutput = await ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: filters,
          MaxResults: DESCRIBE_SNAPSHOTS_PAGE,
          NextToken: token,
        }),
      );
      for (const snapshot of page.Snapshots ?? []) {
        const f = facts(snapshot);
        if (f) found.push(f);
      }
      token = page.NextToken;
    } while (token);
  }
  return found;
}

/** Starts a snapshot of a volume, tagged at creation. */
export async function createSnapshot(
  ec2: EC2Client,
  input: { readonly volumeId: string; readonly description: string; readonly tags: readonly Tag[] },
): Promise<SnapshotFacts> {
  const out = await ec2.send(
    new CreateSnapshotCommand({
      VolumeId: input.volumeId,
      Description: input.description,
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: toEc2Tags(input.tags) }],
    }),
  );
  const created = facts({ ...out, Tags: out.Tags ?? toEc2Tags(input.tags) });
  if (!created) throw new UnexpectedResponseError('CreateSnapshot', 'no SnapshotId');
  return created;
}

/**
 * Starts a copy of `sourceSnapshotId` (in `sourceRegion`) into the region of `ec2`, encrypted
 * with `kmsKeyId` and tagged at creation. Returns the new snapshot's id.
 */
export async function copySnapshot(
  ec2: EC2Client,
  input: {
    readonly sourceSnapshotId: string;
    readonly sourceRegion: string;
    readonly kmsKeyId: string;
    readonly description: string;
    readonly tags: readonly Tag[];
  },
): Promise<string> {
  const out = await ec2.send(
    new CopySnapshotCommand({
      SourceSnapshotId: input.sourceSnapshotId,
      SourceRegion: input.sourceRegion,
      Encrypted: true,
      KmsKeyId: input.kmsKeyId,
      Description: input.description,
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: toEc2Tags(input.tags) }],
    }),
  );
  if (!out.SnapshotId) throw new UnexpectedResponseError('CopySnapshot', 'no SnapshotId');
  return out.SnapshotId;
}

/** EC2's answer when the destination region already has as many copies in flight as it allows. */
export function isCopyLimitError(error: unknown): boolean {
  return awsErrorCode(error) === 'ResourceLimitExceeded';
}

export type DeleteOutcome = 'deleted' | 'in-use' | 'not-found';

/** Deletes a snapshot; one a volume or AMI uses (`InvalidSnapshot.InUse`) or that is gone is not an error. */
export async function deleteSnapshot(ec2: EC2Client, snapshotId: string): Promise<DeleteOutcome> {
  try {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    return 'deleted';
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'InvalidSnapshot.InUse') return 'in-use';
    if (code === 'InvalidSnapshot.NotFound') return 'not-found';
    throw error;
  }
}
