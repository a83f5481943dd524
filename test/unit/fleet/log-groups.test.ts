import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manifestChecksum, openManifest, sealManifest } from '../../../src/catalog/checksum';
import { drLogGroupKey, logGroupOf, logGroupsWritten } from '../../../src/fleet/log-groups';
import { parseArn } from '../../../src/kernel/arns';
import { parseRestoreInput } from '../../../src/restore/input';
import { planRestore } from '../../../src/restore/plan';
import {
  ACCOUNT,
  DEPLOYMENT_ID,
  DR,
  emptyMappings,
  PRIMARY,
  RECOVERY_POINT_ID,
  shopFleetInventory,
  shopFleetManifest,
} from '../../support/manifest-builder';

const KEY = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const DR_KEY = `arn:aws:kms:${DR}:${ACCOUNT}:key/9999abcd-12ab-34cd-56ef-1234567890ab`;
const MRK = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab`;
const ctx = { primaryRegion: PRIMARY, drRegion: DR, kmsKeys: {} };

describe('logGroupOf', () => {
  it('names the awslogs group written in the region', () => {
    const awslogs = (region: string, group: string) => ({
      logDriver: 'awslogs',
      options: { 'awslogs-group': group, 'awslogs-region': region },
    });
    expect(logGroupOf(awslogs(PRIMARY, '/ecs/web'), PRIMARY)).toBe('/ecs/web');
    expect(logGroupOf(awslogs(DR, '/ecs/web'), PRIMARY)).toBeUndefined();
    expect(logGroupOf(awslogs(PRIMARY, '/ecs/$(name)'), PRIMARY)).toBeUndefined();
    expect(logGroupOf({ logDriver: 'splunk', options: {} }, PRIMARY)).toBeUndefined();
  });

  it("names FireLens' cloudwatch output group", () => {
    const firelens = {
      logDriver: 'awsfirelens',
      options: { Name: 'cloudwatch_logs', region: PRIMARY, log_group_name: '/ecs/fl' },
    };
    expect(logGroupOf(firelens, PRIMARY)).toBe('/ecs/fl');
  });
});

describe('logGroupsWritten', () => {
  it('collects containers and Service Connect groups, sorted and distinct', () => {
    const log = (group: string) => ({
      logDriver: 'awslogs',
      options: { 'awslogs-group': group, 'awslogs-region': PRIMARY },
    });
    const names = logGroupsWritten(
      [
        { containerDefinitions: [{ logConfiguration: log('/b') }, { logConfiguration: log('/a') }] },
        { containerDefinitions: [{ logConfiguration: log('/a') }, {}] },
      ],
      [{ serviceConnectConfiguration: { logConfiguration: log('/sc') } }, {}],
      PRIMARY,
    );
    expect(names).toEqual(['/a', '/b', '/sc']);
  });
});

describe('drLogGroupKey', () => {
  it('gives no key to a group without one', () => {
    expect(drLogGroupKey({ logGroupName: '/a' }, ctx)).toEqual({});
  });

  it('maps the key through mappings.kmsKeys first', () => {
    expect(
      drLogGroupKey({ logGroupName: '/a', kmsKeyId: KEY }, { ...ctx, kmsKeys: { [KEY]: DR_KEY } }),
    ).toEqual({ kmsKeyId: DR_KEY, source: 'mapping' });
  });

  it('moves a multi-Region key to its replica in the DR region', () => {
    expect(drLogGroupKey({ logGroupName: '/a', kmsKeyId: MRK }, ctx)).toEqual({
      kmsKeyId: MRK.replace(PRIMARY, DR),
      source: 'multi-region',
    });
  });

  it('warns LOG_GROUP_KEY_NOT_MAPPED and leaves the key out for a single-region key not mapped', () => {
    const key = drLogGroupKey({ logGroupName: '/a', kmsKeyId: KEY }, ctx);
    expect(key.kmsKeyId).toBeUndefined();
    expect(key.finding).toMatchObject({
      severity: 'warning',
      code: 'LOG_GROUP_KEY_NOT_MAPPED',
      resource: '/a',
    });
    expect(key.finding?.fix).toContain(`mappings.kmsKeys["${KEY}"]`);
  });

  it('never hands a primary-region key to the DR region (property)', () => {
    const keyIds = fc.oneof(
      fc.uuid(),
      fc.stringMatching(/^[a-f0-9]{32}$/).map((hex) => `mrk-${hex}`),
    );
    fc.assert(
      fc.property(keyIds, fc.boolean(), (keyId, mapped) => {
        const kmsKeyId = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/${keyId}`;
        const key = drLogGroupKey(
          { logGroupName: '/g', kmsKeyId },
          { ...ctx, kmsKeys: mapped ? { [kmsKeyId]: DR_KEY } : {} },
        );
        if (key.kmsKeyId !== undefined) expect(parseArn(key.kmsKeyId)?.region).toBe(DR);
        expect(key.kmsKeyId === undefined).toBe(key.finding !== undefined);
      }),
    );
  });
});

describe('manifest logGroups', () => {
  it('is left out of a manifest written before it existed, which still opens with its checksum', () => {
    const { checksum: _checksum, ...body } = shopFleetManifest();
    const text = JSON.stringify(sealManifest(body));
    const opened = openManifest(text);
    expect('logGroups' in opened).toBe(false);
    expect(opened.checksum.value).toBe(manifestChecksum(body));
  });
});

describe('planRestore log groups', () => {
  const provenance = [
    { key: 'lifeboat:deployment', value: DEPLOYMENT_ID },
    { key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID },
  ];

  function planWith(logGroups: { logGroupName: string; retentionInDays?: number; kmsKeyId?: string }[]) {
    const manifest = shopFleetManifest((body) => {
      body.logGroups = logGroups.map((g) => ({ ...g, tags: [{ key: 'team', value: 'shop' }] }));
    });
    return planRestore(manifest, parseRestoreInput({}), {
      drRegion: DR,
      account: ACCOUNT,
      deploymentId: DEPLOYMENT_ID,
      mappings: { ...emptyMappings(), kmsKeys: { [KEY]: DR_KEY } },
      inventory: shopFleetInventory(),
    });
  }

  it("creates a group with the primary group's retention, tags and mapped key", () => {
    const p = planWith([{ logGroupName: '/ecs/shop-api', retentionInDays: 30, kmsKeyId: KEY }]);
    expect(p.logGroups.find((g) => g.logGroupName === '/ecs/shop-api')).toEqual({
      logGroupName: '/ecs/shop-api',
      action: 'create',
      tags: [{ key: 'team', value: 'shop' }, ...provenance],
      retentionInDays: 30,
      kmsKeyId: DR_KEY,
      sourceKmsKeyId: KEY,
    });
  });

  it('notes (info) an existing DR group whose retention differs, and says nothing when it matches', () => {
    const manifest = shopFleetManifest((body) => {
      body.logGroups = [{ logGroupName: '/ecs/shop-web', retentionInDays: 7, tags: [] }];
    });
    const planFor = (retention: Record<string, number>) =>
      planRestore(manifest, parseRestoreInput({}), {
        drRegion: DR,
        account: ACCOUNT,
        deploymentId: DEPLOYMENT_ID,
        mappings: emptyMappings(),
        inventory: shopFleetInventory((inv) => {
          inv.logGroupRetention = retention;
        }),
      });
    const differs = planFor({ '/ecs/shop-web': 30 }).findings.filter(
      (f) => f.code === 'LOG_GROUP_RETENTION_DIFFERS',
    );
    expect(differs.map((f) => [f.severity, f.resource])).toEqual([['info', '/ecs/shop-web']]);
    expect(differs[0]?.message).toContain('30 days');
    expect(
      planFor({ '/ecs/shop-web': 7 }).findings.filter((f) => f.code === 'LOG_GROUP_RETENTION_DIFFERS'),
    ).toEqual([]);
  });

  it('warns when the key cannot be mapped and leaves an existing group as it is', () => {
    const other = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`;
    const p = planWith([
      { logGroupName: '/ecs/shop-api', kmsKeyId: other },
      { logGroupName: '/ecs/shop-web', retentionInDays: 7 },
    ]);
    expect(p.findings.filter((f) => f.code === 'LOG_GROUP_KEY_NOT_MAPPED').map((f) => f.resource)).toEqual([
      '/ecs/shop-api',
    ]);
    expect(p.logGroups.find((g) => g.logGroupName === '/ecs/shop-web')).toEqual({
      logGroupName: '/ecs/shop-web',
      action: 'existing',
      tags: provenance,
    });
  });
});
