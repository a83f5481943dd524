import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SynthesisedWorkflow, WorkflowSpec } from '../../../../src/cli/runners/local-workflow';
import {
  codeFingerprint,
  fingerprintOf,
  readCachedWorkflow,
  workflowCacheDir,
  workflowCacheFile,
  workflowCacheKey,
  writeCachedWorkflow,
} from '../../../../src/cli/runners/workflow-cache';
import { parseConfig } from '../../../../src/config/schema';
import { CONFIG_INPUT } from '../../../support/demo-fleet';
import { echoWorkflow } from '../../../support/echo-workflow';

const config = parseConfig({ account: '123456789012', primaryRegion: 'us-east-1', drRegion: 'us-west-2' });
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:lifeboat-reports';

const spec = (name = 'cache-test') => echoWorkflow(name, 'echo');

function keyOf(s: WorkflowSpec): string {
  return workflowCacheKey({ name: s.name, region: s.region, config: s.config, resources: s.resources ?? {} });
}

/** The runners as a new CLI process loads them: nothing cached in memory. */
async function newProcess() {
  vi.resetModules();
  return {
    ...(await import('../../../../src/cli/runners/local-workflow')),
    ...(await import('../../../../src/cli/runners/local-backup')),
    ...(await import('../../../../src/cli/runners/local-restore')),
  };
}

let scratch: string;
/** `LIFEBOAT_CACHE_DIR` of the test (a folder of its own). */
let cacheDir: string;
/** Where the entries go: `workflowCacheDir()`. */
let entries: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'lifeboat-cache-test-'));
  cacheDir = join(scratch, 'cache');
  entries = join(cacheDir, 'workflows');
  vi.stubEnv('LIFEBOAT_CACHE_DIR', cacheDir);
  vi.stubEnv('LIFEBOAT_NO_CACHE', '');
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  rmSync(scratch, { recursive: true, force: true });
});

describe('workflowCacheKey', () => {
  const parts = { name: 'restore', region: 'us-west-2', config, resources: {}, code: 'code-1' };

  it('is the same for the same inputs', () => {
    expect(workflowCacheKey(parts)).toBe(workflowCacheKey({ ...parts, config: parseConfig(CONFIG_INPUT) }));
    expect(workflowCacheKey(parts)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the workflow, region, configuration, local resources and code', () => {
    const key = workflowCacheKey(parts);
    const changed = [
      { ...parts, name: 'backup' },
      { ...parts, region: 'eu-west-1' },
      { ...parts, config: parseConfig({ ...CONFIG_INPUT, rpoTargetMinutes: 61 }) },
      { ...parts, resources: { reportTopic: { Ref: TOPIC, TopicArn: TOPIC } } },
      { ...parts, code: 'code-2' },
    ].map(workflowCacheKey);
    expect(new Set([key, ...changed]).size).toBe(changed.length + 1);
  });

  it('defaults the code to the fingerprint of this project', () => {
    const { code: _, ...withoutCode } = parts;
    expect(workflowCacheKey(withoutCode)).toBe(workflowCacheKey({ ...parts, code: codeFingerprint() }));
  });
});

describe('fingerprintOf', () => {
  function project(): string {
    const root = join(scratch, 'project');
    for (const dir of ['lib/stacks', 'src', 'lambda', 'test'])
      mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'lib/stacks/stack.ts'), 'export const a = 1;');
    writeFileSync(join(root, 'src/config.ts'), 'export const b = 2;');
    writeFileSync(join(root, 'lambda/handler.ts'), 'export const c = 3;');
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3}');
    writeFileSync(join(root, 'test/a.test.ts'), 'test');
    return root;
  }

  it('is stable, and changes with the contents or path of a source file and with the lock file', () => {
    const root = project();
    const before = fingerprintOf(root);
    expect(fingerprintOf(root)).toBe(before);
    writeFileSync(join(root, 'test/a.test.ts'), 'another test');
    expect(fingerprintOf(root), 'tests do not shape the template').toBe(before);

    for (const [file, contents] of [
      ['lib/stacks/stack.ts', 'export const a = 2;'],
      ['src/config.ts', 'export const b = 3;'],
      ['lambda/handler.ts', 'export const c = 4;'],
      ['package-lock.json', '{"lockfileVersion":3,"packages":{}}'],
    ] as const) {
      const original = readFileSync(join(root, file), 'utf8');
      writeFileSync(join(root, file), contents);
      expect(fingerprintOf(root), file).not.toBe(before);
      writeFileSync(join(root, file), original);
      expect(fingerprintOf(root)).toBe(before);
    }
    rmSync(join(root, 'src/config.ts'));
    writeFileSync(join(root, 'src/renamed.ts'), 'export const b = 2;');
    expect(fingerprintOf(root)).not.toBe(before);
  });

  it('fingerprints this project without a lock file or a folder missing (an installed package)', () => {
    const root = project();
    rmSync(join(root, 'package-lock.json'));
    rmSync(join(root, 'lambda'), { recursive: true });
    expect(fingerprintOf(root)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('workflowCacheDir', () => {
  it('is LIFEBOAT_CACHE_DIR, else XDG_CACHE_HOME/lifeboat, else ~/.cache/lifeboat; workflows/ in it', () => {
    expect(workflowCacheDir({ LIFEBOAT_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c/workflows');
    expect(workflowCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/lifeboat/workflows');
    expect(workflowCacheDir({})).toBe(join(homedir(), '.cache', 'lifeboat', 'workflows'));
  });

  it('is undefined with LIFEBOAT_NO_CACHE set (not to 0)', () => {
    expect(workflowCacheDir({ LIFEBOAT_CACHE_DIR: '/c', LIFEBOAT_NO_CACHE: '1' })).toBeUndefined();
    expect(workflowCacheDir({ LIFEBOAT_CACHE_DIR: '/c', LIFEBOAT_NO_CACHE: '0' })).toBe('/c/workflows');
  });
});

describe('synthesiseWorkflow with the disk cache', () => {
  it('writes the entry (0600 in a 0700 folder), and a new process reads it instead of synthesising', async () => {
    const first = (await newProcess()).synthesiseWorkflow(spec());
    const file = workflowCacheFile(entries, keyOf(spec()));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(entries).mode & 0o777).toBe(0o700);
    expect(readdirSync(entries)).toEqual([`${keyOf(spec())}.json`]);

    const { synthesiseWorkflow } = await newProcess();
    const synth = vi.spyOn(App.prototype, 'synth');
    const hit = synthesiseWorkflow(spec());
    expect(synth).not.toHaveBeenCalled();
    expect(hit).toEqual(first);
    expect(synthesiseWorkflow(spec()), 'kept in memory too').toBe(hit);
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['JSON of another shape', JSON.stringify({ version: 1, key: 'x', workflow: { functions: [] } })],
    ['an entry for another key', JSON.stringify({ version: 1, key: 'other', workflow: {} })],
  ])('ignores an entry that is %s, synthesises and rewrites it', async (_, contents) => {
    const key = keyOf(spec());
    mkdirSync(entries, { recursive: true });
    writeFileSync(workflowCacheFile(entries, key), contents);
    const { synthesiseWorkflow } = await newProcess();
    const synth = vi.spyOn(App.prototype, 'synth');

    const workflow = synthesiseWorkflow(spec());
    expect(synth).toHaveBeenCalledTimes(1);
    expect(Object.values(workflow.functions)).toEqual(['echo']);
    expect(readCachedWorkflow(entries, key)).toEqual(workflow);
  });

  it('synthesises when the cache folder cannot be created, and says why only with LIFEBOAT_DEBUG', async () => {
    writeFileSync(join(scratch, 'a-file'), '');
    vi.stubEnv('LIFEBOAT_CACHE_DIR', join(scratch, 'a-file', 'cache'));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    const { synthesiseWorkflow } = await newProcess();
    expect(Object.values(synthesiseWorkflow(spec()).functions)).toEqual(['echo']);
    expect(stderr).not.toHaveBeenCalled();

    vi.stubEnv('LIFEBOAT_DEBUG', '1');
    expect(Object.values((await newProcess()).synthesiseWorkflow(spec()).functions)).toEqual(['echo']);
    expect(stderr).toHaveBeenCalledWith(
      expect.stringMatching(/^lifeboat: workflow cache: cannot write .*a-file/),
    );
  });

  it('neither reads nor writes the cache with LIFEBOAT_NO_CACHE=1', async () => {
    vi.stubEnv('LIFEBOAT_NO_CACHE', '1');
    const { synthesiseWorkflow } = await newProcess();
    synthesiseWorkflow(spec());
    expect(() => readdirSync(entries)).toThrow(/ENOENT/);
  });
});

describe('writeCachedWorkflow', () => {
  const workflow: SynthesisedWorkflow = {
    rendered: { definition: {}, definitionString: '{}', stateMachineName: 'M', functions: {} },
    functions: {},
  };

  it('keeps the 20 entries used last and none unused for 30 days', () => {
    const day = 24 * 60 * 60;
    const now = Date.now() / 1000;
    mkdirSync(entries, { recursive: true });
    for (let i = 0; i < 25; i++) {
      const file = workflowCacheFile(entries, `entry-${i}`);
      writeFileSync(file, '{}');
      utimesSync(file, now - i * 60, now - i * 60);
    }
    const stale = join(entries, 'old.json.1.tmp');
    writeFileSync(stale, '');
    utimesSync(stale, now - 31 * day, now - 31 * day);
    utimesSync(workflowCacheFile(entries, 'entry-0'), now - 31 * day, now - 31 * day);

    expect(writeCachedWorkflow(entries, 'new', workflow)).toBe(true);
    const kept = readdirSync(entries).sort();
    expect(kept).toHaveLength(20);
    expect(kept).toContain('new.json');
    expect(kept).not.toContain('entry-0.json');
    expect(kept).not.toContain('old.json.1.tmp');
    expect(kept).toEqual(
      ['new', ...Array.from({ length: 19 }, (_, i) => `entry-${i + 1}`)].map((k) => `${k}.json`).sort(),
    );
    expect(readCachedWorkflow(entries, 'new')).toEqual(workflow);
  });
});

describe('the Lifeboat workflows from the cache', () => {
  const demo = parseConfig(CONFIG_INPUT);

  it('a cache hit gives the backup workflow a fresh synth gives', async () => {
    const fresh = (await newProcess()).synthesiseBackupWorkflow(demo);
    const { synthesiseBackupWorkflow } = await newProcess();
    const synth = vi.spyOn(App.prototype, 'synth');
    expect(synthesiseBackupWorkflow(demo)).toEqual(fresh);
    expect(synth).not.toHaveBeenCalled();
  });

  it('a cache hit gives the restore workflow a fresh synth gives, the report topic the local one', async () => {
    const fresh = (await newProcess()).synthesiseRestoreWorkflow(demo, TOPIC);
    expect(fresh.rendered.definitionString).toContain(TOPIC);
    const { synthesiseRestoreWorkflow } = await newProcess();
    const synth = vi.spyOn(App.prototype, 'synth');
    expect(synthesiseRestoreWorkflow(demo, TOPIC)).toEqual(fresh);
    expect(synth).not.toHaveBeenCalled();
    // Another topic is another entry.
    expect(synthesiseRestoreWorkflow(demo).rendered.definitionString).not.toContain(TOPIC);
    expect(synth).toHaveBeenCalledTimes(1);
  });
});
