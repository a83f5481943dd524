import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { AwsClients, registerClientClasses } from '../src/aws/clients';
import { type BackupHandlerDeps, backupStepHandler, recoveryPointIdOf } from '../src/backup/handler-support';
import type { CommitBackupResult } from '../src/backup/results';
import { commitBackup } from '../src/backup/steps';

/**
 * Backup workflow, Commit (BackupStack, primary region): adds the DR copies of the volume
 * snapshots to the staged recovery point, signs it and commits it to the DR catalog. Retention is
 * the next step (ApplyRetention), with a role of its own: this one may not delete recovery points.
 */

export interface BackupCommitHandlerDeps extends BackupHandlerDeps {
  readonly metrics: Metrics;
}

export type BackupCommitHandler = (event: unknown, context?: Context) => Promise<CommitBackupResult>;

export function createHandler(deps: BackupCommitHandlerDeps): BackupCommitHandler {
  const { clients, logger, metrics } = deps;
  return backupStepHandler(
    deps,
    {
      readEvent: recoveryPointIdOf,
      failureMessage: 'Commit failed',
      failureMetric: 'CommitFailures',
      metrics,
    },
    async (recoveryPointId, { settings, staging }): Promise<CommitBackupResult> => {
      const now = deps.now ? { now: deps.now } : {};
      const { manifest, key } = await commitBackup(
        {
          clients,
          config: settings.config,
          staging,
          bucket: settings.bucket,
          ...(settings.kmsKeyId ? { kmsKeyId: settings.kmsKeyId } : {}),
          log: logger,
          ...now,
        },
        recoveryPointId,
      );
      const result: CommitBackupResult = {
        recoveryPointId,
        key,
        status: manifest.status,
        services: manifest.services.length,
        volumes: manifest.volumes.ebs.length,
        errors: manifest.errors.length,
      };
      metrics.addMetric('ResourceErrors', MetricUnit.Count, result.errors);
      metrics.addMetric('PartialRecoveryPoints', MetricUnit.Count, result.status === 'partial' ? 1 : 0);
      logger.info('Backup committed', { ...result });
      return result;
    },
  );
}

// The bundle carries these SDK clients; register them so none is loaded a second time.
registerClientClasses({ ec2: EC2Client, kms: KMSClient, s3: S3Client });

export function defaultDeps(): BackupCommitHandlerDeps {
  return {
    clients: new AwsClients(),
    env: process.env,
    logger: new Logger(),
    metrics: new Metrics({ namespace: 'Lifeboat' }),
  };
}

export const handler = createHandler(defaultDeps());
