import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { freePort } from '../../src/emulator/moto';
import { useCliWorkspace } from '../support/cli';
import { seedFleet } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

// Command line conventions (issue 15, finding 8): usage errors, --quiet, colour, environment.

const ESC = '\u001b[';

const ctx = useEmulator();
const cli = useCliWorkspace(ctx, { prefix: 'lifeboat-conventions-', timeoutMs: 60_000 });
const { lifeboat, onEmulator } = cli;

beforeAll(async () => {
  await seedFleet(ctx.clients);
});

/** `main` (what bin/lifeboat.js calls) with terminal streams, so colour would be on. */
async function onTerminal(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { isTTY: true, write: (s: string) => (stdout += s) },
    stderr: { isTTY: true, write: (s: string) => (stderr += s) },
    env: { TERM: 'xterm-256color', ...env },
    cwd: cli.dir,
  });
  return { code, stdout, stderr };
}

describe('usage errors', () => {
  it('lifeboat with no command prints the help on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await lifeboat([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: lifeboat [options] [command]');
  });

  it('lifeboat --json with no command prints the help on stderr and a JSON usage error on stdout', async () => {
    const { code, stdout, stderr } = await lifeboat(['--json']);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: lifeboat [options] [command]');
    const doc = JSON.parse(stdout);
    expect(doc.error).toMatchObject({ name: 'UsageError', exitCode: 2 });
    expect(doc.error.message).not.toContain('outputHelp');
    expect(doc.error.message).toContain('a command is required');
  });

  it('comma-separated --services says patterns are space-separated', async () => {
    const { code, stderr } = await lifeboat(['plan', '--services', 'a/b,c/d']);
    expect(code).toBe(2);
    expect(stderr).toContain('patterns are space-separated: `--services a/b c/d`');
  });

  it('comma-separated --exclude names --exclude in the example', async () => {
    const { code, stdout } = await lifeboat(['plan', '--json', '--exclude', 'a/b,c/d']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout).error.message).toContain('patterns are space-separated: `--exclude a/b c/d`');
  });
});

describe('--quiet', () => {
  it('is in the help', async () => {
    const { code, stdout } = await lifeboat(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/-q, --quiet\s+no progress or info lines on stderr/);
    expect(stdout).toMatch(/--no-color\s+no colour in the output/);
  });

  it('backup --quiet --json writes only warnings on stderr and the same result on stdout', async () => {
    const quiet = await lifeboat(onEmulator('backup', '--json', '--quiet'));
    expect(quiet.code).toBe(0);
    // Warnings stay (the emulator's stand-ins); no progress or info line is left.
    for (const line of quiet.stderr.split('\n').filter((l) => l !== '')) expect(line).toMatch(/^warning: /);
    expect(quiet.stderr).not.toContain('Capturing ECS services');
    const doc = JSON.parse(quiet.stdout);
    expect(doc.recoveryPoint.status).toBe('complete');

    const loud = await lifeboat(onEmulator('backup', '--json'));
    expect(loud.code).toBe(0);
    expect(loud.stderr).toContain('Capturing ECS services in us-east-1');
    expect(Object.keys(JSON.parse(loud.stdout)).sort()).toEqual(Object.keys(doc).sort());
  });

  it('still writes errors', async () => {
    const { code, stderr } = await lifeboat(['status', '--quiet', '--config', 'missing.json']);
    expect(code).toBe(2);
    expect(stderr).toContain('error: Cannot read the configuration file');
  });
});

describe('colour', () => {
  it('is on for a terminal by default', async () => {
    const { code, stderr } = await onTerminal(['status', '--config', 'missing.json']);
    expect(code).toBe(2);
    expect(stderr).toContain(ESC);
  });

  it('--no-color turns it off', async () => {
    const { code, stderr } = await onTerminal(['status', '--no-color', '--config', 'missing.json']);
    expect(code).toBe(2);
    expect(stderr).toContain('error: Cannot read the configuration file');
    expect(stderr).not.toContain(ESC);
  });

  it('NO_COLOR turns it off', async () => {
    const { code, stderr } = await onTerminal(['status', '--config', 'missing.json'], { NO_COLOR: '1' });
    expect(code).toBe(2);
    expect(stderr).not.toContain(ESC);
  });
});

describe('AWS environment variables', () => {
  it('AWS_ENDPOINT_URL stands for --endpoint', async () => {
    const { code, stdout } = await lifeboat(
      ['recovery-points', 'list', '--json', '--config', 'lifeboat.json'],
      {
        AWS_ENDPOINT_URL: ctx.endpoint,
      },
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout).recoveryPoints.length).toBeGreaterThan(0);
  });

  it('--endpoint wins over AWS_ENDPOINT_URL', async () => {
    const unused = `http://127.0.0.1:${await freePort()}`;
    const { code } = await lifeboat(['recovery-points', 'list', '--json', ...onEmulator()], {
      AWS_ENDPOINT_URL: unused,
    });
    expect(code).toBe(0);
  });

  it('a malformed AWS_ENDPOINT_URL is a usage error naming the variable', async () => {
    const { code, stdout, stderr } = await lifeboat(['status', '--json', '--config', 'lifeboat.json'], {
      AWS_ENDPOINT_URL: 'not a url',
    });
    expect(code).toBe(2);
    expect(stderr).toContain('AWS_ENDPOINT_URL "not a url" must be a URL');
    expect(JSON.parse(stdout).error).toMatchObject({ name: 'UsageError', exitCode: 2 });
  });
});
