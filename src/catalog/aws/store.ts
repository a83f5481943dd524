import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { attemptsOf, awsErrorCode, httpStatusOf } from '../../aws/errors';
import { canonicalJson, openManifest } from '../checksum';
import {
  CatalogBucketNotFoundError,
  CatalogError,
  ManifestError,
  PartialRecoveryPointError,
  RecoveryPointExistsError,
  RecoveryPointNotFoundError,
} from '../errors';
import {
  parseRecoveryPointKey,
  RECOVERY_POINT_PREFIX,
  REPORT_PREFIX,
  type RecoveryPointStatus,
  recoveryPointKey,
  recoveryPointTime,
  stagingKey,
} from '../keys';
import { type Manifest, recoveryPointIdSchema } from '../manifest';

/** Reads of an object body retried after a connection lost mid-body. */
const BODY_READ_ATTEMPTS = 3;

/** One committed recovery point as listed from the catalog (no manifest read). */
export interface RecoveryPointSummary {
  readonly id: string;
  readonly status: RecoveryPointStatus;
  /** Creation time (ISO 8601), from the id. */
  readonly createdAt: string;
  /** Object key of the manifest in the catalog bucket. */
  readonly key: string;
  readonly sizeBytes?: number;
}

export interface CatalogStoreOptions {
  /** KMS key (id, ARN or alias) for SSE-KMS on every object written. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
}

export interface ListRecoveryPointsOptions {
  /** At most this many, newest first. @default - all */
  readonly limit?: number;
  /** Only recovery points with this status. @default - any status */
  readonly status?: RecoveryPointStatus;
}

export interface GetRecoveryPointOptions {
  /** Accept a partial recovery point (by id, or as "latest"). @default false */
  readonly allowPartial?: boolean;
}

const LIST_PAGE_MAX = 1000;
const JSON_CONTENT_TYPE = 'application/json';

/**
 * The recovery point catalog in the DR region's bucket (key layout in `catalog/keys.ts`).
 * Manifests are written once, sealed, by a single conditional PUT; reads verify the checksum.
 */
export class CatalogStore {
  constructor(
    private readonly s3: S3Client,
    public readonly bucket: string,
    private readonly opts: CatalogStoreOptions = {},
  ) {}

  /**
   * Commits a sealed manifest under `recovery-points/…<id>.<status>.json` with one PutObject
   * carrying `If-None-Match: *`, so an existing manifest is never overwritten. Returns the key.
   */
  async commit(manifest: Manifest): Promise<string> {
    const text = canonicalJson(manifest);
    // Refuse to write what a reader would reject (unsealed, altered after sealing, bad schema).
    openManifest(text, manifest.id);
    const key = recoveryPointKey(manifest.id, manifest.status);
    try {
      await this.s3.send(new PutObjectCommand({ ...this.putInput(key, text), IfNoneMatch: '*' }));
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 412 || status === 409 || awsErrorCode(error) === 'PreconditionFailed') {
        // A connection lost after S3 stored the manifest makes the SDK retry the PUT, and the
        // retry fails its own If-None-Match: the same bytes under the key are this commit.
        if (attemptsOf(error) > 1 && (await this.readText(key)) === text) return key;
        throw new RecoveryPointExistsError(this.bucket, manifest.id, key, { cause: error });
      }
      throw this.translate(error, `commit recovery point ${manifest.id}`);
    }
    return key;
  }

  /** Committed recovery points, newest first, from as few ListObjectsV2 pages as the limit needs. */
  async list(opts: ListRecoveryPointsOptions = {}): Promise<RecoveryPointSummary[]> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    if (limit !== Number.POSITIVE_INFINITY && (!Number.isInteger(limit) || limit < 1)) {
      throw new RangeError(`limit must be a positive integer (got ${limit})`);
    }
    const found: RecoveryPointSummary[] = [];
    let token: string | undefined;
    do {
      const maxKeys = opts.status ? LIST_PAGE_MAX : Math.min(LIST_PAGE_MAX, limit - found.length);
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: RECOVERY_POINT_PREFIX,
            MaxKeys: maxKeys,
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        throw this.translate(error, 'list recovery points');
      }
      for (const object of page.Contents ?? []) {
        const parsed = object.Key ? parseRecoveryPointKey(object.Key) : undefined;
        if (!parsed || !object.Key || (opts.status && parsed.status !== opts.status)) continue;
        found.push({
          id: parsed.id,
          status: parsed.status,
          createdAt: recoveryPointTime(parsed.id).toISOString(),
          key: object.Key,
          ...(object.Size !== undefined ? { sizeBytes: object.Size } : {}),
        });
        if (found.length >= limit) return found;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  /**
   * Reads and verifies one recovery point: `"latest"` is the newest complete one (newest of any
   * status with `allowPartial`). Throws RecoveryPointNotFoundError, PartialRecoveryPointError,
   * ManifestError or ChecksumMismatchError.
   */
  async get(idOrLatest: string, opts: GetRecoveryPointOptions = {}): Promise<Manifest> {
    const allowPartial = opts.allowPartial ?? false;
    if (idOrLatest === 'latest') return this.getLatest(allowPartial);
    if (!recoveryPointIdSchema.safeParse(idOrLatest).success) {
      throw new RecoveryPointNotFoundError(
        idOrLatest,
        `"${idOrLatest}" is not a recovery point id (they look like rp-20260101T000000000Z-abc123). ` +
          'List recovery points with `lifeboat recovery-points list` and pass one of their ids, or "latest".',
      );
    }
    const id = idOrLatest;
    const complete = await this.readText(recoveryPointKey(id, 'complete'));
    if (complete !== undefined) return this.verify(complete, id, 'complete');
    const partialKey = recoveryPointKey(id, 'partial');
    if (!allowPartial) {
      if (await this.exists(partialKey)) throw new PartialRecoveryPointError(id);
      throw new RecoveryPointNotFoundError(id);
    }
    const partial = await this.readText(partialKey);
    if (partial === undefined) throw new RecoveryPointNotFoundError(id);
    return this.verify(partial, id, 'partial');
  }

  /**
   * Deletes a committed recovery point (retention): one DeleteObject on its manifest key, as
   * `list` returned it. Under Object Lock this adds a delete marker: readers no longer see the
   * recovery point, and the locked version stays until its retention ends.
   */
  async delete(recoveryPoint: Pick<RecoveryPointSummary, 'id' | 'key'>): Promise<void> {
    if (parseRecoveryPointKey(recoveryPoint.key)?.id !== recoveryPoint.id) {
      throw new CatalogError(
        `"${recoveryPoint.key}" is not the manifest key of recovery point ${recoveryPoint.id}; pass a summary from list().`,
        this.bucket,
      );
    }
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: recoveryPoint.key }));
    } catch (error) {
      throw this.translate(error, `delete recovery point ${recoveryPoint.id}`);
    }
  }

  /** Writes one part of a running backup's work (overwrites: a retried step rewrites its part). */
  async putStaging(recoveryPointId: string, part: string, body: unknown): Promise<string> {
    const key = stagingKey(recoveryPointId, part);
    try {
      await this.s3.send(new PutObjectCommand(this.putInput(key, JSON.stringify(body))));
    } catch (error) {
      throw this.translate(error, `write staging part ${part} of ${recoveryPointId}`);
    }
    return key;
  }

  /** Reads one staged part; undefined when it was never written. */
  async getStaging(recoveryPointId: string, part: string): Promise<unknown> {
    const key = stagingKey(recoveryPointId, part);
    const text = await this.readText(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new CatalogError(
        `Staging part s3://${this.bucket}/${key} is not valid JSON; re-run the backup to rewrite it.`,
        this.bucket,
        { cause },
      );
    }
  }

  /** Writes a restore report under `restore-reports/` (use `reportKey()` for the key). */
  async putReport(key: string, body: unknown): Promise<void> {
    if (!key.startsWith(REPORT_PREFIX)) {
      throw new CatalogError(
        `Report key "${key}" must start with "${REPORT_PREFIX}"; build it with reportKey().`,
        this.bucket,
      );
    }
    try {
      await this.s3.send(new PutObjectCommand(this.putInput(key, JSON.stringify(body))));
    } catch (error) {
      throw this.translate(error, `write report ${key}`);
    }
  }

  private async getLatest(allowPartial: boolean): Promise<Manifest> {
    const [newest] = await this.list(allowPartial ? { limit: 1 } : { limit: 1, status: 'complete' });
    if (!newest) {
      const [anyStatus] = allowPartial ? [] : await this.list({ limit: 1 });
      throw new RecoveryPointNotFoundError(
        'latest',
        anyStatus
          ? `The catalog s3://${this.bucket} has no complete recovery point; the newest is ${anyStatus.id} (partial). ` +
              'Pass allowPartial: true (CLI: --allow-partial) to use it, or run a backup.'
          : `The catalog s3://${this.bucket} has no recovery points yet. Run a backup first (\`lifeboat backup\`).`,
      );
    }
    const text = await this.readText(newest.key);
    if (text === undefined) throw new RecoveryPointNotFoundError(newest.id);
    return this.verify(text, newest.id, newest.status);
  }

  private verify(text: string, id: string, keyStatus: RecoveryPointStatus): Manifest {
    const manifest = openManifest(text, id);
    if (manifest.status !== keyStatus) {
      throw new ManifestError(
        `Recovery point ${id} is stored as ${keyStatus} but its manifest says ${manifest.status}; ` +
          'the catalog was altered: restore from another recovery point.',
        id,
      );
    }
    return manifest;
  }

  private putInput(key: string, body: string): PutObjectCommandInput {
    return {
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentType: JSON_CONTENT_TYPE,
      ...(this.opts.kmsKeyId
        ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.opts.kmsKeyId, BucketKeyEnabled: true }
        : {}),
    };
  }

  private async readText(key: string): Promise<string | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      let res: GetObjectCommandOutput;
      try {
        res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (error) {
        if (isMissingKey(error)) return undefined;
        throw this.translate(error, `read s3://${this.bucket}/${key}`);
      }
      try {
        return (await res.Body?.transformToString('utf-8')) ?? '';
      } catch (error) {
        // The SDK retries the request, not the body read after it: a connection lost mid-body
        // lands here. Catalog objects are never rewritten, so reading again is safe.
        if (attempt >= BODY_READ_ATTEMPTS) throw this.translate(error, `read s3://${this.bucket}/${key}`);
      }
    }
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissingKey(error)) return false;
      throw this.translate(error, `check s3://${this.bucket}/${key}`);
    }
  }

  private translate(error: unknown, action: string): Error {
    if (awsErrorCode(error) === 'NoSuchBucket') {
      return new CatalogBucketNotFoundError(this.bucket, { cause: error });
    }
    return new CatalogError(
      `Could not ${action} in catalog bucket "${this.bucket}" (${awsErrorCode(error)}). ` +
        'Check that the credentials may use the bucket and its KMS key.',
      this.bucket,
      { cause: error },
    );
  }
}

function isMissingKey(error: unknown): boolean {
  const code = awsErrorCode(error);
  // HeadObject has no body, so a missing key there is a bare 404 ("NotFound").
  return (
    code === 'NoSuchKey' || code === 'NotFound' || (httpStatusOf(error) === 404 && code !== 'NoSuchBucket')
  );
}

/**
 * Creates the catalog bucket when it is missing, with versioning and default encryption
 * (SSE-KMS with `kmsKeyId`, else SSE-S3). For local runs against the emulator only: in AWS the
 * RecoveryStack owns the bucket. Returns true when it created the bucket.
 */
export async function ensureCatalogBucket(
  s3: S3Client,
  bucket: string,
  region: string,
  opts: { readonly kmsKeyId?: string } = {},
): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (error) {
    if (httpStatusOf(error) !== 404) {
      throw new CatalogError(`Could not check catalog bucket "${bucket}" (${awsErrorCode(error)}).`, bucket, {
        cause: error,
      });
    }
  }
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
    }),
  );
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: opts.kmsKeyId
              ? { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: opts.kmsKeyId }
              : { SSEAlgorithm: 'AES256' },
            BucketKeyEnabled: opts.kmsKeyId !== undefined,
          },
        ],
      },
    }),
  );
  return true;
}
