import { createHash } from 'node:crypto';
import type { ImagePresence, ImageRecord, ManifestBody, ResourceError } from '../catalog/manifest';
import type { LifeboatConfig } from '../config/schema';
import { ImageManifestError } from './errors';

/**
 * What it takes to make every image a recovery point needs present, by digest, in the DR
 * registry: which digests to check, how manifests nest (an index over its children, an image
 * over its config and layers), which repositories replication covers, and how the outcome
 * changes the manifest. Pure: the ECR calls live in `src/images/aws/presence.ts`.
 */

export const MANIFEST_MEDIA_TYPES = {
  dockerV1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerV2: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** Every manifest type ECR stores; BatchGetImage may refuse others with UnsupportedImageTypeException. */
export const ACCEPTED_MANIFEST_MEDIA_TYPES: readonly string[] = Object.values(MANIFEST_MEDIA_TYPES);

/** Layers a registry must not redistribute (Windows base layers): pulled from their own URLs. */
const FOREIGN_LAYER_MEDIA_TYPES = new Set([
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface ManifestChild {
  readonly digest: string;
  readonly mediaType: string;
}

export interface BlobDescriptor {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

/**
 * A manifest as far as copying needs it. An `index` (OCI index, Docker manifest list) names
 * child manifests, which must be in the registry before it; an `image` names its blobs (the
 * config first, then the distributable layers), which must be before the manifest.
 */
export type ParsedManifest =
  | { readonly kind: 'index'; readonly mediaType: string; readonly children: readonly ManifestChild[] }
  | { readonly kind: 'image'; readonly mediaType: string; readonly blobs: readonly BlobDescriptor[] };

/** `sha256:` of the manifest's bytes: its digest, as every registry computes it. */
export function manifestDigest(manifest: string): string {
  return `sha256:${createHash('sha256').update(manifest, 'utf8').digest('hex')}`;
}

/**
 * Parses a manifest. The media type is the one the registry reported, else the manifest's own
 * `mediaType`; an OCI manifest may omit both, and is then told apart by `manifests` / `layers`.
 * Throws ImageManifestError when the manifest cannot be copied.
 */
export function parseManifest(manifest: string, reportedMediaType?: string, digest?: string): ParsedManifest {
  const fail = (problem: string) =>
    new ImageManifestError(`Manifest ${digest ?? '(unknown digest)'} cannot be copied: ${problem}.`, digest);
  let body: unknown;
  try {
    body = JSON.parse(manifest);
  } catch {
    throw fail('it is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw fail('it is not a JSON object');
  const record = body as Record<string, unknown>;
  const own = typeof record.mediaType === 'string' ? record.mediaType : undefined;
  const mediaType =
    reportedMediaType ??
    own ??
    (Array.isArray(record.manifests) ? MANIFEST_MEDIA_TYPES.ociIndex : MANIFEST_MEDIA_TYPES.ociManifest);
  if (mediaType === MANIFEST_MEDIA_TYPES.dockerV1 || mediaType === MANIFEST_MEDIA_TYPES.dockerV1Signed) {
    throw fail(
      'Docker schema 1 manifests are deprecated and cannot be pushed by digest; rebuild the image with a current Docker or BuildKit',
    );
  }
  if (mediaType === MANIFEST_MEDIA_TYPES.ociIndex || mediaType === MANIFEST_MEDIA_TYPES.dockerList) {
    if (!Array.isArray(record.manifests)) throw fail('the index has no "manifests" array');
    const children = record.manifests.map((entry, i) => {
      const d = descriptor(entry, `manifests[${i}]`, fail);
      return { digest: d.digest, mediaType: d.mediaType };
    });
    return { kind: 'index', mediaType, children: unique(children) };
  }
  if (mediaType === MANIFEST_MEDIA_TYPES.ociManifest || mediaType === MANIFEST_MEDIA_TYPES.dockerV2) {
    const config = descriptor(record.config, 'config', fail);
    if (!Array.isArray(record.layers)) throw fail('the manifest has no "layers" array');
    const layers = record.layers
      .map((entry, i) => descriptor(entry, `layers[${i}]`, fail))
      .filter((layer) => !FOREIGN_LAYER_MEDIA_TYPES.has(layer.mediaType));
    return { kind: 'image', mediaType, blobs: unique([config, ...layers]) };
  }
  throw fail(`media type ${mediaType} is not an image manifest or index ECR stores`);
}

function descriptor(
  value: unknown,
  at: string,
  fail: (problem: string) => ImageManifestError,
): BlobDescriptor {
  if (value === null || typeof value !== 'object') throw fail(`${at} is not a descriptor`);
  const { digest, mediaType, size } = value as Record<string, unknown>;
  if (typeof digest !== 'string' || !DIGEST.test(digest)) throw fail(`${at} has no sha256 digest`);
  return {
    digest,
    mediaType: typeof mediaType === 'string' ? mediaType : 'application/octet-stream',
    size: typeof size === 'number' ? size : 0,
  };
}

function unique<T extends { digest: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(item.digest)) return false;
    seen.add(item.digest);
    return true;
  });
}

/** The digests of one source repository that must be present in the DR repository of the same name. */
export interface RepositoryDigests {
  /** Region of the source repository. */
  readonly region: string;
  readonly repositoryName: string;
  /** Sorted, distinct. */
  readonly digests: readonly string[];
}

/** `region/repository@digest`: how outcomes are keyed. */
export function digestKey(region: string, repositoryName: string, digest: string): string {
  return `${region}/${repositoryName}@${digest}`;
}

/**
 * The images to verify, grouped by source repository: every image of this account's ECR whose
 * digest capture resolved. External images and images capture could not resolve are left as
 * they are (they are findings and errors already).
 */
export function imagesToVerify(images: readonly ImageRecord[], account: string): RepositoryDigests[] {
  const groups = new Map<string, { region: string; repositoryName: string; digests: Set<string> }>();
  for (const image of images) {
    if (image.presence === 'external' || image.presence === 'missing') continue;
    const { registryId, region, repositoryName, digest } = image;
    if (registryId !== account || !region || !repositoryName || !digest) continue;
    const key = `${region}/${repositoryName}`;
    const group = groups.get(key) ?? { region, repositoryName, digests: new Set<string>() };
    group.digests.add(digest);
    groups.set(key, group);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([, g]) => ({ region: g.region, repositoryName: g.repositoryName, digests: [...g.digests].sort() }));
}

/** An ECR replication rule, in the shape of PutReplicationConfiguration / DescribeRegistry. */
export interface ReplicationRule {
  readonly destinations: readonly { readonly region: string; readonly registryId: string }[];
  readonly repositoryFilters?: readonly { readonly filter: string; readonly filterType: string }[];
}

/** The replication rules the BackupStack deploys when `images.replication.manage` is true. */
export function replicationRulesFor(config: LifeboatConfig): ReplicationRule[] {
  const { manage, repositoryPrefixes } = config.images.replication;
  if (!manage) return [];
  return [
    {
      destinations: [{ region: config.drRegion, registryId: config.account }],
      ...(repositoryPrefixes.length > 0
        ? { repositoryFilters: repositoryPrefixes.map((filter) => ({ filter, filterType: 'PREFIX_MATCH' })) }
        : {}),
    },
  ];
}

/** Whether one of `rules` replicates `repositoryName` to the registry `account` in `drRegion`. */
export function replicatesTo(
  rules: readonly ReplicationRule[],
  repositoryName: string,
  drRegion: string,
  account: string,
): boolean {
  return rules.some(
    (rule) =>
      rule.destinations.some((d) => d.region === drRegion && d.registryId === account) &&
      (rule.repositoryFilters === undefined ||
        rule.repositoryFilters.length === 0 ||
        rule.repositoryFilters.some(
          (f) => f.filterType === 'PREFIX_MATCH' && repositoryName.startsWith(f.filter),
        )),
  );
}

/**
 * Whether an image missing in DR is a case for replication backfill: pushed at least
 * `minAgeMinutes` ago (a newer push may still be replicating). Unknown push time: not eligible.
 */
export function oldEnoughForBackfill(pushedAt: Date | undefined, now: Date, minAgeMinutes: number): boolean {
  return pushedAt !== undefined && now.getTime() - pushedAt.getTime() >= minAgeMinutes * 60_000;
}

/** How one digest ended up in the DR registry, or why it is not there. */
export type DigestOutcome =
  | {
      readonly presence: Exclude<ImagePresence, 'unverified' | 'missing' | 'external'>;
      readonly verifiedAt: string;
    }
  | { readonly presence: 'missing'; readonly code: string; readonly message: string; readonly at: string };

/**
 * The manifest body with every verified image's presence and `verifiedAt` set from
 * `outcomes` (keyed by `digestKey`). A missing digest adds an `image` error per image record
 * and makes the recovery point partial; images without an outcome are left as they were.
 */
export function applyImageOutcomes(
  body: ManifestBody,
  outcomes: ReadonlyMap<string, DigestOutcome>,
  completedAt: string,
): ManifestBody {
  const errors: ResourceError[] = [...body.errors];
  const images = body.images.map((image): ImageRecord => {
    const { region, repositoryName, digest } = image;
    if (image.presence !== 'unverified' || !region || !repositoryName || !digest) return image;
    const outcome = outcomes.get(digestKey(region, repositoryName, digest));
    if (outcome === undefined) return image;
    if (outcome.presence === 'missing') {
      errors.push({
        resourceType: 'image',
        resourceId: image.sourceUri,
        code: outcome.code,
        message: outcome.message,
        at: outcome.at,
      });
      return { ...image, presence: 'missing' };
    }
    return { ...image, presence: outcome.presence, verifiedAt: outcome.verifiedAt };
  });
  errors.sort((a, b) => compare(`${a.resourceType} ${a.resourceId}`, `${b.resourceType} ${b.resourceId}`));
  return { ...body, images, errors, status: errors.length > 0 ? 'partial' : 'complete', completedAt };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
