import type { AwsClients } from '../aws/clients';
import { awsErrorCode, awsErrorMessage } from '../aws/errors';
import type { CatalogStore, RecoveryPointSummary } from '../catalog/aws/store';
import { planRetention, type RetentionSnapshot } from '../catalog/retention';
import type { LifeboatConfig } from '../config/schema';
import { mapConcurrent } from '../kernel/concurrency';
import type { Logger } from '../kernel/logger';
import { deleteSnapshot, findSnapshots } from '../volumes/ebs/aws/snapshots';
import { tagValue } from '../volumes/ebs/model';
import { MANAGED_TAG, RECOVERY_POINT_TAG } from '../volumes/ebs/tags';

/** Deletes at once (DeleteObject, DeleteSnapshot). */
const DELETE_CONCURRENCY = 4;

export interface RetentionDeps {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  /** The catalog (DR region). */
  readonly store: CatalogStore;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - no logging */
  readonly log?: Logger;
}

export interface RetentionResult {
  readonly recoveryPointsDeleted: number;
  readonly snapshotsDeleted: number;
  /** Lifeboat snapshots left in place: kept by the plan, in use (a volume or AMI), or not deletable now. */
  readonly snapshotsKept: number;
}

/**
 * Applies `retention` (see `planRetention`): deletes the recovery points past it from the
 * catalog, then the Lifeboat snapshots (`lifeboat:managed=true`) in both regions that no kept
 * recovery point names and that are older than the cutoff. A recovery point that cannot be
 * deleted keeps its snapshots; a snapshot in use (`InvalidSnapshot.InUse`) or that fails to
 * delete is logged and kept. `justCommitted` is never deleted.
 */
export async function applyRetention(deps: RetentionDeps, justCommitted: string): Promise<RetentionResult> {
  const { clients, config, store, log } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const recoveryPoints = await store.list();
  const regions = [config.primaryRegion, config.drRegion];
  const snapshots = (
    await Promise.all(
      regions.map(async (region) =>
        (
          await findSnapshots(clients.ec2(region), { tags: { [MANAGED_TAG]: 'true' } })
        ).map((s): RetentionSnapshot => {
          const recoveryPointId = tagValue(s.tags, RECOVERY_POINT_TAG);
          return {
            snapshotId: s.snapshotId,
            region,
            startTime: s.startTime ?? now.toISOString(),
            managed: tagValue(s.tags, MANAGED_TAG) === 'true',
            ...(recoveryPointId ? { recoveryPointId } : {}),
          };
        }),
      ),
    )
  ).flat();
  const plan = planRetention({
    recoveryPoints: recoveryPoints.map((rp) => ({ id: rp.id, createdAt: rp.createdAt })),
    snapshots,
    retentionDays: config.retention.days,
    minRecoveryPoints: config.retention.minRecoveryPoints,
    now,
    justCommitted,
  });

  const byId = new Map<string, RecoveryPointSummary>(recoveryPoints.map((rp) => [rp.id, rp]));
  const notDeleted = new Set<string>();
  await mapConcurrent(plan.deleteRecoveryPoints, DELETE_CONCURRENCY, async (id) => {
    const summary = byId.get(id);
    if (!summary) return;
    try {
      await store.delete(summary);
    } catch (error) {
      notDeleted.add(id);
      log?.warn('Could not delete a recovery point past retention; its snapshots are kept', {
        recoveryPointId: id,
        code: awsErrorCode(error),
        error: awsErrorMessage(error),
      });
    }
  });

  let snapshotsDeleted = 0;
  let skipped = 0;
  const toDelete = plan.deleteSnapshots.filter((s) => {
    const keep = s.recoveryPointId !== undefined && notDeleted.has(s.recoveryPointId);
    if (keep) skipped += 1;
    return !keep;
  });
  await mapConcurrent(toDelete, DELETE_CONCURRENCY, async (snapshot) => {
    try {
      const outcome = await deleteSnapshot(clients.ec2(snapshot.region), snapshot.snapshotId);
      if (outcome === 'deleted') snapshotsDeleted += 1;
      if (outcome === 'in-use') {
        skipped += 1;
        log?.info('Snapshot past retention is in use (a volume or AMI); kept', {
          snapshotId: snapshot.snapshotId,
          region: snapshot.region,
        });
      }
    } catch (error) {
      skipped += 1;
      log?.warn('Could not delete a snapshot past retention; kept', {
        snapshotId: snapshot.snapshotId,
        region: snapshot.region,
        code: awsErrorCode(error),
        error: awsErrorMessage(error),
      });
    }
  });

  const result: RetentionResult = {
    recoveryPointsDeleted: plan.deleteRecoveryPoints.length - notDeleted.size,
    snapshotsDeleted,
    snapshotsKept: plan.keepSnapshots.length + skipped,
  };
  log?.info('Applied retention', { ...result, cutoff: plan.cutoff, recoveryPointId: justCommitted });
  return result;
}
