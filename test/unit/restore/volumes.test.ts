import { describe, expect, it } from 'vitest';
import { parseRestoreInput } from '../../../src/restore/input';
import { planRestore } from '../../../src/restore/plan';
import { buildReport } from '../../../src/restore/report';
import type { RestoreRun } from '../../../src/restore/runs';
import type { CheckedService } from '../../../src/restore/wave-check';
import {
  ACCOUNT,
  DEPLOYMENT_ID,
  DR,
  emptyMappings,
  shopFleetInventory,
  shopFleetManifest,
} from '../../support/manifest-builder';

describe('restore report volumes', () => {
  const plan = planRestore(
    shopFleetManifest((body) => {
      body.volumes.ebs.push({
        kind: 'standalone',
        clusterName: 'payments',
        serviceName: 'reconciler',
        sourceVolumeId: 'vol-0nodrcopy00000001',
        sizeGiB: 5,
        availabilityZone: 'us-east-1a',
        tags: [],
      });
    }),
    parseRestoreInput({ dryRun: false, services: ['payments/*'] }),
    {
      drRegion: DR,
      account: ACCOUNT,
      deploymentId: DEPLOYMENT_ID,
      mappings: emptyMappings(),
      inventory: shopFleetInventory(),
    },
  );
  const run: RestoreRun = {
    executionName: 'drill-volumes',
    startedAt: '2026-03-01T13:00:00.000Z',
    plan,
    allowedRoles: [],
  };
  const finishedAt = new Date('2026-03-01T13:05:00.000Z');
  const ledger: CheckedService = { service: 'payments/ledger', wave: 1, status: 'created', steady: true };

  it('lists every volume: attached by ECS, created with its DR volume, skipped without a DR snapshot', () => {
    const reconciler: CheckedService = {
      service: 'payments/reconciler',
      wave: 1,
      status: 'created',
      steady: true,
      volumes: [
        {
          sourceVolumeId: 'vol-0statements000001',
          outcome: 'created',
          drVolumeId: 'vol-0dr000000000001',
          availabilityZone: 'us-west-2a',
          state: 'creating',
        },
      ],
    };
    const report = buildReport(run, [[ledger, reconciler]], DR, finishedAt);
    expect(report.volumes).toEqual([
      {
        service: 'payments/ledger',
        kind: 'managed',
        volumeName: 'ledger-data',
        sourceVolumeId: 'vol-0ledger00000000001',
        drSnapshotId: 'snap-0ledgerdr00000001',
        outcome: 'attached-by-ecs',
      },
      {
        service: 'payments/reconciler',
        kind: 'standalone',
        sourceVolumeId: 'vol-0nodrcopy00000001',
        outcome: 'skipped',
        error: { name: 'NoDrSnapshot', message: 'the recovery point has no DR snapshot of the volume' },
      },
      {
        service: 'payments/reconciler',
        kind: 'standalone',
        sourceVolumeId: 'vol-0statements000001',
        drSnapshotId: 'snap-0statementsdr001',
        drVolumeId: 'vol-0dr000000000001',
        availabilityZone: 'us-west-2a',
        state: 'creating',
        outcome: 'created',
      },
    ]);
    expect(report.outcome).toBe('RESTORED');
  });

  it('reports a volume that failed to be created, and its service not restored', () => {
    const error = { name: 'InvalidSnapshot.NotFound', message: 'Could not create the DR volume …' };
    const reconciler: CheckedService = {
      service: 'payments/reconciler',
      wave: 1,
      status: 'failed',
      error: { name: 'VolumeCreationFailed', message: 'InvalidSnapshot.NotFound: …' },
      volumes: [
        { sourceVolumeId: 'vol-0statements000001', outcome: 'failed', availabilityZone: 'us-west-2a', error },
      ],
    };
    const report = buildReport(run, [[ledger, reconciler]], DR, finishedAt);
    expect(report.outcome).toBe('INCOMPLETE');
    expect(report.volumes.find((v) => v.sourceVolumeId === 'vol-0statements000001')).toMatchObject({
      outcome: 'failed',
      error,
    });
  });

  it('skips the volumes of a service that was not restored, saying why', () => {
    const failed: CheckedService = {
      service: 'payments/ledger',
      wave: 1,
      status: 'failed',
      error: { name: 'ClientException', message: 'boom' },
    };
    const report = buildReport(run, [[failed]], DR, finishedAt);
    const byVolume = new Map(report.volumes.map((v) => [v.sourceVolumeId, v]));
    expect(byVolume.get('vol-0ledger00000000001')).toMatchObject({
      outcome: 'skipped',
      error: { name: 'ServiceNotRestored' },
    });
    expect(byVolume.get('vol-0ledger00000000001')?.error?.message).toContain('ClientException: boom');
    expect(byVolume.get('vol-0statements000001')).toMatchObject({
      outcome: 'skipped',
      availabilityZone: 'us-west-2a',
      error: { name: 'ServiceNotRestored' },
    });
  });
});
