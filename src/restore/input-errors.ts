import { LifeboatError } from '../kernel/errors';

/**
 * The restore workflow's input was rejected before anything was touched. `field` names the
 * first offending field (`(root)` when the input is not an object). The name is the Step
 * Functions error name of the validation step.
 */
export class InvalidRestoreInputError extends LifeboatError {
  constructor(
    message: string,
    public readonly field: string,
  ) {
    super(message);
    this.name = 'InvalidRestoreInputError';
  }
}

/** The restore input's service patterns match no service in the recovery point. */
export class NoServicesSelectedError extends LifeboatError {
  constructor(
    public readonly recoveryPointId: string,
    public readonly patterns: readonly string[],
    public readonly available: readonly string[],
    public readonly exclude: readonly string[] = [],
  ) {
    const shown = available.slice(0, 10);
    const more = available.length > shown.length ? ` and ${available.length - shown.length} more` : '';
    const selection = `"services": ${JSON.stringify(patterns)}${exclude.length > 0 ? ` with "exclude": ${JSON.stringify(exclude)}` : ''}`;
    super(
      available.length === 0
        ? `Recovery point ${recoveryPointId} holds no services; restore from a recovery point that captured some (check the backup's selection tags).`
        : `No service in recovery point ${recoveryPointId} matches ${selection}. ` +
            `Available: ${shown.join(', ')}${more}. Use "cluster/service" patterns (globs * and ? match within one name), e.g. ["${shown[0]}"] or ["*/*"].`,
    );
    this.name = 'NoServicesSelectedError';
  }
}

/**
 * The recovery point cannot be restored with this input into this region/account: it is
 * partial and `allowPartial` is false, or it was written for another DR region or account.
 */
export class RecoveryPointUnusableError extends LifeboatError {
  constructor(
    public readonly recoveryPointId: string,
    public readonly reason: 'partial' | 'region' | 'account',
    message: string,
  ) {
    super(message);
    this.name = 'RecoveryPointUnusableError';
  }
}
