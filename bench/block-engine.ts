/**
 * Benchmark of the EBS block replication engine on a private emulator.
 *
 *   npx tsx bench/block-engine.ts [--blocks=2048] [--concurrency=16] [--changed=64] [--rounds=2]
 *
 * Seeds a source snapshot of `blocks` non-zero 512 KiB blocks (2048 = 1 GiB), then measures
 * in the same run: the engine's full copy and a bare Get→Put loop at the same concurrency
 * (no hashing, no zero check, no ledger, no retries of its own), `rounds` times each with
 * the order alternating; the emulator's own ceilings (Put-only while seeding, Get-only);
 * and an incremental copy after changing `changed` blocks. Peak RSS is sampled every 10 ms
 * per phase. Prints one JSON object, then a markdown line.
 */
import { createHash } from 'node:crypto';
import {
  CompleteSnapshotCommand,
  type EBSClient,
  GetSnapshotBlockCommand,
  ListSnapshotBlocksCommand,
  PutSnapshotBlockCommand,
  StartSnapshotCommand,
} from '@aws-sdk/client-ebs';
import { AwsClients } from '../src/aws/clients';
import { type ReplicationResult, replicateSnapshot } from '../src/aws/ebs-block-engine';
import { EBS_BLOCK_SIZE_BYTES } from '../src/core/ebs-blocks';
import { startEmulator } from '../src/local/emulator';

const PRIMARY = 'us-east-1';
const DR = 'us-west-2';
const MIB = 1024 * 1024;

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer (got ${arg})`);
  return value;
}

/** A distinct non-zero block for `(index, version)`, made on demand so the bench never holds the volume. */
function blockData(index: number, version: number): Buffer {
  const data = Buffer.alloc(EBS_BLOCK_SIZE_BYTES, ((index + version * 7) % 251) + 1);
  for (let offset = 0; offset < EBS_BLOCK_SIZE_BYTES; offset += 65_536) data.writeUInt32BE(index, offset);
  data.writeUInt32BE(version, EBS_BLOCK_SIZE_BYTES - 4);
  return data;
}

async function pool(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

interface Measured<T> {
  readonly value: T;
  readonly seconds: number;
  /** Highest RSS seen during the phase. */
  readonly peakRssMiB: number;
  /** How far RSS rose above its level when the phase started. */
  readonly rssGrowthMiB: number;
}

/** Samples the process RSS every 10 ms while `fn` runs. */
async function measured<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  const atStart = process.memoryUsage().rss;
  let peak = atStart;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const started = process.hrtime.bigint();
  try {
    const value = await fn();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, seconds, peakRssMiB: mib(peak), rssGrowthMiB: mib(peak - atStart) };
  } finally {
    clearInterval(timer);
  }
}

async function seedSnapshot(
  ebs: EBSClient,
  blocks: number,
  concurrency: number,
  versionOf: (index: number) => number,
): Promise<string> {
  const started = await ebs.send(
    new StartSnapshotCommand({ VolumeSize: Math.ceil((blocks * EBS_BLOCK_SIZE_BYTES) / 1024 ** 3) }),
  );
  const snapshotId = started.SnapshotId as string;
  await pool(blocks, concurrency, async (index) => {
    const data = blockData(index, versionOf(index));
    await ebs.send(
      new PutSnapshotBlockCommand({
        SnapshotId: snapshotId,
        BlockIndex: index,
        BlockData: data,
        DataLength: data.length,
        Checksum: createHash('sha256').update(data).digest('base64'),
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  });
  await ebs.send(new CompleteSnapshotCommand({ SnapshotId: snapshotId, ChangedBlocksCount: blocks }));
  return snapshotId;
}

async function listTokens(
  ebs: EBSClient,
  snapshotId: string,
): Promise<Array<{ index: number; token: string }>> {
  const out = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, MaxResults: 10_000 }));
  return (out.Blocks ?? []).map((b) => ({ index: Number(b.BlockIndex), token: b.BlockToken as string }));
}

/** Get-only: the emulator's read ceiling. */
async function readAll(ebs: EBSClient, snapshotId: string, concurrency: number): Promise<void> {
  const blocks = await listTokens(ebs, snapshotId);
  await pool(blocks.length, concurrency, async (i) => {
    const b = blocks[i] as { index: number; token: string };
    const out = await ebs.send(
      new GetSnapshotBlockCommand({ SnapshotId: snapshotId, BlockIndex: b.index, BlockToken: b.token }),
    );
    await out.BlockData?.transformToByteArray();
  });
}

/** The baseline: list, then Get→Put each block, passing the service's checksum through. */
async function bareCopy(
  source: EBSClient,
  target: EBSClient,
  snapshotId: string,
  volumeSizeGiB: number,
  concurrency: number,
): Promise<string> {
  const blocks = await listTokens(source, snapshotId);
  const started = await target.send(new StartSnapshotCommand({ VolumeSize: volumeSizeGiB }));
  const targetId = started.SnapshotId as string;
  await pool(blocks.length, concurrency, async (i) => {
    const b = blocks[i] as { index: number; token: string };
    const got = await source.send(
      new GetSnapshotBlockCommand({ SnapshotId: snapshotId, BlockIndex: b.index, BlockToken: b.token }),
    );
    if (!got.BlockData) throw new Error(`GetSnapshotBlock returned no data for block ${b.index}`);
    const data = await got.BlockData.transformToByteArray();
    await target.send(
      new PutSnapshotBlockCommand({
        SnapshotId: targetId,
        BlockIndex: b.index,
        BlockData: data,
        DataLength: data.length,
        Checksum: got.Checksum,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  });
  await target.send(new CompleteSnapshotCommand({ SnapshotId: targetId, ChangedBlocksCount: blocks.length }));
  return targetId;
}

const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;
const rate = (bytes: number, seconds: number) => Math.round((bytes / MIB / seconds) * 10) / 10;

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const blocks = option('blocks', 2048);
  const concurrency = option('concurrency', 16);
  const changed = Math.min(option('changed', 64), blocks);
  const rounds = option('rounds', 2);
  const bytes = blocks * EBS_BLOCK_SIZE_BYTES;
  const volumeSizeGiB = Math.ceil(bytes / 1024 ** 3);
  const log = (m: string) => process.stderr.write(`${m}\n`);

  const emulator = await startEmulator({ log });
  const clients = new AwsClients({ endpoint: emulator.endpoint });
  try {
    const source = clients.ebs(PRIMARY);
    const target = clients.ebs(DR);
    const baselineRssMiB = mib(process.memoryUsage().rss);

    log(`seeding ${blocks} blocks (${mib(bytes)} MiB)…`);
    const seed = await measured(() => seedSnapshot(source, blocks, concurrency, () => 0));
    // Alternate the order each round: the emulator warms up and slows as it fills, which
    // would otherwise favour whichever copy runs second.
    const engineRuns: Array<Measured<ReplicationResult>> = [];
    const bareRuns: Array<Measured<string>> = [];
    const engineCopy = async () => {
      log(`engine full copy (round ${engineRuns.length + 1})…`);
      engineRuns.push(
        await measured(() =>
          replicateSnapshot({
            source: { ebs: source, snapshotId: seed.value },
            target: { ebs: target, volumeSizeGiB },
            concurrency,
          }),
        ),
      );
    };
    const bareLoop = async () => {
      log(`bare Get→Put loop (round ${bareRuns.length + 1})…`);
      bareRuns.push(await measured(() => bareCopy(source, target, seed.value, volumeSizeGiB, concurrency)));
    };
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        await engineCopy();
        await bareLoop();
      } else {
        await bareLoop();
        await engineCopy();
      }
    }
    const full = engineRuns[0] as Measured<ReplicationResult>;
    log('Get-only pass…');
    const reads = await measured(() => readAll(source, seed.value, concurrency));

    // The emulator ignores ParentSnapshotId, so the second source holds every block (as AWS
    // would show it); `changed` evenly spread blocks carry new data.
    const stride = Math.max(1, Math.floor(blocks / changed));
    const isChanged = (index: number) => index % stride === 0 && index / stride < changed;
    log(`seeding the second source snapshot (${changed} changed blocks)…`);
    const secondId = await seedSnapshot(source, blocks, concurrency, (i) => (isChanged(i) ? 1 : 0));
    log('engine incremental copy…');
    const incremental = await measured(() =>
      replicateSnapshot({
        source: { ebs: source, snapshotId: secondId, previousSnapshotId: seed.value },
        target: { ebs: target, parentSnapshotId: full.value.targetSnapshotId, volumeSizeGiB },
        concurrency,
      }),
    );

    const bytesChanged = changed * EBS_BLOCK_SIZE_BYTES;
    const result = {
      benchmark: 'block-engine',
      emulator: 'moto 5.2.1 (server mode, one process)',
      node: process.version,
      blocks,
      volumeMiB: bytes / MIB,
      concurrency,
      emulatorLimits: {
        putOnlyMiBps: rate(bytes, seed.seconds),
        getOnlyMiBps: rate(bytes, reads.seconds),
      },
      bareLoop: {
        MiBpsPerRound: bareRuns.map((r) => rate(bytes, r.seconds)),
        MiBps: meanRate(bytes, bareRuns),
        peakRssMiB: Math.max(...bareRuns.map((r) => r.peakRssMiB)),
        rssGrowthMiB: Math.max(...bareRuns.map((r) => r.rssGrowthMiB)),
      },
      engine: {
        MiBpsPerRound: engineRuns.map((r) => rate(bytes, r.seconds)),
        MiBps: meanRate(bytes, engineRuns),
        peakRssMiB: Math.max(...engineRuns.map((r) => r.peakRssMiB)),
        rssGrowthMiB: Math.max(...engineRuns.map((r) => r.rssGrowthMiB)),
        peakBlocksInMemory: Math.max(...engineRuns.map((r) => r.value.peakBlocksInMemory)),
        blocksSent: full.value.blocksSent,
        httpRequests: full.value.httpRequests,
        calls: full.value.calls,
      },
      engineVsBare: round2(meanRate(bytes, engineRuns) / meanRate(bytes, bareRuns)),
      incremental: {
        seconds: round2(incremental.seconds),
        blocksChanged: changed,
        blocksSent: incremental.value.blocksSent,
        bytesChanged,
        bytesSent: incremental.value.bytesSent,
        sentPerChanged: round2(incremental.value.bytesSent / bytesChanged),
        calls: incremental.value.calls,
        peakRssMiB: incremental.peakRssMiB,
      },
      order: `seed; ${rounds} rounds of engine and bare copies, alternating which goes first; Get-only; second seed; incremental`,
      baselineRssMiB,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(
      `| block engine | ${result.volumeMiB} MiB, c=${concurrency} | engine ${result.engine.MiBps} MiB/s vs bare ${result.bareLoop.MiBps} MiB/s (×${result.engineVsBare}) | peak RSS ${result.engine.peakRssMiB} MiB (bare ${result.bareLoop.peakRssMiB}) | incremental sent ${result.incremental.bytesSent / MIB} MiB for ${bytesChanged / MIB} MiB changed | emulator ceilings: put ${result.emulatorLimits.putOnlyMiBps} MiB/s, get ${result.emulatorLimits.getOnlyMiBps} MiB/s |\n`,
    );
  } finally {
    clients.destroy();
    await emulator.stop();
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Throughput over all runs together (total bytes / total time). */
function meanRate(bytesPerRun: number, runs: ReadonlyArray<{ readonly seconds: number }>): number {
  return rate(
    bytesPerRun * runs.length,
    runs.reduce((sum, r) => sum + r.seconds, 0),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
