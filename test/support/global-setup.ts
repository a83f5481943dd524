import { ensureEmulatorInstalled } from '../../src/emulator/moto';

/** Installs the pinned emulator once, before any worker starts one. */
export default async function setup(): Promise<void> {
  await ensureEmulatorInstalled((m) => process.stderr.write(`${m}\n`));
}
