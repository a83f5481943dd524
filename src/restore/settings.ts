import { type LifeboatConfig, parseConfig } from '../core/config';

/** The part of the configuration the restore reads (it never needs the primary region). */
export type RestoreConfig = Pick<LifeboatConfig, 'account' | 'drRegion' | 'mappings'>;

/** What `LIFEBOAT_CONFIG` of a restore function holds: the RestoreConfig of a validated configuration. */
export function restoreConfigOf(config: LifeboatConfig): RestoreConfig {
  return { account: config.account, drRegion: config.drRegion, mappings: config.mappings };
}

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
}

/**
 * Reads `LIFEBOAT_CONFIG`, `CATALOG_BUCKET`, `CATALOG_KMS_KEY_ID` (optional) and
 * `REPORT_TOPIC_ARN` (optional). Throws RestoreSettingsError naming the variable; never echoes values.
 */
export function restoreSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): RestoreSettings {
  const rawConfig = env.LIFEBOAT_CONFIG;
  if (!rawConfig) {
    throw new RestoreSettingsError(
      'LIFEBOAT_CONFIG is not set; it must hold the Lifeboat configuration as JSON (the RecoveryStack sets it).',
      'LIFEBOAT_CONFIG',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(rawConfig);
  } catch {
    throw new RestoreSettingsError(
      'LIFEBOAT_CONFIG is not valid JSON; redeploy the RecoveryStack to reset it.',
      'LIFEBOAT_CONFIG',
    );
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
  };
}
