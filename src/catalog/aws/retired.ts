import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode } from '../../aws/errors';
import { CatalogError } from '../errors';
import { RETIRED_PREFIX, retiredKey } from '../keys';
import { type RetiredRecord, retiredRecordSchema } from '../retired';
import { listPages } from './listing';

/** Retention's records of deleted recovery points whose snapshots are still to delete (`retired/`). */
export class RetiredRecords {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    private readonly opts: { readonly kmsKeyId?: string } = {},
  ) {}

  async put(record: RetiredRecord): Promise<void> {
    const body = retiredRecordSchema.parse(record);
    await this.call(`write ${retiredKey(record.recoveryPointId)}`, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: retiredKey(record.recoveryPointId),
          Body: JSON.stringify(body),
          ContentType: 'application/json',
          ...(this.opts.kmsKeyId
            ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.opts.kmsKeyId, BucketKeyEnabled: true }
            : {}),
        }),
      ),
    );
  }

  /** Every record; one that does not parse is returned in `damaged` (its key), never dropped silently. */
  async list(): Promise<{ records: RetiredRecord[]; damaged: string[] }> {
    const records: RetiredRecord[] = [];
    const damaged: string[] = [];
    const pages = listPages(this.s3, { bucket: this.bucket, prefix: RETIRED_PREFIX }, (error) =>
      this.fail('list retired recovery points', error),
    );
    for await (const page of pages) {
      for (const object of page.objects) {
        if (!object.Key) continue;
        const key = object.Key;
        const res = await this.call(`read ${key}`, () =>
          this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
        );
        const text = (await res.Body?.transformToString('utf-8')) ?? '';
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          damaged.push(key);
          continue;
        }
        const parsed = retiredRecordSchema.safeParse(raw);
        if (parsed.success) records.push(parsed.data);
        else damaged.push(key);
      }
    }
    return { records, damaged };
  }

  async remove(recoveryPointId: string): Promise<void> {
    await this.call(`delete ${retiredKey(recoveryPointId)}`, () =>
      this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: retiredKey(recoveryPointId) })),
    );
  }

  private async call<T>(action: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      this.fail(action, error);
    }
  }

  private fail(action: string, error: unknown): never {
    throw new CatalogError(
      `Could not ${action} in catalog bucket "${this.bucket}" (${awsErrorCode(error)}).`,
      this.bucket,
      {
        cause: error,
      },
    );
  }
}
