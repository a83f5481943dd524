import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isEmulatorMissingApi } from '../../../../src/aws/errors';
import { type CopyEndpoints, copyImage, newCopySession } from '../../../../src/images/aws/copy';
import { ImageCopyError } from '../../../../src/images/errors';
import { MANIFEST_MEDIA_TYPES, manifestDigest } from '../../../../src/images/plan';

const ACCOUNT = '123456789012';
const REPO = 'shop/web';

const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
const layerNew = Buffer.from('a layer the DR registry does not have yet, 3+ parts');
const layerThere = Buffer.from('a layer the DR registry already has');
const blobDigest = (b: Buffer) => manifestDigest(b.toString('utf8'));

function imageManifest(layers: Buffer[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: blobDigest(config),
      size: config.length,
    },
    layers: layers.map((l) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: blobDigest(l),
      size: l.length,
    })),
  });
}

/** Serves blobs by digest, like the presigned S3 URLs GetDownloadUrlForLayer returns. */
let server: Server;
let baseUrl: string;
const served = new Map<string, Buffer>();
const downloads: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const digest = decodeURIComponent((req.url ?? '/').slice(1));
    downloads.push(digest);
    const body = served.get(digest);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const sourceClient = new ECRClient({ region: 'us-east-1' });
const destinationClient = new ECRClient({ region: 'us-west-2' });
const source = mockClient(sourceClient);
const destination = mockClient(destinationClient);
const at: CopyEndpoints = {
  source: sourceClient,
  destination: destinationClient,
  registryId: ACCOUNT,
  repositoryName: REPO,
  emulated: false,
};

function serveManifests(manifests: { manifest: string; mediaType: string }[]): void {
  source.on(BatchGetImageCommand).callsFake((input: { imageIds: { imageDigest: string }[] }) => ({
    images: input.imageIds.flatMap(({ imageDigest }) => {
      const found = manifests.find((m) => manifestDigest(m.manifest) === imageDigest);
      return found
        ? [
            {
              imageId: { imageDigest },
              imageManifest: found.manifest,
              imageManifestMediaType: found.mediaType,
            },
          ]
        : [];
    }),
  }));
}

/** Records each upload's parts as the destination receives them. */
function recordUploads(): Map<string, { first: number; last: number; bytes: Buffer }[]> {
  const parts = new Map<string, { first: number; last: number; bytes: Buffer }[]>();
  let next = 0;
  destination.on(InitiateLayerUploadCommand).callsFake(() => {
    next += 1;
    return { uploadId: `upload-${next}`, partSize: 20 };
  });
  destination.on(UploadLayerPartCommand).callsFake((input) => {
    const list = parts.get(input.uploadId) ?? [];
    list.push({
      first: input.partFirstByte,
      last: input.partLastByte,
      bytes: Buffer.from(input.layerPartBlob),
    });
    parts.set(input.uploadId, list);
    return { uploadId: input.uploadId, lastByteReceived: input.partLastByte };
  });
  destination.on(CompleteLayerUploadCommand).callsFake((input) => ({ layerDigest: input.layerDigests[0] }));
  destination.on(PutImageCommand).resolves({});
  return parts;
}

beforeEach(() => {
  source.reset();
  destination.reset();
  served.clear();
  downloads.length = 0;
  source
    .on(GetDownloadUrlForLayerCommand)
    .callsFake((input) => ({ downloadUrl: `${baseUrl}/${encodeURIComponent(input.layerDigest)}` }));
});

describe('copyImage (layer APIs mocked with aws-sdk-client-mock: the emulator does not implement them)', () => {
  it('uploads the missing config and layers in parts from the presigned URL, then puts the manifest by digest', async () => {
    const manifest = imageManifest([layerNew, layerThere]);
    const digest = manifestDigest(manifest);
    serveManifests([{ manifest, mediaType: MANIFEST_MEDIA_TYPES.ociManifest }]);
    for (const blob of [config, layerNew, layerThere]) served.set(blobDigest(blob), blob);
    destination.on(BatchCheckLayerAvailabilityCommand).callsFake((input: { layerDigests: string[] }) => ({
      layers: input.layerDigests.map((layerDigest) => ({
        layerDigest,
        layerAvailability: layerDigest === blobDigest(layerThere) ? 'AVAILABLE' : 'UNAVAILABLE',
      })),
    }));
    const parts = recordUploads();
    const session = newCopySession();

    await copyImage(at, digest, session);

    expect(downloads.sort()).toEqual([blobDigest(config), blobDigest(layerNew)].sort());
    expect(session).toMatchObject({ layersUploaded: 2, layersPresent: 1 });
    const completed = destination.commandCalls(CompleteLayerUploadCommand).map((c) => c.args[0].input);
    expect(completed.map((c) => c.layerDigests)).toEqual([[blobDigest(config)], [blobDigest(layerNew)]]);
    for (const { uploadId, layerDigests } of completed) {
      const received = parts.get(uploadId ?? '') ?? [];
      const bytes = Buffer.concat(received.map((p) => p.bytes));
      expect(blobDigest(bytes)).toBe(layerDigests?.[0]);
      // Contiguous, inclusive byte ranges, each at most the recommended part size.
      let offset = 0;
      for (const part of received) {
        expect(part.first).toBe(offset);
        expect(part.last).toBe(offset + part.bytes.length - 1);
        offset += part.bytes.length;
      }
    }
    expect((parts.get('upload-2') ?? []).length).toBeGreaterThanOrEqual(3);
    const put = destination.commandCalls(PutImageCommand).map((c) => c.args[0].input);
    expect(put).toEqual([
      {
        registryId: ACCOUNT,
        repositoryName: REPO,
        imageManifest: manifest,
        imageManifestMediaType: MANIFEST_MEDIA_TYPES.ociManifest,
        imageDigest: digest,
      },
    ]);
    const order = destination.calls().map((c) => c.args[0].constructor.name);
    expect(order.lastIndexOf('CompleteLayerUploadCommand')).toBeLessThan(order.indexOf('PutImageCommand'));
  });

  it('copies the missing children of an index, each with its blobs, before the index', async () => {
    const present = imageManifest([layerThere]);
    const absent = imageManifest([layerNew]);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPES.ociIndex,
      manifests: [present, absent].map((m) => ({
        mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
        digest: manifestDigest(m),
        size: m.length,
      })),
    });
    serveManifests([
      { manifest: index, mediaType: MANIFEST_MEDIA_TYPES.ociIndex },
      { manifest: present, mediaType: MANIFEST_MEDIA_TYPES.ociManifest },
      { manifest: absent, mediaType: MANIFEST_MEDIA_TYPES.ociManifest },
    ]);
    destination
      .on(BatchGetImageCommand)
      .resolves({ images: [{ imageId: { imageDigest: manifestDigest(present) } }] });
    destination.on(BatchCheckLayerAvailabilityCommand).callsFake((input: { layerDigests: string[] }) => ({
      layers: input.layerDigests.map((layerDigest) => ({ layerDigest, layerAvailability: 'AVAILABLE' })),
    }));
    recordUploads();

    await copyImage(at, manifestDigest(index), newCopySession());

    const put = destination.commandCalls(PutImageCommand).map((c) => c.args[0].input.imageDigest);
    expect(put).toEqual([manifestDigest(absent), manifestDigest(index)]);
    expect(downloads).toEqual([]);
  });

  it('refuses a layer whose download does not hash to its digest, and completes no upload', async () => {
    const manifest = imageManifest([layerNew]);
    serveManifests([{ manifest, mediaType: MANIFEST_MEDIA_TYPES.ociManifest }]);
    served.set(blobDigest(config), config);
    served.set(blobDigest(layerNew), Buffer.from('corrupted in transit'));
    destination.on(BatchCheckLayerAvailabilityCommand).callsFake((input: { layerDigests: string[] }) => ({
      layers: input.layerDigests.map((layerDigest) => ({
        layerDigest,
        layerAvailability: layerDigest === blobDigest(config) ? 'AVAILABLE' : 'UNAVAILABLE',
      })),
    }));
    recordUploads();

    const copy = copyImage(at, manifestDigest(manifest), newCopySession());

    await expect(copy).rejects.toBeInstanceOf(ImageCopyError);
    await expect(copy).rejects.toMatchObject({ code: 'LayerDigestMismatch' });
    expect(destination.commandCalls(CompleteLayerUploadCommand)).toHaveLength(0);
    expect(destination.commandCalls(PutImageCommand)).toHaveLength(0);
  });

  it('fails with the ECR error code when the DR registry refuses a layer check (not an emulator)', async () => {
    const manifest = imageManifest([layerNew]);
    serveManifests([{ manifest, mediaType: MANIFEST_MEDIA_TYPES.ociManifest }]);
    const refused = Object.assign(new Error('User is not authorized'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    destination.on(BatchCheckLayerAvailabilityCommand).rejects(refused);

    await expect(copyImage(at, manifestDigest(manifest), newCopySession())).rejects.toMatchObject({
      name: 'ImageCopyError',
      code: 'AccessDeniedException',
    });
  });
});

describe('isEmulatorMissingApi', () => {
  const htmlServerError = Object.assign(new SyntaxError('Unexpected token <'), {
    $metadata: { httpStatusCode: 500 },
    $response: { statusCode: 500, headers: { 'content-type': 'text/html; charset=utf-8' } },
  });
  const jsonServerError = Object.assign(new Error('We encountered an internal error'), {
    name: 'ServerException',
    $metadata: { httpStatusCode: 500 },
    $response: { statusCode: 500, headers: { 'content-type': 'application/x-amz-json-1.1' } },
  });

  it('recognises the HTML 500 page the emulator answers for an API it does not implement', () => {
    expect(isEmulatorMissingApi(htmlServerError, true)).toBe(true);
  });

  it('never applies on AWS (no endpoint override), nor to a JSON server error', () => {
    expect(isEmulatorMissingApi(htmlServerError, false)).toBe(false);
    expect(isEmulatorMissingApi(jsonServerError, true)).toBe(false);
  });
});
