import { abortReason, waitUntil } from './sleep';

/**
 * A bounded work pipeline: a FIFO that holds at most `capacity` items between a lazy source
 * and a fixed number of workers, so memory stays bounded whatever the number of items.
 */

/**
 * A FIFO that holds at most `capacity` items: `push` waits while it is full, `take` waits
 * while it is empty. `close` lets takers drain what is left; `abort` drops it.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private takers: Array<(item: T | undefined) => void> = [];
  private spaceWaiters: Array<() => void> = [];
  private closed = false;
  private aborted = false;
  private peak = 0;

  constructor(public readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`queue capacity must be a positive integer (got ${capacity})`);
    }
  }

  /** Items held now. */
  get size(): number {
    return this.items.length;
  }

  /** Most items ever held at once. */
  get peakSize(): number {
    return this.peak;
  }

  async push(item: T, signal?: AbortSignal): Promise<void> {
    while (!this.aborted && this.items.length >= this.capacity) {
      await waitUntil((resolve) => this.spaceWaiters.push(resolve), signal);
    }
    if (this.aborted) throw new RangeError('push to an aborted queue');
    if (this.closed) throw new RangeError('push to a closed queue');
    const taker = this.takers.shift();
    if (taker) {
      taker(item);
      return;
    }
    this.items.push(item);
    if (this.items.length > this.peak) this.peak = this.items.length;
  }

  /** The next item, or undefined once the queue is closed and empty (or aborted). */
  take(): Promise<T | undefined> {
    if (this.items.length > 0) {
      const item = this.items.shift() as T;
      this.spaceWaiters.shift()?.();
      return Promise.resolve(item);
    }
    if (this.closed || this.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.releaseTakers();
  }

  abort(): void {
    this.aborted = true;
    this.items = [];
    this.releaseTakers();
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const wake of waiters) wake();
  }

  private releaseTakers(): void {
    if (this.items.length > 0) return;
    const takers = this.takers;
    this.takers = [];
    for (const taker of takers) taker(undefined);
  }
}

export interface PipelineOptions<T> {
  /** Items to process, produced lazily; it must honour `stop` in anything it awaits. */
  readonly source: (stop: AbortSignal) => AsyncIterable<T>;
  /** Processes one item; `stop` aborts when the pipeline is stopping (for sleeps and waits). */
  readonly work: (item: T, stop: AbortSignal) => Promise<void>;
  /** Items processed at once. */
  readonly concurrency: number;
  /** Items produced ahead of the workers. @default concurrency */
  readonly queueCapacity?: number;
  /** Stops the pipeline: no new item starts, items in progress finish. */
  readonly signal?: AbortSignal;
}

export type PipelineOutcome =
  | { readonly status: 'completed' }
  | { readonly status: 'aborted'; readonly reason: Error }
  | { readonly status: 'failed'; readonly error: unknown };

export interface PipelineResult {
  readonly outcome: PipelineOutcome;
  /** Most items waiting in the queue at once (never more than queueCapacity). */
  readonly peakQueued: number;
  /** Most items in `work` at once (never more than concurrency). */
  readonly peakInFlight: number;
}

/**
 * Streams items from `source` through a bounded queue to `concurrency` workers. The first
 * failure (in the source or a worker) or an abort of `signal` stops it: queued items are
 * dropped, items in progress finish, and the outcome says why it stopped. Never throws.
 */
export async function runPipeline<T>(options: PipelineOptions<T>): Promise<PipelineResult> {
  const { concurrency } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer (got ${concurrency})`);
  }
  const queue = new BoundedQueue<T>(options.queueCapacity ?? concurrency);
  const stop = new AbortController();
  let failure: { error: unknown } | undefined;
  let inFlight = 0;
  let peakInFlight = 0;

  const halt = (reason: unknown) => {
    if (stop.signal.aborted) return;
    stop.abort(reason);
    queue.abort();
  };
  const fail = (error: unknown) => {
    if (stop.signal.aborted) return;
    failure = { error };
    halt(error);
  };
  const onUserAbort = () => halt(abortReason(options.signal as AbortSignal));
  if (options.signal?.aborted) onUserAbort();
  else options.signal?.addEventListener('abort', onUserAbort, { once: true });

  const produce = async () => {
    try {
      for await (const item of options.source(stop.signal)) {
        if (stop.signal.aborted) return;
        await queue.push(item, stop.signal);
      }
      queue.close();
    } catch (error) {
      fail(error);
    }
  };
  const consume = async () => {
    for (;;) {
      const item = await queue.take();
      if (item === undefined || stop.signal.aborted) return;
      inFlight++;
      if (inFlight > peakInFlight) peakInFlight = inFlight;
      try {
        await options.work(item, stop.signal);
      } catch (error) {
        fail(error);
      } finally {
        inFlight--;
      }
    }
  };

  try {
    await Promise.all([produce(), ...Array.from({ length: concurrency }, consume)]);
  } finally {
    options.signal?.removeEventListener('abort', onUserAbort);
  }
  const outcome: PipelineOutcome = failure
    ? { status: 'failed', error: failure.error }
    : stop.signal.aborted
      ? { status: 'aborted', reason: abortReason(stop.signal) }
      : { status: 'completed' };
  return { outcome, peakQueued: queue.peakSize, peakInFlight };
}
