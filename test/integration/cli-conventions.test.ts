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

describe('--output', () => {
  it('text writes the JSON document as tab-separated lines, one per recovery point', async () => {
    const json = await lifeboat(['recovery-points', 'list', '--json', ...onEmulator()]);
    const text = await lifeboat(['recovery-points', 'list', '--output', 'text', ...onEmulator()]);
    expect(text.code).toBe(0);
    const points = JSON.parse(json.stdout).recoveryPoints as { id: string; status: string }[];
    const rows = text.stdout
      .split('\n')
      .filter((l) => l.startsWith('RECOVERYPOINTS\t'))
      .map((l) => l.split('\t'));
    expect(rows.map((r) => r[1])).toEqual(points.map((p) => p.id));
    expect(rows.every((r, i) => r.includes(points[i]?.status ?? '-'))).toBe(true);
    expect(text.stdout).toMatch(/^CATALOG\tlifeboat-catalog-/m);
    expect(text.stdout).not.toContain(ESC);
  });

  it('json is --json', async () => {
    const a = await lifeboat(['status', '--output=json', ...onEmulator()]);
    const b = await lifeboat(['status', '--json', ...onEmulator()]);
    expect(Object.keys(JSON.parse(a.stdout)).sort()).toEqual(Object.keys(JSON.parse(b.stdout)).sort());
    expect(a.code).toBe(b.code);
  });

  it('refuses a format it does not know, and --json with another format', async () => {
    const unknown = await lifeboat(['status', '--output', 'yaml', ...onEmulator()]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Allowed choices are table, json, text');
    const both = await lifeboat(['status', '--json', '--output', 'table', ...onEmulator()]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--json is --output json; it cannot go with --output table');
  });

  it('failover --output text cannot ask for confirmation: exit 2, nothing changed', async () => {
    const { code, stderr } = await lifeboat(['failover', '--output', 'text', ...onEmulator()]);
    expect(code).toBe(2);
    expect(stderr).toContain('`lifeboat failover --output text` cannot ask for confirmation; pass --yes');
  });
});

describe('regions from the environment', () => {
  it('AWS_REGION that is neither configured region is said; the configured ones are used', async () => {
    const { code, stderr } = await lifeboat(['recovery-points', 'list', '--json', ...onEmulator()], {
      AWS_REGION: 'eu-west-1',
    });
    expect(code).toBe(0);
    expect(stderr).toContain(
      'warning: AWS_REGION=eu-west-1 is neither the primary region (us-east-1) nor the DR region (us-west-2)',
    );
  });

  it('AWS_REGION set to the DR region is not worth a word', async () => {
    const { code, stderr } = await lifeboat(['recovery-points', 'list', '--json', ...onEmulator()], {
      AWS_REGION: 'us-west-2',
    });
    expect(code).toBe(0);
    expect(stderr).not.toContain('AWS_REGION');
  });

  it('--region is refused with the two options that say which region', async () => {
    const { code, stderr } = await lifeboat(['status', '--region', 'us-west-2', ...onEmulator()]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'pass --primary-region us-west-2 (where the fleet runs) or --dr-region us-west-2',
    );
  });
});

describe('credentials', () => {
  /** No credentials anywhere: empty shared files, no keys in the environment, no instance metadata. */
  const noCredentials = (dir: string) => ({
    AWS_CONFIG_FILE: `${dir}/empty-aws-config`,
    AWS_SHARED_CREDENTIALS_FILE: `${dir}/empty-aws-credentials`,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_ENDPOINT_URL: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
  });

  it('a profile that gives none is named, with the command that checks it (exit 4)', async () => {
    const { code, stderr } = await lifeboat(
      ['status', '--profile', 'lifeboat-ghost', '--config', 'lifeboat.json'],
      noCredentials(cli.dir),
    );
    expect(code).toBe(4);
    expect(stderr).toContain('credentials of profile "lifeboat-ghost" (from --profile)');
    expect(stderr).toContain('aws configure list --profile lifeboat-ghost');
  });

  it('AWS_PROFILE is named as where the profile came from', async () => {
    const { code, stderr } = await lifeboat(['status', '--config', 'lifeboat.json'], {
      ...noCredentials(cli.dir),
      AWS_PROFILE: 'lifeboat-ghost',
    });
    expect(code).toBe(4);
    expect(stderr).toContain('credentials of profile "lifeboat-ghost" (from AWS_PROFILE)');
  });

  it('without a profile it says the default chain found none', async () => {
    const { code, stderr } = await lifeboat(['status', '--config', 'lifeboat.json'], noCredentials(cli.dir));
    expect(code).toBe(4);
    expect(stderr).toContain('credentials of the default credential chain');
    expect(stderr).toContain('no profile was named (--profile, AWS_PROFILE)');
  });
});
