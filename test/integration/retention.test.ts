import {
  CopySnapshotCommand,
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { applyRetention, previewRetention, type RetentionDeps } from '../../src/backup/retention';
import { PinStore } from '../../src/catalog/aws/pins';
import { RetiredRecords } from '../../src/catalog/aws/retired';
import { type CatalogStore, catalogStoreFor } from '../../src/catalog/aws/store';
import { newRecoveryPointId, recoveryPointKey } from '../../src/catalog/keys';
import type { EbsVolumeRecord } from '../../src/catalog/manifest';
import { deploymentIdOf, type LifeboatConfig, parseConfig } from '../../src/config/schema';
import { copyTags, snapshotTags } from '../../src/volumes/ebs/model';
import { ensureTestCatalog } from '../support/catalog';
import { useEmulator } from '../support/emulator';
import { type FaultRule, startFaultProxy } from '../support/fault-proxy';
import { ACCOUNT, DR, ManifestBuilder, PRIMARY } from '../support/manifest-builder';

/**
 * Retention on the emulator, tried as a careless operator and a second deployment would: it
 * deletes only what this deployment's own records name, never the last good recovery point, never
 * a pinned one, and cleans up what an interrupted backup left.
 */
const ctx = useEmulator();

const DAY = 86_400_000;
const NOW = new Date();
const SERVICE = 'payments/ledger';

let volumeId = '';
beforeAll(async () => {
  const volume = await ctx.clients
    .ec2(PRIMARY)
    .send(new CreateVolumeCommand({ AvailabilityZone: `${PRIMARY}a`, Size: 8 }));
  volumeId = volume.VolumeId ?? '';
});

function configWith(retention: Partial<LifeboatConfig['retention']>, deploymentId?: string): LifeboatConfig {
  return parseConfig({
    account: ACCOUNT,
    primaryRegion: PRIMARY,
    drRegion: DR,
    retention: { days: 35, minRecoveryPoints: 1, ...retention },
    ...(deploymentId ? { deploymentId } : {}),
  });
}

let buckets = 0;
async function freshCatalog(config: LifeboatConfig): Promise<{ store: CatalogStore; deps: RetentionDeps }> {
  buckets += 1;
  const bucket = `lifeboat-retention-${buckets}`;
  await ensureTestCatalog(ctx.clients, DR, bucket);
  const store = catalogStoreFor(ctx.clients, { region: DR, bucket });
  const s3 = ctx.clients.s3(DR);
  return {
    store,
    deps: {
      clients: ctx.clients,
      config,
      store,
      pins: new PinStore(s3, bucket),
      retired: new RetiredRecords(s3, bucket),
      now: () => NOW,
    },
  };
}

interface Snapshots {
  readonly primary: string;
  readonly dr: string;
}

/** A backup's snapshot pair as the backup tags it: the primary snapshot and its DR copy. */
async function backupSnapshots(recoveryPointId: string, deploymentId: string): Promise<Snapshots> {
  const tags = snapshotTags({
    recoveryPointId,
    deploymentId,
    serviceKey: SERVICE,
    sourceVolumeId: volumeId,
    volumeTags: [],
  });
  const primary = await ctx.clients.ec2(PRIMARY).send(
    new CreateSnapshotCommand({
      VolumeId: volumeId,
      TagSpecifications: [
        { ResourceType: 'snapshot', Tags: tags.map((t) => ({ Key: t.key, Value: t.value })) },
      ],
    }),
  );
  const dr = await copyOf(primary.SnapshotId ?? '', copyTags(tags, primary.SnapshotId ?? ''));
  return { primary: primary.SnapshotId ?? '', dr };
}

/** A snapshot in the DR region made from `source`, tagged `tags` (a copy, as DLM or AWS Backup would make one). */
async function copyOf(source: string, tags: readonly { key: string; value: string }[]): Promise<string> {
  const dr = await ctx.clients.ec2(DR).send(
    new CopySnapshotCommand({
      SourceSnapshotId: source,
      SourceRegion: PRIMARY,
      TagSpecifications: [
        { ResourceType: 'snapshot', Tags: tags.map((t) => ({ Key: t.key, Value: t.value })) },
      ],
    }),
  );
  return dr.SnapshotId ?? '';
}

function volumeRecord(snapshots: Snapshots): EbsVolumeRecord {
  return {
    kind: 'standalone',
    clusterName: 'payments',
    serviceName: 'ledger',
    sourceVolumeId: volumeId,
    sourceSnapshotId: snapshots.primary,
    drSnapshotId: snapshots.dr,
    sizeGiB: 8,
    tags: [],
  };
}

let sequence = 0;
/** Commits a recovery point `days` old naming `snapshots`; returns its id. */
async function commitPoint(
  store: CatalogStore,
  days: number,
  opts: {
    readonly status?: 'complete' | 'partial';
    readonly snapshots?: Snapshots;
    readonly id?: string;
  } = {},
): Promise<string> {
  sequence += 1;
  const at = new Date(NOW.getTime() - days * DAY);
  const id = opts.id ?? newRecoveryPointId(at, () => sequence.toString(16).padStart(6, '0'));
  const builder = new ManifestBuilder().service(SERVICE).edit((body) => {
    body.id = id;
    body.startedAt = at.toISOString();
    body.completedAt = at.toISOString();
    if (opts.snapshots) body.volumes.ebs = [volumeRecord(opts.snapshots)];
  });
  if (opts.status === 'partial') {
    builder.partial([
      {
        resourceType: 'image',
        resourceId: 'x',
        code: 'ImageNotFound',
        message: 'gone',
        at: at.toISOString(),
      },
    ]);
  }
  await store.commit(builder.build());
  return id;
}

/** A recovery point id `days` old (for points the test commits itself, or never). */
function idDaysAgo(days: number): string {
  sequence += 1;
  return newRecoveryPointId(new Date(NOW.getTime() - days * DAY), () =>
    sequence.toString(16).padStart(6, '0'),
  );
}

async function exists(region: string, snapshotId: string): Promise<boolean> {
  const res = await ctx.clients
    .ec2(region)
    .send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'snapshot-id', Values: [snapshotId] }] }));
  return (res.Snapshots ?? []).length > 0;
}

async function ids(store: CatalogStore): Promise<string[]> {
  return (await store.list()).map((s) => s.id);
}

describe('retention finds what to delete through its own records', () => {
  it('deletes an expired point and the snapshots its manifest names in both regions, and nothing a copied tag names', async () => {
    const config = configWith({});
    const deployment = deploymentIdOf(config);
    const { store, deps } = await freshCatalog(config);
    const oldId = idDaysAgo(50);
    const oldSnapshots = await backupSnapshots(oldId, deployment);
    await commitPoint(store, 50, { id: oldId, snapshots: oldSnapshots });
    const newId = idDaysAgo(1);
    const newSnapshots = await backupSnapshots(newId, deployment);
    await commitPoint(store, 1, { id: newId, snapshots: newSnapshots });
    // A DR team's snapshot of the copy with the tags copied (DLM / AWS Backup copy-tags): every
    // Lifeboat tag of the recovery point, but no record of Lifeboat's names it.
    const teamCopy = await copyOf(
      oldSnapshots.primary,
      copyTags(
        snapshotTags({
          recoveryPointId: oldId,
          deploymentId: deployment,
          serviceKey: SERVICE,
          sourceVolumeId: volumeId,
          volumeTags: [],
        }),
        oldSnapshots.primary,
      ),
    );

    const result = await applyRetention(deps, { justCommitted: newId });

    expect(result).toMatchObject({ recoveryPointsDeleted: 1, snapshotsDeleted: 2, unverified: [] });
    expect(await ids(store)).toEqual([newId]);
    expect(await exists(PRIMARY, oldSnapshots.primary)).toBe(false);
    expect(await exists(DR, oldSnapshots.dr)).toBe(false);
    expect(await exists(PRIMARY, newSnapshots.primary)).toBe(true);
    expect(await exists(DR, newSnapshots.dr)).toBe(true);
    expect(await exists(DR, teamCopy)).toBe(true);
    // Nothing left to do: the retired record went with its last snapshot.
    expect((await deps.retired.list()).records).toEqual([]);
  });

  it('never deletes a recorded snapshot that another deployment tagged (two deployments in one account)', async () => {
    const config = configWith({}, 'east-to-west');
    const { store, deps } = await freshCatalog(config);
    const theirs = await backupSnapshots(idDaysAgo(60), 'west-to-east');
    // A confused (or forged, if the key were compromised) record naming the other deployment's snapshots.
    await commitPoint(store, 60, { snapshots: theirs });
    const newest = await commitPoint(store, 1);

    const result = await applyRetention(deps, { justCommitted: newest });

    expect(result).toMatchObject({ recoveryPointsDeleted: 1, snapshotsDeleted: 0, snapshotsKept: 2 });
    expect(await exists(PRIMARY, theirs.primary)).toBe(true);
    expect(await exists(DR, theirs.dr)).toBe(true);
  });

  it('keeps a snapshot in use and deletes it on a later run, through the retired record', async () => {
    const config = configWith({});
    const deployment = deploymentIdOf(config);
    const { store, deps } = await freshCatalog(config);
    const ec2 = ctx.clients.ec2(PRIMARY);
    const [base] = (await ec2.send(new DescribeImagesCommand({}))).Images ?? [];
    const instance = await ec2.send(
      new RunInstancesCommand({ ImageId: base?.ImageId, MinCount: 1, MaxCount: 1 }),
    );
    const ami = await ec2.send(
      new CreateImageCommand({
        InstanceId: instance.Instances?.[0]?.InstanceId,
        Name: `from-lifeboat-${buckets}`,
      }),
    );
    const inUse =
      (await ec2.send(new DescribeImagesCommand({ ImageIds: [ami.ImageId ?? ''] }))).Images?.[0]
        ?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId ?? '';
    const oldId = idDaysAgo(50);
    await ec2.send(
      new CreateTagsCommand({
        Resources: [inUse],
        Tags: snapshotTags({
          recoveryPointId: oldId,
          deploymentId: deployment,
          serviceKey: SERVICE,
          sourceVolumeId: volumeId,
          volumeTags: [],
        }).map((t) => ({ Key: t.key, Value: t.value })),
      }),
    );
    const dr = await copyOf(
      inUse,
      copyTags(
        [
          { key: 'lifeboat:recovery-point', value: oldId },
          { key: 'lifeboat:managed', value: 'true' },
        ],
        inUse,
      ),
    );
    await commitPoint(store, 50, { id: oldId, snapshots: { primary: inUse, dr } });
    const newest = await commitPoint(store, 1);

    const first = await applyRetention(deps, { justCommitted: newest });
    expect(first).toMatchObject({ recoveryPointsDeleted: 1, snapshotsDeleted: 1, snapshotsKept: 1 });
    expect(await exists(PRIMARY, inUse)).toBe(true);
    expect((await deps.retired.list()).records.map((r) => r.recoveryPointId)).toEqual([oldId]);

    await ec2.send(new DeregisterImageCommand({ ImageId: ami.ImageId }));
    const second = await applyRetention(deps, { justCommitted: newest });
    expect(second).toMatchObject({ recoveryPointsDeleted: 0, snapshotsDeleted: 1 });
    expect(await exists(PRIMARY, inUse)).toBe(false);
    expect((await deps.retired.list()).records).toEqual([]);
  });
});

describe('retention keeps the last good recovery point', () => {
  it('keeps a 40-day-old complete point when the three newer ones are partial, and "latest" still finds it', async () => {
    const { store, deps } = await freshCatalog(configWith({ days: 35, minRecoveryPoints: 3 }));
    const complete = await commitPoint(store, 40);
    const partials = [];
    for (const days of [3, 2, 1]) partials.push(await commitPoint(store, days, { status: 'partial' }));

    const result = await applyRetention(deps, { justCommitted: partials[2] });

    expect(result.recoveryPointsDeleted).toBe(0);
    expect(await ids(store)).toContain(complete);
    expect((await store.get('latest')).id).toBe(complete);
  });

  it('does not count a corrupted newest point: the older good one stays, and the corrupted one is reported', async () => {
    const { store, deps } = await freshCatalog(configWith({ days: 1, minRecoveryPoints: 1 }));
    const good = await commitPoint(store, 10);
    const corrupted = await commitPoint(store, 5);
    const key = recoveryPointKey(corrupted, 'complete');
    const s3 = ctx.clients.s3(DR);
    const text = await (
      await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }))
    ).Body?.transformToString();
    await s3.send(
      new PutObjectCommand({
        Bucket: store.bucket,
        Key: key,
        Body: (text ?? '').replace('"ledger"', '"ledgers"'),
      }),
    );

    const preview = await previewRetention(deps);
    expect(preview.plan.newestComplete).toBe(good);
    expect(preview.plan.keep.map((d) => d.id)).toEqual([good]);

    const result = await applyRetention(deps);
    expect(result.unverified).toEqual([
      expect.objectContaining({ id: corrupted, code: 'ChecksumMismatchError' }),
    ]);
    expect(await ids(store)).toEqual([good]);
  });

  it('keeps a pinned point and its snapshots past retention until it is unpinned', async () => {
    const config = configWith({});
    const { store, deps } = await freshCatalog(config);
    const pinnedId = idDaysAgo(60);
    const snapshots = await backupSnapshots(pinnedId, deploymentIdOf(config));
    await commitPoint(store, 60, { id: pinnedId, snapshots });
    const newest = await commitPoint(store, 1);
    await new PinStore(ctx.clients.s3(DR), store.bucket).pin(pinnedId, {
      execution: 'failover-1',
      services: [SERVICE],
    });

    expect(await applyRetention(deps, { justCommitted: newest })).toMatchObject({
      recoveryPointsDeleted: 0,
      snapshotsDeleted: 0,
    });
    expect(await ids(store)).toContain(pinnedId);
    expect(await exists(DR, snapshots.dr)).toBe(true);

    await new PinStore(ctx.clients.s3(DR), store.bucket).unpin(pinnedId);
    expect(await applyRetention(deps, { justCommitted: newest })).toMatchObject({
      recoveryPointsDeleted: 1,
      snapshotsDeleted: 2,
    });
    expect(await exists(DR, snapshots.dr)).toBe(false);
  });
});

describe('retention cleans up after interrupted backups', () => {
  it('removes the staging objects and this deployment’s snapshots of a backup that never committed, once it is certainly over', async () => {
    const config = configWith({});
    const deployment = deploymentIdOf(config);
    const { store, deps } = await freshCatalog(config);
    const interrupted = idDaysAgo(2);
    const running = newRecoveryPointId(new Date(NOW.getTime() - 3_600_000), () => 'abc001');
    await store.putStaging(interrupted, 'body', { partial: true });
    await store.putStaging(interrupted, 'volumes', { copies: [] });
    await store.putStaging(running, 'body', { partial: true });
    const left = await backupSnapshots(interrupted, deployment);
    const stillRunning = await backupSnapshots(running, deployment);
    const otherDeployment = await backupSnapshots(interrupted, 'another-deployment');
    const newest = await commitPoint(store, 0.5);

    const result = await applyRetention(deps, { justCommitted: newest });

    expect(result).toMatchObject({ orphanedRunsCleaned: 1, snapshotsDeleted: 2 });
    expect(await exists(PRIMARY, left.primary)).toBe(false);
    expect(await exists(DR, left.dr)).toBe(false);
    expect(await exists(PRIMARY, otherDeployment.primary)).toBe(true);
    expect(await exists(PRIMARY, stillRunning.primary)).toBe(true);
    expect(await store.getStaging(interrupted, 'body')).toBeUndefined();
    expect(await store.getStaging(running, 'body')).toEqual({ partial: true });
  });
});

describe('retention under Object Lock', () => {
  it('extends the lock of a kept point whose lock would end while it is still kept, and delete-marks an expired one', async () => {
    const config = parseConfig({
      account: ACCOUNT,
      primaryRegion: PRIMARY,
      drRegion: DR,
      retention: { days: 35, minRecoveryPoints: 1 },
      catalog: { objectLockMode: 'GOVERNANCE', objectLockDays: 10 },
    });
    const { store, deps } = await freshCatalog(config);
    const s3 = ctx.clients.s3(DR);
    const locked = `${store.bucket}-locked`;
    await s3.send(
      new CreateBucketCommand({
        Bucket: locked,
        CreateBucketConfiguration: { LocationConstraint: DR },
        ObjectLockEnabledForBucket: true,
      }),
    );
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: locked,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      }),
    );
    const lockedStore = catalogStoreFor(ctx.clients, { region: DR, bucket: locked });
    const lockedDeps: RetentionDeps = {
      ...deps,
      store: lockedStore,
      pins: new PinStore(s3, locked),
      retired: new RetiredRecords(s3, locked),
    };
    // The only complete point, 40 days old: kept whatever its age, but its lock ends tomorrow.
    const kept = await commitPoint(lockedStore, 40);
    const expired = await commitPoint(lockedStore, 50, { status: 'partial' });

    const result = await applyRetention(lockedDeps);

    expect(result).toMatchObject({ locksExtended: 1, recoveryPointsDeleted: 1 });
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: locked, Key: recoveryPointKey(kept, 'complete') }),
    );
    const days = ((head.ObjectLockRetainUntilDate?.getTime() ?? 0) - NOW.getTime()) / DAY;
    expect(days).toBeCloseTo(10, 1);
    // The expired point is hidden by a delete marker; its locked version stays, tagged as retired on purpose.
    expect(await ids(lockedStore)).toEqual([kept]);
    const versions = await s3.send(
      new ListObjectVersionsCommand({ Bucket: locked, Prefix: recoveryPointKey(expired, 'partial') }),
    );
    expect(versions.Versions).toHaveLength(1);
    expect(versions.DeleteMarkers).toHaveLength(1);
    const tags = await s3.send(
      new GetObjectTaggingCommand({
        Bucket: locked,
        Key: recoveryPointKey(expired, 'partial'),
        VersionId: versions.Versions?.[0]?.VersionId,
      }),
    );
    expect(tags.TagSet).toEqual([{ Key: 'lifeboat:retired', Value: 'true' }]);

    // A second run finds the lock long enough and leaves it.
    expect(await applyRetention(lockedDeps)).toMatchObject({ locksExtended: 0 });
  });
});

describe('retention when a delete fails', () => {
  /** Runs `fn` with clients that reach the emulator through a fault proxy; one attempt per call. */
  async function throughProxy<T>(rules: readonly FaultRule[], fn: (clients: AwsClients) => Promise<T>) {
    const proxy = await startFaultProxy({ target: ctx.endpoint, seed: 8, rules });
    const clients = new AwsClients({ endpoint: proxy.endpoint, maxAttempts: 1 });
    try {
      return await fn(clients);
    } finally {
      clients.destroy();
      await proxy.stop();
    }
  }

  it('keeps (and does not count) a point whose retire fails, goes on with the rest, and retires it next run', async () => {
    const config = configWith({});
    const { store, deps } = await freshCatalog(config);
    const expiredId = idDaysAgo(50);
    const snapshots = await backupSnapshots(expiredId, deploymentIdOf(config));
    const expired = await commitPoint(store, 50, { id: expiredId, snapshots });
    const newest = await commitPoint(store, 1);

    // S3 refuses the retired tag (the first step of retiring a manifest) on every attempt.
    const first = await throughProxy([{ match: 'S3.PutObjectTagging', serverError: 1 }], (clients) =>
      applyRetention(
        { ...deps, store: catalogStoreFor(clients, { region: DR, bucket: store.bucket }) },
        { justCommitted: newest },
      ),
    );
    expect(first).toMatchObject({ recoveryPointsDeleted: 0, snapshotsDeleted: 0, unverified: [] });
    expect(await ids(store)).toEqual([newest, expired]);
    // The point is still listed, so it must stay restorable: its snapshots are left alone.
    expect(await exists(PRIMARY, snapshots.primary)).toBe(true);
    expect(await exists(DR, snapshots.dr)).toBe(true);

    const second = await applyRetention(deps, { justCommitted: newest });
    expect(second).toMatchObject({ recoveryPointsDeleted: 1, snapshotsDeleted: 2 });
    expect(await ids(store)).toEqual([newest]);
  });

  it('keeps the retired record of a snapshot whose delete fails, and deletes the snapshot through it next run', async () => {
    const config = configWith({});
    const { store, deps } = await freshCatalog(config);
    const oldId = idDaysAgo(50);
    const snapshots = await backupSnapshots(oldId, deploymentIdOf(config));
    await commitPoint(store, 50, { id: oldId, snapshots });
    const newest = await commitPoint(store, 1);

    // EC2 refuses every snapshot delete (a 5xx on each attempt).
    const first = await throughProxy([{ match: 'EC2.DeleteSnapshot', serverError: 1 }], (clients) =>
      applyRetention({ ...deps, clients }, { justCommitted: newest }),
    );
    expect(first).toMatchObject({ recoveryPointsDeleted: 1, snapshotsDeleted: 0, snapshotsKept: 2 });
    expect(await exists(PRIMARY, snapshots.primary)).toBe(true);
    expect(await exists(DR, snapshots.dr)).toBe(true);
    expect((await deps.retired.list()).records.map((r) => r.recoveryPointId)).toEqual([oldId]);

    const second = await applyRetention(deps, { justCommitted: newest });
    expect(second).toMatchObject({ recoveryPointsDeleted: 0, snapshotsDeleted: 2, snapshotsKept: 0 });
    expect(await exists(PRIMARY, snapshots.primary)).toBe(false);
    expect(await exists(DR, snapshots.dr)).toBe(false);
    expect((await deps.retired.list()).records).toEqual([]);
  });
});
