import type { EBSClient } from '@aws-sdk/client-ebs';
import { runPipeline } from '../../../kernel/pipeline';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../../kernel/retry';
import { ZERO_BLOCK_DIGEST } from '../checksums';
import { ReplicationOptionsError, VerificationFailedError } from '../errors';
import { type EbsCallCounts, EbsCaller, type ListedBlock, listBlocks, readBlock } from './block-io';

/**
 * Checks a finished replica against its source by reading both: for every block the source
 * listing names (all blocks, or those changed since `source.previousSnapshotId`), the
 * target's block must hash to the source's, and a block the target lacks must be all zeros
 * at the source. In a full check, a block only the target has must be zeros too. Each
 * block's data is checked against the checksum GetSnapshotBlock sends with it.
 *
 * Costs two GetSnapshotBlock calls per compared block (ListSnapshotBlocks does not return
 * checksums), so it suits drills rather than every backup. Call it once the target
 * snapshot is `completed` (EC2 `waitUntilSnapshotCompleted`): AWS seals snapshots
 * asynchronously and lists no blocks of a pending one.
 */
export interface VerifyReplicaOptions {
  readonly source: {
    readonly ebs: EBSClient;
    readonly snapshotId: string;
    readonly previousSnapshotId?: string;
  };
  readonly target: { readonly ebs: EBSClient; readonly snapshotId: string };
  /** Blocks compared at once. @default 16 */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  /** Engine-level retries, on top of the SDK client's. @default DEFAULT_RETRY_POLICY */
  readonly retry?: Partial<RetryPolicy>;
}

export interface BlockMismatch {
  readonly index: number;
  /** Base64 SHA-256 the source holds at this index (of zeros when it has no block). */
  readonly expected: string;
  /** Base64 SHA-256 the target holds (of zeros when it has no block). */
  readonly actual: string;
}

export interface VerifyReplicaResult extends EbsCallCounts {
  readonly ok: boolean;
  readonly blocksCompared: number;
  readonly mismatchCount: number;
  /** The first 100 mismatches, by index. */
  readonly mismatches: readonly BlockMismatch[];
  readonly durationMs: number;
}

interface Comparison {
  readonly index: number;
  readonly source?: string;
  readonly target?: string;
}

const MAX_REPORTED = 100;

/** Compares a replica with its source block by block; see VerifyReplicaOptions. */
export async function verifyReplica(options: VerifyReplicaOptions): Promise<VerifyReplicaResult> {
  const startedAt = Date.now();
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new ReplicationOptionsError(
      'concurrency',
      `concurrency must be an integer from 1 to 256 (got ${concurrency}).`,
    );
  }
  const { source, target } = options;
  const full = source.previousSnapshotId === undefined;
  const caller = new EbsCaller({ ...DEFAULT_RETRY_POLICY, ...options.retry });
  const mismatches: BlockMismatch[] = [];
  let mismatchCount = 0;
  let blocksCompared = 0;

  async function* comparisons(stop: AbortSignal): AsyncGenerator<Comparison> {
    const sourceBlocks = listBlocks(
      source.ebs,
      caller,
      { snapshotId: source.snapshotId, ...(full ? {} : { previousSnapshotId: source.previousSnapshotId }) },
      stop,
    );
    const targetBlocks = listBlocks(target.ebs, caller, { snapshotId: target.snapshotId }, stop);
    const targetOnly = (block: ListedBlock): Comparison | undefined =>
      full ? { index: block.index, ...(block.token ? { target: block.token } : {}) } : undefined;
    try {
      let pending = await targetBlocks.next();
      for await (const s of sourceBlocks) {
        while (!pending.done && pending.value.index < s.index) {
          const extra = targetOnly(pending.value);
          if (extra) yield extra;
          pending = await targetBlocks.next();
        }
        const t = !pending.done && pending.value.index === s.index ? pending.value : undefined;
        if (t) pending = await targetBlocks.next();
        yield {
          index: s.index,
          ...(s.token ? { source: s.token } : {}),
          ...(t?.token ? { target: t.token } : {}),
        };
      }
      while (!pending.done) {
        const extra = targetOnly(pending.value);
        if (extra) yield extra;
        pending = await targetBlocks.next();
      }
    } finally {
      await targetBlocks.return(undefined);
    }
  }

  const digestAt = async (
    ebs: EBSClient,
    snapshotId: string,
    index: number,
    token: string | undefined,
    stop: AbortSignal,
  ) =>
    token === undefined
      ? ZERO_BLOCK_DIGEST
      : (await readBlock(ebs, caller, snapshotId, { index, token }, stop)).digest;

  const run = await runPipeline<Comparison>({
    source: comparisons,
    concurrency,
    ...(options.signal ? { signal: options.signal } : {}),
    work: async (c, stop) => {
      const expected = (await digestAt(source.ebs, source.snapshotId, c.index, c.source, stop)).toString(
        'base64',
      );
      const actual = (await digestAt(target.ebs, target.snapshotId, c.index, c.target, stop)).toString(
        'base64',
      );
      blocksCompared++;
      if (expected !== actual) {
        mismatchCount++;
        mismatches.push({ index: c.index, expected, actual });
        if (mismatches.length > 2 * MAX_REPORTED) {
          mismatches.sort((a, b) => a.index - b.index);
          mismatches.length = MAX_REPORTED;
        }
      }
    },
  });
  if (run.outcome.status === 'aborted') throw run.outcome.reason;
  if (run.outcome.status === 'failed') {
    throw new VerificationFailedError(source.snapshotId, target.snapshotId, run.outcome.error);
  }
  mismatches.sort((a, b) => a.index - b.index);
  return {
    ok: mismatchCount === 0,
    blocksCompared,
    mismatchCount,
    mismatches: mismatches.slice(0, MAX_REPORTED),
    durationMs: Date.now() - startedAt,
    ...caller.counts(),
  };
}
