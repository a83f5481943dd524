import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/cli/config-source';
import { UsageError } from '../../../src/cli/errors';
import { ConfigError } from '../../../src/config/errors';

const CONFIG = { account: '123456789012', primaryRegion: 'us-east-1', drRegion: 'us-west-2' };

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeboat-cli-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the lifeboat context of the nearest cdk.json, searching parent directories', () => {
    writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'x', context: { lifeboat: CONFIG } }));
    const nested = join(dir, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    const loaded = loadConfig({ cwd: nested });
    expect(loaded.source).toBe(join(dir, 'cdk.json'));
    expect(loaded.config).toMatchObject({ ...CONFIG, rpoTargetMinutes: 120 });
  });

  it('reads --config as a plain configuration object or as a cdk.json', () => {
    writeFileSync(join(dir, 'plain.json'), JSON.stringify(CONFIG));
    writeFileSync(
      join(dir, 'app.json'),
      JSON.stringify({ context: { lifeboat: { ...CONFIG, drRegion: 'eu-west-1' } } }),
    );
    expect(loadConfig({ cwd: dir, configFile: 'plain.json' }).config.drRegion).toBe('us-west-2');
    expect(loadConfig({ cwd: dir, configFile: 'app.json' }).config.drRegion).toBe('eu-west-1');
  });

  it('applies region overrides before validation', () => {
    writeFileSync(join(dir, 'plain.json'), JSON.stringify(CONFIG));
    const { config } = loadConfig({
      cwd: dir,
      configFile: 'plain.json',
      primaryRegion: 'eu-west-1',
      drRegion: 'eu-central-1',
    });
    expect([config.primaryRegion, config.drRegion]).toEqual(['eu-west-1', 'eu-central-1']);
    expect(() => loadConfig({ cwd: dir, configFile: 'plain.json', drRegion: 'us-east-1' })).toThrow(
      /drRegion: must differ from primaryRegion/,
    );
  });

  it('fails with a ConfigError naming the key and the file for an invalid configuration', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...CONFIG, account: '42' }));
    const attempt = () => loadConfig({ cwd: dir, configFile: 'bad.json' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/lifeboat\.account: must be a 12-digit AWS account id[\s\S]*bad\.json/);
  });

  it('fails with a UsageError that says what to pass when there is no configuration', () => {
    expect(() => loadConfig({ cwd: dir })).toThrow(
      /no cdk\.json in .* or its parents\. Pass --config <file>/,
    );
    expect(() => loadConfig({ cwd: dir, configFile: 'missing.json' })).toThrow(UsageError);
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    expect(() => loadConfig({ cwd: dir, configFile: 'broken.json' })).toThrow(
      /broken\.json is not valid JSON/,
    );
    writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'x', context: {} }));
    expect(() => loadConfig({ cwd: dir })).toThrow(/has no "context\.lifeboat" configuration.*--config/);
  });
});
