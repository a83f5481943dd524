import { LifeboatError } from '../kernel/errors';

/** A backup step was invoked with an event that does not name a recovery point. */
export class BackupEventError extends LifeboatError {
  constructor(message: string) {
    super(message);
    this.name = 'BackupEventError';
  }
}

/** A staged part of a running backup is missing or not valid. */
export class StagingError extends LifeboatError {
  constructor(
    message: string,
    public readonly recoveryPointId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StagingError';
  }
}
