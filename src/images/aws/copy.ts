import { createHash } from 'node:crypto';
import {
  BatchCheckLayerAvailabilityCommand,
  type BatchCheckLayerAvailabilityCommandOutput,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  type ECRClient,
  GetDownloadUrlForLayerCommand,
  type Image,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { awsErrorCode, awsErrorMessage, isEmulatorMissingApi } from '../../aws/errors';
import { chunk } from '../../kernel/concurrency';
import { ImageCopyError } from '../errors';
import {
  ACCEPTED_MANIFEST_MEDIA_TYPES,
  type BlobDescriptor,
  manifestDigest,
  type ParsedManifest,
  parseManifest,
} from '../plan';

/** BatchGetImage and BatchCheckLayerAvailability take at most 100 ids per call. */
export const ECR_BATCH_MAX = 100;

/** Layer part size when InitiateLayerUpload does not recommend one. */
const DEFAULT_PART_BYTES = 10 * 1024 * 1024;

/** Source and destination of a copy: the same repository name in two registries of one account. */
export interface CopyEndpoints {
  readonly source: ECRClient;
  readonly destination: ECRClient;
  readonly registryId: string;
  readonly repositoryName: string;
  /** The clients talk to the local emulator (an endpoint override is set). */
  readonly emulated: boolean;
}

/** Shared by the copies of one backup: what the registry turned out not to support. */
export interface CopySession {
  /** Set when the emulator answered a layer API with "not implemented"; layers are then skipped. */
  layerApisUnavailable?: string;
  /** Layers uploaded, and layers found already in the destination. */
  layersUploaded: number;
  layersPresent: number;
}

export function newCopySession(): CopySession {
  return { layersUploaded: 0, layersPresent: 0 };
}

/**
 * Copies the image `digest` from the source registry to the destination: for an index, the
 * child manifests missing in the destination first (each with its blobs), then the index; for
 * an image, its config and layers not in the destination yet, then the manifest. Every
 * manifest is put with its digest and media type, so the digest is identical in both.
 */
export async function copyImage(at: CopyEndpoints, digest: string, session: CopySession): Promise<void> {
  const [root] = await fetchManifests(at, [digest]);
  if (root === undefined) {
    throw new ImageCopyError(
      'ImageNotFound',
      `${at.repositoryName}@${digest} is no longer in its source registry, so it cannot be copied; push it again or update the task definition, then run a backup.`,
    );
  }
  if (root.parsed.kind === 'index') {
    const wanted = root.parsed.children.map((c) => c.digest);
    const present = await presentDigests(at.destination, at.registryId, at.repositoryName, wanted);
    const missing = wanted.filter((d) => !present.has(d));
    for (const child of await fetchManifests(at, missing)) {
      if (child.parsed.kind === 'index') {
        throw new ImageCopyError(
          'NestedIndex',
          `${at.repositoryName}@${digest} is an index of indexes, which Lifeboat does not copy; push its platforms under one index.`,
        );
      }
      await copyBlobs(at, child.parsed.blobs, session);
      await putManifest(at, child);
    }
  } else {
    await copyBlobs(at, root.parsed.blobs, session);
  }
  await putManifest(at, root);
}

interface FetchedManifest {
  readonly digest: string;
  readonly manifest: string;
  readonly mediaType: string;
  readonly parsed: ParsedManifest;
}

/** Reads manifests from the source by digest (100 per call), checking that each hashes to its digest. */
async function fetchManifests(at: CopyEndpoints, digests: readonly string[]): Promise<FetchedManifest[]> {
  const fetched: FetchedManifest[] = [];
  for (const ids of chunk(digests, ECR_BATCH_MAX)) {
    const res = await at.source.send(
      new BatchGetImageCommand({
        registryId: at.registryId,
        repositoryName: at.repositoryName,
        imageIds: ids.map((imageDigest) => ({ imageDigest })),
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
      }),
    );
    for (const digest of ids) {
      const image = (res.images ?? []).find((i: Image) => i.imageId?.imageDigest === digest);
      if (!image?.imageManifest) {
        throw new ImageCopyError(
          'ImageNotFound',
          `${at.repositoryName}@${digest} is not in the source registry (needed to copy ${at.repositoryName}); push it again, then run a backup.`,
        );
      }
      const actual = manifestDigest(image.imageManifest);
      if (actual !== digest) {
        throw new ImageCopyError(
          'ManifestDigestMismatch',
          `The source registry returned a manifest for ${at.repositoryName}@${digest} that hashes to ${actual}; it was not copied. Retry the backup.`,
        );
      }
      const parsed = parseManifest(image.imageManifest, image.imageManifestMediaType, digest);
      fetched.push({ digest, manifest: image.imageManifest, mediaType: parsed.mediaType, parsed });
    }
  }
  return fetched;
}

/** The digests among `digests` that the repository holds (BatchGetImage, 100 per call). */
export async function presentDigests(
  ecr: ECRClient,
  registryId: string,
  repositoryName: string,
  digests: readonly string[],
): Promise<Set<string>> {
  const present = new Set<string>();
  for (const ids of chunk(digests, ECR_BATCH_MAX)) {
    const res = await ecr.send(
      new BatchGetImageCommand({
        registryId,
        repositoryName,
        imageIds: ids.map((imageDigest) => ({ imageDigest })),
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
      }),
    );
    for (const image of res.images ?? []) {
      if (image.imageId?.imageDigest) present.add(image.imageId.imageDigest);
    }
  }
  return present;
}

async function putManifest(at: CopyEndpoints, m: FetchedManifest): Promise<void> {
  try {
    await at.destination.send(
      new PutImageCommand({
        registryId: at.registryId,
        repositoryName: at.repositoryName,
        imageManifest: m.manifest,
        imageManifestMediaType: m.mediaType,
        // Always sent: the digest must stay the source's (and moto computes a wrong one without it).
        imageDigest: m.digest,
      }),
    );
  } catch (error) {
    // Replication or a concurrent backup put the same manifest first.
    if (awsErrorCode(error) === 'ImageAlreadyExistsException') return;
    throw new ImageCopyError(
      awsErrorCode(error),
      `Could not put manifest ${at.repositoryName}@${m.digest} in the DR registry: ${awsErrorMessage(error)}`,
      { cause: error },
    );
  }
}

/**
 * Uploads the blobs the destination does not have. When the emulator does not implement the
 * layer APIs, records that in the session and returns: the manifests are still copied.
 */
async function copyBlobs(
  at: CopyEndpoints,
  blobs: readonly BlobDescriptor[],
  session: CopySession,
): Promise<void> {
  if (session.layerApisUnavailable !== undefined || blobs.length === 0) return;
  const available = new Set<string>();
  for (const part of chunk(blobs, ECR_BATCH_MAX)) {
    let res: BatchCheckLayerAvailabilityCommandOutput;
    try {
      res = await at.destination.send(
        new BatchCheckLayerAvailabilityCommand({
          registryId: at.registryId,
          repositoryName: at.repositoryName,
          layerDigests: part.map((b) => b.digest),
        }),
      );
    } catch (error) {
      if (isEmulatorMissingApi(error, at.emulated)) {
        session.layerApisUnavailable = 'BatchCheckLayerAvailability';
        return;
      }
      throw new ImageCopyError(
        awsErrorCode(error),
        `Could not check which layers of ${at.repositoryName} the DR registry has: ${awsErrorMessage(error)}`,
        { cause: error },
      );
    }
    for (const layer of res.layers ?? []) {
      if (layer.layerAvailability === 'AVAILABLE' && layer.layerDigest) available.add(layer.layerDigest);
    }
  }
  for (const blob of blobs) {
    if (available.has(blob.digest)) {
      session.layersPresent += 1;
      continue;
    }
    await copyBlob(at, blob);
    session.layersUploaded += 1;
  }
}

/**
 * Streams one blob from the source's presigned download URL into a layer upload in the
 * destination, part by part, checking its SHA-256 before completing the upload.
 */
async function copyBlob(at: CopyEndpoints, blob: BlobDescriptor): Promise<void> {
  const name = `${at.repositoryName} layer ${blob.digest}`;
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ImageCopyError) throw error;
      throw new ImageCopyError(awsErrorCode(error), `Could not ${what} ${name}: ${awsErrorMessage(error)}`, {
        cause: error,
      });
    }
  };
  const { downloadUrl } = await call('get a download URL for', () =>
    at.source.send(
      new GetDownloadUrlForLayerCommand({
        registryId: at.registryId,
        repositoryName: at.repositoryName,
        layerDigest: blob.digest,
      }),
    ),
  );
  if (!downloadUrl)
    throw new ImageCopyError('NoDownloadUrl', `GetDownloadUrlForLayer gave no URL for ${name}.`);
  const response = await call('download', () => fetch(downloadUrl));
  if (!response.ok || response.body === null) {
    throw new ImageCopyError(
      'LayerDownloadFailed',
      `Downloading ${name} answered HTTP ${response.status}; retry the backup.`,
    );
  }
  const { uploadId, partSize } = await call('start the upload of', () =>
    at.destination.send(
      new InitiateLayerUploadCommand({ registryId: at.registryId, repositoryName: at.repositoryName }),
    ),
  );
  if (!uploadId) throw new ImageCopyError('NoUploadId', `InitiateLayerUpload gave no upload id for ${name}.`);
  const partBytes = partSize && partSize > 0 ? partSize : DEFAULT_PART_BYTES;
  const hash = createHash('sha256');
  let offset = 0;
  let pending = Buffer.alloc(0);
  const upload = async (layerPartBlob: Buffer): Promise<void> => {
    await call('upload a part of', () =>
      at.destination.send(
        new UploadLayerPartCommand({
          registryId: at.registryId,
          repositoryName: at.repositoryName,
          uploadId,
          partFirstByte: offset,
          partLastByte: offset + layerPartBlob.length - 1,
          layerPartBlob,
        }),
      ),
    );
    offset += layerPartBlob.length;
  };
  for await (const piece of response.body) {
    const bytes = Buffer.from(piece as Uint8Array);
    hash.update(bytes);
    pending = pending.length === 0 ? bytes : Buffer.concat([pending, bytes]);
    while (pending.length >= partBytes) {
      await upload(pending.subarray(0, partBytes));
      pending = pending.subarray(partBytes);
    }
  }
  if (pending.length > 0) await upload(pending);
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== blob.digest) {
    throw new ImageCopyError(
      'LayerDigestMismatch',
      `Downloaded ${name} hashes to ${actual}; it was not uploaded. Retry the backup.`,
    );
  }
  try {
    await at.destination.send(
      new CompleteLayerUploadCommand({
        registryId: at.registryId,
        repositoryName: at.repositoryName,
        uploadId,
        layerDigests: [blob.digest],
      }),
    );
  } catch (error) {
    if (awsErrorCode(error) === 'LayerAlreadyExistsException') return;
    throw new ImageCopyError(
      awsErrorCode(error),
      `Could not complete the upload of ${name}: ${awsErrorMessage(error)}`,
      { cause: error },
    );
  }
}
