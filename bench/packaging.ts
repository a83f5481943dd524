import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { bundleLambda } from '../lib/workflows/lambda-defaults';
import { median, round } from './stats';

const run = promisify(execFile);

export interface BundleMeasure {
  readonly entry: string;
  /** index.js bytes, as `lib/workflows/lambda-defaults.ts` builds it for the CDK (the source map ships beside it). */
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** Largest contributors, package (or `src`) → bytes in the output. */
  readonly topInputs: Record<string, number>;
  /** Median time to `require` the bundle in a fresh `node`, ms, as Lambda runs it (--enable-source-maps). */
  readonly coldInitMedianMs: number;
  /** The same without --enable-source-maps (fewer samples): what the source map costs. */
  readonly coldInitNoSourceMapsMedianMs: number;
  /**
   * Baseline: the same esbuild options without the SDK schema-key rewrite (what NodejsFunction's
   * esbuild run alone produces), its size and cold `require` (fewer samples).
   */
  readonly withoutRewrite: { readonly bytes: number; readonly coldInitMedianMs: number };
}

export interface PackagingBench {
  readonly bundles: BundleMeasure[];
  /** Median time for `node` to start and exit with nothing to load, ms: the floor under cold init. */
  readonly nodeStartMedianMs: number;
  /** Samples of the main figure; the comparison figures take `baselineSamples`. */
  readonly samples: number;
  readonly baselineSamples: number;
}

/** Lambda entry points: every `lambda/*.ts` module. */
export function lambdaEntries(projectRoot: string): string[] {
  const dir = join(projectRoot, 'lambda');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => basename(f, '.ts'));
}

function topInputs(metafile: Metafile): Record<string, number> {
  const byPackage: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'src';
      byPackage[key] = (byPackage[key] ?? 0) + bytesInOutput;
    }
  }
  return Object.fromEntries(
    Object.entries(byPackage)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8),
  );
}

interface Probe {
  readonly file: string;
  readonly flags: readonly string[];
  readonly samples: number;
  readonly times: number[];
}

/**
 * Bundles each Lambda entry as it ships (`bundleLambda`) and without the schema-key rewrite,
 * and measures size and cold `require` time. Samples are taken round-robin over all bundles,
 * so a busy stretch of the machine falls on all of them alike.
 */
export async function benchPackaging(
  projectRoot: string,
  outDir: string,
  opts: { samples: number },
): Promise<PackagingBench> {
  const baselineSamples = Math.min(opts.samples, 5);
  const built: Array<{
    name: string;
    outfile: string;
    metafile: Metafile;
    shipped: Probe;
    noSourceMaps: Probe;
    withoutRewrite: Probe;
  }> = [];
  for (const name of lambdaEntries(projectRoot)) {
    const dir = join(outDir, name);
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, 'index.js');
    const result = await bundleLambda(name, outfile);
    const plainFile = join(dir, 'without-rewrite', 'index.js');
    await bundleLambda(name, plainFile, { plugins: [] });
    built.push({
      name,
      outfile,
      metafile: result.metafile,
      shipped: { file: outfile, flags: ['--enable-source-maps'], samples: opts.samples, times: [] },
      noSourceMaps: { file: outfile, flags: [], samples: baselineSamples, times: [] },
      withoutRewrite: {
        file: plainFile,
        flags: ['--enable-source-maps'],
        samples: baselineSamples,
        times: [],
      },
    });
  }

  const nodeStart: number[] = [];
  const probes = built.flatMap((b) => [b.shipped, b.noSourceMaps, b.withoutRewrite]);
  for (let i = 0; i < opts.samples; i += 1) {
    for (const probe of probes) {
      if (i < probe.samples) probe.times.push(await requireTime(probe.file, probe.flags));
    }
    const started = performance.now();
    await run(process.execPath, ['-e', '0']);
    nodeStart.push(performance.now() - started);
  }

  const medianMs = (probe: Probe) => round(median(probe.times), 1);
  return {
    bundles: built.map((b) => ({
      entry: `lambda/${b.name}.ts`,
      bytes: statSync(b.outfile).size,
      sourceMapBytes: statSync(`${b.outfile}.map`).size,
      topInputs: topInputs(b.metafile),
      coldInitMedianMs: medianMs(b.shipped),
      coldInitNoSourceMapsMedianMs: medianMs(b.noSourceMaps),
      withoutRewrite: {
        bytes: statSync(b.withoutRewrite.file).size,
        coldInitMedianMs: medianMs(b.withoutRewrite),
      },
    })),
    nodeStartMedianMs: round(median(nodeStart), 1),
    samples: opts.samples,
    baselineSamples,
  };
}

/** Loads the bundle in a fresh process, which reports how long `require` took, ms. */
async function requireTime(bundle: string, nodeFlags: readonly string[]): Promise<number> {
  const script =
    'const t = performance.now(); require(process.argv[1]); process.stdout.write(String(performance.now() - t));';
  const { stdout } = await run(process.execPath, [...nodeFlags, '-e', script, bundle], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_SERVICE_NAME: 'lifeboat-bench',
    },
  });
  return Number(stdout);
}
