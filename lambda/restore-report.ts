import { Logger } from '@aws-lambda-powertools/logger';
import { AwsClients } from '../src/aws/clients';
import { lazyRestoreContext, type RestoreHandlerDeps } from '../src/restore/handler-support';
import { type ReportEvent, type ReportResult, writeReport } from '../src/restore/report';

/** Restore workflow, last step: write the restore report to the catalog and publish it. */
export type Handler = (event: ReportEvent) => Promise<ReportResult>;

export function createHandler(deps: RestoreHandlerDeps): Handler {
  const context = lazyRestoreContext(deps);
  return (event) => writeReport(context(), event);
}

export function defaultDeps(): RestoreHandlerDeps {
  return { clients: new AwsClients(), env: process.env, log: new Logger() };
}

export const handler = createHandler(defaultDeps());
