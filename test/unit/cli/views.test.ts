import { describe, expect, it } from 'vitest';
import { sealManifest } from '../../../src/catalog/checksum';
import type { Manifest, ManifestBody } from '../../../src/catalog/manifest';
import {
  imageLabel,
  manifestCounts,
  planVolumeViews,
  recoveryPointRow,
  renderBackup,
  renderPlanVolumes,
  renderRecoveryPoint,
  renderRecoveryPointList,
  renderRestoredVolumes,
  serviceViews,
} from '../../../src/cli/views';
import { parseRestoreInput } from '../../../src/restore/input';
import { planRestore } from '../../../src/restore/plan';
import type { ReportedVolume } from '../../../src/restore/report';
import {
  DEPLOYMENT_ID,
  emptyMappings,
  DR as SHOP_DR,
  shopFleetInventory,
  shopFleetManifest,
} from '../../support/manifest-builder';

const ACCOUNT = '123456789012';
const WEB_DIGEST = `sha256:${'1'.repeat(64)}`;
const API_DIGEST = `sha256:${'2'.repeat(64)}`;
const webUri = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.4`;
const apiUri = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/shop/api@${API_DIGEST}`;
const tdArn = (family: string) => `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:3`;

function manifest(overrides: Partial<ManifestBody> = {}): Manifest {
  const body: ManifestBody = {
    schemaVersion: 1,
    id: 'rp-20260101T000000000Z-abc123',
    status: 'complete',
    startedAt: '2026-01-01T00:00:00.000Z',
    completedAt: '2026-01-01T00:00:02.000Z',
    source: { account: ACCOUNT, region: 'us-east-1' },
    target: { region: 'us-west-2' },
    clusters: [],
    services: [
      {
        clusterName: 'shop',
        serviceName: 'web',
        serviceArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/shop/web`,
        taskDefinitionArn: tdArn('shop-web'),
        createInput: { serviceName: 'web', desiredCount: 3 },
        tags: [],
        wave: 3,
      },
      {
        clusterName: 'shop',
        serviceName: 'api',
        serviceArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/shop/api`,
        taskDefinitionArn: tdArn('shop-api'),
        createInput: { serviceName: 'api' },
        tags: [],
        wave: 2,
      },
    ],
    taskDefinitions: [
      {
        sourceArn: tdArn('shop-web'),
        family: 'shop-web',
        revision: 3,
        registerInput: {
          family: 'shop-web',
          containerDefinitions: [
            { name: 'web', image: webUri },
            { name: 'cache', image: 'docker.io/library/redis:7' },
          ],
        },
        tags: [],
      },
      {
        sourceArn: tdArn('shop-api'),
        family: 'shop-api',
        revision: 3,
        registerInput: { family: 'shop-api', containerDefinitions: [{ name: 'api', image: apiUri }] },
        tags: [],
      },
    ],
    images: [
      {
        sourceUri: webUri,
        registryId: ACCOUNT,
        region: 'us-east-1',
        repositoryName: 'shop/web',
        tag: '1.4',
        digest: WEB_DIGEST,
        drUri: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/shop/web@${WEB_DIGEST}`,
        presence: 'unverified',
        usedBy: ['shop-web:3/web'],
      },
      {
        sourceUri: 'docker.io/library/redis:7',
        tag: '7',
        presence: 'external',
        usedBy: ['shop-web:3/cache'],
      },
      {
        sourceUri: apiUri,
        registryId: ACCOUNT,
        region: 'us-east-1',
        repositoryName: 'shop/api',
        digest: API_DIGEST,
        presence: 'replicated',
        usedBy: ['shop-api:3/api'],
      },
    ],
    volumes: { ebs: [], efs: [] },
    network: { subnets: [], securityGroups: [] },
    errors: [],
    ...overrides,
  };
  return sealManifest(body);
}

describe('serviceViews', () => {
  it('orders services by wave and shows each container with its pinned digest and presence', () => {
    const views = serviceViews(manifest());
    expect(views.map((v) => v.service)).toEqual(['shop/api', 'shop/web']);
    const web = views[1];
    expect(web).toMatchObject({ taskDefinition: 'shop-web:3', desiredCount: 3, wave: 3 });
    expect(web?.containers).toEqual([
      {
        container: 'web',
        image: webUri,
        digest: WEB_DIGEST,
        presence: 'unverified',
        drUri: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/shop/web@${WEB_DIGEST}`,
      },
      { container: 'cache', image: 'docker.io/library/redis:7', presence: 'external' },
    ]);
  });

  it('leaves the desired count out when the service has none (daemon scheduling)', () => {
    expect(serviceViews(manifest())[0]?.desiredCount).toBeUndefined();
  });
});

describe('imageLabel', () => {
  it('names ECR images by repository and short digest, external ones as written', () => {
    expect(imageLabel({ container: 'web', image: webUri, digest: WEB_DIGEST })).toBe(
      'shop/web@sha256:111111111111',
    );
    expect(imageLabel({ container: 'api', image: apiUri, digest: API_DIGEST })).toBe(
      'shop/api@sha256:222222222222',
    );
    expect(imageLabel({ container: 'cache', image: 'docker.io/library/redis:7' })).toBe(
      'docker.io/library/redis:7',
    );
  });
});

describe('manifestCounts', () => {
  it('counts images by presence', () => {
    expect(manifestCounts(manifest()).images).toEqual({
      total: 3,
      byPresence: { unverified: 1, external: 1, replicated: 1 },
    });
  });
});

describe('renderRecoveryPoint', () => {
  it('shows the summary, one line per container and the errors', () => {
    const text = renderRecoveryPoint(
      manifest({
        status: 'partial',
        errors: [
          {
            resourceType: 'image',
            resourceId: 'shop/gone:1',
            code: 'ImageNotFoundException',
            message: 'tag 1 not found',
            at: '2026-01-01T00:00:01.000Z',
          },
        ],
      }),
      false,
    );
    expect(text).toContain('Status:            partial');
    expect(text).toContain('Images:            3 (1 external, 1 replicated, 1 unverified)');
    expect(text).toMatch(/shop\/web\s+shop-web:3\s+3\s+3\s+web\s+shop\/web@sha256:111111111111\s+unverified/);
    expect(text).toMatch(/\n\s+cache\s+docker\.io\/library\/redis:7\s+external/);
    expect(text).toMatch(/image\s+shop\/gone:1\s+ImageNotFoundException\s+tag 1 not found/);
    expect(text).not.toContain('\u001b[');
  });
});

describe('renderBackup', () => {
  it('names where the recovery point is stored', () => {
    expect(renderBackup(manifest(), 'recovery-points/k.json', 'bucket', false)).toContain(
      'Stored at:         s3://bucket/recovery-points/k.json',
    );
  });
});

describe('recoveryPointRow and renderRecoveryPointList', () => {
  const summary = {
    id: 'rp-20260101T000000000Z-abc123',
    status: 'complete' as const,
    createdAt: '2026-01-01T00:00:00.000Z',
    key: 'recovery-points/x.complete.json',
  };
  const now = new Date('2026-01-01T03:12:00.000Z');

  it('counts from the manifest and ages from the creation time', () => {
    expect(recoveryPointRow(summary, manifest(), now)).toMatchObject({
      status: 'complete',
      services: 2,
      taskDefinitions: 2,
      images: 3,
      errors: 0,
      ageSeconds: 3 * 3600 + 12 * 60,
    });
  });

  it('lists a manifest that failed verification as unreadable, with the reason', () => {
    const row = recoveryPointRow(summary, { problem: 'checksum mismatch' }, now);
    expect(row).toMatchObject({ status: 'unreadable', problem: 'checksum mismatch' });
    const text = renderRecoveryPointList([row], 'bucket', false);
    expect(text).toMatch(
      /rp-20260101T000000000Z-abc123\s+2026-01-01 00:00:00Z\s+unreadable\s+\?\s+\?\s+\?\s+3h 12m/,
    );
    expect(text).toContain('unreadable rp-20260101T000000000Z-abc123: checksum mismatch');
  });

  it('says how to create the first recovery point when there is none', () => {
    expect(renderRecoveryPointList([], 'bucket', false)).toContain('Run `lifeboat backup` to create one.');
  });
});

describe('planVolumeViews and renderPlanVolumes', () => {
  const plan = (zones?: string[]) =>
    planRestore(shopFleetManifest(), parseRestoreInput({ dryRun: true }), {
      drRegion: SHOP_DR,
      account: ACCOUNT,
      deploymentId: DEPLOYMENT_ID,
      mappings: emptyMappings(),
      inventory: shopFleetInventory((inventory) => {
        if (zones) inventory.availabilityZones = zones;
      }),
    });

  it('lists each volume with its DR snapshot: the managed one attached by ECS, the standalone one created in its zone', () => {
    const views = planVolumeViews(plan());
    expect(views).toEqual([
      {
        service: 'payments/ledger',
        kind: 'managed',
        volumeName: 'ledger-data',
        sourceVolumeId: 'vol-0ledger00000000001',
        drSnapshotId: 'snap-0ledgerdr00000001',
        action: 'attach',
        serviceBlocked: false,
      },
      {
        service: 'payments/reconciler',
        kind: 'standalone',
        sourceVolumeId: 'vol-0statements000001',
        drSnapshotId: 'snap-0statementsdr001',
        availabilityZone: 'us-west-2a',
        action: 'create',
        serviceBlocked: false,
      },
    ]);
    const text = renderPlanVolumes(views, false);
    expect(text).toMatch(
      /payments\/ledger\s+managed\s+ledger-data\s+vol-0ledger00000000001\s+snap-0ledgerdr00000001\s+attached by ECS/,
    );
    expect(text).toMatch(
      /payments\/reconciler\s+standalone\s+-\s+vol-0statements000001\s+snap-0statementsdr001\s+create in us-west-2a/,
    );
  });

  it('shows the volume of a blocked service as skipped', () => {
    const text = renderPlanVolumes(planVolumeViews(plan(['us-west-2b'])), false);
    expect(text).toMatch(/vol-0statements000001\s+snap-0statementsdr001\s+skip \(service blocked\)/);
  });
});

describe('renderRestoredVolumes', () => {
  const volumes: ReportedVolume[] = [
    {
      service: 'payments/ledger',
      kind: 'managed',
      volumeName: 'ledger-data',
      sourceVolumeId: 'vol-0ledger',
      drSnapshotId: 'snap-0ledgerdr',
      outcome: 'attached-by-ecs',
    },
    {
      service: 'payments/reconciler',
      kind: 'standalone',
      sourceVolumeId: 'vol-0archive',
      drSnapshotId: 'snap-0archivedr',
      drVolumeId: 'vol-0dr',
      availabilityZone: 'us-west-2a',
      outcome: 'created',
    },
    {
      service: 'payments/reconciler',
      kind: 'standalone',
      sourceVolumeId: 'vol-0scratch',
      outcome: 'skipped',
      error: { name: 'NoDrSnapshot', message: 'the recovery point has no DR snapshot of the volume' },
    },
  ];

  it('shows the DR volume of a standalone volume, "attached by ECS" for a managed one, and why one was skipped', () => {
    const text = renderRestoredVolumes(volumes, false);
    expect(text).toMatch(
      /payments\/ledger\s+managed\s+ledger-data\s+vol-0ledger\s+snap-0ledgerdr\s+attached by ECS\s+-\s+attached-by-ecs/,
    );
    expect(text).toMatch(/vol-0archive\s+snap-0archivedr\s+vol-0dr\s+us-west-2a\s+created/);
    expect(text).toContain(
      'vol-0scratch (payments/reconciler) skipped: NoDrSnapshot: the recovery point has no DR snapshot',
    );
    expect(text).not.toContain('\u001b[');
  });

  it('colours failures red when colour is on', () => {
    const text = renderRestoredVolumes([{ ...volumes[1], outcome: 'failed' } as ReportedVolume], true);
    expect(text).toContain('\u001b[31mfailed');
  });
});
