import type { AwsClients } from '../aws/clients';
import type { HolderEnded } from '../catalog/aws/lease';
import { restoreSettingsFromEnv } from '../config/settings';
import type { Logger } from '../kernel/logger';
import { createRestoreContext, type RestoreContext } from './context';

/** What every restore Lambda handler is built from; tests and the local runner pass emulator clients. */
export interface RestoreHandlerDeps {
  readonly clients: AwsClients;
  /** `LIFEBOAT_CONFIG`, `CATALOG_BUCKET`, `CATALOG_KMS_KEY_ID`, `REPORT_TOPIC_ARN`, `VOLUME_KMS_KEY_ID` (read on first use). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** @default - no logging */
  readonly log?: Logger;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Whether the execution holding the failover lease has ended. @default - Step Functions DescribeExecution */
  readonly holderEnded?: HolderEnded;
}

/** Builds the restore context once (on the first invocation), so a bad environment fails that invocation by name. */
export function lazyRestoreContext(deps: RestoreHandlerDeps): () => RestoreContext {
  let ctx: RestoreContext | undefined;
  return () => {
    ctx ??= createRestoreContext(deps.clients, restoreSettingsFromEnv(deps.env), {
      ...(deps.log ? { log: deps.log } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.holderEnded ? { holderEnded: deps.holderEnded } : {}),
    });
    return ctx;
  };
}
