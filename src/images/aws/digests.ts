import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  type ECRClient,
  type Image,
  type ImageFailure,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import { chunk } from '../../kernel/concurrency';

/** BatchGetImage accepts at most 100 image ids per call. */
export const BATCH_GET_IMAGE_MAX = 100;

/**
 * Every manifest type ECR stores. Without this, BatchGetImage may answer
 * `UnsupportedImageTypeException` for OCI images and indexes it could describe.
 */
const ACCEPTED_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

/** An image in one repository, by tag or by digest (the digest wins when both are given). */
export interface ImageRef {
  readonly tag?: string;
  readonly digest?: string;
}

export type DigestResolution =
  | { readonly digest: string }
  | { readonly error: { readonly code: string; readonly message: string } };

export interface RepositoryId {
  readonly registryId: string;
  readonly repositoryName: string;
}

/** The key `resolveRepositoryDigests` uses for a reference: `@sha256:…` or `:tag`. */
export function imageRefKey(ref: ImageRef): string {
  return ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`;
}

/**
 * Resolves tags and digests of one repository to image digests with BatchGetImage, 100
 * references per call. A reference that cannot be resolved (tag gone, digest gone,
 * repository gone, call failed after retries) gets an error; the others still resolve.
 * Returns one entry per distinct `imageRefKey`.
 */
export async function resolveRepositoryDigests(
  ecr: ECRClient,
  repository: RepositoryId,
  refs: readonly ImageRef[],
): Promise<Map<string, DigestResolution>> {
  const wanted = new Map<string, ImageIdentifier>();
  for (const ref of refs) {
    const key = imageRefKey(ref);
    if (!wanted.has(key)) {
      wanted.set(key, ref.digest ? { imageDigest: ref.digest } : { imageTag: ref.tag ?? 'latest' });
    }
  }
  const results = new Map<string, DigestResolution>();
  const unattributed: ImageIdentifier[] = [];
  for (const ids of chunk([...wanted.values()], BATCH_GET_IMAGE_MAX)) {
    let images: Image[];
    let failures: ImageFailure[];
    try {
      const res = await ecr.send(
        new BatchGetImageCommand({
          registryId: repository.registryId,
          repositoryName: repository.repositoryName,
          imageIds: ids,
          acceptedMediaTypes: ACCEPTED_MEDIA_TYPES,
        }),
      );
      images = res.images ?? [];
      failures = res.failures ?? [];
    } catch (error) {
      const failure = callFailure(repository, error);
      for (const id of ids) results.set(idKey(id), failure);
      if (failure.error.code === 'RepositoryNotFoundException') {
        for (const id of wanted.values()) results.set(idKey(id), failure);
        return results;
      }
      continue;
    }
    for (const id of ids) {
      const image = images.find((i) =>
        id.imageDigest ? i.imageId?.imageDigest === id.imageDigest : i.imageId?.imageTag === id.imageTag,
      );
      if (image?.imageId?.imageDigest) {
        results.set(idKey(id), { digest: image.imageId.imageDigest });
        continue;
      }
      const failure = failures.find((f) =>
        id.imageDigest ? f.imageId?.imageDigest === id.imageDigest : f.imageId?.imageTag === id.imageTag,
      );
      if (failure) {
        results.set(idKey(id), imageFailure(repository, id, failure));
      } else {
        unattributed.push(id);
      }
    }
  }
  // ECR echoes the requested tag or digest in each image and failure. An answer that cannot be
  // matched to its request (an emulator returns another tag of a multi-tag image, or a
  // failure without the digest) is settled per reference with DescribeImages.
  for (const id of unattributed) results.set(idKey(id), await describeOne(ecr, repository, id));
  return results;
}

async function describeOne(
  ecr: ECRClient,
  repository: RepositoryId,
  id: ImageIdentifier,
): Promise<DigestResolution> {
  try {
    const res = await ecr.send(
      new DescribeImagesCommand({
        registryId: repository.registryId,
        repositoryName: repository.repositoryName,
        imageIds: [id],
      }),
    );
    const digest = res.imageDetails?.[0]?.imageDigest;
    if (digest) return { digest };
    return {
      error: {
        code: 'ImageNotFound',
        message: `${describeId(repository, id)} was not found. ${REPUSH_HINT}`,
      },
    };
  } catch (error) {
    return callFailure(repository, error, id);
  }
}

const REPUSH_HINT =
  'Push the image again or point the task definition at an image that exists, then run a backup.';

function imageFailure(
  repository: RepositoryId,
  id: ImageIdentifier,
  failure: ImageFailure,
): DigestResolution {
  const code = failure.failureCode ?? 'ImageNotFound';
  const reason = failure.failureReason ?? 'Requested image not found';
  return { error: { code, message: `${describeId(repository, id)}: ${reason}. ${REPUSH_HINT}` } };
}

function callFailure(
  repository: RepositoryId,
  error: unknown,
  id?: ImageIdentifier,
): { readonly error: { readonly code: string; readonly message: string } } {
  const code = awsErrorCode(error);
  const subject = id ? describeId(repository, id) : `Repository ${repository.repositoryName}`;
  if (code === 'RepositoryNotFoundException') {
    return {
      error: {
        code,
        message: `Repository ${repository.repositoryName} does not exist in registry ${repository.registryId}. ${REPUSH_HINT}`,
      },
    };
  }
  if (code === 'ImageNotFoundException') {
    return { error: { code, message: `${subject} was not found. ${REPUSH_HINT}` } };
  }
  return {
    error: {
      code,
      message: `${subject}: could not resolve the image digest (${awsErrorMessage(error)}); check ecr:BatchGetImage permissions and retry the backup.`,
    },
  };
}

function describeId(repository: RepositoryId, id: ImageIdentifier): string {
  return id.imageDigest
    ? `Image ${repository.repositoryName}@${id.imageDigest}`
    : `Image ${repository.repositoryName}:${id.imageTag}`;
}

function idKey(id: ImageIdentifier): string {
  return imageRefKey({
    ...(id.imageTag ? { tag: id.imageTag } : {}),
    ...(id.imageDigest ? { digest: id.imageDigest } : {}),
  });
}
