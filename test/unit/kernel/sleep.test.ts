import { afterEach, describe, expect, it, vi } from 'vitest';
import { abortReason, sleep } from '../../../src/kernel/sleep';

afterEach(() => {
  vi.useRealTimers();
});

describe('sleep', () => {
  it('resolves once the delay has passed', async () => {
    vi.useFakeTimers();
    let done = false;
    const slept = sleep(100).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slept;
    expect(done).toBe(true);
  });

  it("rejects with the signal's reason when it aborts first, and leaves no timer behind", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const slept = sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(slept).rejects.toThrow('stop');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not wait for a delay of zero, unless the signal has already aborted', async () => {
    await expect(sleep(0)).resolves.toBeUndefined();
    const controller = new AbortController();
    controller.abort();
    await expect(sleep(0, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('abortReason', () => {
  it('turns a reason that is not an Error into an AbortError', () => {
    const controller = new AbortController();
    controller.abort('time is up');
    expect(abortReason(controller.signal)).toMatchObject({ name: 'AbortError', message: 'time is up' });
  });
});
