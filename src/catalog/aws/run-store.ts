import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode } from '../../aws/errors';
import { RunDocumentError, RunDocumentNotFoundError } from '../errors';
import { readObjectText } from './read-text';

/**
 * The JSON documents a workflow execution keeps in the catalog for its later steps
 * (`restore-runs/<execution>/<part>.json`, see `restoreRunKey`). What a document holds is the
 * caller's business; the store writes and reads JSON, and caches what it wrote or read.
 */
export class RunStore {
  private readonly cache = new Map<string, unknown>();

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    private readonly opts: { readonly kmsKeyId?: string } = {},
  ) {}

  /** Writes a JSON document; throws RunDocumentError when S3 refuses it. */
  async put(key: string, body: unknown): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: JSON.stringify(body),
          ContentType: 'application/json',
          ...(this.opts.kmsKeyId
            ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.opts.kmsKeyId, BucketKeyEnabled: true }
            : {}),
        }),
      );
    } catch (error) {
      throw new RunDocumentError(this.bucket, key, 'write', awsErrorCode(error), { cause: error });
    }
    this.cache.set(key, body);
  }

  /**
   * Reads a JSON document; cached per container (the documents of a run never change). A body
   * cut mid-read is read again (`readObjectText`). Throws RunDocumentNotFoundError when there is
   * none, RunDocumentError when S3 refuses the read or cuts the body on every attempt.
   */
  async get<T>(key: string): Promise<T> {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached as T;
    const stored = await readObjectText(this.s3, { bucket: this.bucket, key }, (error) => {
      throw new RunDocumentError(this.bucket, key, 'read', awsErrorCode(error), { cause: error });
    });
    if (stored === undefined) throw new RunDocumentNotFoundError(this.bucket, key);
    const parsed = JSON.parse(stored.text) as T;
    if (this.cache.size > 32) this.cache.clear();
    this.cache.set(key, parsed);
    return parsed;
  }
}
