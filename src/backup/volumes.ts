import type { AwsClients } from '../aws/clients';
import { awsErrorCode, awsErrorMessage } from '../aws/errors';
import type {
  EbsVolumeRecord,
  ResourceError,
  ServiceRecord,
  TaskDefinitionRecord,
} from '../catalog/manifest';
import type { LifeboatConfig } from '../config/schema';
import { deploymentIdOf } from '../config/schema';
import { isRecord } from '../fleet/retarget/refs';
import { mapConcurrent } from '../kernel/concurrency';
import type { Logger } from '../kernel/logger';
import { replicateSnapshot } from '../volumes/ebs/aws/block-engine';
import type { DiscoveryService } from '../volumes/ebs/aws/discovery';
import { volumeKeyArn } from '../volumes/ebs/aws/keys';
import {
  copySnapshot,
  createSnapshot,
  findSnapshots,
  isCopyLimitError,
  type SnapshotFacts,
} from '../volumes/ebs/aws/snapshots';
import { BlockReplicationError, ReplicationInterruptedError } from '../volumes/ebs/errors';
import {
  type ChosenVolume,
  copiesToStart,
  copyTags,
  isCopyDone,
  observeCopies,
  observeSources,
  type PhaseCounts,
  phaseCounts,
  phaseOfNewSnapshot,
  queuedOldestFirst,
  snapshotTags,
  tagValue,
  type VolumeCopy,
  type VolumeCopyState,
  volumeOwnTags,
  withCopy,
} from '../volumes/ebs/model';
import type { ResumeState } from '../volumes/ebs/resume-state';
import { MANAGED_TAG, RECOVERY_POINT_TAG, SOURCE_SNAPSHOT_TAG, SOURCE_VOLUME_TAG } from '../volumes/ebs/tags';

/** Block replications one tick runs at once (they share one function's network and memory). */
export const BLOCK_COPIES_AT_ONCE = 4;

// ---------------------------------------------------------------------------------------
// Stage: which volumes, and their snapshots

/**
 * The services' inputs to volume discovery: a managed EBS volume configuration in the service
 * (`volumeConfigurations[].managedEBSVolume`), and the name of the volume ECS creates for each
 * task (from it, else the task definition's `configuredAtLaunch` volume).
 */
export function discoveryServices(
  services: readonly ServiceRecord[],
  taskDefinitions: readonly TaskDefinitionRecord[],
): DiscoveryService[] {
  const byArn = new Map(taskDefinitions.map((td) => [td.sourceArn, td]));
  return services.map((s) => {
    const configured = recordsOf(s.createInput.volumeConfigurations).filter((vc) =>
      isRecord(vc.managedEBSVolume),
    );
    const atLaunch = recordsOf(byArn.get(s.taskDefinitionArn)?.registerInput.volumes).find(
      (v) => v.configuredAtLaunch === true,
    );
    const name = configured[0]?.name ?? atLaunch?.name;
    return {
      clusterName: s.clusterName,
      serviceName: s.serviceName,
      managedConfiguration: configured.length > 0,
      ...(typeof name === 'string' && name !== '' ? { managedVolumeName: name } : {}),
    };
  });
}

function recordsOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export interface SnapshotVolumesInput {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  readonly recoveryPointId: string;
  readonly volumes: readonly ChosenVolume[];
  readonly concurrency: number;
  readonly now: () => Date;
}

export interface SnapshotVolumesResult {
  /** One per volume snapshotted, with `sourceSnapshotId`, sorted by service and volume. */
  readonly records: EbsVolumeRecord[];
  /** The copy state the ticks start from. */
  readonly copies: VolumeCopyState;
  /** `volume` errors: volumes that could not be snapshotted. */
  readonly errors: ResourceError[];
}

/**
 * Starts a snapshot of each chosen volume in the primary region, tagged for this recovery
 * point. Idempotent: a volume that already has a snapshot tagged with this recovery point
 * (a retried step) keeps it. A volume that cannot be snapshotted is an error; the others go on.
 */
export async function snapshotVolumes(input: SnapshotVolumesInput): Promise<SnapshotVolumesResult> {
  const { clients, config, recoveryPointId, volumes } = input;
  const ec2 = clients.ec2(config.primaryRegion);
  const errors: ResourceError[] = [];
  const existing = new Map<string, SnapshotFacts>();
  if (volumes.length > 0) {
    const found = await findSnapshots(ec2, {
      tags: { [MANAGED_TAG]: 'true', [RECOVERY_POINT_TAG]: recoveryPointId },
      tagIn: { key: SOURCE_VOLUME_TAG, values: volumes.map((v) => v.volume.volumeId) },
    });
    for (const snapshot of found) {
      const volumeId = tagValue(snapshot.tags, SOURCE_VOLUME_TAG);
      if (volumeId && snapshot.state !== 'error') existing.set(volumeId, snapshot);
    }
  }
  const taken = await mapConcurrent(volumes, input.concurrency, async (chosen) => {
    const { volume } = chosen;
    const serviceKey = `${chosen.clusterName}/${chosen.serviceName}`;
    const tags = snapshotTags({
      recoveryPointId,
      deploymentId: deploymentIdOf(config),
      serviceKey,
      sourceVolumeId: volume.volumeId,
      volumeTags: volume.tags,
    });
    let snapshot = existing.get(volume.volumeId);
    if (!snapshot) {
      try {
        snapshot = await createSnapshot(ec2, {
          volumeId: volume.volumeId,
          description: `Lifeboat ${recoveryPointId} ${serviceKey} ${chosen.volumeName ?? volume.volumeId}`,
          tags,
        });
      } catch (error) {
        errors.push({
          resourceType: 'volume',
          resourceId: volume.volumeId,
          code: awsErrorCode(error),
          message: `Could not snapshot volume ${volume.volumeId} of service ${serviceKey}: ${awsErrorMessage(error)}`,
          at: input.now().toISOString(),
        });
        return undefined;
      }
    }
    const snapshotAt = snapshot.startTime ?? input.now().toISOString();
    const record: EbsVolumeRecord = {
      kind: chosen.kind,
      clusterName: chosen.clusterName,
      serviceName: chosen.serviceName,
      ...(chosen.volumeName ? { volumeName: chosen.volumeName } : {}),
      sourceVolumeId: volume.volumeId,
      sourceSnapshotId: snapshot.snapshotId,
      sizeGiB: volume.sizeGiB,
      ...(volume.volumeType ? { volumeType: volume.volumeType } : {}),
      ...(volume.iops ? { iops: volume.iops } : {}),
      ...(volume.throughput ? { throughput: volume.throughput } : {}),
      ...(volume.encrypted !== undefined ? { encrypted: volume.encrypted } : {}),
      ...(volume.availabilityZone ? { availabilityZone: volume.availabilityZone } : {}),
      snapshotAt,
      tags: volumeOwnTags(volume.tags),
    };
    const phase = phaseOfNewSnapshot(snapshot.state);
    const copy: VolumeCopy = {
      service: serviceKey,
      sourceVolumeId: volume.volumeId,
      sourceSnapshotId: snapshot.snapshotId,
      sizeGiB: volume.sizeGiB,
      snapshotAt,
      tags: snapshot.tags.length > 0 ? [...snapshot.tags] : tags,
      phase,
      attempts: 0,
      ...(phase === 'failed'
        ? {
            error: {
              code: 'SnapshotFailed',
              message: `EC2 could not complete snapshot ${snapshot.snapshotId} of ${volume.volumeId}${snapshot.stateMessage ? `: ${snapshot.stateMessage}` : ''}.`,
            },
          }
        : {}),
    };
    return { record, copy };
  });
  const done = taken.filter((t): t is { record: EbsVolumeRecord; copy: VolumeCopy } => t !== undefined);
  return {
    records: done.map((t) => t.record),
    copies: {
      version: 1,
      recoveryPointId,
      engine: config.volumes.ebs.engine,
      volumes: done.map((t) => t.copy),
    },
    errors,
  };
}

// ---------------------------------------------------------------------------------------
// Tick: move every volume's copy one step forward

export interface CopyTickInput {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  /** DR-region KMS key (alias or ARN) the copies are encrypted with. */
  readonly volumeKmsKeyId: string;
  readonly now: () => Date;
  readonly log?: Logger;
  /** Block engine: stops the replications in flight (they checkpoint and resume next tick). @default - none */
  readonly signal?: AbortSignal;
  /** Persists the copy state (called at block-engine checkpoints and once at the end of the tick). */
  readonly save: (state: VolumeCopyState) => Promise<void>;
}

export interface CopyTickResult {
  readonly state: VolumeCopyState;
  readonly done: boolean;
  readonly counts: PhaseCounts;
  /** Block engine: bytes sent to DR snapshots in this tick. */
  readonly bytesSent: number;
}

/**
 * One tick of the copies to the DR region. Snapshots still `snapshotting` are looked at
 * (completed → queued, failed → failed). Native copy: the DR copies of this backup are looked
 * at (completed → completed with the DR key and time, failed → failed), and queued volumes
 * start CopySnapshot while fewer than `maxConcurrentCopies` copies are in flight, oldest
 * first; a copy the region refuses for its concurrent-copy limit stays queued. Block engine:
 * interrupted replications resume and queued ones start, until `signal` aborts. The state
 * is saved at the end (and at block-engine checkpoints).
 */
export async function advanceCopies(input: CopyTickInput, state: VolumeCopyState): Promise<CopyTickResult> {
  const { clients, config } = input;
  let current = state;
  const snapshotting = current.volumes
    .filter((v) => v.phase === 'snapshotting')
    .map((v) => v.sourceSnapshotId);
  if (snapshotting.length > 0) {
    const seen = await findSnapshots(clients.ec2(config.primaryRegion), { snapshotIds: snapshotting });
    current = observeSources(current, new Map(seen.map((s) => [s.snapshotId, s])));
  }
  let bytesSent = 0;
  if (current.engine === 'block') {
    const ran = await replicateBlocks(input, current);
    current = ran.state;
    bytesSent = ran.bytesSent;
  } else {
    current = await copyNatively(input, current);
  }
  await input.save(current);
  const counts = phaseCounts(current);
  input.log?.info('Volume copies advanced', {
    recoveryPointId: current.recoveryPointId,
    engine: current.engine,
    ...counts,
    ...(current.engine === 'block' ? { bytesSent } : {}),
  });
  return { state: current, done: isCopyDone(current), counts, bytesSent };
}

async function copyNatively(input: CopyTickInput, state: VolumeCopyState): Promise<VolumeCopyState> {
  const { clients, config, now, log } = input;
  if (!state.volumes.some((v) => v.phase === 'queued' || v.phase === 'copying')) return state;
  const dr = clients.ec2(config.drRegion);
  const copies = await findSnapshots(dr, {
    tags: { [MANAGED_TAG]: 'true', [RECOVERY_POINT_TAG]: state.recoveryPointId },
  });
  let current = observeCopies(state, copies, now());
  const started: VolumeCopy[] = [];
  for (const copy of copiesToStart(current, config.volumes.ebs.maxConcurrentCopies)) {
    const attempted: VolumeCopy = { ...copy, attempts: copy.attempts + 1 };
    try {
      const drSnapshotId = await copySnapshot(dr, {
        sourceSnapshotId: copy.sourceSnapshotId,
        sourceRegion: config.primaryRegion,
        kmsKeyId: input.volumeKmsKeyId,
        description: `Lifeboat ${state.recoveryPointId} ${copy.service} ${copy.sourceVolumeId} from ${copy.sourceSnapshotId}`,
        tags: copyTags(copy.tags, copy.sourceSnapshotId),
      });
      const copying: VolumeCopy = { ...attempted, phase: 'copying', drSnapshotId };
      started.push(copying);
      current = withCopy(current, copying);
    } catch (error) {
      if (isCopyLimitError(error)) {
        // The region's concurrent-copy limit (shared with other copies in the account): try again next tick.
        current = withCopy(current, attempted);
        log?.warn('The DR region refused more snapshot copies for now; the rest stay queued', {
          recoveryPointId: state.recoveryPointId,
          sourceVolumeId: copy.sourceVolumeId,
          code: awsErrorCode(error),
        });
        break;
      }
      current = withCopy(current, {
        ...attempted,
        phase: 'failed',
        error: {
          code: awsErrorCode(error),
          message: `Could not copy snapshot ${copy.sourceSnapshotId} of ${copy.sourceVolumeId} to ${config.drRegion}: ${awsErrorMessage(error)}`,
        },
      });
    }
  }
  if (started.length === 0) return current;
  // Small snapshots (and the emulator's) can be copied by now: look once, so they need no extra tick.
  const fresh = await findSnapshots(dr, { snapshotIds: started.flatMap((c) => c.drSnapshotId ?? []) });
  const listed = new Set(fresh.map((s) => s.snapshotId));
  const observed = observeCopies({ ...current, volumes: started }, fresh, now());
  for (const copy of observed.volumes)
    if (copy.drSnapshotId && listed.has(copy.drSnapshotId)) current = withCopy(current, copy);
  return current;
}

async function replicateBlocks(
  input: CopyTickInput,
  state: VolumeCopyState,
): Promise<{ state: VolumeCopyState; bytesSent: number }> {
  const { clients, config } = input;
  const resuming = state.volumes.filter((v) => v.phase === 'copying');
  const candidates = [...resuming, ...queuedOldestFirst(state)];
  if (candidates.length === 0 || input.signal?.aborted) return { state, bytesSent: 0 };
  const kmsKeyArn = await volumeKeyArn(clients, config.drRegion, input.volumeKmsKeyId);
  let current = state;
  let bytesSent = 0;
  let saving: Promise<void> = Promise.resolve();
  const update = (copy: VolumeCopy): Promise<void> => {
    current = withCopy(current, copy);
    const snapshot = current;
    saving = saving.then(() => input.save(snapshot));
    return saving;
  };
  // Looked up once, for every candidate without a resume state, when the first of them starts.
  let previous: Promise<Map<string, PreviousReplica>> | undefined;
  const previousOf = async (candidate: VolumeCopy): Promise<PreviousReplica | undefined> => {
    if (candidate.resume) return fromResume(candidate.resume);
    previous ??= previousReplicas(
      input,
      state.recoveryPointId,
      candidates.filter((c) => !c.resume),
    );
    return (await previous).get(candidate.sourceVolumeId);
  };
  const limit = Math.min(config.volumes.ebs.maxConcurrentCopies, BLOCK_COPIES_AT_ONCE);
  await mapConcurrent(candidates, limit, async (candidate) => {
    if (input.signal?.aborted) return;
    const sent = await replicateOne(input, state.recoveryPointId, candidate, kmsKeyArn, update, previousOf);
    bytesSent += sent;
  });
  await saving;
  return { state: current, bytesSent };
}

/** Replicates one volume's snapshot with the block engine; returns the bytes it sent. */
async function replicateOne(
  input: CopyTickInput,
  recoveryPointId: string,
  candidate: VolumeCopy,
  kmsKeyArn: string,
  update: (copy: VolumeCopy) => Promise<void>,
  previousOf: (candidate: VolumeCopy) => Promise<PreviousReplica | undefined>,
): Promise<number> {
  const { clients, config, now, log } = input;
  let copy: VolumeCopy = { ...candidate, phase: 'copying', attempts: candidate.attempts + 1 };
  let runBytes = 0;
  const finish = (next: VolumeCopy) => update({ ...next, bytesSent: (candidate.bytesSent ?? 0) + runBytes });
  try {
    const previous = await previousOf(candidate);
    const result = await replicateSnapshot({
      source: {
        ebs: clients.ebs(config.primaryRegion),
        snapshotId: candidate.sourceSnapshotId,
        ...(previous ? { previousSnapshotId: previous.sourceSnapshotId } : {}),
      },
      target: {
        ebs: clients.ebs(config.drRegion),
        ...(previous ? { parentSnapshotId: previous.replicaId } : {}),
        volumeSizeGiB: candidate.sizeGiB,
        tags: copyTags(candidate.tags, candidate.sourceSnapshotId).map((t) => ({
          Key: t.key,
          Value: t.value,
        })),
        kmsKeyArn,
        description: `Lifeboat ${recoveryPointId} ${candidate.service} ${candidate.sourceVolumeId} from ${candidate.sourceSnapshotId}`,
      },
      ...(candidate.resume ? { resume: candidate.resume } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
      onProgress: (progress) => {
        runBytes = progress.bytesSent;
      },
      checkpoint: async (resume: ResumeState) => {
        copy = { ...copy, drSnapshotId: resume.targetSnapshotId, resume };
        await update(copy);
      },
    });
    const { resume: _resume, error: _error, ...rest } = copy;
    await finish({
      ...rest,
      phase: 'completed',
      drSnapshotId: result.targetSnapshotId,
      drKmsKeyId: kmsKeyArn,
      copiedAt: now().toISOString(),
    });
  } catch (error) {
    if (error instanceof ReplicationInterruptedError && error.resumeState) {
      await finish({ ...copy, drSnapshotId: error.resumeState.targetSnapshotId, resume: error.resumeState });
      log?.info('Block replication stopped at the deadline; it resumes next tick', {
        recoveryPointId,
        sourceVolumeId: candidate.sourceVolumeId,
        blocksSent: error.blocksSent,
      });
    } else {
      const { resume: _resume, ...rest } = copy;
      await finish({
        ...rest,
        ...(error instanceof BlockReplicationError && error.targetSnapshotId
          ? { drSnapshotId: error.targetSnapshotId }
          : {}),
        phase: 'failed',
        error: {
          code: error instanceof Error ? error.name : awsErrorCode(error),
          message: `Could not replicate snapshot ${candidate.sourceSnapshotId} of ${candidate.sourceVolumeId} to ${config.drRegion}: ${awsErrorMessage(error)}`,
        },
      });
    }
  }
  return runBytes;
}

interface PreviousReplica {
  /** The primary snapshot the replica was made from. */
  readonly sourceSnapshotId: string;
  readonly replicaId: string;
}

function fromResume(resume: ResumeState): PreviousReplica | undefined {
  return resume.previousSourceSnapshotId && resume.parentSnapshotId
    ? { sourceSnapshotId: resume.previousSourceSnapshotId, replicaId: resume.parentSnapshotId }
    : undefined;
}

/**
 * For each of `copies` (by source volume), the newest completed DR snapshot of the volume from
 * an earlier backup, when the primary snapshot it was made from still exists: the block engine
 * then sends only what changed. Two lookups for all the volumes: their DR snapshots, then the
 * primary snapshots those were made from.
 */
async function previousReplicas(
  input: CopyTickInput,
  recoveryPointId: string,
  copies: readonly VolumeCopy[],
): Promise<Map<string, PreviousReplica>> {
  const { clients, config } = input;
  const byVolume = new Map(copies.map((c) => [c.sourceVolumeId, c]));
  const replicas = await findSnapshots(clients.ec2(config.drRegion), {
    tags: { [MANAGED_TAG]: 'true' },
    tagIn: { key: SOURCE_VOLUME_TAG, values: [...byVolume.keys()] },
  });
  const newest = new Map<string, { replicaId: string; sourceSnapshotId: string; startTime: string }>();
  for (const s of replicas) {
    const copy = byVolume.get(tagValue(s.tags, SOURCE_VOLUME_TAG) ?? '');
    const sourceSnapshotId = tagValue(s.tags, SOURCE_SNAPSHOT_TAG);
    if (
      !copy ||
      s.state !== 'completed' ||
      tagValue(s.tags, RECOVERY_POINT_TAG) === recoveryPointId ||
      sourceSnapshotId === undefined ||
      sourceSnapshotId === copy.sourceSnapshotId
    )
      continue;
    const startTime = s.startTime ?? '';
    const known = newest.get(copy.sourceVolumeId);
    if (!known || startTime.localeCompare(known.startTime) > 0) {
      newest.set(copy.sourceVolumeId, { replicaId: s.snapshotId, sourceSnapshotId, startTime });
    }
  }
  const chosen = [...newest].filter(([, replica]) => replica.sourceSnapshotId !== '');
  const sources = await findSnapshots(clients.ec2(config.primaryRegion), {
    snapshotIds: chosen.map(([, replica]) => replica.sourceSnapshotId),
  });
  const completed = new Set(sources.filter((s) => s.state === 'completed').map((s) => s.snapshotId));
  return new Map(
    chosen
      .filter(([, replica]) => completed.has(replica.sourceSnapshotId))
      .map(([volumeId, { sourceSnapshotId, replicaId }]) => [volumeId, { sourceSnapshotId, replicaId }]),
  );
}
