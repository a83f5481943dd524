import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../config/errors';
import { CONFIG_CONTEXT_KEY, type LifeboatConfig, parseConfig } from '../config/schema';
import { UsageError } from './errors';

export interface ConfigSourceOptions {
  /** `--config`: a JSON file holding the configuration, or a cdk.json with a `lifeboat` context. */
  readonly configFile?: string;
  /** `--primary-region`, applied before validation. */
  readonly primaryRegion?: string;
  /** `--dr-region`, applied before validation. */
  readonly drRegion?: string;
  /** Where the search for cdk.json starts (then each parent directory). */
  readonly cwd: string;
}

export interface LoadedConfig {
  readonly config: LifeboatConfig;
  /** The file it came from, for messages. */
  readonly source: string;
}

/** Nearest cdk.json from `dir` upwards. */
export function findCdkJson(dir: string): string | undefined {
  for (let current = resolve(dir); ; current = dirname(current)) {
    const candidate = join(current, 'cdk.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(current) === current) return undefined;
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new UsageError(`Cannot read the configuration file ${file} (${(cause as Error).message}).`, {
      cause,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new UsageError(`${file} is not valid JSON (${(cause as Error).message}); fix the file.`, { cause });
  }
}

function lifeboatContext(doc: unknown): unknown {
  if (doc === null || typeof doc !== 'object') return undefined;
  const context = (doc as { context?: unknown }).context;
  if (context === null || typeof context !== 'object') return undefined;
  return (context as Record<string, unknown>)[CONFIG_CONTEXT_KEY];
}

/**
 * The configuration the CLI runs with: `--config <file>` (a plain config object, or a
 * cdk.json whose `context.lifeboat` holds it), else the `lifeboat` context of the nearest
 * cdk.json; region options override the file; the result is validated with `parseConfig`.
 */
export function loadConfig(opts: ConfigSourceOptions): LoadedConfig {
  let raw: unknown;
  let source: string;
  if (opts.configFile !== undefined) {
    source = resolve(opts.cwd, opts.configFile);
    const doc = readJson(source);
    raw = lifeboatContext(doc) ?? doc;
  } else {
    const cdkJson = findCdkJson(opts.cwd);
    if (cdkJson === undefined) {
      throw new UsageError(
        `No configuration found: there is no cdk.json in ${opts.cwd} or its parents. Pass --config <file> or run inside the Lifeboat app directory.`,
      );
    }
    source = cdkJson;
    raw = lifeboatContext(readJson(cdkJson));
    if (raw === undefined) {
      throw new UsageError(
        `${cdkJson} has no "context.${CONFIG_CONTEXT_KEY}" configuration. Add it (see the README) or pass --config <file>.`,
      );
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(`${source} must hold a JSON object with the Lifeboat configuration.`);
  }
  const merged: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if (opts.primaryRegion !== undefined) merged.primaryRegion = opts.primaryRegion;
  if (opts.drRegion !== undefined) merged.drRegion = opts.drRegion;
  try {
    return { config: parseConfig(merged), source };
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ConfigError(`${error.message}\n(configuration from ${source})`, error.key);
    }
    throw error;
  }
}
