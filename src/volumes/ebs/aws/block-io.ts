import {
  type EBSClient,
  GetSnapshotBlockCommand,
  ListChangedBlocksCommand,
  ListSnapshotBlocksCommand,
  PutSnapshotBlockCommand,
} from '@aws-sdk/client-ebs';
import { UnexpectedResponseError } from '../../../aws/errors';
import {
  DEFAULT_RETRY_POLICY,
  type RetryEvent,
  type RetryPolicy,
  ThrottleGate,
  withRetry,
} from '../../../kernel/retry';
import { EBS_MAX_LIST_RESULTS, verifiedBlockDigest } from '../checksums';
import { BlockIntegrityError, classifyEbsError } from '../errors';

/** The EBS direct API operations the engine calls. */
export type EbsOperation =
  | 'StartSnapshot'
  | 'ListSnapshotBlocks'
  | 'ListChangedBlocks'
  | 'GetSnapshotBlock'
  | 'PutSnapshotBlock'
  | 'CompleteSnapshot';

/** What a run cost in requests: the basis of its bill and of throttling headroom. */
export interface EbsCallCounts {
  /** Calls the engine made per operation (each engine-level attempt counts once). */
  readonly calls: Readonly<Record<EbsOperation, number>>;
  /** HTTP requests sent, including the SDK client's own retries. */
  readonly httpRequests: number;
  /** Engine-level retries (on top of the SDK's). */
  readonly retries: number;
  /** Engine-level retries caused by throttling. */
  readonly throttled: number;
}

function metadataAttempts(value: unknown): number {
  if (value !== null && typeof value === 'object') {
    const attempts = (value as { $metadata?: { attempts?: unknown } }).$metadata?.attempts;
    if (typeof attempts === 'number' && attempts > 0) return attempts;
  }
  return 1;
}

/**
 * Sends EBS direct API calls with the engine's retry policy and counts them. One instance
 * per run, shared by all workers, so the throttle gate pauses all of them together.
 */
export class EbsCaller {
  private readonly calls: Record<EbsOperation, number> = {
    StartSnapshot: 0,
    ListSnapshotBlocks: 0,
    ListChangedBlocks: 0,
    GetSnapshotBlock: 0,
    PutSnapshotBlock: 0,
    CompleteSnapshot: 0,
  };
  private httpRequests = 0;
  private retries = 0;
  private throttled = 0;
  private readonly gate = new ThrottleGate();

  constructor(private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY) {}

  call<T>(operation: EbsOperation, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(
      async () => {
        this.calls[operation]++;
        try {
          const out = await fn();
          this.httpRequests += metadataAttempts(out);
          return out;
        } catch (error) {
          this.httpRequests += metadataAttempts(error);
          throw error;
        }
      },
      {
        classify: classifyEbsError,
        policy: this.policy,
        gate: this.gate,
        onRetry: this.onRetry,
        ...(signal ? { signal } : {}),
      },
    );
  }

  counts(): EbsCallCounts {
    return {
      calls: { ...this.calls },
      httpRequests: this.httpRequests,
      retries: this.retries,
      throttled: this.throttled,
    };
  }

  private readonly onRetry = (event: RetryEvent): void => {
    this.retries++;
    if (event.kind === 'throttled') this.throttled++;
  };
}

/** One entry of a block listing, normalised. */
export interface ListedBlock {
  readonly index: number;
  /** Token to read the block; absent when the block is not in the snapshot (reads as zeros). */
  readonly token?: string;
  /** Changed-block listings only: the earlier snapshot has this block (it may hold data). */
  readonly inPrevious: boolean;
}

export interface ListBlocksSpec {
  readonly snapshotId: string;
  /** List only the blocks that differ from this earlier snapshot (ListChangedBlocks). */
  readonly previousSnapshotId?: string;
  /** Skip blocks below this index. @default 0 */
  readonly startingBlockIndex?: number;
}

function blockIndexOf(operation: string, snapshotId: string, raw: unknown): number {
  // The emulator sends BlockIndex as a JSON string; AWS sends a number.
  const index = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
    throw new UnexpectedResponseError(
      operation,
      `block index ${String(raw)} of ${snapshotId} is not a block index`,
    );
  }
  return index;
}

/**
 * Streams a snapshot's blocks (or the blocks changed since `previousSnapshotId`) in
 * ascending index order, one page (≤ 10,000 entries) at a time. Pages are sorted, because
 * the emulator answers in write order, and must follow each other in order.
 */
export async function* listBlocks(
  ebs: EBSClient,
  caller: EbsCaller,
  spec: ListBlocksSpec,
  signal?: AbortSignal,
): AsyncGenerator<ListedBlock> {
  const start = spec.startingBlockIndex ?? 0;
  const operation = spec.previousSnapshotId ? 'ListChangedBlocks' : 'ListSnapshotBlocks';
  let nextToken: string | undefined;
  let last = -1;
  let first = true;
  while (first || nextToken) {
    const paging = first ? (start > 0 ? { StartingBlockIndex: start } : {}) : { NextToken: nextToken };
    first = false;
    let page: ListedBlock[];
    if (spec.previousSnapshotId) {
      const previous = spec.previousSnapshotId;
      const out = await caller.call(
        'ListChangedBlocks',
        () =>
          ebs.send(
            new ListChangedBlocksCommand({
              FirstSnapshotId: previous,
              SecondSnapshotId: spec.snapshotId,
              MaxResults: EBS_MAX_LIST_RESULTS,
              ...paging,
            }),
          ),
        signal,
      );
      page = (out.ChangedBlocks ?? []).map((b) => ({
        index: blockIndexOf(operation, spec.snapshotId, b.BlockIndex),
        ...(b.SecondBlockToken ? { token: b.SecondBlockToken } : {}),
        inPrevious: b.FirstBlockToken !== undefined && b.FirstBlockToken !== '',
      }));
      nextToken = out.NextToken || undefined;
    } else {
      const out = await caller.call(
        'ListSnapshotBlocks',
        () =>
          ebs.send(
            new ListSnapshotBlocksCommand({
              SnapshotId: spec.snapshotId,
              MaxResults: EBS_MAX_LIST_RESULTS,
              ...paging,
            }),
          ),
        signal,
      );
      page = (out.Blocks ?? []).map((b) => {
        if (!b.BlockToken) {
          throw new UnexpectedResponseError(operation, `a block of ${spec.snapshotId} has no BlockToken`);
        }
        return {
          index: blockIndexOf(operation, spec.snapshotId, b.BlockIndex),
          token: b.BlockToken,
          inPrevious: false,
        };
      });
      nextToken = out.NextToken || undefined;
    }
    page.sort((a, b) => a.index - b.index);
    for (const block of page) {
      if (block.index < start) continue;
      if (block.index <= last) {
        throw new UnexpectedResponseError(
          operation,
          `block ${block.index} of ${spec.snapshotId} was listed again or out of order (after ${last})`,
        );
      }
      last = block.index;
      yield block;
    }
  }
}

export interface ReadBlock {
  readonly data: Uint8Array;
  /** Raw SHA-256 of `data`, checked against the checksum the service sent. */
  readonly digest: Buffer;
}

/** Reads one block and verifies it against the service's checksum (a mismatch is retried). */
export function readBlock(
  ebs: EBSClient,
  caller: EbsCaller,
  snapshotId: string,
  block: { readonly index: number; readonly token: string },
  signal?: AbortSignal,
): Promise<ReadBlock> {
  return caller.call(
    'GetSnapshotBlock',
    async () => {
      const out = await ebs.send(
        new GetSnapshotBlockCommand({
          SnapshotId: snapshotId,
          BlockIndex: block.index,
          BlockToken: block.token,
        }),
      );
      if (!out.BlockData) {
        throw new UnexpectedResponseError(
          'GetSnapshotBlock',
          `block ${block.index} of ${snapshotId} has no data`,
        );
      }
      const data = await out.BlockData.transformToByteArray();
      if (!out.Checksum) {
        throw new UnexpectedResponseError(
          'GetSnapshotBlock',
          `block ${block.index} of ${snapshotId} came without a checksum, so it cannot be verified`,
        );
      }
      if (out.ChecksumAlgorithm !== undefined && out.ChecksumAlgorithm !== 'SHA256') {
        throw new UnexpectedResponseError(
          'GetSnapshotBlock',
          `block ${block.index} of ${snapshotId} has a ${out.ChecksumAlgorithm} checksum; only SHA256 is supported`,
        );
      }
      return {
        data,
        digest: verifiedBlockDigest(snapshotId, block.index, data, out.Checksum),
        $metadata: out.$metadata,
      };
    },
    signal,
  );
}

/** The SigV4 header for the body's SHA-256 (hex); the signer uses a value already there instead of hashing. */
const PAYLOAD_HASH_HEADER = 'x-amz-content-sha256';

function hasHeaders(request: unknown): request is { headers: Record<string, string> } {
  return (
    request !== null &&
    typeof request === 'object' &&
    typeof (request as { headers?: unknown }).headers === 'object' &&
    (request as { headers?: unknown }).headers !== null
  );
}

/**
 * PutSnapshotBlock with the block's SHA-256, already computed and verified, as the signed
 * payload hash: without it the SigV4 signer hashes the 512 KiB body a second time, the
 * largest CPU cost the engine had beyond a bare Get→Put loop. A digest that did not match
 * the body would fail the signature check, so the payload stays signed.
 */
function putBlockCommand(
  snapshotId: string,
  index: number,
  data: Uint8Array,
  digest: Uint8Array,
  checksum: string,
): PutSnapshotBlockCommand {
  const command = new PutSnapshotBlockCommand({
    SnapshotId: snapshotId,
    BlockIndex: index,
    BlockData: data,
    DataLength: data.length,
    Checksum: checksum,
    ChecksumAlgorithm: 'SHA256',
  });
  const payloadHash = Buffer.from(digest).toString('hex');
  command.middlewareStack.add(
    (next) => (args) => {
      if (hasHeaders(args.request)) args.request.headers[PAYLOAD_HASH_HEADER] = payloadHash;
      return next(args);
    },
    { step: 'build', name: 'lifeboatBlockPayloadHash' },
  );
  return command;
}

/** Writes one block with its SHA-256 (the service rejects data that does not match it). */
export async function writeBlock(
  ebs: EBSClient,
  caller: EbsCaller,
  snapshotId: string,
  index: number,
  data: Uint8Array,
  digest: Uint8Array,
  signal?: AbortSignal,
): Promise<void> {
  const checksum = Buffer.from(digest).toString('base64');
  await caller.call(
    'PutSnapshotBlock',
    async () => {
      const out = await ebs.send(putBlockCommand(snapshotId, index, data, digest, checksum));
      if (out.Checksum !== undefined && out.Checksum !== checksum) {
        throw new BlockIntegrityError(
          snapshotId,
          index,
          `the service stored checksum ${out.Checksum} for data sent with checksum ${checksum}`,
        );
      }
      return out;
    },
    signal,
  );
}
