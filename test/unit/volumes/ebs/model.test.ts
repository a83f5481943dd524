import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ManifestBody, Tag } from '../../../../src/catalog/manifest';
import {
  applyVolumeCopies,
  chooseVolumes,
  copiesToStart,
  copyTags,
  isCopyDone,
  MAX_SNAPSHOT_TAGS,
  MAX_UNSEEN_CHECKS,
  observeCopies,
  observeSources,
  phaseCounts,
  phaseOfNewSnapshot,
  type SnapshotObservation,
  snapshotTags,
  VOLUME_COPY_PHASES,
  type VolumeCopy,
  type VolumeCopyPhase,
  type VolumeCopyState,
  type VolumeFacts,
  volumeCopyStateSchema,
  volumeOwnTags,
} from '../../../../src/volumes/ebs/model';

const RP = 'rp-20260101T000000000Z-abc123';
const NOW = new Date('2026-01-01T01:00:00.000Z');

function volume(id: string, tags: Record<string, string>, extra: Partial<VolumeFacts> = {}): VolumeFacts {
  return {
    volumeId: id,
    state: 'in-use',
    createTime: '2025-12-01T00:00:00.000Z',
    sizeGiB: 20,
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    ...extra,
  };
}

const standaloneTags = (service: string) => ({ 'lifeboat:backup': 'true', 'lifeboat:service': service });
const managedTags = (service: string) => ({ ...standaloneTags(service), AmazonECSManaged: 'true' });

const SERVICES = [
  { clusterName: 'payments', serviceName: 'ledger', managedVolumeName: 'ledger-data' },
  { clusterName: 'payments', serviceName: 'reconciler' },
];

function copy(id: string, phase: VolumeCopyPhase, extra: Partial<VolumeCopy> = {}): VolumeCopy {
  return {
    service: 'payments/ledger',
    sourceVolumeId: `vol-${id}`,
    sourceSnapshotId: `snap-src-${id}`,
    sizeGiB: 20,
    snapshotAt: '2026-01-01T00:00:00.000Z',
    tags: [{ key: 'lifeboat:recovery-point', value: RP }],
    phase,
    attempts: 0,
    ...extra,
  };
}

function state(volumes: VolumeCopy[], engine: VolumeCopyState['engine'] = 'native-copy'): VolumeCopyState {
  return { version: 1, recoveryPointId: RP, engine, volumes };
}

function observed(
  snapshotId: string,
  s: string,
  extra: Partial<SnapshotObservation> = {},
): SnapshotObservation {
  return { snapshotId, state: s, tags: [], ...extra };
}

describe('chooseVolumes', () => {
  it('takes a tagged standalone volume of a selected service and ignores one of an unselected service', () => {
    const { chosen, warnings } = chooseVolumes({
      services: SERVICES,
      tagged: [
        volume('vol-a', standaloneTags('payments/reconciler')),
        volume('vol-b', standaloneTags('shop/web')),
      ],
    });

    expect(chosen).toEqual([
      expect.objectContaining({
        kind: 'standalone',
        serviceName: 'reconciler',
        volume: expect.objectContaining({ volumeId: 'vol-a' }),
      }),
    ]);
    expect(warnings).toEqual([]);
  });

  it('warns about a tagged volume whose lifeboat:service is missing or not cluster/service', () => {
    const { chosen, warnings } = chooseVolumes({
      services: SERVICES,
      tagged: [
        volume('vol-a', { 'lifeboat:backup': 'true' }),
        volume('vol-b', { 'lifeboat:backup': 'true', 'lifeboat:service': 'reconciler' }),
      ],
    });

    expect(chosen).toEqual([]);
    expect(warnings.map((w) => [w.resourceId, w.code])).toEqual([
      ['vol-a', 'VolumeServiceTagMissing'],
      ['vol-b', 'VolumeServiceTagInvalid'],
    ]);
    expect(warnings[0]?.message).toContain('lifeboat:service=<cluster>/<service>');
  });

  it('treats an ECS-managed tagged volume as the managed volume of its service, named after its volume configuration', () => {
    const { chosen } = chooseVolumes({
      services: SERVICES,
      tagged: [volume('vol-m', managedTags('payments/ledger'))],
    });

    expect(chosen).toEqual([
      {
        kind: 'managed',
        clusterName: 'payments',
        serviceName: 'ledger',
        volumeName: 'ledger-data',
        volume: expect.objectContaining({ volumeId: 'vol-m' }),
      },
    ]);
  });

  it('backs up the oldest in-use managed volume of a service whose tasks have several, with a warning', () => {
    const { chosen, warnings } = chooseVolumes({
      services: SERVICES,
      tagged: [],
      managed: new Map([
        [
          'payments/ledger',
          [
            volume('vol-newer', {}, { createTime: '2025-12-03T00:00:00.000Z' }),
            volume('vol-oldest-detached', {}, { createTime: '2025-12-01T00:00:00.000Z', state: 'available' }),
            volume('vol-older', {}, { createTime: '2025-12-02T00:00:00.000Z' }),
          ],
        ],
      ]),
    });

    expect(chosen.map((c) => c.volume.volumeId)).toEqual(['vol-older']);
    expect(warnings).toEqual([
      expect.objectContaining({ resourceId: 'vol-older', code: 'OneVolumePerService' }),
    ]);
  });

  it('counts a volume found both by tag and by task attachment once', () => {
    const tagged = volume('vol-m', managedTags('payments/ledger'));
    const { chosen, warnings } = chooseVolumes({
      services: SERVICES,
      tagged: [tagged],
      managed: new Map([['payments/ledger', [tagged]]]),
    });

    expect(chosen).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('skips volumes that cannot be snapshotted, warning about one in the error state', () => {
    const { chosen, warnings } = chooseVolumes({
      services: SERVICES,
      tagged: [
        volume('vol-gone', standaloneTags('payments/reconciler'), { state: 'deleting' }),
        volume('vol-bad', standaloneTags('payments/reconciler'), { state: 'error' }),
      ],
    });

    expect(chosen).toEqual([]);
    expect(warnings.map((w) => [w.resourceId, w.code])).toEqual([['vol-bad', 'VolumeInError']]);
  });

  it('never chooses a volume of an unselected service and chooses at most one managed volume per service', () => {
    const key = fc.constantFrom('payments/ledger', 'payments/reconciler', 'shop/web', 'broken', undefined);
    const arbitraryVolume = fc.record({
      id: fc.integer({ min: 0, max: 30 }),
      service: key,
      managed: fc.boolean(),
      state: fc.constantFrom('in-use', 'available', 'creating', 'error'),
      day: fc.integer({ min: 1, max: 28 }),
    });
    fc.assert(
      fc.property(fc.array(arbitraryVolume, { maxLength: 20 }), (specs) => {
        const tagged = specs.map((s) =>
          volume(
            `vol-${s.id}`,
            {
              'lifeboat:backup': 'true',
              ...(s.service ? { 'lifeboat:service': s.service } : {}),
              ...(s.managed ? { AmazonECSManaged: 'true' } : {}),
            },
            { state: s.state, createTime: `2025-12-${String(s.day).padStart(2, '0')}T00:00:00.000Z` },
          ),
        );
        const { chosen } = chooseVolumes({ services: SERVICES, tagged });
        const selected = new Set(SERVICES.map((s) => `${s.clusterName}/${s.serviceName}`));
        for (const c of chosen) {
          expect(selected.has(`${c.clusterName}/${c.serviceName}`)).toBe(true);
          expect(['in-use', 'available']).toContain(c.volume.state);
        }
        const managedPerService = new Map<string, number>();
        for (const c of chosen.filter((c) => c.kind === 'managed'))
          managedPerService.set(c.serviceName, (managedPerService.get(c.serviceName) ?? 0) + 1);
        for (const n of managedPerService.values()) expect(n).toBe(1);
      }),
    );
  });
});

describe('snapshot tags', () => {
  const volumeTags: Tag[] = [
    { key: 'team', value: 'payments' },
    { key: 'aws:cloudformation:stack-name', value: 'app' },
    { key: 'AmazonECSCreated', value: 'arn:aws:ecs:…' },
    { key: 'AmazonECSManaged', value: 'true' },
    { key: 'lifeboat:service', value: 'stale/value' },
  ];

  it('puts Lifeboat tags first, then the volume’s own tags without aws:* and AmazonECS*', () => {
    expect(
      snapshotTags({
        recoveryPointId: RP,
        deploymentId: 'dep-1',
        serviceKey: 'payments/ledger',
        sourceVolumeId: 'vol-1',
        volumeTags: [
          ...volumeTags,
          { key: 'lifeboat:managed', value: 'copied' },
          { key: 'lifeboat:role', value: 'x' },
        ],
      }),
    ).toEqual([
      { key: 'lifeboat:managed', value: 'true' },
      { key: 'lifeboat:recovery-point', value: RP },
      { key: 'lifeboat:deployment', value: 'dep-1' },
      { key: 'lifeboat:role', value: 'backup-source' },
      { key: 'lifeboat:source-volume', value: 'vol-1' },
      { key: 'lifeboat:service', value: 'payments/ledger' },
      { key: 'team', value: 'payments' },
    ]);
    expect(volumeOwnTags(volumeTags)).toEqual([
      { key: 'team', value: 'payments' },
      { key: 'lifeboat:service', value: 'stale/value' },
    ]);
  });

  it('adds lifeboat:source-snapshot to a DR copy and never exceeds 50 tags', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: String(i) }));
    const source = snapshotTags({
      recoveryPointId: RP,
      deploymentId: 'dep-1',
      serviceKey: 'a/b',
      sourceVolumeId: 'vol-1',
      volumeTags: many,
    });
    const dr = copyTags(source, 'snap-1');

    expect(source).toHaveLength(MAX_SNAPSHOT_TAGS);
    expect(source).toContainEqual({ key: 'lifeboat:role', value: 'backup-source' });
    expect(dr).toHaveLength(MAX_SNAPSHOT_TAGS);
    expect(dr.slice(0, 7).map((t) => t.key)).toEqual([
      'lifeboat:managed',
      'lifeboat:recovery-point',
      'lifeboat:deployment',
      'lifeboat:source-volume',
      'lifeboat:service',
      'lifeboat:role',
      'lifeboat:source-snapshot',
    ]);
    expect(dr).toContainEqual({ key: 'lifeboat:source-snapshot', value: 'snap-1' });
    expect(dr).toContainEqual({ key: 'lifeboat:role', value: 'backup-copy' });
    expect(dr).not.toContainEqual({ key: 'lifeboat:role', value: 'backup-source' });
  });
});

describe('copy state', () => {
  it('starts a fresh snapshot queued when EC2 already completed it, snapshotting while pending', () => {
    expect(phaseOfNewSnapshot('completed')).toBe('queued');
    expect(phaseOfNewSnapshot('pending')).toBe('snapshotting');
    expect(phaseOfNewSnapshot('error')).toBe('failed');
  });

  it('queues a volume whose snapshot completed, fails one whose snapshot failed or vanished, waits on pending', () => {
    const next = observeSources(
      state([
        copy('a', 'snapshotting'),
        copy('b', 'snapshotting'),
        copy('c', 'snapshotting'),
        copy('d', 'snapshotting'),
      ]),
      new Map([
        ['snap-src-a', observed('snap-src-a', 'completed')],
        ['snap-src-b', observed('snap-src-b', 'error', { stateMessage: 'volume detached' })],
        ['snap-src-d', observed('snap-src-d', 'pending')],
      ]),
    );

    expect(next.volumes.map((v) => [v.sourceVolumeId, v.phase, v.error?.code])).toEqual([
      ['vol-a', 'queued', undefined],
      ['vol-b', 'failed', 'SnapshotFailed'],
      ['vol-c', 'failed', 'SnapshotNotFound'],
      ['vol-d', 'snapshotting', undefined],
    ]);
    expect(next.volumes[1]?.error?.message).toContain('volume detached');
  });

  it('completes a copy with its DR key and time, fails an errored one and keeps a pending one copying', () => {
    const next = observeCopies(
      state([
        copy('a', 'copying', { drSnapshotId: 'snap-dr-a' }),
        copy('b', 'copying', { drSnapshotId: 'snap-dr-b' }),
        copy('c', 'copying', { drSnapshotId: 'snap-dr-c' }),
      ]),
      [
        observed('snap-dr-a', 'completed', {
          kmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/k',
          completionTime: '2026-01-01T00:30:00.000Z',
        }),
        observed('snap-dr-b', 'error', { stateMessage: 'key disabled' }),
        observed('snap-dr-c', 'pending'),
      ],
      NOW,
    );

    expect(next.volumes[0]).toMatchObject({
      phase: 'completed',
      drKmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/k',
      copiedAt: '2026-01-01T00:30:00.000Z',
    });
    expect(next.volumes[1]).toMatchObject({ phase: 'failed', error: { code: 'CopyFailed' } });
    expect(next.volumes[2]).toMatchObject({ phase: 'copying', drSnapshotId: 'snap-dr-c' });
  });

  it('adopts an existing DR copy for a queued volume instead of copying it again', () => {
    const next = observeCopies(
      state([copy('a', 'queued')]),
      [
        observed('snap-dr-a', 'pending', {
          tags: [{ key: 'lifeboat:source-snapshot', value: 'snap-src-a' }],
        }),
      ],
      NOW,
    );

    expect(next.volumes[0]).toMatchObject({ phase: 'copying', drSnapshotId: 'snap-dr-a' });
    expect(copiesToStart(next, 20)).toEqual([]);
  });

  it(`fails a copy the region has not listed in ${MAX_UNSEEN_CHECKS} checks in a row`, () => {
    let current = state([copy('a', 'copying', { drSnapshotId: 'snap-dr-a' })]);
    for (let i = 1; i < MAX_UNSEEN_CHECKS; i++) {
      current = observeCopies(current, [], NOW);
      expect(current.volumes[0]?.phase).toBe('copying');
    }
    current = observeCopies(current, [], NOW);
    expect(current.volumes[0]).toMatchObject({ phase: 'failed', error: { code: 'CopyNotFound' } });
  });

  it('starts the oldest queued copies, only as many as the copies in flight leave room for', () => {
    const s = state([
      copy('new', 'queued', { snapshotAt: '2026-01-01T00:03:00.000Z' }),
      copy('old', 'queued', { snapshotAt: '2026-01-01T00:01:00.000Z' }),
      copy('mid', 'queued', { snapshotAt: '2026-01-01T00:02:00.000Z' }),
      copy('busy', 'copying'),
    ]);

    expect(copiesToStart(s, 3).map((c) => c.sourceVolumeId)).toEqual(['vol-old', 'vol-mid']);
    expect(copiesToStart(s, 1)).toEqual([]);
  });

  it('never has more copies in flight than maxConcurrentCopies after starting what copiesToStart allows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...VOLUME_COPY_PHASES), { maxLength: 40 }),
        fc.integer({ min: 1, max: 20 }),
        (phases, max) => {
          const s = state(phases.map((p, i) => copy(String(i), p)));
          const start = copiesToStart(s, max);
          const inFlight = phaseCounts(s).copying;
          expect(start.every((c) => c.phase === 'queued')).toBe(true);
          expect(inFlight + start.length).toBeLessThanOrEqual(Math.max(max, inFlight));
          if (inFlight < max) expect(start.length).toBe(Math.min(max - inFlight, phaseCounts(s).queued));
          expect(isCopyDone(s)).toBe(phases.every((p) => p === 'completed' || p === 'failed'));
        },
      ),
    );
  });

  it('validates as zod schema round trip through JSON', () => {
    const s = state([copy('a', 'completed', { drSnapshotId: 'snap-dr-a', copiedAt: NOW.toISOString() })]);
    expect(volumeCopyStateSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(
      volumeCopyStateSchema.safeParse({ ...s, volumes: [{ ...s.volumes[0], phase: 'lost' }] }).success,
    ).toBe(false);
  });
});

describe('applyVolumeCopies', () => {
  const body = {
    schemaVersion: 1,
    id: RP,
    status: 'complete',
    startedAt: '2026-01-01T00:00:00.000Z',
    completedAt: '2026-01-01T00:00:05.000Z',
    source: { account: '123456789012', region: 'us-east-1' },
    target: { region: 'us-west-2' },
    clusters: [],
    services: [],
    taskDefinitions: [],
    images: [],
    volumes: {
      ebs: ['a', 'b', 'c'].map((id) => ({
        kind: 'standalone' as const,
        clusterName: 'payments',
        serviceName: 'reconciler',
        sourceVolumeId: `vol-${id}`,
        sourceSnapshotId: `snap-src-${id}`,
        sizeGiB: 20,
        tags: [],
      })),
      efs: [],
    },
    network: { subnets: [], securityGroups: [] },
    errors: [],
  } satisfies ManifestBody;

  it('records the DR copy of completed volumes and makes failed or unfinished ones errors of a partial recovery point', () => {
    const at = NOW.toISOString();
    const result = applyVolumeCopies(
      body,
      state([
        copy('a', 'completed', { drSnapshotId: 'snap-dr-a', drKmsKeyId: 'key-arn', copiedAt: at }),
        copy('b', 'failed', { error: { code: 'CopyFailed', message: 'EC2 could not copy' } }),
        copy('c', 'copying', { drSnapshotId: 'snap-dr-c' }),
      ]),
      at,
    );

    expect(result.status).toBe('partial');
    expect(result.completedAt).toBe(at);
    expect(result.volumes.ebs[0]).toMatchObject({
      drSnapshotId: 'snap-dr-a',
      drKmsKeyId: 'key-arn',
      copiedAt: at,
      engine: 'native-copy',
    });
    expect(result.volumes.ebs[1]?.drSnapshotId).toBeUndefined();
    expect(result.errors.map((e) => [e.resourceType, e.resourceId, e.code])).toEqual([
      ['volume', 'vol-b', 'CopyFailed'],
      ['volume', 'vol-c', 'CopyNotFinished'],
    ]);
  });

  it('keeps a recovery point complete when every copy completed', () => {
    const at = NOW.toISOString();
    const done = ['a', 'b', 'c'].map((id) =>
      copy(id, 'completed', { drSnapshotId: `snap-dr-${id}`, copiedAt: at }),
    );
    expect(applyVolumeCopies(body, state(done, 'block'), at)).toMatchObject({
      status: 'complete',
      errors: [],
    });
  });
});
