import { describe, expect, it } from 'vitest';
import { failoverInputRequest, parseInputDocument, restoreInputOf } from '../../../src/cli/restore-input';
import { InvalidRestoreInputError } from '../../../src/restore/errors';

const RP = 'rp-20260101T000000000Z-abc123';

describe('restoreInputOf: one workflow input from --input and the flags', () => {
  it('without a document or flags is a failover of every service of the latest recovery point', () => {
    expect(restoreInputOf(undefined, { wait: true })).toMatchObject({
      recoveryPoint: 'latest',
      services: ['*/*'],
      exclude: [],
      dryRun: false,
      desiredCountPercent: 100,
      allowPartial: false,
      waitForSteadyState: true,
      steadyStateTimeoutMinutes: 15,
      continueOnWaveFailure: false,
      adopt: [],
      promoteFileSystems: false,
    });
  });

  it('maps every flag to its field', () => {
    const input = restoreInputOf(undefined, {
      recoveryPoint: RP,
      services: ['shop/*'],
      exclude: ['shop/batch'],
      desiredCountPercent: 50,
      allowPartial: true,
      promoteFileSystems: true,
      continueOnWaveFailure: true,
      adopt: ['shop/api'],
      wait: false,
      steadyStateTimeout: 3,
      comment: 'INC-1',
    });
    expect(input).toEqual({
      recoveryPoint: RP,
      services: ['shop/*'],
      exclude: ['shop/batch'],
      dryRun: false,
      desiredCountPercent: 50,
      allowPartial: true,
      promoteFileSystems: true,
      continueOnWaveFailure: true,
      adopt: ['shop/api'],
      waitForSteadyState: false,
      steadyStateTimeoutMinutes: 3,
      comment: 'INC-1',
    });
  });

  it('keeps the fields of the document that no flag overrides, and flags given win', () => {
    const document = {
      recoveryPoint: RP,
      services: ['payments/*'],
      desiredCountPercent: 0,
      waitForSteadyState: false,
      Comment: 'from the console',
      adopt: ['payments/api'],
    };
    const kept = restoreInputOf(document, { wait: true });
    expect(kept).toMatchObject({
      recoveryPoint: RP,
      services: ['payments/*'],
      desiredCountPercent: 0,
      waitForSteadyState: false,
      comment: 'from the console',
      adopt: ['payments/api'],
    });
    const overridden = restoreInputOf(document, {
      services: ['shop/web'],
      desiredCountPercent: 100,
      comment: 'flag',
      adopt: ['shop/web'],
    });
    expect(overridden).toMatchObject({
      recoveryPoint: RP,
      services: ['shop/web'],
      desiredCountPercent: 100,
      comment: 'flag',
      adopt: ['shop/web'],
    });
  });

  it('ignores the dryRun of the document: the input is the failover that would run', () => {
    expect(restoreInputOf({ dryRun: true }, {}).dryRun).toBe(false);
    expect(failoverInputRequest({ dryRun: 'yes' }, {})).toEqual({ dryRun: false });
  });

  it('refuses invalid fields with parseRestoreInput message, naming the field', () => {
    expect(() => restoreInputOf({ desiredCountPercent: 150 }, {})).toThrow(
      /desiredCountPercent must be a whole number/,
    );
    expect(() => restoreInputOf({ sevices: ['a/b'] }, {})).toThrow(/did you mean "services"/);
    expect(() => restoreInputOf(['a/b'], {})).toThrow(InvalidRestoreInputError);
    expect(() => restoreInputOf(undefined, { desiredCountPercent: 0, promoteFileSystems: true })).toThrow(
      /a drill \(desiredCountPercent 0\)/,
    );
  });

  it('parseInputDocument refuses text that is not JSON, naming where it came from', () => {
    expect(parseInputDocument('{"services": ["shop/*"]}', 'in.json')).toEqual({ services: ['shop/*'] });
    expect(() => parseInputDocument('{services:', 'in.json')).toThrow(
      /Invalid restore input in in\.json \(nothing was changed\): it is not JSON/,
    );
  });
});
