import { Logger } from '@aws-lambda-powertools/logger';
import { AwsClients } from '../src/aws/clients';
import { lazyRestoreContext, type RestoreHandlerDeps } from '../src/restore/handler-support';
import { type PrepareEvent, type PrepareResult, prepareRestore } from '../src/restore/prepare';

/** Restore workflow, first state: validate the input, load and verify the recovery point, plan (nothing is changed). */
export type Handler = (event: PrepareEvent) => Promise<PrepareResult>;

export function createHandler(deps: RestoreHandlerDeps): Handler {
  const context = lazyRestoreContext(deps);
  return (event) => prepareRestore(context(), event);
}

export function defaultDeps(): RestoreHandlerDeps {
  return { clients: new AwsClients(), env: process.env, log: new Logger() };
}

export const handler = createHandler(defaultDeps());
