import { waitUntil } from '../../kernel/sleep';
import { LinearAggregate } from './checksums';
import { ResumeStateError } from './errors';
import { type LedgerState, type ResumeState, resumeStateSchema } from './resume-state';

/**
 * The ledger of a block replication: which listed blocks are done, folded into the LINEAR
 * aggregate in block index order, and the resume state it produces and reads back. No AWS SDK
 * and no I/O here; the adapter is `src/volumes/ebs/aws/block-engine.ts`.
 */

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
