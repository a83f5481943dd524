import { LifeboatError } from '../kernel/errors';

/** A backup step was invoked with an event that does not name a recovery point. */
export class BackupEventError extends LifeboatError {
  constructor(message: string) {
    super(message);
    this.name = 'BackupEventError';
  }
}
