import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import * as z from 'zod';
import type { LifeboatConfig } from '../../config/schema';
import type { RenderedDefinition } from '../../emulator/step-functions/engine';

/**
 * A disk cache of the rendered workflow definitions, so a local `backup` or `failover` does not
 * synthesise the stacks in every process (a synth takes seconds). An entry is found by a content
 * hash of everything the definition depends on (see `workflowCacheKey`): a change of code or
 * configuration misses, and nothing is ever invalidated in place.
 */

/** A Lifeboat state machine as CDK deploys it, with each Lambda's `LIFEBOAT_FUNCTION`. */
export interface SynthesisedWorkflow {
  readonly rendered: RenderedDefinition;
  /** Lambda logical id → `LIFEBOAT_FUNCTION` (the handler module name). */
  readonly functions: Readonly<Record<string, string>>;
}

/** The project root: the folder holding lib/, src/ and lambda/ (also in an installed package). */
const PACKAGE_ROOT = resolve(__dirname, '..', '..', '..');
/** Source folders the stacks are built from (lib/ imports src/, the functions are in lambda/). */
const SOURCE_DIRS = ['lib', 'src', 'lambda'];
/** The lock file pins aws-cdk-lib and its dependencies (absent in an installed package). */
const LOCK_FILE = 'package-lock.json';
/** Packages whose version shapes the template, hashed also where the lock file is not shipped. */
const TEMPLATE_PACKAGES = ['aws-cdk-lib', 'constructs'];

/** Bumped when the entry format changes, so older entries miss. */
const FORMAT_VERSION = 1;
/** Entries kept at most (the newest by last use); each is a few tens of KB. */
const MAX_ENTRIES = 20;
/** Entries (and temporary files of interrupted writes) unused this long are deleted. */
const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The folder of the cache entries: `$LIFEBOAT_CACHE_DIR/workflows`, else
 * `$XDG_CACHE_HOME/lifeboat/workflows`, else `~/.cache/lifeboat/workflows`; undefined when
 * `LIFEBOAT_NO_CACHE` is set (to anything but empty or `0`).
 */
export function workflowCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (isSet(env.LIFEBOAT_NO_CACHE)) return undefined;
  const base = env.LIFEBOAT_CACHE_DIR
    ? env.LIFEBOAT_CACHE_DIR
    : join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lifeboat');
  return join(base, 'workflows');
}

let fingerprint: string | undefined;

/**
 * A sha256 of the code that shapes the templates: the path and contents of every file under
 * lib/, src/ and lambda/, package-lock.json, and the installed aws-cdk-lib and constructs
 * versions. Computed once per process (it reads a couple of MB).
 */
export function codeFingerprint(): string {
  fingerprint ??= fingerprintOf(PACKAGE_ROOT);
  return fingerprint;
}

/** `codeFingerprint` of the project at `root`. */
export function fingerprintOf(root: string): string {
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const dir of SOURCE_DIRS) {
    for (const name of readdirIfAny(join(root, dir))) files.push(join(root, dir, name));
  }
  files.push(join(root, LOCK_FILE));
  for (const file of files.sort()) {
    // Folders do not read (EISDIR): only files count.
    const contents = readIfAny(file);
    if (contents === undefined) continue;
    hash.update(`${relative(root, file).split(sep).join('/')}\0${contents.length}\0`);
    hash.update(contents);
  }
  for (const name of TEMPLATE_PACKAGES) {
    const { version } = require(`${name}/package.json`) as { version: string };
    hash.update(`${name}@${version}\0`);
  }
  return hash.digest('hex');
}

/** What a workflow's rendered definition depends on (see `workflowCacheKey`). */
export interface WorkflowCacheKeyParts {
  readonly name: string;
  readonly region: string;
  readonly config: LifeboatConfig;
  /** The local resource values the definition is rendered with. */
  readonly resources: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** @default - `codeFingerprint()` */
  readonly code?: string;
}

/** The cache key of a rendered workflow: a sha256 (hex) of everything its definition depends on. */
export function workflowCacheKey(parts: WorkflowCacheKeyParts): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        FORMAT_VERSION,
        parts.name,
        parts.region,
        parts.config,
        parts.resources,
        parts.code ?? codeFingerprint(),
        // The App reads context from it (cdk.json is read by the cdk command only).
        process.env.CDK_CONTEXT_JSON ?? null,
      ]),
    )
    .digest('hex');
}

const renderedSchema = z.object({
  definition: z.record(z.string(), z.unknown()),
  definitionString: z.string(),
  stateMachineName: z.string(),
  functions: z.record(
    z.string(),
    z.object({
      logicalId: z.string(),
      arn: z.string(),
      handler: z.string().optional(),
      runtime: z.string().optional(),
      assetPath: z.string().optional(),
    }),
  ),
});

const entrySchema = z.object({
  version: z.literal(FORMAT_VERSION),
  key: z.string(),
  workflow: z.object({ rendered: renderedSchema, functions: z.record(z.string(), z.string()) }),
});

/** The path of the entry `key` in `dir`. */
export function workflowCacheFile(dir: string, key: string): string {
  return join(dir, `${key}.json`);
}

/**
 * The entry `key` in `dir`; undefined when there is none or it cannot be used (unreadable, not
 * JSON, not an entry of this format or for this key: the next write replaces it).
 */
export function readCachedWorkflow(dir: string, key: string): SynthesisedWorkflow | undefined {
  const file = workflowCacheFile(dir, key);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') debug(`cannot read ${file}: ${messageOf(error)}`);
    return undefined;
  }
  let parsed: z.infer<typeof entrySchema>;
  try {
    parsed = entrySchema.parse(JSON.parse(text));
  } catch (error) {
    debug(`ignoring ${file}, not a workflow cache entry: ${messageOf(error)}`);
    return undefined;
  }
  if (parsed.key !== key) {
    debug(`ignoring ${file}: it holds the entry ${parsed.key}`);
    return undefined;
  }
  try {
    // Last use: what pruning keeps.
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // A read-only cache still serves its entries.
  }
  return parsed.workflow as SynthesisedWorkflow;
}

/**
 * Stores `workflow` as the entry `key` in `dir` (created 0700; the file 0600, written to a
 * temporary file and renamed, so a reader never sees half an entry), then deletes the entries
 * beyond the newest 20 and those unused for 30 days. Returns false when it could not be written
 * (e.g. a read-only home directory): the cache is an optimisation, never a failure.
 */
export function writeCachedWorkflow(dir: string, key: string, workflow: SynthesisedWorkflow): boolean {
  const file = workflowCacheFile(dir, key);
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(temporary, JSON.stringify({ version: FORMAT_VERSION, key, workflow }), { mode: 0o600 });
    // The umask may have narrowed the mode, never widened it; an existing file kept its mode.
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
  } catch (error) {
    debug(`cannot write ${file}: ${messageOf(error)}`);
    try {
      rmSync(temporary, { force: true });
    } catch {
      // The folder itself is unusable (not a folder, no access): there is no temporary file to remove.
    }
    return false;
  }
  pruneCache(dir, file);
  return true;
}

/** Deletes entries (and leftover temporary files) unused for 30 days, and entries beyond the newest 20. */
function pruneCache(dir: string, keep: string): void {
  try {
    const files = readdirSync(dir)
      .filter((name) => name.endsWith('.json') || name.endsWith('.tmp'))
      .map((name) => {
        const path = join(dir, name);
        return { path, entry: name.endsWith('.json'), mtimeMs: statSync(path).mtimeMs };
      })
      .sort((a, b) => b.mtimeMs - a.mtimeMs);
    const now = Date.now();
    let kept = 1;
    for (const file of files) {
      if (file.path === keep) continue;
      const expired = now - file.mtimeMs > MAX_AGE_MS;
      if (expired || (file.entry && kept >= MAX_ENTRIES)) rmSync(file.path, { force: true });
      else if (file.entry) kept += 1;
    }
  } catch (error) {
    // Another process pruning at the same time, or a file gone meanwhile: the next write prunes.
    debug(`cannot prune ${dir}: ${messageOf(error)}`);
  }
}

function readdirIfAny(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
}

function readIfAny(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0';
}

/** A line on stderr with `LIFEBOAT_DEBUG` set, as the CLI's stack traces. */
function debug(message: string): void {
  if (isSet(process.env.LIFEBOAT_DEBUG)) process.stderr.write(`lifeboat: workflow cache: ${message}\n`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
