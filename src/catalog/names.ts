/**
 * Names shared by the two stacks and the runtime. They are deterministic so the BackupStack
 * (primary region) can reach the catalog in the DR region without cross-region references,
 * and so the CLI can find the catalog from the configuration alone.
 */

/** Alias of the catalog's KMS key (in the DR region). */
export const CATALOG_KEY_ALIAS = 'alias/lifeboat-catalog';

/**
 * Alias of the catalog's signing key (HMAC_256, DR region): the backup's commit signs each
 * manifest with GenerateMac, every reader checks it with VerifyMac.
 */
export const CATALOG_SIGNING_KEY_ALIAS = 'alias/lifeboat-catalog-signing';

/** `lifeboat-catalog-<account>-<drRegion>`: the catalog bucket in the DR region. */
export function catalogBucketName(account: string, drRegion: string): string {
  return `lifeboat-catalog-${account}-${drRegion}`;
}
