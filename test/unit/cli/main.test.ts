import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;

async function run(argv: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    cwd: dir,
  });
  return { code, stdout, stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-cli-main-'));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ account: '123456789012', primaryRegion: 'us-east-1', drRegion: 'us-west-2' }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lifeboat (argument handling, no AWS)', () => {
  it('prints help with every command, the global options and the exit codes, and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const text of [
      'backup',
      'recovery-points',
      'plan',
      'failover',
      'status',
      'demo',
      '--endpoint <url>',
    ]) {
      expect(stdout).toContain(text);
    }
    expect(stdout).toMatch(/Exit codes:[\s\S]*3 {2}recovery point not found[\s\S]*5 {2}RPO exceeded/);
  });

  it('documents the options of the restore commands', async () => {
    const { stdout } = await run(['failover', '--help']);
    for (const text of [
      '--recovery-point <id|latest>',
      '--services <pattern...>',
      '--desired-count-percent <n>',
      '--yes',
    ]) {
      expect(stdout).toContain(text);
    }
    expect(stdout).toContain('--json');
  });

  it('says the backup runs in-process with --endpoint, and starts the deployed one with the caller’s credentials without', async () => {
    const { stdout } = await run(['backup', '--help']);
    expect(stdout).toMatch(
      /The backup workflow \(capture, EBS snapshot copies, commit\) runs in this process/,
    );
    expect(stdout).toMatch(/Without it, it uses the caller's\s+credentials/);
  });

  it('answers `help <command>` and `<group> --help` with exit 0', async () => {
    for (const argv of [['help', 'recovery-points'], ['recovery-points', '--help'], ['--version']]) {
      const { code, stdout } = await run(argv);
      expect(code).toBe(0);
      expect(stdout).not.toBe('');
    }
  });

  it('exits 2 with the usage on stderr when no command (or no subcommand) is given', async () => {
    for (const argv of [[], ['recovery-points']]) {
      const { code, stdout, stderr } = await run(argv);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain('Usage: lifeboat');
    }
  });

  it('exits 2 and suggests the closest command for a typo', async () => {
    const { code, stderr } = await run(['recovery-point']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'recovery-point'");
    expect(stderr).toContain('Did you mean recovery-points?');
  });

  it.each([
    [['--endpoint', 'not a url', 'status'], '--endpoint <url>'],
    [['--dr-region', 'mars', 'status'], 'AWS region name'],
    [['recovery-points', 'show', 'rp-nope'], 'must be "latest" or a recovery point id'],
    [['recovery-points', 'show'], "missing required argument 'id|latest'"],
    [['recovery-points', 'list', '--limit', '0'], 'whole number from 1 to 1000'],
    [['failover', '--desired-count-percent', '150'], 'whole number from 0 to 100'],
    [['plan', '--services', 'web'], 'must look like "cluster/service"'],
    [['status', '--bogus'], "unknown option '--bogus'"],
  ])('rejects %j with exit 2 and a message naming the problem', async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
  });

  it('with --json (also after the command) writes the usage error as one JSON document on stdout', async () => {
    const { code, stdout } = await run(['recovery-points', 'show', 'rp-nope', '--json']);
    expect(code).toBe(2);
    const doc = JSON.parse(stdout);
    expect(doc.error).toMatchObject({ name: 'UsageError', exitCode: 2 });
    expect(doc.error.message).toContain('must be "latest" or a recovery point id');
  });

  it('exits 2 for an invalid configuration file, naming the key, without a stack trace', async () => {
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({ account: 'abc', primaryRegion: 'us-east-1', drRegion: 'us-west-2' }),
    );
    const { code, stdout, stderr } = await run(['status', '--config', 'bad.json', '--json']);
    expect(code).toBe(2);
    expect(stderr).toContain('lifeboat.account: must be a 12-digit AWS account id');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(stdout).error).toMatchObject({ name: 'ConfigError', exitCode: 2 });
  });

  it('shows the stack trace of an expected error only with LIFEBOAT_DEBUG=1', async () => {
    const argv = ['status', '--config', 'missing.json'];
    const quiet = await run(argv);
    expect(quiet.code).toBe(2);
    expect(quiet.stderr).toMatch(/^error: Cannot read the configuration file .*missing\.json/);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const debug = await run(argv, { LIFEBOAT_DEBUG: '1' });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/UsageError: Cannot read[\s\S]*\n\s+at /);
  });

  it('refuses failover without --yes when stdin is not a terminal, or with --json, before reading any configuration', async () => {
    for (const argv of [['failover'], ['failover', '--json']]) {
      const { code, stderr } = await run([...argv, '--config', 'missing.json']);
      expect(code).toBe(2);
      expect(stderr).toContain('pass --yes');
    }
  });

  it('refuses demo with --endpoint (it starts its own emulator)', async () => {
    const { code, stderr } = await run(['demo', '--endpoint', 'http://127.0.0.1:9']);
    expect(code).toBe(2);
    expect(stderr).toContain('drop --endpoint');
  });

  it('documents the exit codes of plan and failover and what demo does', async () => {
    expect((await run(['plan', '--help'])).stdout).toContain('1 when error findings block some');
    expect((await run(['failover', '--help'])).stdout).toContain('--exclude <pattern...>');
    expect((await run(['demo', '--help'])).stdout).toContain(
      'Exit 0 when every service the plan did not block',
    );
  });
});
