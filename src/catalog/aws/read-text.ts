import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode, httpStatusOf } from '../../aws/errors';

/** Reads of an object body, in all, when the connection is lost mid-body. */
export const BODY_READ_ATTEMPTS = 3;

/** An object's body as text, with the ETag and LastModified of the response it came in. */
export interface ObjectText {
  readonly text: string;
  readonly etag?: string;
  readonly lastModified?: Date;
}

/**
 * The body of `s3://bucket/key` as UTF-8 text; undefined when there is no such key. The SDK
 * retries a request that failed, not the read of a body whose connection broke after the
 * headers: that read is made again with a new GetObject, up to `BODY_READ_ATTEMPTS` in all, so
 * the text and its ETag always come from one whole response. `onError` turns an S3 error (the
 * request refused, or the body cut on every attempt) into the caller's own; it must throw.
 */
export async function readObjectText(
  s3: S3Client,
  input: { readonly bucket: string; readonly key: string },
  onError: (error: unknown) => never,
): Promise<ObjectText | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    let res: GetObjectCommandOutput;
    try {
      res = await s3.send(new GetObjectCommand({ Bucket: input.bucket, Key: input.key }));
    } catch (error) {
      if (isMissingKey(error)) return undefined;
      onError(error);
    }
    try {
      const text = (await res.Body?.transformToString('utf-8')) ?? '';
      return {
        text,
        ...(res.ETag ? { etag: res.ETag } : {}),
        ...(res.LastModified ? { lastModified: res.LastModified } : {}),
      };
    } catch (error) {
      if (attempt >= BODY_READ_ATTEMPTS) onError(error);
    }
  }
}

/**
 * The key does not exist: `NoSuchKey` from GetObject, a bare 404 (`NotFound`) from HeadObject,
 * which has no body to name it; never a missing bucket.
 */
export function isMissingKey(error: unknown): boolean {
  const code = awsErrorCode(error);
  return (
    code === 'NoSuchKey' || code === 'NotFound' || (httpStatusOf(error) === 404 && code !== 'NoSuchBucket')
  );
}
