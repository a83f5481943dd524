/**
 * `npm run bench`: what Lifeboat exists for, each figure beside a baseline measured in the same
 * run on the same machine. Writes `bench/results/<time>.json`, `bench/results/latest.json` and
 * `bench/results/latest.md`, and prints the markdown table.
 *
 *   npm run bench [-- --only=capture,restore] [--skip=block-engine] [--block-gib=1,4] [--quick]
 *
 * Sections: emulator (its own speed), capture, block-engine, restore, packaging. The block
 * engine runs once per volume size in `--block-gib` (default 1 and 4 GiB): the first size
 * with 3 alternating rounds, the Get-only ceiling and the incremental copy; larger sizes with
 * one round each (their point is throughput and RSS at size; the rounds are what costs time).
 * `--quick` shrinks every fleet (a smoke run; its figures are not the benchmark's).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClients } from '../src/aws/clients';
import { PROJECT_ROOT, startEmulator } from '../src/emulator/moto';
import type { BlockEngineResult } from './block-engine';
import { benchCapture } from './capture';
import { measureEmulatorSpeed } from './emulator-speed';
import { CAPTURE_FLEET, type FleetShape, seedFleet } from './fleet';
import { benchPackaging } from './packaging';
import { type BenchResults, renderMarkdown } from './report';
import { benchRestore } from './restore';

const SECTIONS = ['emulator', 'capture', 'block-engine', 'restore', 'packaging'] as const;
type Section = (typeof SECTIONS)[number];

const ACCOUNT = '123456789012';
const PRIMARY = 'us-east-1';
const DR = 'us-west-2';
/** Calls in flight while seeding: moto is one Python process, more only queues. */
const SEED_CONCURRENCY = 8;
const BLOCK_ENGINE_SCRIPT = join(PROJECT_ROOT, 'bench', 'block-engine.ts');

interface Options {
  readonly sections: Section[];
  readonly quick: boolean;
  /** Volume sizes for the block engine, GiB. */
  readonly blockGiB: number[];
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const list = (name: string): Section[] | undefined => {
    const raw = value(name);
    if (raw === undefined) return undefined;
    const names = raw.split(',').map((n) => n.trim());
    for (const n of names) {
      if (!(SECTIONS as readonly string[]).includes(n)) {
        throw new Error(`--${name}: unknown section "${n}"; sections are ${SECTIONS.join(', ')}`);
      }
    }
    return names as Section[];
  };
  const only = list('only') ?? [...SECTIONS];
  const skip = list('skip') ?? [];
  const blockGiB = (value('block-gib') ?? '1,4').split(',').map((n) => Number(n.trim()));
  if (blockGiB.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error('--block-gib must list positive integers, e.g. --block-gib=1,4');
  }
  return { sections: only.filter((s) => !skip.includes(s)), quick: argv.includes('--quick'), blockGiB };
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const loadAverageAtStart = loadavg();
  const results: { -readonly [K in keyof BenchResults]?: BenchResults[K] } = {};
  const sectionSeconds: Record<string, number> = {};
  const wants = (s: Section) => opts.sections.includes(s);
  const section = async (name: Section, fn: () => Promise<void>) => {
    const begun = Date.now();
    await fn();
    sectionSeconds[name] = Math.round((Date.now() - begun) / 1000);
  };

  if (wants('emulator') || wants('capture')) {
    log('starting the emulator for the capture fleet');
    const emulator = await startEmulator({ log });
    const clients = new AwsClients({ endpoint: emulator.endpoint });
    try {
      if (wants('emulator')) {
        await section('emulator', async () => {
          log('measuring the emulator');
          results.emulatorSpeed = await measureEmulatorSpeed(clients, PRIMARY, {
            calls: 300,
            concurrency: 8,
          });
        });
      }
      if (wants('capture')) {
        await section('capture', async () => {
          const shape: FleetShape = opts.quick
            ? { clusters: 2, services: 100, taskDefinitions: 30, repositories: 5 }
            : CAPTURE_FLEET;
          log(`seeding ${shape.services} services in ${shape.clusters} clusters`);
          const fleet = await seedFleet(clients, {
            region: PRIMARY,
            account: ACCOUNT,
            shape,
            concurrency: SEED_CONCURRENCY,
          });
          log(`seeded in ${(fleet.seedMs / 1000).toFixed(1)} s (${fleet.seedCalls} calls); capturing`);
          results.capture = await benchCapture(emulator.endpoint, fleet, {
            account: ACCOUNT,
            primaryRegion: PRIMARY,
            drRegion: DR,
          });
        });
      }
    } finally {
      clients.destroy();
      await emulator.stop();
    }
  }

  if (wants('block-engine')) {
    await section('block-engine', async () => {
      const runs: BlockEngineResult[] = [];
      for (const [i, gib] of opts.blockGiB.entries()) {
        const first = i === 0;
        const args = opts.quick
          ? ['--blocks=64', '--rounds=1', '--changed=8']
          : [
              `--blocks=${gib * 2048}`,
              `--rounds=${first ? 3 : 1}`,
              `--changed=${first ? 64 : 0}`,
              `--get-only=${first ? 1 : 0}`,
            ];
        log(`block engine: ${gib} GiB (bench/block-engine.ts ${args.join(' ')})`);
        runs.push(await runBlockEngine(args));
        if (opts.quick) break;
      }
      results.blockEngine = runs;
    });
  }

  if (wants('restore')) {
    await section('restore', async () => {
      log('starting the emulator for the restore (MOTO_ECS_SERVICE_RUNNING=1)');
      const emulator = await startEmulator({ env: { MOTO_ECS_SERVICE_RUNNING: '1' }, log });
      try {
        results.restore = await benchRestore(emulator.endpoint, {
          primaryRegion: PRIMARY,
          drRegion: DR,
          services: opts.quick ? 12 : 100,
          concurrency: SEED_CONCURRENCY,
        });
      } finally {
        await emulator.stop();
      }
    });
  }

  if (wants('packaging')) {
    await section('packaging', async () => {
      log('bundling the Lambda entry points');
      const outDir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-'));
      try {
        results.packaging = await benchPackaging(PROJECT_ROOT, outDir, { samples: opts.quick ? 5 : 20 });
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    });
  }

  const full: BenchResults = {
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    sectionSeconds,
    machine: {
      node: process.version,
      cpus: cpus().length,
      loadAverageAtStart,
      loadAverage: loadavg(),
    },
    ...results,
    notRun: SECTIONS.filter((s) => !wants(s)),
  };
  const markdown = renderMarkdown(full);
  const dir = join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(full, null, 2)}\n`;
  writeFileSync(join(dir, `${full.startedAt.replace(/[:.]/g, '-')}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  if (!opts.quick) writeFileSync(join(dir, 'latest.md'), markdown);
  process.stdout.write(`\n${markdown}`);
}

/**
 * Runs bench/block-engine.ts in its own process (its RSS is then the engine's alone) with its
 * progress on this stderr, and returns the JSON object it prints.
 */
function runBlockEngine(args: readonly string[]): Promise<BlockEngineResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BLOCK_ENGINE_SCRIPT, ...args], {
      cwd: PROJECT_ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`bench/block-engine.ts ${args.join(' ')} exited with code ${code}`));
        return;
      }
      try {
        resolve(
          JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1)) as BlockEngineResult,
        );
      } catch (cause) {
        reject(new Error('bench/block-engine.ts printed no JSON result', { cause }));
      }
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
