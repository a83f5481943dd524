import { describe, expect, it } from 'vitest';
import { ConfigError, RestoreSettingsError } from '../../../src/config/errors';
import {
  backupSettingsFromEnv,
  configFromEnvironment,
  restoreSettingsFromEnv,
} from '../../../src/config/settings';
import { ACCOUNT, DR } from '../../support/manifest-builder';

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

describe('restoreSettingsFromEnv', () => {
  const config = JSON.stringify({ account: ACCOUNT, drRegion: DR });

  it('reads the configuration, bucket, key and topic; the primary region is not needed', () => {
    const settings = restoreSettingsFromEnv({
      LIFEBOAT_CONFIG: config,
      CATALOG_BUCKET: 'catalog',
      CATALOG_KMS_KEY_ID: 'alias/lifeboat-catalog',
      REPORT_TOPIC_ARN: 'arn:aws:sns:us-west-2:123456789012:reports',
    });
    expect(settings).toMatchObject({
      config: { account: ACCOUNT, drRegion: DR },
      bucket: 'catalog',
      kmsKeyId: 'alias/lifeboat-catalog',
      topicArn: 'arn:aws:sns:us-west-2:123456789012:reports',
    });
    expect(Object.keys(settings.config).sort()).toEqual([
      'account',
      'deploymentId',
      'drRegion',
      'mappings',
      'restore',
    ]);
  });

  it.each([
    ['LIFEBOAT_CONFIG missing', { CATALOG_BUCKET: 'catalog' }, 'LIFEBOAT_CONFIG'],
    ['LIFEBOAT_CONFIG not JSON', { LIFEBOAT_CONFIG: '{', CATALOG_BUCKET: 'catalog' }, 'LIFEBOAT_CONFIG'],
    ['CATALOG_BUCKET missing', { LIFEBOAT_CONFIG: config }, 'CATALOG_BUCKET'],
  ])('fails naming the variable when %s, without echoing values', (_name, env, variable) => {
    let error: unknown;
    try {
      restoreSettingsFromEnv(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RestoreSettingsError);
    expect((error as RestoreSettingsError).variable).toBe(variable);
  });
});

describe('restoreSettingsFromEnv volume key', () => {
  const env = {
    LIFEBOAT_CONFIG: JSON.stringify({ account: ACCOUNT, drRegion: DR }),
    CATALOG_BUCKET: 'catalog',
  };

  it('reads VOLUME_KMS_KEY_ID', () => {
    expect(restoreSettingsFromEnv({ ...env, VOLUME_KMS_KEY_ID: 'alias/custom' }).volumeKmsKeyId).toBe(
      'alias/custom',
    );
  });

  it('defaults to the Lifeboat volume key alias', () => {
    expect(restoreSettingsFromEnv(env).volumeKmsKeyId).toBe('alias/lifeboat-volumes');
  });
});
