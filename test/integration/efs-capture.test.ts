import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureFleet } from '../../src/backup/capture';
import { runCapture } from '../../src/backup/steps';
import type { Manifest, TaskDefinitionRecord } from '../../src/catalog/manifest';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { type LifeboatConfig, parseConfig } from '../../src/config/schema';
import { simulatePrimaryRegionLoss } from '../../src/demo/primary-loss';
import type { DemoFleet } from '../../src/demo/seed';
import { SHARED_FILE_SYSTEM } from '../../src/demo/seed-fleet';
import { SOURCE_ID_TAG } from '../../src/fleet/inventory';
import {
  type CaptureEfsOptions,
  captureEfs,
  EMULATOR_REPLICA_TOKEN_SUFFIX,
} from '../../src/volumes/efs/aws/capture';
import { ACCOUNT, BUCKET, CONFIG_INPUT, DR, PRIMARY, seedFleetWithCatalog } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

const WORKER = 'shop/worker';

const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
let fleet: DemoFleet;
let config: LifeboatConfig;
let taskDefinitions: TaskDefinitionRecord[];

function efsOptions(overrides: Partial<CaptureEfsOptions> = {}): CaptureEfsOptions {
  return {
    primaryRegion: PRIMARY,
    drRegion: DR,
    account: ACCOUNT,
    taskDefinitions,
    allowCreateReplication: false,
    now: () => new Date(),
    ...overrides,
  };
}

/** A local backup: capture records EFS, with the emulator's stand-in replica. */
async function backupWithEfs(): Promise<Manifest> {
  const { manifest } = await runCapture({
    clients: ctx.clients,
    config,
    bucket: BUCKET,
    efsEmulatorFallback: true,
  });
  return manifest;
}

beforeAll(async () => {
  fleet = await seedFleetWithCatalog(ctx.clients);
  config = parseConfig(CONFIG_INPUT);
  taskDefinitions = (await captureFleet({ clients: ctx.clients, config, efsEmulatorFallback: true })).body
    .taskDefinitions;
}, 300_000);

describe('captureEfs on the emulator', () => {
  it('records the file system the worker mounts with its access point: root directory, creation info, POSIX user, tags', async () => {
    const result = await captureEfs(ctx.clients, efsOptions({ emulatorFallback: true }));

    expect(result.records).toHaveLength(1);
    const [record] = result.records;
    expect(record?.sourceFileSystemId).toBe(fleet.efs.fileSystemId);
    const { path, uid, gid } = SHARED_FILE_SYSTEM.accessPoint;
    expect(record?.accessPoints).toEqual([
      {
        sourceAccessPointId: fleet.efs.accessPointId,
        rootDirectory: { Path: path, CreationInfo: { OwnerUid: uid, OwnerGid: gid, Permissions: '0750' } },
        posixUser: { Uid: uid, Gid: gid },
        tags: [
          { key: 'Name', value: SHARED_FILE_SYSTEM.accessPoint.name },
          ...SHARED_FILE_SYSTEM.tags.map((t) => ({ key: t.key, value: t.value })),
        ],
      },
    ]);
  });

  it('without emulatorFallback, records that the emulator has no replication API (an error, no DR id)', async () => {
    const result = await captureEfs(ctx.clients, efsOptions({ allowCreateReplication: true }));

    expect(result.records[0]?.drFileSystemId).toBeUndefined();
    expect(result.errors).toEqual([
      expect.objectContaining({
        resourceType: 'fileSystem',
        resourceId: fleet.efs.fileSystemId,
        code: 'EfsReplicationApiUnavailable',
      }),
    ]);
    expect(result.errors[0]?.message).toContain('emulatorFallback');
  });

  it('with emulatorFallback, records a DR file system with the creation token + "-dr" as the replica, with a warning, and reuses it', async () => {
    const first = await captureEfs(ctx.clients, efsOptions({ emulatorFallback: true }));
    const second = await captureEfs(ctx.clients, efsOptions({ emulatorFallback: true }));

    const drId = first.records[0]?.drFileSystemId;
    expect(drId).toMatch(/^fs-/);
    expect(second.records[0]?.drFileSystemId).toBe(drId);
    expect(first.records[0]?.lastSyncAt).toBeUndefined();
    expect(first.errors).toEqual([]);
    expect(first.warnings.map((w) => w.code)).toEqual(['EmulatorReplicaStandIn']);
    const described = await ctx.clients.efs(DR).send(new DescribeFileSystemsCommand({ FileSystemId: drId }));
    expect(described.FileSystems?.[0]?.CreationToken).toBe(
      `${SHARED_FILE_SYSTEM.creationToken}${EMULATOR_REPLICA_TOKEN_SUFFIX}`,
    );
    expect(described.FileSystems?.[0]?.Tags).toContainEqual({
      Key: SOURCE_ID_TAG,
      Value: fleet.efs.fileSystemId,
    });
  });

  it('records an error for an access point that no longer exists and still records the file system', async () => {
    const missing = 'fsap-00000000000000000';
    const broken = taskDefinitions.map((td) => {
      const volumes = (td.registerInput.volumes ?? []) as Record<string, unknown>[];
      return {
        ...td,
        registerInput: {
          ...td.registerInput,
          volumes: volumes.map((v) =>
            v.efsVolumeConfiguration
              ? {
                  ...v,
                  efsVolumeConfiguration: {
                    fileSystemId: fleet.efs.fileSystemId,
                    authorizationConfig: { accessPointId: missing },
                  },
                }
              : v,
          ),
        },
      };
    });

    const result = await captureEfs(
      ctx.clients,
      efsOptions({ taskDefinitions: broken, emulatorFallback: true }),
    );

    expect(result.errors.map((e) => [e.resourceId, e.code])).toEqual([[missing, 'AccessPointNotFound']]);
    expect(result.records[0]).toMatchObject({ sourceFileSystemId: fleet.efs.fileSystemId, accessPoints: [] });
  });
});

describe('EFS through backup and local failover', () => {
  it('restores shop/worker in DR on the replica with its access point recreated, and a re-run creates nothing new', async () => {
    const manifest = await backupWithEfs();
    expect(manifest.status).toBe('complete');
    const [record] = manifest.volumes.efs;
    const drFs = record?.drFileSystemId as string;
    expect(drFs).toMatch(/^fs-/);
    await simulatePrimaryRegionLoss(ctx.clients, { primaryRegion: PRIMARY });
    const topicArn = await ensureLocalReportTopic(ctx.clients, DR);
    const failover = (executionName: string) =>
      runLocalRestore({
        clients: ctx.clients,
        config,
        bucket: BUCKET,
        topicArn,
        input: { recoveryPoint: manifest.id, services: [WORKER], dryRun: false },
        waitTimeScale: 0,
        executionName,
      });

    const result = await failover('efs-failover');

    expect(result.status).toBe('SUCCEEDED');
    const points = await ctx.clients.efs(DR).send(new DescribeAccessPointsCommand({ FileSystemId: drFs }));
    expect(points.AccessPoints).toHaveLength(1);
    const drPoint = points.AccessPoints?.[0];
    const { path, uid, gid } = SHARED_FILE_SYSTEM.accessPoint;
    expect(drPoint?.RootDirectory).toEqual({
      Path: path,
      CreationInfo: { OwnerUid: uid, OwnerGid: gid, Permissions: '0750' },
    });
    expect(drPoint?.PosixUser).toEqual({ Uid: uid, Gid: gid });
    expect(drPoint?.Tags).toContainEqual({ Key: SOURCE_ID_TAG, Value: fleet.efs.accessPointId });
    expect(drPoint?.Tags).toContainEqual({ Key: 'Name', Value: SHARED_FILE_SYSTEM.accessPoint.name });

    const ecs = ctx.clients.ecs(DR);
    const [cluster, service] = WORKER.split('/') as [string, string];
    const described = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    const taskDefinition = (
      await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: described.services?.[0]?.taskDefinition }),
      )
    ).taskDefinition;
    const efsVolume = taskDefinition?.volumes?.find((v) => v.efsVolumeConfiguration)?.efsVolumeConfiguration;
    expect(efsVolume?.fileSystemId).toBe(drFs);
    expect(efsVolume?.authorizationConfig?.accessPointId).toBe(drPoint?.AccessPointId);

    const again = await failover('efs-failover-again');

    expect(again.status).toBe('SUCCEEDED');
    const after = await ctx.clients.efs(DR).send(new DescribeAccessPointsCommand({ FileSystemId: drFs }));
    expect(after.AccessPoints?.map((p) => p.AccessPointId)).toEqual([drPoint?.AccessPointId]);
  });
});
