import { NotAvailableError } from '../errors';
import type { Session } from '../session';

/** `lifeboat demo`: backup, plan and failover on a local emulator. Waits for the restore workflow. */
export async function runDemoCommand(_session: Session): Promise<number> {
  throw new NotAvailableError(
    'demo',
    'it ends with a failover and the restore workflow is not part of this build. ' +
      'Meanwhile, start the emulator and run `lifeboat backup --endpoint <url>` and `lifeboat recovery-points list --endpoint <url>`.',
  );
}
