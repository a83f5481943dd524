import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/config-source';
import { runCli } from '../support/cli';

/** A cdk.json as the app ships it, without the Lifeboat configuration. */
const CDK_JSON = { app: 'npx tsx bin/app.ts', context: { '@aws-cdk/core:checkSecretUsage': true } };

let dir: string;
const cdkJson = () => join(dir, 'cdk.json');
const lifeboat = (...args: string[]) => runCli(args, { cwd: dir, timeoutMs: 30_000 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-init-'));
  writeFileSync(cdkJson(), `${JSON.stringify(CDK_JSON, null, 2)}\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('lifeboat init (binary)', () => {
  it('writes a commented configuration that the CLI and the CDK app read, keeping the rest of cdk.json', async () => {
    const run = await lifeboat(
      'init',
      '--account',
      '210987654321',
      '--primary-region',
      'eu-west-1',
      '--dr-region',
      'eu-central-1',
      '--schedule',
      'rate(30 minutes)',
      '--rpo-target-minutes',
      '45',
      '--tag',
      'team=payments',
      '--json',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ file: cdkJson(), replaced: false });
    const doc = JSON.parse(readFileSync(cdkJson(), 'utf8'));
    expect(doc.app).toBe(CDK_JSON.app);
    expect(doc.context['@aws-cdk/core:checkSecretUsage']).toBe(true);
    expect(doc.context.lifeboat['// schedule']).toMatch(/EventBridge Scheduler/);
    const { config } = loadConfig({ cwd: dir });
    expect(config).toMatchObject({
      account: '210987654321',
      primaryRegion: 'eu-west-1',
      drRegion: 'eu-central-1',
      schedule: 'rate(30 minutes)',
      rpoTargetMinutes: 45,
      selection: { tags: { team: 'payments' } },
    });
  });

  it('refuses to replace a configuration without --force, and keeps its values with --force', async () => {
    const args = [
      'init',
      '--account',
      '210987654321',
      '--primary-region',
      'us-east-1',
      '--dr-region',
      'us-west-2',
    ];
    expect((await lifeboat(...args)).code).toBe(0);
    const first = readFileSync(cdkJson(), 'utf8');
    const again = await lifeboat(...args, '--rpo-target-minutes', '30');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('pass --force');
    expect(readFileSync(cdkJson(), 'utf8')).toBe(first);
    const forced = await lifeboat('init', '--rpo-target-minutes', '30', '--force');
    expect(forced.code).toBe(0);
    expect(loadConfig({ cwd: dir }).config).toMatchObject({
      account: '210987654321',
      drRegion: 'us-west-2',
      rpoTargetMinutes: 30,
    });
  });

  it('writes nothing when a value is invalid or missing, and says what to pass', async () => {
    const before = readFileSync(cdkJson(), 'utf8');
    const missing = await lifeboat('init', '--primary-region', 'us-east-1', '--dr-region', 'us-west-2');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--account');
    const badSchedule = await lifeboat(
      'init',
      '--account',
      '210987654321',
      '--primary-region',
      'us-east-1',
      '--dr-region',
      'us-west-2',
      '--schedule',
      'every hour',
    );
    expect(badSchedule.code).toBe(2);
    expect(badSchedule.stderr).toContain('lifeboat.schedule');
    const sameRegion = await lifeboat(
      'init',
      '--account',
      '210987654321',
      '--primary-region',
      'us-east-1',
      '--dr-region',
      'us-east-1',
    );
    expect(sameRegion.code).toBe(2);
    expect(sameRegion.stderr).toContain('must differ from primaryRegion');
    expect(readFileSync(cdkJson(), 'utf8')).toBe(before);
  });
});
