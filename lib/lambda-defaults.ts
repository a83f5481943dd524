import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/** The project root: Lambda entries live in `lambda/`, bundled with its lockfile. */
export const PROJECT_ROOT = path.join(__dirname, '..');

/**
 * What every Lifeboat Lambda shares: entry in `lambda/<name>.ts`, Node.js 22 on ARM64, bundled
 * locally with esbuild (no Docker) with the SDK clients inside the bundle.
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
      minify: true,
      sourceMap: true,
      target: 'node22',
      externalModules: [],
      forceDockerBundling: false,
      // ES-module builds of the SDK are about half the size of the CommonJS ones, and the
      // source map need not carry the sources: smaller bundles load faster on a cold start.
      mainFields: ['module', 'main'],
      sourcesContent: false,
    },
  };
}
