import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { awsErrorCode } from '../aws/errors';

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
    throw new Error(`KMS CreateKey returned no key ARN for ${alias}`);
  }
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
  return arn;
}
