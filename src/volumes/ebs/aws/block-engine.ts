import { randomUUID } from 'node:crypto';
import {
  CompleteSnapshotCommand,
  type CompleteSnapshotResponse,
  type EBSClient,
  StartSnapshotCommand,
  type Tag,
} from '@aws-sdk/client-ebs';
import { UnexpectedResponseError } from '../../../aws/errors';
import { runPipeline } from '../../../kernel/pipeline';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../../kernel/retry';
import {
  EBS_BLOCK_SIZE_BYTES,
  isZeroBlock,
  mustWriteBlock,
  ZERO_BLOCK_DIGEST,
  zeroBlock,
} from '../checksums';
import {
  ReplicationFailedError,
  ReplicationInterruptedError,
  ReplicationOptionsError,
  ResumeStateError,
  StepError,
} from '../errors';
import { parseResumeState, ReplicationLedger } from '../ledger';
import type { ResumeState } from '../resume-state';
import {
  type EbsCallCounts,
  EbsCaller,
  type ListedBlock,
  listBlocks,
  readBlock,
  writeBlock,
} from './block-io';

/**
 * The EBS block replication engine: copies a snapshot block by block into a new snapshot,
 * usually in another region or account, through the EBS direct APIs.
 *
 * - Full copy: lists every block of `source.snapshotId` (ListSnapshotBlocks) into a new
 *   snapshot without a parent. Incremental: lists only the blocks that differ from
 *   `source.previousSnapshotId` (ListChangedBlocks) into a snapshot whose parent is
 *   `target.parentSnapshotId`, the replica made from that previous snapshot, so only changed
 *   blocks move. The two ids go together: a parent without the changed-block listing would
 *   keep stale parent blocks, a changed-block listing without a parent would lose the rest.
 * - Every block read is checked against the service's SHA-256 and written with it;
 *   CompleteSnapshot carries the LINEAR aggregate over the blocks written to the new
 *   snapshot (not the ones it inherits from its parent), as AWS defines it: the raw digests
 *   of each written block, ascending by index, concatenated, SHA-256, base64.
 * - All-zero blocks are not written when the new snapshot already reads zeros there: always
 *   without a parent; with a parent only when the previous source snapshot did not have the
 *   block (so the parent, its replica, reads zeros). A block that became zero, or vanished
 *   from the source, is written as zeros so the parent's old data does not show through.
 * - Streaming: list pages feed a queue of `concurrency` entries and `concurrency` workers,
 *   each holding one block at a time (Get → hash → Put), so memory is about concurrency ×
 *   512 KiB whatever the volume size; at most one listing page is held.
 * - Resumable: the resume state (target id, a done-below index, a few done blocks above it
 *   and the running aggregate) is handed to `checkpoint` every `checkpointEveryBlocks`
 *   blocks and carried by the error of an interrupted or failed run. A run resumed from it
 *   does not send those blocks again. The pending target snapshot must not time out in
 *   between (`target.timeoutMinutes`, AWS default 60).
 */
export interface ReplicateSnapshotOptions {
  readonly source: {
    /** Client in the source snapshot's region and account. */
    readonly ebs: EBSClient;
    readonly snapshotId: string;
    /** The source snapshot the previous replica was made from; copy only what changed since. */
    readonly previousSnapshotId?: string;
  };
  readonly target: {
    /** Client in the region and account the replica is written to. */
    readonly ebs: EBSClient;
    /** The replica of `source.previousSnapshotId`; the new snapshot inherits its blocks. */
    readonly parentSnapshotId?: string;
    /** Size of the new snapshot's volume in GiB; at least the source volume's size. */
    readonly volumeSizeGiB: number;
    /** Tags for the new snapshot (at most 50). @default - none */
    readonly tags?: readonly Tag[];
    /** KMS key that encrypts the new snapshot. @default - the parent's key, or the account default */
    readonly kmsKeyArn?: string;
    /** Encrypt a snapshot without a parent with the account's default key. @default false */
    readonly encrypted?: boolean;
    readonly description?: string;
    /** Minutes before AWS cancels the pending snapshot if no block arrives. @default - 60 (AWS) */
    readonly timeoutMinutes?: number;
  };
  /** Blocks copied at once (and the bound on blocks held in memory). @default 16 */
  readonly concurrency?: number;
  /** State of an interrupted run of the same replication, to continue it. */
  readonly resume?: ResumeState;
  /** Called after each block is done; keep it cheap. A throw fails the run. */
  readonly onProgress?: (progress: ReplicationProgress) => void;
  /** Stops the run: blocks in flight finish, then it rejects with ReplicationInterruptedError. */
  readonly signal?: AbortSignal;
  /** Persists progress (after StartSnapshot, every `checkpointEveryBlocks` blocks, at the end and on interruption). */
  readonly checkpoint?: (state: ResumeState) => Promise<void>;
  /** Blocks between two checkpoints. @default 512 (256 MiB of blocks) */
  readonly checkpointEveryBlocks?: number;
  /** Engine-level retries, on top of the SDK client's. @default DEFAULT_RETRY_POLICY */
  readonly retry?: Partial<RetryPolicy>;
  /** Leave all-zero blocks unwritten where the new snapshot already reads zeros. @default true */
  readonly skipZeroBlocks?: boolean;
}

export interface ReplicationProgress {
  readonly targetSnapshotId: string;
  /** Entries the listing returned so far in this run. */
  readonly blocksListed: number;
  /** Blocks written in this run. */
  readonly blocksSent: number;
  /** All-zero blocks left unwritten in this run. */
  readonly blocksSkippedZero: number;
  /** Listed blocks an earlier run had already finished. */
  readonly blocksResumed: number;
  /** Blocks written to the target across all runs. */
  readonly blocksWritten: number;
  readonly bytesSent: number;
  readonly elapsedMs: number;
}

export interface ReplicationResult extends ReplicationProgress, EbsCallCounts {
  readonly sourceSnapshotId: string;
  readonly parentSnapshotId?: string;
  readonly mode: 'full' | 'incremental';
  /** Status CompleteSnapshot reported (AWS seals asynchronously: usually `pending`). */
  readonly status: string;
  /** The LINEAR aggregate sent with CompleteSnapshot (base64). */
  readonly aggregateChecksum: string;
  readonly durationMs: number;
  /** Most blocks held in memory at once (at most `concurrency`). */
  readonly peakBlocksInMemory: number;
}

const DEFAULT_CONCURRENCY = 16;
const MAX_CONCURRENCY = 256;
const DEFAULT_CHECKPOINT_EVERY = 512;

/** Copies `source.snapshotId` into a new snapshot through `target.ebs`; see ReplicateSnapshotOptions. */
export async function replicateSnapshot(options: ReplicateSnapshotOptions): Promise<ReplicationResult> {
  const startedAt = Date.now();
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const checkpointEvery = options.checkpointEveryBlocks ?? DEFAULT_CHECKPOINT_EVERY;
  validateOptions(options, concurrency, checkpointEvery);
  options.signal?.throwIfAborted();
  const { source, target } = options;
  const previousSnapshotId = source.previousSnapshotId;
  const parentSnapshotId = target.parentSnapshotId;
  const skipZero = options.skipZeroBlocks ?? true;
  const caller = new EbsCaller({ ...DEFAULT_RETRY_POLICY, ...options.retry });

  const resume = options.resume ? checkResume(parseResumeState(options.resume), options) : undefined;
  let targetSnapshotId: string;
  if (resume) {
    targetSnapshotId = resume.targetSnapshotId;
  } else {
    try {
      targetSnapshotId = await startTarget(options, caller);
    } catch (cause) {
      throw new ReplicationFailedError(source.snapshotId, undefined, false, 'StartSnapshot', cause);
    }
  }

  const ledger = new ReplicationLedger(Math.max(64, concurrency * 8), resume?.progress);
  const stateNow = (): ResumeState => ({
    version: 1,
    sourceSnapshotId: source.snapshotId,
    ...(previousSnapshotId ? { previousSourceSnapshotId: previousSnapshotId } : {}),
    targetSnapshotId,
    ...(parentSnapshotId ? { parentSnapshotId } : {}),
    progress: ledger.state(),
  });
  const checkpoints = new Checkpoints(options.checkpoint, stateNow, checkpointEvery);

  let blocksListed = 0;
  let blocksSent = 0;
  let blocksSkippedZero = 0;
  let blocksResumed = 0;
  let bytesSent = 0;
  let blocksInMemory = 0;
  let peakBlocksInMemory = 0;
  const progress = (): ReplicationProgress => ({
    targetSnapshotId,
    blocksListed,
    blocksSent,
    blocksSkippedZero,
    blocksResumed,
    blocksWritten: ledger.writtenCount,
    bytesSent,
    elapsedMs: Date.now() - startedAt,
  });

  async function* admitted(stop: AbortSignal): AsyncGenerator<ListedBlock> {
    const listing = listBlocks(
      source.ebs,
      caller,
      {
        snapshotId: source.snapshotId,
        ...(previousSnapshotId ? { previousSnapshotId } : {}),
        startingBlockIndex: resume?.progress.nextBlockIndex ?? 0,
      },
      stop,
    );
    for await (const block of listing) {
      blocksListed++;
      await ledger.whenRoom(stop);
      if (ledger.admit(block.index) === 'done') blocksResumed++;
      else yield block;
    }
  }

  const copyBlock = async (block: ListedBlock, stop: AbortSignal): Promise<void> => {
    let data: Uint8Array | undefined;
    let digest: Uint8Array = ZERO_BLOCK_DIGEST;
    try {
      if (block.token) {
        const token = block.token;
        const read = await step('GetSnapshotBlock', () =>
          readBlock(source.ebs, caller, source.snapshotId, { index: block.index, token }, stop),
        );
        data = read.data;
        digest = read.digest;
        blocksInMemory++;
        if (blocksInMemory > peakBlocksInMemory) peakBlocksInMemory = blocksInMemory;
      }
      const zero = data === undefined || isZeroBlock(data);
      if (!mustWriteBlock({ zero, inPrevious: block.inPrevious }, skipZero)) {
        ledger.complete(block.index, undefined);
        blocksSkippedZero++;
      } else {
        const payload = data ?? zeroBlock();
        await step('PutSnapshotBlock', () =>
          writeBlock(target.ebs, caller, targetSnapshotId, block.index, payload, digest, stop),
        );
        ledger.complete(block.index, digest);
        blocksSent++;
        bytesSent += EBS_BLOCK_SIZE_BYTES;
      }
    } finally {
      if (data) blocksInMemory--;
    }
    if (options.onProgress) {
      const report = progress();
      const onProgress = options.onProgress;
      await step('onProgress', async () => onProgress(report));
    }
    await step('checkpoint', () => checkpoints.afterBlock());
  };

  if (!resume) {
    try {
      await checkpoints.save();
    } catch (cause) {
      throw new ReplicationFailedError(source.snapshotId, stateNow(), false, 'checkpoint', cause);
    }
  }
  const listOperation = previousSnapshotId ? 'ListChangedBlocks' : 'ListSnapshotBlocks';

  const run = await runPipeline<ListedBlock>({
    source: admitted,
    work: copyBlock,
    concurrency,
    queueCapacity: concurrency,
    ...(options.signal ? { signal: options.signal } : {}),
  });

  if (run.outcome.status !== 'completed') {
    const failed =
      run.outcome.status === 'failed' ? StepError.unwrap(run.outcome.error, listOperation) : undefined;
    const saved = failed?.operation === 'checkpoint' ? false : await checkpoints.trySave();
    const state = stateNow();
    if (run.outcome.status === 'aborted') {
      throw new ReplicationInterruptedError(source.snapshotId, state, saved, blocksSent, {
        cause: run.outcome.reason,
      });
    }
    throw new ReplicationFailedError(
      source.snapshotId,
      state,
      saved,
      failed?.operation ?? listOperation,
      failed?.cause,
    );
  }

  const { checksum, writtenCount } = ledger.finish();
  let completed: CompleteSnapshotResponse;
  try {
    await step('checkpoint', () => checkpoints.save());
    completed = await step('CompleteSnapshot', () =>
      caller.call(
        'CompleteSnapshot',
        () =>
          target.ebs.send(
            new CompleteSnapshotCommand({
              SnapshotId: targetSnapshotId,
              ChangedBlocksCount: writtenCount,
              Checksum: checksum,
              ChecksumAlgorithm: 'SHA256',
              ChecksumAggregationMethod: 'LINEAR',
            }),
          ),
        options.signal,
      ),
    );
  } catch (error) {
    const failed = StepError.unwrap(error, 'CompleteSnapshot');
    throw new ReplicationFailedError(source.snapshotId, stateNow(), false, failed.operation, failed.cause);
  }

  const durationMs = Date.now() - startedAt;
  return {
    ...progress(),
    ...caller.counts(),
    sourceSnapshotId: source.snapshotId,
    ...(parentSnapshotId ? { parentSnapshotId } : {}),
    mode: previousSnapshotId ? 'incremental' : 'full',
    status: completed.Status ?? 'unknown',
    aggregateChecksum: checksum,
    durationMs,
    elapsedMs: durationMs,
    peakBlocksInMemory,
  };
}

function validateOptions(
  options: ReplicateSnapshotOptions,
  concurrency: number,
  checkpointEvery: number,
): void {
  const { source, target } = options;
  if (!source.snapshotId) {
    throw new ReplicationOptionsError(
      'source.snapshotId',
      'source.snapshotId is empty: pass the snapshot to copy.',
    );
  }
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new ReplicationOptionsError(
      'concurrency',
      `concurrency must be an integer from 1 to ${MAX_CONCURRENCY} (got ${concurrency}); 16 suits one Lambda function.`,
    );
  }
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) {
    throw new ReplicationOptionsError(
      'checkpointEveryBlocks',
      `checkpointEveryBlocks must be a positive integer (got ${checkpointEvery}).`,
    );
  }
  if (!Number.isInteger(target.volumeSizeGiB) || target.volumeSizeGiB < 1 || target.volumeSizeGiB > 65_536) {
    throw new ReplicationOptionsError(
      'target.volumeSizeGiB',
      `target.volumeSizeGiB must be an integer from 1 to 65536 (got ${target.volumeSizeGiB}); use the source volume's size.`,
    );
  }
  if (source.previousSnapshotId && !target.parentSnapshotId) {
    throw new ReplicationOptionsError(
      'target.parentSnapshotId',
      `source.previousSnapshotId (${source.previousSnapshotId}) is set but target.parentSnapshotId is not: an incremental copy needs the replica of the previous snapshot as its parent. Pass it, or drop previousSnapshotId for a full copy.`,
    );
  }
  if (target.parentSnapshotId && !source.previousSnapshotId) {
    throw new ReplicationOptionsError(
      'source.previousSnapshotId',
      `target.parentSnapshotId (${target.parentSnapshotId}) is set but source.previousSnapshotId is not: without the changed-block listing the parent's stale blocks would survive. Pass the source snapshot the parent was copied from, or drop parentSnapshotId for a full copy.`,
    );
  }
  if (source.previousSnapshotId && source.previousSnapshotId === source.snapshotId) {
    throw new ReplicationOptionsError(
      'source.previousSnapshotId',
      `source.previousSnapshotId equals source.snapshotId (${source.snapshotId}); pass the earlier snapshot.`,
    );
  }
  if (target.parentSnapshotId && target.encrypted) {
    throw new ReplicationOptionsError(
      'target.encrypted',
      'target.encrypted cannot be combined with target.parentSnapshotId (EBS rejects it): the new snapshot takes its encryption from the parent; pass kmsKeyArn to choose the key.',
    );
  }
  if ((target.tags?.length ?? 0) > 50) {
    throw new ReplicationOptionsError(
      'target.tags',
      `a snapshot takes at most 50 tags (got ${target.tags?.length}).`,
    );
  }
}

function checkResume(state: ResumeState, options: ReplicateSnapshotOptions): ResumeState {
  const expected: Array<[string, string | undefined, string | undefined]> = [
    ['sourceSnapshotId', state.sourceSnapshotId, options.source.snapshotId],
    ['previousSourceSnapshotId', state.previousSourceSnapshotId, options.source.previousSnapshotId],
    ['parentSnapshotId', state.parentSnapshotId, options.target.parentSnapshotId],
  ];
  for (const [field, recorded, given] of expected) {
    if (recorded !== given) {
      throw new ResumeStateError(
        `The resume state is for another replication: its ${field} is ${recorded ?? '(none)'} but this run has ${given ?? '(none)'}. ` +
          'Resume with the same source and target options as the interrupted run, or start a new replication without resume.',
      );
    }
  }
  return state;
}

async function startTarget(options: ReplicateSnapshotOptions, caller: EbsCaller): Promise<string> {
  const { target } = options;
  const input = {
    VolumeSize: target.volumeSizeGiB,
    ClientToken: randomUUID(),
    ...(target.parentSnapshotId ? { ParentSnapshotId: target.parentSnapshotId } : {}),
    ...(target.tags?.length ? { Tags: [...target.tags] } : {}),
    ...(target.description ? { Description: target.description } : {}),
    ...(target.kmsKeyArn ? { KmsKeyArn: target.kmsKeyArn } : {}),
    ...(!target.parentSnapshotId && (target.kmsKeyArn || target.encrypted) ? { Encrypted: true } : {}),
    ...(target.timeoutMinutes ? { Timeout: target.timeoutMinutes } : {}),
  };
  // One ClientToken for every attempt: a retried StartSnapshot returns the same snapshot.
  const out = await caller.call(
    'StartSnapshot',
    () => target.ebs.send(new StartSnapshotCommand(input)),
    options.signal,
  );
  if (!out.SnapshotId) throw new UnexpectedResponseError('StartSnapshot', 'no SnapshotId');
  return out.SnapshotId;
}

async function step<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw new StepError(operation, cause);
  }
}

/** Serialises checkpoint writes; each write stores the state as it is when its turn comes. */
class Checkpoints {
  private chain: Promise<void> = Promise.resolve();
  private sinceLast = 0;

  constructor(
    private readonly store: ((state: ResumeState) => Promise<void>) | undefined,
    private readonly build: () => ResumeState,
    private readonly every: number,
  ) {}

  afterBlock(): Promise<void> {
    if (!this.store || ++this.sinceLast < this.every) return Promise.resolve();
    this.sinceLast = 0;
    return this.save();
  }

  save(): Promise<void> {
    const store = this.store;
    if (!store) return Promise.resolve();
    const next = this.chain.then(() => store(this.build()));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Saves once more after a stop; false when there is no store or it failed again. */
  async trySave(): Promise<boolean> {
    if (!this.store) return false;
    try {
      await this.save();
      return true;
    } catch {
      return false;
    }
  }
}
