import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { awsErrorCode, awsErrorMessage, httpStatusOf } from '../../aws/errors';
import { CatalogBucketNotFoundError, FailoverInProgressError, LeaseError } from '../errors';
import { decideLease, FAILOVER_LEASE_KEY, type LeaseRecord, parseLease } from '../lease';
import { type ObjectText, readObjectText } from './read-text';

/** Read-decide-write rounds before giving up on a lease that keeps changing under it. */
const LEASE_WRITE_ATTEMPTS = 5;

/** Whether the execution holding the lease has ended; false when that cannot be told. */
export type HolderEnded = (holder: LeaseRecord) => Promise<boolean>;

/**
 * The holder's status from Step Functions (DescribeExecution on its ARN): ended unless RUNNING.
 * An answer that does not come (no ARN, denied, throttled) is "not known to have ended": the
 * lease then waits for its expiry.
 */
export function stepFunctionsHolderEnded(sfn: SFNClient): HolderEnded {
  return async (holder) => {
    if (!holder.executionArn) return false;
    try {
      const res = await sfn.send(new DescribeExecutionCommand({ executionArn: holder.executionArn }));
      return res.status !== undefined && res.status !== 'RUNNING';
    } catch {
      return false;
    }
  };
}

export interface AcquiredLease {
  readonly record: LeaseRecord;
  /** How the lease was free: `free`, `released`, `expired (held by …)`, `damaged record`, or `renewed`. */
  readonly how: string;
}

/**
 * The failover lease in the catalog bucket (see `src/catalog/lease.ts`): taken with conditional
 * writes, so of two executions racing for it exactly one wins and the other is refused with
 * FailoverInProgressError naming the winner.
 */
export class LeaseStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    private readonly opts: { readonly kmsKeyId?: string } = {},
  ) {}

  /**
   * Takes the lease for `execution` until `now + durationMs`, or extends it when the execution
   * holds it already. Throws FailoverInProgressError when another execution holds it and it has
   * not expired; LeaseError when S3 refuses.
   */
  async acquire(
    execution: string,
    recoveryPointId: string,
    durationMs: number,
    now: Date,
    opts: { readonly executionArn?: string; readonly holderEnded?: HolderEnded } = {},
  ): Promise<AcquiredLease> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.read();
      const current = stored ? parseLease(stored.text) : undefined;
      let decision = decideLease(current, execution, now);
      if (decision.action === 'refuse' && opts.holderEnded && (await opts.holderEnded(decision.holder))) {
        decision = decideLease(current, execution, now, true);
      }
      if (decision.action === 'refuse') throw new FailoverInProgressError(this.bucket, decision.holder);
      const record: LeaseRecord = {
        execution,
        ...(opts.executionArn ? { executionArn: opts.executionArn } : {}),
        recoveryPointId,
        acquiredAt:
          decision.action === 'renew' && current && current !== 'damaged'
            ? current.acquiredAt
            : now.toISOString(),
        expiresAt: new Date(now.getTime() + durationMs).toISOString(),
      };
      const written = await this.write(record, stored?.etag, attempt);
      if (written) return { record, how: decision.action === 'renew' ? 'renewed' : decision.reason };
    }
  }

  /**
   * Gives the lease back when `execution` holds it: true when released by this call, false when
   * another execution holds it (or nobody), which is then left as it is.
   */
  async release(execution: string, now: Date): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.read();
      const current = stored ? parseLease(stored.text) : undefined;
      if (!stored || current === undefined || current === 'damaged' || current.execution !== execution)
        return false;
      if (current.releasedAt !== undefined) return false;
      if (await this.write({ ...current, releasedAt: now.toISOString() }, stored.etag, attempt)) return true;
    }
  }

  /** The lease as stored; undefined when there is none. */
  async get(): Promise<LeaseRecord | 'damaged' | undefined> {
    const stored = await this.read();
    return stored ? parseLease(stored.text) : undefined;
  }

  /** One conditional write: false when the record changed since it was read (read and decide again). */
  private async write(record: LeaseRecord, etag: string | undefined, attempt: number): Promise<boolean> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: FAILOVER_LEASE_KEY,
          Body: `${JSON.stringify(record, null, 2)}\n`,
          ContentType: 'application/json',
          ...(etag ? { IfMatch: etag } : { IfNoneMatch: '*' }),
          ...(this.opts.kmsKeyId
            ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.opts.kmsKeyId, BucketKeyEnabled: true }
            : {}),
        }),
      );
      return true;
    } catch (error) {
      // Another execution wrote the lease since it was read: decide again on what it wrote. An
      // SDK retry of a PUT that S3 had stored lands here too; the next round finds it ours.
      if (isConditionFailed(error) && attempt < LEASE_WRITE_ATTEMPTS) return false;
      throw this.translate(error, 'write');
    }
  }

  private read(): Promise<ObjectText | undefined> {
    return readObjectText(this.s3, { bucket: this.bucket, key: FAILOVER_LEASE_KEY }, (error) => {
      throw this.translate(error, 'read');
    });
  }

  private translate(error: unknown, operation: 'read' | 'write'): Error {
    if (awsErrorCode(error) === 'NoSuchBucket')
      return new CatalogBucketNotFoundError(this.bucket, { cause: error });
    return new LeaseError(
      `Could not ${operation} the failover lease s3://${this.bucket}/${FAILOVER_LEASE_KEY} (${awsErrorCode(error)}: ${awsErrorMessage(error)}). ` +
        'Check that the restore roles may read and write the catalog and use its KMS key; nothing was changed in the DR region.',
      this.bucket,
      { cause: error },
    );
  }
}

function isConditionFailed(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status === 412 || status === 409 || awsErrorCode(error) === 'PreconditionFailed';
}
