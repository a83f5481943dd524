import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, ThrottleGate, withRetry } from '../../../src/kernel/retry';
import { classifyEbsError } from '../../../src/volumes/ebs/errors';
import { awsError } from '../../support/aws-errors';

/** The block engine's classification, with which these retries were specified. */
const classify = classifyEbsError;

describe('retries', () => {
  const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

  it('backs off exponentially with full jitter up to the cap', () => {
    expect(backoffDelayMs(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelayMs(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelayMs(5, policy, () => 0)).toBe(0);
  });

  it('backs off exponentially with equal jitter in the upper half of the cap', () => {
    const equal = { ...policy, jitter: 'equal' as const };
    expect(backoffDelayMs(1, equal, () => 0)).toBe(50);
    expect(backoffDelayMs(2, equal, () => 0.5)).toBe(150);
    expect(backoffDelayMs(10, equal, () => 0.999)).toBeCloseTo(999.5);
  });

  it('retries transient failures with backoff and returns the eventual result', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw awsError('InternalServerException', 500);
        return 'ok';
      },
      { classify, policy, random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([50, 100]);
  });

  it('gives up after maxAttempts and rethrows the last error', async () => {
    let calls = 0;
    const fail = async () => {
      calls++;
      throw awsError('InternalServerException', 500);
    };
    await expect(withRetry(fail, { classify, policy, sleep: async () => {} })).rejects.toThrow(
      'InternalServerException happened',
    );
    expect(calls).toBe(4);
  });

  it('does not retry a fatal error', async () => {
    let calls = 0;
    const fail = async () => {
      calls++;
      throw awsError('ValidationException', 400);
    };
    await expect(withRetry(fail, { classify })).rejects.toThrow('ValidationException');
    expect(calls).toBe(1);
  });

  it('pauses every caller through the shared gate when throttled', async () => {
    let now = 1_000;
    const waits: number[] = [];
    const gate = new ThrottleGate(
      () => now,
      async (ms) => {
        waits.push(ms);
        now += ms;
      },
    );
    let calls = 0;
    await withRetry(
      async () => {
        calls++;
        if (calls === 1) throw awsError('RequestThrottledException', 400);
        return 'ok';
      },
      { classify, policy, gate, random: () => 0.5 },
    );
    expect(waits).toEqual([50]);
    // another worker arriving during the pause waits for what is left of it
    gate.pause(300);
    now += 100;
    await gate.pass();
    expect(waits).toEqual([50, 200]);
  });

  it('stops retrying once its signal aborts', async () => {
    const controller = new AbortController();
    let calls = 0;
    const fail = async () => {
      calls++;
      controller.abort(new Error('stop'));
      throw awsError('InternalServerException', 500);
    };
    await expect(withRetry(fail, { classify, policy, signal: controller.signal })).rejects.toThrow(
      'InternalServerException',
    );
    expect(calls).toBe(1);
  });

  it('keeps the default engine attempts small, since the SDK client retries too', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeLessThanOrEqual(3);
  });
});
