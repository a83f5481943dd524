import { LifeboatError } from '../kernel/errors';

/** A restore step failed in a way that stops the whole execution; the message says what to fix. */
export class RestoreError extends LifeboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RestoreError';
  }
}

/** The restore handlers' environment is missing or invalid (`variable` names it). */
export class RestoreSettingsError extends RestoreError {
  constructor(
    message: string,
    public readonly variable: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RestoreSettingsError';
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
