import {
  type EBSClient,
  GetSnapshotBlockCommand,
  ListSnapshotBlocksCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-ebs';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import type { InitializeMiddleware } from '@smithy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClients, CallCounter } from '../../src/aws/clients';
import { replicateSnapshot } from '../../src/volumes/ebs/aws/block-engine';
import { verifyReplica } from '../../src/volumes/ebs/aws/replica-verify';
import { EBS_BLOCK_SIZE_BYTES, linearAggregateChecksum } from '../../src/volumes/ebs/checksums';
import {
  ReplicationFailedError,
  ReplicationInterruptedError,
  ReplicationOptionsError,
  ResumeStateError,
} from '../../src/volumes/ebs/errors';
import { parseResumeState, writtenBlocks } from '../../src/volumes/ebs/ledger';
import type { ResumeState } from '../../src/volumes/ebs/resume-state';
import { seedSnapshot, sha256 } from '../support/ebs-snapshots';
import { useEmulator } from '../support/emulator';

const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const ctx = useEmulator();

type Content = Map<number, Buffer>;

const zeros = () => Buffer.alloc(EBS_BLOCK_SIZE_BYTES);

/** A recognisable non-zero block: a label and a fill byte derived from `seed`. */
function dataBlock(seed: number): Buffer {
  const data = Buffer.alloc(EBS_BLOCK_SIZE_BYTES, (seed % 251) + 1);
  data.write(`block seed ${seed}`, 0);
  data.writeUInt32BE(seed, EBS_BLOCK_SIZE_BYTES - 4);
  return data;
}

/** Source content: non-zero blocks at `indexes`, written zero blocks at `zeroIndexes`. */
function content(indexes: number[], zeroIndexes: number[] = [], salt = 0): Content {
  const out: Content = new Map();
  for (const i of indexes) out.set(i, dataBlock(i * 1000 + salt));
  for (const i of zeroIndexes) out.set(i, zeros());
  return new Map([...out.entries()].sort(([a], [b]) => a - b));
}

/** Every block a snapshot holds, read back directly (not through the engine), with its checksum. */
async function readSnapshot(
  ebs: EBSClient,
  snapshotId: string,
): Promise<Map<number, { data: Buffer; checksum: string }>> {
  const listed = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }));
  const out = new Map<number, { data: Buffer; checksum: string }>();
  for (const b of listed.Blocks ?? []) {
    const index = Number(b.BlockIndex);
    const got = await ebs.send(
      new GetSnapshotBlockCommand({ SnapshotId: snapshotId, BlockIndex: index, BlockToken: b.BlockToken }),
    );
    const data = Buffer.from(
      await (got.BlockData as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    out.set(index, { data, checksum: got.Checksum as string });
  }
  return out;
}

/** LINEAR aggregate AWS expects for the blocks a snapshot had written to it. */
function expectedAggregate(written: Content): string {
  return linearAggregateChecksum([...written.entries()].sort(([a], [b]) => a - b).map(([, d]) => sha256(d)));
}

function nonZero(blocks: Content): Content {
  return new Map([...blocks].filter(([, d]) => !d.equals(zeros())));
}

/**
 * Runs `onCommand` before each request the client sends. Used to observe requests, and (in
 * the throttling tests only) to inject a throttling error in place of the request.
 */
function intercept(
  client: EBSClient,
  onCommand: (commandName: string, input: Record<string, unknown>) => void,
): void {
  const middleware: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes> =
    (next, context) => async (args) => {
      const input: Record<string, unknown> = { ...args.input };
      onCommand(context.commandName ?? '', input);
      return next(args);
    };
  client.middlewareStack.add(middleware, { step: 'initialize', name: 'testIntercept' });
}

function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'RequestThrottledException',
    $metadata: { httpStatusCode: 400, attempts: 1 },
  });
}

const opened: AwsClients[] = [];
/** Clients of their own, so each test counts only its own calls. */
function clientsWithCounter(): { clients: AwsClients; counter: CallCounter } {
  const counter = new CallCounter();
  const clients = new AwsClients({ endpoint: ctx.endpoint, onCall: counter.record });
  opened.push(clients);
  return { clients, counter };
}
afterEach(() => {
  for (const c of opened.splice(0)) c.destroy();
});

const puts = (counter: CallCounter) => counter.counts.get('EBS.PutSnapshotBlock') ?? 0;

describe('replicateSnapshot: full copy', () => {
  it('copies every non-zero block across regions with matching checksums and the LINEAR aggregate', async () => {
    const { clients, counter } = clientsWithCounter();
    const source = content([0, 1, 3, 4, 6, 7, 8, 10, 11, 40], [2, 5, 9]);
    const sourceId = await seedSnapshot(clients.ebs(PRIMARY), source);
    const starts: Record<string, unknown>[] = [];
    intercept(clients.ebs(DR), (name, input) => {
      if (name === 'StartSnapshotCommand') starts.push(input);
    });
    const seededPuts = puts(counter);

    const result = await replicateSnapshot({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: {
        ebs: clients.ebs(DR),
        volumeSizeGiB: 1,
        tags: [{ Key: 'lifeboat:source-snapshot', Value: sourceId }],
        description: 'lifeboat replica',
      },
      concurrency: 4,
    });

    expect(result).toMatchObject({
      mode: 'full',
      sourceSnapshotId: sourceId,
      status: 'completed',
      blocksListed: 13,
      blocksSent: 10,
      blocksSkippedZero: 3,
      blocksWritten: 10,
      bytesSent: 10 * EBS_BLOCK_SIZE_BYTES,
      aggregateChecksum: expectedAggregate(nonZero(source)),
    });
    expect(result.calls).toMatchObject({
      StartSnapshot: 1,
      ListSnapshotBlocks: 1,
      ListChangedBlocks: 0,
      GetSnapshotBlock: 13,
      PutSnapshotBlock: 10,
      CompleteSnapshot: 1,
    });
    expect(puts(counter) - seededPuts).toBe(10);
    expect(result.peakBlocksInMemory).toBeGreaterThan(0);
    expect(result.peakBlocksInMemory).toBeLessThanOrEqual(4);
    expect(starts).toEqual([expect.not.objectContaining({ ParentSnapshotId: expect.anything() })]);

    const replica = await readSnapshot(clients.ebs(DR), result.targetSnapshotId);
    expect([...replica.keys()].sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 6, 7, 8, 10, 11, 40]);
    for (const [index, block] of replica) {
      const original = source.get(index) as Buffer;
      expect(block.checksum, `block ${index}`).toBe(sha256(original).toString('base64'));
      expect(block.data.equals(original), `block ${index}`).toBe(true);
    }

    const described = await clients
      .ec2(DR)
      .send(new DescribeSnapshotsCommand({ SnapshotIds: [result.targetSnapshotId] }));
    expect(described.Snapshots?.[0]).toMatchObject({
      Description: 'lifeboat replica',
      Tags: [{ Key: 'lifeboat:source-snapshot', Value: sourceId }],
    });

    const verified = await verifyReplica({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: clients.ebs(DR), snapshotId: result.targetSnapshotId },
      concurrency: 3,
    });
    expect(verified).toMatchObject({ ok: true, blocksCompared: 13, mismatchCount: 0 });
  });

  it('holds one block at a time with concurrency 1', async () => {
    const { clients } = clientsWithCounter();
    const sourceId = await seedSnapshot(clients.ebs(PRIMARY), content([0, 1, 2, 3]));
    const result = await replicateSnapshot({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: clients.ebs(DR), volumeSizeGiB: 1 },
      concurrency: 1,
    });
    expect(result.blocksSent).toBe(4);
    expect(result.peakBlocksInMemory).toBe(1);
  });

  it('reports a replica that differs from its source', async () => {
    const { clients } = clientsWithCounter();
    const source = content([0, 1, 2], [3]);
    const sourceId = await seedSnapshot(clients.ebs(PRIMARY), source);
    const tampered = new Map(source);
    tampered.set(1, dataBlock(999));
    tampered.delete(3);
    tampered.set(7, dataBlock(7));
    const targetId = await seedSnapshot(clients.ebs(DR), tampered);

    const verified = await verifyReplica({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: clients.ebs(DR), snapshotId: targetId },
    });

    expect(verified.ok).toBe(false);
    expect(verified.mismatches.map((m) => m.index)).toEqual([1, 7]);
    expect(verified.mismatches[0]).toEqual({
      index: 1,
      expected: sha256(source.get(1) as Buffer).toString('base64'),
      actual: sha256(dataBlock(999)).toString('base64'),
    });
  });
});

describe('replicateSnapshot: incremental copy', () => {
  it('sends only the 3 changed blocks into a snapshot whose parent is the previous replica', async () => {
    const { clients, counter } = clientsWithCounter();
    const primary = clients.ebs(PRIMARY);
    const dr = clients.ebs(DR);
    const first = content([0, 1, 3, 4, 6, 8], [2, 5, 7]);
    const firstId = await seedSnapshot(primary, first);
    const firstReplica = await replicateSnapshot({
      source: { ebs: primary, snapshotId: firstId },
      target: { ebs: dr, volumeSizeGiB: 1 },
    });

    // Block 1 rewritten, block 2 (zero) now holds data, block 4 (data) now zero. The emulator
    // ignores ParentSnapshotId, so the second snapshot carries every block, as AWS would show it.
    const second = new Map(first);
    second.set(1, dataBlock(111));
    second.set(2, dataBlock(222));
    second.set(4, zeros());
    const secondId = await seedSnapshot(primary, second, firstId);
    const starts: Record<string, unknown>[] = [];
    intercept(dr, (name, input) => {
      if (name === 'StartSnapshotCommand') starts.push(input);
    });
    const before = puts(counter);

    const result = await replicateSnapshot({
      source: { ebs: primary, snapshotId: secondId, previousSnapshotId: firstId },
      target: { ebs: dr, parentSnapshotId: firstReplica.targetSnapshotId, volumeSizeGiB: 1 },
    });

    expect(puts(counter) - before).toBe(3);
    expect(result).toMatchObject({
      mode: 'incremental',
      parentSnapshotId: firstReplica.targetSnapshotId,
      blocksListed: 3,
      blocksSent: 3,
      blocksSkippedZero: 0,
      bytesSent: 3 * EBS_BLOCK_SIZE_BYTES,
    });
    expect(result.calls).toMatchObject({ ListChangedBlocks: 1, ListSnapshotBlocks: 0, PutSnapshotBlock: 3 });
    expect(starts).toEqual([expect.objectContaining({ ParentSnapshotId: firstReplica.targetSnapshotId })]);
    const written = new Map([1, 2, 4].map((i) => [i, second.get(i) as Buffer]));
    expect(result.aggregateChecksum).toBe(expectedAggregate(written));

    // What a volume made from the new replica reads: the parent's blocks overlaid with the
    // new ones (the emulator does not do this inheritance itself), zeros elsewhere.
    const parentBlocks = await readSnapshot(dr, firstReplica.targetSnapshotId);
    const ownBlocks = await readSnapshot(dr, result.targetSnapshotId);
    expect([...ownBlocks.keys()].sort((a, b) => a - b)).toEqual([1, 2, 4]);
    const restored = new Map([...parentBlocks, ...ownBlocks].map(([i, b]) => [i, b.data]));
    for (const index of new Set([...second.keys(), ...restored.keys()])) {
      const expected = second.get(index) ?? zeros();
      expect((restored.get(index) ?? zeros()).equals(expected), `block ${index}`).toBe(true);
    }

    const verified = await verifyReplica({
      source: { ebs: primary, snapshotId: secondId, previousSnapshotId: firstId },
      target: { ebs: dr, snapshotId: result.targetSnapshotId },
    });
    expect(verified).toMatchObject({ ok: true, blocksCompared: 3 });
  });

  it('writes zeros where the new source snapshot no longer has a block the previous one had', async () => {
    const { clients } = clientsWithCounter();
    const primary = clients.ebs(PRIMARY);
    const dr = clients.ebs(DR);
    const first = content([0, 1, 2]);
    const firstId = await seedSnapshot(primary, first);
    const firstReplica = await replicateSnapshot({
      source: { ebs: primary, snapshotId: firstId },
      target: { ebs: dr, volumeSizeGiB: 1 },
    });
    const second = new Map(first);
    second.delete(1);
    const secondId = await seedSnapshot(primary, second, firstId);

    const result = await replicateSnapshot({
      source: { ebs: primary, snapshotId: secondId, previousSnapshotId: firstId },
      target: { ebs: dr, parentSnapshotId: firstReplica.targetSnapshotId, volumeSizeGiB: 1 },
    });

    expect(result).toMatchObject({ blocksListed: 1, blocksSent: 1, blocksSkippedZero: 0 });
    expect(result.calls.GetSnapshotBlock).toBe(0);
    const own = await readSnapshot(dr, result.targetSnapshotId);
    expect([...own.keys()]).toEqual([1]);
    expect(own.get(1)?.data.equals(zeros())).toBe(true);
    expect(result.aggregateChecksum).toBe(expectedAggregate(new Map([[1, zeros()]])));
  });

  it('refuses a parent without the previous source snapshot, before starting anything', async () => {
    const { clients, counter } = clientsWithCounter();
    await expect(
      replicateSnapshot({
        source: { ebs: clients.ebs(PRIMARY), snapshotId: 'snap-0123456789abcdef0' },
        target: { ebs: clients.ebs(DR), parentSnapshotId: 'snap-0fedcba9876543210', volumeSizeGiB: 1 },
      }),
    ).rejects.toThrow(ReplicationOptionsError);
    await expect(
      replicateSnapshot({
        source: {
          ebs: clients.ebs(PRIMARY),
          snapshotId: 'snap-0123456789abcdef0',
          previousSnapshotId: 'snap-1',
        },
        target: { ebs: clients.ebs(DR), volumeSizeGiB: 1 },
      }),
    ).rejects.toThrow(/needs the replica of the previous snapshot as its parent/);
    expect(counter.total()).toBe(0);
  });
});

describe('replicateSnapshot: interruption and resume', () => {
  const indexes = Array.from({ length: 16 }, (_, i) => i * 3);
  const zeroIndexes = [1, 2];

  it('resumes after an abort without sending finished blocks again', async () => {
    const { clients, counter } = clientsWithCounter();
    const source = content(indexes, zeroIndexes);
    const sourceId = await seedSnapshot(clients.ebs(PRIMARY), source);
    const before = puts(counter);
    const checkpoints: string[] = [];
    const controller = new AbortController();

    const interrupted = await replicateSnapshot({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: clients.ebs(DR), volumeSizeGiB: 1 },
      concurrency: 2,
      signal: controller.signal,
      checkpointEveryBlocks: 3,
      checkpoint: async (state) => void checkpoints.push(JSON.stringify(state)),
      onProgress: (p) => {
        if (p.blocksSent === 5) controller.abort(new Error('Lambda time is nearly up'));
      },
    }).catch((e: unknown) => e);

    expect(interrupted).toBeInstanceOf(ReplicationInterruptedError);
    const error = interrupted as ReplicationInterruptedError;
    expect(error.checkpointSaved).toBe(true);
    const state = error.resumeState as ResumeState;
    expect(JSON.parse(checkpoints.at(-1) as string)).toEqual(state);
    const firstRunPuts = puts(counter) - before;
    expect(firstRunPuts).toBe(error.blocksSent);
    expect(firstRunPuts).toBeGreaterThanOrEqual(5);
    expect(writtenBlocks(state)).toBe(firstRunPuts);
    expect(firstRunPuts).toBeLessThan(16);

    const resumed = await replicateSnapshot({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: clients.ebs(DR), volumeSizeGiB: 1 },
      concurrency: 2,
      resume: parseResumeState(JSON.parse(checkpoints.at(-1) as string)),
    });

    expect(puts(counter) - before).toBe(16);
    expect(resumed.blocksSent).toBe(16 - firstRunPuts);
    expect(resumed.blocksWritten).toBe(16);
    expect(resumed.calls.StartSnapshot).toBe(0);
    expect(resumed.targetSnapshotId).toBe(state.targetSnapshotId);
    expect(resumed.aggregateChecksum).toBe(expectedAggregate(nonZero(source)));
    const replica = await readSnapshot(clients.ebs(DR), resumed.targetSnapshotId);
    expect([...replica.keys()].sort((a, b) => a - b)).toEqual(indexes);
    for (const [index, block] of replica) expect(block.data.equals(source.get(index) as Buffer)).toBe(true);
  });

  it('fails on an error mid-way with a resume state, and resumes from an older checkpoint after a crash', async () => {
    const { clients, counter } = clientsWithCounter();
    const source = content(indexes, zeroIndexes, 7);
    const sourceId = await seedSnapshot(clients.ebs(PRIMARY), source);
    const before = puts(counter);
    const checkpoints: ResumeState[] = [];

    const failed = await replicateSnapshot({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: clients.ebs(DR), volumeSizeGiB: 1 },
      concurrency: 3,
      checkpointEveryBlocks: 2,
      checkpoint: async (state) => void checkpoints.push(structuredClone(state)),
      onProgress: (p) => {
        if (p.blocksSent === 9) throw new Error('progress sink is down');
      },
    }).catch((e: unknown) => e);

    expect(failed).toBeInstanceOf(ReplicationFailedError);
    expect(failed).toMatchObject({ operation: 'onProgress', checkpointSaved: true });
    expect((failed as Error).message).toMatch(/progress sink is down/);
    const firstRunPuts = puts(counter) - before;
    expect(writtenBlocks((failed as ReplicationFailedError).resumeState as ResumeState)).toBe(firstRunPuts);

    // A crash loses the final state: resume from an earlier checkpoint instead.
    const older = checkpoints.find(
      (s) => writtenBlocks(s) >= 2 && writtenBlocks(s) < firstRunPuts,
    ) as ResumeState;
    expect(older).toBeDefined();
    const afterFirstRun = puts(counter);
    const resumed = await replicateSnapshot({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: clients.ebs(DR), volumeSizeGiB: 1 },
      concurrency: 3,
      resume: older,
    });

    expect(puts(counter) - afterFirstRun).toBe(16 - writtenBlocks(older));
    expect(resumed.blocksWritten).toBe(16);
    expect(resumed.aggregateChecksum).toBe(expectedAggregate(nonZero(source)));
    const verified = await verifyReplica({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: clients.ebs(DR), snapshotId: resumed.targetSnapshotId },
    });
    expect(verified.ok).toBe(true);
  });

  it('refuses a resume state that belongs to another source snapshot', async () => {
    const { clients, counter } = clientsWithCounter();
    const sourceId = await seedSnapshot(clients.ebs(PRIMARY), content([0]));
    const result = await replicateSnapshot({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: clients.ebs(DR), volumeSizeGiB: 1 },
      checkpoint: async () => {},
    });
    const calls = counter.total();
    const foreign: ResumeState = {
      version: 1,
      sourceSnapshotId: 'snap-0aaaaaaaaaaaaaaaa',
      targetSnapshotId: result.targetSnapshotId,
      progress: {
        nextBlockIndex: 0,
        aggregate: { state: sha256(Buffer.from('x')).toString('base64'), digests: 0 },
        ahead: [],
      },
    };
    await expect(
      replicateSnapshot({
        source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
        target: { ebs: clients.ebs(DR), volumeSizeGiB: 1 },
        resume: foreign,
      }),
    ).rejects.toThrow(ResumeStateError);
    expect(counter.total()).toBe(calls);
  });
});

describe('replicateSnapshot: throttling', () => {
  it('backs off and retries throttled PutSnapshotBlock calls (throttling injected by client middleware: the emulator never throttles)', async () => {
    const { clients } = clientsWithCounter();
    const source = content([0, 1, 2, 3, 4, 5]);
    const sourceId = await seedSnapshot(clients.ebs(PRIMARY), source);
    // A DR client without SDK retries, so the engine's own retry layer is what recovers.
    const target = new AwsClients({ endpoint: ctx.endpoint, maxAttempts: 1 });
    opened.push(target);
    let seen = 0;
    intercept(target.ebs(DR), (name) => {
      if (name === 'PutSnapshotBlockCommand' && seen++ % 2 === 0) throw throttled();
    });

    const result = await replicateSnapshot({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: target.ebs(DR), volumeSizeGiB: 1 },
      concurrency: 2,
      retry: { maxAttempts: 3, baseDelayMs: 20 },
    });

    expect(result.blocksSent).toBe(6);
    expect(result.throttled).toBeGreaterThanOrEqual(6);
    expect(result.retries).toBe(result.throttled);
    expect(result.calls.PutSnapshotBlock).toBe(6 + result.throttled);
    expect(result.aggregateChecksum).toBe(expectedAggregate(source));
  });

  it('gives up after the engine attempts and keeps what was written resumable', async () => {
    const { clients } = clientsWithCounter();
    const sourceId = await seedSnapshot(clients.ebs(PRIMARY), content([0, 1, 2]));
    const target = new AwsClients({ endpoint: ctx.endpoint, maxAttempts: 1 });
    opened.push(target);
    intercept(target.ebs(DR), (name, input) => {
      if (name === 'PutSnapshotBlockCommand' && input.BlockIndex === 2) throw throttled();
    });

    const failed = await replicateSnapshot({
      source: { ebs: clients.ebs(PRIMARY), snapshotId: sourceId },
      target: { ebs: target.ebs(DR), volumeSizeGiB: 1 },
      concurrency: 1,
      retry: { maxAttempts: 2, baseDelayMs: 5 },
    }).catch((e: unknown) => e);

    expect(failed).toBeInstanceOf(ReplicationFailedError);
    expect(failed).toMatchObject({ operation: 'PutSnapshotBlock', checkpointSaved: false });
    expect(writtenBlocks((failed as ReplicationFailedError).resumeState as ResumeState)).toBe(2);
  });
});
