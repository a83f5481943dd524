import { LifeboatError } from '../kernel/errors';

/** The demo fleet could not be seeded; the message says which resource and what to do. */
export class SeedError extends LifeboatError {
  constructor(
    message: string,
    public readonly region?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SeedError';
  }
}
