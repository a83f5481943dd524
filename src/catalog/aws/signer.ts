import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GenerateMacCommand,
  type KMSClient,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import { SigningKeyError } from '../errors';
import { type ManifestSignature, SIGNATURE_ALGORITHM } from '../manifest';
import type { ManifestSigner } from '../signature';

/**
 * The catalog's signing key through KMS: GenerateMac to sign (the backup's commit role only),
 * VerifyMac to check (every reader). The client is resolved on first use, so a Lambda that builds
 * a catalog store but never reads a manifest needs no KMS client in its bundle.
 */
export class KmsManifestSigner implements ManifestSigner {
  constructor(
    private readonly kms: () => KMSClient,
    /** Alias or ARN of the HMAC_256 signing key, e.g. `alias/lifeboat-catalog-signing`. */
    public readonly keyId: string,
  ) {}

  async sign(payload: string): Promise<ManifestSignature> {
    try {
      const res = await this.kms().send(
        new GenerateMacCommand({
          KeyId: this.keyId,
          MacAlgorithm: SIGNATURE_ALGORITHM,
          Message: Buffer.from(payload, 'utf8'),
        }),
      );
      if (!res.Mac) throw new Error('GenerateMac returned no Mac');
      return {
        algorithm: SIGNATURE_ALGORITHM,
        keyId: res.KeyId ?? this.keyId,
        value: Buffer.from(res.Mac).toString('base64'),
      };
    } catch (error) {
      throw this.keyError('sign the recovery point', error);
    }
  }

  async verify(payload: string, signature: ManifestSignature): Promise<boolean> {
    try {
      const res = await this.kms().send(
        new VerifyMacCommand({
          KeyId: this.keyId,
          MacAlgorithm: SIGNATURE_ALGORITHM,
          Message: Buffer.from(payload, 'utf8'),
          Mac: Buffer.from(signature.value, 'base64'),
        }),
      );
      return res.MacValid === true;
    } catch (error) {
      if (awsErrorCode(error) === 'KMSInvalidMacException') return false;
      throw this.keyError('verify a recovery point', error);
    }
  }

  private keyError(action: string, error: unknown): SigningKeyError {
    const code = awsErrorCode(error);
    return new SigningKeyError(
      `Could not ${action} with the catalog signing key ${this.keyId} (${code}: ${awsErrorMessage(error)}). ` +
        'Check that the RecoveryStack is deployed (it creates the key) and that this role may use it ' +
        '(kms:GenerateMac for the backup commit, kms:VerifyMac for readers).',
      this.keyId,
      code,
      { cause: error },
    );
  }
}

/**
 * For local runs against the emulator: the signing key the RecoveryStack would have created
 * (HMAC_256, GENERATE_VERIFY_MAC), found by its alias or created with it. Returns its ARN.
 */
export async function ensureLocalSigningKey(kms: KMSClient, alias: string): Promise<string> {
  try {
    const existing = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    if (existing.KeyMetadata?.Arn !== undefined) return existing.KeyMetadata.Arn;
  } catch (error) {
    if (awsErrorCode(error) !== 'NotFoundException') throw error;
  }
  const created = await kms.send(
    new CreateKeyCommand({
      Description: `Lifeboat catalog signing key ${alias} (created for a local run)`,
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
      Tags: [{ TagKey: 'lifeboat:managed-by', TagValue: 'lifeboat-cli' }],
    }),
  );
  const { Arn: arn, KeyId: keyId } = created.KeyMetadata ?? {};
  if (arn === undefined || keyId === undefined) {
    throw new SigningKeyError(`KMS CreateKey returned no key for ${alias}`, alias, 'NoKey');
  }
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
  return arn;
}
