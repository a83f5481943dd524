import { LifeboatError } from '../../kernel/errors';
import type { ResumeState } from './blocks';

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
