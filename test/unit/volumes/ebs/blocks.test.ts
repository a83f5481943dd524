import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aggregateStateSchema,
  BlockIntegrityError,
  BoundedQueue,
  backoffDelayMs,
  blockDigest,
  classifyEbsError,
  DEFAULT_RETRY_POLICY,
  EBS_BLOCK_SIZE_BYTES,
  isZeroBlock,
  LinearAggregate,
  linearAggregateChecksum,
  mustWriteBlock,
  parseResumeState,
  ReplicationLedger,
  type ResumeState,
  ResumeStateError,
  runPipeline,
  ThrottleGate,
  verifiedBlockDigest,
  withRetry,
  writtenBlocks,
  ZERO_BLOCK_DIGEST,
} from '../../../../src/volumes/ebs/blocks';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const digestOf = (n: number) => sha256(Buffer.from(`block-${n}`));
const block = (fill: number) => Buffer.alloc(EBS_BLOCK_SIZE_BYTES, fill);
const tick = () => new Promise((r) => setImmediate(r));

function awsError(name: string, status: number, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: { httpStatusCode: status },
    ...extra,
  });
}

describe('block checksums', () => {
  it('hashes a block with SHA-256', () => {
    const data = block(7);
    expect(blockDigest(data).equals(sha256(data))).toBe(true);
    expect(ZERO_BLOCK_DIGEST.equals(sha256(block(0)))).toBe(true);
  });

  it('detects all-zero blocks and any non-zero byte, wherever it is', () => {
    expect(isZeroBlock(block(0))).toBe(true);
    const last = block(0);
    last[EBS_BLOCK_SIZE_BYTES - 1] = 1;
    expect(isZeroBlock(last)).toBe(false);
    const first = block(0);
    first[0] = 0x80;
    expect(isZeroBlock(first)).toBe(false);
    expect(isZeroBlock(new Uint8Array(16))).toBe(true);
    expect(isZeroBlock(block(0).subarray(1024, 2048))).toBe(true);
  });

  it('accepts a block whose data matches the service checksum and returns its raw digest', () => {
    const data = block(3);
    const digest = verifiedBlockDigest('snap-1', 4, data, sha256(data).toString('base64'));
    expect(digest.equals(sha256(data))).toBe(true);
  });

  it('rejects a block whose data does not match the service checksum, naming snapshot and index', () => {
    const data = block(3);
    const wrong = sha256(block(4)).toString('base64');
    expect(() => verifiedBlockDigest('snap-1', 4, data, wrong)).toThrow(BlockIntegrityError);
    expect(() => verifiedBlockDigest('snap-1', 4, data, wrong)).toThrow(/Block 4 of snap-1/);
  });

  it('rejects a short block', () => {
    const data = Buffer.alloc(1000, 1);
    expect(() => verifiedBlockDigest('snap-1', 0, data, sha256(data).toString('base64'))).toThrow(
      /received 1000 bytes, expected 524288/,
    );
  });
});

describe('mustWriteBlock', () => {
  it('writes every block that holds data', () => {
    expect(mustWriteBlock({ zero: false, inPrevious: false }, true)).toBe(true);
    expect(mustWriteBlock({ zero: false, inPrevious: true }, true)).toBe(true);
  });

  it('leaves out a zero block where the new snapshot already reads zeros', () => {
    expect(mustWriteBlock({ zero: true, inPrevious: false }, true)).toBe(false);
  });

  it("writes zeros over a block the previous snapshot had, so the parent's data does not show through", () => {
    expect(mustWriteBlock({ zero: true, inPrevious: true }, true)).toBe(true);
  });

  it('writes zero blocks too when skipping is turned off', () => {
    expect(mustWriteBlock({ zero: true, inPrevious: false }, false)).toBe(true);
  });
});

describe('LINEAR aggregate', () => {
  it('is SHA-256 over the concatenated raw digests in index order, base64 (not over their base64 text)', () => {
    const digests = [digestOf(0), digestOf(1), digestOf(2)];
    expect(linearAggregateChecksum(digests)).toBe(sha256(Buffer.concat(digests)).toString('base64'));
    expect(linearAggregateChecksum(digests)).not.toBe(
      sha256(Buffer.from(digests.map((d) => d.toString('base64')).join(''))).toString('base64'),
    );
  });

  it('computes the same aggregate incrementally as node:crypto over the whole sequence', () => {
    for (const count of [0, 1, 2, 3, 4, 5, 31, 64, 257]) {
      const digests = Array.from({ length: count }, (_, i) => digestOf(i));
      const aggregate = new LinearAggregate();
      for (const d of digests) aggregate.add(d);
      expect(aggregate.checksum(), `${count} digests`).toBe(linearAggregateChecksum(digests));
      expect(aggregate.digests).toBe(count);
    }
  });

  it('continues from a saved state (through JSON) to the same aggregate, at any split point', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 80 }),
        fc.nat(),
        (digests, cut) => {
          const split = digests.length === 0 ? 0 : cut % (digests.length + 1);
          const first = new LinearAggregate();
          for (const d of digests.slice(0, split)) first.add(d);
          const saved = aggregateStateSchema.parse(JSON.parse(JSON.stringify(first.toState())));
          const resumed = new LinearAggregate(saved);
          for (const d of digests.slice(split)) resumed.add(d);
          return resumed.checksum() === linearAggregateChecksum(digests);
        },
      ),
    );
  });

  it('can be read and then extended', () => {
    const aggregate = new LinearAggregate();
    aggregate.add(digestOf(0));
    expect(aggregate.checksum()).toBe(linearAggregateChecksum([digestOf(0)]));
    aggregate.add(digestOf(1));
    expect(aggregate.checksum()).toBe(linearAggregateChecksum([digestOf(0), digestOf(1)]));
  });

  it('rejects a digest that is not 32 bytes', () => {
    expect(() => new LinearAggregate().add(new Uint8Array(20))).toThrow(RangeError);
  });

  it('rejects a saved state whose pending digest disagrees with its count', () => {
    const state = new LinearAggregate().toState();
    expect(aggregateStateSchema.safeParse({ ...state, digests: 1 }).success).toBe(false);
  });
});

describe('ReplicationLedger', () => {
  it('folds digests in block index order whatever order blocks finish in', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 5000 }), { minLength: 1, maxLength: 60 }),
        fc.infiniteStream(fc.boolean()),
        (rawIndexes, skips) => {
          const indexes = [...rawIndexes].sort((a, b) => a - b);
          const written = indexes.map(() => skips.next().value as boolean);
          const ledger = new ReplicationLedger(1000);
          for (const index of indexes) expect(ledger.admit(index)).toBe('todo');
          const order = [...indexes.keys()].reverse();
          for (const i of order) {
            ledger.complete(indexes[i] as number, written[i] ? digestOf(indexes[i] as number) : undefined);
          }
          const expected = indexes.filter((_, i) => written[i]).map(digestOf);
          const result = ledger.finish();
          return (
            result.checksum === linearAggregateChecksum(expected) && result.writtenCount === expected.length
          );
        },
      ),
    );
  });

  it('records done blocks above the first unfinished one in the resume state', () => {
    const ledger = new ReplicationLedger(10);
    for (const i of [2, 5, 9, 12]) ledger.admit(i);
    ledger.complete(2, digestOf(2));
    ledger.complete(9, undefined);
    ledger.complete(12, digestOf(12));
    const state = ledger.state();
    expect(state.nextBlockIndex).toBe(3);
    expect(state.aggregate.digests).toBe(1);
    expect(state.ahead).toEqual([{ index: 9 }, { index: 12, checksum: digestOf(12).toString('base64') }]);
    expect(ledger.writtenCount).toBe(2);
  });

  it('resumes without redoing finished blocks and ends with the same aggregate as one run', () => {
    const indexes = [0, 1, 3, 4, 8, 9, 10, 15];
    const zero = new Set([4, 10]);
    const digestFor = (i: number) => (zero.has(i) ? undefined : digestOf(i));
    const first = new ReplicationLedger(10);
    for (const i of indexes) first.admit(i);
    for (const i of [0, 1, 4, 9, 15]) first.complete(i, digestFor(i));
    const state = JSON.parse(JSON.stringify(first.state()));

    const second = new ReplicationLedger(10, state);
    const redo: number[] = [];
    for (const i of indexes) if (second.admit(i) === 'todo') redo.push(i);
    expect(redo).toEqual([3, 8, 10]);
    for (const i of redo) second.complete(i, digestFor(i));
    const expected = indexes.filter((i) => !zero.has(i)).map(digestOf);
    expect(second.finish()).toEqual({
      checksum: linearAggregateChecksum(expected),
      writtenCount: expected.length,
    });
  });

  it('holds the producer back while `window` blocks are unfolded', async () => {
    const ledger = new ReplicationLedger(2);
    ledger.admit(0);
    ledger.admit(1);
    let roomy = false;
    const room = ledger.whenRoom().then(() => {
      roomy = true;
    });
    ledger.complete(1, digestOf(1));
    await tick();
    expect(roomy).toBe(false);
    ledger.complete(0, digestOf(0));
    await room;
    expect(roomy).toBe(true);
  });

  it('stops waiting for room when the signal aborts', async () => {
    const ledger = new ReplicationLedger(1);
    ledger.admit(0);
    const controller = new AbortController();
    const waiting = ledger.whenRoom(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });

  it('refuses indexes that do not ascend', () => {
    const ledger = new ReplicationLedger(10);
    ledger.admit(4);
    expect(() => ledger.admit(4)).toThrow(/must ascend/);
    expect(() => ledger.admit(2)).toThrow(/must ascend/);
  });

  it('fails at the end when resumed blocks never showed up in the listing', () => {
    const first = new ReplicationLedger(10);
    first.admit(0);
    first.admit(7);
    first.complete(7, digestOf(7));
    const second = new ReplicationLedger(10, first.state());
    second.admit(0);
    second.complete(0, digestOf(0));
    expect(() => second.finish()).toThrow(ResumeStateError);
  });

  it('refuses to finish with blocks outstanding', () => {
    const ledger = new ReplicationLedger(10);
    ledger.admit(0);
    expect(() => ledger.finish()).toThrow(/not done/);
  });
});

describe('parseResumeState', () => {
  const valid: ResumeState = {
    version: 1,
    sourceSnapshotId: 'snap-src',
    targetSnapshotId: 'snap-dst',
    progress: {
      nextBlockIndex: 3,
      aggregate: new LinearAggregate().toState(),
      ahead: [{ index: 5, checksum: digestOf(5).toString('base64') }, { index: 6 }],
    },
  };

  it('accepts a state produced by the ledger and counts its written blocks', () => {
    expect(parseResumeState(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
    expect(writtenBlocks(valid)).toBe(1);
  });

  it('rejects a damaged state, naming where, with what to do', () => {
    const damaged = { ...valid, progress: { ...valid.progress, nextBlockIndex: -1 } };
    expect(() => parseResumeState(damaged)).toThrow(ResumeStateError);
    expect(() => parseResumeState(damaged)).toThrow(/progress\.nextBlockIndex/);
    expect(() => parseResumeState({ ...valid, extra: 1 })).toThrow(/start a new replication/);
  });
});

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

describe('classifyEbsError', () => {
  it.each([
    ['RequestThrottledException', 400],
    ['ConcurrentLimitExceededException', 400],
    ['ThrottlingException', 400],
    ['SomethingElse', 429],
  ])('treats %s (HTTP %i) as throttling', (name, status) => {
    expect(classifyEbsError(awsError(name, status))).toBe('throttled');
  });

  it.each([
    ['InternalServerException', 500],
    ['ServiceUnavailable', 503],
    ['SyntaxError', 502],
  ])('treats %s (HTTP %i) as transient', (name, status) => {
    expect(classifyEbsError(awsError(name, status))).toBe('transient');
  });

  it('treats network errors and integrity failures as transient', () => {
    expect(classifyEbsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(
      'transient',
    );
    expect(classifyEbsError(new BlockIntegrityError('snap-1', 0, 'bad'))).toBe('transient');
  });

  it('does not retry client errors or aborts', () => {
    expect(classifyEbsError(awsError('ValidationException', 400, { Reason: 'INVALID_BLOCK_TOKEN' }))).toBe(
      'fatal',
    );
    expect(classifyEbsError(awsError('AccessDeniedException', 403))).toBe('fatal');
    expect(classifyEbsError(awsError('ResourceNotFoundException', 404))).toBe('fatal');
    expect(classifyEbsError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe('fatal');
    expect(classifyEbsError('boom')).toBe('fatal');
  });
});

describe('retries', () => {
  const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

  it('backs off exponentially with full jitter up to the cap', () => {
    expect(backoffDelayMs(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelayMs(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelayMs(5, policy, () => 0)).toBe(0);
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
      { policy, random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
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
    await expect(withRetry(fail, { policy, sleep: async () => {} })).rejects.toThrow(
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
    await expect(withRetry(fail)).rejects.toThrow('ValidationException');
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
      { policy, gate, random: () => 0.5 },
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
    await expect(withRetry(fail, { policy, signal: controller.signal })).rejects.toThrow(
      'InternalServerException',
    );
    expect(calls).toBe(1);
  });

  it('keeps the default engine attempts small, since the SDK client retries too', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeLessThanOrEqual(3);
  });
});
