import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsClients } from '../../aws/clients';
import { attemptsOf, awsErrorCode, httpStatusOf } from '../../aws/errors';
import { canonicalJson, openManifest } from '../checksum';
import {
  CatalogBucketNotFoundError,
  CatalogError,
  ManifestError,
  PartialRecoveryPointError,
  RecoveryPointExistsError,
  RecoveryPointNotFoundError,
  SignatureMismatchError,
  UnsignedManifestError,
} from '../errors';
import {
  parseRecoveryPointKey,
  parseRecoveryPointSummaryKey,
  RECOVERY_POINT_PREFIX,
  REPORT_PREFIX,
  RETIRED_TAG,
  type RecoveryPointCounts,
  type RecoveryPointStatus,
  type RecoveryPointSummaryFields,
  recoveryPointCountsOf,
  recoveryPointKey,
  recoveryPointKeyPrefix,
  recoveryPointSummaryKey,
  recoveryPointTime,
  STAGING_PREFIX,
  SUMMARY_CHECKSUM_LENGTH,
  stagingKey,
} from '../keys';
import { type Manifest, recoveryPointIdSchema } from '../manifest';
import { CATALOG_SIGNING_KEY_ALIAS } from '../names';
import { type ManifestSigner, signingPayload } from '../signature';
import { listPages } from './listing';
import { isMissingKey, readObjectText } from './read-text';
import { KmsManifestSigner } from './signer';

/** One committed recovery point as listed from the catalog (no manifest read). */
export interface RecoveryPointSummary {
  readonly id: string;
  readonly status: RecoveryPointStatus;
  /** Creation time (ISO 8601), from the id. */
  readonly createdAt: string;
  /** Object key of the manifest in the catalog bucket. */
  readonly key: string;
  readonly sizeBytes?: number;
  /**
   * The counts of its summary object, when the listing held exactly one for it (points committed
   * by older versions have none). Not verified: `summaryCheck` compares them with the manifest.
   */
  readonly counts?: RecoveryPointCounts;
  /** Key of that summary object. */
  readonly summaryKey?: string;
}

/** What `summaryCheck` found of a verified manifest's summary object. */
export type SummaryCheck =
  /** No summary object (committed by an older version, or its write failed): nothing to compare. */
  | { readonly state: 'missing' }
  | { readonly state: 'match'; readonly key: string }
  /** A summary that does not say what the manifest says: the catalog was altered. */
  | {
      readonly state: 'mismatch';
      readonly key: string;
      readonly expected: Omit<RecoveryPointSummaryFields, 'id'>;
      readonly found: Omit<RecoveryPointSummaryFields, 'id'>;
    };

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
  /**
   * For "latest": told of each newer recovery point passed over because it could not be read or
   * verified (the previous good one is used). @default - not told
   */
  readonly onSkipped?: (skipped: SkippedRecoveryPoint) => void;
}

/** A recovery point "latest" passed over: it was listed but its manifest did not verify. */
export interface SkippedRecoveryPoint {
  readonly id: string;
  readonly key: string;
  /** The error's name: ManifestError, ChecksumMismatchError, SignatureMismatchError, UnsignedManifestError, or Missing. */
  readonly code: string;
  readonly message: string;
}

/** Newer recovery points "latest" reads and passes over, at most, before it gives up. */
const LATEST_CANDIDATES = 20;

const LIST_PAGE_MAX = 1000;
const JSON_CONTENT_TYPE = 'application/json';

/**
 * The recovery point catalog in the DR region's bucket (key layout in `catalog/keys.ts`).
 * Manifests are written once, sealed and signed (`signer`), by a single conditional PUT; reads
 * verify the checksum and the signature, so only what this deployment's backup wrote is used.
 */
export class CatalogStore {
  constructor(
    private readonly s3: S3Client,
    public readonly bucket: string,
    /** The catalog's signing key: signs at commit, verifies every read. */
    private readonly signer: ManifestSigner,
    private readonly opts: CatalogStoreOptions = {},
  ) {}

  /**
   * Signs a sealed manifest and commits it under `recovery-points/…<id>.<status>.json` with one
   * PutObject carrying `If-None-Match: *`, so an existing manifest is never overwritten, then
   * writes its zero-byte summary object beside it (`recoveryPointSummaryKey`), best effort: the
   * manifest is the commit, and `list` reads the manifest of a point without a summary. Returns
   * the manifest's key.
   */
  async commit(sealed: Manifest): Promise<string> {
    const { signature: _unsigned, ...unsigned } = sealed;
    // Refuse to write what a reader would reject (unsealed, altered after sealing, bad schema).
    openManifest(canonicalJson(unsigned), sealed.id);
    const manifest: Manifest = { ...unsigned, signature: await this.signer.sign(signingPayload(unsigned)) };
    const text = canonicalJson(manifest);
    const key = recoveryPointKey(manifest.id, manifest.status);
    try {
      await this.s3.send(new PutObjectCommand({ ...this.putInput(key, text), IfNoneMatch: '*' }));
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 412 || status === 409 || awsErrorCode(error) === 'PreconditionFailed') {
        // A connection lost after S3 stored the manifest makes the SDK retry the PUT, and the
        // retry fails its own If-None-Match: the same bytes under the key are this commit.
        if (attemptsOf(error) > 1 && (await this.readText(key)) === text) {
          await this.putSummary(manifest);
          return key;
        }
        throw new RecoveryPointExistsError(this.bucket, manifest.id, key, { cause: error });
      }
      throw this.translate(error, `commit recovery point ${manifest.id}`);
    }
    await this.putSummary(manifest);
    return key;
  }

  /**
   * Writes the summary object of a committed manifest (`If-None-Match: *`, like the manifest).
   * Never throws: a summary that could not be written (or that a retried PUT already wrote) costs
   * `list` one manifest read, nothing more.
   */
  private async putSummary(manifest: Manifest): Promise<void> {
    try {
      const key = recoveryPointSummaryKey(summaryFieldsOf(manifest));
      // An empty body gets no Content-Length header from the SDK, which then warns on stderr.
      await this.s3.send(
        new PutObjectCommand({ ...this.putInput(key, ''), ContentLength: 0, IfNoneMatch: '*' }),
      );
    } catch {
      // Best effort by design (see commit): the manifest is committed and stays the truth.
    }
  }

  /**
   * Committed recovery points, newest first, from as few ListObjectsV2 pages as the limit needs;
   * each with the counts of its summary object when the same listing held it (no extra call).
   */
  async list(opts: ListRecoveryPointsOptions = {}): Promise<RecoveryPointSummary[]> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    if (limit !== Number.POSITIVE_INFINITY && (!Number.isInteger(limit) || limit < 1)) {
      throw new RangeError(`limit must be a positive integer (got ${limit})`);
    }
    const found: RecoveryPointSummary[] = [];
    /** Summary keys listed, by `<id>.<status>`. */
    const summaryKeys = new Map<string, string[]>();
    const pages = listPages(
      this.s3,
      {
        bucket: this.bucket,
        prefix: RECOVERY_POINT_PREFIX,
        // Each point has up to two keys (manifest, summary): ask twice what is left.
        maxKeys: () => (opts.status ? LIST_PAGE_MAX : Math.min(LIST_PAGE_MAX, 2 * (limit - found.length))),
      },
      (error) => {
        throw this.translate(error, 'list recovery points');
      },
    );
    for await (const page of pages) {
      for (const object of page.objects) {
        if (!object.Key) continue;
        const summary = parseRecoveryPointSummaryKey(object.Key);
        if (summary) {
          const of = `${summary.id}.${summary.status}`;
          summaryKeys.set(of, [...(summaryKeys.get(of) ?? []), object.Key]);
          continue;
        }
        const parsed = parseRecoveryPointKey(object.Key);
        if (!parsed || (opts.status && parsed.status !== opts.status) || found.length >= limit) continue;
        found.push({
          id: parsed.id,
          status: parsed.status,
          createdAt: recoveryPointTime(parsed.id).toISOString(),
          key: object.Key,
          ...(object.Size !== undefined ? { sizeBytes: object.Size } : {}),
        });
      }
      // The rest of the page is read first: the summary of the last point found sorts after it.
      if (found.length >= limit) break;
    }
    return found.map((point) => {
      const keys = summaryKeys.get(`${point.id}.${point.status}`) ?? [];
      // Two summaries for one point cannot both be right: its manifest is read instead.
      const [only] = keys.length === 1 ? keys : [];
      const summary = only ? parseRecoveryPointSummaryKey(only) : undefined;
      return only && summary ? { ...point, counts: summary.counts, summaryKey: only } : point;
    });
  }

  /**
   * Compares a verified manifest (as `get` returned it) with its summary objects, which `list`
   * takes its counts from: one ListObjectsV2 under the point's key prefix. A summary whose
   * status, counts or checksum prefix differ from the manifest's is a `mismatch` (the catalog was
   * altered); none is `missing` (an older point), which is fine.
   */
  async summaryCheck(manifest: Manifest): Promise<SummaryCheck> {
    const expected = summaryFieldsOf(manifest);
    const summaries = await this.summariesOf(manifest.id);
    const { id: _id, ...wanted } = expected;
    for (const { key, fields } of summaries) {
      const { id: _found, ...found } = fields;
      if (recoveryPointSummaryKey(fields) !== recoveryPointSummaryKey(expected)) {
        return { state: 'mismatch', key, expected: wanted, found };
      }
    }
    const [first] = summaries;
    return first ? { state: 'match', key: first.key } : { state: 'missing' };
  }

  /** The summary objects under one recovery point's key prefix (one ListObjectsV2 page). */
  private async summariesOf(id: string): Promise<{ key: string; fields: RecoveryPointSummaryFields }[]> {
    const summaries: { key: string; fields: RecoveryPointSummaryFields }[] = [];
    const pages = listPages(this.s3, { bucket: this.bucket, prefix: recoveryPointKeyPrefix(id) }, (error) => {
      throw this.translate(error, `list the summary of recovery point ${id}`);
    });
    for await (const page of pages) {
      for (const object of page.objects) {
        const fields = object.Key ? parseRecoveryPointSummaryKey(object.Key) : undefined;
        if (object.Key && fields?.id === id) summaries.push({ key: object.Key, fields });
      }
    }
    return summaries;
  }

  /**
   * Reads and verifies one recovery point: `"latest"` is the newest complete one (newest of any
   * status with `allowPartial`). Throws RecoveryPointNotFoundError, PartialRecoveryPointError,
   * ManifestError or ChecksumMismatchError.
   */
  async get(idOrLatest: string, opts: GetRecoveryPointOptions = {}): Promise<Manifest> {
    const allowPartial = opts.allowPartial ?? false;
    if (idOrLatest === 'latest') return this.getLatest(allowPartial, opts.onSkipped);
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
   * Deletes a committed recovery point on purpose (retention): tags its manifest
   * `lifeboat:retired=true` (the bucket's lifecycle purges old versions of tagged manifests only),
   * then one DeleteObject on its key, as `list` returned it. Under Object Lock this adds a delete
   * marker: readers no longer see the recovery point, and the locked version stays until its lock
   * ends. Then, best effort, the same for its summary object (`summaryKey` as `list` returned it,
   * else those found under the point's key prefix), so no summary outlives its manifest.
   */
  async retire(recoveryPoint: Pick<RecoveryPointSummary, 'id' | 'key' | 'summaryKey'>): Promise<void> {
    if (parseRecoveryPointKey(recoveryPoint.key)?.id !== recoveryPoint.id) {
      throw new CatalogError(
        `"${recoveryPoint.key}" is not the manifest key of recovery point ${recoveryPoint.id}; pass a summary from list().`,
        this.bucket,
      );
    }
    try {
      await this.deleteTagged(recoveryPoint.key);
    } catch (error) {
      throw this.translate(error, `delete recovery point ${recoveryPoint.id}`);
    }
    try {
      const keys = recoveryPoint.summaryKey
        ? [recoveryPoint.summaryKey]
        : (await this.summariesOf(recoveryPoint.id)).map((s) => s.key);
      for (const key of keys) await this.deleteTagged(key);
    } catch {
      // Best effort: the manifest is gone, and list() ignores a summary without its manifest.
    }
  }

  /** Tags an object retired (lifecycle then purges its old version) and deletes it. */
  private async deleteTagged(key: string): Promise<void> {
    await this.s3.send(
      new PutObjectTaggingCommand({
        Bucket: this.bucket,
        Key: key,
        Tagging: { TagSet: [{ Key: RETIRED_TAG.key, Value: RETIRED_TAG.value }] },
      }),
    );
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /**
   * Until when the current version of a recovery point's manifest is locked (Object Lock);
   * undefined when it carries no lock (a bucket without Object Lock).
   */
  async lockedUntil(recoveryPoint: Pick<RecoveryPointSummary, 'id' | 'key'>): Promise<Date | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: recoveryPoint.key }));
      return head.ObjectLockRetainUntilDate;
    } catch (error) {
      throw this.translate(error, `read the lock of recovery point ${recoveryPoint.id}`);
    }
  }

  /**
   * Locks a recovery point's manifest until `until` (PutObjectRetention): retention extends the
   * lock of the points it keeps, so a point kept longer than the bucket's default lock stays locked.
   */
  async extendLock(
    recoveryPoint: Pick<RecoveryPointSummary, 'id' | 'key'>,
    mode: 'GOVERNANCE' | 'COMPLIANCE',
    until: Date,
  ): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectRetentionCommand({
          Bucket: this.bucket,
          Key: recoveryPoint.key,
          Retention: { Mode: mode, RetainUntilDate: until },
        }),
      );
    } catch (error) {
      throw this.translate(error, `extend the lock of recovery point ${recoveryPoint.id}`);
    }
  }

  /** Ids of the recovery points that have staging objects (`staging/<id>/`), committed or not. */
  async stagedIds(): Promise<string[]> {
    const ids: string[] = [];
    const pages = listPages(
      this.s3,
      { bucket: this.bucket, prefix: STAGING_PREFIX, delimiter: '/' },
      (error) => {
        throw this.translate(error, 'list staged backups');
      },
    );
    for await (const page of pages) {
      for (const prefix of page.prefixes) {
        const id = prefix.Prefix?.slice(STAGING_PREFIX.length, -1);
        if (id && recoveryPointIdSchema.safeParse(id).success) ids.push(id);
      }
    }
    return ids;
  }

  /** Deletes every staging object of one recovery point (an uncommitted run's leftovers). Returns how many. */
  async deleteStaging(recoveryPointId: string): Promise<number> {
    const prefix = `${STAGING_PREFIX}${recoveryPointId}/`;
    const fail = (error: unknown): never => {
      throw this.translate(error, `delete the staging objects of ${recoveryPointId}`);
    };
    let deleted = 0;
    for await (const page of listPages(this.s3, { bucket: this.bucket, prefix }, fail)) {
      for (const object of page.objects) {
        if (!object.Key) continue;
        await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: object.Key })).catch(fail);
        deleted += 1;
      }
    }
    return deleted;
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

  /**
   * The newest recovery point that verifies: candidates are read newest first (by the time in
   * their id, which the signature covers), and one that is missing, damaged, unsigned or forged is
   * passed over (`onSkipped`) for the one before it.
   */
  private async getLatest(
    allowPartial: boolean,
    onSkipped?: (skipped: SkippedRecoveryPoint) => void,
  ): Promise<Manifest> {
    const candidates = await this.list(
      allowPartial ? { limit: LATEST_CANDIDATES } : { limit: LATEST_CANDIDATES, status: 'complete' },
    );
    const skipped: SkippedRecoveryPoint[] = [];
    for (const candidate of candidates) {
      const text = await this.readText(candidate.key);
      try {
        if (text === undefined) throw new RecoveryPointNotFoundError(candidate.id);
        return await this.verify(text, candidate.id, candidate.status);
      } catch (error) {
        if (!(error instanceof ManifestError) && !(error instanceof RecoveryPointNotFoundError)) throw error;
        const entry: SkippedRecoveryPoint = {
          id: candidate.id,
          key: candidate.key,
          code: error instanceof RecoveryPointNotFoundError ? 'Missing' : error.name,
          message: error.message,
        };
        skipped.push(entry);
        onSkipped?.(entry);
      }
    }
    const newest = candidates[0];
    if (newest) {
      throw new RecoveryPointNotFoundError(
        'latest',
        `None of the newest ${candidates.length} ${allowPartial ? '' : 'complete '}recovery points in s3://${this.bucket} verifies ` +
          `(${skipped.map((s) => `${s.id}: ${s.code}`).join('; ')}). Restore one by id after checking it, or run a backup.`,
      );
    }
    const [anyStatus] = allowPartial ? [] : await this.list({ limit: 1 });
    throw new RecoveryPointNotFoundError(
      'latest',
      anyStatus
        ? `The catalog s3://${this.bucket} has no complete recovery point; the newest is ${anyStatus.id} (partial). ` +
            'Pass allowPartial: true (CLI: --allow-partial) to use it, or run a backup.'
        : `The catalog s3://${this.bucket} has no recovery points yet. Run a backup first (\`lifeboat backup\`).`,
    );
  }

  /** Schema, checksum, status against the key, then the signature (one VerifyMac); returns it unsigned. */
  private async verify(text: string, id: string, keyStatus: RecoveryPointStatus): Promise<Manifest> {
    const manifest = openManifest(text, id);
    if (manifest.status !== keyStatus) {
      throw new ManifestError(
        `Recovery point ${id} is stored as ${keyStatus} but its manifest says ${manifest.status}; ` +
          'the catalog was altered: restore from another recovery point.',
        id,
      );
    }
    const { signature, ...verified } = manifest;
    if (!signature) throw new UnsignedManifestError(id);
    if (!(await this.signer.verify(signingPayload(manifest), signature))) {
      throw new SignatureMismatchError(id, this.signer.keyId);
    }
    // The signature is the catalog's business: callers get the manifest as it was sealed.
    return verified;
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

  /** An object's text (read again when its body is cut); undefined when the key does not exist. */
  private async readText(key: string): Promise<string | undefined> {
    const read = await readObjectText(this.s3, { bucket: this.bucket, key }, (error) => {
      throw this.translate(error, `read s3://${this.bucket}/${key}`);
    });
    return read?.text;
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

/** What the summary object of a manifest records of it. */
function summaryFieldsOf(manifest: Manifest): RecoveryPointSummaryFields {
  return {
    id: manifest.id,
    status: manifest.status,
    counts: recoveryPointCountsOf(manifest),
    checksumPrefix: manifest.checksum.value.slice(0, SUMMARY_CHECKSUM_LENGTH),
  };
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

/** Where a catalog is and how its objects are written. */
export interface CatalogAccess {
  /** Region of the catalog (the DR region). */
  readonly region: string;
  readonly bucket: string;
  /** KMS key for SSE-KMS on every object written. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** The catalog's signing key (alias or ARN). @default CATALOG_SIGNING_KEY_ALIAS */
  readonly signingKeyId?: string;
}

/** The catalog store at `access`, signing and verifying with its signing key through KMS. */
export function catalogStoreFor(clients: AwsClients, access: CatalogAccess): CatalogStore {
  return new CatalogStore(
    clients.s3(access.region),
    access.bucket,
    new KmsManifestSigner(() => clients.kms(access.region), access.signingKeyId ?? CATALOG_SIGNING_KEY_ALIAS),
    access.kmsKeyId ? { kmsKeyId: access.kmsKeyId } : {},
  );
}
