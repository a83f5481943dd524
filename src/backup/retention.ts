import type { AwsClients } from '../aws/clients';
import { awsErrorCode, awsErrorMessage } from '../aws/errors';
import type { RetiredRecords } from '../catalog/aws/retired';
import type { CatalogStore, RecoveryPointSummary } from '../catalog/aws/store';
import { ManifestError } from '../catalog/errors';
import type { Manifest } from '../catalog/manifest';
import {
  findOrphanedRuns,
  type KeepReason,
  planRetention,
  type RecordedSnapshot,
  type RetentionPlan,
  type RetentionPoint,
  retentionPolicyOf,
  type SnapshotNow,
  selectSnapshotsToDelete,
  snapshotRef,
} from '../catalog/retention';
import type { RetiredRecord } from '../catalog/retired';
import { deploymentIdOf, type LifeboatConfig } from '../config/schema';
import { BACKUP_RUN_TIMEOUT_MS } from '../config/settings';
import { mapConcurrent } from '../kernel/concurrency';
import type { Logger } from '../kernel/logger';
import { deleteSnapshot, findSnapshots, type SnapshotFacts } from '../volumes/ebs/aws/snapshots';
import { tagValue } from '../volumes/ebs/model';
import { DEPLOYMENT_TAG, RECOVERY_POINT_TAG, ROLE_TAG } from '../volumes/ebs/tags';

/** Deletes (and manifest reads) at once. */
const CONCURRENCY = 4;

const DAY_MS = 86_400_000;

/** Counted keep reasons: a point kept for one of these must have verified. */
const COUNTED: ReadonlySet<KeepReason> = new Set([
  'newest-complete',
  'last',
  'daily',
  'weekly',
  'monthly',
  'yearly',
]);

export interface RetentionDeps {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  /** The catalog (DR region). */
  readonly store: CatalogStore;
  /** Retention's records of deleted points whose snapshots are still to delete. */
  readonly retired: RetiredRecords;
  /** The pins restores hold (`PinStore`): a pinned point and its snapshots are kept. */
  readonly pins: { list(): Promise<readonly { readonly recoveryPointId: string }[]> };
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - no logging */
  readonly log?: Logger;
}

export interface RetentionOptions {
  /** The recovery point committed by this run: kept whatever. */
  readonly justCommitted?: string;
  /** Plan only: read and verify, change nothing. @default false */
  readonly dryRun?: boolean;
}

/** One recovery point retention could not read or verify (never counted as a good point). */
export interface UnverifiedPoint {
  readonly id: string;
  readonly code: string;
  readonly message: string;
}

export interface RetentionResult {
  readonly recoveryPointsDeleted: number;
  readonly snapshotsDeleted: number;
  /** Recorded snapshots left in place: in use, not this deployment's, or not deletable now (tried again next run). */
  readonly snapshotsKept: number;
  /** Uncommitted backups whose staging objects and snapshots were removed. */
  readonly orphanedRunsCleaned: number;
  /** Kept points whose Object Lock was extended, so it outlives the time they are kept. */
  readonly locksExtended: number;
  /** Points that did not verify: never counted toward what is kept. */
  readonly unverified: UnverifiedPoint[];
}

export interface RetentionPreview {
  readonly plan: RetentionPlan;
  readonly unverified: UnverifiedPoint[];
  /** Uncommitted backups that would be cleaned up. */
  readonly orphanedRuns: string[];
}

/**
 * Applies `retention` (see `planRetention`): only complete points whose manifest verifies count
 * toward what is kept, the newest of them is never deleted, pinned points are kept.
 *
 * What is deleted is found through this deployment's own records, never by a tag alone:
 * - each recovery point past retention: its manifest's snapshots are written to a retired record
 *   (`retired/<id>.json`) first, then the manifest is retired (tagged, delete-marked);
 * - every retired record (this run's and earlier ones): the snapshots it names are deleted when
 *   they still carry this recovery point's and this deployment's tags (`selectSnapshotsToDelete`);
 *   the record goes when none is left, so a snapshot in use is tried again next run;
 * - uncommitted backups over for certain (`findOrphanedRuns`): the snapshots tagged with their
 *   recovery point by this deployment, then their staging objects.
 */
export async function applyRetention(
  deps: RetentionDeps,
  opts: RetentionOptions = {},
): Promise<RetentionResult> {
  const { store, retired, log } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const prepared = await prepare(deps, now, opts.justCommitted);
  const { plan, summaries, manifests } = prepared;
  const result = {
    recoveryPointsDeleted: 0,
    snapshotsDeleted: 0,
    snapshotsKept: 0,
    orphanedRunsCleaned: 0,
    locksExtended: 0,
    unverified: prepared.unverified,
  };
  if (opts.dryRun) return result;

  // 0. Keep the lock of what is kept: a point kept longer than the bucket's default lock (the
  //    newest complete one after backups stopped, GFS keepers) would otherwise become deletable.
  result.locksExtended = await extendLocks(deps, plan, summaries, now);

  // 1. Retire the points past retention, each after its record is safe.
  const notRetired = new Set<string>();
  await mapConcurrent(plan.remove, CONCURRENCY, async (decision) => {
    const summary = summaries.get(decision.id);
    if (!summary) return;
    const manifest = manifests.get(decision.id);
    try {
      await retired.put({
        recoveryPointId: decision.id,
        retiredAt: now.toISOString(),
        snapshots: manifest ? snapshotsNamedBy(manifest) : [],
      });
      await store.retire(summary);
      result.recoveryPointsDeleted += 1;
    } catch (error) {
      notRetired.add(decision.id);
      log?.warn('Could not delete a recovery point past retention; kept, tried again next run', {
        recoveryPointId: decision.id,
        code: awsErrorCode(error),
        error: awsErrorMessage(error),
      });
    }
  });

  // 2. Delete the snapshots the retired records name, when they are still this deployment's.
  //    A point whose retire failed is still listed (and restorable): its record waits too.
  const kept = new Set([...plan.keep.map((d) => d.id), ...notRetired]);
  const keptReferences = new Set(
    [...manifests.entries()]
      .filter(([id]) => kept.has(id))
      .flatMap(([, m]) => snapshotsNamedBy(m).map(snapshotRef)),
  );
  const { records, damaged } = await retired.list();
  for (const key of damaged)
    log?.warn('A retired record does not parse; its snapshots are left alone', { key });
  for (const record of records.filter((r) => !kept.has(r.recoveryPointId))) {
    const outcome = await deleteRecordedSnapshots(deps, record, keptReferences);
    result.snapshotsDeleted += outcome.deleted;
    result.snapshotsKept += outcome.kept;
    if (outcome.remaining === 0) await retired.remove(record.recoveryPointId);
  }

  // 3. Clean up uncommitted backups that are certainly over.
  for (const id of prepared.orphanedRuns) {
    try {
      const found = await snapshotsTaggedFor(deps, id);
      const outcome = await deleteOwned(
        deps,
        found.map((s) => ({ region: s.region, snapshotId: s.snapshotId, recoveryPointId: id })),
        found,
        keptReferences,
      );
      result.snapshotsDeleted += outcome.deleted;
      result.snapshotsKept += outcome.kept;
      if (outcome.remaining === 0) {
        await store.deleteStaging(id);
        result.orphanedRunsCleaned += 1;
        log?.info('Removed what an uncommitted backup left', {
          recoveryPointId: id,
          snapshots: outcome.deleted,
        });
      }
    } catch (error) {
      log?.warn('Could not clean up an uncommitted backup; tried again next run', {
        recoveryPointId: id,
        code: awsErrorCode(error),
        error: awsErrorMessage(error),
      });
    }
  }

  log?.info('Applied retention', {
    recoveryPointsDeleted: result.recoveryPointsDeleted,
    snapshotsDeleted: result.snapshotsDeleted,
    snapshotsKept: result.snapshotsKept,
    orphanedRunsCleaned: result.orphanedRunsCleaned,
    locksExtended: result.locksExtended,
    unverified: result.unverified.length,
    cutoff: plan.cutoff,
    ...(opts.justCommitted ? { recoveryPointId: opts.justCommitted } : {}),
  });
  return result;
}

/**
 * Extends the Object Lock of each kept point old enough for its lock to run out within half the
 * lock period (`catalog.objectLockDays`, else `retention.days`) to a full period from now. A
 * point whose manifest carries no lock (a bucket without Object Lock) is left as it is.
 */
async function extendLocks(
  deps: RetentionDeps,
  plan: RetentionPlan,
  summaries: ReadonlyMap<string, RecoveryPointSummary>,
  now: Date,
): Promise<number> {
  const { catalog, retention } = deps.config;
  const lockMs = (catalog.objectLockDays ?? retention.days) * DAY_MS;
  const soon = now.getTime() + lockMs / 2;
  const old = plan.keep.filter((d) => Date.parse(d.createdAt) + lockMs / 2 < now.getTime());
  let extended = 0;
  await mapConcurrent(old, CONCURRENCY, async (decision) => {
    const summary = summaries.get(decision.id);
    if (!summary) return;
    try {
      const until = await deps.store.lockedUntil(summary);
      if (until === undefined || until.getTime() >= soon) return;
      await deps.store.extendLock(summary, catalog.objectLockMode, new Date(now.getTime() + lockMs));
      extended += 1;
    } catch (error) {
      deps.log?.warn('Could not extend the lock of a kept recovery point; tried again next run', {
        recoveryPointId: decision.id,
        code: awsErrorCode(error),
        error: awsErrorMessage(error),
      });
    }
  });
  return extended;
}

/** What `applyRetention` would do, changing nothing (`lifeboat recovery-points prune --dry-run`). */
export async function previewRetention(deps: RetentionDeps): Promise<RetentionPreview> {
  const now = (deps.now ?? (() => new Date()))();
  const { plan, unverified, orphanedRuns } = await prepare(deps, now, undefined);
  return { plan, unverified, orphanedRuns };
}

interface Prepared {
  readonly plan: RetentionPlan;
  readonly summaries: Map<string, RecoveryPointSummary>;
  /** Verified manifests read while planning (every counted kept point and every point removed). */
  readonly manifests: Map<string, Manifest>;
  readonly unverified: UnverifiedPoint[];
  readonly orphanedRuns: string[];
}

/**
 * Plans with every listed point taken as verified, then reads and verifies the points the plan
 * counts on; one that fails verification is marked so and the plan is made again, until every
 * counted point verified. The points to remove are read too (their records name their snapshots).
 */
async function prepare(deps: RetentionDeps, now: Date, justCommitted: string | undefined): Promise<Prepared> {
  const { store, config } = deps;
  const [listed, pins, staged] = await Promise.all([store.list(), deps.pins.list(), store.stagedIds()]);
  const summaries = new Map(listed.map((s) => [s.id, s]));
  const pinned = new Set(pins.map((p) => p.recoveryPointId));
  const manifests = new Map<string, Manifest>();
  const failed = new Map<string, UnverifiedPoint>();
  const policy = retentionPolicyOf(config.retention);

  const read = async (ids: readonly string[]): Promise<void> => {
    await mapConcurrent(
      ids.filter((id) => !manifests.has(id) && !failed.has(id)),
      CONCURRENCY,
      async (id) => {
        try {
          manifests.set(id, await store.get(id, { allowPartial: true }));
        } catch (error) {
          if (!(error instanceof ManifestError)) throw error;
          failed.set(id, { id, code: error.name, message: error.message });
          deps.log?.warn('A recovery point does not verify; it does not count toward retention', {
            recoveryPointId: id,
            code: error.name,
            error: error.message,
          });
        }
      },
    );
  };

  let plan: RetentionPlan;
  for (;;) {
    const points: RetentionPoint[] = listed.map((s) => ({
      id: s.id,
      createdAt: s.createdAt,
      status: s.status,
      verified: !failed.has(s.id),
      pinned: pinned.has(s.id),
    }));
    plan = planRetention({ points, policy, now, ...(justCommitted ? { justCommitted } : {}) });
    const counted = plan.keep
      .filter((d) => d.verified && d.reasons.some((r) => COUNTED.has(r)))
      .map((d) => d.id);
    const before = failed.size;
    await read(counted);
    if (failed.size === before) break;
  }
  await read(plan.remove.map((d) => d.id));

  const orphanedRuns = findOrphanedRuns({
    stagedIds: staged,
    committedIds: new Set(summaries.keys()),
    now,
    runTimeoutMs: BACKUP_RUN_TIMEOUT_MS,
    ...(justCommitted ? { current: justCommitted } : {}),
  });
  return { plan, summaries, manifests, unverified: [...failed.values()], orphanedRuns };
}

/** The snapshots a manifest names: each volume's primary snapshot and its DR copy. */
export function snapshotsNamedBy(manifest: Manifest): RetiredRecord['snapshots'] {
  return manifest.volumes.ebs.flatMap((v) => [
    ...(v.sourceSnapshotId ? [{ region: manifest.source.region, snapshotId: v.sourceSnapshotId }] : []),
    ...(v.drSnapshotId ? [{ region: manifest.target.region, snapshotId: v.drSnapshotId }] : []),
  ]);
}

async function deleteRecordedSnapshots(
  deps: RetentionDeps,
  record: RetiredRecord,
  keptReferences: ReadonlySet<string>,
): Promise<{ deleted: number; kept: number; remaining: number }> {
  const recorded = record.snapshots.map((s) => ({ ...s, recoveryPointId: record.recoveryPointId }));
  const regions = [...new Set(recorded.map((s) => s.region))];
  const found = (
    await Promise.all(
      regions.map(async (region) =>
        (
          await findSnapshots(deps.clients.ec2(region), {
            snapshotIds: recorded.filter((s) => s.region === region).map((s) => s.snapshotId),
          })
        ).map((s) => snapshotNow(region, s)),
      ),
    )
  ).flat();
  return deleteOwned(deps, recorded, found, keptReferences);
}

/** The snapshots this deployment tagged for an uncommitted recovery point, in both regions. */
async function snapshotsTaggedFor(deps: RetentionDeps, recoveryPointId: string): Promise<SnapshotNow[]> {
  const { primaryRegion, drRegion } = deps.config;
  return (
    await Promise.all(
      [primaryRegion, drRegion].map(async (region) =>
        (
          await findSnapshots(deps.clients.ec2(region), { tags: { [RECOVERY_POINT_TAG]: recoveryPointId } })
        ).map((s) => snapshotNow(region, s)),
      ),
    )
  ).flat();
}

function snapshotNow(region: string, s: SnapshotFacts): SnapshotNow {
  const recoveryPointTag = tagValue(s.tags, RECOVERY_POINT_TAG);
  const deploymentTag = tagValue(s.tags, DEPLOYMENT_TAG);
  const roleTag = tagValue(s.tags, ROLE_TAG);
  return {
    region,
    snapshotId: s.snapshotId,
    ...(recoveryPointTag !== undefined ? { recoveryPointTag } : {}),
    ...(deploymentTag !== undefined ? { deploymentTag } : {}),
    ...(roleTag !== undefined ? { roleTag } : {}),
  };
}

/**
 * Deletes the recorded snapshots `selectSnapshotsToDelete` finds this deployment's. `remaining`
 * counts those that still exist and may be deleted later (in use, or a delete that failed);
 * a snapshot that is gone or not ours is never tried again.
 */
async function deleteOwned(
  deps: RetentionDeps,
  recorded: readonly RecordedSnapshot[],
  found: readonly SnapshotNow[],
  keptReferences: ReadonlySet<string>,
): Promise<{ deleted: number; kept: number; remaining: number }> {
  const selection = selectSnapshotsToDelete({
    recorded,
    found,
    keptReferences,
    deploymentId: deploymentIdOf(deps.config),
  });
  let deleted = 0;
  let remaining = 0;
  let kept = selection.skip.filter((s) => s.reason !== 'gone').length;
  for (const skip of selection.skip) {
    if (skip.reason === 'not-ours') {
      deps.log?.warn('A recorded snapshot no longer carries this deployment’s tags; left alone', {
        snapshotId: skip.snapshot.snapshotId,
        region: skip.snapshot.region,
        recoveryPointId: skip.snapshot.recoveryPointId,
      });
    }
    if (skip.reason === 'kept-point-uses-it') remaining += 1;
  }
  await mapConcurrent(selection.delete, CONCURRENCY, async (snapshot) => {
    try {
      const outcome = await deleteSnapshot(deps.clients.ec2(snapshot.region), snapshot.snapshotId);
      if (outcome === 'deleted') deleted += 1;
      if (outcome === 'in-use') {
        kept += 1;
        remaining += 1;
        deps.log?.info('Snapshot past retention is in use (a volume or AMI); tried again next run', {
          snapshotId: snapshot.snapshotId,
          region: snapshot.region,
        });
      }
    } catch (error) {
      kept += 1;
      remaining += 1;
      deps.log?.warn('Could not delete a snapshot past retention; tried again next run', {
        snapshotId: snapshot.snapshotId,
        region: snapshot.region,
        code: awsErrorCode(error),
        error: awsErrorMessage(error),
      });
    }
  });
  return { deleted, kept, remaining };
}
