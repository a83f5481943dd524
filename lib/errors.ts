import { LifeboatError } from '../src/core/errors';

/**
 * A construct was given props it cannot build (raised at synth time). `constructPath` names the
 * construct; the message says which prop is wrong and what a valid value looks like.
 */
export class InfrastructureError extends LifeboatError {
  constructor(
    message: string,
    public readonly constructPath: string,
  ) {
    super(`${constructPath}: ${message}`);
    this.name = 'InfrastructureError';
  }
}
