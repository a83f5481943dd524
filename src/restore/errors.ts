import { LifeboatError } from '../kernel/errors';

/** A restore step failed in a way that stops the whole execution; the message says what to fix. */
export class RestoreError extends LifeboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RestoreError';
  }
}

/** A later step found no plan for its execution in the catalog (`restore-runs/<execution>/plan.json`). */
export class RestoreRunNotFoundError extends RestoreError {
  constructor(
    public readonly key: string,
    bucket: string,
  ) {
    super(
      `The restore plan s3://${bucket}/${key} does not exist; it is written by the Prepare step of the same execution. ` +
        'Start a new execution of the restore workflow instead of redriving this one.',
    );
    this.name = 'RestoreRunNotFoundError';
  }
}

/** The service is not in the plan of this execution, or the plan blocks it. */
export class ServiceNotPlannedError extends RestoreError {
  constructor(
    public readonly service: string,
    reason: string,
  ) {
    super(`Service ${service} ${reason}`);
    this.name = 'ServiceNotPlannedError';
  }
}

/**
 * The restore was about to pass an IAM role to ECS that the recovery point does not name.
 * Lifeboat only passes roles the captured task definitions and services used.
 */
export class RoleNotInRecoveryPointError extends RestoreError {
  constructor(
    public readonly service: string,
    public readonly roles: readonly string[],
  ) {
    super(
      `Service ${service} would pass IAM role(s) ${roles.join(', ')} that recovery point does not name; Lifeboat refuses to pass them. ` +
        'Check mappings in the Lifeboat configuration, or restore from a recovery point that captured these roles.',
    );
    this.name = 'RoleNotInRecoveryPointError';
  }
}

/** RegisterTaskDefinition kept failing (throttled or concurrent registrations of the family). */
export class TaskDefinitionRegistrationError extends RestoreError {
  constructor(
    public readonly family: string,
    attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Could not register task definition family ${family} after ${attempts} attempts (throttled or concurrent registrations); run the restore again.`,
      options,
    );
    this.name = 'TaskDefinitionRegistrationError';
  }
}

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
