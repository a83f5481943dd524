import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../../src/catalog/errors';
import {
  mergePin,
  PIN_PREFIX,
  type Pin,
  parsePin,
  parsePinKey,
  pinKey,
  pinRecordSchema,
  replacedPins,
  samePin,
} from '../../../src/catalog/pins';

const RP1 = 'rp-20260101T000000000Z-aaaaaa';
const RP2 = 'rp-20260102T000000000Z-bbbbbb';
const RP3 = 'rp-20260103T000000000Z-cccccc';
const AT = new Date('2026-01-05T10:00:00.000Z');

function pin(id: string, services: string[], extra: Partial<Pin> = {}): Pin {
  return { recoveryPointId: id, pinnedAt: AT.toISOString(), executions: ['x'], services, ...extra };
}

describe('pin keys', () => {
  it('puts one record per recovery point under pins/ and parses it back', () => {
    expect(PIN_PREFIX).toBe('pins/');
    expect(pinKey(RP1)).toBe(`pins/${RP1}.json`);
    expect(parsePinKey(pinKey(RP1))).toBe(RP1);
  });

  it('refuses what is not a recovery point id', () => {
    expect(() => pinKey('rp-yesterday')).toThrow(ManifestError);
    expect(() => pinKey('../recovery-points/x')).toThrow(ManifestError);
    for (const key of ['pins/x.json', `pins/${RP1}`, `pins/${RP1}.json.bak`, `other/${RP1}.json`]) {
      expect(parsePinKey(key)).toBeUndefined();
    }
  });
});

describe('parsePin', () => {
  it('reads a valid record', () => {
    const record = pin(RP1, ['shop/web']);
    expect(parsePin(JSON.stringify(record), RP1)).toEqual(record);
  });

  it.each([
    ['not JSON', '{nope', /not valid JSON/],
    ['an unknown field (strict schema)', JSON.stringify({ ...pin(RP1, []), extra: 1 }), /schema/],
    ['a service that is not cluster/service', JSON.stringify(pin(RP1, ['web'])), /services/],
    ['no pinnedAt', JSON.stringify({ recoveryPointId: RP1, executions: [], services: [] }), /pinnedAt/],
    ['another recovery point', JSON.stringify(pin(RP2, ['shop/web'])), new RegExp(RP2)],
    ['an empty body', '', /not valid JSON/],
  ])('returns a record with %s as damaged: still pinned, no services', (_name, text, problem) => {
    const stored = new Date('2026-01-04T00:00:00.000Z');
    const parsed = parsePin(text, RP1, stored);
    expect(parsed).toMatchObject({
      recoveryPointId: RP1,
      damaged: true,
      services: [],
      executions: [],
      pinnedAt: stored.toISOString(),
    });
    expect(parsed.problem).toMatch(problem);
  });
});

describe('mergePin', () => {
  it('creates a record with the first pin time, the execution and the services (sorted, unique)', () => {
    const record = mergePin(undefined, RP1, {
      execution: 'e1',
      services: ['shop/web', 'payments/ledger', 'shop/web'],
      at: AT,
    });
    expect(record).toEqual({
      recoveryPointId: RP1,
      pinnedAt: AT.toISOString(),
      executions: ['e1'],
      services: ['payments/ledger', 'shop/web'],
    });
    expect(pinRecordSchema.parse(record)).toEqual(record);
  });

  it('adds to an existing record and keeps its first pin time; the same pin again changes nothing', () => {
    const first = mergePin(undefined, RP1, { execution: 'e1', services: ['shop/web'], at: AT });
    const later = new Date(AT.getTime() + 60_000);
    const second = mergePin(first, RP1, { execution: 'e2', services: ['shop/api', 'shop/web'], at: later });
    expect(second).toEqual({
      recoveryPointId: RP1,
      pinnedAt: AT.toISOString(),
      executions: ['e1', 'e2'],
      services: ['shop/api', 'shop/web'],
    });
    expect(
      samePin(second, mergePin(second, RP1, { execution: 'e2', services: ['shop/web'], at: later })),
    ).toBe(true);
    expect(samePin(first, second)).toBe(false);
  });

  it('a pin by hand names no execution and no service', () => {
    expect(mergePin(undefined, RP1, { at: AT })).toEqual({
      recoveryPointId: RP1,
      pinnedAt: AT.toISOString(),
      executions: [],
      services: [],
    });
  });

  it('replaces a damaged record (never counted as the same)', () => {
    const damaged = parsePin('garbage', RP1);
    const record = mergePin(damaged, RP1, { execution: 'e1', services: ['shop/web'], at: AT });
    expect(record).toEqual({
      recoveryPointId: RP1,
      pinnedAt: AT.toISOString(),
      executions: ['e1'],
      services: ['shop/web'],
    });
    expect(samePin(damaged, { ...damaged, executions: [], services: [] })).toBe(false);
  });
});

describe('replacedPins', () => {
  const restored = ['shop/api', 'shop/cache', 'shop/web'];

  it('releases the pins whose services the restore restored, every one', () => {
    const pins = [pin(RP1, ['shop/web']), pin(RP2, ['shop/api', 'shop/cache'])];
    expect(replacedPins(pins, restored, RP3)).toEqual([RP1, RP2]);
  });

  it('keeps a pin with a service the restore did not restore', () => {
    expect(replacedPins([pin(RP1, ['shop/web', 'payments/ledger'])], restored, RP3)).toEqual([]);
  });

  it('never releases the recovery point just used, a damaged pin or a pin by hand', () => {
    const pins = [
      pin(RP3, ['shop/web']),
      { ...pin(RP1, []), damaged: true as const, problem: 'x' },
      pin(RP2, [], { executions: [] }),
    ];
    expect(replacedPins(pins, restored, RP3)).toEqual([]);
  });
});
