import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { main } from '../../src/cli/main';
import { ACCOUNT, DR, PRIMARY } from './demo-fleet';
import type { EmulatorContext } from './emulator';

const BIN = resolve(__dirname, '../../bin/lifeboat.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs bin/lifeboat.js as a child process, the way an operator does (stdin is a pipe, not a terminal). */
export function runCli(
  args: readonly string[],
  opts: { cwd: string; timeoutMs: number; env?: Readonly<Record<string, string | undefined>> },
): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: opts.cwd, env: { ...process.env, NO_COLOR: '1', ...opts.env }, timeout: opts.timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the CLI in this process (same `main` the binary calls), for the cheaper cases. */
export async function runCliInProcess(args: readonly string[], cwd: string): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1' },
    cwd,
  });
  return { code, stdout, stderr };
}

export interface CliWorkspace {
  /** The working directory; read it inside tests or hooks. */
  readonly dir: string;
  /** bin/lifeboat.js as a child process in `dir` (`env` is added to this process's environment). */
  lifeboat(args: readonly string[], env?: Readonly<Record<string, string | undefined>>): Promise<CliRun>;
  /** The CLI in this process in `dir`. */
  lifeboatInProcess(args: readonly string[]): Promise<CliRun>;
  /** `args` pointed at the emulator and the workspace's lifeboat.json. */
  onEmulator(...args: string[]): string[];
}

/**
 * A temporary working directory holding `lifeboat.json` (the demo fleet's account and regions,
 * RPO target 60 minutes) for CLI runs against `ctx`'s emulator, created before the file's tests
 * and removed after them. Call it after `useEmulator()` so its hook runs first.
 */
export function useCliWorkspace(
  ctx: EmulatorContext,
  opts: { prefix: string; timeoutMs: number },
): CliWorkspace {
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), opts.prefix));
    writeFileSync(
      join(dir, 'lifeboat.json'),
      JSON.stringify({ account: ACCOUNT, primaryRegion: PRIMARY, drRegion: DR, rpoTargetMinutes: 60 }),
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const cwd = () => {
    if (!dir) throw new Error('CLI workspace not created: use it inside a test or hook');
    return dir;
  };
  return {
    get dir() {
      return cwd();
    },
    lifeboat: (args, env) => runCli(args, { cwd: cwd(), timeoutMs: opts.timeoutMs, ...(env ? { env } : {}) }),
    lifeboatInProcess: (args) => runCliInProcess(args, cwd()),
    onEmulator: (...args) => [...args, '--endpoint', ctx.endpoint, '--config', 'lifeboat.json'],
  };
}
