import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '../kernel/sleep';
import { EmulatorError } from './errors';

const run = promisify(execFile);

/** The emulator version every test, demo and CI run uses. */
export const MOTO_VERSION = '5.2.1';
/** The CloudFormation linter the infra tests run on the synthesised templates (moto[server] needs it too). */
export const CFN_LINT_VERSION = '1.58.0';
/** What the virtualenv holds; a different value reinstalls it. */
const TOOLS = `moto ${MOTO_VERSION}, cfn-lint ${CFN_LINT_VERSION}`;
const MOTO_EXTRAS =
  'server,ec2,ecr,ecs,s3,sns,ssm,secretsmanager,stepfunctions,kms,iam,efs,logs,ebs,events,scheduler,sts';

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
const VENV = join(PROJECT_ROOT, '.venv-moto');
const MARKER = join(VENV, 'lifeboat-moto-version');

export interface EmulatorOptions {
  /** Loopback port. @default - a free port */
  readonly port?: number;
  /** Extra environment for the server, e.g. `MOTO_ECS_SERVICE_RUNNING`. */
  readonly env?: Record<string, string>;
  /** Progress messages (installation can take a minute). @default - silent */
  readonly log?: (message: string) => void;
}

export interface Emulator {
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

function venvPython(dir = VENV): string {
  return join(dir, 'bin', 'python');
}

/**
 * Installs the pinned moto into the project-local virtualenv unless it is already there.
 * Concurrent callers are serialised with a lock directory; the venv is built beside the
 * final path and renamed into place, so an interrupted install never leaves a broken venv.
 */
export async function ensureEmulatorInstalled(log: (m: string) => void = () => {}): Promise<string> {
  if (installed()) return venvPython();
  const lock = `${VENV}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline)
        throw new EmulatorError(`Timed out waiting for ${lock}; remove it if no install is running.`);
      await sleep(500);
      if (installed()) return venvPython();
    }
  }
  try {
    if (installed()) return venvPython();
    const staging = `${VENV}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    log(`Installing the AWS emulator (moto ${MOTO_VERSION}) into .venv-moto (first run only)…`);
    try {
      await run('python3', ['-m', 'venv', staging]);
      await run(
        venvPython(staging),
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          `moto[${MOTO_EXTRAS}]==${MOTO_VERSION}`,
          `cfn-lint==${CFN_LINT_VERSION}`,
        ],
        { maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (cause) {
      rmSync(staging, { recursive: true, force: true });
      throw new EmulatorError(
        `Could not install moto ${MOTO_VERSION} with pip (${(cause as Error).message.split('\n')[0]}). Python 3 with venv and access to PyPI are required.`,
        { cause },
      );
    }
    writeFileSync(join(staging, 'lifeboat-moto-version'), TOOLS);
    rmSync(VENV, { recursive: true, force: true });
    renameSync(staging, VENV);
    // A venv's scripts embed its path; call moto through `python -m`, which does not.
    return venvPython();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function installed(): boolean {
  return existsSync(MARKER) && readFileSync(MARKER, 'utf8').trim() === TOOLS && existsSync(venvPython());
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts moto in server mode on loopback and resolves once it answers. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const python = await ensureEmulatorInstalled(options.log);
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...options.env, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stopOnExit = () => child.kill('SIGKILL');
  process.once('exit', stopOnExit);

  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new EmulatorError(
        `The emulator exited during start-up (code ${child.exitCode}): ${stderr.trim()}`,
      );
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) {
        await res.arrayBuffer();
        return { endpoint, port, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
  await stop();
  throw new EmulatorError(`The emulator did not answer on ${endpoint} within 60 s: ${stderr.trim()}`);
}

/** Liveness check used by the CLI before it sends real work to an endpoint. */
export async function isReachable(endpoint: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await fetch(endpoint, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

export function resetEmulator(endpoint: string): Promise<Response> {
  return fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
}
