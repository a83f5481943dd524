import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { AwsClients, registerClientClasses } from '../src/aws/clients';
import { lazyRestoreContext, type RestoreHandlerDeps } from '../src/restore/handler-support';
import { type PrepareSharedEvent, type PrepareSharedResult, prepareShared } from '../src/restore/shared';

/** Restore workflow: create the clusters, log groups and EFS access points the plan needs. */
export type Handler = (event: PrepareSharedEvent) => Promise<PrepareSharedResult>;

export function createHandler(deps: RestoreHandlerDeps): Handler {
  const context = lazyRestoreContext(deps);
  return (event) => prepareShared(context(), event);
}

// The bundle carries these SDK clients; register them so none is loaded a second time.
registerClientClasses({
  ecs: ECSClient,
  efs: EFSClient,
  elbv2: ElasticLoadBalancingV2Client,
  logs: CloudWatchLogsClient,
  s3: S3Client,
  servicediscovery: ServiceDiscoveryClient,
});

export function defaultDeps(): RestoreHandlerDeps {
  return { clients: new AwsClients(), env: process.env, log: new Logger() };
}

export const handler = createHandler(defaultDeps());
