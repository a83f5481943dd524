import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cdkJsonContext } from './support/synth';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const outdirs: string[] = [];

/** Runs bin/app.ts the way the CDK CLI does: context in CDK_CONTEXT_JSON, output to CDK_OUTDIR. */
function runApp(context: Record<string, unknown>): Promise<Run & { outdir: string }> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'lifeboat-bin-'));
  outdirs.push(outdir);
  const env = {
    ...process.env,
    CDK_CONTEXT_JSON: JSON.stringify(context),
    CDK_OUTDIR: outdir,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // The CloudFormation schema check costs seconds per process; app.test.ts runs it in-process.
    CDK_VALIDATION: 'false',
  };
  return new Promise((resolve) => {
    execFile(TSX, ['bin/app.ts'], { cwd: ROOT, env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr, outdir });
    });
  });
}

describe('bin/app.ts', () => {
  afterEach(() => {
    for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('synthesises both stacks from the cdk.json context', async () => {
    const run = await runApp({ ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(run.outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; environment?: string }>;
    };
    const stacks = Object.entries(manifest.artifacts).filter(
      ([, a]) => a.type === 'aws:cloudformation:stack',
    );
    expect(Object.fromEntries(stacks.map(([id, a]) => [id, a.environment]))).toEqual({
      LifeboatRecovery: 'aws://123456789012/us-west-2',
      LifeboatBackup: 'aws://123456789012/us-east-1',
    });
  });

  it('fails when the configuration is invalid, printing the key to fix and no stack trace', async () => {
    const lifeboat = { ...(cdkJsonContext().lifeboat as object), drRegion: 'us-east-1' };
    const run = await runApp({ ...cdkJsonContext(), lifeboat });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Invalid Lifeboat configuration:');
    expect(run.stderr).toContain('lifeboat.drRegion: must differ from primaryRegion (both are us-east-1)');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('fails when the configuration is missing, saying where to add it', async () => {
    const run = await runApp({});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('lifeboat: is required; add a "lifeboat" object to "context" in cdk.json');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
