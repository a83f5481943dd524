import * as z from 'zod';
import {
  type ManifestBody,
  type ResourceError,
  recoveryPointIdSchema,
  type Tag,
  tagSchema,
} from '../../catalog/manifest';
import { resumeStateSchema } from './resume-state';
import {
  BACKUP_TAG,
  DEPLOYMENT_TAG,
  ECS_MANAGED_TAG,
  type LifeboatRole,
  MANAGED_TAG,
  RECOVERY_POINT_TAG,
  ROLE_TAG,
  SERVICE_TAG,
  SOURCE_SNAPSHOT_TAG,
  SOURCE_VOLUME_TAG,
} from './tags';

/**
 * The pure part of backing up EBS volumes: which volume of a service to snapshot, the tags
 * the snapshots carry, and the copy state a backup keeps while its snapshots reach the DR
 * region (what changes when a snapshot is seen, which queued copies may start).
 */

/** EC2 allows at most 50 tags on a snapshot. */
export const MAX_SNAPSHOT_TAGS = 50;

/** A volume as discovery reads it from EC2 DescribeVolumes. */
export interface VolumeFacts {
  readonly volumeId: string;
  /** `creating`, `available`, `in-use`, `deleting`, `deleted` or `error`. */
  readonly state: string;
  /** ISO 8601. */
  readonly createTime?: string;
  readonly sizeGiB: number;
  readonly volumeType?: string;
  readonly iops?: number;
  readonly throughput?: number;
  readonly encrypted?: boolean;
  readonly availabilityZone?: string;
  readonly tags: readonly Tag[];
}

/** A selected service, as far as its volumes are concerned. */
export interface VolumeService {
  readonly clusterName: string;
  readonly serviceName: string;
  /**
   * Name of the volume ECS creates for each task: the service's `volumeConfigurations[].name`,
   * else the task definition's `configuredAtLaunch` volume (a task definition has at most one).
   */
  readonly managedVolumeName?: string;
}

export interface ChosenVolume {
  readonly kind: 'managed' | 'standalone';
  readonly clusterName: string;
  readonly serviceName: string;
  readonly volumeName?: string;
  readonly volume: VolumeFacts;
}

/** Something about a volume the backup could not use as it is (not an error). */
export interface VolumeWarning {
  readonly resourceType: 'volume';
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export interface VolumeChoiceInput {
  readonly services: readonly VolumeService[];
  /** Volumes tagged `lifeboat:backup=true` (standalone ones, and ECS-managed ones whose service tags them so). */
  readonly tagged: readonly VolumeFacts[];
  /** ECS-managed volumes found for a service (task attachments, `lifeboat:service` tag), by `cluster/service`. */
  readonly managed?: ReadonlyMap<string, readonly VolumeFacts[]>;
}

const SERVICE_KEY = /^[A-Za-z0-9_-]{1,255}\/[A-Za-z0-9_-]{1,255}$/;

/** Volume states a snapshot can be taken in. */
const SNAPSHOTTABLE = new Set(['available', 'in-use']);

export function tagValue(tags: readonly Tag[], key: string): string | undefined {
  return tags.find((t) => t.key === key)?.value;
}

function isEcsManaged(volume: VolumeFacts): boolean {
  return volume.tags.some((t) => t.key === ECS_MANAGED_TAG);
}

/**
 * The volumes to snapshot. Standalone: each tagged volume (without `AmazonECSManaged`) whose
 * `lifeboat:service` names a selected service; a tagged volume of an unselected service is left
 * alone, one whose `lifeboat:service` is missing or malformed is a warning. Managed: per
 * selected service, the ECS-created volumes found for it (attached to its tasks, or tagged
 * `lifeboat:service` with `AmazonECSManaged`); ECS gives every task its own, so the oldest
 * in-use one is backed up (the oldest of any usable state when none is in use), with a
 * warning when there are more. Sorted by service, then volume id.
 */
export function chooseVolumes(input: VolumeChoiceInput): {
  chosen: ChosenVolume[];
  warnings: VolumeWarning[];
} {
  const services = new Map(input.services.map((s) => [`${s.clusterName}/${s.serviceName}`, s]));
  const warnings: VolumeWarning[] = [];
  const standalone: ChosenVolume[] = [];
  const managed = new Map<string, Map<string, VolumeFacts>>();
  const addManaged = (key: string, volume: VolumeFacts) => {
    const byId = managed.get(key) ?? new Map<string, VolumeFacts>();
    byId.set(volume.volumeId, volume);
    managed.set(key, byId);
  };

  const foundForService = new Set([...(input.managed?.values() ?? [])].flat().map((v) => v.volumeId));
  for (const volume of input.tagged) {
    if (tagValue(volume.tags, BACKUP_TAG) !== 'true') continue;
    const key = tagValue(volume.tags, SERVICE_TAG);
    if (key === undefined || !SERVICE_KEY.test(key)) {
      // Attached to a selected service's task: it is that service's, whatever its tag says.
      if (foundForService.has(volume.volumeId)) continue;
      warnings.push({
        resourceType: 'volume',
        resourceId: volume.volumeId,
        code: key === undefined ? 'VolumeServiceTagMissing' : 'VolumeServiceTagInvalid',
        message:
          `Volume ${volume.volumeId} is tagged ${BACKUP_TAG}=true but its ${SERVICE_TAG} tag ` +
          `${key === undefined ? 'is missing' : `("${key}") is not "<cluster>/<service>"`}, so it is not backed up. ` +
          `Tag it ${SERVICE_TAG}=<cluster>/<service> of the service that uses it.`,
      });
      continue;
    }
    const service = services.get(key);
    if (!service) continue;
    if (!usable(volume, warnings)) continue;
    if (isEcsManaged(volume)) {
      addManaged(key, volume);
      continue;
    }
    standalone.push({
      kind: 'standalone',
      clusterName: service.clusterName,
      serviceName: service.serviceName,
      volume,
    });
  }
  for (const [key, volumes] of input.managed ?? []) {
    if (!services.has(key)) continue;
    for (const volume of volumes) if (usable(volume, warnings)) addManaged(key, volume);
  }

  const chosen = [...standalone];
  for (const [key, byId] of managed) {
    const service = services.get(key);
    if (!service) continue;
    const candidates = [...byId.values()].sort(byAge);
    const volume = candidates.find((v) => v.state === 'in-use') ?? candidates[0];
    if (!volume) continue;
    const volumeName = service.managedVolumeName;
    if (candidates.length > 1) {
      warnings.push({
        resourceType: 'volume',
        resourceId: volume.volumeId,
        code: 'OneVolumePerService',
        message:
          `Service ${key} has ${candidates.length} ECS-managed volumes${volumeName ? ` for "${volumeName}"` : ''} ` +
          `(${candidates.map((v) => v.volumeId).join(', ')}); ECS gives each task its own, and Lifeboat backs up the oldest in use, ` +
          `${volume.volumeId}. The restored tasks all start from its data.`,
      });
    }
    chosen.push({
      kind: 'managed',
      clusterName: service.clusterName,
      serviceName: service.serviceName,
      ...(volumeName ? { volumeName } : {}),
      volume,
    });
  }
  chosen.sort((a, b) =>
    compare(
      `${a.clusterName}/${a.serviceName} ${a.volume.volumeId}`,
      `${b.clusterName}/${b.serviceName} ${b.volume.volumeId}`,
    ),
  );
  return { chosen, warnings };
}

function usable(volume: VolumeFacts, warnings: VolumeWarning[]): boolean {
  if (SNAPSHOTTABLE.has(volume.state)) return true;
  if (volume.state === 'error') {
    warnings.push({
      resourceType: 'volume',
      resourceId: volume.volumeId,
      code: 'VolumeInError',
      message: `Volume ${volume.volumeId} is in the error state and cannot be snapshotted; replace it, then back up again.`,
    });
  }
  return false;
}

function byAge(a: VolumeFacts, b: VolumeFacts): number {
  return compare(a.createTime ?? '', b.createTime ?? '') || compare(a.volumeId, b.volumeId);
}

/** A volume's own tags worth keeping (on its snapshots and restored copies): not `aws:*`, not `AmazonECS*`. */
export function volumeOwnTags(tags: readonly Tag[]): Tag[] {
  return tags.filter((t) => !t.key.toLowerCase().startsWith('aws:') && !t.key.startsWith('AmazonECS'));
}

/** Lifeboat's tags first, then `rest` without the keys Lifeboat set, at most 50 in total. */
function withLifeboatTags(own: readonly Tag[], rest: readonly Tag[]): Tag[] {
  const keys = new Set(own.map((t) => t.key));
  return [...own, ...rest.filter((t) => !keys.has(t.key))].slice(0, MAX_SNAPSHOT_TAGS);
}

/** Tags that say what Lifeboat made a resource as: never carried over from a volume's own tags. */
const PROVENANCE_KEYS: ReadonlySet<string> = new Set([
  MANAGED_TAG,
  RECOVERY_POINT_TAG,
  DEPLOYMENT_TAG,
  ROLE_TAG,
  SOURCE_SNAPSHOT_TAG,
]);

/** A volume's own tags to carry over: `volumeOwnTags` without Lifeboat's provenance tags. */
function carriedTags(tags: readonly Tag[]): Tag[] {
  return volumeOwnTags(tags).filter((t) => !PROVENANCE_KEYS.has(t.key));
}

/**
 * Tags of a snapshot Lifeboat takes of a volume: `lifeboat:managed=true`, the recovery point,
 * the deployment, `lifeboat:role=backup-source`, the source volume, the service, then the
 * volume's own tags (not `aws:*` / `AmazonECS*`, not Lifeboat's provenance tags).
 */
export function snapshotTags(input: {
  readonly recoveryPointId: string;
  readonly deploymentId: string;
  readonly serviceKey: string;
  readonly sourceVolumeId: string;
  readonly volumeTags: readonly Tag[];
}): Tag[] {
  return withLifeboatTags(
    [
      { key: MANAGED_TAG, value: 'true' },
      { key: RECOVERY_POINT_TAG, value: input.recoveryPointId },
      { key: DEPLOYMENT_TAG, value: input.deploymentId },
      { key: ROLE_TAG, value: 'backup-source' satisfies LifeboatRole },
      { key: SOURCE_VOLUME_TAG, value: input.sourceVolumeId },
      { key: SERVICE_TAG, value: input.serviceKey },
    ],
    carriedTags(input.volumeTags),
  );
}

/**
 * Tags of the DR copy of a snapshot: the source snapshot's Lifeboat tags with
 * `lifeboat:role=backup-copy` and `lifeboat:source-snapshot`, then its other tags.
 */
export function copyTags(sourceTags: readonly Tag[], sourceSnapshotId: string): Tag[] {
  const lifeboat = sourceTags.filter(
    (t) => t.key.startsWith('lifeboat:') && t.key !== SOURCE_SNAPSHOT_TAG && t.key !== ROLE_TAG,
  );
  return withLifeboatTags(
    [
      ...lifeboat,
      { key: ROLE_TAG, value: 'backup-copy' satisfies LifeboatRole },
      { key: SOURCE_SNAPSHOT_TAG, value: sourceSnapshotId },
    ],
    sourceTags.filter((t) => !t.key.startsWith('lifeboat:')),
  );
}

/**
 * Tags of a volume the restore creates: its provenance (the recovery point,
 * `lifeboat:role=restored-volume`, the deployment when known), the source volume and the
 * service, then the source volume's own tags. Never `lifeboat:managed`: it is no backup of
 * Lifeboat's, and a snapshot someone takes of it with copied tags is theirs, not retention's.
 */
export function restoredTags(input: {
  readonly recoveryPointId: string;
  readonly deploymentId?: string;
  readonly serviceKey: string;
  readonly sourceVolumeId: string;
  readonly volumeTags: readonly Tag[];
}): Tag[] {
  return withLifeboatTags(
    [
      { key: RECOVERY_POINT_TAG, value: input.recoveryPointId },
      { key: ROLE_TAG, value: 'restored-volume' satisfies LifeboatRole },
      ...(input.deploymentId ? [{ key: DEPLOYMENT_TAG, value: input.deploymentId }] : []),
      { key: SOURCE_VOLUME_TAG, value: input.sourceVolumeId },
      { key: SERVICE_TAG, value: input.serviceKey },
    ],
    carriedTags(input.volumeTags),
  );
}

// ---------------------------------------------------------------------------------------
// Copy state: staging/<id>/volumes.json

const iso = z.iso.datetime({ offset: true });

export const volumeCopyPhaseSchema = z.enum(['snapshotting', 'queued', 'copying', 'completed', 'failed']);
export type VolumeCopyPhase = z.infer<typeof volumeCopyPhaseSchema>;
export const VOLUME_COPY_PHASES: readonly VolumeCopyPhase[] = volumeCopyPhaseSchema.options;

export const volumeCopySchema = z
  .object({
    /** `cluster/service` the volume belongs to. */
    service: z.string().min(1),
    sourceVolumeId: z.string().min(1),
    /** The primary-region snapshot this backup took. */
    sourceSnapshotId: z.string().min(1),
    sizeGiB: z.number().int().positive(),
    /** When the source snapshot was started; queued copies start oldest first. */
    snapshotAt: iso.optional(),
    /** The source snapshot's tags (the DR copy gets them too). */
    tags: z.array(tagSchema).max(MAX_SNAPSHOT_TAGS),
    phase: volumeCopyPhaseSchema,
    drSnapshotId: z.string().min(1).optional(),
    /** KMS key of the DR snapshot, as EC2 reports it (an ARN in AWS). */
    drKmsKeyId: z.string().min(1).optional(),
    copiedAt: iso.optional(),
    error: z.object({ code: z.string(), message: z.string() }).strict().optional(),
    /** Block engine: where an interrupted replication stands. */
    resume: resumeStateSchema.optional(),
    /** Block engine: bytes sent to the DR snapshot so far, over all ticks. */
    bytesSent: z.number().int().nonnegative().optional(),
    /** Copies started (CopySnapshot calls or block replication runs). */
    attempts: z.number().int().nonnegative(),
    /** Consecutive checks that did not list the DR copy (EC2 lists a new snapshot eventually). */
    unseenChecks: z.number().int().nonnegative().optional(),
  })
  .strict();
export type VolumeCopy = z.infer<typeof volumeCopySchema>;

export const volumeCopyStateSchema = z
  .object({
    version: z.literal(1),
    recoveryPointId: recoveryPointIdSchema,
    engine: z.enum(['native-copy', 'block']),
    volumes: z.array(volumeCopySchema),
  })
  .strict();
export type VolumeCopyState = z.infer<typeof volumeCopyStateSchema>;

/** Checks a DR copy may go unlisted before it counts as lost. */
export const MAX_UNSEEN_CHECKS = 5;

export type PhaseCounts = Record<VolumeCopyPhase, number>;

export function phaseCounts(state: VolumeCopyState): PhaseCounts {
  const counts: PhaseCounts = { snapshotting: 0, queued: 0, copying: 0, completed: 0, failed: 0 };
  for (const v of state.volumes) counts[v.phase] += 1;
  return counts;
}

/** True when no volume is still snapshotting, queued or copying. */
export function isCopyDone(state: VolumeCopyState): boolean {
  return state.volumes.every((v) => v.phase === 'completed' || v.phase === 'failed');
}

/** The phase a fresh snapshot starts in, from its EC2 state. */
export function phaseOfNewSnapshot(snapshotState: string | undefined): VolumeCopyPhase {
  if (snapshotState === 'completed') return 'queued';
  if (snapshotState === 'error') return 'failed';
  return 'snapshotting';
}

/** A snapshot as a tick sees it (EC2 DescribeSnapshots). */
export interface SnapshotObservation {
  readonly snapshotId: string;
  /** `pending`, `completed`, `error`, `recoverable`, `recovering`. */
  readonly state: string;
  readonly stateMessage?: string;
  readonly kmsKeyId?: string;
  /** ISO 8601, when EC2 reports it. */
  readonly completionTime?: string;
  readonly tags: readonly Tag[];
}

function failed(copy: VolumeCopy, code: string, message: string): VolumeCopy {
  const { resume: _resume, unseenChecks: _unseen, ...rest } = copy;
  return { ...rest, phase: 'failed', error: { code, message } };
}

/**
 * Source snapshots seen this tick: a `snapshotting` volume whose snapshot completed is
 * queued for its copy; one whose snapshot failed or vanished fails.
 */
export function observeSources(
  state: VolumeCopyState,
  sources: ReadonlyMap<string, SnapshotObservation>,
): VolumeCopyState {
  const volumes = state.volumes.map((copy): VolumeCopy => {
    if (copy.phase !== 'snapshotting') return copy;
    const seen = sources.get(copy.sourceSnapshotId);
    if (!seen) {
      return failed(
        copy,
        'SnapshotNotFound',
        `Snapshot ${copy.sourceSnapshotId} of ${copy.sourceVolumeId} no longer exists (deleted while the backup ran); the next backup takes a new one.`,
      );
    }
    if (seen.state === 'completed') return { ...copy, phase: 'queued' };
    if (seen.state === 'error') {
      return failed(
        copy,
        'SnapshotFailed',
        `EC2 could not complete snapshot ${copy.sourceSnapshotId} of ${copy.sourceVolumeId}${seen.stateMessage ? `: ${seen.stateMessage}` : ''}. The next backup takes a new one.`,
      );
    }
    return copy;
  });
  return { ...state, volumes };
}

/**
 * Native copies: the DR copies of this backup seen this tick (snapshots tagged with its recovery point):
 * a copying volume follows its copy (completed, failed, or still pending); a queued volume
 * whose copy already exists (a tick that stopped after CopySnapshot) adopts it instead of
 * copying again. A copy not listed for MAX_UNSEEN_CHECKS checks in a row fails its volume.
 */
export function observeCopies(
  state: VolumeCopyState,
  copies: readonly SnapshotObservation[],
  now: Date,
): VolumeCopyState {
  const bySource = new Map<string, SnapshotObservation>();
  const byId = new Map<string, SnapshotObservation>();
  for (const copy of copies) {
    byId.set(copy.snapshotId, copy);
    const source = tagValue(copy.tags, SOURCE_SNAPSHOT_TAG);
    if (!source) continue;
    const known = bySource.get(source);
    if (!known || known.state === 'error') bySource.set(source, copy);
  }
  const volumes = state.volumes.map((copy): VolumeCopy => {
    if (copy.phase !== 'copying' && copy.phase !== 'queued') return copy;
    const seen =
      (copy.drSnapshotId ? byId.get(copy.drSnapshotId) : undefined) ?? bySource.get(copy.sourceSnapshotId);
    if (!seen) {
      if (copy.phase === 'queued') return copy;
      const unseenChecks = (copy.unseenChecks ?? 0) + 1;
      if (unseenChecks < MAX_UNSEEN_CHECKS) return { ...copy, unseenChecks };
      return failed(
        copy,
        'CopyNotFound',
        `The DR copy ${copy.drSnapshotId ?? ''} of snapshot ${copy.sourceSnapshotId} was not found in ${unseenChecks} checks (deleted?); the next backup copies the volume again.`,
      );
    }
    const { unseenChecks: _unseen, ...base } = copy;
    const tracked: VolumeCopy = { ...base, drSnapshotId: seen.snapshotId };
    if (seen.state === 'completed') {
      return {
        ...tracked,
        phase: 'completed',
        ...(seen.kmsKeyId ? { drKmsKeyId: seen.kmsKeyId } : {}),
        copiedAt: seen.completionTime ?? now.toISOString(),
      };
    }
    if (seen.state === 'error') {
      return failed(
        tracked,
        'CopyFailed',
        `EC2 could not copy snapshot ${copy.sourceSnapshotId} to ${seen.snapshotId}${seen.stateMessage ? `: ${seen.stateMessage}` : ''}. The next backup copies the volume again.`,
      );
    }
    return { ...tracked, phase: 'copying' };
  });
  return { ...state, volumes };
}

/** Queued volumes oldest snapshot first (then by volume id): the order copies start in. */
export function queuedOldestFirst(state: VolumeCopyState): VolumeCopy[] {
  return state.volumes
    .filter((v) => v.phase === 'queued')
    .sort(
      (a, b) =>
        compare(a.snapshotAt ?? '', b.snapshotAt ?? '') || compare(a.sourceVolumeId, b.sourceVolumeId),
    );
}

/**
 * The queued volumes whose copies may start now: as many as `maxConcurrentCopies` leaves room
 * for beside the copies in flight (`copying`), oldest first.
 */
export function copiesToStart(state: VolumeCopyState, maxConcurrentCopies: number): VolumeCopy[] {
  const inFlight = state.volumes.filter((v) => v.phase === 'copying').length;
  return queuedOldestFirst(state).slice(0, Math.max(0, maxConcurrentCopies - inFlight));
}

/** Replaces the volume with `copy.sourceVolumeId` in the state. */
export function withCopy(state: VolumeCopyState, copy: VolumeCopy): VolumeCopyState {
  return {
    ...state,
    volumes: state.volumes.map((v) => (v.sourceVolumeId === copy.sourceVolumeId ? copy : v)),
  };
}

/**
 * The recovery point body as the commit writes it: each volume record whose copy completed
 * gets its DR snapshot, key, copy time and engine; a volume whose copy failed (or had not
 * finished) is a `volume` error, and the recovery point is then `partial`.
 */
export function applyVolumeCopies(body: ManifestBody, state: VolumeCopyState, at: string): ManifestBody {
  const byVolume = new Map(state.volumes.map((v) => [v.sourceVolumeId, v]));
  const errors: ResourceError[] = [...body.errors];
  const ebs = body.volumes.ebs.map((record) => {
    const copy = byVolume.get(record.sourceVolumeId);
    if (copy?.phase === 'completed' && copy.drSnapshotId) {
      return {
        ...record,
        drSnapshotId: copy.drSnapshotId,
        engine: state.engine,
        ...(copy.drKmsKeyId ? { drKmsKeyId: copy.drKmsKeyId } : {}),
        ...(copy.copiedAt ? { copiedAt: copy.copiedAt } : {}),
      };
    }
    const error = copy?.error ?? {
      code: 'CopyNotFinished',
      message: `The DR copy of volume ${record.sourceVolumeId} (snapshot ${record.sourceSnapshotId ?? 'none'}) had not finished when the backup was committed (${copy?.phase ?? 'not tracked'}); the next backup copies it again.`,
    };
    errors.push({ resourceType: 'volume', resourceId: record.sourceVolumeId, ...error, at });
    return record;
  });
  errors.sort((a, b) => compare(`${a.resourceType} ${a.resourceId}`, `${b.resourceType} ${b.resourceId}`));
  return {
    ...body,
    status: errors.length > 0 ? 'partial' : 'complete',
    completedAt: at,
    volumes: { ...body.volumes, ebs },
    errors,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
