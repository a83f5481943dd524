import { RegionInfo } from 'aws-cdk-lib/region-info';

export { CATALOG_KEY_ALIAS, CATALOG_SIGNING_KEY_ALIAS, catalogBucketName } from '../src/catalog/names';
export { VOLUME_KEY_ALIAS } from '../src/config/settings';

/** Stack id (and CloudFormation stack name) of the DR region stack. */
export const RECOVERY_STACK_ID = 'LifeboatRecovery';

/** Stack id (and CloudFormation stack name) of the primary region stack. */
export const BACKUP_STACK_ID = 'LifeboatBackup';

/** Name of the backup state machine (primary region); the schedule starts it. */
export const BACKUP_STATE_MACHINE_NAME = 'lifeboat-backup';

/** ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`, …), so ARNs render as literals. */
export function partitionOf(region: string): string {
  return RegionInfo.get(region).partition ?? 'aws';
}

/** DNS suffix of a region's service endpoints (`amazonaws.com`, `amazonaws.com.cn`, …). */
export function domainSuffixOf(region: string): string {
  return RegionInfo.get(region).domainSuffix ?? 'amazonaws.com';
}

/** The `kms:ViaService` value of a service in a region, e.g. `s3.us-west-2.amazonaws.com`. */
export function viaService(service: string, region: string): string {
  return `${service}.${region}.${domainSuffixOf(region)}`;
}

/**
 * Name of the backup's retention role (primary region). Fixed, so the catalog bucket policy in
 * the DR region can name it as the only principal that may delete recovery points.
 */
export function retentionRoleName(deploymentId: string): string {
  return `lifeboat-retention-${deploymentId}`;
}
