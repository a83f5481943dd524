import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureEmulatorInstalled } from '../../src/emulator/moto';

/**
 * Installs the pinned emulator once, before any worker starts one, and gives the run a workflow
 * cache of its own (the workers and the CLI processes they start inherit `LIFEBOAT_CACHE_DIR`),
 * so no test reads the user's cache or leaves entries in it. Removed after the run.
 */
export default async function setup(): Promise<() => void> {
  await ensureEmulatorInstalled((m) => process.stderr.write(`${m}\n`));
  const cacheDir = mkdtempSync(join(tmpdir(), 'lifeboat-test-cache-'));
  process.env.LIFEBOAT_CACHE_DIR = cacheDir;
  return () => rmSync(cacheDir, { recursive: true, force: true });
}
