import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  PutImageCommand,
  PutReplicationConfigurationCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, CallCounter } from '../../src/aws/clients';
import { runCapture } from '../../src/backup/steps';
import { catalogStoreFor } from '../../src/catalog/aws/store';
import { parseConfig } from '../../src/config/schema';
import type { DemoFleet } from '../../src/demo/seed';
import { manifestDigest } from '../../src/images/plan';
import {
  ACCOUNT,
  BUCKET,
  CONFIG_INPUT,
  DR,
  PRIMARY,
  REGISTRY,
  seedFleetWithCatalog,
} from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const ctx = useEmulator();
let fleet: DemoFleet;

beforeAll(async () => {
  fleet = await seedFleetWithCatalog(ctx.clients);
}, 300_000);

function countedClients(): { clients: AwsClients; counter: CallCounter } {
  const counter = new CallCounter();
  return { clients: new AwsClients({ endpoint: ctx.endpoint, onCall: counter.record }), counter };
}

/** The manifest bytes the DR registry holds for `repositoryName@digest`, if any. */
async function drManifest(repositoryName: string, digest: string): Promise<string | undefined> {
  const res = await ctx.clients
    .ecr(DR)
    .send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageDigest: digest }] }));
  return res.images?.find((i) => i.imageId?.imageDigest === digest)?.imageManifest;
}

/** A small OCI image manifest whose digest changes with `version`. */
function ociManifest(name: string, version: string): { manifest: string; digest: string } {
  const blob = (seed: string) => manifestDigest(`${name}/${version}/${seed}`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: blob('config'), size: 1_200 },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: blob('layer'), size: 90_000 },
    ],
  });
  return { manifest, digest: manifestDigest(manifest) };
}

describe('runCapture with verifyImages on a fleet whose images are only in the primary region', () => {
  it('copies every image into the DR registry by digest and commits a complete recovery point with presence copied', async () => {
    const { clients, counter } = countedClients();
    try {
      const config = parseConfig(CONFIG_INPUT);

      const { manifest, key, warnings, images } = await runCapture({
        clients,
        config,
        bucket: BUCKET,
        efsEmulatorFallback: true,
        counter,
        verifyImages: true,
      });

      expect(manifest.status).toBe('complete');
      expect(key).toMatch(/\.complete\.json$/);
      expect(manifest.errors).toEqual([]);
      const ecr = manifest.images.filter((i) => i.presence !== 'external');
      expect(ecr.length).toBeGreaterThan(0);
      for (const image of ecr) {
        expect(image.presence, image.sourceUri).toBe('copied');
        expect(Date.parse(image.verifiedAt ?? '')).not.toBeNaN();
        expect(image.drUri).toBe(
          `${ACCOUNT}.dkr.ecr.${DR}.amazonaws.com/${image.repositoryName}@${image.digest}`,
        );
        const copied = await drManifest(image.repositoryName ?? '', image.digest ?? '');
        expect(copied && manifestDigest(copied), image.sourceUri).toBe(image.digest);
      }
      expect(images?.copied).toBe(new Set(ecr.map((i) => `${i.repositoryName}@${i.digest}`)).size);
      // Layers: the emulator answers the layer APIs with "not implemented", and that is recorded.
      expect(warnings).toContainEqual(
        expect.objectContaining({ resourceType: 'image', code: 'EmulatorLayerApisNotImplemented' }),
      );
      // The recovery point as committed says the same.
      const stored = await catalogStoreFor(clients, { region: DR, bucket: BUCKET }).get(manifest.id);
      expect(stored.images).toEqual(manifest.images);
      // Per repository (all single-digest here): DR check, source read, PutImage, DR re-check;
      // per index: one DR check and one source read for its children, and a PutImage per child.
      const repositories = new Set(ecr.map((i) => i.repositoryName)).size;
      const children = fleet.multiArchImages.reduce((n, m) => n + m.childDigests.length, 0);
      expect(counter.counts.get('ECR.PutImage')).toBe(ecr.length + children);
      expect(counter.counts.get('ECR.BatchGetImage')).toBe(
        4 * repositories + 2 * fleet.multiArchImages.length,
      );
      expect(counter.counts.get('ECR.DescribeRegistry')).toBe(1);
    } finally {
      clients.destroy();
    }
  }, 120_000);

  it('copies the children of a multi-architecture index by digest, so every platform can be pulled in DR', async () => {
    for (const index of fleet.multiArchImages) {
      const copied = await drManifest(index.repositoryName, index.digest);
      expect(copied, `${index.repositoryName}:${index.tag}`).toBeDefined();
      for (const child of index.childDigests) {
        const bytes = await drManifest(index.repositoryName, child);
        expect(bytes && manifestDigest(bytes), `${index.repositoryName}@${child}`).toBe(child);
      }
    }
    expect(fleet.multiArchImages.length).toBeGreaterThan(0);
  });

  it('finds every image already present on the next backup and copies nothing', async () => {
    const { clients, counter } = countedClients();
    try {
      const { manifest, images } = await runCapture({
        clients,
        config: parseConfig(CONFIG_INPUT),
        bucket: BUCKET,
        efsEmulatorFallback: true,
        counter,
        verifyImages: true,
      });

      expect(manifest.status).toBe('complete');
      for (const image of manifest.images.filter((i) => i.presence !== 'external')) {
        expect(image.presence, image.sourceUri).toBe('already-present');
      }
      expect(images).toMatchObject({ copied: 0, missing: 0 });
      expect(counter.counts.get('ECR.PutImage') ?? 0).toBe(0);
      // One BatchGetImage per repository in the primary (capture) and one in DR (verification).
      const repositories = new Set(manifest.images.flatMap((i) => i.repositoryName ?? []));
      expect(counter.counts.get('ECR.BatchGetImage')).toBe(2 * repositories.size);
    } finally {
      clients.destroy();
    }
  }, 120_000);

  it('records images a Lifeboat-managed replication rule covers as replicated', async () => {
    const config = parseConfig({
      ...CONFIG_INPUT,
      images: { replication: { manage: true, repositoryPrefixes: ['shop/'] } },
    });

    const { manifest } = await runCapture({
      clients: ctx.clients,
      config,
      bucket: BUCKET,
      efsEmulatorFallback: true,
      verifyImages: true,
    });

    for (const image of manifest.images.filter((i) => i.presence !== 'external')) {
      const expected = image.repositoryName?.startsWith('shop/') ? 'replicated' : 'already-present';
      expect(image.presence, image.sourceUri).toBe(expected);
    }
  }, 120_000);
});

describe('runCapture with verifyImages on images the DR registry has never seen', () => {
  const SUITE = { key: 'lifeboat:suite', value: 'dr-images' };
  const config = parseConfig({
    ...CONFIG_INPUT,
    selection: { tags: { 'lifeboat:suite': 'dr-images' } },
    images: { backfillMinAgeMinutes: 0 },
  });
  const first = ociManifest('k/moving', '1.0.0');
  const second = ociManifest('k/moving', '2.0.0');
  const locked = ociManifest('k/locked', '1.0.0');

  async function serviceFor(name: string, image: string): Promise<void> {
    const ecs = ctx.clients.ecs(PRIMARY);
    const td = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `dr-images-${name}`,
        requiresCompatibilities: ['EC2'],
        containerDefinitions: [{ name, image, memory: 128, essential: true }],
      }),
    );
    await ecs.send(
      new CreateServiceCommand({
        cluster: 'dr-images',
        serviceName: name,
        taskDefinition: td.taskDefinition?.taskDefinitionArn,
        desiredCount: 1,
        launchType: 'EC2',
        tags: [SUITE],
      }),
    );
  }

  beforeAll(async () => {
    const ecr = ctx.clients.ecr(PRIMARY);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'k/moving' }));
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: 'k/locked',
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: {
          encryptionType: 'KMS',
          kmsKey: `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`,
        },
      }),
    );
    for (const [repositoryName, image, tag] of [
      ['k/moving', first, 'live'],
      ['k/locked', locked, '1.0.0'],
    ] as const) {
      await ecr.send(
        new PutImageCommand({
          repositoryName,
          imageManifest: image.manifest,
          imageManifestMediaType: OCI_MANIFEST,
          imageDigest: image.digest,
          imageTag: tag,
        }),
      );
    }
    // The registry replicates k/ to DR (not managed by Lifeboat): a case for backfill.
    await ecr.send(
      new PutReplicationConfigurationCommand({
        replicationConfiguration: {
          rules: [
            {
              destinations: [{ region: DR, registryId: ACCOUNT }],
              repositoryFilters: [{ filter: 'k/', filterType: 'PREFIX_MATCH' }],
            },
          ],
        },
      }),
    );
    await ctx.clients
      .ecs(PRIMARY)
      .send(new CreateClusterCommand({ clusterName: 'dr-images', tags: [SUITE] }));
    await serviceFor('moving', `${REGISTRY}/k/moving:live`);
    await serviceFor('locked', `${REGISTRY}/k/locked:1.0.0`);
  }, 60_000);

  it('creates the DR repository with the source settings, tries a backfill, and copies when backfill cannot serve', async () => {
    const { clients, counter } = countedClients();
    try {
      const { manifest, warnings, images } = await runCapture({
        clients,
        config,
        bucket: BUCKET,
        efsEmulatorFallback: true,
        counter,
        verifyImages: true,
      });

      expect(manifest.status).toBe('complete');
      expect(manifest.images.map((i) => [i.sourceUri, i.digest, i.presence])).toEqual([
        [`${REGISTRY}/k/locked:1.0.0`, locked.digest, 'copied'],
        [`${REGISTRY}/k/moving:live`, first.digest, 'copied'],
      ]);
      expect(images).toMatchObject({ repositoriesCreated: 2, copied: 2 });
      expect(counter.counts.get('ECR.StartReplicationBackfill')).toBe(1);
      expect(warnings.map((w) => w.code)).toEqual(
        expect.arrayContaining(['EmulatorBackfillNotImplemented', 'EmulatorLayerApisNotImplemented']),
      );
      const { repositories } = await clients
        .ecr(DR)
        .send(new DescribeRepositoriesCommand({ repositoryNames: ['k/locked'] }));
      expect(repositories?.[0]).toMatchObject({
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        // The source key belongs to the primary region; DR gets its AWS managed key.
        encryptionConfiguration: { encryptionType: 'KMS' },
      });
    } finally {
      clients.destroy();
    }
  }, 120_000);

  it('keeps the captured digest when the tag is re-pointed after capture', async () => {
    const { manifest } = await runCapture({
      clients: ctx.clients,
      config,
      bucket: BUCKET,
      efsEmulatorFallback: true,
      verifyImages: true,
    });
    await ctx.clients.ecr(PRIMARY).send(
      new PutImageCommand({
        repositoryName: 'k/moving',
        imageManifest: second.manifest,
        imageManifestMediaType: OCI_MANIFEST,
        imageDigest: second.digest,
        imageTag: 'live',
      }),
    );

    const stored = await catalogStoreFor(ctx.clients, { region: DR, bucket: BUCKET }).get(manifest.id);
    const moving = stored.images.find((i) => i.repositoryName === 'k/moving');
    expect(moving).toMatchObject({ digest: first.digest, presence: 'already-present' });
    expect(moving?.drUri).toBe(`${ACCOUNT}.dkr.ecr.${DR}.amazonaws.com/k/moving@${first.digest}`);
    expect(await drManifest('k/moving', first.digest)).toBe(first.manifest);

    const next = await runCapture({
      clients: ctx.clients,
      config,
      bucket: BUCKET,
      verifyImages: true,
      efsEmulatorFallback: true,
    });
    expect(next.manifest.images.find((i) => i.repositoryName === 'k/moving')).toMatchObject({
      digest: second.digest,
      presence: 'copied',
    });
  }, 120_000);
});
