import { VOLUME_KEY_ALIAS } from '../catalog/names';
import { ConfigError } from '../kernel/errors';
import { type LifeboatConfig, parseConfig } from './schema';

type Environment = Readonly<Record<string, string | undefined>>;

/** The part of the configuration the restore reads (it never needs the primary region). */
export type RestoreConfig = Pick<LifeboatConfig, 'account' | 'drRegion' | 'mappings'>;

/** What `LIFEBOAT_CONFIG` of a restore function holds: the RestoreConfig of a validated configuration. */
export function restoreConfigOf(config: LifeboatConfig): RestoreConfig {
  return { account: config.account, drRegion: config.drRegion, mappings: config.mappings };
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
