import { Logger } from '@aws-lambda-powertools/logger';
import { EBSClient } from '@aws-sdk/client-ebs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { AwsClients, registerClientClasses } from '../src/aws/clients';
import { type BackupHandlerDeps, backupStepHandler, recoveryPointIdOf } from '../src/backup/handler-support';
import type { BackupVolumesResult } from '../src/backup/results';
import { advanceVolumeCopies } from '../src/backup/steps';

/**
 * Backup workflow, CopyVolumes step (BackupStack, primary region): one tick of the copies of
 * the recovery point's volume snapshots to the DR region, from and back to the staged copy
 * state. The block engine stops a minute before the function's timeout, checkpointed, and the
 * next tick resumes it.
 */

/** Time left for saving the copy state after the block engine stops. */
export const DEADLINE_MARGIN_MS = 60_000;

export type BackupVolumesHandlerDeps = BackupHandlerDeps;

export type BackupVolumesHandler = (event: unknown, context?: Context) => Promise<BackupVolumesResult>;

export function createHandler(deps: BackupVolumesHandlerDeps): BackupVolumesHandler {
  const { clients, logger } = deps;
  return backupStepHandler(
    deps,
    { readEvent: recoveryPointIdOf, failureMessage: 'Volume copy tick failed' },
    async (recoveryPointId, { settings, staging }, context): Promise<BackupVolumesResult> => {
      const signal = context
        ? AbortSignal.timeout(Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS))
        : undefined;
      const { done, counts, bytesSent } = await advanceVolumeCopies(
        {
          clients,
          config: settings.config,
          staging,
          volumeKmsKeyId: settings.volumeKmsKeyId,
          log: logger,
          ...(signal ? { signal } : {}),
          ...(deps.now ? { now: deps.now } : {}),
        },
        recoveryPointId,
      );
      return { recoveryPointId, done, counts, bytesSent };
    },
  );
}

// The bundle carries these SDK clients; register them so none is loaded a second time.
registerClientClasses({ ebs: EBSClient, ec2: EC2Client, kms: KMSClient, s3: S3Client });

export function defaultDeps(): BackupVolumesHandlerDeps {
  return { clients: new AwsClients(), env: process.env, logger: new Logger() };
}

export const handler = createHandler(defaultDeps());
