import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { median, round } from './stats';

const run = promisify(execFile);

/**
 * The options the CDK NodejsFunction in `lib/capture-function.ts` bundles with: minify, source
 * map, target node22, platform node, nothing external (the SDK is bundled), CommonJS output,
 * esbuild's default main fields. Keep them in step with that construct.
 */
export const CDK_BUNDLING: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: true,
  target: 'node22',
  platform: 'node',
  format: 'cjs',
  mainFields: ['module', 'main'],
  sourcesContent: false,
  external: [],
  logLevel: 'error',
};

export interface BundleMeasure {
  readonly entry: string;
  /** index.js bytes (the source map ships beside it and is not loaded unless enabled). */
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** Largest contributors, package (or `src`) → bytes in the output. */
  readonly topInputs: Record<string, number>;
  /** Median time to `require` the bundle in a fresh `node`, ms, as Lambda runs it (--enable-source-maps). */
  readonly coldInitMedianMs: number;
  /** The same without source maps (5 samples at most). */
  readonly coldInitNoSourceMapsMedianMs: number;
  /** Size with `mainFields: ['module', 'main']` (the SDK's tree-shakable ES builds), for comparison. */
  readonly cjsFirstBytes: number;
}

export interface PackagingBench {
  readonly bundles: BundleMeasure[];
  /** Median time for `node` to start and exit with nothing to load, ms: the floor under cold init. */
  readonly nodeStartMedianMs: number;
  readonly samples: number;
}

/** Lambda entry points: every `lambda/*.ts` module. */
export function lambdaEntries(projectRoot: string): string[] {
  const dir = join(projectRoot, 'lambda');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => join(dir, f));
}

/** Bundles each Lambda entry as the CDK would and measures its size and cold `require` time. */
export async function benchPackaging(
  projectRoot: string,
  outDir: string,
  opts: { samples: number },
): Promise<PackagingBench> {
  const bundles: BundleMeasure[] = [];
  for (const entry of lambdaEntries(projectRoot)) {
    const name = basename(entry, '.ts');
    const dir = join(outDir, name);
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, 'index.js');
    const result = await build({ ...CDK_BUNDLING, entryPoints: [entry], outfile, metafile: true });
    // Baseline: esbuild's default for Node (CommonJS builds of the SDK first).
    const cjsFirst = await build({
      ...CDK_BUNDLING,
      sourcemap: false,
      entryPoints: [entry],
      outfile: join(dir, 'cjs-first.js'),
      mainFields: ['main', 'module'],
      write: false,
    });
    const topInputs: Record<string, number> = {};
    for (const output of Object.values(result.metafile.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'src';
        topInputs[key] = (topInputs[key] ?? 0) + bytesInOutput;
      }
    }
    const top = Object.fromEntries(
      Object.entries(topInputs)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8),
    );
    bundles.push({
      entry: `lambda/${name}.ts`,
      bytes: statSync(outfile).size,
      sourceMapBytes: statSync(`${outfile}.map`).size,
      topInputs: top,
      coldInitMedianMs: round(median(await requireTimes(outfile, opts.samples, ['--enable-source-maps'])), 1),
      coldInitNoSourceMapsMedianMs: round(
        median(await requireTimes(outfile, Math.min(opts.samples, 5), [])),
        1,
      ),
      cjsFirstBytes: cjsFirst.outputFiles.find((f) => f.path.endsWith('.js'))?.contents.length ?? 0,
    });
  }
  const nodeStart: number[] = [];
  for (let i = 0; i < opts.samples; i += 1) {
    const started = performance.now();
    await run(process.execPath, ['-e', '0']);
    nodeStart.push(performance.now() - started);
  }
  return { bundles, nodeStartMedianMs: round(median(nodeStart), 1), samples: opts.samples };
}

/** Loads the bundle in `samples` fresh processes; each reports how long `require` took. */
async function requireTimes(bundle: string, samples: number, nodeFlags: string[]): Promise<number[]> {
  const script =
    'const t = performance.now(); require(process.argv[1]); process.stdout.write(String(performance.now() - t));';
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const { stdout } = await run(process.execPath, [...nodeFlags, '-e', script, bundle], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_SERVICE_NAME: 'lifeboat-bench',
      },
    });
    times.push(Number(stdout));
  }
  return times;
}
