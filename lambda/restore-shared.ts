import { Logger } from '@aws-lambda-powertools/logger';
import { AwsClients } from '../src/aws/clients';
import { lazyRestoreContext, type RestoreHandlerDeps } from '../src/restore/handler-support';
import { type PrepareSharedEvent, type PrepareSharedResult, prepareShared } from '../src/restore/shared';

/** Restore workflow: create the clusters, log groups and EFS access points the plan needs. */
export type Handler = (event: PrepareSharedEvent) => Promise<PrepareSharedResult>;

export function createHandler(deps: RestoreHandlerDeps): Handler {
  const context = lazyRestoreContext(deps);
  return (event) => prepareShared(context(), event);
}

export function defaultDeps(): RestoreHandlerDeps {
  return { clients: new AwsClients(), env: process.env, log: new Logger() };
}

export const handler = createHandler(defaultDeps());
