import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions, BuildResult, Plugin } from 'esbuild';

/** The project root: Lambda entries live in `lambda/`, bundled with its lockfile. */
export const PROJECT_ROOT = path.join(__dirname, '..', '..');

const THIS_FILE = path.join(PROJECT_ROOT, 'lib', 'workflows', 'lambda-defaults.ts');

/**
 * The esbuild options of every Lifeboat Lambda bundle: Node.js 22, CommonJS, minified, a source
 * map without the sources, nothing external (the SDK clients are inside the bundle). ES-module
 * builds of the SDK first (`mainFields`): they are about half the size of the CommonJS ones.
 */
export const LAMBDA_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: [],
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** The generated schema modules of the SDK clients (and of the nested clients of the credential providers). */
const SDK_SCHEMA_FILE =
  /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:submodules[\\/][^\\/]+[\\/])?schemas[\\/]schemas_\d+\.js$/;
const STRING_CONST = /^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm;
/** A computed key naming one of those constants, at the start of a property (after `{`, `,` or a line break). */
const COMPUTED_KEY = /(?<=[{,]\s*|^\s*)\[(_\w+)\]:/gm;

/**
 * Rewrites the computed keys of an SDK schema module, `{ [_xN]: v }` with `const _xN = "xmlName"`,
 * to the string literals they stand for: `{ "xmlName": v }`. The objects are the same (same
 * keys, order and values); only a constant's name is replaced by its value. A key whose name is
 * not a string constant of the module is left as it is.
 */
export function inlineSchemaKeys(source: string): string {
  const strings = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(STRING_CONST)) {
    // `{ "__proto__": v }` would set the prototype where `{ [k]: v }` defines a property.
    if (name && literal && literal !== '"__proto__"') strings.set(name, literal);
  }
  return source.replace(COMPUTED_KEY, (key, name: string) => {
    const literal = strings.get(name);
    return literal === undefined ? key : `${literal}:`;
  });
}

/**
 * Lets esbuild drop the schemas a bundle does not use. SDK clients since 3.930 write schema
 * trait keys as computed properties naming module constants, which esbuild must treat as
 * possible side effects (aws/aws-sdk-js-v3#7607, evanw/esbuild#4373), so every schema of every
 * client stays in the bundle and is compiled on each cold start: 540 KB for EC2 alone. With the
 * keys written as literals (the change smithy-lang/smithy-typescript#1889 makes in the SDK's
 * generator) tree shaking keeps only what the code reaches.
 */
export const inlineSdkSchemaKeys: Plugin = {
  name: 'lifeboat-inline-sdk-schema-keys',
  setup(build) {
    build.onLoad({ filter: SDK_SCHEMA_FILE }, (args) => ({
      contents: inlineSchemaKeys(readFileSync(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

/**
 * Bundles `lambda/<name>.ts` into `outfile` (with `outfile.map`) as it ships. `overrides`
 * adjust the options, for comparisons (the benchmark's baselines).
 */
export async function bundleLambda(
  name: string,
  outfile: string,
  overrides: BuildOptions = {},
): Promise<BuildResult<{ metafile: true }>> {
  const { build } = await import('esbuild');
  return build({
    ...LAMBDA_BUILD_OPTIONS,
    mainFields: [...LAMBDA_BUILD_OPTIONS.mainFields],
    external: [...LAMBDA_BUILD_OPTIONS.external],
    plugins: [inlineSdkSchemaKeys],
    ...overrides,
    entryPoints: [path.join(PROJECT_ROOT, 'lambda', `${name}.ts`)],
    outfile,
    metafile: true,
  });
}

/**
 * What every Lifeboat Lambda shares: entry in `lambda/<name>.ts`, Node.js 22 on ARM64, bundled
 * locally (no Docker) with the SDK clients inside the bundle. NodejsFunction's own esbuild run
 * (the CLI, which takes no plugins) is followed by `bundleLambda`, which writes the same file
 * with the SDK schemas tree-shaken (see `inlineSdkSchemaKeys`).
 */
export function lambdaEntry(
  name: string,
): Pick<
  lambdaNodejs.NodejsFunctionProps,
  'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'runtime' | 'architecture' | 'bundling'
> {
  return {
    entry: path.join(PROJECT_ROOT, 'lambda', `${name}.ts`),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    bundling: {
      minify: LAMBDA_BUILD_OPTIONS.minify,
      sourceMap: LAMBDA_BUILD_OPTIONS.sourcemap,
      sourcesContent: LAMBDA_BUILD_OPTIONS.sourcesContent,
      target: LAMBDA_BUILD_OPTIONS.target,
      mainFields: [...LAMBDA_BUILD_OPTIONS.mainFields],
      externalModules: [...LAMBDA_BUILD_OPTIONS.external],
      forceDockerBundling: false,
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (_inputDir: string, outputDir: string) => [
          [process.execPath, '--import', 'tsx', THIS_FILE, name, path.join(outputDir, 'index.js')]
            .map(shellQuote)
            .join(' '),
        ],
      },
    },
  };
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** `node --import tsx lib/workflows/lambda-defaults.ts <name> <outfile>`: the command hook above. */
async function main(argv: readonly string[]): Promise<void> {
  const [name, outfile] = argv;
  if (!name || !outfile) {
    throw new Error('usage: node --import tsx lib/workflows/lambda-defaults.ts <lambda name> <outfile>');
  }
  const result = await bundleLambda(name, outfile);
  if (result.errors.length > 0) throw new Error(`bundling lambda/${name}.ts failed`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
