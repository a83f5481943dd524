import { describe, expect, it } from 'vitest';
import type { ImageRecord, ManifestBody } from '../../../src/catalog/manifest';
import { parseConfig } from '../../../src/config/schema';
import { ImageManifestError } from '../../../src/images/errors';
import {
  applyImageOutcomes,
  type DigestOutcome,
  digestKey,
  imagesToVerify,
  MANIFEST_MEDIA_TYPES,
  manifestDigest,
  oldEnoughForBackfill,
  parseManifest,
  replicatesTo,
  replicationRulesFor,
} from '../../../src/images/plan';

const ACCOUNT = '123456789012';
const d = (c: string) => `sha256:${c.repeat(64)}`;

function image(overrides: Partial<ImageRecord>): ImageRecord {
  return {
    sourceUri: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/shop/web:1`,
    registryId: ACCOUNT,
    region: 'us-east-1',
    repositoryName: 'shop/web',
    digest: d('a'),
    presence: 'unverified',
    usedBy: ['web:1/web'],
    ...overrides,
  };
}

describe('parseManifest', () => {
  it('lists the config first, then the layers, of an image manifest', () => {
    const parsed = parseManifest(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_MEDIA_TYPES.dockerV2,
        config: { mediaType: 'c', digest: d('c'), size: 10 },
        layers: [
          { mediaType: 'l', digest: d('1'), size: 100 },
          { mediaType: 'l', digest: d('2'), size: 200 },
        ],
      }),
    );
    expect(parsed).toEqual({
      kind: 'image',
      mediaType: MANIFEST_MEDIA_TYPES.dockerV2,
      blobs: [
        { digest: d('c'), mediaType: 'c', size: 10 },
        { digest: d('1'), mediaType: 'l', size: 100 },
        { digest: d('2'), mediaType: 'l', size: 200 },
      ],
    });
  });

  it('leaves out foreign (non-distributable) layers, which a registry does not hold', () => {
    const parsed = parseManifest(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_MEDIA_TYPES.dockerV2,
        config: { mediaType: 'c', digest: d('c'), size: 10 },
        layers: [
          { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: d('f'), size: 1 },
        ],
      }),
    );
    expect(parsed.kind === 'image' && parsed.blobs.map((b) => b.digest)).toEqual([d('c')]);
  });

  it('lists the child manifests of an OCI index, told apart by "manifests" when no media type is given', () => {
    const parsed = parseManifest(
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          { mediaType: MANIFEST_MEDIA_TYPES.ociManifest, digest: d('1'), size: 1 },
          { mediaType: MANIFEST_MEDIA_TYPES.ociManifest, digest: d('2'), size: 1 },
        ],
      }),
    );
    expect(parsed).toEqual({
      kind: 'index',
      mediaType: MANIFEST_MEDIA_TYPES.ociIndex,
      children: [
        { digest: d('1'), mediaType: MANIFEST_MEDIA_TYPES.ociManifest },
        { digest: d('2'), mediaType: MANIFEST_MEDIA_TYPES.ociManifest },
      ],
    });
  });

  it('prefers the media type the registry reports', () => {
    const parsed = parseManifest(
      JSON.stringify({ schemaVersion: 2, manifests: [] }),
      MANIFEST_MEDIA_TYPES.dockerList,
    );
    expect(parsed.mediaType).toBe(MANIFEST_MEDIA_TYPES.dockerList);
  });

  it.each([
    ['not JSON', '{', undefined, /not JSON/],
    ['a schema 1 manifest', '{}', MANIFEST_MEDIA_TYPES.dockerV1Signed, /schema 1/],
    ['an unknown media type', '{}', 'application/x-other', /not an image manifest or index/],
    [
      'a layer without a digest',
      '{"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:bad"},"layers":[]}',
      undefined,
      /config has no sha256 digest/,
    ],
  ])('fails on %s, naming the digest', (_name, text, mediaType, message) => {
    expect(() => parseManifest(text, mediaType, d('9'))).toThrow(ImageManifestError);
    expect(() => parseManifest(text, mediaType, d('9'))).toThrow(message);
    expect(() => parseManifest(text, mediaType, d('9'))).toThrow(d('9'));
  });
});

describe('manifestDigest', () => {
  it('hashes the exact manifest bytes', () => {
    expect(manifestDigest('{}')).toBe(
      'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
  });
});

describe('imagesToVerify', () => {
  it("groups this account's resolved digests by source repository, distinct and sorted", () => {
    const groups = imagesToVerify(
      [
        image({ digest: d('b') }),
        image({ sourceUri: 'x@b', digest: d('b') }),
        image({ digest: d('a') }),
        image({ repositoryName: 'shop/api', digest: d('c') }),
        image({ region: 'eu-west-1', digest: d('e') }),
      ],
      ACCOUNT,
    );
    expect(groups).toEqual([
      { region: 'eu-west-1', repositoryName: 'shop/web', digests: [d('e')] },
      { region: 'us-east-1', repositoryName: 'shop/api', digests: [d('c')] },
      { region: 'us-east-1', repositoryName: 'shop/web', digests: [d('a'), d('b')] },
    ]);
  });

  it("skips external images, unresolved images and other accounts' registries", () => {
    expect(
      imagesToVerify(
        [
          image({ presence: 'external', registryId: undefined }),
          image({ presence: 'missing', digest: undefined }),
          image({ registryId: '210987654321' }),
        ],
        ACCOUNT,
      ),
    ).toEqual([]);
  });
});

describe('replicationRulesFor and replicatesTo', () => {
  const managed = parseConfig({
    account: ACCOUNT,
    primaryRegion: 'us-east-1',
    drRegion: 'us-west-2',
    images: { replication: { manage: true, repositoryPrefixes: ['shop/', 'payments'] } },
  });

  it('builds one rule to the DR registry with a PREFIX_MATCH filter per prefix', () => {
    expect(replicationRulesFor(managed)).toEqual([
      {
        destinations: [{ region: 'us-west-2', registryId: ACCOUNT }],
        repositoryFilters: [
          { filter: 'shop/', filterType: 'PREFIX_MATCH' },
          { filter: 'payments', filterType: 'PREFIX_MATCH' },
        ],
      },
    ]);
  });

  it('builds no rule when replication is not managed', () => {
    expect(
      replicationRulesFor(
        parseConfig({ account: ACCOUNT, primaryRegion: 'us-east-1', drRegion: 'us-west-2' }),
      ),
    ).toEqual([]);
  });

  it('covers a repository when a rule to the DR registry matches its prefix, or has no filter', () => {
    const rules = replicationRulesFor(managed);
    expect(replicatesTo(rules, 'shop/web', 'us-west-2', ACCOUNT)).toBe(true);
    expect(replicatesTo(rules, 'platform/envoy', 'us-west-2', ACCOUNT)).toBe(false);
    expect(replicatesTo(rules, 'shop/web', 'eu-west-1', ACCOUNT)).toBe(false);
    expect(
      replicatesTo(
        [{ destinations: [{ region: 'us-west-2', registryId: ACCOUNT }] }],
        'any',
        'us-west-2',
        ACCOUNT,
      ),
    ).toBe(true);
  });
});

describe('oldEnoughForBackfill', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  it('is true from minAgeMinutes after the push, and false without a push time', () => {
    expect(oldEnoughForBackfill(new Date('2026-03-01T11:30:00Z'), now, 30)).toBe(true);
    expect(oldEnoughForBackfill(new Date('2026-03-01T11:31:00Z'), now, 30)).toBe(false);
    expect(oldEnoughForBackfill(undefined, now, 0)).toBe(false);
  });
});

describe('applyImageOutcomes', () => {
  const at = '2026-03-01T12:00:00.000Z';
  function body(images: ImageRecord[]): ManifestBody {
    return {
      schemaVersion: 1,
      id: 'rp-20260301T120000000Z-abc123',
      status: 'complete',
      startedAt: at,
      completedAt: at,
      source: { account: ACCOUNT, region: 'us-east-1' },
      target: { region: 'us-west-2' },
      clusters: [],
      services: [],
      taskDefinitions: [],
      images,
      volumes: { ebs: [], efs: [] },
      network: { subnets: [], securityGroups: [] },
      errors: [],
    };
  }

  it('records how each image got to DR and when it was verified', () => {
    const outcomes = new Map<string, DigestOutcome>([
      [digestKey('us-east-1', 'shop/web', d('a')), { presence: 'copied', verifiedAt: at }],
    ]);
    const result = applyImageOutcomes(body([image({}), image({ presence: 'external' })]), outcomes, at);
    expect(result.status).toBe('complete');
    expect(result.images[0]).toMatchObject({ presence: 'copied', verifiedAt: at });
    expect(result.images[1]?.presence).toBe('external');
  });

  it('makes the recovery point partial with an image error per record of a missing digest', () => {
    const outcomes = new Map<string, DigestOutcome>([
      [
        digestKey('us-east-1', 'shop/web', d('a')),
        { presence: 'missing', code: 'LayerInaccessibleException', message: 'no layer', at },
      ],
    ]);
    const result = applyImageOutcomes(
      body([image({}), image({ sourceUri: 'by-digest' })]),
      outcomes,
      '2026-03-01T12:01:00.000Z',
    );
    expect(result.status).toBe('partial');
    expect(result.completedAt).toBe('2026-03-01T12:01:00.000Z');
    expect(result.images.map((i) => i.presence)).toEqual(['missing', 'missing']);
    expect(result.errors.map((e) => [e.resourceType, e.resourceId, e.code])).toEqual([
      ['image', image({}).sourceUri, 'LayerInaccessibleException'],
      ['image', 'by-digest', 'LayerInaccessibleException'],
    ]);
  });
});
