import { DescribeSnapshotsCommand, type Snapshot } from '@aws-sdk/client-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { type CatalogStore, catalogStoreFor } from '../../src/catalog/aws/store';
import { CATALOG_KEY_ALIAS, catalogBucketName } from '../../src/catalog/names';
import { ensureLocalKey } from '../../src/cli/aws/local-resources';
import type { BackupStep } from '../../src/cli/runners/backup-events';
import { runLocalBackup } from '../../src/cli/runners/local-backup';
import { deploymentIdOf, type LifeboatConfig, parseConfig } from '../../src/config/schema';
import { VOLUME_KEY_ALIAS } from '../../src/config/settings';
import { type DemoFleet, seedDemoFleet } from '../../src/demo/seed';
import type { ExecutionEvent } from '../../src/emulator/step-functions/engine';
import {
  DEPLOYMENT_TAG,
  MANAGED_TAG,
  RECOVERY_POINT_TAG,
  ROLE_TAG,
  SERVICE_TAG,
  SOURCE_SNAPSHOT_TAG,
  SOURCE_VOLUME_TAG,
} from '../../src/volumes/ebs/tags';
import { ensureTestCatalog } from '../support/catalog';
import { useEmulator } from '../support/emulator';
import { startFaultProxy } from '../support/fault-proxy';

const PRIMARY = 'us-east-1';
const DR = 'us-west-2';

const ctx = useEmulator();
let fleet: DemoFleet;
let config: LifeboatConfig;
let bucket: string;
let catalogKeyArn: string;
let volumeKeyArn: string;

function store(): CatalogStore {
  return catalogStoreFor(ctx.clients, { region: DR, bucket: bucket, kmsKeyId: catalogKeyArn });
}

/** Lifeboat's snapshots in `region` for one recovery point, by source volume. */
async function snapshotsOf(region: string, recoveryPointId: string): Promise<Snapshot[]> {
  const res = await ctx.clients.ec2(region).send(
    new DescribeSnapshotsCommand({
      OwnerIds: ['self'],
      Filters: [
        { Name: `tag:${MANAGED_TAG}`, Values: ['true'] },
        { Name: `tag:${RECOVERY_POINT_TAG}`, Values: [recoveryPointId] },
      ],
    }),
  );
  return res.Snapshots ?? [];
}

function tagsOf(snapshot: Snapshot | undefined): Record<string, string> {
  return Object.fromEntries((snapshot?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

beforeAll(async () => {
  fleet = await seedDemoFleet(ctx.clients, { primaryRegion: PRIMARY, drRegion: DR });
  config = parseConfig({ account: fleet.account, primaryRegion: PRIMARY, drRegion: DR });
  bucket = catalogBucketName(fleet.account, DR);
  catalogKeyArn = await ensureLocalKey(ctx.clients.kms(DR), CATALOG_KEY_ALIAS);
  volumeKeyArn = await ensureLocalKey(ctx.clients.kms(DR), VOLUME_KEY_ALIAS);
  await ensureTestCatalog(ctx.clients, DR, bucket, { kmsKeyId: catalogKeyArn });
});

describe('runLocalBackup (the BackupStack state machine on the emulator)', () => {
  let firstId: string;

  it('captures, copies both volumes to the DR region tick by tick, and commits a complete recovery point', async () => {
    const steps: BackupStep[] = [];
    const events: ExecutionEvent[] = [];
    const result = await runLocalBackup({
      clients: ctx.clients,
      config,
      bucket,
      kmsKeyId: catalogKeyArn,
      volumeKmsKeyId: VOLUME_KEY_ALIAS,
      onStep: (step) => steps.push(step),
      onEvent: (event) => events.push(event),
    });

    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    // The execution output: Commit's result with ApplyRetention's beside it.
    expect(result.output).toEqual({ ...result.commit, retention: result.retention });
    expect(result.retention).toMatchObject({
      recoveryPointsDeleted: 0,
      orphanedRunsCleaned: 0,
      unverified: [],
    });
    expect(result.capture).toMatchObject({
      services: fleet.selectedServiceKeys.length,
      volumes: 2,
      done: false,
    });
    const commit = result.commit;
    if (!commit) throw new Error('no Commit result');
    firstId = commit.recoveryPointId;
    expect(commit).toMatchObject({
      recoveryPointId: result.capture?.recoveryPointId,
      status: 'complete',
      services: fleet.selectedServiceKeys.length,
      volumes: 2,
      errors: 0,
    });
    expect(steps.map((s) => s.step)).toEqual([
      'capture',
      ...result.ticks.map(() => 'copy'),
      'commit',
      'retention',
    ]);
    expect(result.ticks.at(-1)).toMatchObject({ done: true, counts: { completed: 2, failed: 0 } });
    expect(result.transitionsByState).toMatchObject({
      Capture: 1,
      CopyVolumes: result.ticks.length,
      WaitForCopies: result.ticks.length,
      'VolumesCopied?': result.ticks.length + 1,
      Commit: 1,
      ApplyRetention: 1,
    });
    // Capture → check → (wait → tick → check)… → Commit.
    const entered = events.filter((e) => e.type === 'StateEntered').map((e) => e.stateName);
    expect(entered).toEqual([
      'Capture',
      'VolumesCopied?',
      ...result.ticks.flatMap(() => ['WaitForCopies', 'CopyVolumes', 'VolumesCopied?']),
      'Commit',
      'ApplyRetention',
    ]);

    const manifest = await store().get(firstId);
    const byKind = Object.fromEntries(manifest.volumes.ebs.map((v) => [v.kind, v]));
    expect(byKind.managed).toMatchObject({
      clusterName: 'payments',
      serviceName: 'ledger',
      volumeName: fleet.managedEbsVolume.volumeName,
      sourceVolumeId: fleet.managedEbsVolume.volumeId,
      engine: 'native-copy',
    });
    expect(byKind.standalone).toMatchObject({
      clusterName: 'payments',
      serviceName: 'reconciler',
      sourceVolumeId: fleet.ebsVolume.volumeId,
      engine: 'native-copy',
    });
    for (const record of manifest.volumes.ebs) {
      expect(record.drSnapshotId).toMatch(/^snap-/);
      expect(record.copiedAt).toBeDefined();
    }

    // The DR copies carry the recovery point, the source volume and the source snapshot.
    const copies = await snapshotsOf(DR, firstId);
    expect(copies.map((s) => s.SnapshotId).sort()).toEqual(
      manifest.volumes.ebs.map((v) => v.drSnapshotId).sort(),
    );
    for (const record of manifest.volumes.ebs) {
      const copy = copies.find((s) => s.SnapshotId === record.drSnapshotId);
      // The key is what DescribeSnapshots reports for the copy: the key ARN on AWS; moto 5.2
      // echoes the KmsKeyId given to CopySnapshot, here the volume key's alias.
      expect(copy?.Encrypted).toBe(true);
      expect(record.drKmsKeyId).toBe(copy?.KmsKeyId);
      expect([volumeKeyArn, VOLUME_KEY_ALIAS]).toContain(record.drKmsKeyId);
      expect(tagsOf(copy)).toMatchObject({
        [MANAGED_TAG]: 'true',
        [RECOVERY_POINT_TAG]: firstId,
        [DEPLOYMENT_TAG]: deploymentIdOf(config),
        [ROLE_TAG]: 'backup-copy',
        [SOURCE_VOLUME_TAG]: record.sourceVolumeId,
        [SOURCE_SNAPSHOT_TAG]: record.sourceSnapshotId,
        [SERVICE_TAG]: `${record.clusterName}/${record.serviceName}`,
      });
    }
  });

  it('leaves the staged body and copy state of the run in the catalog', async () => {
    const body = (await store().getStaging(firstId, 'body')) as { id: string; volumes: { ebs: unknown[] } };
    expect(body).toMatchObject({ id: firstId });
    expect(body.volumes.ebs).toHaveLength(2);
    const copies = (await store().getStaging(firstId, 'volumes')) as { volumes: { phase: string }[] };
    expect(copies.volumes.map((v) => v.phase)).toEqual(['completed', 'completed']);
  });

  it('a second run takes its own recovery point and snapshots, leaving the first one and its copies as they were', async () => {
    const before = (await snapshotsOf(DR, firstId)).map((s) => s.SnapshotId).sort();
    const result = await runLocalBackup({ clients: ctx.clients, config, bucket, kmsKeyId: catalogKeyArn });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const secondId = result.commit?.recoveryPointId ?? '';
    expect(secondId).not.toBe(firstId);

    expect((await snapshotsOf(DR, firstId)).map((s) => s.SnapshotId).sort()).toEqual(before);
    expect(await snapshotsOf(PRIMARY, firstId)).toHaveLength(2);
    expect(await snapshotsOf(PRIMARY, secondId)).toHaveLength(2);
    const second = await snapshotsOf(DR, secondId);
    expect(second).toHaveLength(2);
    expect(second.map((s) => s.SnapshotId)).not.toContain(before[0]);
    // Both recovery points are there and verify; retention (35 days, keep 3) deleted nothing.
    expect((await store().list()).map((r) => r.id)).toEqual([secondId, firstId]);
    expect(result.retention).toMatchObject({ recoveryPointsDeleted: 0, snapshotsDeleted: 0 });
  });

  it('retries a copy tick that failed after starting the copies, and the retry starts no second copy', async () => {
    const proxy = await startFaultProxy({ target: ctx.endpoint, seed: 7 });
    const clients = new AwsClients({ endpoint: proxy.endpoint, maxAttempts: 2 });
    try {
      const result = await runLocalBackup({
        clients,
        config,
        bucket,
        kmsKeyId: catalogKeyArn,
        onStep: (step) => {
          // From the first tick on, the staged copy state cannot be saved once (both attempts
          // never reach S3): the tick fails after its CopySnapshot calls went through.
          if (step.step === 'capture') {
            proxy.setRules([{ match: 'S3.PutObject', drop: 1, dropPhases: ['request'], maxFaults: 2 }]);
          }
        },
      });
      expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
      expect(proxy.stats().injected.map((f) => f.kind)).toEqual(['drop-request', 'drop-request']);
      expect(result.events).toContainEqual(
        expect.objectContaining({ type: 'StateRetried', stateName: 'CopyVolumes' }),
      );
      expect(result.transitionsByState.CopyVolumes).toBeGreaterThanOrEqual(2);
      const id = result.commit?.recoveryPointId ?? '';
      expect(result.commit).toMatchObject({ status: 'complete', volumes: 2 });
      expect(await snapshotsOf(DR, id)).toHaveLength(2);
      expect(proxy.stats().calls['EC2.CopySnapshot']).toBe(2);
    } finally {
      clients.destroy();
      await proxy.stop();
    }
  });

  it('goes from Capture straight to Commit when the selected services have no volumes', async () => {
    const shopOnly = parseConfig({
      account: fleet.account,
      primaryRegion: PRIMARY,
      drRegion: DR,
      selection: { include: ['shop/*'] },
    });
    const result = await runLocalBackup({
      clients: ctx.clients,
      config: shopOnly,
      bucket,
      kmsKeyId: catalogKeyArn,
    });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(result.capture).toMatchObject({ volumes: 0, done: true });
    expect(result.ticks).toEqual([]);
    expect(result.transitionsByState).toEqual({
      Capture: 1,
      'VolumesCopied?': 1,
      Commit: 1,
      ApplyRetention: 1,
    });
    expect(result.commit).toMatchObject({ status: 'complete', volumes: 0 });
  });

  it('ends FAILED with the handler error, and commits nothing, when the catalog bucket does not exist', async () => {
    const before = await store().list();
    const result = await runLocalBackup({ clients: ctx.clients, config, bucket: 'lifeboat-no-such-bucket' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toMatch(/Error$/);
    expect(result.cause).toContain('lifeboat-no-such-bucket');
    expect(result.commit).toBeUndefined();
    expect(result.transitionsByState).toEqual({ Capture: 1 });
    expect(await store().list()).toEqual(before);
  });
});
