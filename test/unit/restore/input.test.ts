import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRestoreInputError } from '../../../src/restore/errors';
import { isServiceSelected, parseRestoreInput, RESTORE_INPUT_FIELDS } from '../../../src/restore/input';

function rejection(raw: unknown): InvalidRestoreInputError {
  try {
    parseRestoreInput(raw);
  } catch (error) {
    if (error instanceof InvalidRestoreInputError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('parseRestoreInput', () => {
  it('reads an empty object as a dry run of every service in the latest recovery point', () => {
    expect(parseRestoreInput({})).toEqual({
      recoveryPoint: 'latest',
      services: ['*/*'],
      exclude: [],
      dryRun: true,
      desiredCountPercent: 100,
      allowPartial: false,
      waitForSteadyState: true,
      steadyStateTimeoutMinutes: 15,
      continueOnWaveFailure: false,
      adopt: [],
      promoteFileSystems: false,
    });
  });

  it('reads a missing input as the empty object', () => {
    expect(parseRestoreInput(undefined)).toEqual(parseRestoreInput({}));
  });

  it('keeps every field an operator sets', () => {
    const input = {
      recoveryPoint: 'rp-20260301T120000000Z-a1b2c3',
      services: ['shop/web', 'payments/*'],
      exclude: ['payments/batch-?'],
      dryRun: false,
      desiredCountPercent: 50,
      allowPartial: true,
      waitForSteadyState: false,
      steadyStateTimeoutMinutes: 120,
      comment: 'incident INC-1234',
      continueOnWaveFailure: true,
      adopt: ['shop/api'],
      promoteFileSystems: true,
    };
    expect(parseRestoreInput(input)).toEqual(input);
  });

  it('takes adopt keys exactly, without globs', () => {
    expect(() => parseRestoreInput({ adopt: ['shop/*'] })).toThrow(/adopt\[0\].*exact "cluster\/service"/);
  });

  it('fails over only with an explicit "dryRun": false', () => {
    expect(parseRestoreInput({ services: ['shop/*'] }).dryRun).toBe(true);
    expect(parseRestoreInput({ dryRun: false }).dryRun).toBe(false);
  });

  it('accepts the Comment the Step Functions console pre-fills as the comment', () => {
    expect(parseRestoreInput({ Comment: 'Insert your JSON here' })).toMatchObject({
      comment: 'Insert your JSON here',
      dryRun: true,
    });
  });

  it('fails when a field is unknown, suggesting the field that was meant', () => {
    const error = rejection({ dryrun: false });
    expect(error.name).toBe('InvalidRestoreInputError');
    expect(error.field).toBe('dryrun');
    expect(error.message).toContain('unknown field "dryrun": did you mean "dryRun"?');
    expect(error.message).toContain('nothing was changed');
  });

  it('fails when a field is unknown and unlike any, listing the allowed fields', () => {
    const error = rejection({ force: true });
    expect(error.message).toContain('unknown field "force"');
    for (const field of RESTORE_INPUT_FIELDS) expect(error.message).toContain(field);
  });

  it('names an empty field name visibly as "" rather than leaving the field blank', () => {
    const error = rejection({ '': [] });
    expect(error.field).toBe('""');
    expect(error.message).toContain('unknown field ""');
  });

  it('suggests recoveryPoint for recoveryPointId and desiredCountPercent for desired_count_percent', () => {
    expect(rejection({ recoveryPointId: 'latest' }).message).toContain('did you mean "recoveryPoint"?');
    expect(rejection({ desired_count_percent: 50 }).message).toContain('did you mean "desiredCountPercent"?');
  });

  it('fails when dryRun is the string "false", saying it must be a JSON boolean', () => {
    const error = rejection({ dryRun: 'false' });
    expect(error.field).toBe('dryRun');
    expect(error.message).toContain('dryRun must be true or false (a JSON boolean, not a string)');
    expect(error.message).toContain('(got "false")');
  });

  it.each([
    [-1, 'from 0 to 100'],
    [101, 'from 0 to 100'],
    [12.5, 'whole number'],
    ['50', 'whole number'],
  ])('fails when desiredCountPercent is %j', (value, expected) => {
    const error = rejection({ desiredCountPercent: value });
    expect(error.field).toBe('desiredCountPercent');
    expect(error.message).toContain(expected);
  });

  it.each([0, 121, 7.5])('fails when steadyStateTimeoutMinutes is %j', (value) => {
    const error = rejection({ steadyStateTimeoutMinutes: value });
    expect(error.field).toBe('steadyStateTimeoutMinutes');
    expect(error.message).toContain('from 1 to 120');
  });

  it('fails when the recovery point is neither "latest" nor an id, naming how to list them', () => {
    const error = rejection({ recoveryPoint: 'yesterday' });
    expect(error.field).toBe('recoveryPoint');
    expect(error.message).toContain('"latest" or a recovery point id');
    expect(error.message).toContain('lifeboat recovery-points list');
  });

  it('fails when a service pattern has no cluster, suggesting the any-cluster form', () => {
    const error = rejection({ services: ['shop/web', 'api'] });
    expect(error.field).toBe('services[1]');
    expect(error.message).toContain('"cluster/service"');
    expect(error.message).toContain('"*/api"');
  });

  it('fails when services is a single text, showing it wrapped in a list', () => {
    const error = rejection({ services: 'shop/*' });
    expect(error.field).toBe('services');
    expect(error.message).toContain('["shop/*"]');
  });

  it('fails when services is an empty list, saying to omit it to restore everything', () => {
    const error = rejection({ services: [] });
    expect(error.field).toBe('services');
    expect(error.message).toContain('omit the field to restore every service');
  });

  it('fails when an exclude pattern crosses more than one "/"', () => {
    expect(rejection({ exclude: ['shop/web/extra'] }).field).toBe('exclude[0]');
  });

  it.each([
    [null, 'null'],
    [[], 'a list'],
    ['latest', 'the string "latest"'],
  ])('fails when the input is %j and not an object', (raw, kind) => {
    const error = rejection(raw);
    expect(error.field).toBe('(root)');
    expect(error.message).toContain(`must be a JSON object`);
    expect(error.message).toContain(kind);
  });

  it('reports every problem of the input at once', () => {
    const error = rejection({ dryRun: 'no', desiredCountPercent: 500, extra: 1 });
    expect(error.message).toContain('dryRun');
    expect(error.message).toContain('desiredCountPercent');
    expect(error.message).toContain('"extra"');
  });

  it('never throws anything but InvalidRestoreInputError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        try {
          parseRestoreInput(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidRestoreInputError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('isServiceSelected', () => {
  it('selects by "cluster/service" globs that never cross "/"', () => {
    const input = { services: ['shop/*'], exclude: [] };
    expect(isServiceSelected('shop/web', input)).toBe(true);
    expect(isServiceSelected('payments/ledger', input)).toBe(false);
    expect(isServiceSelected('shop/web', { services: ['*'], exclude: [] })).toBe(false);
  });

  it('lets an exclusion win over an inclusion', () => {
    const input = { services: ['*/*'], exclude: ['shop/batch-?'] };
    expect(isServiceSelected('shop/batch-1', input)).toBe(false);
    expect(isServiceSelected('shop/batch-10', input)).toBe(true);
  });
});
