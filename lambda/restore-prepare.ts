import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsClients, registerClientClasses } from '../src/aws/clients';
import { lazyRestoreContext, type RestoreHandlerDeps } from '../src/restore/handler-support';
import { type PrepareEvent, type PrepareResult, prepareRestore } from '../src/restore/prepare';

/** Restore workflow, first state: validate the input, load and verify the recovery point, plan (nothing is changed). */
export type Handler = (event: PrepareEvent) => Promise<PrepareResult>;

export function createHandler(deps: RestoreHandlerDeps): Handler {
  const context = lazyRestoreContext(deps);
  return (event) => prepareRestore(context(), event);
}

// The bundle carries these SDK clients; register them so none is loaded a second time.
registerClientClasses({
  ec2: EC2Client,
  ecs: ECSClient,
  efs: EFSClient,
  elbv2: ElasticLoadBalancingV2Client,
  iam: IAMClient,
  logs: CloudWatchLogsClient,
  s3: S3Client,
  secrets: SecretsManagerClient,
  servicediscovery: ServiceDiscoveryClient,
  sfn: SFNClient,
  ssm: SSMClient,
});

export function defaultDeps(): RestoreHandlerDeps {
  return { clients: new AwsClients(), env: process.env, log: new Logger() };
}

export const handler = createHandler(defaultDeps());
