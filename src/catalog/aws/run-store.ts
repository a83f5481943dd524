import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode, httpStatusOf } from '../../aws/errors';
import { RunDocumentError, RunDocumentNotFoundError } from '../errors';

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
   * Reads a JSON document; cached per container (the documents of a run never change). Throws
   * RunDocumentNotFoundError when there is none, RunDocumentError when S3 refuses the read.
   */
  async get<T>(key: string): Promise<T> {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached as T;
    let text: string;
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = (await res.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (httpStatusOf(error) === 404 || awsErrorCode(error) === 'NoSuchKey') {
        throw new RunDocumentNotFoundError(this.bucket, key, { cause: error });
      }
      throw new RunDocumentError(this.bucket, key, 'read', awsErrorCode(error), { cause: error });
    }
    const parsed = JSON.parse(text) as T;
    if (this.cache.size > 32) this.cache.clear();
    this.cache.set(key, parsed);
    return parsed;
  }
}
