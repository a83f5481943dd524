import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import type { Context } from 'aws-lambda';
import { AwsClients, registerClientClasses } from '../src/aws/clients';
import { type BackupHandlerDeps, backupStepHandler } from '../src/backup/handler-support';
import type { CaptureHandlerResult } from '../src/backup/results';
import { stageBackup } from '../src/backup/steps';

/**
 * Backup workflow, first step (BackupStack, primary region): captures the selected ECS
 * services, starts the snapshots of their EBS volumes and stages the recovery point in the DR
 * catalog (`staging/<id>/`). The event is not read. `done` tells the workflow whether there
 * are volume copies to wait for before the Commit step.
 */

export interface CaptureHandlerDeps extends BackupHandlerDeps {
  readonly metrics: Metrics;
}

export type CaptureHandler = (event: unknown, context?: Context) => Promise<CaptureHandlerResult>;

export function createHandler(deps: CaptureHandlerDeps): CaptureHandler {
  const { clients, logger, metrics } = deps;
  return backupStepHandler(
    deps,
    {
      readEvent: () => undefined,
      failureMessage: 'Capture failed',
      failureMetric: 'CaptureFailures',
      metrics,
    },
    async (_input, { settings, staging }): Promise<CaptureHandlerResult> => {
      const { body, copies, done, counts, warnings } = await stageBackup({
        clients,
        config: settings.config,
        staging,
        log: logger,
        verifyImages: true,
        // Seals the environment values that look secret before anything is staged.
        ...(settings.kmsKeyId ? { catalogKeyId: settings.kmsKeyId } : {}),
        // Run against the emulator (an endpoint override), a DR file system stands in for each EFS replica.
        efsEmulatorFallback: clients.target.endpoint !== undefined,
        ...(deps.now ? { now: deps.now } : {}),
      });
      const result: CaptureHandlerResult = {
        recoveryPointId: body.id,
        status: body.status,
        services: body.services.length,
        taskDefinitions: body.taskDefinitions.length,
        images: body.images.length,
        volumes: copies.volumes.length,
        errors: body.errors.length,
        done,
      };
      metrics.addMetric('ServicesCaptured', MetricUnit.Count, result.services);
      metrics.addMetric('TaskDefinitionsCaptured', MetricUnit.Count, result.taskDefinitions);
      metrics.addMetric('ImagesCaptured', MetricUnit.Count, result.images);
      metrics.addMetric('VolumesSnapshotted', MetricUnit.Count, result.volumes);
      logger.info('Capture staged', { ...result, ...counts, warnings: warnings.length });
      return result;
    },
  );
}

// The bundle carries these SDK clients; register them so none is loaded a second time.
registerClientClasses({
  autoscaling: ApplicationAutoScalingClient,
  cloudwatch: CloudWatchClient,
  ec2: EC2Client,
  ecr: ECRClient,
  ecs: ECSClient,
  efs: EFSClient,
  elbv2: ElasticLoadBalancingV2Client,
  kms: KMSClient,
  s3: S3Client,
  servicediscovery: ServiceDiscoveryClient,
});

export function defaultDeps(): CaptureHandlerDeps {
  return {
    clients: new AwsClients(),
    env: process.env,
    logger: new Logger(),
    metrics: new Metrics({ namespace: 'Lifeboat' }),
  };
}

export const handler = createHandler(defaultDeps());
