/**
 * What a retention run keeps and deletes (pure; the adapter in `backup/retention.ts` lists,
 * verifies and deletes).
 *
 * Recovery points (`planRetention`), grandfather-father-son:
 * - Points are ordered newest first by `createdAt`; of two points created at the same instant the
 *   one with the larger id counts as the newer. The plan does not depend on the input's order.
 *   A `createdAt` that does not parse counts as the oldest possible time.
 * - A point is "good" when it is `complete` and `verified` (its manifest was read and its
 *   signature checked). Only good points count toward the rules below that keep a number of
 *   points: a partial, unreadable, tampered or unsigned point never takes the place of a good one.
 * - `newest-complete`: the newest good point is always kept, whatever its age and the policy, so
 *   a run never leaves the catalog without a complete recovery point it had.
 * - `last`: the newest `keepLast` good points.
 * - `daily` / `weekly` / `monthly` / `yearly` (restic and borg semantics): for each of the last N
 *   calendar periods that have at least one good point, the newest good point of that period.
 *   A period without a good point does not use up N. Periods are the UTC day, the ISO-8601 week
 *   (weeks start on Monday and belong to the ISO week-year of their Thursday, so 2027-01-01 is in
 *   2026-W53), the UTC month and the UTC year.
 * - `within-days`: every point, good or not, created at or after the cutoff
 *   (`now - keepWithinDays` days) is kept.
 * - `pinned` (a restore still uses it) and `just-committed` (this run committed it) are kept.
 * - Everything else is removed: `expired` when it was good, `expired-partial` when it was partial
 *   (but verified), `expired-unverified` when its manifest could not be verified.
 * A kept point lists every rule that keeps it.
 *
 * Snapshots (`selectSnapshotsToDelete`): retention deletes only snapshots this deployment's own
 * records name (the manifest of a point being retired, or the staging of an orphaned run), never
 * one found by its tags alone: tags can be copied (DLM, AWS Backup, a DR team snapshotting a
 * restored volume). A recorded snapshot is deleted only when it still exists, no kept point's
 * manifest names it, its `lifeboat:recovery-point` tag is the recovery point whose record names
 * it, its deployment tag is absent (made before deployments were tagged) or this deployment, and
 * its role tag is absent or a backup role (`backup-source`, `backup-copy`). The tags only confirm
 * that the recorded snapshot is still the one this deployment made.
 *
 * Orphans (`findOrphanedRuns`): a run with staging objects but no committed manifest whose
 * creation time (from its id) plus the longest a backup execution runs is in the past is over
 * and will never commit; its staging and snapshots can be cleaned up.
 */

import { recoveryPointTime } from './keys';

const DAY_MS = 86_400_000;

export interface RetentionPolicy {
  /** Every point created within this many days of now is kept. */
  readonly keepWithinDays: number;
  /** The newest this many good points are kept. */
  readonly keepLast: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
  readonly yearly: number;
}

/** Maps config.retention onto the policy: days → keepWithinDays, minRecoveryPoints → keepLast. */
export function retentionPolicyOf(retention: {
  days: number;
  minRecoveryPoints: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}): RetentionPolicy {
  return {
    keepWithinDays: retention.days,
    keepLast: retention.minRecoveryPoints,
    daily: retention.daily ?? 0,
    weekly: retention.weekly ?? 0,
    monthly: retention.monthly ?? 0,
    yearly: retention.yearly ?? 0,
  };
}

export interface RetentionPoint {
  /** rp-20260101T000000000Z-abc123 */
  readonly id: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly status: 'complete' | 'partial';
  /** Its manifest was read and its signature verified. false: unreadable, tampered or unsigned. */
  readonly verified: boolean;
  /** Pinned by a restore that still uses it. */
  readonly pinned: boolean;
}

export interface RetentionInput {
  readonly points: readonly RetentionPoint[];
  readonly policy: RetentionPolicy;
  readonly now: Date;
  /** Committed by this run: kept whatever. */
  readonly justCommitted?: string;
}

export type KeepReason =
  | 'newest-complete'
  | 'last'
  | 'within-days'
  | 'daily'
  | 'weekly'
  | 'monthly'
  | 'yearly'
  | 'pinned'
  | 'just-committed';

export type RemoveReason = 'expired' | 'expired-partial' | 'expired-unverified';

export interface RetentionDecision {
  readonly id: string;
  readonly createdAt: string;
  readonly status: 'complete' | 'partial';
  readonly verified: boolean;
  readonly keep: boolean;
  /** Every rule that keeps it (empty when removed). */
  readonly reasons: readonly KeepReason[];
  readonly removeReason?: RemoveReason;
}

export interface RetentionPlan {
  /** ISO 8601: a point created before this is past `keepWithinDays`. */
  readonly cutoff: string;
  /** Newest first. */
  readonly keep: RetentionDecision[];
  /** Oldest first. */
  readonly remove: RetentionDecision[];
  /** Id of the newest complete verified point, if any. */
  readonly newestComplete?: string;
}

/** Reasons are listed in this order. */
const REASON_ORDER: readonly KeepReason[] = [
  'newest-complete',
  'last',
  'within-days',
  'daily',
  'weekly',
  'monthly',
  'yearly',
  'pinned',
  'just-committed',
];

type PeriodRule = 'daily' | 'weekly' | 'monthly' | 'yearly';

function timeOf(point: RetentionPoint): number {
  const ms = Date.parse(point.createdAt);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Newest first; ties by id (larger is newer), then by the other fields so the order is total. */
function newestFirst(a: RetentionPoint, b: RetentionPoint): number {
  const ta = timeOf(a);
  const tb = timeOf(b);
  if (ta !== tb) return ta < tb ? 1 : -1;
  return (
    compareStrings(b.id, a.id) ||
    compareStrings(b.createdAt, a.createdAt) ||
    compareStrings(b.status, a.status) ||
    Number(b.verified) - Number(a.verified) ||
    Number(b.pinned) - Number(a.pinned)
  );
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2026-W53`: the ISO-8601 week (Monday start) and its week-year, in UTC. */
export function isoWeekOf(date: Date): string {
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(day + (3 - weekday) * DAY_MS);
  const weekYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${pad(weekYear, 4)}-W${pad(week)}`;
}

function periodOf(rule: PeriodRule, ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  const year = pad(date.getUTCFullYear(), 4);
  switch (rule) {
    case 'daily':
      return `${year}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
    case 'weekly':
      return isoWeekOf(date);
    case 'monthly':
      return `${year}-${pad(date.getUTCMonth() + 1)}`;
    case 'yearly':
      return year;
  }
}

const isGood = (point: RetentionPoint) => point.status === 'complete' && point.verified;

export function planRetention(input: RetentionInput): RetentionPlan {
  const { policy } = input;
  const cutoffMs = input.now.getTime() - policy.keepWithinDays * DAY_MS;
  const ordered = [...input.points].sort(newestFirst);
  const good = ordered.filter(isGood);
  const reasons = new Map<RetentionPoint, Set<KeepReason>>(ordered.map((p) => [p, new Set()]));
  const add = (point: RetentionPoint, reason: KeepReason) => reasons.get(point)?.add(reason);

  const newest = good[0];
  if (newest) add(newest, 'newest-complete');
  good.forEach((point, index) => {
    if (index < policy.keepLast) add(point, 'last');
  });
  for (const rule of ['daily', 'weekly', 'monthly', 'yearly'] as const) {
    let periods = 0;
    let previous: string | undefined;
    for (const point of good) {
      if (periods >= policy[rule]) break;
      const period = periodOf(rule, timeOf(point));
      if (period === undefined || period === previous) continue;
      // Newest first, so the first good point of a period is its newest.
      previous = period;
      periods += 1;
      add(point, rule);
    }
  }
  for (const point of ordered) {
    if (timeOf(point) >= cutoffMs) add(point, 'within-days');
    if (point.pinned) add(point, 'pinned');
    if (input.justCommitted !== undefined && point.id === input.justCommitted) add(point, 'just-committed');
  }

  const keep: RetentionDecision[] = [];
  const remove: RetentionDecision[] = [];
  for (const point of ordered) {
    const found = reasons.get(point) ?? new Set<KeepReason>();
    const base = { id: point.id, createdAt: point.createdAt, status: point.status, verified: point.verified };
    if (found.size > 0) {
      keep.push({ ...base, keep: true, reasons: REASON_ORDER.filter((r) => found.has(r)) });
    } else {
      const removeReason: RemoveReason = !point.verified
        ? 'expired-unverified'
        : point.status === 'partial'
          ? 'expired-partial'
          : 'expired';
      remove.push({ ...base, keep: false, reasons: [], removeReason });
    }
  }
  return {
    cutoff: new Date(cutoffMs).toISOString(),
    keep,
    remove: remove.reverse(),
    ...(newest ? { newestComplete: newest.id } : {}),
  };
}

export interface RecordedSnapshot {
  readonly region: string;
  readonly snapshotId: string;
  /** The recovery point whose record names it. */
  readonly recoveryPointId: string;
}

/** A snapshot as DescribeSnapshots shows it now, its Lifeboat tags parsed by the adapter. */
export interface SnapshotNow {
  readonly region: string;
  readonly snapshotId: string;
  readonly recoveryPointTag?: string;
  readonly deploymentTag?: string;
  readonly roleTag?: string;
}

export interface SnapshotSelectionInput {
  /** Snapshots named by the records of the points retention is retiring (or of orphaned runs). */
  readonly recorded: readonly RecordedSnapshot[];
  /** What DescribeSnapshots returned for those ids (missing = already gone). */
  readonly found: readonly SnapshotNow[];
  /** `region/snapshotId` of every snapshot a KEPT point's manifest names (never delete these). */
  readonly keptReferences: ReadonlySet<string>;
  readonly deploymentId: string;
}

export type SnapshotSkipReason = 'gone' | 'kept-point-uses-it' | 'not-ours';

export interface SnapshotSelection {
  /** Sorted by ref, each once. */
  readonly delete: SnapshotNow[];
  /** Sorted by ref, each ref once. */
  readonly skip: { readonly snapshot: RecordedSnapshot; readonly reason: SnapshotSkipReason }[];
}

/** `region/snapshotId`. */
export function snapshotRef(s: { region: string; snapshotId: string }): string {
  return `${s.region}/${s.snapshotId}`;
}

/** Roles of the snapshots a backup makes; never `restored-volume` nor anything else. */
const DELETABLE_ROLES: ReadonlySet<string> = new Set(['backup-source', 'backup-copy']);

function ours(snapshot: SnapshotNow, record: RecordedSnapshot, deploymentId: string): boolean {
  return (
    snapshot.recoveryPointTag === record.recoveryPointId &&
    (snapshot.deploymentTag === undefined || snapshot.deploymentTag === deploymentId) &&
    (snapshot.roleTag === undefined || DELETABLE_ROLES.has(snapshot.roleTag))
  );
}

export function selectSnapshotsToDelete(input: SnapshotSelectionInput): SnapshotSelection {
  const found = new Map<string, SnapshotNow>();
  for (const snapshot of input.found) {
    const ref = snapshotRef(snapshot);
    if (!found.has(ref)) found.set(ref, snapshot);
  }
  const byRef = new Map<string, RecordedSnapshot[]>();
  for (const record of input.recorded) {
    const ref = snapshotRef(record);
    byRef.set(ref, [...(byRef.get(ref) ?? []), record]);
  }

  const selection: SnapshotSelection = { delete: [], skip: [] };
  for (const ref of [...byRef.keys()].sort(compareStrings)) {
    const records = [...(byRef.get(ref) ?? [])].sort((a, b) =>
      compareStrings(a.recoveryPointId, b.recoveryPointId),
    );
    const first = records[0];
    if (!first) continue;
    const snapshot = found.get(ref);
    if (!snapshot) {
      selection.skip.push({ snapshot: first, reason: 'gone' });
    } else if (input.keptReferences.has(ref)) {
      selection.skip.push({ snapshot: first, reason: 'kept-point-uses-it' });
    } else if (records.some((record) => ours(snapshot, record, input.deploymentId))) {
      selection.delete.push(snapshot);
    } else {
      selection.skip.push({ snapshot: first, reason: 'not-ours' });
    }
  }
  return selection;
}

export interface OrphanInput {
  /** Recovery point ids that have staging objects. */
  readonly stagedIds: readonly string[];
  /** Ids with a committed manifest (any status). */
  readonly committedIds: ReadonlySet<string>;
  readonly now: Date;
  /** A backup execution runs at most this long. */
  readonly runTimeoutMs: number;
  /** The run asking: never an orphan. */
  readonly current?: string;
}

function createdAtOfId(id: string): number | undefined {
  try {
    return recoveryPointTime(id).getTime();
  } catch {
    return undefined;
  }
}

/** Staged runs that never committed and are certainly over: sorted, unique. */
export function findOrphanedRuns(input: OrphanInput): string[] {
  const now = input.now.getTime();
  const orphans = new Set<string>();
  for (const id of input.stagedIds) {
    if (input.committedIds.has(id) || id === input.current) continue;
    const created = createdAtOfId(id);
    if (created !== undefined && created + input.runTimeoutMs < now) orphans.add(id);
  }
  return [...orphans].sort(compareStrings);
}
