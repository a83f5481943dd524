import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { awsErrorCode, awsErrorMessage, httpStatusOf } from '../../aws/errors';
import { mapConcurrent } from '../../kernel/concurrency';
import { CatalogBucketNotFoundError, PinError, RecoveryPointNotFoundError } from '../errors';
import { parseRecoveryPointKey, recoveryPointKeyPrefix } from '../keys';
import {
  mergePin,
  PIN_PREFIX,
  type Pin,
  type PinInput,
  type PinRecord,
  parsePin,
  parsePinKey,
  pinKey,
  samePin,
} from '../pins';
import { listPages } from './listing';
import { isMissingKey, type ObjectText, readObjectText } from './read-text';

/** Read-merge-write rounds of `pin` before giving up on a pin that keeps changing under it. */
const PIN_WRITE_ATTEMPTS = 5;
/** Pin records read at once by `list`. */
const READ_CONCURRENCY = 8;

/**
 * What became of the legal hold on the recovery point's manifest: set (`on`) or released
 * (`off`); `no-object-lock` when the bucket has no Object Lock (nothing to hold);
 * `no-manifest` when the manifest is gone (unpin of a deleted recovery point).
 */
export type LegalHoldOutcome = 'on' | 'off' | 'no-object-lock' | 'no-manifest';

export interface PinResult {
  /** The record as stored after this pin. */
  readonly record: PinRecord;
  /** True when the recovery point was not pinned before. */
  readonly created: boolean;
  /** False when the stored record already held this execution and these services (nothing written). */
  readonly changed: boolean;
  /** Key of the recovery point's manifest. */
  readonly manifestKey: string;
  readonly legalHold: LegalHoldOutcome;
}

/**
 * The pins of recovery points in use (`pins/<id>.json` in the catalog bucket, see
 * `catalog/pins.ts`). Pinning also puts an Object Lock legal hold on the recovery point's
 * manifest, and unpinning releases it, when the bucket has Object Lock.
 */
export class PinStore {
  constructor(
    private readonly s3: S3Client,
    public readonly bucket: string,
    private readonly opts: { readonly kmsKeyId?: string } = {},
  ) {}

  /**
   * Pins a committed recovery point (read-merge-write: executions and services are added to
   * those already pinned; pinning again with the same ones writes nothing) and puts a legal
   * hold on its manifest. Concurrent pins of one point do not lose each other's entries (each
   * write is conditional on the record it merged). Throws RecoveryPointNotFoundError when no
   * manifest of the point is committed, PinError when S3 refuses.
   */
  async pin(recoveryPointId: string, input: PinInput = {}): Promise<PinResult> {
    const key = pinKey(recoveryPointId);
    const manifestKey = await this.manifestKey(recoveryPointId);
    if (manifestKey === undefined) throw new RecoveryPointNotFoundError(recoveryPointId);
    let result: { record: PinRecord; created: boolean; changed: boolean } | undefined;
    for (let attempt = 1; result === undefined; attempt += 1) {
      const stored = await this.read(key, recoveryPointId);
      const existing = stored ? parsePin(stored.text, recoveryPointId, stored.lastModified) : undefined;
      const record = mergePin(existing, recoveryPointId, input);
      if (samePin(existing, record)) {
        result = { record, created: false, changed: false };
        break;
      }
      const conditional = stored?.etag ? { IfMatch: stored.etag } : { IfNoneMatch: '*' };
      try {
        await this.s3.send(new PutObjectCommand({ ...this.putInput(key, record), ...conditional }));
        result = { record, created: stored === undefined, changed: true };
      } catch (error) {
        // Another writer changed (or created) the pin since it was read: merge again. An SDK
        // retry of a PUT that S3 had stored lands here too, and the next round finds it written.
        if (!isConditionFailed(error) || attempt >= PIN_WRITE_ATTEMPTS) {
          throw this.translate(error, recoveryPointId, `write the pin s3://${this.bucket}/${key}`);
        }
      }
    }
    const legalHold = await this.legalHold(recoveryPointId, manifestKey, 'ON');
    return { ...result, manifestKey, legalHold };
  }

  /** The pin of a recovery point (damaged records included); undefined when it is not pinned. */
  async get(recoveryPointId: string): Promise<Pin | undefined> {
    const stored = await this.read(pinKey(recoveryPointId), recoveryPointId);
    return stored ? parsePin(stored.text, recoveryPointId, stored.lastModified) : undefined;
  }

  /**
   * Every pin, newest recovery point first. A record that does not parse is listed `damaged`,
   * pinned with no services: it still protects its recovery point.
   */
  async list(): Promise<Pin[]> {
    const found: { id: string; key: string }[] = [];
    const pages = listPages(this.s3, { bucket: this.bucket, prefix: PIN_PREFIX }, (error) => {
      throw this.translate(error, '', 'list the pins');
    });
    for await (const page of pages) {
      for (const object of page.objects) {
        const id = object.Key ? parsePinKey(object.Key) : undefined;
        if (id && object.Key) found.push({ id, key: object.Key });
      }
    }
    const pins = await mapConcurrent(found, READ_CONCURRENCY, async ({ id, key }) => {
      const stored = await this.read(key, id);
      // Unpinned between the list and the read.
      return stored ? parsePin(stored.text, id, stored.lastModified) : undefined;
    });
    return pins
      .filter((p): p is Pin => p !== undefined)
      .sort((a, b) => (a.recoveryPointId < b.recoveryPointId ? 1 : -1));
  }

  /**
   * Releases the legal hold on the manifest, then removes the pin (DeleteObject). Returns true
   * when the recovery point was pinned; false (and nothing changed) when it was not. When either
   * step fails the pin record stays, so the point stays pinned and `unpin` can be run again.
   */
  async unpin(recoveryPointId: string): Promise<boolean> {
    const key = pinKey(recoveryPointId);
    const stored = await this.read(key, recoveryPointId);
    if (stored === undefined) return false;
    const manifestKey = await this.manifestKey(recoveryPointId);
    if (manifestKey !== undefined) await this.legalHold(recoveryPointId, manifestKey, 'OFF');
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw this.translate(error, recoveryPointId, `delete the pin s3://${this.bucket}/${key}`);
    }
    return true;
  }

  /** The committed manifest of a recovery point (complete before partial), by its key prefix. */
  private async manifestKey(recoveryPointId: string): Promise<string | undefined> {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: recoveryPointKeyPrefix(recoveryPointId),
          MaxKeys: 10,
        }),
      );
    } catch (error) {
      throw this.translate(error, recoveryPointId, `find recovery point ${recoveryPointId}`);
    }
    const keys = (page.Contents ?? [])
      .map((o) => o.Key)
      .filter((k): k is string => k !== undefined && parseRecoveryPointKey(k)?.id === recoveryPointId);
    return keys.find((k) => k.endsWith('.complete.json')) ?? keys[0];
  }

  private async legalHold(
    recoveryPointId: string,
    manifestKey: string,
    status: 'ON' | 'OFF',
  ): Promise<LegalHoldOutcome> {
    try {
      await this.s3.send(
        new PutObjectLegalHoldCommand({
          Bucket: this.bucket,
          Key: manifestKey,
          LegalHold: { Status: status },
        }),
      );
      return status === 'ON' ? 'on' : 'off';
    } catch (error) {
      // S3 answers InvalidRequest ("Bucket is missing Object Lock Configuration") on a bucket
      // without Object Lock: there is nothing to hold, the pin record alone protects the point.
      if (awsErrorCode(error) === 'InvalidRequest') return 'no-object-lock';
      if (isMissingKey(error)) return 'no-manifest';
      throw this.translate(
        error,
        recoveryPointId,
        `turn the legal hold ${status} on s3://${this.bucket}/${manifestKey}`,
      );
    }
  }

  private putInput(key: string, record: PinRecord) {
    return {
      Bucket: this.bucket,
      Key: key,
      Body: `${JSON.stringify(record, null, 2)}\n`,
      ContentType: 'application/json',
      ...(this.opts.kmsKeyId
        ? {
            ServerSideEncryption: 'aws:kms' as const,
            SSEKMSKeyId: this.opts.kmsKeyId,
            BucketKeyEnabled: true,
          }
        : {}),
    };
  }

  /** The stored record with its ETag (one response, so they match); undefined when there is none. */
  private async read(key: string, recoveryPointId: string): Promise<ObjectText | undefined> {
    return readObjectText(this.s3, { bucket: this.bucket, key }, (error) => {
      throw this.translate(error, recoveryPointId, `read the pin s3://${this.bucket}/${key}`);
    });
  }

  private translate(error: unknown, recoveryPointId: string, action: string): Error {
    if (awsErrorCode(error) === 'NoSuchBucket')
      return new CatalogBucketNotFoundError(this.bucket, { cause: error });
    return new PinError(
      `Could not ${action} (${awsErrorCode(error)}: ${awsErrorMessage(error)}). Check that the credentials may ` +
        `read and write ${PIN_PREFIX}* in the catalog bucket "${this.bucket}", put legal holds on its recovery ` +
        'points (s3:PutObjectLegalHold) and use its KMS key.',
      this.bucket,
      recoveryPointId,
      { cause: error },
    );
  }
}

function isConditionFailed(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status === 412 || status === 409 || awsErrorCode(error) === 'PreconditionFailed';
}
