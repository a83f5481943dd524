import { createHash } from 'node:crypto';
import * as z from 'zod';
import { LifeboatError } from '../../kernel/errors';

/**
 * Pure parts of the EBS block replication engine: block checksums, the LINEAR aggregate
 * (resumable), zero-block detection, the resume state and the ledger that produces it, a
 * bounded work pipeline, and the retry policy. No AWS SDK and no I/O here; the adapter is
 * `src/volumes/ebs/aws/block-engine.ts`.
 */

/** Every EBS direct API block is 512 KiB. */
export const EBS_BLOCK_SIZE_BYTES = 524_288;
/** Most entries ListSnapshotBlocks / ListChangedBlocks return in one page. */
export const EBS_MAX_LIST_RESULTS = 10_000;

const ZERO_BLOCK = new Uint8Array(EBS_BLOCK_SIZE_BYTES);

/** A block of zeros, shared and never written to. */
export function zeroBlock(): Uint8Array {
  return ZERO_BLOCK;
}

/** Raw SHA-256 of a block (32 bytes). */
export function blockDigest(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** SHA-256 of a 512 KiB block of zeros, raw; what an unwritten block reads as. */
export const ZERO_BLOCK_DIGEST: Buffer = blockDigest(ZERO_BLOCK);

/** True when every byte of the block is zero (such blocks are not written to a new snapshot). */
export function isZeroBlock(data: Uint8Array): boolean {
  if (data.length === EBS_BLOCK_SIZE_BYTES) {
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(ZERO_BLOCK);
  }
  return data.every((byte) => byte === 0);
}

/**
 * Whether a listed block must be written to the new snapshot. A zero block may be left out
 * only where the new snapshot already reads zeros: always without a parent; with a parent
 * (an incremental copy) only when the previous source snapshot had no block there, because
 * the parent, its replica, then reads zeros too. Otherwise the zeros are written, so the
 * parent's old data does not show through.
 */
export function mustWriteBlock(
  block: { readonly zero: boolean; readonly inPrevious: boolean },
  skipZeroBlocks: boolean,
): boolean {
  return !(block.zero && skipZeroBlocks && !block.inPrevious);
}

/** The block failed an integrity check: its data does not hash to the checksum the service sent. */
export class BlockIntegrityError extends LifeboatError {
  constructor(
    public readonly snapshotId: string,
    public readonly blockIndex: number,
    message: string,
  ) {
    super(
      `Block ${blockIndex} of ${snapshotId} failed verification: ${message}. The read is retried; if it keeps failing, the source snapshot is damaged or the data was altered in transit.`,
    );
    this.name = 'BlockIntegrityError';
  }
}

/**
 * Checks a block read with GetSnapshotBlock against the checksum the service sent with it
 * and returns its raw digest. Throws BlockIntegrityError (retryable) on a short block or a
 * mismatch.
 */
export function verifiedBlockDigest(
  snapshotId: string,
  blockIndex: number,
  data: Uint8Array,
  checksumBase64: string,
): Buffer {
  if (data.length !== EBS_BLOCK_SIZE_BYTES) {
    throw new BlockIntegrityError(
      snapshotId,
      blockIndex,
      `received ${data.length} bytes, expected ${EBS_BLOCK_SIZE_BYTES}`,
    );
  }
  const digest = blockDigest(data);
  const actual = digest.toString('base64');
  if (actual !== checksumBase64) {
    throw new BlockIntegrityError(
      snapshotId,
      blockIndex,
      `data hashes to ${actual} but the service sent checksum ${checksumBase64}`,
    );
  }
  return digest;
}

/**
 * Reference LINEAR aggregate: SHA-256 over the concatenated raw per-block digests, in block
 * index order, base64. Holds nothing but the hash; the engine uses LinearAggregate, which can
 * also be persisted and resumed.
 */
export function linearAggregateChecksum(digestsInIndexOrder: Iterable<Uint8Array>): string {
  const hash = createHash('sha256');
  for (const digest of digestsInIndexOrder) hash.update(digest);
  return hash.digest('base64');
}

// ---------------------------------------------------------------------------------------
// Resumable SHA-256 over a sequence of 32-byte digests.
//
// node:crypto cannot export a running hash, and keeping every block's digest to hash at the
// end would make the resume state grow with the volume (32 bytes a block: 64 MiB for 1 TiB).
// So the aggregate is a small SHA-256 whose state (eight words, at most one pending digest
// and a count) is part of the resume state. Inputs are 32 bytes, half a SHA-256 block, so
// the state is always "n whole blocks compressed, 0 or 32 bytes pending".

const K = sha256Constants(64, 3);
const H0 = sha256Constants(8, 2);

/** First 32 bits of the fractional parts of the square (2) / cube (3) roots of the first primes. */
function sha256Constants(count: number, root: 2 | 3): Uint32Array {
  const out = new Uint32Array(count);
  let n = 0;
  for (let candidate = 2; n < count; candidate++) {
    let prime = true;
    for (let f = 2; f * f <= candidate; f++) {
      if (candidate % f === 0) {
        prime = false;
        break;
      }
    }
    if (!prime) continue;
    const r = root === 2 ? Math.sqrt(candidate) : Math.cbrt(candidate);
    out[n++] = ((r - Math.floor(r)) * 2 ** 32) >>> 0;
  }
  return out;
}

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

function compress(h: Uint32Array, block: Uint8Array, w: Uint32Array): void {
  for (let t = 0; t < 16; t++) {
    const o = t * 4;
    w[t] =
      (((block[o] as number) << 24) |
        ((block[o + 1] as number) << 16) |
        ((block[o + 2] as number) << 8) |
        (block[o + 3] as number)) >>>
      0;
  }
  for (let t = 16; t < 64; t++) {
    const w15 = w[t - 15] as number;
    const w2 = w[t - 2] as number;
    const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
    w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) >>> 0;
  }
  let a = h[0] as number;
  let b = h[1] as number;
  let c = h[2] as number;
  let d = h[3] as number;
  let e = h[4] as number;
  let f = h[5] as number;
  let g = h[6] as number;
  let hh = h[7] as number;
  for (let t = 0; t < 64; t++) {
    const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + s1 + ch + (K[t] as number) + (w[t] as number)) >>> 0;
    const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (s0 + maj) >>> 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) >>> 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) >>> 0;
  }
  h[0] = ((h[0] as number) + a) >>> 0;
  h[1] = ((h[1] as number) + b) >>> 0;
  h[2] = ((h[2] as number) + c) >>> 0;
  h[3] = ((h[3] as number) + d) >>> 0;
  h[4] = ((h[4] as number) + e) >>> 0;
  h[5] = ((h[5] as number) + f) >>> 0;
  h[6] = ((h[6] as number) + g) >>> 0;
  h[7] = ((h[7] as number) + hh) >>> 0;
}

const base64Digest = z
  .string()
  .refine((s) => Buffer.from(s, 'base64').length === 32 && /^[A-Za-z0-9+/]{43}=$/.test(s), {
    message: 'must be a base64 SHA-256 digest (32 bytes)',
  });

export const aggregateStateSchema = z
  .object({
    /** The eight SHA-256 state words, big-endian, base64. */
    state: base64Digest,
    /** A digest added after the last whole 64-byte block, waiting for its pair. */
    pending: base64Digest.optional(),
    /** Digests added so far (the number of blocks written and folded). */
    digests: z.number().int().nonnegative(),
  })
  .strict()
  .refine((s) => (s.digests % 2 === 1) === (s.pending !== undefined), {
    message: 'pending must be present exactly when the digest count is odd',
  });
export type AggregateState = z.infer<typeof aggregateStateSchema>;

/**
 * The LINEAR aggregate of CompleteSnapshot, computed incrementally: add each written block's
 * raw digest in ascending block index order, then read `checksum()`. Its state can be saved
 * (`toState`) and continued later (`new LinearAggregate(state)`).
 */
export class LinearAggregate {
  private readonly h: Uint32Array;
  private readonly w = new Uint32Array(64);
  private readonly buffer = new Uint8Array(64);
  private pending: boolean;
  private count: number;

  constructor(state?: AggregateState) {
    this.h = new Uint32Array(8);
    if (state) {
      const words = Buffer.from(state.state, 'base64');
      for (let i = 0; i < 8; i++) this.h[i] = words.readUInt32BE(i * 4);
      this.count = state.digests;
      this.pending = state.pending !== undefined;
      if (state.pending !== undefined) this.buffer.set(Buffer.from(state.pending, 'base64'), 0);
    } else {
      this.h.set(H0);
      this.count = 0;
      this.pending = false;
    }
  }

  /** Digests added so far. */
  get digests(): number {
    return this.count;
  }

  add(digest: Uint8Array): void {
    if (digest.length !== 32) throw new RangeError(`a block digest is 32 bytes (got ${digest.length})`);
    if (this.pending) {
      this.buffer.set(digest, 32);
      compress(this.h, this.buffer, this.w);
      this.pending = false;
    } else {
      this.buffer.set(digest, 0);
      this.pending = true;
    }
    this.count++;
  }

  /** The base64 aggregate of the digests added so far; the aggregate can keep growing after. */
  checksum(): string {
    const h = Uint32Array.from(this.h);
    const block = new Uint8Array(64);
    let offset = 0;
    if (this.pending) {
      block.set(this.buffer.subarray(0, 32), 0);
      offset = 32;
    }
    block[offset] = 0x80;
    const bits = this.count * 256;
    const view = new DataView(block.buffer);
    view.setUint32(56, Math.floor(bits / 2 ** 32));
    view.setUint32(60, bits >>> 0);
    compress(h, block, new Uint32Array(64));
    const out = Buffer.alloc(32);
    for (let i = 0; i < 8; i++) out.writeUInt32BE(h[i] as number, i * 4);
    return out.toString('base64');
  }

  toState(): AggregateState {
    const words = Buffer.alloc(32);
    for (let i = 0; i < 8; i++) words.writeUInt32BE(this.h[i] as number, i * 4);
    return {
      state: words.toString('base64'),
      ...(this.pending ? { pending: Buffer.from(this.buffer.subarray(0, 32)).toString('base64') } : {}),
      digests: this.count,
    };
  }
}

// ---------------------------------------------------------------------------------------
// Resume state and the ledger.

/**
 * Where an interrupted replication stands, small enough for a Step Functions payload
 * whatever the volume size: blocks below `nextBlockIndex` are all done and folded into
 * `aggregate`; `ahead` lists the few done blocks above it (at most the engine's window),
 * with the digest of each one that was written (none for a skipped zero block).
 */
export const resumeStateSchema = z
  .object({
    version: z.literal(1),
    sourceSnapshotId: z.string().min(1),
    previousSourceSnapshotId: z.string().min(1).optional(),
    targetSnapshotId: z.string().min(1),
    parentSnapshotId: z.string().min(1).optional(),
    progress: z
      .object({
        nextBlockIndex: z.number().int().nonnegative(),
        aggregate: aggregateStateSchema,
        ahead: z.array(
          z.object({ index: z.number().int().nonnegative(), checksum: base64Digest.optional() }).strict(),
        ),
      })
      .strict(),
  })
  .strict();
export type ResumeState = z.infer<typeof resumeStateSchema>;
export type LedgerState = ResumeState['progress'];

/** A resume state is malformed or belongs to a different replication. */
export class ResumeStateError extends LifeboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResumeStateError';
  }
}

/** Validates a stored resume state (e.g. read back from a checkpoint store). */
export function parseResumeState(value: unknown): ResumeState {
  const parsed = resumeStateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new ResumeStateError(
      `The resume state is not valid at ${where}: ${issue?.message ?? 'unknown problem'}. Pass the resumeState of the interrupted run (or its last checkpoint) unchanged, or start a new replication without resume.`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/** Blocks the state records as written to the target (its ChangedBlocksCount so far). */
export function writtenBlocks(state: ResumeState): number {
  return (
    state.progress.aggregate.digests + state.progress.ahead.filter((a) => a.checksum !== undefined).length
  );
}

interface LedgerEntry {
  readonly index: number;
  done: boolean;
  digest: Uint8Array | undefined;
}

/** What the producer must do with a listed block. */
export type Admission = 'todo' | 'done';

/**
 * Tracks which listed blocks are done and folds their digests into the LINEAR aggregate in
 * block index order, although workers finish out of order. Blocks are admitted in ascending
 * index order; at most `window` admitted blocks are unfolded at any time (`whenRoom`), which
 * bounds both memory and the size of the resume state.
 */
export class ReplicationLedger {
  private readonly aggregate: LinearAggregate;
  private nextIndex: number;
  private readonly resumedAhead: Map<number, Uint8Array | undefined>;
  private readonly fifo: LedgerEntry[] = [];
  private head = 0;
  private lastAdmitted = -1;
  private written: number;
  private roomWaiters: Array<() => void> = [];

  constructor(
    public readonly window: number,
    resume?: LedgerState,
  ) {
    if (!Number.isInteger(window) || window < 1) {
      throw new RangeError(`ledger window must be a positive integer (got ${window})`);
    }
    this.aggregate = new LinearAggregate(resume?.aggregate);
    this.nextIndex = resume?.nextBlockIndex ?? 0;
    this.resumedAhead = new Map(
      (resume?.ahead ?? []).map((a) => [
        a.index,
        a.checksum === undefined ? undefined : Buffer.from(a.checksum, 'base64'),
      ]),
    );
    this.written = this.aggregate.digests;
    for (const digest of this.resumedAhead.values()) if (digest) this.written++;
  }

  /** Blocks admitted and not yet folded (queued, in flight, or done out of order). */
  get unfolded(): number {
    return this.fifo.length - this.head;
  }

  /** Blocks written to the target so far, including those of earlier runs. */
  get writtenCount(): number {
    return this.written;
  }

  /** Resolves once fewer than `window` blocks are unfolded; rejects if `signal` aborts first. */
  whenRoom(signal?: AbortSignal): Promise<void> {
    if (this.unfolded < this.window) return Promise.resolve();
    return waitUntil((resolve) => this.roomWaiters.push(resolve), signal);
  }

  /**
   * Registers a listed block. 'done' means an earlier run finished it (nothing to do);
   * 'todo' means copy it and call `complete`. Indexes must ascend.
   */
  admit(index: number): Admission {
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`invalid block index ${index}`);
    if (index <= this.lastAdmitted) {
      throw new RangeError(`block indexes must ascend: ${index} after ${this.lastAdmitted}`);
    }
    this.lastAdmitted = index;
    if (index < this.nextIndex) return 'done';
    if (this.resumedAhead.has(index)) {
      const digest = this.resumedAhead.get(index);
      this.resumedAhead.delete(index);
      this.fifo.push({ index, done: true, digest });
      this.fold();
      return 'done';
    }
    this.fifo.push({ index, done: false, digest: undefined });
    return 'todo';
  }

  /** Marks an admitted block done: `digest` when it was written, undefined when skipped. */
  complete(index: number, digest: Uint8Array | undefined): void {
    const entry = this.find(index);
    if (!entry || entry.done) throw new RangeError(`block ${index} is not awaiting completion`);
    entry.done = true;
    entry.digest = digest;
    if (digest) this.written++;
    this.fold();
  }

  /** Every admitted block is done and every resumed block was listed again. */
  get settled(): boolean {
    return this.unfolded === 0;
  }

  /** The LINEAR aggregate once everything is folded; throws if blocks are outstanding. */
  finish(): { checksum: string; writtenCount: number } {
    if (!this.settled) throw new RangeError(`${this.unfolded} admitted blocks are not done`);
    if (this.resumedAhead.size > 0) {
      const missing = [...this.resumedAhead.keys()].slice(0, 5).join(', ');
      throw new ResumeStateError(
        `The resume state records blocks (${missing}) that the source listing no longer contains; the source snapshot is not the one the interrupted run copied. Start a new replication without resume.`,
      );
    }
    return { checksum: this.aggregate.checksum(), writtenCount: this.written };
  }

  /** A consistent snapshot of progress for the resume state. */
  state(): LedgerState {
    const ahead: Array<{ index: number; checksum?: string }> = [];
    for (let i = this.head; i < this.fifo.length; i++) {
      const entry = this.fifo[i] as LedgerEntry;
      if (entry.done) ahead.push(aheadEntry(entry.index, entry.digest));
    }
    for (const [index, digest] of this.resumedAhead) ahead.push(aheadEntry(index, digest));
    ahead.sort((a, b) => a.index - b.index);
    return { nextBlockIndex: this.nextIndex, aggregate: this.aggregate.toState(), ahead };
  }

  private find(index: number): LedgerEntry | undefined {
    let lo = this.head;
    let hi = this.fifo.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const entry = this.fifo[mid] as LedgerEntry;
      if (entry.index === index) return entry;
      if (entry.index < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  private fold(): void {
    let folded = false;
    while (this.head < this.fifo.length && (this.fifo[this.head] as LedgerEntry).done) {
      const entry = this.fifo[this.head] as LedgerEntry;
      if (entry.digest) this.aggregate.add(entry.digest);
      this.nextIndex = entry.index + 1;
      this.head++;
      folded = true;
    }
    if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo.splice(0, this.head);
      this.head = 0;
    }
    if (folded && this.unfolded < this.window) {
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      for (const wake of waiters) wake();
    }
  }
}

function aheadEntry(index: number, digest: Uint8Array | undefined): { index: number; checksum?: string } {
  return digest === undefined ? { index } : { index, checksum: Buffer.from(digest).toString('base64') };
}

// ---------------------------------------------------------------------------------------
// Bounded queue and pipeline.

/** The reason an aborted signal carries, as an Error. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  error.name = 'AbortError';
  return error;
}

/** Waits for `register`'s callback, or rejects when `signal` aborts; never leaks a listener. */
function waitUntil(register: (resolve: () => void) => void, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      reject(abortReason(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    register(() => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

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

// ---------------------------------------------------------------------------------------
// Retries.

/**
 * Engine-level retries, on top of the SDK client's own. The two multiply, so the engine's
 * are few and bounded: a call makes at most `client maxAttempts × policy.maxAttempts` HTTP
 * requests (8 × 3 = 24 with AwsClients' default), and the SDK's standard-mode retry quota
 * stops the inner retries during a sustained storm, leaving only these. A throttled call
 * also pauses every worker (ThrottleGate), so the fleet backs off, not one worker.
 */
export interface RetryPolicy {
  /** Attempts per call at the engine level, including the first. @default 3 */
  readonly maxAttempts: number;
  /** Delay cap of the first retry; it doubles per attempt, with full jitter. @default 250 */
  readonly baseDelayMs: number;
  /** Largest delay between two attempts. @default 20000 */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 20_000 };

export type ErrorKind = 'throttled' | 'transient' | 'fatal';

const THROTTLING_CODES = new Set([
  'RequestThrottledException',
  'ConcurrentLimitExceededException',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const TRANSIENT_CODES = new Set([
  'InternalServerException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

/** How an EBS direct API failure should be handled: back off, retry, or give up. */
export function classifyEbsError(error: unknown): ErrorKind {
  if (error instanceof BlockIntegrityError) return 'transient';
  if (error === null || typeof error !== 'object') return 'fatal';
  const e = error as ErrorShape;
  if (e.name === 'AbortError') return 'fatal';
  const codes = [e.name, e.code].filter((c): c is string => typeof c === 'string');
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (status === 429 || codes.some((c) => THROTTLING_CODES.has(c)) || e.$retryable?.throttling === true) {
    return 'throttled';
  }
  if ((status !== undefined && status >= 500) || codes.some((c) => TRANSIENT_CODES.has(c)) || e.$retryable) {
    return 'transient';
  }
  return 'fatal';
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base × 2^(attempt-1))]. */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return signal?.aborted ? Promise.reject(abortReason(signal)) : Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  return waitUntil((resolve) => {
    timer = setTimeout(resolve, ms);
  }, signal).finally(() => clearTimeout(timer));
}

/** A pause shared by all workers: after a throttle, nobody sends until it has passed. */
export class ThrottleGate {
  private until = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {}

  /** Holds every caller of `pass` for at least `ms` from now. */
  pause(ms: number): void {
    this.until = Math.max(this.until, this.now() + ms);
  }

  /** Resolves once no pause is in force. */
  async pass(signal?: AbortSignal): Promise<void> {
    for (let left = this.until - this.now(); left > 0; left = this.until - this.now()) {
      await this.wait(left, signal);
    }
  }
}

export interface RetryEvent {
  readonly attempt: number;
  readonly kind: ErrorKind;
  readonly delayMs: number;
  readonly error: unknown;
}

export interface RetryOptions {
  readonly policy?: RetryPolicy;
  readonly gate?: ThrottleGate;
  readonly signal?: AbortSignal;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly onRetry?: (event: RetryEvent) => void;
}

/**
 * Calls `fn` until it succeeds, retrying throttling (through the shared gate) and transient
 * failures with jittered backoff, at most `policy.maxAttempts` times; fatal errors, the last
 * failure and an abort are rethrown as they are.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    if (options.gate) await options.gate.pass(options.signal);
    try {
      return await fn(attempt);
    } catch (error) {
      const kind = classifyEbsError(error);
      if (kind === 'fatal' || attempt >= policy.maxAttempts || options.signal?.aborted) throw error;
      const delayMs = backoffDelayMs(attempt, policy, options.random);
      options.onRetry?.({ attempt, kind, delayMs, error });
      if (kind === 'throttled' && options.gate) options.gate.pause(delayMs);
      else await wait(delayMs, options.signal);
    }
  }
}
