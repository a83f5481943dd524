import { LifeboatError } from '../kernel/errors';

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

/** An AWS API answered without a member it must return; `operation` names the call. */
export class UnexpectedResponseError extends LifeboatError {
  constructor(
    public readonly operation: string,
    message: string,
  ) {
    super(`${operation} returned an unexpected response: ${message}`);
    this.name = 'UnexpectedResponseError';
  }
}

interface ServiceErrorLike {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/** The AWS error code of an SDK error (`ThrottlingException`, `NoSuchKey`, …), or the error's name. */
export function awsErrorCode(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const e = error as ServiceErrorLike;
    for (const candidate of [e.name, e.Code, e.code]) {
      if (typeof candidate === 'string' && candidate !== '' && candidate !== 'Error') return candidate;
    }
  }
  return 'UnknownError';
}

/** The error's message, for recording in a manifest; never the whole error object. */
export function awsErrorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (error !== null && typeof error === 'object') {
    const message = (error as ServiceErrorLike).message;
    if (typeof message === 'string' && message) return message;
  }
  return String(error);
}

/** HTTP status of an SDK service error, when the service answered. */
export function httpStatusOf(error: unknown): number | undefined {
  if (error !== null && typeof error === 'object') {
    return (error as ServiceErrorLike).$metadata?.httpStatusCode;
  }
  return undefined;
}

/** Attempts the SDK made before this error (1 when the call was not retried). */
export function attemptsOf(error: unknown): number {
  if (error !== null && typeof error === 'object') {
    return (error as ServiceErrorLike).$metadata?.attempts ?? 1;
  }
  return 1;
}

/**
 * True when the local emulator (an endpoint override is set: `emulated`) answered with its
 * HTML "not found"/"server error" page, which is how moto says it does not implement an API.
 * Against AWS this is never true, so a real error is never mistaken for a missing API.
 */
export function isEmulatorMissingApi(error: unknown, emulated: boolean): boolean {
  const status = httpStatusOf(error);
  if (!emulated || (status !== 404 && status !== 500)) return false;
  const headers = (error as { $response?: { headers?: Record<string, string | undefined> } }).$response
    ?.headers;
  return (headers?.['content-type'] ?? '').startsWith('text/html');
}
