import { createHash } from 'node:crypto';
import {
  CreateRepositoryCommand,
  type ECRClient,
  type ImageTagMutability,
  PutImageCommand,
  paginateDescribeImages,
  paginateDescribeRepositories,
} from '@aws-sdk/client-ecr';
import { SeedError } from './errors';
import type { SeedLedger } from './seed-support';

/** Media types of the manifests the demo pushes. */
export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface ImagePlatform {
  readonly architecture: 'amd64' | 'arm64';
  readonly os: 'linux';
  readonly variant?: string;
}

/** One manifest to push: its exact bytes define its digest. */
export interface ImagePush {
  readonly repositoryName: string;
  readonly imageManifest: string;
  readonly mediaType: string;
  /** `sha256:` of the manifest bytes, as a registry computes it. */
  readonly digest: string;
  /** Tags given when the manifest is first pushed; empty for a child pushed by digest. */
  readonly tags: readonly string[];
  /** For the children of a multi-architecture image. */
  readonly platform?: ImagePlatform;
}

/** A tag moved to another manifest after the pushes (a re-pointed tag). */
export interface TagMove {
  readonly repositoryName: string;
  readonly tag: string;
  readonly digest: string;
}

export interface RepositorySpec {
  readonly repositoryName: string;
  readonly imageTagMutability: ImageTagMutability;
  readonly team: string;
}

/** The registry history the demo reproduces, in push order. */
export interface ImagePlan {
  readonly repositories: readonly RepositorySpec[];
  readonly pushes: readonly ImagePush[];
  readonly moves: readonly TagMove[];
}

export function sha256Digest(content: string): string {
  return `sha256:${createHash('sha256').update(content, 'utf8').digest('hex')}`;
}

/** A deterministic size in [min, max) derived from a digest, so sizes look real and never change. */
function sizeFrom(digest: string, min: number, max: number): number {
  return min + (Number.parseInt(digest.slice(7, 15), 16) % (max - min));
}

interface SingleArchBuild {
  readonly format: 'docker' | 'oci';
  readonly repositoryName: string;
  readonly version: string;
  /** Base image name; its layers are shared by every image built on it. */
  readonly base: string;
  readonly appLayers: number;
  readonly architecture?: ImagePlatform['architecture'];
  /** Build time recorded in OCI annotations (fixed, so the manifest is stable). */
  readonly created: string;
}

const BASE_LAYERS: Record<string, number> = {
  'node:20-bookworm-slim': 3,
  'eclipse-temurin:21-jre': 4,
  'amazonlinux:2023': 1,
  'envoyproxy/envoy-distroless:v1.29': 2,
  'golang:1.22/distroless-static': 1,
};

function layerDescriptors(build: SingleArchBuild, layerMediaType: string) {
  const arch = build.architecture ?? 'amd64';
  const baseCount = BASE_LAYERS[build.base] ?? 1;
  const seeds = [
    ...Array.from({ length: baseCount }, (_, i) => `base/${build.base}/${arch}/layer-${i}`),
    ...Array.from(
      { length: build.appLayers },
      (_, i) => `app/${build.repositoryName}/${build.version}/${arch}/layer-${i}`,
    ),
  ];
  return seeds.map((seed) => {
    const digest = sha256Digest(seed);
    return { mediaType: layerMediaType, size: sizeFrom(digest, 180_000, 48_000_000), digest };
  });
}

/** A schemaVersion 2 image manifest (Docker v2 or OCI) with config and layers. */
function singleArchManifest(build: SingleArchBuild): { manifest: string; mediaType: string } {
  const arch = build.architecture ?? 'amd64';
  const configDigest = sha256Digest(`config/${build.repositoryName}/${build.version}/${arch}`);
  const configSize = sizeFrom(configDigest, 1_500, 9_000);
  if (build.format === 'docker') {
    const body = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: { mediaType: MEDIA_TYPES.dockerConfig, size: configSize, digest: configDigest },
      layers: layerDescriptors(build, MEDIA_TYPES.dockerLayer),
    };
    return { manifest: JSON.stringify(body), mediaType: MEDIA_TYPES.dockerManifest };
  }
  const body = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: configSize },
    layers: layerDescriptors(build, MEDIA_TYPES.ociLayer),
    annotations: {
      'org.opencontainers.image.created': build.created,
      'org.opencontainers.image.source': `https://git.example.com/${build.repositoryName}`,
      'org.opencontainers.image.version': build.version,
      'org.opencontainers.image.base.name': build.base,
    },
  };
  return { manifest: JSON.stringify(body), mediaType: MEDIA_TYPES.ociManifest };
}

/** A multi-architecture image: an OCI index or a Docker manifest list over its children. */
function multiArchManifest(
  format: 'docker' | 'oci',
  children: readonly { manifest: string; mediaType: string; platform: ImagePlatform }[],
): { manifest: string; mediaType: string } {
  const mediaType = format === 'oci' ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerManifestList;
  const body = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((child) => ({
      mediaType: child.mediaType,
      digest: sha256Digest(child.manifest),
      size: Buffer.byteLength(child.manifest, 'utf8'),
      platform: { ...child.platform },
    })),
  };
  return { manifest: JSON.stringify(body), mediaType };
}

const PLATFORMS: readonly ImagePlatform[] = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm64', os: 'linux', variant: 'v8' },
];

function push(
  repositoryName: string,
  built: { manifest: string; mediaType: string },
  tags: readonly string[],
  platform?: ImagePlatform,
): ImagePush {
  return {
    repositoryName,
    imageManifest: built.manifest,
    mediaType: built.mediaType,
    digest: sha256Digest(built.manifest),
    tags,
    ...(platform ? { platform } : {}),
  };
}

/** Children pushed by digest (no tag), then the index under `tag`. */
function multiArchPushes(
  format: 'docker' | 'oci',
  build: Omit<SingleArchBuild, 'architecture' | 'format'>,
  tag: string,
): ImagePush[] {
  const children = PLATFORMS.map((platform) => ({
    ...singleArchManifest({ ...build, format, architecture: platform.architecture }),
    platform,
  }));
  const index = multiArchManifest(format, children);
  return [
    ...children.map((child) => push(build.repositoryName, child, [], child.platform)),
    push(build.repositoryName, index, [tag]),
  ];
}

/**
 * The demo registry: five team repositories and two platform ones, Docker v2 and OCI
 * manifests, `shop/web:stable` re-pointed from 1.4.0 to 1.5.0, an OCI index for
 * `shop/api:2.3.1` and a Docker manifest list for `platform/envoy:v1.29.1`.
 */
export function demoImagePlan(): ImagePlan {
  const web140 = singleArchManifest({
    format: 'docker',
    repositoryName: 'shop/web',
    version: '1.4.0',
    base: 'node:20-bookworm-slim',
    appLayers: 2,
    created: '2026-01-12T10:04:00Z',
  });
  const web150 = singleArchManifest({
    format: 'docker',
    repositoryName: 'shop/web',
    version: '1.5.0',
    base: 'node:20-bookworm-slim',
    appLayers: 2,
    created: '2026-02-03T16:41:00Z',
  });
  const pushes: ImagePush[] = [
    push('shop/web', web140, ['1.4.0', 'stable']),
    push('shop/web', web150, ['1.5.0']),
    ...multiArchPushes(
      'oci',
      {
        repositoryName: 'shop/api',
        version: '2.3.1',
        base: 'eclipse-temurin:21-jre',
        appLayers: 2,
        created: '2026-02-10T08:15:00Z',
      },
      '2.3.1',
    ),
    push(
      'shop/worker',
      singleArchManifest({
        format: 'oci',
        repositoryName: 'shop/worker',
        version: '1.8.0',
        base: 'node:20-bookworm-slim',
        appLayers: 1,
        created: '2026-01-28T12:00:00Z',
      }),
      ['1.8.0'],
    ),
    push(
      'platform/log-router',
      singleArchManifest({
        format: 'docker',
        repositoryName: 'platform/log-router',
        version: '2.32.0',
        base: 'amazonlinux:2023',
        appLayers: 3,
        created: '2025-11-20T09:00:00Z',
      }),
      ['2.32.0'],
    ),
    ...multiArchPushes(
      'docker',
      {
        repositoryName: 'platform/envoy',
        version: 'v1.29.1',
        base: 'envoyproxy/envoy-distroless:v1.29',
        appLayers: 1,
        created: '2025-12-01T00:00:00Z',
      },
      'v1.29.1',
    ),
    push(
      'payments/ledger',
      singleArchManifest({
        format: 'oci',
        repositoryName: 'payments/ledger',
        version: '4.2.0',
        base: 'eclipse-temurin:21-jre',
        appLayers: 3,
        created: '2026-02-14T18:30:00Z',
      }),
      ['4.2.0'],
    ),
    push(
      'payments/reconciler',
      singleArchManifest({
        format: 'docker',
        repositoryName: 'payments/reconciler',
        version: '1.0.3',
        base: 'golang:1.22/distroless-static',
        appLayers: 1,
        created: '2026-01-05T07:45:00Z',
      }),
      ['1.0.3'],
    ),
  ];
  return {
    repositories: [
      { repositoryName: 'shop/web', imageTagMutability: 'MUTABLE', team: 'shop' },
      { repositoryName: 'shop/api', imageTagMutability: 'MUTABLE', team: 'shop' },
      { repositoryName: 'shop/worker', imageTagMutability: 'MUTABLE', team: 'shop' },
      { repositoryName: 'platform/log-router', imageTagMutability: 'MUTABLE', team: 'platform' },
      { repositoryName: 'platform/envoy', imageTagMutability: 'MUTABLE', team: 'platform' },
      { repositoryName: 'payments/ledger', imageTagMutability: 'IMMUTABLE', team: 'payments' },
      { repositoryName: 'payments/reconciler', imageTagMutability: 'IMMUTABLE', team: 'payments' },
    ],
    pushes,
    moves: [{ repositoryName: 'shop/web', tag: 'stable', digest: sha256Digest(web150.manifest) }],
  };
}

/** Creates the repositories that do not exist yet in `region` (one listing call, then creates). */
export async function ensureRepositories(
  ecr: ECRClient,
  region: string,
  repositories: readonly RepositorySpec[],
  ledger: SeedLedger,
): Promise<void> {
  const existing = new Set<string>();
  for await (const page of paginateDescribeRepositories({ client: ecr }, {})) {
    for (const repo of page.repositories ?? []) if (repo.repositoryName) existing.add(repo.repositoryName);
  }
  for (const spec of repositories) {
    if (existing.has(spec.repositoryName)) continue;
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: spec.repositoryName,
        imageTagMutability: spec.imageTagMutability,
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'AES256' },
        tags: [
          { Key: 'team', Value: spec.team },
          { Key: 'lifeboat:demo', Value: 'true' },
        ],
      }),
    );
    ledger.created(`ecr:repository:${region}:${spec.repositoryName}`);
  }
}

/** Tags by digest as the registry holds them now. */
async function registryState(ecr: ECRClient, repositoryName: string): Promise<Map<string, Set<string>>> {
  const tagsByDigest = new Map<string, Set<string>>();
  for await (const page of paginateDescribeImages({ client: ecr }, { repositoryName })) {
    for (const detail of page.imageDetails ?? []) {
      if (!detail.imageDigest) continue;
      const tags = tagsByDigest.get(detail.imageDigest) ?? new Set<string>();
      for (const tag of detail.imageTags ?? []) tags.add(tag);
      tagsByDigest.set(detail.imageDigest, tags);
    }
  }
  return tagsByDigest;
}

async function putImage(ecr: ECRClient, image: ImagePush, tag: string | undefined): Promise<void> {
  await ecr.send(
    new PutImageCommand({
      repositoryName: image.repositoryName,
      imageManifest: image.imageManifest,
      imageManifestMediaType: image.mediaType,
      // Always sent: moto otherwise derives a digest from the layer digests (or a random one
      // for an index) instead of hashing the manifest bytes as ECR does.
      imageDigest: image.digest,
      ...(tag ? { imageTag: tag } : {}),
    }),
  );
}

/**
 * Replays the push history for every manifest not in the registry yet, then applies the
 * tag moves that are not in place. A manifest already present is left alone (its tags
 * included), so a second run pushes nothing and never moves a tag back.
 */
export async function ensureImages(
  ecr: ECRClient,
  region: string,
  plan: ImagePlan,
  ledger: SeedLedger,
): Promise<void> {
  const states = new Map<string, Map<string, Set<string>>>();
  const stateOf = async (repositoryName: string) => {
    const known = states.get(repositoryName);
    if (known) return known;
    const state = await registryState(ecr, repositoryName);
    states.set(repositoryName, state);
    return state;
  };
  for (const image of plan.pushes) {
    const state = await stateOf(image.repositoryName);
    if (state.has(image.digest)) continue;
    if (image.tags.length === 0) await putImage(ecr, image, undefined);
    for (const tag of image.tags) await putImage(ecr, image, tag);
    state.set(image.digest, new Set(image.tags));
    ledger.created(`ecr:image:${region}:${image.repositoryName}@${image.digest}`);
  }
  for (const move of plan.moves) {
    const state = await stateOf(move.repositoryName);
    if (state.get(move.digest)?.has(move.tag)) continue;
    const image = plan.pushes.find(
      (p) => p.repositoryName === move.repositoryName && p.digest === move.digest,
    );
    if (!image)
      throw new SeedError(
        `The tag move ${move.repositoryName}:${move.tag} names a manifest that is not in the plan.`,
      );
    await putImage(ecr, image, move.tag);
    for (const tags of state.values()) tags.delete(move.tag);
    state.get(move.digest)?.add(move.tag);
    ledger.created(`ecr:tag:${region}:${move.repositoryName}:${move.tag}`);
  }
}

/** The tags each planned manifest carries once the plan has been applied. */
export function finalTags(plan: ImagePlan): Map<string, string[]> {
  const key = (repositoryName: string, digest: string) => `${repositoryName}@${digest}`;
  const tags = new Map<string, string[]>();
  for (const image of plan.pushes) tags.set(key(image.repositoryName, image.digest), [...image.tags]);
  for (const move of plan.moves) {
    for (const [k, list] of tags) {
      if (k.startsWith(`${move.repositoryName}@`))
        tags.set(
          k,
          list.filter((t) => t !== move.tag),
        );
    }
    tags.get(key(move.repositoryName, move.digest))?.push(move.tag);
  }
  return tags;
}
