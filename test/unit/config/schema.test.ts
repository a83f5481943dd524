import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors';
import { parseConfig } from '../../../src/config/schema';

const minimal = { account: '123456789012', primaryRegion: 'us-east-1', drRegion: 'us-west-2' };

/** The ConfigError parseConfig throws for `raw`. */
function configError(raw: unknown): ConfigError {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('parseConfig accepted the configuration');
}

describe('parseConfig', () => {
  it('ignores "//" comment keys at every level, as `lifeboat init` writes them', () => {
    const commented = {
      '//': 'written by lifeboat init',
      '// account': 'the fleet account',
      ...minimal,
      retention: { '// days': 'kept this long', days: 10 },
    };
    expect(parseConfig(commented)).toEqual(parseConfig({ ...minimal, retention: { days: 10 } }));
    expect(configError({ ...minimal, '/ typo': 1 }).message).toContain('lifeboat./ typo: unknown setting');
  });

  it('accepts the three required settings and fills every default', () => {
    const config = parseConfig(minimal);

    expect(config).toMatchObject({
      ...minimal,
      schedule: 'rate(1 hour)',
      selection: { tags: { 'lifeboat:backup': 'true' }, include: ['*/*'], exclude: [] },
      retention: { days: 35, minRecoveryPoints: 3 },
      rpoTargetMinutes: 120,
      mappings: { subnets: {}, securityGroups: {}, targetGroups: {}, secrets: {}, efsFileSystems: {} },
    });
  });

  it('keeps the selection tag default when only globs are given', () => {
    const config = parseConfig({ ...minimal, selection: { include: ['shop/*'] } });

    expect(config.selection).toEqual({
      tags: { 'lifeboat:backup': 'true' },
      include: ['shop/*'],
      exclude: [],
    });
  });

  it('fails when drRegion equals primaryRegion, naming lifeboat.drRegion and the fix', () => {
    const error = configError({ ...minimal, drRegion: 'us-east-1' });

    expect(error.name).toBe('ConfigError');
    expect(error.key).toBe('lifeboat.drRegion');
    expect(error.message).toContain(
      'lifeboat.drRegion: must differ from primaryRegion (both are us-east-1); pick the region that survives an outage of us-east-1',
    );
  });

  it('fails when a restore.passRoleArns entry is not an IAM role ARN, naming the entry and the fix', () => {
    const error = configError({ ...minimal, restore: { passRoleArns: ['ecsTaskRole'] } });

    expect(error.key).toBe('lifeboat.restore.passRoleArns.0');
    expect(error.message).toContain('must be an IAM role ARN or pattern such as');
  });

  it('fails when a setting is unknown, naming the full key and the fix', () => {
    const error = configError({ ...minimal, drRegon: 'us-west-2' });

    expect(error.key).toBe('lifeboat.drRegon');
    expect(error.message).toContain('lifeboat.drRegon: unknown setting; remove it or check the spelling');
  });

  it('fails when a nested setting is unknown, naming each unknown key', () => {
    const error = configError({ ...minimal, retention: { days: 30, keep: 3, max: 9 } });

    expect(error.key).toBe('lifeboat.retention.keep');
    expect(error.message).toContain('lifeboat.retention.keep: unknown setting');
    expect(error.message).toContain('lifeboat.retention.max: unknown setting');
  });

  it.each([
    ['every hour', /must be an EventBridge schedule expression such as "rate\(1 hour\)"/],
    ['rate(0 minutes)', /a rate is at least 1/],
    ['rate(5 minute)', /singular unit for 1 and the plural otherwise/],
    ['rate(1 hours)', /singular unit for 1 and the plural otherwise/],
    ['rate(1 week)', /must be an EventBridge schedule expression/],
    ['cron(0 * * * *)', /a cron expression has 6 fields .*this one has 5/],
    ['cron(0 12 * * * *)', /exactly one of day-of-month and day-of-week must be "\?"/],
    ['cron(0 12 ? * ? *)', /exactly one of day-of-month and day-of-week must be "\?"/],
  ])('fails when the schedule is %j, naming lifeboat.schedule and a valid form', (schedule, problem) => {
    const error = configError({ ...minimal, schedule });

    expect(error.key).toBe('lifeboat.schedule');
    expect(error.message).toMatch(/lifeboat\.schedule: must be an EventBridge schedule expression/);
    expect(error.message).toMatch(problem);
  });

  it.each([
    'rate(1 minute)',
    'rate(15 minutes)',
    'rate(1 hour)',
    'rate(6 hours)',
    'rate(1 day)',
    'cron(0 2 * * ? *)',
    'cron(0/15 * ? * MON-FRI *)',
    'cron(30 4 1 * ? 2026-2030)',
  ])('accepts the schedule %j', (schedule) => {
    expect(parseConfig({ ...minimal, schedule }).schedule).toBe(schedule);
  });

  it.each(['12345', '1234567890123', '12345678901a', ''])('fails when the account is %j', (account) => {
    const error = configError({ ...minimal, account });

    expect(error.key).toBe('lifeboat.account');
    expect(error.message).toContain('lifeboat.account: must be a 12-digit AWS account id');
  });

  it('fails when the account is a number, saying it must be a string', () => {
    const error = configError({ ...minimal, account: 123456789012 });

    expect(error.key).toBe('lifeboat.account');
    expect(error.message).toContain('lifeboat.account: must be a string (got number 123456789012)');
  });

  it('fails when a required setting is missing, saying it is required', () => {
    const error = configError({ primaryRegion: 'us-east-1', drRegion: 'us-west-2' });

    expect(error.key).toBe('lifeboat.account');
    expect(error.message).toContain('lifeboat.account: is required');
  });

  it('fails when a region is not a region name', () => {
    const error = configError({ ...minimal, drRegion: 'Oregon' });

    expect(error.key).toBe('lifeboat.drRegion');
    expect(error.message).toContain('lifeboat.drRegion: must be an AWS region name such as us-west-2');
  });

  it('fails when a region is mistyped, naming the nearest region of the partition table', () => {
    const error = configError({ ...minimal, primaryRegion: 'us-eats-1' });

    expect(error.key).toBe('lifeboat.primaryRegion');
    expect(error.message).toContain('"us-eats-1" is not an AWS region; did you mean us-east-1?');
  });

  it('fails when a selection glob is not "cluster/service"', () => {
    const error = configError({ ...minimal, selection: { include: ['shop'] } });

    expect(error.key).toBe('lifeboat.selection.include.0');
    expect(error.message).toContain('must look like "cluster/service"');
  });

  it('fails when retention days has the wrong type, naming the type', () => {
    const error = configError({ ...minimal, retention: { days: '30' } });

    expect(error.message).toContain('lifeboat.retention.days: must be a number (got string "30")');
  });

  it('fails when the configuration is not an object', () => {
    expect(configError(null).message).toContain('lifeboat: must be an object (got null)');
    expect(configError(['x']).message).toContain('lifeboat: must be an object (got an array)');
    expect(configError(undefined).message).toContain('lifeboat: is required');
  });

  it('lists every problem, with the first bad key as the error key', () => {
    const error = configError({ account: 'x', primaryRegion: 'us-east-1', drRegion: 'nowhere', extra: 1 });

    expect(error.message.split('\n').slice(1)).toHaveLength(3);
    expect(error.message).toContain('lifeboat.account:');
    expect(error.message).toContain('lifeboat.drRegion:');
    expect(error.message).toContain('lifeboat.extra:');
  });
});
