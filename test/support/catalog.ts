import type { AwsClients } from '../../src/aws/clients';
import { ensureLocalSigningKey } from '../../src/catalog/aws/signer';
import { ensureCatalogBucket } from '../../src/catalog/aws/store';
import { CATALOG_SIGNING_KEY_ALIAS } from '../../src/catalog/names';

/**
 * The catalog a test writes to, as the RecoveryStack would provide it: the bucket (versioned,
 * encrypted) and the signing key (HMAC_256 under `alias/lifeboat-catalog-signing`), created on
 * the emulator when missing.
 */
export async function ensureTestCatalog(
  clients: AwsClients,
  region: string,
  bucket: string,
  opts: { readonly kmsKeyId?: string } = {},
): Promise<void> {
  await ensureCatalogBucket(clients.s3(region), bucket, region, opts);
  await ensureLocalSigningKey(clients.kms(region), CATALOG_SIGNING_KEY_ALIAS);
}
