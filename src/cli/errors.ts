import {
  CatalogBucketNotFoundError,
  CatalogError,
  ChecksumMismatchError,
  ManifestError,
  PartialRecoveryPointError,
  RecoveryPointNotFoundError,
} from '../catalog/errors';
import { ConfigError } from '../config/errors';
import { LifeboatError } from '../kernel/errors';
import {
  InvalidRestoreInputError,
  NoServicesSelectedError,
  RecoveryPointUnusableError,
} from '../restore/errors';

/** Exit codes of the `lifeboat` command (documented in `lifeboat --help`). */
export const ExitCode = {
  Ok: 0,
  /** The operation failed or is incomplete (a partial recovery point, a failed restore). */
  Failed: 1,
  /** Bad arguments or configuration. */
  Usage: 2,
  /** The requested recovery point does not exist. */
  NotFound: 3,
  /** The endpoint or AWS could not be reached, or the credentials were refused. */
  Unreachable: 4,
  /** The newest complete recovery point is older than the RPO target (`lifeboat status`). */
  RpoExceeded: 5,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class of errors the CLI raises itself. */
export class CliError extends LifeboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A bad argument, option or configuration file; the message says what to pass instead. */
export class UsageError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** A workflow execution ended without its result (failed, timed out or aborted before its last step). */
export class ExecutionEndedError extends CliError {
  constructor(
    readonly workflow: 'backup' | 'restore',
    readonly executionArn: string,
    readonly status: string,
    readonly error: string | undefined,
    cause: string | undefined,
    whatNow: string,
  ) {
    super(
      `The ${workflow} execution ${executionArn} ended ${status}${error ? ` with ${error}` : ''}${cause ? `: ${cause}` : ''}. ${whatNow}`,
    );
    this.name = 'ExecutionEndedError';
  }
}

/** The backup workflow ended without committing a recovery point. */
export class BackupExecutionError extends ExecutionEndedError {
  constructor(executionArn: string, status: string, error: string | undefined, cause: string | undefined) {
    super(
      'backup',
      executionArn,
      status,
      error,
      cause,
      'No recovery point was committed; fix the cause and run `lifeboat backup` again (snapshots it started are removed by retention).',
    );
    this.name = 'BackupExecutionError';
  }
}

/** The restore execution ended without a restore report (it failed before the Report step, or was stopped). */
export class RestoreExecutionError extends ExecutionEndedError {
  constructor(executionArn: string, status: string, error: string | undefined, cause: string | undefined) {
    super(
      'restore',
      executionArn,
      status,
      error,
      cause,
      'Open it in the Step Functions console for the failing step; nothing after that step was changed.',
    );
    this.name = 'RestoreExecutionError';
  }
}

/** Nothing answers at `--endpoint`. */
export class EndpointUnreachableError extends CliError {
  constructor(
    public readonly endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Nothing answers at ${endpoint}. Start the emulator (or the AWS-compatible service) there, or fix --endpoint.`,
      options,
    );
    this.name = 'EndpointUnreachableError';
  }
}

/** AWS could not be reached or refused the credentials. */
export class AwsAccessError extends CliError {
  constructor(
    message: string,
    public readonly region: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AwsAccessError';
  }
}

/** How an error leaves the process: exit code, one message for people, a stable name for scripts. */
export interface ErrorOutcome {
  readonly exitCode: ExitCodeValue;
  readonly name: string;
  readonly message: string;
  /** True for errors the user can act on from the message alone: no stack trace is shown. */
  readonly expected: boolean;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);
const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'TokenProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
]);

interface ErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $metadata?: unknown;
  readonly cause?: unknown;
}

function shape(error: unknown): ErrorShape {
  return error !== null && typeof error === 'object' ? (error as ErrorShape) : {};
}

/** Errors from outside this code base (SDK, Node) are recognised by their documented names and codes. */
function isNetworkError(error: unknown): boolean {
  const { name, code } = shape(error);
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return name === 'TimeoutError' && shape(error).$metadata === undefined;
}

function isCredentialsError(error: unknown): boolean {
  const { name } = shape(error);
  return typeof name === 'string' && CREDENTIAL_ERRORS.has(name);
}

/** The error itself or the first of its causes that matches. */
function findInCauses(error: unknown, match: (e: unknown) => boolean): unknown {
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = shape(e).cause, depth++) {
    if (match(e)) return e;
  }
  return undefined;
}

/** Exit 4 with what to do, when AWS could not be reached or refused the credentials somewhere in the chain. */
function unreachable(error: unknown): { message: string } | undefined {
  const credentials = findInCauses(error, isCredentialsError);
  if (credentials !== undefined) {
    const { name, message } = shape(credentials);
    return {
      message: `AWS refused or could not find credentials (${String(name)}: ${String(message)}). Configure the default credential chain or pass --profile <name>.`,
    };
  }
  const network = findInCauses(error, isNetworkError);
  if (network !== undefined) {
    return {
      message: `Could not reach AWS (${String(shape(network).message)}). Check the network, the region, or --endpoint.`,
    };
  }
  return undefined;
}

/** Maps any thrown value to its exit code and message, at the edge of the CLI. */
export function describeError(error: unknown): ErrorOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : 'Error';
  if (error instanceof UsageError) return { exitCode: ExitCode.Usage, name, message, expected: true };
  if (error instanceof ConfigError) return { exitCode: ExitCode.Usage, name, message, expected: true };
  if (error instanceof RecoveryPointNotFoundError) {
    return { exitCode: ExitCode.NotFound, name, message, expected: true };
  }
  if (
    error instanceof InvalidRestoreInputError ||
    error instanceof NoServicesSelectedError ||
    error instanceof RecoveryPointUnusableError
  ) {
    return { exitCode: ExitCode.Usage, name, message, expected: true };
  }
  if (error instanceof PartialRecoveryPointError)
    return { exitCode: ExitCode.Usage, name, message, expected: true };
  if (error instanceof ChecksumMismatchError || error instanceof ManifestError) {
    return { exitCode: ExitCode.Failed, name, message, expected: true };
  }
  if (error instanceof CatalogBucketNotFoundError) {
    return {
      exitCode: ExitCode.Usage,
      name,
      message:
        `The catalog bucket ${error.bucket} does not exist. Deploy the RecoveryStack to the DR region (it creates the bucket), ` +
        'or check "account" and "drRegion" in the configuration, --dr-region and --profile.',
      expected: true,
    };
  }
  if (error instanceof CatalogError) {
    const exitCode = unreachable(error) !== undefined ? ExitCode.Unreachable : ExitCode.Failed;
    return { exitCode, name, message, expected: true };
  }
  if (error instanceof EndpointUnreachableError || error instanceof AwsAccessError) {
    return { exitCode: ExitCode.Unreachable, name, message, expected: true };
  }
  if (error instanceof CliError) return { exitCode: ExitCode.Failed, name, message, expected: true };
  const access = unreachable(error);
  if (access !== undefined) {
    return { exitCode: ExitCode.Unreachable, name, message: access.message, expected: true };
  }
  if (shape(error).$metadata !== undefined) {
    // An AWS service answered with an error (AccessDenied, a missing resource…): its message says why.
    return { exitCode: ExitCode.Failed, name, message: `AWS error ${name}: ${message}`, expected: true };
  }
  // Lifeboat's own errors carry messages that say what to fix.
  if (error instanceof LifeboatError) return { exitCode: ExitCode.Failed, name, message, expected: true };
  return { exitCode: ExitCode.Failed, name, message, expected: false };
}

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the operation failed or is incomplete (e.g. a partial recovery point)
  2  bad arguments or configuration
  3  recovery point not found
  4  endpoint or AWS unreachable, or credentials refused
  5  RPO exceeded (lifeboat status)

Set LIFEBOAT_DEBUG=1 to print stack traces.`;
