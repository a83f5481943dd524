import { LifeboatError } from '../../kernel/errors';
import type { ErrorKind } from '../../kernel/retry';
import type { ResumeState } from './resume-state';

/** The block failed an integrity check: its data does not hash to the checksum the service sent. */
export class BlockIntegrityError extends LifeboatError {
  constructor(
    public readonly snapshotId: string,
    public readonly blockIndex: number,
    message: string,
  ) {
    super(
      `Block ${blockIndex} of ${snapshotId} failed verification: ${message}. The read is retried; if it keeps failing, the source snapshot is damaged or the data was altered in transit.`,
    );
    this.name = 'BlockIntegrityError';
  }
}

/** A standalone volume's DR copy could not be created as planned (recorded as the volume's failure). */
export class VolumeRestoreError extends LifeboatError {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeRestoreError';
  }
}

/** The DR volume key could not be resolved to the key ARN the EBS direct APIs take. */
export class VolumeKeyError extends LifeboatError {
  constructor(
    public readonly keyId: string,
    public readonly region: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Could not resolve the DR volume key ${keyId} in ${region} to a key ARN (the block engine needs one). ` +
        'Deploy the RecoveryStack (it creates alias/lifeboat-volumes), or set VOLUME_KMS_KEY_ID to the key ARN.',
      options,
    );
    this.name = 'VolumeKeyError';
  }
}

/** A resume state is malformed or belongs to a different replication. */
export class ResumeStateError extends LifeboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResumeStateError';
  }
}

/** The replication options are inconsistent; `option` names the one to fix. */
export class ReplicationOptionsError extends LifeboatError {
  constructor(
    public readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'ReplicationOptionsError';
  }
}

/** Base of the errors that end a replication run before CompleteSnapshot. */
export class BlockReplicationError extends LifeboatError {
  constructor(
    message: string,
    public readonly sourceSnapshotId: string,
    /** Pass as `resume` to continue; undefined when the target snapshot was never started. */
    public readonly resumeState: ResumeState | undefined,
    /** Whether the `checkpoint` callback stored this state (false when there is none or it failed). */
    public readonly checkpointSaved: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BlockReplicationError';
  }

  get targetSnapshotId(): string | undefined {
    return this.resumeState?.targetSnapshotId;
  }
}

/** The run was stopped through its AbortSignal; blocks in flight finished first. */
export class ReplicationInterruptedError extends BlockReplicationError {
  constructor(
    sourceSnapshotId: string,
    resumeState: ResumeState,
    checkpointSaved: boolean,
    public readonly blocksSent: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Replication of ${sourceSnapshotId} into ${resumeState.targetSnapshotId} was interrupted after sending ${blocksSent} blocks in this run. ` +
        "Call replicateSnapshot again with the same source and target and `resume` set to this error's resumeState (or the last checkpoint) " +
        'before the pending target snapshot times out; blocks already written are not sent again.',
      sourceSnapshotId,
      resumeState,
      checkpointSaved,
      options,
    );
    this.name = 'ReplicationInterruptedError';
  }
}

/** A call failed for good (after retries), or a callback threw; see `cause`. */
export class ReplicationFailedError extends BlockReplicationError {
  constructor(
    sourceSnapshotId: string,
    resumeState: ResumeState | undefined,
    checkpointSaved: boolean,
    public readonly operation: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      `Replication of ${sourceSnapshotId}${resumeState ? ` into ${resumeState.targetSnapshotId}` : ''} failed during ${operation} (${reason}). ` +
        (resumeState
          ? "Fix the cause, then call replicateSnapshot again with `resume` set to this error's resumeState; finished blocks are kept."
          : 'No target snapshot was started; fix the cause and run it again.'),
      sourceSnapshotId,
      resumeState,
      checkpointSaved,
      { cause },
    );
    this.name = 'ReplicationFailedError';
  }
}

/** verifyReplica could not finish reading the two snapshots; see `cause`. */
export class VerificationFailedError extends LifeboatError {
  constructor(
    public readonly sourceSnapshotId: string,
    public readonly targetSnapshotId: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      `Verification of replica ${targetSnapshotId} against ${sourceSnapshotId} could not finish (${reason}). ` +
        'Check that both snapshots exist and are completed and that the credentials may read them, then run it again.',
      { cause },
    );
    this.name = 'VerificationFailedError';
  }
}

/** Labels a failure with the step it happened in, so the run's error can name it. */
export class StepError extends LifeboatError {
  constructor(
    public readonly operation: string,
    public override readonly cause: unknown,
  ) {
    super(`${operation} failed`);
    this.name = 'StepError';
  }

  static unwrap(error: unknown, fallback: string): { operation: string; cause: unknown } {
    return error instanceof StepError
      ? { operation: error.operation, cause: error.cause }
      : { operation: fallback, cause: error };
  }
}

const THROTTLING_CODES = new Set([
  'RequestThrottledException',
  'ConcurrentLimitExceededException',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const TRANSIENT_CODES = new Set([
  'InternalServerException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

/** How an EBS direct API failure should be handled: back off, retry, or give up. */
export function classifyEbsError(error: unknown): ErrorKind {
  if (error instanceof BlockIntegrityError) return 'transient';
  if (error === null || typeof error !== 'object') return 'fatal';
  const e = error as ErrorShape;
  if (e.name === 'AbortError') return 'fatal';
  const codes = [e.name, e.code].filter((c): c is string => typeof c === 'string');
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (status === 429 || codes.some((c) => THROTTLING_CODES.has(c)) || e.$retryable?.throttling === true) {
    return 'throttled';
  }
  if ((status !== undefined && status >= 500) || codes.some((c) => TRANSIENT_CODES.has(c)) || e.$retryable) {
    return 'transient';
  }
  return 'fatal';
}
