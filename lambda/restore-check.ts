import { Logger } from '@aws-lambda-powertools/logger';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { S3Client } from '@aws-sdk/client-s3';
import { AwsClients, registerClientClasses } from '../src/aws/clients';
import { lazyRestoreContext, type RestoreHandlerDeps } from '../src/restore/handler-support';
import { type CheckWaveEvent, checkWave, type WaveCheck } from '../src/restore/wave-check';

/** Restore workflow: one steady-state poll of a wave's services. */
export type Handler = (event: CheckWaveEvent) => Promise<WaveCheck>;

export function createHandler(deps: RestoreHandlerDeps): Handler {
  const context = lazyRestoreContext(deps);
  return (event) => checkWave(context(), event);
}

// The bundle carries these SDK clients; register them so none is loaded a second time.
registerClientClasses({ ecs: ECSClient, elbv2: ElasticLoadBalancingV2Client, s3: S3Client });

export function defaultDeps(): RestoreHandlerDeps {
  return { clients: new AwsClients(), env: process.env, log: new Logger() };
}

export const handler = createHandler(defaultDeps());
