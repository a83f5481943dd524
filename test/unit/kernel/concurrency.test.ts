import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunk, mapConcurrent } from '../../../src/kernel/concurrency';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('mapConcurrent', () => {
  it('never has more than the limit in flight and keeps the input order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(3), { maxLength: 40 }),
        fc.integer({ min: 1, max: 10 }),
        async (delays, limit) => {
          let inFlight = 0;
          let peak = 0;
          const result = await mapConcurrent(delays, limit, async (delay, index) => {
            inFlight += 1;
            peak = Math.max(peak, inFlight);
            for (let i = 0; i < delay; i += 1) await tick();
            inFlight -= 1;
            return index * 2;
          });
          expect(result).toEqual(delays.map((_, i) => i * 2));
          expect(peak).toBeLessThanOrEqual(limit);
          expect(peak).toBeGreaterThanOrEqual(Math.min(limit, delays.length) > 1 ? 1 : 0);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('runs up to the limit at once when the work waits', async () => {
    let inFlight = 0;
    let peak = 0;
    await mapConcurrent(Array.from({ length: 20 }), 8, async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await tick();
      inFlight -= 1;
    });
    expect(peak).toBe(8);
  });

  it('starts nothing new after the first failure and rethrows it once the running calls settle', async () => {
    const started: number[] = [];
    let settled = 0;
    const run = mapConcurrent(
      Array.from({ length: 10 }, (_, i) => i),
      2,
      async (i) => {
        started.push(i);
        await tick();
        if (i === 0) await tick(); // item 0 is still running when item 1 fails
        settled += 1;
        if (i === 1) throw new Error('item 1 failed');
        return i;
      },
    );

    await expect(run).rejects.toThrow('item 1 failed');
    expect(started).toEqual([0, 1]);
    expect(settled).toBe(2);
  });

  it('rejects a limit that is not a positive integer', async () => {
    await expect(mapConcurrent([1], 0, async (x) => x)).rejects.toThrow(RangeError);
  });
});

describe('chunk', () => {
  it('splits into consecutive chunks of at most the size that concatenate to the input', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 12 }), (items, size) => {
        const parts = chunk(items, size);
        expect(parts.flat()).toEqual(items);
        expect(parts.every((p) => p.length >= 1 && p.length <= size)).toBe(true);
        expect(parts.length).toBe(Math.ceil(items.length / size));
      }),
    );
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});
