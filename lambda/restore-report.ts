import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { AwsClients, registerClientClasses } from '../src/aws/clients';
import { lazyRestoreContext, type RestoreHandlerDeps } from '../src/restore/handler-support';
import { type ReportEvent, type ReportResult, writeReport } from '../src/restore/report';

/** Restore workflow, last step: write the restore report to the catalog and publish it. */
export type Handler = (event: ReportEvent) => Promise<ReportResult>;

export function createHandler(deps: RestoreHandlerDeps): Handler {
  const context = lazyRestoreContext(deps);
  return (event) => writeReport(context(), event);
}

// The bundle carries these SDK clients; register them so none is loaded a second time.
registerClientClasses({ s3: S3Client, sns: SNSClient });

export function defaultDeps(): RestoreHandlerDeps {
  return { clients: new AwsClients(), env: process.env, log: new Logger() };
}

export const handler = createHandler(defaultDeps());
