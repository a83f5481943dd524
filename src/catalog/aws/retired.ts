import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode } from '../../aws/errors';
import { mapConcurrent } from '../../kernel/concurrency';
import { CatalogError } from '../errors';
import { RETIRED_PREFIX, retiredKey } from '../keys';
import { type RetiredRecord, retiredRecordSchema } from '../retired';
import { listPages } from './listing';
import { readObjectText } from './read-text';

/** Records read at once by `list`. */
const READ_CONCURRENCY = 8;

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

  /**
   * Every record, in key order (read `READ_CONCURRENCY` at once, each read again when its body is
   * cut); one that does not parse is returned in `damaged` (its key), never dropped silently.
   */
  async list(): Promise<{ records: RetiredRecord[]; damaged: string[] }> {
    const keys: string[] = [];
    const pages = listPages(this.s3, { bucket: this.bucket, prefix: RETIRED_PREFIX }, (error) =>
      this.fail('list retired recovery points', error),
    );
    for await (const page of pages) {
      for (const object of page.objects) if (object.Key) keys.push(object.Key);
    }
    const read = await mapConcurrent(keys, READ_CONCURRENCY, (key) =>
      readObjectText(this.s3, { bucket: this.bucket, key }, (error) => this.fail(`read ${key}`, error)),
    );
    const records: RetiredRecord[] = [];
    const damaged: string[] = [];
    keys.forEach((key, i) => {
      const stored = read[i];
      // Removed between the list and the read: its snapshots are gone.
      if (stored === undefined) return;
      const parsed = retiredRecordSchema.safeParse(parseJson(stored.text));
      if (parsed.success) records.push(parsed.data);
      else damaged.push(key);
    });
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

/** The JSON value of `text`; undefined when it is not JSON (the schema then refuses it). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
