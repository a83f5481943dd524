import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidImageReferenceError } from '../../../src/images/errors';
import { ecrImageUri, ecrRegistryHost, parseImageReference } from '../../../src/images/references';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

const lowerAlnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
const component = fc
  .tuple(
    fc.string({ unit: lowerAlnum, minLength: 1, maxLength: 8 }),
    fc.array(
      fc.tuple(fc.constantFrom('.', '_', '-'), fc.string({ unit: lowerAlnum, minLength: 1, maxLength: 6 })),
      { maxLength: 2 },
    ),
  )
  .map(([head, rest]) => head + rest.map(([sep, part]) => sep + part).join(''));
const repositoryName = fc
  .array(component, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join('/'))
  .filter((n) => n.length >= 2 && n.length <= 256);
const registryId = fc.string({
  unit: fc.constantFrom(...'0123456789'.split('')),
  minLength: 12,
  maxLength: 12,
});
const region = fc.constantFrom(
  'us-east-1',
  'us-west-2',
  'eu-central-1',
  'ap-southeast-2',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
  'eu-isoe-west-1',
);
const tag = fc
  .tuple(
    fc.constantFrom(...'abcXYZ019_'.split('')),
    fc.string({ unit: fc.constantFrom(...'abcXYZ019_.-'.split('')), maxLength: 127 }),
  )
  .map(([first, rest]) => first + rest);
const digest = fc
  .string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 64, maxLength: 64 })
  .map((hex) => `sha256:${hex}`);

describe('parseImageReference', () => {
  it.each([
    [
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.42.0',
      {
        kind: 'ecr',
        registryId: '123456789012',
        region: 'us-east-1',
        repositoryName: 'shop/web',
        tag: '1.42.0',
      },
    ],
    [
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/ledger-worker@${DIGEST}`,
      {
        kind: 'ecr',
        registryId: '123456789012',
        region: 'eu-west-1',
        repositoryName: 'payments/ledger-worker',
        digest: DIGEST,
      },
    ],
    [
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.42.0@${DIGEST}`,
      {
        kind: 'ecr',
        registryId: '123456789012',
        region: 'us-east-1',
        repositoryName: 'shop/web',
        tag: '1.42.0',
        digest: DIGEST,
      },
    ],
    [
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/legacy/billing',
      {
        kind: 'ecr',
        registryId: '123456789012',
        region: 'us-east-1',
        repositoryName: 'legacy/billing',
        tag: 'latest',
      },
    ],
    [
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1',
      { kind: 'ecr', registryId: '123456789012', region: 'cn-north-1', repositoryName: 'app', tag: 'v1' },
    ],
    [
      '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:v1',
      { kind: 'ecr', registryId: '123456789012', region: 'us-gov-west-1', repositoryName: 'app', tag: 'v1' },
    ],
    [
      '123456789012.dkr-ecr.eu-north-1.on.aws/app:v1',
      { kind: 'ecr', registryId: '123456789012', region: 'eu-north-1', repositoryName: 'app', tag: 'v1' },
    ],
    [
      '840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod',
      {
        kind: 'ecr',
        registryId: '840364872350',
        region: 'us-east-1',
        repositoryName: 'aws-appmesh-envoy',
        tag: 'v1.29.6.0-prod',
      },
    ],
    [
      'public.ecr.aws/xray/aws-xray-daemon:3.3.12',
      { kind: 'external', registry: 'public.ecr.aws', repository: 'xray/aws-xray-daemon', tag: '3.3.12' },
    ],
    [
      'redis:7.2-alpine',
      { kind: 'external', registry: 'docker.io', repository: 'library/redis', tag: '7.2-alpine' },
    ],
    ['nginx', { kind: 'external', registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['docker.io/redis:7', { kind: 'external', registry: 'docker.io', repository: 'library/redis', tag: '7' }],
    [
      'amazon/aws-otel-collector:v0.40.0',
      { kind: 'external', registry: 'docker.io', repository: 'amazon/aws-otel-collector', tag: 'v0.40.0' },
    ],
    [
      'ghcr.io/acme/ledger-sync:2.1.0',
      { kind: 'external', registry: 'ghcr.io', repository: 'acme/ledger-sync', tag: '2.1.0' },
    ],
    [
      'localhost:5000/team/app',
      { kind: 'external', registry: 'localhost:5000', repository: 'team/app', tag: 'latest' },
    ],
    [
      `quay.io/prometheus/node-exporter@${DIGEST}`,
      { kind: 'external', registry: 'quay.io', repository: 'prometheus/node-exporter', digest: DIGEST },
    ],
  ])('parses %s', (uri, expected) => {
    expect(parseImageReference(uri)).toEqual(expected);
  });

  it('treats an ECR URI of another account as ECR (the caller decides whether it is its own)', () => {
    const ref = parseImageReference('210987654321.dkr.ecr.us-east-1.amazonaws.com/shared/base:1');

    expect(ref).toMatchObject({ kind: 'ecr', registryId: '210987654321' });
  });

  it.each([
    ['', 'empty'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/Shop/Web:1', 'uppercase ECR repository'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1', 'one-character ECR repository'],
    ['123456789012.dkr.ecr.moon-base-x.amazonaws.com/app:1', 'not a region'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app:', 'empty tag'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app:-bad', 'tag starting with -'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc', 'short digest'],
    [`123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha512:${'a'.repeat(128)}`, 'sha512 digest'],
    ['registry.example.com//app', 'empty path component'],
    ['registry.example.com/app//x:1', 'empty inner component'],
    ['Redis:7', 'uppercase Docker Hub name'],
    ['my registry.example.com/app', 'space'],
    [`app:${'t'.repeat(129)}`, 'tag over 128 characters'],
  ])('rejects %j (%s) with InvalidImageReferenceError', (uri) => {
    expect(() => parseImageReference(uri)).toThrow(InvalidImageReferenceError);
  });

  it('names the reference and the problem in its error', () => {
    expect(() => parseImageReference('123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc')).toThrow(
      'Image reference "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc" is not valid: the digest must be sha256: followed by 64 lowercase hex digits.',
    );
  });

  it('round-trips ecrImageUri by digest (property)', () => {
    fc.assert(
      fc.property(registryId, region, repositoryName, digest, (id, r, repo, d) => {
        expect(parseImageReference(ecrImageUri(id, r, repo, { digest: d }))).toEqual({
          kind: 'ecr',
          registryId: id,
          region: r,
          repositoryName: repo,
          digest: d,
        });
      }),
    );
  });

  it('round-trips ecrImageUri by tag (property)', () => {
    fc.assert(
      fc.property(registryId, region, repositoryName, tag, (id, r, repo, t) => {
        expect(parseImageReference(ecrImageUri(id, r, repo, { tag: t }))).toEqual({
          kind: 'ecr',
          registryId: id,
          region: r,
          repositoryName: repo,
          tag: t,
        });
      }),
    );
  });

  it('never throws anything but InvalidImageReferenceError on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        try {
          parseImageReference(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidImageReferenceError);
        }
      }),
    );
  });

  it('gives every external reference back a tag or a digest (property)', () => {
    fc.assert(
      fc.property(repositoryName, fc.option(tag), fc.option(digest), (repo, t, d) => {
        const uri = `registry.example.com/${repo}${t === null ? '' : `:${t}`}${d === null ? '' : `@${d}`}`;
        const ref = parseImageReference(uri);

        expect(ref).toEqual({
          kind: 'external',
          registry: 'registry.example.com',
          repository: repo,
          ...(t !== null ? { tag: t } : d === null ? { tag: 'latest' } : {}),
          ...(d !== null ? { digest: d } : {}),
        });
      }),
    );
  });
});

describe('ecrImageUri', () => {
  it('builds a digest URI in the DR region registry', () => {
    expect(ecrImageUri('123456789012', 'us-west-2', 'shop/web', { digest: DIGEST })).toBe(
      `123456789012.dkr.ecr.us-west-2.amazonaws.com/shop/web@${DIGEST}`,
    );
  });

  it('builds a tag URI', () => {
    expect(ecrImageUri('123456789012', 'us-west-2', 'shop/web', { tag: '1.42.0' })).toBe(
      '123456789012.dkr.ecr.us-west-2.amazonaws.com/shop/web:1.42.0',
    );
  });

  it('uses the .com.cn domain in the China regions', () => {
    expect(ecrRegistryHost('123456789012', 'cn-northwest-1')).toBe(
      '123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn',
    );
  });

  it.each([
    ['12345', 'us-west-2', 'app', { tag: 'v1' }],
    ['123456789012', 'Oregon', 'app', { tag: 'v1' }],
    ['123456789012', 'us-west-2', 'App', { tag: 'v1' }],
    ['123456789012', 'us-west-2', 'app', { tag: '' }],
    ['123456789012', 'us-west-2', 'app', { digest: 'sha256:xyz' }],
  ] as const)('refuses to build from bad parts (%s, %s, %s, %j)', (id, r, repo, ref) => {
    expect(() => ecrImageUri(id, r, repo, ref)).toThrow(InvalidImageReferenceError);
  });
});
