import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRetention, type RetentionSnapshot } from '../../../src/catalog/retention';

const DAY = 86_400_000;
const NOW = new Date('2026-03-01T00:00:00.000Z');

const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const rp = (n: number) => `rp-20260101T000000000Z-${String(n).padStart(6, '0')}`;

function snapshot(
  snapshotId: string,
  ageDays: number,
  recoveryPointId: string | undefined,
  managed = true,
): RetentionSnapshot {
  return {
    snapshotId,
    region: 'us-east-1',
    startTime: daysAgo(ageDays),
    managed,
    ...(recoveryPointId ? { recoveryPointId } : {}),
  };
}

describe('planRetention', () => {
  it('deletes recovery points past the retention days and their snapshots, keeping the newest minRecoveryPoints', () => {
    const plan = planRetention({
      recoveryPoints: [
        { id: rp(1), createdAt: daysAgo(50) },
        { id: rp(2), createdAt: daysAgo(40) },
        { id: rp(3), createdAt: daysAgo(38) },
        { id: rp(4), createdAt: daysAgo(1) },
      ],
      snapshots: [snapshot('snap-1', 50, rp(1)), snapshot('snap-2', 40, rp(2)), snapshot('snap-4', 1, rp(4))],
      retentionDays: 35,
      minRecoveryPoints: 2,
      now: NOW,
    });

    expect(plan.keepRecoveryPoints).toEqual([rp(4), rp(3)]);
    expect(plan.deleteRecoveryPoints).toEqual([rp(1), rp(2)]);
    expect(plan.deleteSnapshots.map((s) => s.snapshotId)).toEqual(['snap-1', 'snap-2']);
    expect(plan.keepSnapshots.map((s) => s.snapshotId)).toEqual(['snap-4']);
    expect(plan.cutoff).toBe(daysAgo(35));
  });

  it('keeps a young snapshot of a recovery point that is not committed (a backup still running)', () => {
    const plan = planRetention({
      recoveryPoints: [],
      snapshots: [snapshot('snap-running', 0.01, rp(9)), snapshot('snap-orphan', 60, rp(8))],
      retentionDays: 35,
      minRecoveryPoints: 1,
      now: NOW,
    });

    expect(plan.keepSnapshots.map((s) => s.snapshotId)).toEqual(['snap-running']);
    expect(plan.deleteSnapshots.map((s) => s.snapshotId)).toEqual(['snap-orphan']);
  });

  it('never deletes the recovery point just committed, nor a snapshot that is not Lifeboat’s', () => {
    const plan = planRetention({
      recoveryPoints: [
        { id: rp(1), createdAt: daysAgo(90) },
        { id: rp(2), createdAt: daysAgo(1) },
      ],
      snapshots: [snapshot('snap-1', 90, rp(1)), snapshot('snap-foreign', 400, undefined, false)],
      retentionDays: 35,
      minRecoveryPoints: 1,
      now: NOW,
      justCommitted: rp(1),
    });

    expect(plan.deleteRecoveryPoints).toEqual([]);
    expect(plan.deleteSnapshots).toEqual([]);
  });

  it('breaks a tie in age by id when choosing the newest minRecoveryPoints (fast-check counterexample)', () => {
    const plan = planRetention({
      recoveryPoints: [
        { id: rp(7), createdAt: daysAgo(50) },
        { id: rp(3), createdAt: daysAgo(50) },
        { id: rp(5), createdAt: daysAgo(60) },
      ],
      snapshots: [],
      retentionDays: 35,
      minRecoveryPoints: 1,
      now: NOW,
    });

    expect(plan.keepRecoveryPoints).toEqual([rp(7)]);
    expect(plan.deleteRecoveryPoints).toEqual([rp(5), rp(3)]);
  });

  const scenario = fc.record({
    points: fc.array(
      fc.record({
        n: fc.integer({ min: 1, max: 999_999 }),
        age: fc.double({ min: 0, max: 120, noNaN: true }),
      }),
      {
        maxLength: 25,
      },
    ),
    snapshots: fc.array(
      fc.record({
        rpIndex: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
        age: fc.double({ min: 0, max: 120, noNaN: true }),
        managed: fc.boolean(),
      }),
      { maxLength: 40 },
    ),
    days: fc.integer({ min: 1, max: 60 }),
    min: fc.integer({ min: 1, max: 10 }),
    committed: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  });

  it('never deletes a snapshot a kept recovery point names, nor the newest minRecoveryPoints, and deletes what is old and unreferenced', () => {
    fc.assert(
      fc.property(scenario, ({ points, snapshots, days, min, committed }) => {
        const unique = [...new Map(points.map((p) => [p.n, p])).values()];
        const recoveryPoints = unique.map((p) => ({ id: rp(p.n), createdAt: daysAgo(p.age) }));
        const ids = recoveryPoints.map((r) => r.id);
        const idAt = (i: number | undefined) => (i === undefined ? undefined : (ids[i] ?? rp(1_000_000 + i)));
        const snaps = snapshots.map((s, i) => snapshot(`snap-${i}`, s.age, idAt(s.rpIndex), s.managed));
        const justCommitted = idAt(committed);
        const plan = planRetention({
          recoveryPoints,
          snapshots: snaps,
          retentionDays: days,
          minRecoveryPoints: min,
          now: NOW,
          ...(justCommitted ? { justCommitted } : {}),
        });

        const kept = new Set([...plan.keepRecoveryPoints, ...(justCommitted ? [justCommitted] : [])]);
        const deleted = new Set(plan.deleteSnapshots.map((s) => s.snapshotId));
        // Every recovery point and snapshot is decided exactly once.
        expect(plan.keepRecoveryPoints.length + plan.deleteRecoveryPoints.length).toBe(recoveryPoints.length);
        expect(plan.keepSnapshots.length + plan.deleteSnapshots.length).toBe(snaps.length);
        // Never a snapshot a kept recovery point names, never one that is not Lifeboat's.
        for (const s of plan.deleteSnapshots) {
          expect(s.managed).toBe(true);
          if (s.recoveryPointId) expect(kept.has(s.recoveryPointId)).toBe(false);
        }
        // Never the newest minRecoveryPoints, never the one just committed.
        // Ties in age are broken as planRetention documents it: the larger id counts as newer.
        const newest = [...recoveryPoints]
          .sort(
            (a, b) =>
              Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
          )
          .slice(0, min)
          .map((r) => r.id);
        for (const id of newest) expect(plan.deleteRecoveryPoints).not.toContain(id);
        if (justCommitted) expect(plan.deleteRecoveryPoints).not.toContain(justCommitted);
        // Everything past the cutoff and not protected goes.
        const cutoff = Date.parse(plan.cutoff);
        for (const r of recoveryPoints) {
          const protectedPoint = newest.includes(r.id) || r.id === justCommitted;
          if (!protectedPoint && Date.parse(r.createdAt) < cutoff)
            expect(plan.deleteRecoveryPoints).toContain(r.id);
          if (Date.parse(r.createdAt) >= cutoff) expect(plan.keepRecoveryPoints).toContain(r.id);
        }
        for (const s of snaps) {
          const referenced = s.recoveryPointId !== undefined && kept.has(s.recoveryPointId);
          if (s.managed && !referenced && Date.parse(s.startTime) < cutoff)
            expect(deleted.has(s.snapshotId)).toBe(true);
          if (Date.parse(s.startTime) >= cutoff) expect(deleted.has(s.snapshotId)).toBe(false);
        }
      }),
    );
  });
});
