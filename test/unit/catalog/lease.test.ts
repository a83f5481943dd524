import { describe, expect, it } from 'vitest';
import { decideLease, type LeaseRecord, leaseDurationMs, parseLease } from '../../../src/catalog/lease';

const NOW = new Date('2026-12-02T12:00:00.000Z');

function lease(extra: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    execution: 'holder',
    recoveryPointId: 'rp-20261202T000000000Z-abc123',
    acquiredAt: '2026-12-02T11:00:00.000Z',
    expiresAt: '2026-12-02T13:00:00.000Z',
    ...extra,
  };
}

describe('decideLease', () => {
  it('takes a lease nobody holds', () => {
    expect(decideLease(undefined, 'me', NOW)).toEqual({ action: 'take', reason: 'free' });
  });

  it('refuses a live lease of another execution, naming it', () => {
    expect(decideLease(lease(), 'me', NOW)).toEqual({ action: 'refuse', holder: lease() });
  });

  it('renews the lease an execution holds already (a retried Prepare)', () => {
    expect(decideLease(lease(), 'holder', NOW)).toEqual({ action: 'renew' });
  });

  it('takes a released lease', () => {
    const released = lease({ releasedAt: '2026-12-02T11:30:00.000Z' });
    expect(decideLease(released, 'me', NOW)).toMatchObject({ action: 'take', reason: 'released' });
  });

  it('takes an expired lease (the holder crashed), at the instant it expires', () => {
    const expired = lease({ expiresAt: NOW.toISOString() });
    expect(decideLease(expired, 'me', NOW)).toMatchObject({
      action: 'take',
      reason: 'expired (held by holder)',
    });
    const oneMsLeft = lease({ expiresAt: new Date(NOW.getTime() + 1).toISOString() });
    expect(decideLease(oneMsLeft, 'me', NOW).action).toBe('refuse');
  });

  it('takes a live lease whose holder is known to have ended', () => {
    expect(decideLease(lease(), 'me', NOW, true)).toMatchObject({
      action: 'take',
      reason: 'its holder holder ended without giving it back',
    });
    // Its own lease stays its own.
    expect(decideLease(lease(), 'holder', NOW, true)).toEqual({ action: 'renew' });
  });

  it('takes over a damaged record rather than blocking every failover', () => {
    expect(decideLease(parseLease('{not json'), 'me', NOW)).toMatchObject({
      action: 'take',
      reason: 'damaged record',
    });
    expect(decideLease(parseLease('{}'), 'me', NOW).action).toBe('take');
  });
});

describe('leaseDurationMs', () => {
  it('covers each wave’s steady-state wait and work plus the fixed steps', () => {
    expect(leaseDurationMs(3, 900)).toBe(30 * 60_000 + 3 * (900_000 + 10 * 60_000));
    // A run with no restorable wave still holds it long enough for its steps.
    expect(leaseDurationMs(0, 60)).toBe(leaseDurationMs(1, 60));
  });
});

describe('parseLease', () => {
  it('reads back what the store writes', () => {
    expect(parseLease(`${JSON.stringify(lease(), null, 2)}\n`)).toEqual(lease());
  });
});
