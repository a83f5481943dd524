/**
 * Benchmark of the EBS block replication engine against the emulator.
 *
 *   npx tsx bench/block-engine.ts [--blocks=2048] [--concurrency=16] [--rounds=3] [--changed=64]
 *                                 [--get-only=1] [--profile=<dir>]
 *
 * Two emulators stand for the two regions: the source snapshot lives in one, every copy is
 * written to the other, which is reset before each full copy, so each copy starts from the
 * same empty target and the target holds one volume at a time (a 4 GiB run keeps about
 * 8 GiB in the emulators, not 4 GiB per copy on top of the source).
 *
 * Seeds a source snapshot of `blocks` non-zero 512 KiB blocks (2048 = 1 GiB), warms both
 * copies up on a small snapshot, then measures in the same run: the engine's full copy and a bare
 * Get→Put loop at the same concurrency (no hashing, no zero check, no ledger, no retries of
 * its own), `rounds` times each, alternating which goes first and ending with the engine;
 * the CPU each copy costs this process and each emulator (what limits the figure); peak RSS
 * (sampled every 10 ms); optionally the emulator's Get-only ceiling (`--get-only=1`) and an
 * incremental copy after changing `changed` blocks (`--changed=0` skips it). `--profile`
 * writes a V8 CPU profile of each timed copy into that directory. Prints one JSON object,
 * then a markdown line.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import {
  CompleteSnapshotCommand,
  type EBSClient,
  GetSnapshotBlockCommand,
  ListSnapshotBlocksCommand,
  PutSnapshotBlockCommand,
  StartSnapshotCommand,
} from '@aws-sdk/client-ebs';
import { AwsClients } from '../src/aws/clients';
import { type Emulator, resetEmulator, startEmulator } from '../src/emulator/moto';
import { type ReplicationResult, replicateSnapshot } from '../src/volumes/ebs/aws/block-engine';
import { EBS_BLOCK_SIZE_BYTES } from '../src/volumes/ebs/checksums';
import { median } from './stats';

const PRIMARY = 'us-east-1';
const DR = 'us-west-2';
const MIB = 1024 * 1024;
/** Blocks of the snapshot both copies move once before the timed rounds (JIT, the emulators' first calls). */
const WARM_UP_BLOCKS = 128;

function option(name: string, fallback: number, min = 1): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be an integer of at least ${min} (got ${arg})`);
  return value;
}

function stringOption(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
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

/**
 * CPU time (user + system, ms) of the emulator listening on `port`, read from /proc; `undefined`
 * where there is no /proc (the figure is then left out).
 */
function emulatorCpuReader(port: number): () => number | undefined {
  let statPath: string | undefined;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (args.includes('moto.server') && args.includes(String(port))) {
          statPath = `/proc/${pid}/stat`;
          break;
        }
      } catch {
        // the process ended while we looked
      }
    }
  } catch {
    statPath = undefined;
  }
  const ticksToMs = 1000 / 100; // USER_HZ is 100 on Linux
  return () => {
    if (!statPath) return undefined;
    try {
      // Fields after "(comm) ": state is [0], utime [11], stime [12].
      const fields = readFileSync(statPath, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) * ticksToMs;
    } catch {
      return undefined;
    }
  };
}

/** CPU milliseconds per copied block, per process. */
export interface CpuPerBlock {
  /** The benchmark process: the engine or the bare loop, the SDK, the HTTP stack. */
  readonly bench: number;
  readonly sourceEmulator?: number;
  readonly targetEmulator?: number;
}

interface CopyFigures {
  readonly MiBpsPerRound: number[];
  /** All rounds together: total bytes ÷ total time. */
  readonly MiBps: number;
  readonly peakRssMiB: number;
  readonly rssGrowthMiB: number;
  readonly cpuMsPerBlock: CpuPerBlock;
}

/** What one run of this script prints (the JSON object). */
export interface BlockEngineResult {
  readonly benchmark: 'block-engine';
  readonly emulator: string;
  readonly node: string;
  readonly blocks: number;
  readonly volumeMiB: number;
  readonly concurrency: number;
  readonly rounds: number;
  readonly seconds: number;
  readonly emulatorLimits: { readonly putOnlyMiBps: number; readonly getOnlyMiBps?: number };
  readonly bareLoop: CopyFigures;
  readonly engine: CopyFigures & {
    readonly peakBlocksInMemory: number;
    readonly blocksSent: number;
    readonly httpRequests: number;
    readonly retries: number;
    readonly calls: Readonly<Record<string, number>>;
  };
  /** engine.MiBps ÷ bareLoop.MiBps; target ≥ 0.8. */
  readonly engineVsBare: number;
  /** The same ratio for each round's adjacent pair. */
  readonly engineVsBarePerRound: number[];
  readonly engineVsBareMedianRound: number;
  readonly incremental?: {
    readonly seconds: number;
    readonly blocksChanged: number;
    readonly blocksSent: number;
    readonly bytesChanged: number;
    readonly bytesSent: number;
    /** bytesSent ÷ bytesChanged; target 1.00. */
    readonly sentPerChanged: number;
    readonly calls: Readonly<Record<string, number>>;
    readonly peakRssMiB: number;
  };
  readonly order: string;
  /** RSS of this process before the seed: node, tsx, the SDK. */
  readonly baselineRssMiB: number;
}

/** CPU milliseconds a phase cost, per process. */
type CpuMs = CpuPerBlock;

interface Measured<T> {
  readonly value: T;
  readonly seconds: number;
  /** Highest RSS seen during the phase. */
  readonly peakRssMiB: number;
  /** How far RSS rose above its level when the phase started. */
  readonly rssGrowthMiB: number;
  readonly cpuMs: CpuMs;
}

interface Probes {
  readonly sourceCpu: () => number | undefined;
  readonly targetCpu: () => number | undefined;
  /** Where to write a CPU profile of the phase, if profiling. */
  readonly profile?: { readonly session: Session; readonly dir: string };
}

/** Runs `fn`, sampling RSS every 10 ms and the CPU of this process and both emulators. */
async function measured<T>(
  probes: Probes,
  name: string | undefined,
  fn: () => Promise<T>,
): Promise<Measured<T>> {
  const atStart = process.memoryUsage.rss();
  let peak = atStart;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const profile = name ? probes.profile : undefined;
  if (profile) await profile.session.post('Profiler.start');
  const source0 = probes.sourceCpu();
  const target0 = probes.targetCpu();
  const cpu0 = process.cpuUsage();
  const started = process.hrtime.bigint();
  try {
    const value = await fn();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const source1 = probes.sourceCpu();
    const target1 = probes.targetCpu();
    peak = Math.max(peak, process.memoryUsage.rss());
    if (profile && name) {
      const { profile: data } = await profile.session.post('Profiler.stop');
      writeFileSync(join(profile.dir, `${name}.cpuprofile`), JSON.stringify(data));
    }
    const cpuMs: CpuMs = {
      bench: (cpu.user + cpu.system) / 1000,
      ...(source0 !== undefined && source1 !== undefined ? { sourceEmulator: source1 - source0 } : {}),
      ...(target0 !== undefined && target1 !== undefined ? { targetEmulator: target1 - target0 } : {}),
    };
    return { value, seconds, peakRssMiB: mib(peak), rssGrowthMiB: mib(peak - atStart), cpuMs };
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

/** Get-only: the source emulator's read ceiling. */
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

/** Empties the target emulator, so the next copy finds it as the first one did. */
async function resetTarget(target: Emulator): Promise<void> {
  const res = await resetEmulator(target.endpoint);
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`resetting the target emulator failed: HTTP ${res.status}`);
}

const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;
const rate = (bytes: number, seconds: number) => Math.round((bytes / MIB / seconds) * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** CPU ms per copied block, per process, summed over runs. */
function cpuPerBlock(runs: ReadonlyArray<Measured<unknown>>, blocks: number): CpuPerBlock {
  const total = (pick: (c: CpuMs) => number | undefined) => {
    const values = runs.map((r) => pick(r.cpuMs));
    return values.every((v) => v !== undefined)
      ? round2(values.reduce((a: number, b) => a + (b as number), 0) / (blocks * runs.length))
      : undefined;
  };
  const sourceEmulator = total((c) => c.sourceEmulator);
  const targetEmulator = total((c) => c.targetEmulator);
  return {
    bench: total((c) => c.bench) ?? Number.NaN,
    ...(sourceEmulator !== undefined ? { sourceEmulator } : {}),
    ...(targetEmulator !== undefined ? { targetEmulator } : {}),
  };
}

/** Throughput over all runs together (total bytes / total time). */
function meanRate(bytesPerRun: number, runs: ReadonlyArray<{ readonly seconds: number }>): number {
  return rate(
    bytesPerRun * runs.length,
    runs.reduce((sum, r) => sum + r.seconds, 0),
  );
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const blocks = option('blocks', 2048);
  const concurrency = option('concurrency', 16);
  const changed = Math.min(option('changed', 64, 0), blocks);
  const rounds = option('rounds', 3);
  const getOnly = option('get-only', 1, 0) > 0;
  const profileDir = stringOption('profile');
  const startedAt = Date.now();
  const bytes = blocks * EBS_BLOCK_SIZE_BYTES;
  const volumeSizeGiB = Math.ceil(bytes / 1024 ** 3);
  const log = (m: string) => process.stderr.write(`${m}\n`);

  const sourceEmulator = await startEmulator({ log });
  const targetEmulator = await startEmulator({ log });
  const sourceClients = new AwsClients({ endpoint: sourceEmulator.endpoint });
  const targetClients = new AwsClients({ endpoint: targetEmulator.endpoint });
  let session: Session | undefined;
  try {
    const source = sourceClients.ebs(PRIMARY);
    const target = targetClients.ebs(DR);
    if (profileDir) {
      mkdirSync(profileDir, { recursive: true });
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 250 });
    }
    const probes: Probes = {
      sourceCpu: emulatorCpuReader(sourceEmulator.port),
      targetCpu: emulatorCpuReader(targetEmulator.port),
      ...(session && profileDir ? { profile: { session, dir: profileDir } } : {}),
    };
    const baselineRssMiB = mib(process.memoryUsage.rss());

    log(`seeding ${blocks} blocks (${mib(bytes)} MiB)…`);
    const seed = await measured(probes, undefined, () => seedSnapshot(source, blocks, concurrency, () => 0));
    log('warming up both copies…');
    const warmUp = await seedSnapshot(source, WARM_UP_BLOCKS, concurrency, () => 0);
    await replicateSnapshot({
      source: { ebs: source, snapshotId: warmUp },
      target: { ebs: target, volumeSizeGiB: 1 },
      concurrency,
    });
    await bareCopy(source, target, warmUp, 1, concurrency);

    const engineRuns: Array<Measured<ReplicationResult>> = [];
    const bareRuns: Array<Measured<string>> = [];
    const engineCopy = async () => {
      await resetTarget(targetEmulator);
      log(`engine full copy (round ${engineRuns.length + 1})…`);
      engineRuns.push(
        await measured(probes, `engine-${engineRuns.length + 1}`, () =>
          replicateSnapshot({
            source: { ebs: source, snapshotId: seed.value },
            target: { ebs: target, volumeSizeGiB },
            concurrency,
          }),
        ),
      );
    };
    const bareLoop = async () => {
      await resetTarget(targetEmulator);
      log(`bare Get→Put loop (round ${bareRuns.length + 1})…`);
      bareRuns.push(
        await measured(probes, `bare-${bareRuns.length + 1}`, () =>
          bareCopy(source, target, seed.value, volumeSizeGiB, concurrency),
        ),
      );
    };
    // Alternate which copy goes first, so a slow stretch of the machine does not land on one
    // side only; the last round ends with the engine, whose replica the incremental copy uses.
    const pairRatios: number[] = [];
    for (let round = rounds - 1; round >= 0; round--) {
      if (round % 2 === 0) {
        await bareLoop();
        await engineCopy();
      } else {
        await engineCopy();
        await bareLoop();
      }
      const e = engineRuns.at(-1) as Measured<ReplicationResult>;
      const b = bareRuns.at(-1) as Measured<string>;
      pairRatios.push(round2(b.seconds / e.seconds));
    }
    const lastEngine = engineRuns.at(-1) as Measured<ReplicationResult>;

    let reads: Measured<void> | undefined;
    if (getOnly) {
      log('Get-only pass…');
      reads = await measured(probes, undefined, () => readAll(source, seed.value, concurrency));
    }

    let incremental: Measured<ReplicationResult> | undefined;
    if (changed > 0) {
      // The emulator ignores ParentSnapshotId, so the second source holds every block (as AWS
      // would show it); `changed` evenly spread blocks carry new data.
      const stride = Math.max(1, Math.floor(blocks / changed));
      const isChanged = (index: number) => index % stride === 0 && index / stride < changed;
      log(`seeding the second source snapshot (${changed} changed blocks)…`);
      const secondId = await seedSnapshot(source, blocks, concurrency, (i) => (isChanged(i) ? 1 : 0));
      log('engine incremental copy…');
      incremental = await measured(probes, 'engine-incremental', () =>
        replicateSnapshot({
          source: { ebs: source, snapshotId: secondId, previousSnapshotId: seed.value },
          target: { ebs: target, parentSnapshotId: lastEngine.value.targetSnapshotId, volumeSizeGiB },
          concurrency,
        }),
      );
    }

    const bytesChanged = changed * EBS_BLOCK_SIZE_BYTES;
    const engineRate = meanRate(bytes, engineRuns);
    const bareRate = meanRate(bytes, bareRuns);
    const result: BlockEngineResult = {
      benchmark: 'block-engine',
      emulator: 'moto 5.2.1 (server mode): one process holds the source, another the target',
      node: process.version,
      blocks,
      volumeMiB: bytes / MIB,
      concurrency,
      rounds,
      seconds: round2((Date.now() - startedAt) / 1000),
      emulatorLimits: {
        putOnlyMiBps: rate(bytes, seed.seconds),
        ...(reads ? { getOnlyMiBps: rate(bytes, reads.seconds) } : {}),
      },
      bareLoop: {
        MiBpsPerRound: bareRuns.map((r) => rate(bytes, r.seconds)),
        MiBps: bareRate,
        peakRssMiB: Math.max(...bareRuns.map((r) => r.peakRssMiB)),
        rssGrowthMiB: Math.max(...bareRuns.map((r) => r.rssGrowthMiB)),
        cpuMsPerBlock: cpuPerBlock(bareRuns, blocks),
      },
      engine: {
        MiBpsPerRound: engineRuns.map((r) => rate(bytes, r.seconds)),
        MiBps: engineRate,
        peakRssMiB: Math.max(...engineRuns.map((r) => r.peakRssMiB)),
        rssGrowthMiB: Math.max(...engineRuns.map((r) => r.rssGrowthMiB)),
        cpuMsPerBlock: cpuPerBlock(engineRuns, blocks),
        peakBlocksInMemory: Math.max(...engineRuns.map((r) => r.value.peakBlocksInMemory)),
        blocksSent: lastEngine.value.blocksSent,
        httpRequests: lastEngine.value.httpRequests,
        retries: Math.max(...engineRuns.map((r) => r.value.retries)),
        calls: lastEngine.value.calls,
      },
      engineVsBare: round2(engineRate / bareRate),
      engineVsBarePerRound: pairRatios,
      engineVsBareMedianRound: round2(median(pairRatios)),
      ...(incremental
        ? {
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
          }
        : {}),
      order: `seed; warm-up: both copies of a ${WARM_UP_BLOCKS}-block snapshot; ${rounds} round(s) of bare and engine copies, alternating which goes first, the target emulator reset before each${reads ? '; Get-only' : ''}${incremental ? '; second seed; incremental' : ''}`,
      baselineRssMiB,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    const cpu = (c: CpuPerBlock) =>
      `${c.bench} ms/block here${c.sourceEmulator !== undefined ? `, emulators ${c.sourceEmulator} + ${c.targetEmulator}` : ''}`;
    const cells = [
      'block engine',
      `${result.volumeMiB} MiB, c=${concurrency}, ${rounds} round(s)`,
      `engine ${engineRate} MiB/s vs bare ${bareRate} MiB/s (×${result.engineVsBare}; per round ${pairRatios.map((r) => `×${r}`).join(', ')})`,
      `CPU engine ${cpu(result.engine.cpuMsPerBlock)}; bare ${cpu(result.bareLoop.cpuMsPerBlock)}`,
      `peak RSS ${result.engine.peakRssMiB} MiB (bare ${result.bareLoop.peakRssMiB}, at start ${baselineRssMiB})`,
      ...(result.incremental
        ? [
            `incremental sent ${result.incremental.bytesSent / MIB} MiB for ${bytesChanged / MIB} MiB changed (×${result.incremental.sentPerChanged})`,
          ]
        : []),
      `emulator ceilings: put ${result.emulatorLimits.putOnlyMiBps} MiB/s${reads ? `, get ${rate(bytes, reads.seconds)} MiB/s` : ''}`,
    ];
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  } finally {
    session?.disconnect();
    sourceClients.destroy();
    targetClients.destroy();
    await Promise.all([sourceEmulator.stop(), targetEmulator.stop()]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
