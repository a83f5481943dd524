import {
  CreateVolumeCommand,
  type EC2Client,
  paginateDescribeVolumes,
  type Volume,
  type VolumeType,
} from '@aws-sdk/client-ec2';
import { awsErrorCode, awsErrorMessage } from '../../../aws/errors';
import { VolumeRestoreError } from '../errors';
import type { StandaloneVolumePlan } from '../plan';
import { RECOVERY_POINT_TAG, SOURCE_VOLUME_TAG } from '../tags';

/** What the service step did with one standalone volume; small (it travels through the Map state). */
export interface VolumeResult {
  readonly sourceVolumeId: string;
  /** `existing`: an earlier run of a restore from this recovery point created it. */
  readonly outcome: 'created' | 'existing' | 'failed';
  readonly drVolumeId?: string;
  readonly availabilityZone?: string;
  /** EC2 state when created or found (`creating`, `available`, `in-use`); it becomes available on its own. */
  readonly state?: string;
  readonly error?: { readonly name: string; readonly message: string };
}

/** Volumes in these states are gone or going: a re-run creates a new one. */
const GONE: ReadonlySet<string> = new Set(['deleting', 'deleted', 'error']);

/**
 * The volume an earlier restore from `recoveryPointId` created for `sourceVolumeId`
 * (tags `lifeboat:recovery-point` + `lifeboat:source-volume`); the oldest when there are several.
 */
export async function findRestoredVolume(
  ec2: EC2Client,
  recoveryPointId: string,
  sourceVolumeId: string,
): Promise<Volume | undefined> {
  const found: Volume[] = [];
  const pages = paginateDescribeVolumes(
    { client: ec2 },
    {
      Filters: [
        { Name: `tag:${RECOVERY_POINT_TAG}`, Values: [recoveryPointId] },
        { Name: `tag:${SOURCE_VOLUME_TAG}`, Values: [sourceVolumeId] },
      ],
    },
  );
  for await (const page of pages) {
    found.push(...(page.Volumes ?? []).filter((v) => v.VolumeId && !GONE.has(v.State ?? '')));
  }
  const time = (v: Volume) => v.CreateTime?.getTime() ?? 0;
  return found.sort((a, b) => time(a) - time(b) || (a.VolumeId ?? '').localeCompare(b.VolumeId ?? ''))[0];
}

/**
 * Creates the DR volume of a standalone volume from its DR snapshot in the planned zone,
 * encrypted with `kmsKeyId` and tagged as planned, unless an earlier run created it (found by
 * its tags first). Does not wait for it to become available. A failure is returned as outcome
 * `failed` with the reason; throttling and 5xx are retried by the client, and the SDK's
 * ClientToken makes a retried CreateVolume return the same volume.
 */
export async function ensureStandaloneVolume(
  ec2: EC2Client,
  volume: StandaloneVolumePlan,
  opts: { readonly recoveryPointId: string; readonly kmsKeyId: string },
): Promise<VolumeResult> {
  const zone = volume.availabilityZone;
  const base = { sourceVolumeId: volume.sourceVolumeId, ...(zone ? { availabilityZone: zone } : {}) };
  try {
    if (volume.action !== 'create' || !volume.drSnapshotId || !zone) {
      throw new VolumeRestoreError(
        `Volume ${volume.sourceVolumeId} is not planned for creation (no DR snapshot or zone); plan the restore again.`,
      );
    }
    const existing = await findRestoredVolume(ec2, opts.recoveryPointId, volume.sourceVolumeId);
    if (existing?.VolumeId) {
      return {
        ...base,
        outcome: 'existing',
        drVolumeId: existing.VolumeId,
        ...(existing.AvailabilityZone ? { availabilityZone: existing.AvailabilityZone } : {}),
        ...(existing.State ? { state: existing.State } : {}),
      };
    }
    const created = await ec2.send(
      new CreateVolumeCommand({
        SnapshotId: volume.drSnapshotId,
        AvailabilityZone: zone,
        Size: volume.sizeGiB,
        ...(volume.volumeType ? { VolumeType: volume.volumeType as VolumeType } : {}),
        ...(volume.iops ? { Iops: volume.iops } : {}),
        ...(volume.throughput ? { Throughput: volume.throughput } : {}),
        Encrypted: true,
        KmsKeyId: opts.kmsKeyId,
        TagSpecifications: [
          { ResourceType: 'volume', Tags: volume.tags.map((t) => ({ Key: t.key, Value: t.value })) },
        ],
      }),
    );
    if (!created.VolumeId)
      throw new VolumeRestoreError(`CreateVolume returned no volume id for ${volume.sourceVolumeId}.`);
    return {
      ...base,
      outcome: 'created',
      drVolumeId: created.VolumeId,
      ...(created.State ? { state: created.State } : {}),
    };
  } catch (error) {
    return {
      ...base,
      outcome: 'failed',
      error: {
        name: awsErrorCode(error),
        message: `Could not create the DR volume of ${volume.sourceVolumeId} from ${volume.drSnapshotId ?? '(no snapshot)'} in ${zone ?? '(no zone)'}: ${awsErrorMessage(error)}`,
      },
    };
  }
}

/**
 * Creates (or finds) the DR volumes of a service's standalone volumes, one after the other. Every
 * volume is tried; the caller fails the service when any failed.
 */
export async function ensureStandaloneVolumes(
  ec2: EC2Client,
  volumes: readonly StandaloneVolumePlan[],
  opts: { readonly recoveryPointId: string; readonly kmsKeyId: string },
): Promise<VolumeResult[]> {
  const results: VolumeResult[] = [];
  for (const volume of volumes) results.push(await ensureStandaloneVolume(ec2, volume, opts));
  return results;
}
