import { describe, expect, it } from 'vitest';
import { BackupEventError } from '../../../src/backup/errors';
import { recoveryPointIdOf } from '../../../src/backup/handler-support';
import { backupSettingsFromEnv, configFromEnvironment } from '../../../src/config/settings';
import { ConfigError } from '../../../src/kernel/errors';

const CONFIG = { account: '123456789012', primaryRegion: 'us-east-1', drRegion: 'us-west-2' };
const BUCKET = 'lifeboat-catalog-123456789012-us-west-2';

describe('backupSettingsFromEnv', () => {
  it('reads the validated config, the catalog bucket, the optional catalog key and the volume key', () => {
    const settings = backupSettingsFromEnv({
      LIFEBOAT_CONFIG: JSON.stringify(CONFIG),
      CATALOG_BUCKET: BUCKET,
      CATALOG_KMS_KEY_ID: 'alias/lifeboat-catalog',
      VOLUME_KMS_KEY_ID: 'arn:aws:kms:us-west-2:123456789012:key/1234',
    });

    expect(settings.bucket).toBe(BUCKET);
    expect(settings.kmsKeyId).toBe('alias/lifeboat-catalog');
    expect(settings.volumeKmsKeyId).toBe('arn:aws:kms:us-west-2:123456789012:key/1234');
    expect(settings.config).toMatchObject({ ...CONFIG, selection: { tags: { 'lifeboat:backup': 'true' } } });
  });

  it('leaves the catalog key out when CATALOG_KMS_KEY_ID is unset or empty, and defaults the volume key to its alias', () => {
    const env = { LIFEBOAT_CONFIG: JSON.stringify(CONFIG), CATALOG_BUCKET: BUCKET };
    expect(backupSettingsFromEnv(env)).not.toHaveProperty('kmsKeyId');
    expect(backupSettingsFromEnv({ ...env, CATALOG_KMS_KEY_ID: '' })).not.toHaveProperty('kmsKeyId');
    expect(backupSettingsFromEnv({ ...env, VOLUME_KMS_KEY_ID: '' }).volumeKmsKeyId).toBe(
      'alias/lifeboat-volumes',
    );
  });

  it('fails when LIFEBOAT_CONFIG is missing, naming the variable and the stack that sets it', () => {
    expect(() => backupSettingsFromEnv({ CATALOG_BUCKET: BUCKET })).toThrow(
      expect.objectContaining({ name: 'ConfigError', key: 'LIFEBOAT_CONFIG' }),
    );
    expect(() => backupSettingsFromEnv({ CATALOG_BUCKET: BUCKET })).toThrow(/the BackupStack sets it/);
  });

  it('fails when the configuration is invalid, naming the setting', () => {
    expect(() =>
      backupSettingsFromEnv({
        LIFEBOAT_CONFIG: JSON.stringify({ ...CONFIG, account: '42' }),
        CATALOG_BUCKET: BUCKET,
      }),
    ).toThrow(/lifeboat\.account/);
  });

  it('fails when CATALOG_BUCKET is missing, naming the variable and the expected bucket name', () => {
    const run = () => backupSettingsFromEnv({ LIFEBOAT_CONFIG: JSON.stringify(CONFIG) });
    expect(run).toThrow(expect.objectContaining({ key: 'CATALOG_BUCKET' }));
    expect(run).toThrow(/lifeboat-catalog-<account>-<drRegion>/);
  });
});

describe('configFromEnvironment', () => {
  it('returns the parsed JSON without validating it', () => {
    expect(configFromEnvironment({ LIFEBOAT_CONFIG: '{"drRegion":"us-west-2"}' }, 'RecoveryStack')).toEqual({
      drRegion: 'us-west-2',
    });
  });

  it('fails when LIFEBOAT_CONFIG is not JSON, naming the stack to redeploy, without echoing its value', () => {
    let error: unknown;
    try {
      configFromEnvironment({ LIFEBOAT_CONFIG: '{"account": "s3cr3t-ish' }, 'RecoveryStack');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      'LIFEBOAT_CONFIG is not valid JSON; redeploy the RecoveryStack to reset it.',
    );
  });
});

describe('recoveryPointIdOf', () => {
  it('reads the recovery point id of a backup step event', () => {
    expect(recoveryPointIdOf({ recoveryPointId: 'rp-20260101T000000000Z-abc123', done: false })).toBe(
      'rp-20260101T000000000Z-abc123',
    );
  });

  it('fails with a BackupEventError naming the expected shape for a missing or malformed id', () => {
    expect(() => recoveryPointIdOf({})).toThrow(BackupEventError);
    expect(() => recoveryPointIdOf(null)).toThrow(/"recoveryPointId": "rp-…"/);
    expect(() => recoveryPointIdOf({ recoveryPointId: 'latest' })).toThrow(/got recoveryPointId "latest"/);
  });
});
