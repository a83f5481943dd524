/**
 * Which recovery points and Lifeboat snapshots a retention run deletes (pure; the adapter in
 * `backup/retention.ts` lists and deletes).
 *
 * Recovery points: those older than `retentionDays` that are not among the newest
 * `minRecoveryPoints` (and never the one just committed) are deleted; the rest are kept. Of two
 * points of the same age, the one with the larger id counts as the newer.
 * Snapshots: only those tagged `lifeboat:managed=true`. One is deleted when its recovery point
 * is not kept (deleted now, deleted earlier, or never committed) and it started before the
 * cutoff; a younger one whose recovery point is not committed belongs to a backup that may
 * still be running, so it is kept. A snapshot a kept recovery point names is never deleted.
 */

export interface RetentionRecoveryPoint {
  readonly id: string;
  /** ISO 8601 creation time. */
  readonly createdAt: string;
}

export interface RetentionSnapshot {
  readonly snapshotId: string;
  readonly region: string;
  /** ISO 8601 StartTime. */
  readonly startTime: string;
  /** Its `lifeboat:recovery-point` tag. */
  readonly recoveryPointId?: string;
  /** Tagged `lifeboat:managed=true`. */
  readonly managed: boolean;
}

export interface RetentionInput {
  /** Every committed recovery point (any status). */
  readonly recoveryPoints: readonly RetentionRecoveryPoint[];
  readonly snapshots: readonly RetentionSnapshot[];
  readonly retentionDays: number;
  readonly minRecoveryPoints: number;
  readonly now: Date;
  /** The recovery point committed by this run: kept whatever its age. */
  readonly justCommitted?: string;
}

export interface RetentionPlan {
  /** ISO 8601: older than this is past retention. */
  readonly cutoff: string;
  /** Ids, newest first. */
  readonly keepRecoveryPoints: string[];
  /** Ids, oldest first. */
  readonly deleteRecoveryPoints: string[];
  readonly deleteSnapshots: RetentionSnapshot[];
  readonly keepSnapshots: RetentionSnapshot[];
}

const DAY_MS = 86_400_000;

export function planRetention(input: RetentionInput): RetentionPlan {
  const cutoffMs = input.now.getTime() - input.retentionDays * DAY_MS;
  const newestFirst = [...input.recoveryPoints].sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
  const keep: string[] = [];
  const remove: string[] = [];
  newestFirst.forEach((rp, index) => {
    const kept =
      index < input.minRecoveryPoints ||
      Date.parse(rp.createdAt) >= cutoffMs ||
      rp.id === input.justCommitted;
    (kept ? keep : remove).push(rp.id);
  });
  const kept = new Set(keep);
  if (input.justCommitted) kept.add(input.justCommitted);

  const deleteSnapshots: RetentionSnapshot[] = [];
  const keepSnapshots: RetentionSnapshot[] = [];
  for (const snapshot of input.snapshots) {
    const expired =
      snapshot.managed &&
      !(snapshot.recoveryPointId !== undefined && kept.has(snapshot.recoveryPointId)) &&
      Date.parse(snapshot.startTime) < cutoffMs;
    (expired ? deleteSnapshots : keepSnapshots).push(snapshot);
  }
  return {
    cutoff: new Date(cutoffMs).toISOString(),
    keepRecoveryPoints: keep,
    deleteRecoveryPoints: remove.reverse(),
    deleteSnapshots,
    keepSnapshots,
  };
}
