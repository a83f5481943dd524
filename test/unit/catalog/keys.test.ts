import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../../src/catalog/errors';
import {
  invertedTimestamp,
  newRecoveryPointId,
  parseRecoveryPointKey,
  parseRecoveryPointSummaryKey,
  RECOVERY_POINT_PREFIX,
  type RecoveryPointSummaryFields,
  recoveryPointKey,
  recoveryPointKeyPrefix,
  recoveryPointSummaryKey,
  recoveryPointTime,
  reportKey,
  stagingKey,
} from '../../../src/catalog/keys';
import { recoveryPointIdSchema } from '../../../src/catalog/manifest';

/** Instants a recovery point can have: millisecond precision, 2000 up to the inverted-timestamp limit (2286). */
const instant = fc.date({
  min: new Date('2000-01-01T00:00:00.000Z'),
  max: new Date(9_999_999_999_999),
  noInvalidDate: true,
});
const suffix = fc.string({
  unit: fc.constantFrom(...'0123456789abcdef'.split('')),
  minLength: 6,
  maxLength: 6,
});
const status = fc.constantFrom('complete' as const, 'partial' as const);

describe('newRecoveryPointId', () => {
  it('encodes the creation time to the millisecond and a random suffix', () => {
    expect(newRecoveryPointId(new Date('2026-03-14T09:15:00.123Z'), () => 'a1b2c3')).toBe(
      'rp-20260314T091500123Z-a1b2c3',
    );
  });

  it('makes valid, distinct ids with the default random suffix', () => {
    const now = new Date('2026-03-14T09:15:00.123Z');
    const ids = new Set(Array.from({ length: 50 }, () => newRecoveryPointId(now)));

    expect(ids.size).toBe(50);
    for (const id of ids) expect(recoveryPointIdSchema.safeParse(id).success).toBe(true);
  });
});

describe('recoveryPointTime', () => {
  it('round-trips the time encoded by newRecoveryPointId (property)', () => {
    fc.assert(
      fc.property(instant, suffix, (t, s) => {
        const id = newRecoveryPointId(t, () => s);
        expect(recoveryPointIdSchema.safeParse(id).success).toBe(true);
        expect(recoveryPointTime(id).getTime()).toBe(t.getTime());
      }),
    );
  });

  it.each([
    ['latest', 'not an id'],
    ['rp-20260230T000000000Z-abcdef', 'February 30'],
    ['rp-20261301T000000000Z-abcdef', 'month 13'],
    ['rp-20260101T250000000Z-abcdef', 'hour 25'],
    ['rp-20260101T000000000Z-ABCDEF', 'uppercase suffix'],
  ])('rejects %s (%s) with ManifestError', (id) => {
    expect(() => recoveryPointTime(id)).toThrow(ManifestError);
  });

  it('says what a recovery point id looks like', () => {
    expect(() => recoveryPointTime('rp-1')).toThrow('expected rp-20260101T000000000Z-abc123');
    expect(() => recoveryPointTime('rp-20260230T000000000Z-abcdef')).toThrow(
      '2026-02-30T00:00:00.000Z is not a real UTC time',
    );
  });
});

describe('recovery point keys', () => {
  it('lays a manifest out under recovery-points/ with an inverted timestamp, the id and the status', () => {
    expect(recoveryPointKey('rp-20260314T091500123Z-a1b2c3', 'complete')).toBe(
      `recovery-points/${9_999_999_999_999 - Date.parse('2026-03-14T09:15:00.123Z')}_rp-20260314T091500123Z-a1b2c3.complete.json`,
    );
  });

  it('pads the inverted timestamp to 13 digits', () => {
    expect(invertedTimestamp(9_999_999_999_999)).toBe('0000000000000');
    expect(invertedTimestamp(0)).toBe('9999999999999');
  });

  it('sorts a newer recovery point first (property: t1 < t2 ⇒ key(t2) < key(t1))', () => {
    fc.assert(
      fc.property(instant, instant, suffix, suffix, status, status, (a, b, s1, s2, st1, st2) => {
        fc.pre(a.getTime() !== b.getTime());
        const [t1, t2] = a < b ? [a, b] : [b, a];
        const older = recoveryPointKey(
          newRecoveryPointId(t1, () => s1),
          st1,
        );
        const newer = recoveryPointKey(
          newRecoveryPointId(t2, () => s2),
          st2,
        );
        expect(newer < older).toBe(true);
      }),
    );
  });

  it('round-trips the id and status through the key (property)', () => {
    fc.assert(
      fc.property(instant, suffix, status, (t, s, st) => {
        const id = newRecoveryPointId(t, () => s);
        const key = recoveryPointKey(id, st);
        expect(parseRecoveryPointKey(key)).toEqual({ id, status: st });
        expect(key.startsWith(recoveryPointKeyPrefix(id))).toBe(true);
        expect(key.startsWith(RECOVERY_POINT_PREFIX)).toBe(true);
      }),
    );
  });

  it('finds both statuses of one recovery point with one prefix, and no other recovery point', () => {
    const id = 'rp-20260314T091500123Z-a1b2c3';
    const other = 'rp-20260314T091500123Z-a1b2c4';

    expect(recoveryPointKey(id, 'partial').startsWith(recoveryPointKeyPrefix(id))).toBe(true);
    expect(recoveryPointKey(other, 'complete').startsWith(recoveryPointKeyPrefix(id))).toBe(false);
  });

  it.each([
    'recovery-points/',
    'recovery-points/8226314099876_rp-20260314T091500123Z-a1b2c3.json',
    'recovery-points/8226314099876_rp-20260314T091500123Z-a1b2c3.deleted.json',
    'recovery-points/822631409987_rp-20260314T091500123Z-a1b2c3.complete.json',
    'staging/rp-20260314T091500123Z-a1b2c3/services.json',
    'recovery-points/8226314099876_rp-20260314T091500123Z-a1b2c3.complete.json.tmp',
  ])('does not take %s for a manifest key', (key) => {
    expect(parseRecoveryPointKey(key)).toBeUndefined();
  });
});

describe('other catalog keys', () => {
  it('keeps a running backup’s parts under staging/<id>/', () => {
    expect(stagingKey('rp-20260314T091500123Z-a1b2c3', 'services')).toBe(
      'staging/rp-20260314T091500123Z-a1b2c3/services.json',
    );
  });

  it('sorts a newer restore report first (property)', () => {
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        fc.pre(a.getTime() !== b.getTime());
        const [t1, t2] = a < b ? [a, b] : [b, a];
        expect(reportKey(t2, 'drill') < reportKey(t1, 'drill')).toBe(true);
      }),
    );
  });
});

describe('recovery point summary keys', () => {
  const id = 'rp-20260314T091500123Z-a1b2c3';
  const fields: RecoveryPointSummaryFields = {
    id,
    status: 'partial',
    counts: { services: 6, taskDefinitions: 5, images: 4, errors: 1 },
    checksumPrefix: '0123456789abcdef',
  };
  const hex16 = fc.string({
    unit: fc.constantFrom(...'0123456789abcdef'.split('')),
    minLength: 16,
    maxLength: 16,
  });
  const count = fc.nat({ max: Number.MAX_SAFE_INTEGER });

  it('puts the counts and the checksum prefix in the key, beside the manifest and sorted right after it', () => {
    const key = recoveryPointSummaryKey(fields);
    expect(key).toBe(`${recoveryPointKeyPrefix(id)}partial.summary.s6.t5.i4.e1.c0123456789abcdef`);
    const manifest = recoveryPointKey(id, 'partial');
    expect(manifest < key).toBe(true);
    expect(parseRecoveryPointKey(key)).toBeUndefined();
    expect(parseRecoveryPointSummaryKey(manifest)).toBeUndefined();
  });

  it('round-trips every field through the key (property)', () => {
    fc.assert(
      fc.property(instant, suffix, status, count, count, count, count, hex16, (t, s, st, a, b, c, d, h) => {
        const f: RecoveryPointSummaryFields = {
          id: newRecoveryPointId(t, () => s),
          status: st,
          counts: { services: a, taskDefinitions: b, images: c, errors: d },
          checksumPrefix: h,
        };
        expect(parseRecoveryPointSummaryKey(recoveryPointSummaryKey(f))).toEqual(f);
      }),
    );
  });

  it('round-trips a 16-digit count (regression: the parser took at most 15 digits)', () => {
    const f = { ...fields, counts: { ...fields.counts, errors: 1_000_000_000_000_000 } };
    expect(parseRecoveryPointSummaryKey(recoveryPointSummaryKey(f))).toEqual(f);
  });

  it.each([
    ['a leading zero in a count', (k: string) => k.replace('.s6.', '.s06.')],
    ['a missing count', (k: string) => k.replace('.t5', '')],
    ['a short checksum', (k: string) => k.slice(0, -1)],
    ['an upper-case checksum', (k: string) => k.replace('0123456789abcdef', '0123456789ABCDEF')],
    ['a trailing suffix', (k: string) => `${k}.json`],
    ['an order prefix that is not its id’s time', (k: string) => k.replace(/\/\d/, '/9')],
    ['another status', (k: string) => k.replace('.partial.', '.pending.')],
  ])('does not parse a key with %s', (_what, alter) => {
    expect(parseRecoveryPointSummaryKey(alter(recoveryPointSummaryKey(fields)))).toBeUndefined();
  });

  it('refuses counts that are not non-negative integers and a checksum prefix that is not 16 hex digits', () => {
    expect(() => recoveryPointSummaryKey({ ...fields, counts: { ...fields.counts, images: -1 } })).toThrow(
      /images must be a non-negative integer/,
    );
    expect(() => recoveryPointSummaryKey({ ...fields, counts: { ...fields.counts, errors: 1.5 } })).toThrow(
      /errors must be a non-negative integer/,
    );
    expect(() => recoveryPointSummaryKey({ ...fields, checksumPrefix: 'abc' })).toThrow(
      /16 lowercase hex digits/,
    );
  });
});
