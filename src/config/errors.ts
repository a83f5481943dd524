import { LifeboatError } from '../kernel/errors';

/** The configuration is invalid; `key` names the offending setting. */
export class ConfigError extends LifeboatError {
  constructor(
    message: string,
    public readonly key: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The restore handlers' environment is missing or invalid (`variable` names it). */
export class RestoreSettingsError extends LifeboatError {
  constructor(
    message: string,
    public readonly variable: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RestoreSettingsError';
  }
}
