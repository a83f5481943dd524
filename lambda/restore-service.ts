import { Logger } from '@aws-lambda-powertools/logger';
import { AwsClients } from '../src/aws/clients';
import { lazyRestoreContext, type RestoreHandlerDeps } from '../src/restore/handler-support';
import { type RestoreServiceEvent, restoreService, type ServiceResult } from '../src/restore/service';

/** Restore workflow, one Map iteration: register the task definition and create or update one service. */
export type Handler = (event: RestoreServiceEvent) => Promise<ServiceResult>;

export function createHandler(deps: RestoreHandlerDeps): Handler {
  const context = lazyRestoreContext(deps);
  return (event) => restoreService(context(), event);
}

export function defaultDeps(): RestoreHandlerDeps {
  return { clients: new AwsClients(), env: process.env, log: new Logger() };
}

export const handler = createHandler(defaultDeps());
