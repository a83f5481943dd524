import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../support/cli';
import { seedFleet } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { clearDrServices } from '../support/restore-checks';

/**
 * Ctrl-C through the real binary: the emulator runs without MOTO_ECS_SERVICE_RUNNING, so no
 * restored service ever becomes steady and a failover waits in its first wave until interrupted.
 */
const ctx = useEmulator();
const ws = useCliWorkspace(ctx, { prefix: 'lifeboat-cli-interrupt-', timeoutMs: 120_000 });
const BIN = resolve(__dirname, '../../bin/lifeboat.js');

interface Interrupted {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the binary and sends it `signal` once its stderr shows `when`. */
function interruptWhen(
  args: readonly string[],
  when: string,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<Interrupted> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ws.dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`"${when}" never appeared on stderr:\n${stderr}`));
    }, 100_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
      if (!sent && stderr.includes(when)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('close', (code, closedBy) => {
      clearTimeout(timer);
      done({ code, signal: closedBy, stdout, stderr });
    });
  });
}

async function recoveryPointCount(): Promise<number> {
  const list = await ws.lifeboatInProcess(ws.onEmulator('recovery-points', 'list', '--json'));
  expect(list.code, list.stderr).toBe(0);
  return (JSON.parse(list.stdout).recoveryPoints as unknown[]).length;
}

beforeAll(async () => {
  await seedFleet(ctx.clients);
  const backup = await ws.lifeboatInProcess(ws.onEmulator('backup', '--json'));
  expect(backup.code, backup.stderr).toBe(0);
}, 180_000);

describe('Ctrl-C', () => {
  it('on a local failover waiting for steady state: exit 130, says what stays and how to resume; running it again resumes', async () => {
    await clearDrServices(ctx.clients);
    const run = await interruptWhen(ws.onEmulator('failover', '--yes', '--json'), 'waiting for steady state');
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(
      /Interrupted: the restore execution local-\S+ stopped; services it already created/,
    );
    expect(run.stderr).toContain('Run the same `lifeboat failover` again to resume');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(JSON.parse(run.stdout)).toMatchObject({
      interrupted: true,
      error: { name: 'Interrupted', exitCode: 130 },
    });

    // The lease the interrupted run held does not block the resume.
    const again = await ws.lifeboat(ws.onEmulator('failover', '--yes', '--json', '--no-wait'));
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).allRestored).toBe(true);
  });

  it('on a local backup: exit 130, no recovery point committed, says the next backup cleans up', async () => {
    const before = await recoveryPointCount();
    const run = await interruptWhen(ws.onEmulator('backup'), 'Capturing ECS services');
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('stopped before committing; no recovery point was committed by it');
    expect(run.stderr).toContain('the retention step of the next `lifeboat backup`');
    expect(await recoveryPointCount()).toBe(before);
  });

  it('SIGTERM before the workflow started: exit 143, nothing restored', async () => {
    const run = await interruptWhen(ws.onEmulator('failover', '--yes'), 'Planning a failover', 'SIGTERM');
    expect(run.code).toBe(143);
    expect(run.stderr).toContain(
      'Interrupted (lifeboat failover) before its workflow started: nothing was restored.',
    );
  });
});
