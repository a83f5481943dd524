import { VOLUME_KEY_ALIAS } from '../catalog/names';
import { parseConfig } from '../config/schema';
import { configFromEnvironment, type RestoreConfig, restoreConfigOf } from '../config/settings';
import { ConfigError } from '../kernel/errors';
import { RestoreSettingsError } from './errors';

/** What every restore handler reads from its environment (set by the RestoreWorkflow construct). */
export interface RestoreSettings {
  readonly config: RestoreConfig;
  /** Catalog bucket (DR region). */
  readonly bucket: string;
  /** KMS key (alias or ARN) for objects written to the catalog. */
  readonly kmsKeyId?: string;
  /** SNS topic restore reports are published to. */
  readonly topicArn?: string;
  /**
   * KMS key (alias or ARN, DR region) the standalone EBS volumes the restore creates are encrypted with.
   * @default 'alias/lifeboat-volumes'
   */
  readonly volumeKmsKeyId?: string;
}

/**
 * Reads `LIFEBOAT_CONFIG`, `CATALOG_BUCKET`, `CATALOG_KMS_KEY_ID` (optional), `REPORT_TOPIC_ARN`
 * (optional) and `VOLUME_KMS_KEY_ID` (default `alias/lifeboat-volumes`). Throws
 * RestoreSettingsError naming the variable; never echoes values.
 */
export function restoreSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): RestoreSettings {
  let raw: unknown;
  try {
    raw = configFromEnvironment(env, 'RecoveryStack');
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new RestoreSettingsError(error.message, 'LIFEBOAT_CONFIG', { cause: error });
    }
    throw error;
  }
  const fields = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  // The restore never touches the primary region; validate the rest with a stand-in that differs from the DR region.
  const drRegion = typeof fields.drRegion === 'string' ? fields.drRegion : '';
  const standIn = drRegion === 'us-east-1' ? 'us-east-2' : 'us-east-1';
  const config = restoreConfigOf(parseConfig({ primaryRegion: standIn, ...fields }));
  const bucket = env.CATALOG_BUCKET;
  if (!bucket) {
    throw new RestoreSettingsError(
      'CATALOG_BUCKET is not set; it must name the catalog bucket in the DR region (lifeboat-catalog-<account>-<drRegion>).',
      'CATALOG_BUCKET',
    );
  }
  return {
    config,
    bucket,
    ...(env.CATALOG_KMS_KEY_ID ? { kmsKeyId: env.CATALOG_KMS_KEY_ID } : {}),
    ...(env.REPORT_TOPIC_ARN ? { topicArn: env.REPORT_TOPIC_ARN } : {}),
    volumeKmsKeyId: env.VOLUME_KMS_KEY_ID || VOLUME_KEY_ALIAS,
  };
}
