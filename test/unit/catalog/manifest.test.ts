import { describe, expect, it } from 'vitest';
import {
  imageRecordSchema,
  MANIFEST_SCHEMA_VERSION,
  manifestBodySchema,
  recoveryPointIdSchema,
  registerTaskDefinitionInputSchema,
  resourceErrorSchema,
  serviceKey,
  serviceRecordSchema,
} from '../../../src/catalog/manifest';

const DIGEST = `sha256:${'cd'.repeat(32)}`;

/** The smallest valid manifest body: no services captured. */
const emptyBody = () => ({
  schemaVersion: MANIFEST_SCHEMA_VERSION,
  id: 'rp-20260314T091500123Z-a1b2c3',
  status: 'complete',
  startedAt: '2026-03-14T09:15:00.123Z',
  completedAt: '2026-03-14T09:16:41.002Z',
  source: { account: '123456789012', region: 'us-east-1' },
  target: { region: 'us-west-2' },
  clusters: [],
  services: [],
  taskDefinitions: [],
  images: [],
  errors: [],
});

const service = () => ({
  clusterName: 'shop',
  serviceName: 'web',
  serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop/web',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:42',
  createInput: { serviceName: 'web', desiredCount: 2 },
});

describe('manifestBodySchema', () => {
  it('accepts an empty recovery point and fills the volume and network defaults', () => {
    const parsed = manifestBodySchema.parse(emptyBody());

    expect(parsed.volumes).toEqual({ ebs: [], efs: [] });
    expect(parsed.network).toEqual({ subnets: [], securityGroups: [] });
  });

  it('rejects an unknown top-level member', () => {
    expect(manifestBodySchema.safeParse({ ...emptyBody(), note: 'x' }).success).toBe(false);
  });

  it('rejects another schema version', () => {
    expect(manifestBodySchema.safeParse({ ...emptyBody(), schemaVersion: 2 }).success).toBe(false);
  });

  it.each([
    ['account', { source: { account: '1234', region: 'us-east-1' } }],
    ['source region', { source: { account: '123456789012', region: 'US-EAST-1' } }],
    ['target region', { target: { region: 'mars-1' } }],
    ['status', { status: 'done' }],
    ['startedAt', { startedAt: '14/03/2026' }],
  ])('rejects a bad %s', (_what, patch) => {
    expect(manifestBodySchema.safeParse({ ...emptyBody(), ...patch }).success).toBe(false);
  });

  it('accepts timestamps with an offset', () => {
    expect(
      manifestBodySchema.safeParse({ ...emptyBody(), completedAt: '2026-03-14T10:16:41+01:00' }).success,
    ).toBe(true);
  });
});

describe('recoveryPointIdSchema', () => {
  it.each(['rp-20260314T091500123Z-a1b2c3', 'rp-20000101T000000000Z-000000'])('accepts %s', (id) => {
    expect(recoveryPointIdSchema.safeParse(id).success).toBe(true);
  });

  it.each([
    'latest',
    'rp-20260314T091500Z-a1b2c3',
    'rp-20260314T091500123Z-A1B2C3',
    'rp-20260314T091500123Z-a1b2c',
  ])('rejects %s', (id) => {
    expect(recoveryPointIdSchema.safeParse(id).success).toBe(false);
  });
});

describe('serviceRecordSchema', () => {
  it('defaults tags to none and the wave to 1', () => {
    expect(serviceRecordSchema.parse(service())).toMatchObject({ tags: [], wave: 1 });
  });

  it('keeps every CreateService member it does not name', () => {
    const createInput = { serviceName: 'web', enableExecuteCommand: true, propagateTags: 'SERVICE' };

    expect(serviceRecordSchema.parse({ ...service(), createInput }).createInput).toEqual(createInput);
  });

  it.each([-1, 1.5])('rejects the wave %s', (wave) => {
    expect(serviceRecordSchema.safeParse({ ...service(), wave }).success).toBe(false);
  });

  it('rejects a member it does not know', () => {
    expect(serviceRecordSchema.safeParse({ ...service(), desiredCount: 2 }).success).toBe(false);
  });
});

describe('registerTaskDefinitionInputSchema', () => {
  it('keeps every ECS setting beyond family and container names and images', () => {
    const input = {
      family: 'shop-web',
      cpu: '256',
      containerDefinitions: [{ name: 'web', image: 'nginx', linuxParameters: { initProcessEnabled: true } }],
    };

    expect(registerTaskDefinitionInputSchema.parse(input)).toEqual(input);
  });

  it.each([
    ['no containers', { family: 'f', containerDefinitions: [] }],
    ['a container without an image', { family: 'f', containerDefinitions: [{ name: 'a' }] }],
    ['an empty family', { family: '', containerDefinitions: [{ name: 'a', image: 'b' }] }],
  ])('rejects %s', (_what, input) => {
    expect(registerTaskDefinitionInputSchema.safeParse(input).success).toBe(false);
  });
});

describe('imageRecordSchema', () => {
  it('accepts an ECR image resolved to a digest and defaults usedBy', () => {
    const record = imageRecordSchema.parse({
      sourceUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:1',
      registryId: '123456789012',
      region: 'us-east-1',
      repositoryName: 'shop/web',
      tag: '1',
      digest: DIGEST,
      presence: 'unverified',
    });

    expect(record.usedBy).toEqual([]);
  });

  it.each(['sha256:abc', `sha512:${'a'.repeat(128)}`, DIGEST.toUpperCase()])(
    'rejects the digest %s',
    (digest) => {
      expect(imageRecordSchema.safeParse({ sourceUri: 'x', digest, presence: 'unverified' }).success).toBe(
        false,
      );
    },
  );

  it('rejects an unknown presence', () => {
    expect(imageRecordSchema.safeParse({ sourceUri: 'x', presence: 'maybe' }).success).toBe(false);
  });
});

describe('resourceErrorSchema', () => {
  it('requires a timestamp and a known resource type', () => {
    const error = {
      resourceType: 'taskDefinition',
      resourceId: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:41',
      code: 'ClientException',
      message: 'Unable to describe task definition.',
      at: '2026-03-14T09:15:02.000Z',
    };

    expect(resourceErrorSchema.safeParse(error).success).toBe(true);
    expect(resourceErrorSchema.safeParse({ ...error, at: undefined }).success).toBe(false);
    expect(resourceErrorSchema.safeParse({ ...error, resourceType: 'lambda' }).success).toBe(false);
  });

  it('accepts a failure to describe the network block', () => {
    const error = {
      resourceType: 'network',
      resourceId: 'subnet-0aaa',
      code: 'InvalidSubnetID.NotFound',
      message: "The subnet ID 'subnet-0aaa' does not exist",
      at: '2026-03-14T09:15:02.000Z',
    };

    expect(resourceErrorSchema.safeParse(error).success).toBe(true);
  });
});

describe('serviceKey', () => {
  it('names a service "cluster/service"', () => {
    expect(serviceKey({ clusterName: 'shop', serviceName: 'web' })).toBe('shop/web');
  });
});
