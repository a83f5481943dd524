/**
 * Errors raised by the pure core. Each carries a stable `name` (used as the Step Functions
 * error name and the CLI's exit mapping) and a message that says what to fix.
 */
export class LifeboatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LifeboatError';
  }
}
