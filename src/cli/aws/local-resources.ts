import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import type { AwsClients } from '../../aws/clients';
import { awsErrorCode, httpStatusOf } from '../../aws/errors';
import { CliError } from '../errors';

/** Topic the local runs publish restore reports to (created on the emulator when missing). */
export const LOCAL_REPORT_TOPIC = 'lifeboat-restore-reports';

/**
 * For local runs (`--endpoint`): the KMS key the RecoveryStack would have created, found by
 * its alias or created with it. Returns the key ARN.
 */
export async function ensureLocalKey(kms: KMSClient, alias: string): Promise<string> {
  try {
    const existing = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    const arn = existing.KeyMetadata?.Arn;
    if (arn !== undefined) return arn;
  } catch (error) {
    if (awsErrorCode(error) !== 'NotFoundException') throw error;
  }
  const created = await kms.send(
    new CreateKeyCommand({
      Description: `Lifeboat key ${alias} (created by the lifeboat CLI for a local run)`,
      Tags: [{ TagKey: 'lifeboat:managed-by', TagValue: 'lifeboat-cli' }],
    }),
  );
  const arn = created.KeyMetadata?.Arn;
  const keyId = created.KeyMetadata?.KeyId;
  if (arn === undefined || keyId === undefined) {
    throw new CliError(`KMS CreateKey returned no key ARN for ${alias}`);
  }
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
  return arn;
}

/**
 * For local runs: the report topic the RecoveryStack would have created, found or created
 * (CreateTopic is idempotent). Returns its ARN.
 */
export async function ensureLocalReportTopic(clients: AwsClients, region: string): Promise<string> {
  const res = await clients.sns(region).send(new CreateTopicCommand({ Name: LOCAL_REPORT_TOPIC }));
  if (!res.TopicArn) throw new CliError('SNS CreateTopic returned no TopicArn.');
  return res.TopicArn;
}

/** Whether the bucket exists (HeadBucket); other failures than "not found" are thrown. */
export async function bucketExists(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if (httpStatusOf(error) === 404 || awsErrorCode(error) === 'NotFound') return false;
    throw error;
  }
}

/** The ARN of the KMS key behind `alias`, or the alias itself when there is none (nothing is created). */
export async function existingKeyArn(kms: KMSClient, alias: string): Promise<string> {
  try {
    const existing = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    return existing.KeyMetadata?.Arn ?? alias;
  } catch (error) {
    if (awsErrorCode(error) !== 'NotFoundException') throw error;
    return alias;
  }
}
