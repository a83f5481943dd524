import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../../src/catalog/manifest';
import { type DrInventory, drInventorySchema } from '../../../src/fleet/inventory';
import { parseArn } from '../../../src/kernel/arns';
import { NoServicesSelectedError, RecoveryPointUnusableError } from '../../../src/restore/errors';
import { isServiceSelected, parseRestoreInput } from '../../../src/restore/input';
import {
  checkRecoveryPointUsable,
  type PlanContext,
  planRestore,
  type RestorePlan,
} from '../../../src/restore/plan';
import {
  ACCOUNT,
  DEPLOYMENT_ID,
  DR,
  emptyMappings,
  ManifestBuilder,
  PRIMARY,
  RECOVERY_POINT_ID,
  replicatedImage,
  shopFleetInventory,
  shopFleetManifest,
} from '../../support/manifest-builder';

function planContext(overrides: Partial<PlanContext> = {}): PlanContext {
  return {
    drRegion: DR,
    account: ACCOUNT,
    deploymentId: DEPLOYMENT_ID,
    mappings: emptyMappings(),
    inventory: shopFleetInventory(),
    ...overrides,
  };
}

function plan(
  manifest: Manifest,
  raw: Record<string, unknown> = {},
  ctx: Partial<PlanContext> = {},
): RestorePlan {
  return planRestore(manifest, parseRestoreInput(raw), planContext(ctx));
}

function serviceOf(p: RestorePlan, key: string) {
  const service = p.services.find((s) => s.key === key);
  if (!service) throw new Error(`plan has no service ${key}`);
  return service;
}

function findingCodes(p: RestorePlan, key?: string): string[] {
  return p.findings.filter((f) => f.service === key).map((f) => `${f.severity}:${f.code}`);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

const emptyInventory = (): DrInventory => drInventorySchema.parse({});

describe('planRestore on the shop fleet', () => {
  const shop = plan(shopFleetManifest());

  it('orders the services in ascending waves, each service once', () => {
    expect(shop.waves).toEqual([
      { wave: 1, services: ['payments/ledger', 'payments/reconciler'] },
      { wave: 2, services: ['shop/api', 'shop/worker'] },
      { wave: 3, services: ['shop/web'] },
    ]);
    expect(shop.services.map((s) => s.key)).toEqual([
      'payments/ledger',
      'payments/reconciler',
      'shop/api',
      'shop/web',
      'shop/worker',
    ]);
  });

  it('blocks only the service whose image is missing in the DR region', () => {
    expect(shop.services.filter((s) => s.blocked).map((s) => [s.key, s.blockedBy])).toEqual([
      ['shop/worker', ['IMAGE_MISSING']],
    ]);
    expect(shop.totals).toMatchObject({
      services: 5,
      restorable: 4,
      blocked: 1,
      create: 4,
      desiredTasks: 10,
    });
  });

  it('creates every service (nothing exists in the DR region) at its captured desired count', () => {
    expect(shop.services.map((s) => [s.key, s.action, s.desiredCount])).toEqual([
      ['payments/ledger', 'create', 2],
      ['payments/reconciler', 'create', 1],
      ['shop/api', 'create', 3],
      ['shop/web', 'create', 4],
      ['shop/worker', 'create', 2],
    ]);
  });

  it('retargets the web service: network by tags and names, target group by name, images by digest', () => {
    const web = serviceOf(shop, 'shop/web');
    expect(web.createServiceInput).toMatchObject({
      serviceName: 'web',
      cluster: 'shop',
      desiredCount: 4,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0dr1dr1dr1dr1dr1d', 'subnet-0dr2dr2dr2dr2dr2d'],
          securityGroups: ['sg-0drweb0drweb0drw'],
        },
      },
      loadBalancers: [
        {
          targetGroupArn: `arn:aws:elasticloadbalancing:${DR}:${ACCOUNT}:targetgroup/shop-web/fedcba9876543210`,
        },
      ],
    });
    expect(web.images.every((uri) => uri.startsWith(`${ACCOUNT}.dkr.ecr.${DR}.amazonaws.com/`))).toBe(true);
    expect(web.pendingAccessPoints).toEqual(['fsap-0a1b2c3d4e5f60718']);
    expect(findingCodes(shop, 'shop/web')).toEqual([
      'warning:IMAGE_UNVERIFIED',
      'warning:PRIMARY_REGION_REFERENCE',
      'warning:S3_OBJECT_NOT_MAPPED',
      'warning:SERVICE_CONNECT_NAMESPACE_REQUIRED',
      'info:SECRET_RESOLVED_BY_NAME',
      'info:SUBNET_MATCHED_BY_NAME',
      'info:TARGET_GROUP_MATCHED_BY_NAME',
    ]);
  });

  it('plans the clusters with their settings and the Fargate capacity providers', () => {
    expect(shop.clusters).toEqual([
      {
        clusterName: 'payments',
        action: 'create',
        services: ['payments/ledger', 'payments/reconciler'],
        createInput: {
          clusterName: 'payments',
          settings: [{ name: 'containerInsights', value: 'enhanced' }],
          capacityProviders: ['FARGATE'],
          defaultCapacityProviderStrategy: [],
          tags: [
            { key: 'lifeboat:backup', value: 'true' },
            { key: 'cost-center', value: 'payments' },
            { key: 'lifeboat:deployment', value: DEPLOYMENT_ID },
            { key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID },
          ],
        },
      },
      {
        clusterName: 'shop',
        action: 'create',
        services: ['shop/api', 'shop/web', 'shop/worker'],
        createInput: {
          clusterName: 'shop',
          settings: [{ name: 'containerInsights', value: 'enabled' }],
          configuration: {
            executeCommandConfiguration: {
              kmsKeyId: `arn:aws:kms:${DR}:${ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef`,
              logging: 'OVERRIDE',
              logConfiguration: {
                cloudWatchLogGroupName: '/ecs/exec/shop',
                cloudWatchEncryptionEnabled: true,
              },
            },
          },
          capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
          defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
          tags: [
            { key: 'lifeboat:backup', value: 'true' },
            { key: 'lifeboat:deployment', value: DEPLOYMENT_ID },
            { key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID },
          ],
        },
      },
    ]);
    expect(findingCodes(shop)).toEqual([
      'warning:CAPACITY_PROVIDER_NOT_IN_DR',
      'warning:EFS_NOT_PROMOTED',
      'warning:SERVICE_CONNECT_NAMESPACE_NOT_MAPPED',
    ]);
  });

  it('lists the log groups the restorable services and clusters write to, creating the missing ones', () => {
    const tags = [
      { key: 'lifeboat:deployment', value: DEPLOYMENT_ID },
      { key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID },
    ];
    expect(shop.logGroups).toEqual([
      { logGroupName: '/ecs/exec/shop', action: 'create', tags },
      { logGroupName: '/ecs/payments-ledger', action: 'create', tags },
      { logGroupName: '/ecs/payments-reconciler', action: 'create', tags },
      { logGroupName: '/ecs/service-connect/shop', action: 'create', tags },
      { logGroupName: '/ecs/shop-api', action: 'create', tags },
      { logGroupName: '/ecs/shop-web', action: 'existing', tags },
      { logGroupName: '/ecs/shop-web/app', action: 'create', tags },
    ]);
  });

  it('fails over the EFS replica and recreates the access point from its recorded definition', () => {
    expect(shop.efsFileSystems).toEqual([
      {
        sourceFileSystemId: 'fs-0123456789abcdef0',
        drFileSystemId: 'fs-0fedcba9876543210',
        services: ['shop/web'],
        promote: false,
      },
    ]);
    expect(shop.efsAccessPoints).toEqual([
      {
        sourceAccessPointId: 'fsap-0a1b2c3d4e5f60718',
        sourceFileSystemId: 'fs-0123456789abcdef0',
        drFileSystemId: 'fs-0fedcba9876543210',
        rootDirectory: {
          path: '/uploads',
          creationInfo: { ownerUid: 1000, ownerGid: 1000, permissions: '750' },
        },
        posixUser: { uid: 1000, gid: 1000 },
        tags: [
          { key: 'lifeboat:source-id', value: 'fsap-0a1b2c3d4e5f60718' },
          { key: 'Name', value: 'shop-uploads' },
          { key: 'lifeboat:deployment', value: DEPLOYMENT_ID },
          { key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID },
        ],
        services: ['shop/web'],
      },
    ]);
  });

  it('restores the ledger onto its DR snapshot without the primary Cloud Map registration', () => {
    const ledger = serviceOf(shop, 'payments/ledger');
    expect(ledger.createServiceInput.volumeConfigurations).toMatchObject([
      { name: 'ledger-data', managedEBSVolume: { snapshotId: 'snap-0ledgerdr00000001' } },
    ]);
    expect(ledger.createServiceInput).not.toHaveProperty('serviceRegistries');
    expect(findingCodes(shop, 'payments/ledger')).toEqual([
      'warning:KMS_KEY_NOT_IN_DR',
      'warning:SERVICE_REGISTRY_NOT_RESTORED',
      'info:SECURITY_GROUP_MATCHED_BY_NAME',
    ]);
  });

  it('collects the roles the restore passes to ECS', () => {
    expect(shop.roles).toContain(`arn:aws:iam::${ACCOUNT}:role/ecsInfrastructureRole`);
    expect(shop.roles).toContain(`arn:aws:iam::${ACCOUNT}:role/shop-web-task`);
    expect(shop.roles).not.toContain(`arn:aws:iam::${ACCOUNT}:role/shop-worker-task`);
  });

  it('is JSON: serialising and reading it back gives the same plan', () => {
    expect(JSON.parse(JSON.stringify(shop))).toStrictEqual(shop);
  });

  it('is deterministic: the order of the recovery point lists does not change it', () => {
    const reversed = plan(
      shopFleetManifest((body) => {
        body.services.reverse();
        body.taskDefinitions.reverse();
        body.images.reverse();
        body.clusters.reverse();
        body.network.subnets.reverse();
      }),
    );
    expect(reversed).toEqual(shop);
  });

  it('sorts findings errors first', () => {
    const severities = shop.findings.map((f) => f.severity);
    expect(severities).toEqual(
      [...severities].sort(
        (a, b) => ['error', 'warning', 'info'].indexOf(a) - ['error', 'warning', 'info'].indexOf(b),
      ),
    );
    expect(shop.findings[0]).toMatchObject({
      severity: 'error',
      code: 'IMAGE_MISSING',
      service: 'shop/worker',
    });
  });
});

describe('planRestore', () => {
  it('scales desired counts by the percentage, rounding up, and keeps 0 at 0', () => {
    const half = plan(shopFleetManifest(), { desiredCountPercent: 50 });
    expect(half.services.map((s) => [s.key, s.sourceDesiredCount, s.desiredCount])).toEqual([
      ['payments/ledger', 2, 1],
      ['payments/reconciler', 1, 1],
      ['shop/api', 3, 2],
      ['shop/web', 4, 2],
      ['shop/worker', 2, 1],
    ]);
    const none = plan(shopFleetManifest(), { desiredCountPercent: 0 });
    expect(none.services.every((s) => s.desiredCount === 0 && s.createServiceInput.desiredCount === 0)).toBe(
      true,
    );
  });

  it('plans only the selected services, leaving out the excluded ones', () => {
    const p = plan(shopFleetManifest(), { services: ['shop/*'], exclude: ['shop/w*'] });
    expect(p.services.map((s) => s.key)).toEqual(['shop/api']);
    expect(p.clusters.map((c) => c.clusterName)).toEqual(['shop']);
  });

  it('fails with NoServicesSelectedError listing the available services when nothing matches', () => {
    const error = thrown(() => plan(shopFleetManifest(), { services: ['billing/*'] }));
    expect(error).toBeInstanceOf(NoServicesSelectedError);
    expect((error as Error).name).toBe('NoServicesSelectedError');
    expect((error as Error).message).toContain('"services": ["billing/*"]');
    expect((error as Error).message).toContain('Available: payments/ledger, payments/reconciler, shop/api');
  });

  it('names the exclusion when it is what left nothing selected', () => {
    const error = thrown(() => plan(shopFleetManifest(), { services: ['shop/api'], exclude: ['shop/*'] }));
    expect((error as Error).message).toContain('with "exclude": ["shop/*"]');
  });

  it('blocks a service whose task definition is not in the recovery point', () => {
    const manifest = new ManifestBuilder()
      .service('shop/web')
      .edit((body) => {
        body.taskDefinitions = [];
      })
      .build();
    const p = plan(manifest, {}, { inventory: emptyInventory() });
    expect(serviceOf(p, 'shop/web')).toMatchObject({
      blocked: true,
      blockedBy: ['TASK_DEFINITION_NOT_IN_RECOVERY_POINT'],
    });
    expect(serviceOf(p, 'shop/web')).not.toHaveProperty('taskDefinition');
    expect(p.clusters).toEqual([{ clusterName: 'shop', action: 'skip', services: ['shop/web'] }]);
  });

  describe('existing DR services', () => {
    const manifest = new ManifestBuilder().service('shop/web', { desiredCount: 4 }).build();
    const inventoryWith = (service: DrInventory['services'][string]) =>
      drInventorySchema.parse({ clusters: ['shop'], services: { 'shop/web': service } });

    const owned = (recoveryPoint = 'rp-20260101T000000000Z-0ld000') => [
      { key: 'lifeboat:deployment', value: DEPLOYMENT_ID },
      { key: 'lifeboat:recovery-point', value: recoveryPoint },
    ];
    const native = {
      status: 'ACTIVE',
      taskDefinitionArn: `arn:aws:ecs:${DR}:${ACCOUNT}:task-definition/web-dr:12`,
      desiredCount: 7,
      tags: [{ key: 'team', value: 'dr' }],
    };

    it('updates an ACTIVE service this deployment restored, and says so', () => {
      const p = plan(
        manifest,
        {},
        { inventory: inventoryWith({ status: 'ACTIVE', desiredCount: 1, tags: owned() }) },
      );
      expect(serviceOf(p, 'shop/web')).toMatchObject({ action: 'update', adopt: false, blocked: false });
      expect(findingCodes(p, 'shop/web')).toContain('info:SERVICE_EXISTS');
      expect(p.clusters).toEqual([{ clusterName: 'shop', action: 'existing', services: ['shop/web'] }]);
    });

    it('leaves a service already restored from this recovery point at this desired count unchanged', () => {
      const restored = { status: 'ACTIVE', desiredCount: 4, tags: owned(RECOVERY_POINT_ID) };
      const p = plan(manifest, {}, { inventory: inventoryWith(restored) });
      expect(serviceOf(p, 'shop/web').action).toBe('unchanged');
      expect(p.totals.unchanged).toBe(1);
      expect(
        plan(manifest, { desiredCountPercent: 50 }, { inventory: inventoryWith(restored) }).services[0]
          ?.action,
      ).toBe('update');
    });

    it('blocks a DR service Lifeboat did not create, naming what it runs, what the restore would do and the fix', () => {
      const p = plan(manifest, {}, { inventory: inventoryWith(native) });
      expect(serviceOf(p, 'shop/web')).toMatchObject({
        action: 'update',
        adopt: false,
        blocked: true,
        blockedBy: ['SERVICE_NOT_OWNED'],
      });
      const finding = p.findings.find((f) => f.code === 'SERVICE_NOT_OWNED');
      expect(finding).toMatchObject({ severity: 'error', resource: 'shop/web', service: 'shop/web' });
      expect(finding?.message).toContain(
        'task definition arn:aws:ecs:us-west-2:123456789012:task-definition/web-dr:12',
      );
      expect(finding?.message).toContain('desired count 7');
      expect(finding?.message).toContain(
        "would update it to this recovery point's task definition and a desired count of 4",
      );
      expect(finding?.message).toContain('left untouched');
      expect(finding?.fix).toBe(
        'To take it over, add "adopt": ["shop/web"] to the restore input; to leave it out, add "shop/web" to "exclude".',
      );
      expect(p.totals).toMatchObject({ blocked: 1, restorable: 0, update: 0 });
      expect(p.clusters).toEqual([{ clusterName: 'shop', action: 'existing', services: ['shop/web'] }]);
    });

    it('blocks a service restored before deployments were tagged (recovery point tag only), with a fix to adopt it once', () => {
      const legacy = {
        status: 'ACTIVE',
        desiredCount: 4,
        tags: [{ key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID }],
      };
      const p = plan(manifest, {}, { inventory: inventoryWith(legacy) });
      expect(serviceOf(p, 'shop/web')).toMatchObject({ blocked: true, blockedBy: ['SERVICE_NOT_OWNED'] });
      const finding = p.findings.find((f) => f.code === 'SERVICE_NOT_OWNED');
      expect(finding?.message).toContain(
        `lifeboat:recovery-point=${RECOVERY_POINT_ID} but no lifeboat:deployment`,
      );
      expect(finding?.fix).toContain('"adopt": ["shop/web"] to the restore input (once:');
    });

    it('blocks a service another Lifeboat deployment restored, naming that deployment', () => {
      const other = {
        status: 'ACTIVE',
        desiredCount: 4,
        tags: [
          { key: 'lifeboat:deployment', value: 'eu-west-1-us-west-2' },
          { key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID },
        ],
      };
      const p = plan(manifest, {}, { inventory: inventoryWith(other) });
      expect(serviceOf(p, 'shop/web').blockedBy).toEqual(['SERVICE_NOT_OWNED']);
      expect(p.findings.find((f) => f.code === 'SERVICE_NOT_OWNED')?.message).toContain(
        'another Lifeboat deployment (lifeboat:deployment=eu-west-1-us-west-2',
      );
    });

    it('plans an adopted service as an update with a warning that it will be taken over and tagged', () => {
      const p = plan(manifest, { adopt: ['shop/web'] }, { inventory: inventoryWith(native) });
      expect(serviceOf(p, 'shop/web')).toMatchObject({
        action: 'update',
        adopt: true,
        blocked: false,
        blockedBy: [],
      });
      expect(findingCodes(p, 'shop/web')).toContain('warning:SERVICE_ADOPTED');
      expect(findingCodes(p, 'shop/web')).not.toContain('error:SERVICE_NOT_OWNED');
      expect(p.findings.find((f) => f.code === 'SERVICE_ADOPTED')?.message).toContain(
        `tags it lifeboat:deployment=${DEPLOYMENT_ID}`,
      );
      expect(p.totals).toMatchObject({ update: 1, restorable: 1 });
    });

    it('adopts nothing for an owned service named in "adopt": it is planned as usual', () => {
      const restored = { status: 'ACTIVE', desiredCount: 4, tags: owned(RECOVERY_POINT_ID) };
      const p = plan(manifest, { adopt: ['shop/web'] }, { inventory: inventoryWith(restored) });
      expect(serviceOf(p, 'shop/web')).toMatchObject({ action: 'unchanged', adopt: false });
      expect(p.findings.map((f) => f.code)).not.toContain('SERVICE_ADOPTED');
    });

    it('warns about an "adopt" key that is not selected (a typo) or not in the DR region', () => {
      const typo = plan(manifest, { adopt: ['shop/wbe'] }, { inventory: inventoryWith(native) });
      expect(typo.findings.filter((f) => f.code.startsWith('ADOPT_'))).toMatchObject([
        { severity: 'warning', code: 'ADOPT_NOT_SELECTED', resource: 'shop/wbe' },
      ]);
      expect(serviceOf(typo, 'shop/web').blockedBy).toEqual(['SERVICE_NOT_OWNED']);
      const excluded = new ManifestBuilder().service('shop/web').service('shop/api').build();
      const left = plan(
        excluded,
        { exclude: ['shop/api'], adopt: ['shop/api'] },
        { inventory: emptyInventory() },
      );
      expect(left.findings.map((f) => f.code)).toContain('ADOPT_NOT_SELECTED');
      const absent = plan(manifest, { adopt: ['shop/web'] }, { inventory: emptyInventory() });
      expect(absent.findings.filter((f) => f.code.startsWith('ADOPT_'))).toMatchObject([
        { severity: 'warning', code: 'ADOPT_NOT_IN_DR', resource: 'shop/web', service: 'shop/web' },
      ]);
      expect(serviceOf(absent, 'shop/web')).toMatchObject({ action: 'create', adopt: false, blocked: false });
    });

    it('creates over an INACTIVE service', () => {
      const p = plan(manifest, {}, { inventory: inventoryWith({ status: 'INACTIVE', tags: [] }) });
      expect(serviceOf(p, 'shop/web').action).toBe('create');
    });

    it('blocks a service that is still DRAINING', () => {
      const p = plan(manifest, {}, { inventory: inventoryWith({ status: 'DRAINING', tags: [] }) });
      expect(serviceOf(p, 'shop/web')).toMatchObject({ blocked: true, blockedBy: ['SERVICE_DRAINING'] });
    });
  });

  it('creates every log group when the inventory could not list them', () => {
    const p = plan(
      shopFleetManifest(),
      {},
      {
        inventory: shopFleetInventory((inv) => {
          inv.logGroups = undefined;
        }),
      },
    );
    expect(p.logGroups.every((g) => g.action === 'create')).toBe(true);
  });

  it('reuses an access point a previous restore made instead of creating another', () => {
    const p = plan(
      shopFleetManifest(),
      {},
      {
        inventory: shopFleetInventory((inv) => {
          inv.efsAccessPoints = [
            {
              accessPointId: 'fsap-0dr00000000000001',
              fileSystemId: 'fs-0fedcba9876543210',
              sourceAccessPointId: 'fsap-0a1b2c3d4e5f60718',
            },
          ];
        }),
      },
    );
    expect(p.efsAccessPoints).toEqual([]);
    expect(serviceOf(p, 'shop/web').pendingAccessPoints).toEqual([]);
    expect(JSON.stringify(serviceOf(p, 'shop/web').taskDefinition)).toContain('fsap-0dr00000000000001');
  });

  it('blocks a service whose access point has no record to recreate it from', () => {
    const p = plan(
      shopFleetManifest((body) => {
        for (const fs of body.volumes.efs) fs.accessPoints = [];
      }),
    );
    expect(serviceOf(p, 'shop/web').blockedBy).toEqual(['EFS_ACCESS_POINT_NOT_IN_RECOVERY_POINT']);
    expect(p.efsAccessPoints).toEqual([]);
    expect(p.efsFileSystems).toEqual([]);
  });

  it('uses the config EFS mapping over the replica the recovery point recorded', () => {
    const mappings = {
      ...emptyMappings(),
      efsFileSystems: { 'fs-0123456789abcdef0': 'fs-0manual0000000001' },
    };
    const p = plan(shopFleetManifest(), {}, { mappings });
    expect(p.efsFileSystems[0]?.drFileSystemId).toBe('fs-0manual0000000001');
  });

  it('reports backup errors of the images a service uses', () => {
    const image = replicatedImage('shop/web', '1.0.0', 'unverified');
    const manifest = new ManifestBuilder()
      .service('shop/web', {
        registerInput: { containerDefinitions: [{ name: 'web', image: image.sourceUri }] },
      })
      .image(image)
      .partial([
        {
          resourceType: 'image',
          resourceId: image.sourceUri,
          code: 'ReplicationTimeout',
          message: 'not replicated in time',
          at: '2026-03-01T12:01:00.000Z',
        },
      ])
      .build();
    const p = plan(manifest, { allowPartial: true }, { inventory: emptyInventory() });
    expect(findingCodes(p, 'shop/web')).toEqual(['warning:CAPTURE_ERROR', 'warning:IMAGE_UNVERIFIED']);
    expect(findingCodes(p)).toEqual(['warning:RECOVERY_POINT_PARTIAL']);
  });

  it('reports a selected service whose backup failed, so it is not in the recovery point', () => {
    const manifest = new ManifestBuilder()
      .service('shop/web')
      .partial([
        {
          resourceType: 'service',
          resourceId: 'shop/api',
          code: 'TaskDefinitionNotCaptured',
          message: 'task definition unreadable',
          at: '2026-03-01T12:01:00.000Z',
        },
      ])
      .build();
    const p = plan(manifest, { allowPartial: true, services: ['shop/*'] }, { inventory: emptyInventory() });
    expect(p.findings).toContainEqual(
      expect.objectContaining({ severity: 'error', code: 'SERVICE_NOT_CAPTURED', service: 'shop/api' }),
    );
    expect(p.services.map((s) => s.key)).toEqual(['shop/web']);
  });
});

describe('checkRecoveryPointUsable', () => {
  const partial = new ManifestBuilder()
    .service('shop/web')
    .partial([
      {
        resourceType: 'image',
        resourceId: 'x',
        code: 'Missing',
        message: 'missing',
        at: '2026-03-01T12:01:00.000Z',
      },
    ])
    .build();

  it('fails on a partial recovery point unless allowPartial is set, naming the flag', () => {
    const error = thrown(() =>
      checkRecoveryPointUsable(partial, { allowPartial: false }, { drRegion: DR, account: ACCOUNT }),
    );
    expect(error).toBeInstanceOf(RecoveryPointUnusableError);
    expect(error).toMatchObject({ name: 'RecoveryPointUnusableError', reason: 'partial' });
    expect((error as Error).message).toContain('"allowPartial": true');
    expect(() =>
      checkRecoveryPointUsable(partial, { allowPartial: true }, { drRegion: DR, account: ACCOUNT }),
    ).not.toThrow();
  });

  it('fails on a recovery point written for another DR region, naming the region to restore in', () => {
    const error = thrown(() =>
      checkRecoveryPointUsable(partial, { allowPartial: true }, { drRegion: 'eu-west-1', account: ACCOUNT }),
    );
    expect(error).toMatchObject({ reason: 'region' });
    expect((error as Error).message).toContain(`Start the restore workflow in ${DR}`);
  });

  it('fails on a recovery point of another account', () => {
    const error = thrown(() =>
      checkRecoveryPointUsable(partial, { allowPartial: true }, { drRegion: DR, account: '210987654321' }),
    );
    expect(error).toMatchObject({ reason: 'account' });
  });

  it('is what planRestore checks first', () => {
    expect(() => plan(partial, {}, { inventory: emptyInventory() })).toThrow(RecoveryPointUnusableError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over arbitrary fleets

const CLUSTERS = ['alpha', 'beta', 'gamma'];
const NAMES = ['web', 'api', 'worker', 'web2', 'db'];

const fleets = fc
  .uniqueArray(
    fc.record({
      cluster: fc.constantFrom(...CLUSTERS),
      name: fc.constantFrom(...NAMES),
      wave: fc.integer({ min: 0, max: 4 }),
      desiredCount: fc.integer({ min: 0, max: 20 }),
      presence: fc.constantFrom('replicated', 'missing', 'unverified', 'copied' as const),
      secretInPrimary: fc.boolean(),
    }),
    { selector: (s) => `${s.cluster}/${s.name}`, minLength: 1, maxLength: 8 },
  )
  .map((specs) => {
    const builder = new ManifestBuilder();
    for (const s of specs) {
      const image = replicatedImage(`${s.cluster}/${s.name}`, '1.0.0', s.presence);
      builder.image(image).service(`${s.cluster}/${s.name}`, {
        wave: s.wave,
        desiredCount: s.desiredCount,
        registerInput: {
          containerDefinitions: [
            {
              name: s.name,
              image: image.sourceUri,
              secrets: [
                {
                  name: 'SECRET',
                  valueFrom: `arn:aws:secretsmanager:${s.secretInPrimary ? PRIMARY : DR}:${ACCOUNT}:secret:${s.name}-AbCdEf`,
                },
              ],
              logConfiguration: {
                logDriver: 'awslogs',
                options: { 'awslogs-group': `/ecs/${s.name}`, 'awslogs-region': PRIMARY },
              },
            },
          ],
          executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${s.name}-execution`,
        },
        createInput: {
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a'], securityGroups: ['sg-a'] } },
        },
      });
    }
    return builder.build();
  });

const patterns = fc.array(
  fc.constantFrom('*/*', 'alpha/*', 'beta/w*', 'gamma/api', '*/web', '?????/*', 'delta/*', '*/db'),
  { minLength: 1, maxLength: 3 },
);

const restoreInputs = fc
  .record({
    services: patterns,
    exclude: fc.array(fc.constantFrom('alpha/web', '*/worker', 'beta/*'), { maxLength: 2 }),
    desiredCountPercent: fc.integer({ min: 0, max: 100 }),
  })
  .map((raw) => parseRestoreInput({ ...raw, allowPartial: true }));

const inventories = fc
  .record({
    existing: fc.array(
      fc.record({
        key: fc.constantFrom('alpha/web', 'beta/api', 'gamma/db'),
        status: fc.constantFrom('ACTIVE', 'DRAINING', 'INACTIVE'),
      }),
    ),
    mapped: fc.boolean(),
  })
  .map(({ existing, mapped }) =>
    drInventorySchema.parse({
      clusters: ['alpha'],
      services: Object.fromEntries(existing.map((e) => [e.key, { status: e.status }])),
      subnets: [
        {
          subnetId: 'subnet-dr',
          vpcId: 'vpc-dr',
          tags: mapped ? [{ key: 'lifeboat:source-id', value: 'subnet-a' }] : [],
        },
      ],
      securityGroups: [
        { groupId: 'sg-dr', vpcId: 'vpc-dr', tags: [{ key: 'lifeboat:source-id', value: 'sg-a' }] },
      ],
    }),
  );

function planOrError(
  manifest: Manifest,
  input: ReturnType<typeof parseRestoreInput>,
  inventory: DrInventory,
) {
  try {
    return planRestore(manifest, input, planContext({ inventory }));
  } catch (error) {
    if (error instanceof NoServicesSelectedError) return error;
    throw error;
  }
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

describe('planRestore properties', () => {
  it('puts every selected service in exactly one wave, waves ascending, or throws NoServicesSelectedError', () => {
    fc.assert(
      fc.property(fleets, restoreInputs, inventories, (manifest, input, inventory) => {
        const selected = manifest.services
          .map((s) => `${s.clusterName}/${s.serviceName}`)
          .filter((key) => isServiceSelected(key, input))
          .sort();
        const result = planOrError(manifest, input, inventory);
        if (result instanceof NoServicesSelectedError) {
          expect(selected).toEqual([]);
          return;
        }
        const inWaves = result.waves.flatMap((w) => w.services);
        expect([...inWaves].sort()).toEqual(selected);
        expect(new Set(inWaves).size).toBe(inWaves.length);
        const numbers = result.waves.map((w) => w.wave);
        expect(numbers).toEqual([...new Set(numbers)].sort((a, b) => a - b));
        for (const w of result.waves) {
          for (const key of w.services) expect(serviceOf(result, key).wave).toBe(w.wave);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps desired counts within bounds: ceil(source × percent / 100), 0 stays 0', () => {
    fc.assert(
      fc.property(fleets, restoreInputs, inventories, (manifest, input, inventory) => {
        const result = planOrError(manifest, input, inventory);
        if (result instanceof NoServicesSelectedError) return;
        for (const s of result.services) {
          const exact = (s.sourceDesiredCount * input.desiredCountPercent) / 100;
          expect(s.desiredCount).toBeGreaterThanOrEqual(exact);
          expect(s.desiredCount).toBeLessThan(exact + 1);
          expect(s.desiredCount).toBeLessThanOrEqual(s.sourceDesiredCount);
          expect(s.createServiceInput.desiredCount).toBe(s.desiredCount);
          if (s.sourceDesiredCount === 0 || input.desiredCountPercent === 0) expect(s.desiredCount).toBe(0);
        }
        expect(result.totals.desiredTasks).toBe(
          result.services.filter((s) => !s.blocked).reduce((sum, s) => sum + s.desiredCount, 0),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('leaves no primary-region ARN of the account or primary ECR image in any register input', () => {
    fc.assert(
      fc.property(fleets, restoreInputs, inventories, (manifest, input, inventory) => {
        const result = planOrError(manifest, input, inventory);
        if (result instanceof NoServicesSelectedError) return;
        for (const s of result.services) {
          for (const text of stringsOf(s.taskDefinition?.registerInput)) {
            const arn = parseArn(text);
            expect(arn?.region === PRIMARY && arn.account === ACCOUNT, text).toBe(false);
            expect(text.startsWith(`${ACCOUNT}.dkr.ecr.${PRIMARY}.`), text).toBe(false);
            expect(text).not.toBe(PRIMARY);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('blocks exactly the services an error finding names, and restores shared resources only for the others', () => {
    fc.assert(
      fc.property(fleets, restoreInputs, inventories, (manifest, input, inventory) => {
        const result = planOrError(manifest, input, inventory);
        if (result instanceof NoServicesSelectedError) return;
        for (const s of result.services) {
          const errors = result.findings.filter((f) => f.service === s.key && f.severity === 'error');
          expect(s.blocked).toBe(errors.length > 0);
        }
        const restorableGroups = new Set(
          result.services.filter((s) => !s.blocked).flatMap((s) => s.logGroups),
        );
        expect(new Set(result.logGroups.map((g) => g.logGroupName))).toEqual(restorableGroups);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and JSON-serialisable', () => {
    fc.assert(
      fc.property(fleets, restoreInputs, inventories, (manifest, input, inventory) => {
        const first = planOrError(manifest, input, inventory);
        if (first instanceof NoServicesSelectedError) return;
        const second = planRestore(manifest, input, planContext({ inventory }));
        expect(second).toEqual(first);
        expect(JSON.parse(JSON.stringify(first))).toStrictEqual(first);
      }),
      { numRuns: 200 },
    );
  });
});

describe('planRestore with EBS volumes', () => {
  const withZones = (zones: string[]) =>
    shopFleetInventory((inventory) => {
      inventory.availabilityZones = zones;
    });

  it('plans the standalone volume of the reconciler: created from its DR snapshot in the same-letter DR zone', () => {
    const shop = plan(shopFleetManifest());
    const reconciler = serviceOf(shop, 'payments/reconciler');
    expect(reconciler.blocked).toBe(false);
    expect(reconciler.volumes).toMatchObject([
      {
        kind: 'standalone',
        sourceVolumeId: 'vol-0statements000001',
        action: 'create',
        drSnapshotId: 'snap-0statementsdr001',
        availabilityZone: 'us-west-2a',
        sizeGiB: 20,
        tags: [
          { key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID },
          { key: 'lifeboat:role', value: 'restored-volume' },
          { key: 'lifeboat:deployment', value: DEPLOYMENT_ID },
          { key: 'lifeboat:source-volume', value: 'vol-0statements000001' },
          { key: 'lifeboat:service', value: 'payments/reconciler' },
        ],
      },
    ]);
    expect(findingCodes(shop, 'payments/reconciler')).toContain('info:EBS_VOLUME_TO_CREATE');
    expect(shop.totals).toMatchObject({ volumesToCreate: 1, volumesAttachedByEcs: 1 });
  });

  it('lists the ledger managed volume as attached by ECS from its DR snapshot', () => {
    const ledger = serviceOf(plan(shopFleetManifest()), 'payments/ledger');
    expect(ledger.volumes).toEqual([
      {
        kind: 'managed',
        volumeName: 'ledger-data',
        sourceVolumeId: 'vol-0ledger00000000001',
        action: 'attach',
        drSnapshotId: 'snap-0ledgerdr00000001',
        sizeGiB: 100,
      },
    ]);
  });

  it('gives ECS the DR copy key for a managed volume whose DR snapshot is encrypted with it', () => {
    const drKey = `arn:aws:kms:${DR}:${ACCOUNT}:key/0000aaaa-1111-2222-3333-444455556666`;
    const p = plan(
      shopFleetManifest((body) => {
        const ledger = body.volumes.ebs.find((v) => v.kind === 'managed');
        if (ledger) ledger.drKmsKeyId = drKey;
      }),
    );
    const ledger = serviceOf(p, 'payments/ledger');
    expect(ledger.createServiceInput.volumeConfigurations).toMatchObject([
      { managedEBSVolume: { snapshotId: 'snap-0ledgerdr00000001', kmsKeyId: drKey, encrypted: true } },
    ]);
    expect(ledger.volumes[0]).toMatchObject({ kind: 'managed', kmsKeyId: drKey });
    expect(findingCodes(p, 'payments/ledger')).not.toContain('warning:KMS_KEY_NOT_IN_DR');
  });

  it('blocks the service when the DR region lacks the volume zone, naming the mapping to add', () => {
    const p = plan(shopFleetManifest(), {}, { inventory: withZones(['us-west-2b', 'us-west-2c']) });
    const reconciler = serviceOf(p, 'payments/reconciler');
    expect(reconciler.blockedBy).toEqual(['AVAILABILITY_ZONE_NOT_IN_DR']);
    const finding = p.findings.find((f) => f.code === 'AVAILABILITY_ZONE_NOT_IN_DR');
    expect(finding?.fix).toContain('mappings.availabilityZones["us-east-1a"]');
    expect(p.totals.volumesToCreate).toBe(0);
  });

  it('creates the volume in the zone mappings.availabilityZones names', () => {
    const p = plan(
      shopFleetManifest(),
      {},
      {
        inventory: withZones(['us-west-2b', 'us-west-2c']),
        mappings: { ...emptyMappings(), availabilityZones: { 'us-east-1a': 'us-west-2c' } },
      },
    );
    expect(serviceOf(p, 'payments/reconciler').volumes[0]).toMatchObject({
      action: 'create',
      availabilityZone: 'us-west-2c',
    });
  });

  it('restores a service without the data of a standalone volume that has no DR snapshot (warning)', () => {
    const p = plan(
      shopFleetManifest((body) => {
        const archive = body.volumes.ebs.find((v) => v.kind === 'standalone');
        if (archive) delete archive.drSnapshotId;
      }),
    );
    const reconciler = serviceOf(p, 'payments/reconciler');
    expect(reconciler.blocked).toBe(false);
    expect(reconciler.volumes[0]).toMatchObject({ action: 'skip' });
    expect(findingCodes(p, 'payments/reconciler')).toContain('warning:EBS_SNAPSHOT_NOT_IN_DR');
  });

  it('counts only the volumes of restorable services', () => {
    const p = plan(shopFleetManifest(), { services: ['payments/reconciler'] });
    expect(p.totals).toMatchObject({ volumesToCreate: 1, volumesAttachedByEcs: 0 });
  });
});

const ZONE_LETTERS = ['a', 'b', 'c', 'd', 'e'] as const;

/** Services with standalone volumes in random primary zones, random zone mappings and DR zones. */
const volumeFleets = fc.record({
  services: fc.uniqueArray(
    fc.record({
      name: fc.constantFrom('web', 'api', 'db', 'jobs'),
      zones: fc.array(fc.constantFrom(...ZONE_LETTERS), { minLength: 1, maxLength: 3 }),
    }),
    { selector: (s) => s.name, minLength: 1, maxLength: 4 },
  ),
  mapping: fc.dictionary(
    fc.constantFrom(...ZONE_LETTERS).map((l) => `${PRIMARY}${l}`),
    fc.constantFrom(...ZONE_LETTERS).map((l) => `${DR}${l}`),
    { maxKeys: 3 },
  ),
  drZones: fc.option(
    fc.subarray(
      ZONE_LETTERS.map((l) => `${DR}${l}`),
      { minLength: 1 },
    ),
    { nil: undefined },
  ),
});

describe('planRestore properties over availability zones and mappings', () => {
  it('creates standalone volumes only in zones the DR region has, and blocks exactly the services with an unplaceable volume', () => {
    fc.assert(
      fc.property(volumeFleets, ({ services, mapping, drZones }) => {
        const builder = new ManifestBuilder();
        for (const s of services) {
          builder.service(`app/${s.name}`);
          builder.edit((body) => {
            s.zones.forEach((letter, i) => {
              body.volumes.ebs.push({
                kind: 'standalone',
                clusterName: 'app',
                serviceName: s.name,
                sourceVolumeId: `vol-${s.name}-${i}`,
                drSnapshotId: `snap-${s.name}-${i}`,
                sizeGiB: 8,
                availabilityZone: `${PRIMARY}${letter}`,
                tags: [],
              });
            });
          });
        }
        const inventory = drInventorySchema.parse({
          clusters: ['app'],
          ...(drZones ? { availabilityZones: drZones } : {}),
        });
        const p = plan(
          builder.build(),
          {},
          { inventory, mappings: { ...emptyMappings(), availabilityZones: mapping } },
        );
        for (const s of p.services) {
          const volumes = s.volumes.filter((v) => v.kind === 'standalone');
          expect(volumes).toHaveLength(services.find((x) => `app/${x.name}` === s.key)?.zones.length ?? -1);
          const unplaceable = volumes.filter((v) => v.action === 'skip');
          expect(s.blocked).toBe(unplaceable.length > 0);
          expect(s.blockedBy.every((code) => code.startsWith('AVAILABILITY_ZONE_'))).toBe(true);
          for (const v of volumes) {
            if (v.action !== 'create') continue;
            expect(v.availabilityZone?.startsWith(DR)).toBe(true);
            if (drZones) expect(drZones).toContain(v.availabilityZone);
            const source = v.sourceAvailabilityZone ?? '';
            expect(v.availabilityZone).toBe(mapping[source] ?? `${DR}${source.slice(-1)}`);
          }
        }
        expect(p.totals.volumesToCreate).toBe(
          p.services
            .filter((s) => !s.blocked)
            .flatMap((s) => s.volumes)
            .filter((v) => v.action === 'create').length,
        );
      }),
      { numRuns: 300 },
    );
  });
});
