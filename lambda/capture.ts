import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { AwsClients, registerClientClasses } from '../src/aws/clients';
import { type CaptureSettings, captureSettingsFromEnv, runCapture } from '../src/backup/capture';

/**
 * Capture Lambda (BackupStack, primary region): captures the selected ECS services and
 * commits a recovery point to the DR catalog. Invoked by the backup schedule; the event is
 * not read.
 */

export interface CaptureHandlerDeps {
  readonly clients: AwsClients;
  /** `LIFEBOAT_CONFIG`, `CATALOG_BUCKET`, `CATALOG_KMS_KEY_ID` (read on the first invocation). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default - the system clock */
  readonly now?: () => Date;
}

export interface CaptureHandlerResult {
  readonly recoveryPointId: string;
  readonly status: 'complete' | 'partial';
  readonly services: number;
  readonly taskDefinitions: number;
  readonly images: number;
  readonly errors: number;
}

export type CaptureHandler = (event: unknown, context?: Context) => Promise<CaptureHandlerResult>;

export function createHandler(deps: CaptureHandlerDeps): CaptureHandler {
  const { clients, logger, metrics } = deps;
  let settings: CaptureSettings | undefined;
  return async (_event: unknown, context?: Context): Promise<CaptureHandlerResult> => {
    if (context) logger.addContext(context);
    try {
      settings ??= captureSettingsFromEnv(deps.env);
      const { manifest, counts, warnings } = await runCapture({
        clients,
        config: settings.config,
        bucket: settings.bucket,
        ...(settings.kmsKeyId ? { kmsKeyId: settings.kmsKeyId } : {}),
        log: logger,
        verifyImages: true,
        ...(deps.now ? { now: deps.now } : {}),
      });
      const result: CaptureHandlerResult = {
        recoveryPointId: manifest.id,
        status: manifest.status,
        services: manifest.services.length,
        taskDefinitions: manifest.taskDefinitions.length,
        images: manifest.images.length,
        errors: manifest.errors.length,
      };
      metrics.addMetric('ServicesCaptured', MetricUnit.Count, result.services);
      metrics.addMetric('TaskDefinitionsCaptured', MetricUnit.Count, result.taskDefinitions);
      metrics.addMetric('ImagesCaptured', MetricUnit.Count, result.images);
      metrics.addMetric('ResourceErrors', MetricUnit.Count, result.errors);
      metrics.addMetric('PartialRecoveryPoints', MetricUnit.Count, result.status === 'partial' ? 1 : 0);
      logger.info('Capture finished', { ...result, ...counts, warnings: warnings.length });
      return result;
    } catch (error) {
      metrics.addMetric('CaptureFailures', MetricUnit.Count, 1);
      logger.error('Capture failed', error instanceof Error ? error : String(error));
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

// The bundle carries these SDK clients; register them so none is loaded a second time.
registerClientClasses({ ec2: EC2Client, ecr: ECRClient, ecs: ECSClient, s3: S3Client });

export function defaultDeps(): CaptureHandlerDeps {
  return {
    clients: new AwsClients(),
    env: process.env,
    logger: new Logger(),
    metrics: new Metrics({ namespace: 'Lifeboat' }),
  };
}

export const handler = createHandler(defaultDeps());
