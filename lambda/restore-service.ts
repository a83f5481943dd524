import { Logger } from '@aws-lambda-powertools/logger';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { AwsClients, registerClientClasses } from '../src/aws/clients';
import { lazyRestoreContext, type RestoreHandlerDeps } from '../src/restore/handler-support';
import { type RestoreServiceEvent, restoreService, type ServiceResult } from '../src/restore/service';

/** Restore workflow, one Map iteration: create its standalone volumes, register the task definition and create or update one service. */
export type Handler = (event: RestoreServiceEvent) => Promise<ServiceResult>;

export function createHandler(deps: RestoreHandlerDeps): Handler {
  const context = lazyRestoreContext(deps);
  return (event) => restoreService(context(), event);
}

// The bundle carries these SDK clients; register them so none is loaded a second time.
registerClientClasses({
  autoscaling: ApplicationAutoScalingClient,
  cloudwatch: CloudWatchClient,
  ec2: EC2Client,
  ecs: ECSClient,
  kms: KMSClient,
  s3: S3Client,
});

export function defaultDeps(): RestoreHandlerDeps {
  return { clients: new AwsClients(), env: process.env, log: new Logger() };
}

export const handler = createHandler(defaultDeps());
