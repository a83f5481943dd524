import { Logger } from '@aws-lambda-powertools/logger';
import { AwsClients } from '../src/aws/clients';
import { lazyRestoreContext, type RestoreHandlerDeps } from '../src/restore/handler-support';
import { type CheckWaveEvent, checkWave, type WaveCheck } from '../src/restore/wave-check';

/** Restore workflow: one steady-state poll of a wave's services. */
export type Handler = (event: CheckWaveEvent) => Promise<WaveCheck>;

export function createHandler(deps: RestoreHandlerDeps): Handler {
  const context = lazyRestoreContext(deps);
  return (event) => checkWave(context(), event);
}

export function defaultDeps(): RestoreHandlerDeps {
  return { clients: new AwsClients(), env: process.env, log: new Logger() };
}

export const handler = createHandler(defaultDeps());
