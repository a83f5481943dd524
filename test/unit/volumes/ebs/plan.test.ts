import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EbsVolumeRecord } from '../../../../src/catalog/manifest';
import {
  drAvailabilityZone,
  planServiceVolumes,
  restoredVolumeTags,
  type ServiceVolumeContext,
  type ZoneContext,
} from '../../../../src/volumes/ebs/plan';
import { DR, PRIMARY, RECOVERY_POINT_ID } from '../../../support/manifest-builder';

const DR_ZONES = ['us-west-2a', 'us-west-2b', 'us-west-2c', 'us-west-2d'];

function zoneContext(overrides: Partial<ZoneContext> = {}): ZoneContext {
  return { sourceRegion: PRIMARY, drRegion: DR, mapping: {}, zones: DR_ZONES, ...overrides };
}

function volumeContext(overrides: Partial<ServiceVolumeContext> = {}): ServiceVolumeContext {
  return {
    ...zoneContext(),
    recoveryPointId: RECOVERY_POINT_ID,
    service: 'payments/reconciler',
    ...overrides,
  };
}

function standalone(overrides: Partial<EbsVolumeRecord> = {}): EbsVolumeRecord {
  return {
    kind: 'standalone',
    clusterName: 'payments',
    serviceName: 'reconciler',
    sourceVolumeId: 'vol-0archive',
    sourceSnapshotId: 'snap-0primary',
    drSnapshotId: 'snap-0dr',
    drKmsKeyId: `arn:aws:kms:${DR}:123456789012:key/volumes`,
    sizeGiB: 20,
    volumeType: 'gp3',
    iops: 4000,
    throughput: 250,
    encrypted: true,
    availabilityZone: 'us-east-1b',
    tags: [
      { key: 'Name', value: 'archive' },
      { key: 'lifeboat:backup', value: 'true' },
      { key: 'lifeboat:service', value: 'payments/reconciler' },
    ],
    ...overrides,
  };
}

function managed(overrides: Partial<EbsVolumeRecord> = {}): EbsVolumeRecord {
  return {
    kind: 'managed',
    clusterName: 'payments',
    serviceName: 'ledger',
    volumeName: 'ledger-data',
    sourceVolumeId: 'vol-0ledger',
    drSnapshotId: 'snap-0ledgerdr',
    drKmsKeyId: `arn:aws:kms:${DR}:123456789012:key/volumes`,
    sizeGiB: 100,
    tags: [],
    ...overrides,
  };
}

const letters = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const primaryZones = letters.map((l) => `${PRIMARY}${l}`);
const drZoneSets = fc.option(fc.subarray(DR_ZONES.concat(['us-west-2e']), { minLength: 1 }), {
  nil: undefined,
});
const mappings = fc.dictionary(
  primaryZones,
  fc.oneof(
    letters.map((l) => `${DR}${l}`),
    fc.constant('eu-west-1a'),
  ),
  { maxKeys: 3 },
);

describe('drAvailabilityZone', () => {
  it('maps a zone to the DR zone with the same letter', () => {
    expect(drAvailabilityZone('us-east-1a', 'vol-1', zoneContext())).toEqual({ zone: 'us-west-2a' });
    expect(drAvailabilityZone('us-east-1d', 'vol-1', zoneContext())).toEqual({ zone: 'us-west-2d' });
  });

  it('prefers mappings.availabilityZones over the same letter', () => {
    const ctx = zoneContext({ mapping: { 'us-east-1a': 'us-west-2c' } });
    expect(drAvailabilityZone('us-east-1a', 'vol-1', ctx)).toEqual({ zone: 'us-west-2c' });
  });

  it('reports an error naming the mapping to add when the same-letter zone does not exist in the DR region', () => {
    const result = drAvailabilityZone('us-east-1e', 'vol-1', zoneContext());
    expect(result.zone).toBeUndefined();
    expect(result.finding).toMatchObject({
      severity: 'error',
      code: 'AVAILABILITY_ZONE_NOT_IN_DR',
      resource: 'us-east-1e',
    });
    expect(result.finding?.message).toContain('us-west-2e');
    expect(result.finding?.fix).toContain('mappings.availabilityZones["us-east-1e"]');
    expect(result.finding?.fix).toContain('us-west-2a, us-west-2b, us-west-2c, us-west-2d');
  });

  it('reports an error when the mapping names a zone the DR region does not have', () => {
    const ctx = zoneContext({ mapping: { 'us-east-1a': 'us-west-2z' } });
    expect(drAvailabilityZone('us-east-1a', 'vol-1', ctx).finding).toMatchObject({
      severity: 'error',
      code: 'AVAILABILITY_ZONE_MAPPING_INVALID',
    });
  });

  it('reports an error for a Local Zone, which has no same-letter counterpart', () => {
    expect(drAvailabilityZone('us-east-1-bos-1a', 'vol-1', zoneContext()).finding).toMatchObject({
      severity: 'error',
      code: 'AVAILABILITY_ZONE_NOT_MAPPED',
    });
  });

  it('uses the derived zone unchecked when the DR zones were not read', () => {
    expect(drAvailabilityZone('us-east-1f', 'vol-1', zoneContext({ zones: undefined }))).toEqual({
      zone: 'us-west-2f',
    });
  });

  it('creates a volume whose zone the recovery point does not record in the first DR zone, with a warning', () => {
    const result = drAvailabilityZone(
      undefined,
      'vol-1',
      zoneContext({ zones: ['us-west-2c', 'us-west-2b'] }),
    );
    expect(result.zone).toBe('us-west-2b');
    expect(result.finding).toMatchObject({ severity: 'warning', code: 'EBS_VOLUME_ZONE_UNKNOWN' });
  });

  it('returns a zone of the DR region that exists there, or an error finding, for any zone and mapping', () => {
    fc.assert(
      fc.property(primaryZones, mappings, drZoneSets, (source, mapping, zones) => {
        const result = drAvailabilityZone(
          source,
          'vol-1',
          zoneContext({ mapping, ...(zones ? { zones } : { zones: undefined }) }),
        );
        if (result.zone === undefined) {
          expect(result.finding.severity).toBe('error');
          expect(result.finding.fix).toContain(`mappings.availabilityZones["${source}"]`);
          return;
        }
        expect(result.finding).toBeUndefined();
        expect(result.zone.startsWith(DR)).toBe(true);
        if (zones) expect(zones).toContain(result.zone);
        const mapped = mapping[source];
        if (mapped !== undefined) expect(result.zone).toBe(mapped);
        else expect(result.zone.slice(-1)).toBe(source.slice(-1));
      }),
      { numRuns: 500 },
    );
  });

  it('never errs for a zone whose mapping names an existing DR zone', () => {
    fc.assert(
      fc.property(primaryZones, fc.constantFrom(...DR_ZONES), (source, target) => {
        expect(drAvailabilityZone(source, 'vol-1', zoneContext({ mapping: { [source]: target } }))).toEqual({
          zone: target,
        });
      }),
    );
  });
});

describe('restoredVolumeTags', () => {
  it('puts the provenance tags first (never lifeboat:managed), then the volume own tags without aws: and AmazonECS ones', () => {
    const tags = restoredVolumeTags(
      standalone({
        tags: [
          { key: 'Name', value: 'archive' },
          { key: 'aws:cloudformation:stack-name', value: 'app' },
          { key: 'AmazonECSManaged', value: 'true' },
          { key: 'lifeboat:service', value: 'stale/value' },
          { key: 'lifeboat:managed', value: 'true' },
        ],
      }),
      RECOVERY_POINT_ID,
      'dep-1',
    );
    expect(tags).toEqual([
      { key: 'lifeboat:recovery-point', value: RECOVERY_POINT_ID },
      { key: 'lifeboat:role', value: 'restored-volume' },
      { key: 'lifeboat:deployment', value: 'dep-1' },
      { key: 'lifeboat:source-volume', value: 'vol-0archive' },
      { key: 'lifeboat:service', value: 'payments/reconciler' },
      { key: 'Name', value: 'archive' },
    ]);
  });

  it('keeps at most 50 tags, the Lifeboat ones always', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: String(i) }));
    const tags = restoredVolumeTags(standalone({ tags: many }), RECOVERY_POINT_ID);
    expect(tags).toHaveLength(50);
    expect(tags.slice(0, 3).map((t) => t.key)).toEqual([
      'lifeboat:recovery-point',
      'lifeboat:role',
      'lifeboat:source-volume',
    ]);
  });
});

describe('planServiceVolumes', () => {
  it('plans a standalone volume created from its DR snapshot in the same-letter DR zone', () => {
    const { volumes, findings } = planServiceVolumes([standalone()], {}, volumeContext());
    expect(volumes).toEqual([
      {
        kind: 'standalone',
        sourceVolumeId: 'vol-0archive',
        action: 'create',
        drSnapshotId: 'snap-0dr',
        sourceAvailabilityZone: 'us-east-1b',
        availabilityZone: 'us-west-2b',
        sizeGiB: 20,
        volumeType: 'gp3',
        iops: 4000,
        throughput: 250,
        tags: restoredVolumeTags(standalone(), RECOVERY_POINT_ID),
      },
    ]);
    expect(findings).toMatchObject([
      { severity: 'info', code: 'EBS_VOLUME_TO_CREATE', resource: 'vol-0archive' },
    ]);
    expect(findings[0]?.message).toContain('snap-0dr');
    expect(findings[0]?.message).toContain('us-west-2b');
  });

  it('passes iops and throughput only to the volume types that take them', () => {
    const plan = (volumeType: string) =>
      planServiceVolumes([standalone({ volumeType })], {}, volumeContext()).volumes[0];
    expect(plan('gp2')).not.toHaveProperty('iops');
    expect(plan('gp2')).not.toHaveProperty('throughput');
    expect(plan('io2')).toMatchObject({ iops: 4000 });
    expect(plan('io2')).not.toHaveProperty('throughput');
    expect(plan('st1')).not.toHaveProperty('iops');
  });

  it('restores the service without the data of a standalone volume that has no DR snapshot, with a warning', () => {
    const { volumes, findings } = planServiceVolumes(
      [standalone({ drSnapshotId: undefined })],
      {},
      volumeContext(),
    );
    expect(volumes[0]).toMatchObject({ kind: 'standalone', action: 'skip' });
    expect(findings).toMatchObject([{ severity: 'warning', code: 'EBS_SNAPSHOT_NOT_IN_DR' }]);
    expect(findings[0]?.message).toContain('without its data');
    expect(findings[0]?.fix).toContain('lifeboat recovery-points list');
  });

  it('skips a standalone volume with an error when its zone has no DR counterpart', () => {
    const { volumes, findings } = planServiceVolumes(
      [standalone({ availabilityZone: 'us-east-1f' })],
      {},
      volumeContext(),
    );
    expect(volumes[0]).toMatchObject({ action: 'skip' });
    expect(volumes[0]).not.toHaveProperty('availabilityZone');
    expect(findings.map((f) => `${f.severity}:${f.code}`)).toEqual(['error:AVAILABILITY_ZONE_NOT_IN_DR']);
  });

  it('lists a managed volume ECS attaches from the DR snapshot the volume configuration names, with its key', () => {
    const input = {
      volumeConfigurations: [
        {
          name: 'ledger-data',
          managedEBSVolume: { snapshotId: 'snap-0ledgerdr', kmsKeyId: managed().drKmsKeyId, encrypted: true },
        },
      ],
    };
    const { volumes, findings } = planServiceVolumes(
      [managed()],
      input,
      volumeContext({ service: 'payments/ledger' }),
    );
    expect(volumes).toEqual([
      {
        kind: 'managed',
        volumeName: 'ledger-data',
        sourceVolumeId: 'vol-0ledger',
        action: 'attach',
        drSnapshotId: 'snap-0ledgerdr',
        kmsKeyId: managed().drKmsKeyId,
        sizeGiB: 100,
      },
    ]);
    expect(findings).toEqual([]);
  });

  it('warns about a managed volume the service has no volume configuration for', () => {
    const { volumes, findings } = planServiceVolumes(
      [managed()],
      {},
      volumeContext({ service: 'payments/ledger' }),
    );
    expect(volumes[0]).toMatchObject({ kind: 'managed', action: 'skip' });
    expect(findings).toMatchObject([{ severity: 'warning', code: 'EBS_VOLUME_NOT_CONFIGURED' }]);
  });

  it('orders managed volumes before standalone ones, then by name and source volume', () => {
    const { volumes } = planServiceVolumes(
      [standalone({ sourceVolumeId: 'vol-b' }), managed(), standalone({ sourceVolumeId: 'vol-a' })],
      {},
      volumeContext(),
    );
    expect(volumes.map((v) => v.sourceVolumeId)).toEqual(['vol-0ledger', 'vol-a', 'vol-b']);
  });
});
