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

/**
 * A failed Lambda step's message: Step Functions gives its cause as the Lambda's JSON error
 * (`{"errorType", "errorMessage", "trace"}`); the local engine gives the message itself.
 */
export function stepErrorMessage(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed = JSON.parse(cause) as unknown;
    if (parsed !== null && typeof parsed === 'object') {
      const message = (parsed as Record<string, unknown>).errorMessage;
      if (typeof message === 'string') return message;
    }
  } catch {
    // Not JSON: the message itself.
  }
  return cause;
}

/** The backup workflow ended without committing a recovery point. */
export class BackupExecutionError extends ExecutionEndedError {
  constructor(executionArn: string, status: string, error: string | undefined, cause: string | undefined) {
    const nothingSelected = error === 'NothingToBackUpError';
    super(
      'backup',
      executionArn,
      status,
      error,
      stepErrorMessage(cause)?.replace(/\.$/, ''),
      nothingSelected
        ? 'No snapshot was started.'
        : 'No recovery point was committed; fix the cause and run `lifeboat backup` again (snapshots it started are removed by retention).',
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
function unreachable(error: unknown, profile?: ProfileInUse): { message: string } | undefined {
  const credentials = findInCauses(error, isCredentialsError);
  if (credentials !== undefined) {
    const { name, message } = shape(credentials);
    const reason = `(${String(name)}: ${String(message)})`;
    if (profile === undefined) {
      return {
        message: `AWS refused or could not find the credentials of the default credential chain ${reason}; no profile was named (--profile, AWS_PROFILE). Configure the default chain (\`aws configure list\` shows it) or pass --profile <name>.`,
      };
    }
    const named = `profile "${profile.name}" (from ${profile.from})`;
    return {
      message: `AWS refused or could not find the credentials of ${named} ${reason}. Check it with \`aws configure list --profile ${profile.name}\` (for IAM Identity Center: \`aws sso login --profile ${profile.name}\`), or name another with --profile.`,
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

/** The answer of the service an SDK error carries (set by its deserializer on a parse failure). */
interface AnsweredResponse {
  readonly statusCode?: unknown;
  readonly headers?: Record<string, unknown>;
}

function answeredResponse(error: unknown): AnsweredResponse | undefined {
  const response = (shape(error) as { $response?: unknown }).$response;
  return response !== null && typeof response === 'object' ? (response as AnsweredResponse) : undefined;
}

/**
 * The SDK could not read the answer as the service's protocol: a JSON or XML parse failure (the SDK
 * adds "Deserialization error" to such messages), or an answer that is an HTML page.
 */
function isDeserializationError(error: unknown): boolean {
  const { name, message } = shape(error);
  if (name === 'SyntaxError') return true;
  if (typeof message === 'string' && message.includes('Deserialization error')) return true;
  const contentType = answeredResponse(error)?.headers?.['content-type'];
  return typeof contentType === 'string' && contentType.toLowerCase().startsWith('text/html');
}

/** Exit 4 when something answered at the endpoint, but not as AWS does (a web server, a proxy, a login page). */
function notAws(error: unknown, endpoint: string | undefined): { message: string } | undefined {
  const found = findInCauses(error, isDeserializationError);
  if (found === undefined) return undefined;
  const response = answeredResponse(found);
  const firstLine = String(shape(found).message ?? '').split('\n')[0] ?? '';
  const what = [
    response?.statusCode !== undefined ? `HTTP ${String(response.statusCode)}` : undefined,
    typeof response?.headers?.['content-type'] === 'string' ? response.headers['content-type'] : undefined,
    `${String(shape(found).name)}: ${firstLine.length > 120 ? `${firstLine.slice(0, 120)}…` : firstLine}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  const where = endpoint !== undefined ? `the endpoint ${endpoint}` : 'the AWS endpoint';
  return {
    message: `${where} answered, but not as AWS does (${what}); check --endpoint / AWS_ENDPOINT_URL (and any proxy in between).`,
  };
}

/**
 * Maps any thrown value to its exit code and message, at the edge of the CLI.
 *
 * @param context.endpoint the `--endpoint` (or AWS_ENDPOINT_URL) the run used, named in the message
 *   when the answer there was not AWS's
 */
/** The named profile whose credentials a run used, and where its name came from. */
export interface ProfileInUse {
  readonly name: string;
  readonly from: '--profile' | 'AWS_PROFILE';
}

export function describeError(
  error: unknown,
  context: { readonly endpoint?: string; readonly profile?: ProfileInUse } = {},
): ErrorOutcome {
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
        `The catalog bucket ${error.bucket} does not exist, so there is no recovery point yet. ` +
        'Run `lifeboat backup` first (with --endpoint it creates the catalog there; commands that only read ' +
        'create nothing); in AWS, deploy the RecoveryStack to the DR region (it creates the bucket). ' +
        'Or check "account" and "drRegion" in the configuration, --dr-region and --profile.',
      expected: true,
    };
  }
  if (error instanceof CatalogError) {
    const answeredNotAws = notAws(error, context.endpoint);
    if (answeredNotAws !== undefined) {
      return {
        exitCode: ExitCode.Unreachable,
        name,
        message: `${message} ${answeredNotAws.message}`,
        expected: true,
      };
    }
    const credentials = unreachable(error, context.profile);
    if (credentials === undefined) return { exitCode: ExitCode.Failed, name, message, expected: true };
    return {
      exitCode: ExitCode.Unreachable,
      name,
      message: `${message} ${credentials.message}`,
      expected: true,
    };
  }
  if (error instanceof EndpointUnreachableError || error instanceof AwsAccessError) {
    return { exitCode: ExitCode.Unreachable, name, message, expected: true };
  }
  if (error instanceof CliError) return { exitCode: ExitCode.Failed, name, message, expected: true };
  const access = unreachable(error, context.profile) ?? notAws(error, context.endpoint);
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
  1  the operation failed or is incomplete (a partial recovery point, nothing to back up)
  2  bad arguments, input or configuration, or no catalog yet for a command that only reads
  3  recovery point not found
  4  endpoint or AWS unreachable, an answer not as AWS gives, or credentials refused
  5  RPO exceeded, or no complete recovery point (lifeboat status)

Set LIFEBOAT_DEBUG=1 to print stack traces.`;
