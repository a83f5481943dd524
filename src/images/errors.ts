import { LifeboatError } from '../kernel/errors';

/** An image reference (or the parts of one) that is not well formed. */
export class InvalidImageReferenceError extends LifeboatError {
  constructor(
    public readonly reference: string,
    problem: string,
  ) {
    super(`Image reference "${reference}" is not valid: ${problem}.`);
    this.name = 'InvalidImageReferenceError';
  }
}

/** A manifest that Lifeboat cannot copy (not JSON, an unknown type, a malformed descriptor). */
export class ImageManifestError extends LifeboatError {
  constructor(
    message: string,
    public readonly digest?: string,
  ) {
    super(message);
    this.name = 'ImageManifestError';
  }
}

/** An image could not be copied to the DR registry; `code` is recorded in the manifest. */
export class ImageCopyError extends LifeboatError {
  constructor(
    public readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImageCopyError';
  }
}
