import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  manifestChecksum,
  openManifest,
  sealManifest,
  sha256Hex,
} from '../../../src/catalog/checksum';
import { ChecksumMismatchError, ManifestError } from '../../../src/catalog/errors';
import type { ManifestBody } from '../../../src/catalog/manifest';
import { sanitiseTaskDefinition } from '../../../src/fleet/sanitise';

const ID = 'rp-20260314T091500123Z-a1b2c3';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A small but complete recovery point: one cluster, one service, its task definition and image. */
function body(): ManifestBody {
  const fixture = JSON.parse(
    readFileSync(
      join(__dirname, '..', '..', 'fixtures', 'task-definitions', 'fargate-multi-container.json'),
      'utf8',
    ),
  ) as { taskDefinition: Record<string, unknown>; tags: { key: string; value: string }[] };
  return {
    schemaVersion: 1,
    id: ID,
    status: 'complete',
    startedAt: '2026-03-14T09:15:00.123Z',
    completedAt: '2026-03-14T09:16:41.002Z',
    source: { account: '123456789012', region: 'us-east-1' },
    target: { region: 'us-west-2' },
    clusters: [
      {
        clusterName: 'shop',
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop',
        settings: [{ name: 'containerInsights', value: 'enabled' }],
        capacityProviders: ['FARGATE'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
        tags: [],
      },
    ],
    services: [
      {
        clusterName: 'shop',
        serviceName: 'web',
        serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop/web',
        taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:42',
        createInput: {
          serviceName: 'web',
          desiredCount: 3,
          launchType: 'FARGATE',
          enableExecuteCommand: false,
        },
        tags: [{ key: 'lifeboat:backup', value: 'true' }],
        wave: 2,
      },
    ],
    taskDefinitions: [
      {
        sourceArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:42',
        family: 'shop-web',
        revision: 42,
        registerInput: sanitiseTaskDefinition(fixture.taskDefinition, fixture.tags),
        tags: fixture.tags,
      },
    ],
    images: [
      {
        sourceUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.42.0',
        registryId: '123456789012',
        region: 'us-east-1',
        repositoryName: 'shop/web',
        tag: '1.42.0',
        digest: DIGEST,
        drUri: `123456789012.dkr.ecr.us-west-2.amazonaws.com/shop/web@${DIGEST}`,
        presence: 'unverified',
        usedBy: ['shop-web:42/web'],
      },
    ],
    volumes: { ebs: [], efs: [] },
    network: { subnets: [], securityGroups: [] },
    errors: [],
  };
}

type Path = readonly (string | number)[];

/** Every path to a string, number or boolean in a JSON value. */
function leafPaths(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
  }
  return ['string', 'number', 'boolean'].includes(typeof value) ? [path] : [];
}

/** Copy of a JSON value with the leaf at `path` changed to a different value of the same type. */
function changeLeaf(value: unknown, path: Path): unknown {
  if (path.length === 0) {
    if (typeof value === 'string') return `${value}x`;
    if (typeof value === 'number') return value + 1;
    return !value;
  }
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? changeLeaf(v, rest) : v));
  const record = value as Record<string, unknown>;
  return { ...record, [String(head)]: changeLeaf(record[String(head)], rest) };
}

/** Copy of a JSON value with the keys of every object in reverse insertion order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    );
  }
  return value;
}

describe('canonicalJson', () => {
  it('sorts keys by code point and leaves out whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], B: { d: 2, c: 3 }, é: 0 })).toBe(
      '{"B":{"c":3,"d":2},"a":[true,null,"x"],"b":1,"é":0}',
    );
  });

  it('does not depend on key order (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(reverseKeys(value))).toBe(canonicalJson(value));
      }),
    );
  });

  it('reads back as the same value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('follows JSON.stringify for undefined, functions, symbols and toJSON (property)', () => {
    const odd = fc.oneof(
      fc.constant(undefined),
      fc.constant(() => 1),
      fc.constant(Symbol('s')),
      fc.date({ noInvalidDate: true }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), odd)),
        fc.array(odd),
        (record, list) => {
          const value = { record, list };
          expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
        },
      ),
    );
  });

  it('hashes a Date as its ISO string, as it is stored', () => {
    const at = '2026-03-14T09:15:00.123Z';

    expect(canonicalJson({ at: new Date(at) })).toBe(canonicalJson({ at }));
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses the number %s', (n) => {
    expect(() => canonicalJson({ n })).toThrow(ManifestError);
  });

  it('refuses a value JSON cannot hold at the top level', () => {
    expect(() => canonicalJson(undefined)).toThrow(ManifestError);
  });
});

describe('sha256Hex', () => {
  it('hashes UTF-8 text', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('é')).toBe(sha256Hex(Buffer.from('é', 'utf8').toString()));
  });
});

describe('manifestChecksum', () => {
  it('is the SHA-256 of the canonical form', () => {
    const b = body();

    expect(manifestChecksum(b)).toBe(sha256Hex(canonicalJson(b)));
  });

  it('changes when any leaf changes (property)', () => {
    const b = body();
    const original = manifestChecksum(b);
    const paths = leafPaths(b);
    expect(paths.length).toBeGreaterThan(100);

    fc.assert(
      fc.property(fc.integer({ min: 0, max: paths.length - 1 }), (i) => {
        const path = paths[i] ?? [];
        expect(manifestChecksum(changeLeaf(b, path) as ManifestBody), path.join('.')).not.toBe(original);
      }),
      { numRuns: Math.min(paths.length, 400) },
    );
  });
});

describe('sealManifest and openManifest', () => {
  it('opens what it sealed, however the JSON is laid out', () => {
    const sealed = sealManifest(body());

    expect(openManifest(JSON.stringify(sealed), ID)).toEqual(sealed);
    expect(openManifest(JSON.stringify(reverseKeys(sealed), null, 2), ID)).toEqual(sealed);
  });

  it('opens a manifest sealed with a Date inside a register input once it is stored as JSON', () => {
    const b = body();
    const td = b.taskDefinitions[0];
    if (!td) throw new Error('fixture has a task definition');
    const withDate = {
      ...b,
      taskDefinitions: [
        { ...td, registerInput: { ...td.registerInput, capturedAt: new Date('2026-03-14T09:15:00.000Z') } },
      ],
    };

    const sealed = sealManifest(withDate);

    expect(() => openManifest(JSON.stringify(sealed), ID)).not.toThrow();
  });

  it('fills schema defaults before sealing, so the stored checksum covers them', () => {
    const b = body();
    const { volumes: _v, network: _n, ...withoutDefaults } = b;

    const sealed = sealManifest(withoutDefaults as ManifestBody);

    expect(sealed.volumes).toEqual({ ebs: [], efs: [] });
    expect(openManifest(JSON.stringify(sealed))).toEqual(sealed);
  });

  it('refuses a manifest with any leaf changed after sealing (property)', () => {
    const sealed = sealManifest(body());
    const paths = leafPaths(sealed).filter((p) => p[0] !== 'checksum');

    fc.assert(
      fc.property(fc.integer({ min: 0, max: paths.length - 1 }), (i) => {
        const tampered = JSON.stringify(changeLeaf(sealed, paths[i] ?? []));
        expect(() => openManifest(tampered)).toThrow(ManifestError);
      }),
      { numRuns: Math.min(paths.length, 400) },
    );
  });

  it('throws ChecksumMismatchError naming both hashes when content was altered', () => {
    const sealed = sealManifest(body());
    const altered = { ...sealed, services: [{ ...sealed.services[0], wave: 9 }] };

    const error = (() => {
      try {
        openManifest(JSON.stringify(altered), ID);
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error).toMatchObject({ name: 'ChecksumMismatchError', recoveryPointId: ID });
    expect((error as Error).message).toContain(sealed.checksum.value);
    expect((error as Error).message).toContain('restore from another recovery point');
  });

  it('throws ManifestError for text that is not JSON', () => {
    expect(() => openManifest('{"schemaVersion":1,', ID)).toThrow(/not valid JSON/);
  });

  it('throws ManifestError asking for an upgrade for another schema version', () => {
    const sealed = sealManifest(body());

    expect(() => openManifest(JSON.stringify({ ...sealed, schemaVersion: 2 }), ID)).toThrow(
      /schema version 2; this Lifeboat reads version 1\. Upgrade Lifeboat/,
    );
  });

  it('throws ManifestError naming the path that breaks the schema', () => {
    const sealed = sealManifest(body());

    expect(() => openManifest(JSON.stringify({ ...sealed, status: 'done' }), ID)).toThrow(
      /does not match the manifest schema \(status:/,
    );
  });

  it('throws ManifestError when the object holds another recovery point', () => {
    const sealed = sealManifest(body());

    expect(() => openManifest(JSON.stringify(sealed), 'rp-20260314T091500123Z-ffffff')).toThrow(
      /holds recovery point rp-20260314T091500123Z-a1b2c3/,
    );
  });

  it('refuses to seal a body that breaks the schema', () => {
    expect(() => sealManifest({ ...body(), id: 'latest' })).toThrow();
  });
});
