import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RegisterTaskDefinitionInputRecord } from '../../../src/catalog/manifest';
import { ConfigError } from '../../../src/config/errors';
import { parseConfig } from '../../../src/config/schema';
import { EnvironmentUnsealError } from '../../../src/fleet/errors';
import {
  environmentContext,
  findSecretEnvironment,
  MASK,
  maskedVariables,
  secretTest,
  withoutVariables,
  withVariables,
} from '../../../src/fleet/secrets';

const MINIMAL = { account: '123456789012', primaryRegion: 'us-east-1', drRegion: 'us-west-2' };
const defaults = parseConfig(MINIMAL).capture.secretEnvironment;
const isSecret = secretTest(defaults);

function taskDefinition(
  containers: Record<string, readonly { name: string; value?: string }[]>,
): RegisterTaskDefinitionInputRecord {
  return {
    family: 'shop-api',
    containerDefinitions: Object.entries(containers).map(([name, environment]) => ({
      name,
      image: `${name}:1`,
      environment: environment.map((v) => ({ ...v })),
    })),
  };
}

describe('secretTest with the default patterns', () => {
  it.each([
    'DB_PASSWORD',
    'db_passwd',
    'AWS_SECRET_ACCESS_KEY',
    'GITHUB_TOKEN',
    'apiKey',
    'GOOGLE_APPLICATION_CREDENTIALS',
    'PRIVATE_CERT',
  ])('takes a variable named %s for a secret, whatever its value', (name) => {
    expect(isSecret(name, 'x')).toBe(true);
  });

  it.each([
    ['DATABASE_URL', 'postgres://app:pw@db/x'],
    ['REDIS_URL', 'redis://:hunter2@cache.internal:6379/0'],
    ['JDBC', 'jdbc:mysql://root:toor@db.internal:3306/app'],
    ['UPSTREAM', 'AKIAIOSFODNN7EXAMPLE'],
    ['SESSION', 'ASIAY34FZKBOKMUTVV7A'],
    ['CERT', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow…'],
    ['SIGNER', '-----BEGIN PRIVATE KEY-----\nMIIEv…'],
  ])('takes %s=%s for a secret by its value', (name, value) => {
    expect(isSecret(name, value)).toBe(true);
  });

  it.each([
    ['NODE_ENV', 'production'],
    ['API_URL', 'http://api.shop.local:8080'],
    ['DB_HOST', 'shop-db.internal'],
    ['DATABASE_URL', 'postgres://db.internal:5432/app'],
    ['UPSTREAM', 'https://user@example.com/path'],
    ['CERT', '-----BEGIN CERTIFICATE-----'],
  ])('leaves %s=%s alone', (name, value) => {
    expect(isSecret(name, value)).toBe(false);
  });

  it('uses the configured patterns instead of the defaults', () => {
    const custom = secretTest(
      parseConfig({
        ...MINIMAL,
        capture: { secretEnvironment: { namePatterns: ['^LEGACY_'], valuePatterns: ['^sk_live_'] } },
      }).capture.secretEnvironment,
    );

    expect(custom('legacy_login', 'x')).toBe(true);
    expect(custom('STRIPE', 'sk_live_123')).toBe(true);
    expect(custom('DB_PASSWORD', 'hunter2')).toBe(false);
  });
});

describe('capture.secretEnvironment in the configuration', () => {
  it('fails naming the pattern when it is not a regular expression', () => {
    const run = () =>
      parseConfig({ ...MINIMAL, capture: { secretEnvironment: { valuePatterns: ['ok', '(unclosed'] } } });

    expect(run).toThrow(ConfigError);
    expect(run).toThrow(
      /lifeboat\.capture\.secretEnvironment\.valuePatterns\.1: is not a valid regular expression \(.+\); write a JavaScript regular expression source/,
    );
  });

  it('fails when a pattern is empty, as it would match every variable', () => {
    expect(() => parseConfig({ ...MINIMAL, capture: { secretEnvironment: { namePatterns: [''] } } })).toThrow(
      /lifeboat\.capture\.secretEnvironment\.namePatterns\.0: must not be empty/,
    );
  });

  it('keeps the default value patterns when only name patterns are given', () => {
    const config = parseConfig({ ...MINIMAL, capture: { secretEnvironment: { namePatterns: [] } } });

    expect(config.capture.secretEnvironment.namePatterns).toEqual([]);
    expect(config.capture.secretEnvironment.valuePatterns).toEqual(defaults.valuePatterns);
  });
});

describe('findSecretEnvironment', () => {
  it('finds the secret variables with their container and position, skipping empty values', () => {
    const input = taskDefinition({
      app: [
        { name: 'NODE_ENV', value: 'production' },
        { name: 'DB_PASSWORD', value: 'hunter2' },
        { name: 'API_TOKEN', value: '' },
        { name: 'DATABASE_URL', value: 'postgres://app:pw@db/x' },
      ],
      sidecar: [{ name: 'SECRET' }, { name: 'SIDECAR_KEY', value: 'k' }],
    });

    expect(findSecretEnvironment(input, isSecret)).toEqual([
      { container: 'app', name: 'DB_PASSWORD', index: 1, value: 'hunter2' },
      { container: 'app', name: 'DATABASE_URL', index: 3, value: 'postgres://app:pw@db/x' },
      { container: 'sidecar', name: 'SIDECAR_KEY', index: 1, value: 'k' },
    ]);
  });
});

describe('withoutVariables and withVariables', () => {
  it('takes the variables out, keeping the others in order, and puts them back where they were', () => {
    const input = taskDefinition({
      app: [
        { name: 'DB_PASSWORD', value: 'hunter2' },
        { name: 'NODE_ENV', value: 'production' },
        { name: 'DATABASE_URL', value: 'postgres://app:pw@db/x' },
      ],
    });
    const found = findSecretEnvironment(input, isSecret);

    const without = withoutVariables(input, found);

    expect(without.containerDefinitions[0]?.environment).toEqual([{ name: 'NODE_ENV', value: 'production' }]);
    expect(JSON.stringify(without)).not.toMatch(/hunter2|app:pw/);
    expect(withVariables(without, 'shop-api', found)).toEqual(input);
  });

  it('restores any task definition exactly, whichever variables were taken out (property)', () => {
    const variable = fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }), value: fc.string() });
    const containers = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 6 }),
      fc.array(variable, { maxLength: 8 }),
      {
        minKeys: 1,
        maxKeys: 4,
      },
    );
    fc.assert(
      fc.property(containers, fc.func(fc.boolean()), (spec, pick) => {
        const input = taskDefinition(spec);
        const chosen = findSecretEnvironment(input, (name, value) => pick(name, value));

        const without = withoutVariables(input, chosen);

        const count = (td: RegisterTaskDefinitionInputRecord) =>
          td.containerDefinitions.reduce((n, c) => n + (c.environment as unknown[]).length, 0);
        expect(count(without)).toBe(count(input) - chosen.length);
        expect(withVariables(without, input.family, [...chosen].reverse())).toEqual(input);
      }),
    );
  });

  it('refuses a variable of a container the task definition does not have, naming it', () => {
    const input = taskDefinition({ app: [] });

    expect(() =>
      withVariables(input, 'shop-api', [
        { container: 'gone', name: 'DB_PASSWORD', index: 0, value: 'hunter2' },
      ]),
    ).toThrow(EnvironmentUnsealError);
    expect(() =>
      withVariables(input, 'shop-api', [
        { container: 'gone', name: 'DB_PASSWORD', index: 0, value: 'hunter2' },
      ]),
    ).toThrow(/DB_PASSWORD belongs to container gone, which task definition family shop-api does not have/);
  });
});

describe('environmentContext', () => {
  it('binds the ciphertext to its purpose, deployment and variable', () => {
    expect(
      environmentContext('us-east-1-us-west-2', 'shop-api', { container: 'app', name: 'DB_PASSWORD' }),
    ).toEqual({
      'lifeboat:purpose': 'environment',
      'lifeboat:deployment': 'us-east-1-us-west-2',
      'lifeboat:variable': 'shop-api/app/DB_PASSWORD',
    });
  });
});

describe('maskedVariables', () => {
  it('shows *** where the value would be and keeps the ciphertext for the restore', () => {
    expect(
      maskedVariables([{ container: 'app', name: 'DB_PASSWORD', index: 1, ciphertext: 'AQID' }]),
    ).toEqual([{ container: 'app', name: 'DB_PASSWORD', index: 1, ciphertext: 'AQID', value: MASK }]);
    expect(MASK).toBe('***');
  });
});
