import { LifeboatError } from '../kernel/errors';

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

/** No SDK client class is registered or loadable for `service` (a bundle that does not carry it). */
export class UnknownClientClassError extends LifeboatError {
  constructor(
    message: string,
    public readonly service: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnknownClientClassError';
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

/** Node's codes for a request that got no HTTP answer (refused, reset, unroutable, no DNS, timed out). */
const NO_ANSWER_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The SDK's names for a call that timed out before an answer (its http handler, or the service's own). */
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** Throttling answers, whatever their status: a region that throttles is a region that answers. */
const THROTTLING_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottledException',
  'SlowDown',
]);

/**
 * True when the service did not answer: a network error or timeout (no HTTP response at all),
 * or a 5xx server error that is not throttling. Seen after the SDK's retries (AwsClients retries
 * both), this is what an unavailable region looks like. Everything else is an answer, whatever
 * it says: AccessDenied, validation, NotFound and throttling that outlived the retries come from
 * a region that is up, so a caller must not treat them as an outage.
 */
export function isUnreachable(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const e = error as ServiceErrorLike;
  const code = awsErrorCode(error);
  if (THROTTLING_CODES.has(code)) return false;
  const status = httpStatusOf(error);
  if (status !== undefined) return status >= 500 && status <= 599;
  if (typeof e.code === 'string' && NO_ANSWER_CODES.has(e.code)) return true;
  return TIMEOUT_NAMES.has(code);
}
