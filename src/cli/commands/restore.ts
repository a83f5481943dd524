import { NotAvailableError } from '../errors';
import type { Session } from '../session';

export interface PlanOptions {
  readonly recoveryPoint: string;
  readonly services?: readonly string[];
}

export interface FailoverOptions extends PlanOptions {
  readonly desiredCountPercent: number;
  readonly yes?: boolean;
}

/** `lifeboat plan`: the restore workflow's dry run. Waits for the DR inventory reader and restore workflow. */
export async function runPlanCommand(_session: Session, _opts: PlanOptions): Promise<number> {
  throw new NotAvailableError(
    'plan',
    'the DR inventory reader and the restore workflow it runs on are not part of this build. ' +
      'See what a failover would restore with `lifeboat recovery-points show latest`.',
  );
}

/** `lifeboat failover`: runs the restore workflow. Waits for the restore workflow. */
export async function runFailoverCommand(_session: Session, _opts: FailoverOptions): Promise<number> {
  throw new NotAvailableError(
    'failover',
    'the restore workflow is not part of this build; nothing was changed.',
  );
}
