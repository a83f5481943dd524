import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode, httpStatusOf } from '../../aws/errors';
import { RestoreError, RestoreRunNotFoundError } from '../../restore/errors';
import type { RestorePlan } from '../../restore/plan';

/** What Prepare stores for the later steps of the same execution. */
export interface RestoreRun {
  readonly executionName: string;
  readonly startedAt: string;
  readonly plan: RestorePlan;
  /** Every IAM role ARN the recovery point names: the only roles the restore passes to ECS. */
  readonly allowedRoles: string[];
}

/** What PrepareShared made, for the service restores. */
export interface SharedResources {
  /** Source EFS access point id → the DR access point made (or found) for it. */
  readonly accessPoints: Record<string, string>;
  /** Shared resources that could not be prepared: `resource` → reason. Services needing them fail. */
  readonly failures: Record<string, string>;
  readonly clustersCreated: string[];
  readonly logGroupsCreated: string[];
}

export class RunStore {
  private readonly cache = new Map<string, unknown>();

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    private readonly opts: { readonly kmsKeyId?: string } = {},
  ) {}

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
      throw new RestoreError(
        `Could not write s3://${this.bucket}/${key} (${awsErrorCode(error)}); check the restore role may write the catalog and use its KMS key.`,
        { cause: error },
      );
    }
    this.cache.set(key, body);
  }

  /** Reads a JSON document; cached per container (the documents of a run never change). */
  async get<T>(key: string): Promise<T> {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached as T;
    let text: string;
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = (await res.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (httpStatusOf(error) === 404 || awsErrorCode(error) === 'NoSuchKey') {
        throw new RestoreRunNotFoundError(key, this.bucket);
      }
      throw new RestoreError(
        `Could not read s3://${this.bucket}/${key} (${awsErrorCode(error)}); check the restore role may read the catalog.`,
        { cause: error },
      );
    }
    const parsed = JSON.parse(text) as T;
    if (this.cache.size > 32) this.cache.clear();
    this.cache.set(key, parsed);
    return parsed;
  }
}
