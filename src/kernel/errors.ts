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

/** A recovery point manifest failed schema validation or its checksum. */
export class ManifestError extends LifeboatError {
  constructor(
    message: string,
    public readonly recoveryPointId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ManifestError';
  }
}

/** The checksum recorded in a manifest does not match its content. */
export class ChecksumMismatchError extends ManifestError {
  constructor(recoveryPointId: string, expected: string, actual: string) {
    super(
      `Recovery point ${recoveryPointId} failed verification: recorded SHA-256 ${expected} but content hashes to ${actual}. ` +
        'The manifest was altered after it was written; restore from another recovery point.',
      recoveryPointId,
    );
    this.name = 'ChecksumMismatchError';
  }
}

/** No recovery point matches the requested id (or the catalog is empty for "latest"). */
export class RecoveryPointNotFoundError extends LifeboatError {
  constructor(
    public readonly recoveryPointId: string,
    message?: string,
  ) {
    super(
      message ??
        `Recovery point "${recoveryPointId}" does not exist in the catalog. List recovery points with \`lifeboat recovery-points list\` and pass one of their ids, or "latest".`,
    );
    this.name = 'RecoveryPointNotFoundError';
  }
}
