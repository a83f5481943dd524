import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type LifeboatStacks } from '../../../lib/app';
import { CONFIG_CONTEXT_KEY, type LifeboatConfig, parseConfig } from '../../../src/config/schema';

const CDK_JSON = path.join(__dirname, '..', '..', '..', 'cdk.json');

/** The context of cdk.json (feature flags and the sample `lifeboat` configuration). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

/** The sample configuration of cdk.json with `overrides` merged over its top-level keys. */
export function sampleConfig(overrides: Record<string, unknown> = {}): LifeboatConfig {
  const sample = cdkJsonContext()[CONFIG_CONTEXT_KEY] as Record<string, unknown>;
  return parseConfig({ ...sample, ...overrides });
}

export interface AppOptions {
  /** Bundle the capture Lambda with esbuild (seconds). */
  readonly bundle?: boolean;
  /**
   * Run CDK's built-in CloudFormation schema validation at synth, as `cdk synth` does. Its first
   * run in a process loads the resource schemas (10+ seconds), so only the tests about it ask.
   */
  readonly cfnValidation?: boolean;
  readonly context?: Record<string, unknown>;
}

const outdirs: string[] = [];

/**
 * An App with the feature flags of cdk.json, writing to its own temporary directory (removed by
 * `removeTestApps`: call it in `afterAll` of every file that creates apps).
 */
export function newApp(opts: AppOptions = {}): App {
  const context: Record<string, unknown> = { ...cdkJsonContext(), ...opts.context };
  if (!opts.bundle) context['aws:cdk:bundling-stacks'] = [];
  const outdir = mkdtempSync(path.join(tmpdir(), 'lifeboat-infra-'));
  outdirs.push(outdir);
  return new App({ context, outdir, builtinCloudFormationValidation: opts.cfnValidation ?? false });
}

/** Removes the cloud assemblies of every app `newApp` created in this file. */
export function removeTestApps(): void {
  for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
}

export interface SynthesisedLifeboat {
  readonly app: App;
  readonly stacks: LifeboatStacks;
  readonly recovery: Template;
  readonly backup: Template;
}

/**
 * Builds the Lifeboat app as bin/app.ts does (cdk-nag included) and synthesises it once.
 * Bundling and CloudFormation schema validation are skipped unless asked for (see AppOptions).
 */
export function synthLifeboat(
  config: LifeboatConfig,
  opts: Omit<AppOptions, 'context'> = {},
): SynthesisedLifeboat {
  const app = newApp(opts);
  const stacks = buildApp(app, config);
  return {
    app,
    stacks,
    recovery: Template.fromStack(stacks.recovery),
    backup: Template.fromStack(stacks.backup),
  };
}

/** The only resource of `type` in the template: its logical id and properties. */
export function onlyResource(
  template: Template,
  type: string,
): { id: string; properties: Record<string, unknown> } {
  const resources = template.findResources(type);
  const ids = Object.keys(resources);
  if (ids.length !== 1) throw new Error(`expected exactly one ${type}, found ${ids.length}`);
  const id = ids[0] as string;
  const resource = resources[id] as { Properties?: Record<string, unknown> };
  return { id, properties: resource.Properties ?? {} };
}
