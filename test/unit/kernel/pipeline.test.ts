import { describe, expect, it } from 'vitest';
import { BoundedQueue, runPipeline } from '../../../src/kernel/pipeline';

const tick = () => new Promise((r) => setImmediate(r));

describe('BoundedQueue', () => {
  it('never holds more than its capacity while a fast producer feeds a slow consumer', async () => {
    const queue = new BoundedQueue<number>(3);
    const produced: number[] = [];
    const producer = (async () => {
      for (let i = 0; i < 50; i++) {
        await queue.push(i);
        produced.push(i);
        expect(queue.size).toBeLessThanOrEqual(3);
      }
      queue.close();
    })();
    const consumed: number[] = [];
    for (;;) {
      await tick();
      const item = await queue.take();
      if (item === undefined) break;
      consumed.push(item);
      expect(produced.length - consumed.length).toBeLessThanOrEqual(3);
    }
    await producer;
    expect(consumed).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(queue.peakSize).toBe(3);
  });

  it('lets takers drain after close, then answers undefined', async () => {
    const queue = new BoundedQueue<string>(2);
    await queue.push('a');
    queue.close();
    expect(await queue.take()).toBe('a');
    expect(await queue.take()).toBeUndefined();
  });

  it('drops its items and releases everyone on abort', async () => {
    const queue = new BoundedQueue<string>(1);
    await queue.push('a');
    const blocked = queue.push('b');
    queue.abort();
    await expect(blocked).rejects.toThrow(/aborted/);
    expect(await queue.take()).toBeUndefined();
  });
});

describe('runPipeline', () => {
  async function* numbers(count: number, pulled: { n: number }) {
    for (let i = 0; i < count; i++) {
      pulled.n++;
      yield i;
    }
  }

  it('processes every item with at most `concurrency` in flight and pulls the source lazily', async () => {
    const pulled = { n: 0 };
    let done = 0;
    let inFlight = 0;
    const seen: number[] = [];
    const result = await runPipeline({
      source: () => numbers(200, pulled),
      concurrency: 4,
      queueCapacity: 4,
      work: async (item) => {
        inFlight++;
        expect(inFlight).toBeLessThanOrEqual(4);
        // queued (≤ 4) + in flight (≤ 4) + the one the producer holds
        expect(pulled.n - done).toBeLessThanOrEqual(9);
        await tick();
        seen.push(item);
        inFlight--;
        done++;
      },
    });
    expect(result.outcome).toEqual({ status: 'completed' });
    expect(result.peakInFlight).toBe(4);
    expect(result.peakQueued).toBeLessThanOrEqual(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('stops at the first failure: nothing new starts and items in flight finish', async () => {
    const pulled = { n: 0 };
    const started: number[] = [];
    const finished: number[] = [];
    const result = await runPipeline({
      source: () => numbers(100, pulled),
      concurrency: 3,
      work: async (item) => {
        started.push(item);
        await tick();
        if (item === 10) throw new Error('block 10 broke');
        await tick();
        finished.push(item);
      },
    });
    expect(result.outcome).toMatchObject({ status: 'failed', error: new Error('block 10 broke') });
    expect(Math.max(...started)).toBeLessThan(10 + 3 + 1);
    expect(finished.length).toBe(started.length - 1);
    expect(pulled.n).toBeLessThan(100);
  });

  it('reports an abort of its signal after letting items in flight finish', async () => {
    const controller = new AbortController();
    const finished: number[] = [];
    const result = await runPipeline({
      source: () => numbers(100, { n: 0 }),
      concurrency: 2,
      signal: controller.signal,
      work: async (item) => {
        if (item === 5) controller.abort(new Error('time is up'));
        await tick();
        finished.push(item);
      },
    });
    expect(result.outcome).toMatchObject({ status: 'aborted', reason: new Error('time is up') });
    expect(finished).toContain(5);
    expect(finished.length).toBeLessThan(10);
  });

  it('reports a failing source', async () => {
    async function* broken() {
      yield 1;
      throw new Error('listing failed');
    }
    const result = await runPipeline({ source: broken, concurrency: 2, work: async () => {} });
    expect(result.outcome).toMatchObject({ status: 'failed', error: new Error('listing failed') });
  });
});
