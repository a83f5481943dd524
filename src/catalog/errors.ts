import { LifeboatError } from '../kernel/errors';

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

/** A manifest carries no signature (written before catalogs were signed, or stripped). */
export class UnsignedManifestError extends ManifestError {
  constructor(recoveryPointId: string) {
    super(
      `Recovery point ${recoveryPointId} is not signed, so nothing proves this deployment's backup wrote it. ` +
        'Restore from a signed recovery point (every backup since catalogs are signed), or run a backup now.',
      recoveryPointId,
    );
    this.name = 'UnsignedManifestError';
  }
}

/** A manifest's signature does not verify with the catalog's signing key: forged or altered. */
export class SignatureMismatchError extends ManifestError {
  constructor(recoveryPointId: string, keyId: string, options?: { cause?: unknown }) {
    super(
      `Recovery point ${recoveryPointId} failed signature verification with ${keyId}: it was not written by this ` +
        "deployment's backup, or was altered after. Do not restore from it; restore from another recovery point " +
        'and investigate who wrote it (S3 server access logs of the catalog).',
      recoveryPointId,
      options,
    );
    this.name = 'SignatureMismatchError';
  }
}

/** The signing key could not be used (missing, disabled, access denied). */
export class SigningKeyError extends LifeboatError {
  constructor(
    message: string,
    public readonly keyId: string,
    public readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SigningKeyError';
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

/** A catalog bucket operation failed; `bucket` names the bucket in the DR region. */
export class CatalogError extends LifeboatError {
  constructor(
    message: string,
    public readonly bucket: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CatalogError';
  }
}

/** The catalog bucket does not exist (or is not visible with these credentials). */
export class CatalogBucketNotFoundError extends CatalogError {
  constructor(bucket: string, options?: { cause?: unknown }) {
    super(
      `Catalog bucket "${bucket}" does not exist. Deploy the RecoveryStack to the DR region ` +
        '(it creates the bucket), or check CATALOG_BUCKET and the credentials in use.',
      bucket,
      options,
    );
    this.name = 'CatalogBucketNotFoundError';
  }
}

/** A manifest with this key is already committed; recovery points are never overwritten. */
export class RecoveryPointExistsError extends CatalogError {
  constructor(
    bucket: string,
    public readonly recoveryPointId: string,
    public readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Recovery point ${recoveryPointId} is already committed at s3://${bucket}/${key}; committed recovery points ` +
        'are never overwritten. Capture again to create a new recovery point.',
      bucket,
      options,
    );
    this.name = 'RecoveryPointExistsError';
  }
}

/** The requested recovery point is partial and the caller did not accept partial ones. */
export class PartialRecoveryPointError extends LifeboatError {
  constructor(public readonly recoveryPointId: string) {
    super(
      `Recovery point ${recoveryPointId} is partial: some resources failed to be captured (see its "errors"). ` +
        'Pass allowPartial: true (CLI: --allow-partial) to use it anyway, or choose a complete recovery point.',
    );
    this.name = 'PartialRecoveryPointError';
  }
}

/** A JSON document of a workflow run could not be read or written; `code` is the AWS error code. */
export class RunDocumentError extends CatalogError {
  constructor(
    bucket: string,
    public readonly key: string,
    public readonly operation: 'read' | 'write',
    public readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not ${operation} s3://${bucket}/${key} (${code}).`, bucket, options);
    this.name = 'RunDocumentError';
  }
}

/** A JSON document of a workflow run is not in the catalog (it was never written there). */
export class RunDocumentNotFoundError extends CatalogError {
  constructor(
    bucket: string,
    public readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`s3://${bucket}/${key} does not exist.`, bucket, options);
    this.name = 'RunDocumentNotFoundError';
  }
}

/** A pin of a recovery point (`pins/<id>.json`, or its manifest's legal hold) could not be read or written. */
export class PinError extends CatalogError {
  constructor(
    message: string,
    bucket: string,
    public readonly recoveryPointId: string,
    options?: { cause?: unknown },
  ) {
    super(message, bucket, options);
    this.name = 'PinError';
  }
}

/** Another restore execution holds the failover lease: this one changes nothing. */
export class FailoverInProgressError extends CatalogError {
  constructor(
    bucket: string,
    public readonly holder: {
      readonly execution: string;
      readonly recoveryPointId: string;
      readonly acquiredAt: string;
      readonly expiresAt: string;
    },
  ) {
    super(
      `Another failover is running: execution ${holder.execution} (recovery point ${holder.recoveryPointId}) has held the failover lease since ${holder.acquiredAt}. ` +
        'Nothing was changed by this execution. Wait for that one to finish (its restore report says what it did), ' +
        `or stop it (aws stepfunctions stop-execution); a stopped or crashed execution's lease expires at ${holder.expiresAt}, after which a new failover resumes its work.`,
      bucket,
    );
    this.name = 'FailoverInProgressError';
  }
}

/** The failover lease (`leases/failover.json`) could not be read or written. */
export class LeaseError extends CatalogError {
  constructor(message: string, bucket: string, options?: { cause?: unknown }) {
    super(message, bucket, options);
    this.name = 'LeaseError';
  }
}
