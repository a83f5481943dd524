import { RegionInfo } from 'aws-cdk-lib/region-info';

/**
 * Names shared by the two stacks and the runtime. They are deterministic so the BackupStack
 * (primary region) can reach the catalog in the DR region without cross-region references,
 * and so the CLI can find the catalog from the configuration alone.
 */

/** Alias of the catalog's KMS key (in the DR region). */
export const CATALOG_KEY_ALIAS = 'alias/lifeboat-catalog';

/** Stack id (and CloudFormation stack name) of the DR region stack. */
export const RECOVERY_STACK_ID = 'LifeboatRecovery';

/** Stack id (and CloudFormation stack name) of the primary region stack. */
export const BACKUP_STACK_ID = 'LifeboatBackup';

/** `lifeboat-catalog-<account>-<drRegion>`: the catalog bucket in the DR region. */
export function catalogBucketName(account: string, drRegion: string): string {
  return `lifeboat-catalog-${account}-${drRegion}`;
}

/** ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`, …), so ARNs render as literals. */
export function partitionOf(region: string): string {
  return RegionInfo.get(region).partition ?? 'aws';
}

/** DNS suffix of a region's service endpoints (`amazonaws.com`, `amazonaws.com.cn`, …). */
export function domainSuffixOf(region: string): string {
  return RegionInfo.get(region).domainSuffix ?? 'amazonaws.com';
}
