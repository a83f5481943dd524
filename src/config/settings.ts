import { ConfigError, RestoreSettingsError } from './errors';
import { deploymentIdOf, type LifeboatConfig, parseConfig } from './schema';

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Alias of the KMS key (in the DR region) the DR copies of EBS snapshots, and the volumes the
 * restore creates from them, are encrypted with.
 */
export const VOLUME_KEY_ALIAS = 'alias/lifeboat-volumes';

/**
 * How long one backup execution may run (the BackupStack's state machine timeout): copying a
 * large volume across regions can take hours. A run older than this is certainly over.
 */
export const BACKUP_RUN_TIMEOUT_HOURS = 24;
export const BACKUP_RUN_TIMEOUT_MS = BACKUP_RUN_TIMEOUT_HOURS * 3_600_000;

/**
 * Error of the Fail state a restore wave's iteration ends in when the wave is not steady: the
 * state machine (lib) raises it, the Report step (src/restore) tells a wave gate from a failure by it.
 */
export const WAVE_GATE_ERROR = 'WaveNotSteady';

/** Error name of a restore execution that ran but did not restore every selected service. */
export const RESTORE_INCOMPLETE_ERROR = 'RestoreIncomplete';

/** The part of the configuration the restore reads (it never needs the primary region). */
export type RestoreConfig = Pick<LifeboatConfig, 'account' | 'drRegion' | 'mappings' | 'restore'> & {
  /** The deployment id (`deploymentIdOf`), resolved: the restore has no primary region to derive it from. */
  readonly deploymentId: string;
};

/** What `LIFEBOAT_CONFIG` of a restore function holds: the RestoreConfig of a validated configuration. */
export function restoreConfigOf(config: LifeboatConfig): RestoreConfig {
  return {
    account: config.account,
    drRegion: config.drRegion,
    deploymentId: deploymentIdOf(config),
    mappings: config.mappings,
    restore: config.restore,
  };
}

/** What the three backup handlers (capture, backup-volumes, backup-commit) read from their environment. */
export interface BackupSettings {
  readonly config: LifeboatConfig;
  /** Catalog bucket (DR region). */
  readonly bucket: string;
  /** KMS key (alias or ARN) for objects written to the catalog. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** DR-region KMS key (alias or ARN) the DR snapshot copies are encrypted with. */
  readonly volumeKmsKeyId: string;
}

/**
 * The raw (not yet validated) configuration in `LIFEBOAT_CONFIG`. Throws ConfigError (key
 * `LIFEBOAT_CONFIG`) when it is unset or not JSON, telling to redeploy `stackName`, the stack
 * that sets it; messages never echo the value.
 */
export function configFromEnvironment(env: Environment, stackName: string): unknown {
  const rawConfig = env.LIFEBOAT_CONFIG;
  if (!rawConfig) {
    throw new ConfigError(
      `LIFEBOAT_CONFIG is not set; it must hold the Lifeboat configuration as JSON (the ${stackName} sets it).`,
      'LIFEBOAT_CONFIG',
    );
  }
  try {
    return JSON.parse(rawConfig) as unknown;
  } catch {
    throw new ConfigError(
      `LIFEBOAT_CONFIG is not valid JSON; redeploy the ${stackName} to reset it.`,
      'LIFEBOAT_CONFIG',
    );
  }
}

/**
 * Reads `LIFEBOAT_CONFIG` (JSON of the configuration), `CATALOG_BUCKET`, the optional
 * `CATALOG_KMS_KEY_ID` and `VOLUME_KMS_KEY_ID` (default `alias/lifeboat-volumes`). Throws
 * ConfigError naming the variable or the setting; messages never echo values.
 */
export function backupSettingsFromEnv(env: Environment): BackupSettings {
  const config = parseConfig(configFromEnvironment(env, 'BackupStack'));
  const bucket = env.CATALOG_BUCKET;
  if (!bucket) {
    throw new ConfigError(
      'CATALOG_BUCKET is not set; it must name the catalog bucket in the DR region (lifeboat-catalog-<account>-<drRegion>).',
      'CATALOG_BUCKET',
    );
  }
  const kmsKeyId = env.CATALOG_KMS_KEY_ID;
  return {
    config,
    bucket,
    ...(kmsKeyId ? { kmsKeyId } : {}),
    volumeKmsKeyId: env.VOLUME_KMS_KEY_ID || VOLUME_KEY_ALIAS,
  };
}

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
export function restoreSettingsFromEnv(env: Environment): RestoreSettings {
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
