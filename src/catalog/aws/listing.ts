import {
  type _Object,
  type CommonPrefix,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';

/** One page of a catalog listing: its objects and, with a delimiter, its common prefixes. */
export interface ListingPage {
  readonly objects: readonly _Object[];
  readonly prefixes: readonly CommonPrefix[];
}

/**
 * Every page of `ListObjectsV2` under `prefix`, in key order, one call per page; a caller that
 * has enough stops early. `onError` turns an S3 error into the caller's own (it must throw).
 */
export async function* listPages(
  s3: S3Client,
  input: {
    readonly bucket: string;
    readonly prefix: string;
    readonly delimiter?: string;
    /** Keys per page (the last page asked may ask fewer). @default 1000 */
    readonly maxKeys?: () => number;
  },
  onError: (error: unknown) => never,
): AsyncGenerator<ListingPage> {
  let token: string | undefined;
  do {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await s3.send(
        new ListObjectsV2Command({
          Bucket: input.bucket,
          Prefix: input.prefix,
          ...(input.delimiter ? { Delimiter: input.delimiter } : {}),
          MaxKeys: input.maxKeys?.() ?? 1000,
          ContinuationToken: token,
        }),
      );
    } catch (error) {
      onError(error);
    }
    yield { objects: page.Contents ?? [], prefixes: page.CommonPrefixes ?? [] };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
