import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import type { AwsClients } from '../../../aws/clients';
import { VolumeKeyError } from '../errors';

/** The key ARN of `keyId` (an alias, alias ARN or key id) in `region`; a key ARN is returned as it is. */
export async function volumeKeyArn(clients: AwsClients, region: string, keyId: string): Promise<string> {
  if (/^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key\//.test(keyId)) return keyId;
  let arn: string | undefined;
  try {
    arn = (await clients.kms(region).send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.Arn;
  } catch (cause) {
    throw new VolumeKeyError(keyId, region, { cause });
  }
  if (!arn) throw new VolumeKeyError(keyId, region);
  return arn;
}
