import { describe, expect, it } from 'vitest';
import { captureSettingsFromEnv } from '../../../src/backup/capture';
import { ConfigError } from '../../../src/core/errors';

const CONFIG = { account: '123456789012', primaryRegion: 'us-east-1', drRegion: 'us-west-2' };
const BUCKET = 'lifeboat-catalog-123456789012-us-west-2';

describe('captureSettingsFromEnv', () => {
  it('reads the validated config, the catalog bucket and the optional KMS key', () => {
    const settings = captureSettingsFromEnv({
      LIFEBOAT_CONFIG: JSON.stringify(CONFIG),
      CATALOG_BUCKET: BUCKET,
      CATALOG_KMS_KEY_ID: 'alias/lifeboat-catalog',
    });

    expect(settings.bucket).toBe(BUCKET);
    expect(settings.kmsKeyId).toBe('alias/lifeboat-catalog');
    expect(settings.config).toMatchObject({ ...CONFIG, selection: { tags: { 'lifeboat:backup': 'true' } } });
  });

  it('leaves the KMS key out when CATALOG_KMS_KEY_ID is unset or empty', () => {
    const env = { LIFEBOAT_CONFIG: JSON.stringify(CONFIG), CATALOG_BUCKET: BUCKET };
    expect(captureSettingsFromEnv(env)).not.toHaveProperty('kmsKeyId');
    expect(captureSettingsFromEnv({ ...env, CATALOG_KMS_KEY_ID: '' })).not.toHaveProperty('kmsKeyId');
  });

  it('fails when LIFEBOAT_CONFIG is missing, naming the variable', () => {
    expect(() => captureSettingsFromEnv({ CATALOG_BUCKET: BUCKET })).toThrow(
      expect.objectContaining({ name: 'ConfigError', key: 'LIFEBOAT_CONFIG' }),
    );
  });

  it('fails when LIFEBOAT_CONFIG is not JSON, without echoing its value', () => {
    let error: unknown;
    try {
      captureSettingsFromEnv({ LIFEBOAT_CONFIG: '{"account": "s3cr3t-ish', CATALOG_BUCKET: BUCKET });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/LIFEBOAT_CONFIG is not valid JSON/);
    expect((error as ConfigError).message).not.toContain('s3cr3t-ish');
  });

  it('fails when the configuration is invalid, naming the setting', () => {
    expect(() =>
      captureSettingsFromEnv({
        LIFEBOAT_CONFIG: JSON.stringify({ ...CONFIG, account: '42' }),
        CATALOG_BUCKET: BUCKET,
      }),
    ).toThrow(/lifeboat\.account/);
  });

  it('fails when CATALOG_BUCKET is missing, naming the variable and the expected bucket name', () => {
    const run = () => captureSettingsFromEnv({ LIFEBOAT_CONFIG: JSON.stringify(CONFIG) });
    expect(run).toThrow(expect.objectContaining({ key: 'CATALOG_BUCKET' }));
    expect(run).toThrow(/lifeboat-catalog-<account>-<drRegion>/);
  });
});
