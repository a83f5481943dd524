import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findOrphanedRuns,
  isoWeekOf,
  planRetention,
  type RecordedSnapshot,
  type RetentionPlan,
  type RetentionPoint,
  type RetentionPolicy,
  retentionPolicyOf,
  type SnapshotNow,
  selectSnapshotsToDelete,
  snapshotRef,
} from '../../../src/catalog/retention';

/**
 * Property runs use a fixed seed (override with FC_SEED=<n> to explore others); on failure
 * fast-check prints the seed and the path of the shrunk counterexample, so
 * `fc.assert(..., { seed, path })` replays it.
 */
const SEED = process.env.FC_SEED === undefined ? 20260301 : Number(process.env.FC_SEED);
const params = (numRuns: number) => ({ seed: SEED, numRuns, verbose: 1 as const });

const DAY = 86_400_000;
const NOW = new Date('2026-03-01T00:00:00.000Z');

const at = (iso: string) => new Date(iso).toISOString();
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

/** A valid recovery point id for that instant. */
function idAt(createdAt: string, suffix: number): string {
  const stamp = createdAt.replace(/[-:]/g, '').replace('.', '');
  return `rp-${stamp}-${suffix.toString(16).padStart(6, '0')}`;
}

let counter = 0;
function point(createdAt: string, options: Partial<Omit<RetentionPoint, 'createdAt'>> = {}): RetentionPoint {
  counter += 1;
  return {
    id: options.id ?? idAt(createdAt, counter),
    createdAt,
    status: options.status ?? 'complete',
    verified: options.verified ?? true,
    pinned: options.pinned ?? false,
  };
}

const POLICY: RetentionPolicy = {
  keepWithinDays: 35,
  keepLast: 3,
  daily: 0,
  weekly: 0,
  monthly: 0,
  yearly: 0,
};
const policy = (overrides: Partial<RetentionPolicy>): RetentionPolicy => ({ ...POLICY, ...overrides });

const keptIds = (plan: RetentionPlan) => plan.keep.map((d) => d.id);
const removedIds = (plan: RetentionPlan) => plan.remove.map((d) => d.id);
const reasonsOf = (plan: RetentionPlan, id: string) => plan.keep.find((d) => d.id === id)?.reasons;

describe('retentionPolicyOf', () => {
  it('maps days onto keepWithinDays and minRecoveryPoints onto keepLast', () => {
    expect(
      retentionPolicyOf({ days: 35, minRecoveryPoints: 3, daily: 7, weekly: 4, monthly: 12, yearly: 2 }),
    ).toEqual({ keepWithinDays: 35, keepLast: 3, daily: 7, weekly: 4, monthly: 12, yearly: 2 });
  });

  it('keeps no periods when the config names none', () => {
    expect(retentionPolicyOf({ days: 10, minRecoveryPoints: 1 })).toEqual({
      keepWithinDays: 10,
      keepLast: 1,
      daily: 0,
      weekly: 0,
      monthly: 0,
      yearly: 0,
    });
  });
});

describe('planRetention', () => {
  it('keeps the only complete point when newer ones are partial (the issue’s reproduction)', () => {
    const complete = point(daysAgo(40));
    const partials = [1, 2, 3].map((d) => point(daysAgo(d), { status: 'partial' }));
    const plan = planRetention({
      points: [complete, ...partials],
      policy: policy({ keepWithinDays: 35, keepLast: 3 }),
      now: NOW,
    });

    expect(plan.newestComplete).toBe(complete.id);
    expect(reasonsOf(plan, complete.id)).toEqual(['newest-complete', 'last']);
    for (const p of partials) expect(reasonsOf(plan, p.id)).toEqual(['within-days']);
    expect(keptIds(plan)).toEqual([partials[0]?.id, partials[1]?.id, partials[2]?.id, complete.id]);
    expect(plan.remove).toEqual([]);
    expect(plan.cutoff).toBe(daysAgo(35));
  });

  it('does not let partial points take the place of complete ones in keepLast', () => {
    const completes = [50, 60, 70].map((d) => point(daysAgo(d)));
    const oldPartials = [40, 41].map((d) => point(daysAgo(d), { status: 'partial' }));
    const plan = planRetention({
      points: [...completes, ...oldPartials],
      policy: policy({ keepWithinDays: 35, keepLast: 2 }),
      now: NOW,
    });

    expect(keptIds(plan)).toEqual([completes[0]?.id, completes[1]?.id]);
    expect(plan.remove.map((d) => [d.id, d.removeReason])).toEqual([
      [completes[2]?.id, 'expired'],
      [oldPartials[1]?.id, 'expired-partial'],
      [oldPartials[0]?.id, 'expired-partial'],
    ]);
  });

  it('does not count a corrupted or unverified newest point: the older good one stays newest-complete', () => {
    const good = point(daysAgo(50));
    const tampered = point(daysAgo(45), { verified: false });
    const unverifiedRecent = point(daysAgo(1), { verified: false });
    const plan = planRetention({
      points: [unverifiedRecent, good, tampered],
      policy: policy({ keepWithinDays: 35, keepLast: 1 }),
      now: NOW,
    });

    expect(plan.newestComplete).toBe(good.id);
    expect(reasonsOf(plan, good.id)).toEqual(['newest-complete', 'last']);
    expect(reasonsOf(plan, unverifiedRecent.id)).toEqual(['within-days']);
    expect(plan.remove.map((d) => [d.id, d.removeReason])).toEqual([[tampered.id, 'expired-unverified']]);
  });

  it('marks an unverified partial point as expired-unverified', () => {
    const good = point(daysAgo(2));
    const bad = point(daysAgo(90), { status: 'partial', verified: false });
    const plan = planRetention({ points: [good, bad], policy: POLICY, now: NOW });
    expect(plan.remove).toEqual([
      {
        id: bad.id,
        createdAt: bad.createdAt,
        status: 'partial',
        verified: false,
        keep: false,
        reasons: [],
        removeReason: 'expired-unverified',
      },
    ]);
  });

  it('always keeps the newest good point, however old and whatever the policy', () => {
    const ancient = point(daysAgo(4000));
    const older = point(daysAgo(5000));
    const plan = planRetention({
      points: [older, ancient],
      policy: { keepWithinDays: 0, keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
      now: NOW,
    });
    expect(keptIds(plan)).toEqual([ancient.id]);
    expect(reasonsOf(plan, ancient.id)).toEqual(['newest-complete']);
    expect(removedIds(plan)).toEqual([older.id]);
  });

  it('has no newestComplete when no point is good', () => {
    const plan = planRetention({
      points: [point(daysAgo(50), { status: 'partial' }), point(daysAgo(60), { verified: false })],
      policy: POLICY,
      now: NOW,
    });
    expect(plan.newestComplete).toBeUndefined();
    expect(plan.keep).toEqual([]);
    expect(plan.remove.map((d) => d.removeReason)).toEqual(['expired-unverified', 'expired-partial']);
  });

  it('keeps the newest keepLast good points and removes older ones, oldest first', () => {
    const points = [40, 41, 42, 43, 44].map((d) => point(daysAgo(d)));
    const plan = planRetention({ points, policy: policy({ keepLast: 3 }), now: NOW });
    expect(keptIds(plan)).toEqual(points.slice(0, 3).map((p) => p.id));
    expect(reasonsOf(plan, points[1]?.id ?? '')).toEqual(['last']);
    expect(removedIds(plan)).toEqual([points[4]?.id, points[3]?.id]);
  });

  it('keeps every point created at or after the cutoff, and none created a millisecond before', () => {
    const cutoff = NOW.getTime() - 35 * DAY;
    const onCutoff = point(new Date(cutoff).toISOString(), { status: 'partial' });
    const justBefore = point(new Date(cutoff - 1).toISOString(), { status: 'partial' });
    const good = point(daysAgo(1));
    const plan = planRetention({ points: [justBefore, onCutoff, good], policy: POLICY, now: NOW });
    expect(reasonsOf(plan, onCutoff.id)).toEqual(['within-days']);
    expect(removedIds(plan)).toEqual([justBefore.id]);
  });

  it('keeps pinned points and the point just committed, whatever their status or age', () => {
    const good = point(daysAgo(1));
    const pinned = point(daysAgo(300), { status: 'partial', pinned: true });
    const committed = point(daysAgo(200), { verified: false });
    const plan = planRetention({
      points: [good, pinned, committed],
      policy: POLICY,
      now: NOW,
      justCommitted: committed.id,
    });
    expect(reasonsOf(plan, pinned.id)).toEqual(['pinned']);
    expect(reasonsOf(plan, committed.id)).toEqual(['just-committed']);
    expect(plan.remove).toEqual([]);
  });

  it('lists every reason that keeps a point', () => {
    const p = point(daysAgo(1), { pinned: true });
    const plan = planRetention({
      points: [p],
      policy: policy({ daily: 1, weekly: 1, monthly: 1, yearly: 1 }),
      now: NOW,
      justCommitted: p.id,
    });
    expect(reasonsOf(plan, p.id)).toEqual([
      'newest-complete',
      'last',
      'within-days',
      'daily',
      'weekly',
      'monthly',
      'yearly',
      'pinned',
      'just-committed',
    ]);
  });

  it('breaks a tie in createdAt by id (the larger is newer), whatever the input order', () => {
    const createdAt = daysAgo(50);
    const a = point(createdAt, { id: idAt(createdAt, 0x7) });
    const b = point(createdAt, { id: idAt(createdAt, 0x3) });
    const c = point(daysAgo(60), { id: idAt(daysAgo(60), 0x5) });
    const forward = planRetention({ points: [a, b, c], policy: policy({ keepLast: 1 }), now: NOW });
    const backward = planRetention({ points: [c, b, a], policy: policy({ keepLast: 1 }), now: NOW });
    expect(keptIds(forward)).toEqual([a.id]);
    expect(removedIds(forward)).toEqual([c.id, b.id]);
    expect(backward).toEqual(forward);
  });

  it('daily: the newest good point of each of the last N days that have one', () => {
    const now = new Date('2026-03-10T12:00:00.000Z');
    const p = {
      mar9late: point(at('2026-03-09T23:00:00Z')),
      mar9early: point(at('2026-03-09T01:00:00Z')),
      mar8partial: point(at('2026-03-08T12:00:00Z'), { status: 'partial' }),
      mar7tampered: point(at('2026-03-07T12:00:00Z'), { verified: false }),
      mar6: point(at('2026-03-06T12:00:00Z')),
      mar5late: point(at('2026-03-05T20:00:00Z')),
      mar5early: point(at('2026-03-05T08:00:00Z')),
      mar4: point(at('2026-03-04T12:00:00Z')),
    };
    const plan = planRetention({
      points: Object.values(p),
      policy: { keepWithinDays: 0, keepLast: 1, daily: 3, weekly: 0, monthly: 0, yearly: 0 },
      now,
    });
    // Mar 8 and Mar 7 have no good point: they do not use up the three days.
    expect(keptIds(plan)).toEqual([p.mar9late.id, p.mar6.id, p.mar5late.id]);
    expect(reasonsOf(plan, p.mar9late.id)).toEqual(['newest-complete', 'last', 'daily']);
    expect(reasonsOf(plan, p.mar6.id)).toEqual(['daily']);
    expect(removedIds(plan)).toEqual([
      p.mar4.id,
      p.mar5early.id,
      p.mar7tampered.id,
      p.mar8partial.id,
      p.mar9early.id,
    ]);
  });

  it('daily: days are UTC days', () => {
    const now = new Date('2026-03-10T12:00:00.000Z');
    const before = point(at('2026-03-09T23:59:59.999Z'));
    const after = point(at('2026-03-10T00:00:00.000Z'));
    const plan = planRetention({
      points: [before, after],
      policy: { keepWithinDays: 0, keepLast: 0, daily: 2, weekly: 0, monthly: 0, yearly: 0 },
      now,
    });
    expect(keptIds(plan)).toEqual([after.id, before.id]);
  });

  it('knows ISO weeks: 2026-12-31 and 2027-01-01 are in 2026-W53', () => {
    expect(isoWeekOf(new Date('2026-12-28T00:00:00Z'))).toBe('2026-W53');
    expect(isoWeekOf(new Date('2026-12-31T12:00:00Z'))).toBe('2026-W53');
    expect(isoWeekOf(new Date('2027-01-01T00:00:00Z'))).toBe('2026-W53');
    expect(isoWeekOf(new Date('2027-01-03T23:59:59.999Z'))).toBe('2026-W53');
    expect(isoWeekOf(new Date('2027-01-04T00:00:00Z'))).toBe('2027-W01');
    expect(isoWeekOf(new Date('2025-12-29T00:00:00Z'))).toBe('2026-W01');
    expect(isoWeekOf(new Date('2025-12-28T23:59:59Z'))).toBe('2025-W52');
    expect(isoWeekOf(new Date('2026-03-01T00:00:00Z'))).toBe('2026-W09');
  });

  it('changes ISO week exactly on Mondays (UTC)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -20_000, max: 40_000 }), (day) => {
        const today = new Date(day * DAY);
        const tomorrow = new Date((day + 1) * DAY);
        const week = isoWeekOf(today);
        expect(isoWeekOf(new Date(day * DAY + DAY - 1))).toBe(week);
        expect(isoWeekOf(tomorrow) !== week).toBe(tomorrow.getUTCDay() === 1);
        const n = Number(week.slice(-2));
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(53);
      }),
      params(2000),
    );
  });

  it('weekly: uses the ISO week-year across the new year, yearly the calendar year', () => {
    const now = new Date('2027-01-10T00:00:00.000Z');
    const p = {
      jan5: point(at('2027-01-05T00:00:00Z')), // 2027-W01
      jan1: point(at('2027-01-01T00:00:00Z')), // 2026-W53, year 2027
      dec31: point(at('2026-12-31T00:00:00Z')), // 2026-W53, year 2026
      dec28: point(at('2026-12-28T00:00:00Z')), // 2026-W53
      dec27: point(at('2026-12-27T00:00:00Z')), // 2026-W52
    };
    const none = { keepWithinDays: 0, keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };
    const weekly = planRetention({ points: Object.values(p), policy: { ...none, weekly: 2 }, now });
    expect(keptIds(weekly)).toEqual([p.jan5.id, p.jan1.id]);
    expect(reasonsOf(weekly, p.jan1.id)).toEqual(['weekly']);

    const weekly3 = planRetention({ points: Object.values(p), policy: { ...none, weekly: 3 }, now });
    expect(keptIds(weekly3)).toEqual([p.jan5.id, p.jan1.id, p.dec27.id]);

    const yearly = planRetention({ points: Object.values(p), policy: { ...none, yearly: 2 }, now });
    expect(keptIds(yearly)).toEqual([p.jan5.id, p.dec31.id]);
    expect(reasonsOf(yearly, p.dec31.id)).toEqual(['yearly']);
  });

  it('weekly: a week without a good point does not use up N', () => {
    const now = new Date('2026-03-20T00:00:00.000Z');
    const thisWeek = point(at('2026-03-17T00:00:00Z'), { status: 'partial' }); // W12
    const lastWeek = point(at('2026-03-10T00:00:00Z'), { verified: false }); // W11
    const w10 = point(at('2026-03-04T00:00:00Z')); // W10
    const w09 = point(at('2026-02-24T00:00:00Z')); // W09
    const w08 = point(at('2026-02-17T00:00:00Z')); // W08
    const plan = planRetention({
      points: [thisWeek, lastWeek, w10, w09, w08],
      policy: { keepWithinDays: 0, keepLast: 0, daily: 0, weekly: 2, monthly: 0, yearly: 0 },
      now,
    });
    expect(keptIds(plan)).toEqual([w10.id, w09.id]);
    expect(removedIds(plan)).toEqual([w08.id, lastWeek.id, thisWeek.id]);
  });

  it('monthly: the newest good point of each of the last N months that have one', () => {
    const now = new Date('2026-04-15T00:00:00.000Z');
    const p = {
      apr: point(at('2026-04-01T00:00:00Z')),
      mar31: point(at('2026-03-31T23:59:59.999Z')),
      mar1: point(at('2026-03-01T00:00:00Z')),
      feb: point(at('2026-02-15T00:00:00Z'), { status: 'partial' }),
      jan31: point(at('2026-01-31T00:00:00Z')),
      jan2: point(at('2026-01-02T00:00:00Z')),
      dec: point(at('2025-12-31T00:00:00Z')),
    };
    const plan = planRetention({
      points: Object.values(p),
      policy: { keepWithinDays: 0, keepLast: 0, daily: 0, weekly: 0, monthly: 3, yearly: 0 },
      now,
    });
    expect(keptIds(plan)).toEqual([p.apr.id, p.mar31.id, p.jan31.id]);
    expect(reasonsOf(plan, p.jan31.id)).toEqual(['monthly']);
  });

  it('yearly: the newest good point of each of the last N years that have one', () => {
    const p = {
      y2026: point(at('2026-02-01T00:00:00Z')),
      y2025late: point(at('2025-12-31T23:59:59.999Z')),
      y2025early: point(at('2025-01-01T00:00:00Z')),
      y2024partial: point(at('2024-06-01T00:00:00Z'), { status: 'partial' }),
      y2023: point(at('2023-06-01T00:00:00Z')),
      y2022: point(at('2022-06-01T00:00:00Z')),
    };
    const plan = planRetention({
      points: Object.values(p),
      policy: { keepWithinDays: 0, keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 3 },
      now: NOW,
    });
    expect(keptIds(plan)).toEqual([p.y2026.id, p.y2025late.id, p.y2023.id]);
    expect(removedIds(plan)).toEqual([p.y2022.id, p.y2024partial.id, p.y2025early.id]);
  });

  it('combines the rules (grandfather-father-son)', () => {
    const now = new Date('2026-03-10T12:00:00.000Z');
    // One good point a day at noon from 2025-12-01 to 2026-03-10.
    const points: RetentionPoint[] = [];
    for (let t = Date.parse('2025-12-01T12:00:00Z'); t <= now.getTime(); t += DAY) {
      points.push(point(new Date(t).toISOString()));
    }
    const plan = planRetention({
      points,
      policy: { keepWithinDays: 2, keepLast: 1, daily: 3, weekly: 2, monthly: 2, yearly: 2 },
      now,
    });
    expect(plan.keep.map((d) => [d.createdAt.slice(0, 10), d.reasons])).toEqual([
      ['2026-03-10', ['newest-complete', 'last', 'within-days', 'daily', 'weekly', 'monthly', 'yearly']],
      ['2026-03-09', ['within-days', 'daily']],
      ['2026-03-08', ['within-days', 'daily', 'weekly']], // a Sunday: the end of W10
      ['2026-02-28', ['monthly']],
      ['2025-12-31', ['yearly']],
    ]);
    expect(plan.remove).toHaveLength(points.length - 5);
  });

  describe('properties', () => {
    const instant = fc.oneof(
      { arbitrary: fc.integer({ min: -2 * DAY, max: 800 * DAY }), weight: 6 },
      { arbitrary: fc.constantFrom('cutoff' as const, 'before-cutoff' as const), weight: 1 },
    );
    const scenario = fc.record({
      // A few instants shared by several points: ties in createdAt on purpose.
      instants: fc.array(instant, { minLength: 1, maxLength: 10 }),
      points: fc.uniqueArray(
        fc.record({
          suffix: fc.integer({ min: 0, max: 0xffffff }),
          slot: fc.nat(),
          status: fc.constantFrom('complete' as const, 'partial' as const),
          verified: fc.boolean(),
          pinned: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
        }),
        { selector: (p) => p.suffix, maxLength: 30 },
      ),
      policy: fc.record({
        keepWithinDays: fc.integer({ min: 0, max: 60 }),
        keepLast: fc.integer({ min: 0, max: 6 }),
        daily: fc.integer({ min: 0, max: 10 }),
        weekly: fc.integer({ min: 0, max: 6 }),
        monthly: fc.integer({ min: 0, max: 4 }),
        yearly: fc.integer({ min: 0, max: 3 }),
      }),
      committed: fc.option(fc.nat(), { nil: undefined }),
      shuffle: fc.integer(),
    });

    type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

    function build(s: Scenario) {
      const cutoffAge = s.policy.keepWithinDays * DAY;
      const ages = s.instants.map((i) =>
        i === 'cutoff' ? cutoffAge : i === 'before-cutoff' ? cutoffAge + 1 : i,
      );
      const points: RetentionPoint[] = s.points.map((p) => {
        const createdAt = new Date(NOW.getTime() - (ages[p.slot % ages.length] ?? 0)).toISOString();
        return {
          id: idAt(createdAt, p.suffix),
          createdAt,
          status: p.status,
          verified: p.verified,
          pinned: p.pinned,
        };
      });
      const justCommitted =
        s.committed === undefined
          ? undefined
          : (points[s.committed % (points.length + 1)]?.id ?? 'rp-20990101T000000000Z-ffffff');
      return { points, justCommitted };
    }

    /** Deterministic Fisher-Yates with a small PRNG (mulberry32). */
    function shuffled<T>(items: readonly T[], seed: number): T[] {
      let state = seed >>> 0;
      const next = () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    }

    /** The order the module documents, written independently: newest first, larger id newer. */
    const newer = (a: RetentionPoint, b: RetentionPoint) =>
      Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
    const good = (p: RetentionPoint) => p.status === 'complete' && p.verified;

    function plan(points: readonly RetentionPoint[], s: { policy: RetentionPolicy }, justCommitted?: string) {
      return planRetention({
        points,
        policy: s.policy,
        now: NOW,
        ...(justCommitted === undefined ? {} : { justCommitted }),
      });
    }

    it('(a) always keeps the newest good point', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { points, justCommitted } = build(s);
          const result = plan(points, s, justCommitted);
          const newest = [...points].sort(newer).find(good);
          expect(result.newestComplete).toBe(newest?.id);
          if (newest) expect(reasonsOf(result, newest.id)).toContain('newest-complete');
          expect(result.keep.filter((d) => d.reasons.includes('newest-complete'))).toHaveLength(
            newest ? 1 : 0,
          );
        }),
        params(500),
      );
    });

    it('(b) decides every point exactly once, in an order that does not depend on the input’s', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { points, justCommitted } = build(s);
          const result = plan(points, s, justCommitted);
          const ids = [...keptIds(result), ...removedIds(result)];
          expect([...ids].sort()).toEqual(points.map((p) => p.id).sort());
          expect(new Set(ids).size).toBe(ids.length);
          const ordered = [...points].sort(newer).map((p) => p.id);
          const kept = new Set(keptIds(result));
          expect(keptIds(result)).toEqual(ordered.filter((id) => kept.has(id)));
          expect(removedIds(result)).toEqual(ordered.filter((id) => !kept.has(id)).reverse());
          expect(plan(shuffled(points, s.shuffle), s, justCommitted)).toEqual(result);
          expect(plan([...points].reverse(), s, justCommitted)).toEqual(result);
        }),
        params(500),
      );
    });

    it('(c) keeps each of the newest keepLast good points', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { points, justCommitted } = build(s);
          const result = plan(points, s, justCommitted);
          const last = [...points].sort(newer).filter(good).slice(0, s.policy.keepLast);
          for (const p of last) expect(reasonsOf(result, p.id)).toContain('last');
          expect(result.keep.filter((d) => d.reasons.includes('last'))).toHaveLength(last.length);
          for (const d of result.keep) {
            if (d.reasons.includes('last')) expect(d.status === 'complete' && d.verified).toBe(true);
          }
        }),
        params(500),
      );
    });

    it('(d) never removes a point younger than the cutoff, a pinned point or the one just committed', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { points, justCommitted } = build(s);
          const result = plan(points, s, justCommitted);
          const cutoff = NOW.getTime() - s.policy.keepWithinDays * DAY;
          expect(result.cutoff).toBe(new Date(cutoff).toISOString());
          const removed = new Set(removedIds(result));
          for (const p of points) {
            if (Date.parse(p.createdAt) >= cutoff) expect(removed.has(p.id)).toBe(false);
            if (p.pinned) expect(removed.has(p.id)).toBe(false);
            if (p.id === justCommitted) expect(removed.has(p.id)).toBe(false);
          }
        }),
        params(500),
      );
    });

    it('(e) removes only points no rule keeps, with the reason their status gives', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { points, justCommitted } = build(s);
          const result = plan(points, s, justCommitted);
          for (const d of result.keep) {
            expect(d.keep).toBe(true);
            expect(d.reasons.length).toBeGreaterThan(0);
            expect(d.removeReason).toBeUndefined();
          }
          for (const d of result.remove) {
            expect(d.keep).toBe(false);
            expect(d.reasons).toEqual([]);
            expect(d.removeReason).toBe(
              !d.verified ? 'expired-unverified' : d.status === 'partial' ? 'expired-partial' : 'expired',
            );
          }
        }),
        params(500),
      );
    });

    it('(f) is idempotent: planning the kept points again keeps them all, for the same reasons', () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { points, justCommitted } = build(s);
          const first = plan(points, s, justCommitted);
          const kept = new Set(keptIds(first));
          const second = plan(
            points.filter((p) => kept.has(p.id)),
            s,
            justCommitted,
          );
          expect(second.keep).toEqual(first.keep);
          expect(second.remove).toEqual([]);
        }),
        params(500),
      );
    });

    it('(g) keeps, per period rule, the newest good point of each of the N newest periods with one', () => {
      const keyOf = {
        daily: (d: Date) => d.toISOString().slice(0, 10),
        weekly: isoWeekOf,
        monthly: (d: Date) => d.toISOString().slice(0, 7),
        yearly: (d: Date) => d.toISOString().slice(0, 4),
      };
      fc.assert(
        fc.property(scenario, (s) => {
          const { points, justCommitted } = build(s);
          const result = plan(points, s, justCommitted);
          const goodNewestFirst = [...points].sort(newer).filter(good);
          for (const rule of ['daily', 'weekly', 'monthly', 'yearly'] as const) {
            const newestOfPeriod = new Map<string, string>();
            for (const p of goodNewestFirst) {
              const key = keyOf[rule](new Date(p.createdAt));
              if (!newestOfPeriod.has(key)) newestOfPeriod.set(key, p.id);
            }
            const expected = [...newestOfPeriod.entries()]
              .sort(([a], [b]) => (a < b ? 1 : -1))
              .slice(0, s.policy[rule])
              .map(([, id]) => id)
              .sort();
            const actual = result.keep
              .filter((d) => d.reasons.includes(rule))
              .map((d) => d.id)
              .sort();
            expect(actual).toEqual(expected);
          }
        }),
        params(500),
      );
    });
  });
});

describe('selectSnapshotsToDelete', () => {
  const DEPLOYMENT = 'dep-prod';
  const RP = 'rp-20260101T000000000Z-aaaaaa';
  const OTHER_RP = 'rp-20260201T000000000Z-bbbbbb';

  const rec = (snapshotId: string, recoveryPointId = RP, region = 'us-east-1'): RecordedSnapshot => ({
    region,
    snapshotId,
    recoveryPointId,
  });
  const live = (
    snapshotId: string,
    tags: { rp?: string; deployment?: string; role?: string } = {
      rp: RP,
      deployment: DEPLOYMENT,
      role: 'backup-source',
    },
    region = 'us-east-1',
  ): SnapshotNow => ({
    region,
    snapshotId,
    ...(tags.rp === undefined ? {} : { recoveryPointTag: tags.rp }),
    ...(tags.deployment === undefined ? {} : { deploymentTag: tags.deployment }),
    ...(tags.role === undefined ? {} : { roleTag: tags.role }),
  });
  const select = (recorded: RecordedSnapshot[], found: SnapshotNow[], kept: string[] = []) =>
    selectSnapshotsToDelete({ recorded, found, keptReferences: new Set(kept), deploymentId: DEPLOYMENT });

  it('names a snapshot region/snapshotId', () => {
    expect(snapshotRef({ region: 'eu-west-1', snapshotId: 'snap-1' })).toBe('eu-west-1/snap-1');
  });

  it('deletes a recorded snapshot whose tags match its record (source and DR copy)', () => {
    const copy = live('snap-2', { rp: RP, deployment: DEPLOYMENT, role: 'backup-copy' }, 'us-west-2');
    const result = select([rec('snap-1'), rec('snap-2', RP, 'us-west-2')], [live('snap-1'), copy]);
    expect(result.delete).toEqual([live('snap-1'), copy]);
    expect(result.skip).toEqual([]);
  });

  it('skips a snapshot tagged with another recovery point (a DR team copy of a restored volume)', () => {
    const result = select([rec('snap-1')], [live('snap-1', { rp: OTHER_RP, deployment: DEPLOYMENT })]);
    expect(result.delete).toEqual([]);
    expect(result.skip).toEqual([{ snapshot: rec('snap-1'), reason: 'not-ours' }]);
  });

  it('skips a snapshot with the role restored-volume or an unknown role, even with the right recovery point', () => {
    for (const role of ['restored-volume', 'something-else', '']) {
      const result = select([rec('snap-1')], [live('snap-1', { rp: RP, deployment: DEPLOYMENT, role })]);
      expect(result.delete).toEqual([]);
      expect(result.skip).toEqual([{ snapshot: rec('snap-1'), reason: 'not-ours' }]);
    }
  });

  it('skips a snapshot of another deployment', () => {
    for (const deployment of ['dep-staging', '']) {
      const result = select([rec('snap-1')], [live('snap-1', { rp: RP, deployment, role: 'backup-source' })]);
      expect(result.delete).toEqual([]);
      expect(result.skip).toEqual([{ snapshot: rec('snap-1'), reason: 'not-ours' }]);
    }
  });

  it('deletes a legacy snapshot (no deployment or role tag) whose recovery point matches', () => {
    const result = select([rec('snap-1')], [live('snap-1', { rp: RP })]);
    expect(result.delete).toEqual([live('snap-1', { rp: RP })]);
  });

  it('skips a snapshot with no recovery point tag', () => {
    const result = select(
      [rec('snap-1')],
      [live('snap-1', { deployment: DEPLOYMENT, role: 'backup-source' })],
    );
    expect(result.skip).toEqual([{ snapshot: rec('snap-1'), reason: 'not-ours' }]);
  });

  it('never deletes a snapshot a kept point names, even when its tags match', () => {
    const result = select([rec('snap-1')], [live('snap-1')], ['us-east-1/snap-1']);
    expect(result.delete).toEqual([]);
    expect(result.skip).toEqual([{ snapshot: rec('snap-1'), reason: 'kept-point-uses-it' }]);
  });

  it('skips a snapshot that is gone (found in another region does not count)', () => {
    const result = select([rec('snap-1')], [live('snap-1', undefined, 'us-west-2')]);
    expect(result.delete).toEqual([]);
    expect(result.skip).toEqual([{ snapshot: rec('snap-1'), reason: 'gone' }]);
  });

  it('deletes a snapshot recorded twice once, even when one record names another point', () => {
    const twice = select([rec('snap-1'), rec('snap-1')], [live('snap-1'), live('snap-1')]);
    expect(twice.delete).toEqual([live('snap-1')]);
    expect(twice.skip).toEqual([]);
    const byTwo = select([rec('snap-1', OTHER_RP), rec('snap-1', RP)], [live('snap-1')]);
    expect(byTwo.delete).toEqual([live('snap-1')]);
    expect(byTwo.skip).toEqual([]);
    const skippedTwice = select([rec('snap-9'), rec('snap-9')], []);
    expect(skippedTwice.skip).toEqual([{ snapshot: rec('snap-9'), reason: 'gone' }]);
  });

  it('never deletes a snapshot that only its tags name', () => {
    const result = select([], [live('snap-1'), live('snap-2')]);
    expect(result).toEqual({ delete: [], skip: [] });
  });

  it('never deletes anything outside recorded nor anything a kept point names', () => {
    const ids = fc.constantFrom('snap-1', 'snap-2', 'snap-3', 'snap-4', 'snap-5');
    const regions = fc.constantFrom('us-east-1', 'us-west-2');
    const rps = fc.constantFrom(RP, OTHER_RP);
    const recorded = fc.record({ region: regions, snapshotId: ids, recoveryPointId: rps });
    const found = fc.record({
      region: regions,
      snapshotId: ids,
      recoveryPointTag: fc.option(rps, { nil: undefined }),
      deploymentTag: fc.option(fc.constantFrom(DEPLOYMENT, 'dep-other'), { nil: undefined }),
      roleTag: fc.option(fc.constantFrom('backup-source', 'backup-copy', 'restored-volume', 'x'), {
        nil: undefined,
      }),
    });
    const kept = fc.array(
      fc.tuple(regions, ids).map(([region, id]) => `${region}/${id}`),
      { maxLength: 4 },
    );
    fc.assert(
      fc.property(
        fc.array(recorded, { maxLength: 12 }),
        fc.array(found, { maxLength: 12 }),
        kept,
        (rs, fs, ks) => {
          const clean = fs.map((f) =>
            Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)),
          ) as unknown as SnapshotNow[];
          const result = selectSnapshotsToDelete({
            recorded: rs,
            found: clean,
            keptReferences: new Set(ks),
            deploymentId: DEPLOYMENT,
          });
          const recordedRefs = new Set(rs.map(snapshotRef));
          const deleted = result.delete.map(snapshotRef);
          expect(new Set(deleted).size).toBe(deleted.length);
          for (const s of result.delete) {
            const ref = snapshotRef(s);
            expect(recordedRefs.has(ref)).toBe(true);
            expect(ks).not.toContain(ref);
            expect(rs.some((r) => snapshotRef(r) === ref && r.recoveryPointId === s.recoveryPointTag)).toBe(
              true,
            );
            expect([undefined, DEPLOYMENT]).toContain(s.deploymentTag);
            expect([undefined, 'backup-source', 'backup-copy']).toContain(s.roleTag);
          }
          // Every recorded snapshot is decided once.
          const decided = [...deleted, ...result.skip.map((k) => snapshotRef(k.snapshot))];
          expect([...decided].sort()).toEqual([...recordedRefs].sort());
        },
      ),
      params(1000),
    );
  });
});

describe('findOrphanedRuns', () => {
  const HOUR = 3_600_000;
  const now = new Date('2026-03-01T12:00:00.000Z');
  const id = (iso: string, suffix = 'abc123') => `rp-${iso.replace(/[-:]/g, '').replace('.', '')}-${suffix}`;
  const old = id('2026-03-01T06:00:00.000Z');
  const young = id('2026-03-01T11:00:00.000Z');
  const committed = id('2026-02-28T00:00:00.000Z');
  const orphans = (stagedIds: string[], extra: { current?: string; committedIds?: string[] } = {}) =>
    findOrphanedRuns({
      stagedIds,
      committedIds: new Set(extra.committedIds ?? []),
      now,
      runTimeoutMs: 2 * HOUR,
      ...(extra.current === undefined ? {} : { current: extra.current }),
    });

  it('finds staged runs that never committed and are certainly over', () => {
    expect(orphans([old, young, committed], { committedIds: [committed] })).toEqual([old]);
  });

  it('never names the run asking', () => {
    expect(orphans([old], { current: old })).toEqual([]);
  });

  it('waits until created + runTimeout is strictly past', () => {
    const boundary = id('2026-03-01T10:00:00.000Z');
    const justOver = id('2026-03-01T09:59:59.999Z');
    expect(orphans([boundary, justOver])).toEqual([justOver]);
  });

  it('ignores ids that are not recovery point ids', () => {
    expect(
      orphans(['not-an-id', 'rp-20261301T000000000Z-abc123', 'rp-20260230T000000000Z-abc123', '../x', old]),
    ).toEqual([old]);
  });

  it('returns the ids sorted and once each', () => {
    const older = id('2026-02-01T00:00:00.000Z', 'ffffff');
    expect(orphans([old, older, old, older])).toEqual([older, old].sort());
  });
});
