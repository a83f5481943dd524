/**
 * `npm run bench`: what Lifeboat exists for, each figure beside a baseline measured in the same
 * run on the same machine. Writes `bench/results/<time>.json`, `bench/results/latest.json` and
 * `bench/results/latest.md`, and prints the markdown table.
 *
 *   npm run bench [-- --only=capture,restore] [--skip=block-engine] [--block-gib=4] [--quick]
 *
 * Sections: emulator (its own speed), capture, block-engine, restore, packaging. `--quick`
 * shrinks every fleet (a smoke run; its figures are not the benchmark's).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AwsClients } from '../src/aws/clients';
import { PROJECT_ROOT, startEmulator } from '../src/local/emulator';
import { benchCapture } from './capture';
import { measureEmulatorSpeed } from './emulator-speed';
import { CAPTURE_FLEET, type FleetShape, seedFleet } from './fleet';
import { benchPackaging } from './packaging';
import { type BenchResults, renderMarkdown } from './report';
import { benchRestore } from './restore';

const run = promisify(execFile);

const SECTIONS = ['emulator', 'capture', 'block-engine', 'restore', 'packaging'] as const;
type Section = (typeof SECTIONS)[number];

const ACCOUNT = '123456789012';
const PRIMARY = 'us-east-1';
const DR = 'us-west-2';
/** Calls in flight while seeding: moto is one Python process, more only queues. */
const SEED_CONCURRENCY = 8;
const BLOCK_ENGINE_SCRIPT = join(PROJECT_ROOT, 'bench', 'block-engine.ts');
const RESTORE_RUNNER = join(PROJECT_ROOT, 'src', 'local', 'restore-runner.ts');

interface Options {
  readonly sections: Section[];
  readonly quick: boolean;
  readonly blockGiB: number;
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
  const blockGiB = Number(value('block-gib') ?? 1);
  if (!Number.isInteger(blockGiB) || blockGiB < 1) throw new Error('--block-gib must be a positive integer');
  return { sections: only.filter((s) => !skip.includes(s)), quick: argv.includes('--quick'), blockGiB };
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const skipped: Record<string, string> = {};
  const results: { -readonly [K in keyof BenchResults]?: BenchResults[K] } = {};
  const wants = (s: Section) => opts.sections.includes(s);

  if (wants('emulator') || wants('capture')) {
    log('starting the emulator for the capture fleet');
    const emulator = await startEmulator({ log });
    const clients = new AwsClients({ endpoint: emulator.endpoint });
    try {
      if (wants('emulator')) {
        log('measuring the emulator');
        results.emulatorSpeed = await measureEmulatorSpeed(clients, PRIMARY, { calls: 300, concurrency: 8 });
      }
      if (wants('capture')) {
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
      }
    } finally {
      clients.destroy();
      await emulator.stop();
    }
  }

  if (wants('block-engine')) {
    if (existsSync(BLOCK_ENGINE_SCRIPT)) {
      const blocks = opts.quick ? 64 : opts.blockGiB * 2048;
      log(`block engine: ${blocks} blocks (bench/block-engine.ts)`);
      results.blockEngine = await runBlockEngine(blocks);
    } else {
      skipped['Block engine'] = 'bench/block-engine.ts is not there yet';
    }
  }

  if (wants('restore')) {
    if (existsSync(RESTORE_RUNNER)) {
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
    } else {
      skipped.Restore = 'src/local/restore-runner.ts is not there yet';
    }
  }

  if (wants('packaging')) {
    log('bundling the Lambda entry points');
    const outDir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-'));
    try {
      results.packaging = await benchPackaging(PROJECT_ROOT, outDir, { samples: opts.quick ? 5 : 20 });
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }

  const full: BenchResults = {
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    machine: { node: process.version, cpus: cpus().length, loadAverage: loadavg() },
    ...results,
    skipped,
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

/** Runs engineer I's standalone script and keeps its JSON result and markdown line. */
async function runBlockEngine(blocks: number): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    process.execPath,
    [join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), BLOCK_ENGINE_SCRIPT, `--blocks=${blocks}`],
    { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024, env: process.env },
  );
  const jsonEnd = stdout.lastIndexOf('}');
  const jsonStart = stdout.indexOf('{');
  const parsed = JSON.parse(stdout.slice(jsonStart, jsonEnd + 1)) as Record<string, unknown>;
  const markdown = stdout
    .slice(jsonEnd + 1)
    .split('\n')
    .find((line) => line.startsWith('|'));
  return { ...parsed, ...(markdown ? { markdown } : {}) };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
