import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { AwsClients, registerClientClasses } from '../src/aws/clients';
import {
  type BackupHandlerDeps,
  backupStepHandler,
  recoveryPointIdOf,
  retentionDepsOf,
} from '../src/backup/handler-support';
import { applyRetention, type RetentionResult } from '../src/backup/retention';

/**
 * Backup workflow, after Commit (BackupStack, primary region), with a role of its own: the only
 * principal the catalog's bucket policy lets retire recovery points. Applies retention: expired
 * recovery points and the snapshots their records name (both regions), and what uncommitted
 * earlier backups left. The recovery point just committed is kept whatever.
 */

export interface BackupRetentionHandlerDeps extends BackupHandlerDeps {
  readonly metrics: Metrics;
}

export type BackupRetentionHandler = (event: unknown, context?: Context) => Promise<RetentionResult>;

export function createHandler(deps: BackupRetentionHandlerDeps): BackupRetentionHandler {
  const { clients, logger, metrics } = deps;
  return backupStepHandler(
    deps,
    {
      readEvent: recoveryPointIdOf,
      failureMessage: 'Retention failed',
      failureMetric: 'RetentionFailures',
      metrics,
    },
    async (recoveryPointId, { settings, store }): Promise<RetentionResult> => {
      const result = await applyRetention(
        retentionDepsOf(clients, settings, store, { log: logger, ...(deps.now ? { now: deps.now } : {}) }),
        { justCommitted: recoveryPointId },
      );
      metrics.addMetric('RecoveryPointsExpired', MetricUnit.Count, result.recoveryPointsDeleted);
      metrics.addMetric('SnapshotsExpired', MetricUnit.Count, result.snapshotsDeleted);
      metrics.addMetric('OrphanedBackupsCleaned', MetricUnit.Count, result.orphanedRunsCleaned);
      metrics.addMetric('UnverifiedRecoveryPoints', MetricUnit.Count, result.unverified.length);
      return result;
    },
  );
}

// The bundle carries these SDK clients; register them so none is loaded a second time.
registerClientClasses({ ec2: EC2Client, kms: KMSClient, s3: S3Client });

export function defaultDeps(): BackupRetentionHandlerDeps {
  return {
    clients: new AwsClients(),
    env: process.env,
    logger: new Logger(),
    metrics: new Metrics({ namespace: 'Lifeboat' }),
  };
}

export const handler = createHandler(defaultDeps());
