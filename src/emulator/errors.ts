import { LifeboatError } from '../kernel/errors';

/** The emulator (moto) could not be installed, started or reached; the message says what to do. */
export class EmulatorError extends LifeboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorError';
  }
}
