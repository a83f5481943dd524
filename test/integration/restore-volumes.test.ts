import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeVolumesCommand,
  type Volume,
} from '@aws-sdk/client-ec2';
import { type CreateServiceCommandInput, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { awsErrorCode } from '../../src/aws/errors';
import { catalogStoreFor } from '../../src/catalog/aws/store';
import type { EbsVolumeRecord, Manifest } from '../../src/catalog/manifest';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { deploymentIdOf, type LifeboatConfig, parseConfig } from '../../src/config/schema';
import type { RestorePlan } from '../../src/restore/plan';
import type { ReportResult, RestoreReport } from '../../src/restore/report';
import { ensureTestCatalog } from '../support/catalog';
import { BUCKET } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { startFaultProxy } from '../support/fault-proxy';
import { ACCOUNT, DR, ManifestBuilder, PRIMARY, RECOVERY_POINT_ID } from '../support/manifest-builder';

const DR_KEY = `arn:aws:kms:${DR}:${ACCOUNT}:key/0000aaaa-1111-2222-3333-444455556666`;
const ARCHIVE = 'vol-0archive000000001';
const LEDGER = 'vol-0ledger0000000001';

const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
let config: LifeboatConfig;
let topicArn: string;
let archiveSnapshot: string;
let ledgerSnapshot: string;
/** CreateService requests the restore sent, captured on the ECS client (the emulator drops volumeConfigurations). */
const createServiceRequests: CreateServiceCommandInput[] = [];
/** CreateVolume and CreateService calls in the DR region, in the order they were sent. */
const creations: string[] = [];

/** A snapshot in the DR region standing for the DR copy the backup made. */
async function drSnapshot(sizeGiB: number): Promise<string> {
  const ec2 = ctx.clients.ec2(DR);
  const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${DR}a`, Size: sizeGiB }));
  const snapshot = await ec2.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId }));
  return snapshot.SnapshotId as string;
}

function standaloneRecord(service: string, overrides: Partial<EbsVolumeRecord> = {}): EbsVolumeRecord {
  const [clusterName = '', serviceName = ''] = service.split('/');
  return {
    kind: 'standalone',
    clusterName,
    serviceName,
    sourceVolumeId: ARCHIVE,
    sourceSnapshotId: 'snap-0primary00000001',
    drSnapshotId: archiveSnapshot,
    engine: 'native-copy',
    sizeGiB: 20,
    volumeType: 'gp3',
    iops: 4000,
    throughput: 250,
    encrypted: true,
    availabilityZone: `${PRIMARY}b`,
    tags: [
      { key: 'Name', value: 'statements-archive' },
      { key: 'lifeboat:backup', value: 'true' },
      { key: 'lifeboat:service', value: service },
    ],
    ...overrides,
  };
}

/** A task definition the emulator accepts (it wants a memory setting per container). */
const REGISTER_INPUT = {
  containerDefinitions: [
    { name: 'app', image: 'docker.io/library/nginx:1.27', essential: true, memory: 512 },
  ],
};

/** data/ledger (managed EBS volume) and data/archiver (standalone volume), committed to the catalog. */
function dataFleet(id: string, edit?: (builder: ManifestBuilder) => void): ManifestBuilder {
  const builder = new ManifestBuilder()
    .service('data/ledger', {
      registerInput: REGISTER_INPUT,
      createInput: {
        volumeConfigurations: [
          {
            name: 'ledger-data',
            managedEBSVolume: {
              snapshotId: 'snap-0ledgerprimary001',
              encrypted: true,
              kmsKeyId: `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
              volumeType: 'gp3',
              sizeInGiB: 50,
              roleArn: `arn:aws:iam::${ACCOUNT}:role/ecsInfrastructureRole`,
            },
          },
        ],
      },
    })
    .service('data/archiver', { registerInput: REGISTER_INPUT })
    .edit((body) => {
      body.id = id;
      body.volumes.ebs.push(
        {
          kind: 'managed',
          clusterName: 'data',
          serviceName: 'ledger',
          volumeName: 'ledger-data',
          sourceVolumeId: LEDGER,
          drSnapshotId: ledgerSnapshot,
          drKmsKeyId: DR_KEY,
          sizeGiB: 50,
          volumeType: 'gp3',
          availabilityZone: `${PRIMARY}a`,
          tags: [],
        },
        standaloneRecord('data/archiver'),
      );
    });
  edit?.(builder);
  return builder;
}

async function commit(manifest: Manifest): Promise<void> {
  await catalogStoreFor(ctx.clients, { region: DR, bucket: BUCKET }).commit(manifest);
}

function run(input: unknown, executionName: string, clients: AwsClients = ctx.clients) {
  return runLocalRestore({
    clients,
    config,
    bucket: BUCKET,
    topicArn,
    input,
    executionName,
    waitTimeScale: 0,
  });
}

/** DR volumes restored for `sourceVolumeId` (any recovery point). */
async function restoredVolumes(sourceVolumeId: string): Promise<Volume[]> {
  const res = await ctx.clients.ec2(DR).send(
    new DescribeVolumesCommand({
      Filters: [{ Name: 'tag:lifeboat:source-volume', Values: [sourceVolumeId] }],
    }),
  );
  return res.Volumes ?? [];
}

function tagsOf(volume: Volume | undefined): Record<string, string> {
  return Object.fromEntries((volume?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** The DR service's status; undefined when it (or its cluster) does not exist. */
async function drServiceStatus(cluster: string, name: string): Promise<string | undefined> {
  try {
    const res = await ctx.clients.ecs(DR).send(new DescribeServicesCommand({ cluster, services: [name] }));
    return res.services?.find((s) => s.serviceName === name)?.status;
  } catch (error) {
    if (awsErrorCode(error) === 'ClusterNotFoundException') return undefined;
    throw error;
  }
}

beforeAll(async () => {
  await ensureTestCatalog(ctx.clients, DR, BUCKET);
  topicArn = await ensureLocalReportTopic(ctx.clients, DR);
  archiveSnapshot = await drSnapshot(20);
  ledgerSnapshot = await drSnapshot(50);
  config = parseConfig({
    account: ACCOUNT,
    primaryRegion: PRIMARY,
    drRegion: DR,
    mappings: { availabilityZones: { [`${PRIMARY}b`]: `${DR}c` } },
  });
  await commit(dataFleet(RECOVERY_POINT_ID).build());
  ctx.clients.ecs(DR).middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'CreateServiceCommand') {
        const input = structuredClone(args.input as CreateServiceCommandInput);
        createServiceRequests.push(input);
        creations.push(`CreateService ${input.cluster}/${input.serviceName}`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'captureCreateServiceRequests' },
  );
  ctx.clients.ec2(DR).middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'CreateVolumeCommand') {
        creations.push(`CreateVolume ${(args.input as { SnapshotId?: string }).SnapshotId}`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'captureCreateVolume' },
  );
}, 120_000);

describe('restore of EBS volumes on the emulator (the state machine the RecoveryStack deploys)', () => {
  it('plans the volumes in a dry run and creates nothing', async () => {
    const result = await run({ dryRun: true, recoveryPoint: RECOVERY_POINT_ID }, 'volumes-dry-run');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const plan = (result.output as { plan: RestorePlan }).plan;
    const volumes = Object.fromEntries(plan.services.map((s) => [s.key, s.volumes]));
    expect(volumes['data/archiver']).toMatchObject([
      {
        kind: 'standalone',
        sourceVolumeId: ARCHIVE,
        action: 'create',
        drSnapshotId: archiveSnapshot,
        availabilityZone: `${DR}c`,
      },
    ]);
    expect(volumes['data/ledger']).toMatchObject([
      {
        kind: 'managed',
        sourceVolumeId: LEDGER,
        action: 'attach',
        drSnapshotId: ledgerSnapshot,
        kmsKeyId: DR_KEY,
      },
    ]);
    expect(plan.totals).toMatchObject({ volumesToCreate: 1, volumesAttachedByEcs: 1 });
    expect(await restoredVolumes(ARCHIVE)).toEqual([]);
    expect(await drServiceStatus('data', 'archiver')).toBeUndefined();
  });

  it('creates the standalone volume from the DR snapshot in the mapped zone, encrypted and tagged, before the service', async () => {
    const result = await run({ dryRun: false, recoveryPoint: RECOVERY_POINT_ID }, 'volumes-failover-1');
    expect(result.status, result.cause).toBe('SUCCEEDED');

    const volumes = await restoredVolumes(ARCHIVE);
    expect(volumes).toHaveLength(1);
    const volume = volumes[0];
    expect(volume).toMatchObject({
      SnapshotId: archiveSnapshot,
      AvailabilityZone: `${DR}c`,
      Size: 20,
      VolumeType: 'gp3',
      Iops: 4000,
      Throughput: 250,
      Encrypted: true,
      KmsKeyId: 'alias/lifeboat-volumes',
    });
    // Provenance, never lifeboat:managed: a snapshot someone takes of it is theirs, not retention's.
    expect(tagsOf(volume)).toEqual({
      'lifeboat:recovery-point': RECOVERY_POINT_ID,
      'lifeboat:role': 'restored-volume',
      'lifeboat:deployment': deploymentIdOf(config),
      'lifeboat:source-volume': ARCHIVE,
      'lifeboat:service': 'data/archiver',
      'lifeboat:backup': 'true',
      Name: 'statements-archive',
    });
    expect(await drServiceStatus('data', 'archiver')).toBe('ACTIVE');
    const createdVolume = creations.indexOf(`CreateVolume ${archiveSnapshot}`);
    expect(createdVolume).toBeGreaterThanOrEqual(0);
    expect(createdVolume).toBeLessThan(creations.indexOf('CreateService data/archiver'));

    const report = (result.output as ReportResult).report;
    expect(report.volumes).toEqual([
      {
        service: 'data/archiver',
        kind: 'standalone',
        sourceVolumeId: ARCHIVE,
        drSnapshotId: archiveSnapshot,
        drVolumeId: volume?.VolumeId,
        availabilityZone: `${DR}c`,
        state: volume?.State,
        outcome: 'created',
      },
      {
        service: 'data/ledger',
        kind: 'managed',
        volumeName: 'ledger-data',
        sourceVolumeId: LEDGER,
        drSnapshotId: ledgerSnapshot,
        outcome: 'attached-by-ecs',
      },
    ]);
  });

  it('sends CreateService with the DR snapshot and the DR copy key for the managed volume (request captured: the emulator drops volumeConfigurations)', () => {
    const ledger = createServiceRequests.filter((r) => r.serviceName === 'ledger');
    expect(ledger).toHaveLength(1);
    expect(ledger[0]?.volumeConfigurations).toEqual([
      {
        name: 'ledger-data',
        managedEBSVolume: {
          snapshotId: ledgerSnapshot,
          encrypted: true,
          kmsKeyId: DR_KEY,
          volumeType: 'gp3',
          sizeInGiB: 50,
          roleArn: `arn:aws:iam::${ACCOUNT}:role/ecsInfrastructureRole`,
        },
      },
    ]);
  });

  it('does not create a second volume when the failover runs again, and reports the one it found', async () => {
    const [before] = await restoredVolumes(ARCHIVE);
    const result = await run({ dryRun: false, recoveryPoint: RECOVERY_POINT_ID }, 'volumes-failover-2');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const after = await restoredVolumes(ARCHIVE);
    expect(after.map((v) => v.VolumeId)).toEqual([before?.VolumeId]);
    const report = (result.output as ReportResult).report;
    expect(report.services.map((s) => [s.service, s.status])).toEqual([
      ['data/archiver', 'unchanged'],
      ['data/ledger', 'unchanged'],
    ]);
    expect(report.volumes.find((v) => v.sourceVolumeId === ARCHIVE)).toMatchObject({
      outcome: 'existing',
      drVolumeId: before?.VolumeId,
    });
  });

  it('fails only the service whose volume cannot be created, leaving it uncreated, and restores the others', async () => {
    const id = 'rp-20260302T120000000Z-0bad01';
    const broken = dataFleet(id, (builder) =>
      builder.service('data/broken', { registerInput: REGISTER_INPUT }).edit((body) => {
        body.services = body.services.filter((s) => s.serviceName !== 'ledger');
        body.volumes.ebs = [
          standaloneRecord('data/archiver', { sourceVolumeId: 'vol-0archive000000002' }),
          standaloneRecord('data/broken', {
            sourceVolumeId: 'vol-0broken0000000001',
            drSnapshotId: 'snap-0000000000000dead',
          }),
        ];
      }),
    ).build();
    await commit(broken);

    const result = await run({ dryRun: false, recoveryPoint: id }, 'volumes-failover-broken');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RestoreIncomplete');
    const report = result.report?.report as RestoreReport;
    const byService = new Map(report.services.map((s) => [s.service, s]));
    expect(byService.get('data/broken')).toMatchObject({
      status: 'failed',
      error: { name: 'VolumeCreationFailed' },
    });
    expect(byService.get('data/broken')?.error?.message).toContain('snap-0000000000000dead');
    expect(byService.get('data/archiver')?.status).toBe('updated');
    expect(report.volumes.find((v) => v.service === 'data/broken')).toMatchObject({
      outcome: 'failed',
      error: { name: 'InvalidSnapshot.NotFound' },
    });
    expect(await drServiceStatus('data', 'broken')).toBeUndefined();
    expect(await restoredVolumes('vol-0broken0000000001')).toEqual([]);
    expect(await restoredVolumes('vol-0archive000000002')).toHaveLength(1);
  });

  it('retries a throttled CreateVolume and creates the volume once', async () => {
    const id = 'rp-20260303T120000000Z-0cafe1';
    await commit(
      dataFleet(id, (builder) =>
        builder.edit((body) => {
          body.services = body.services.filter((s) => s.serviceName === 'archiver');
          body.volumes.ebs = [standaloneRecord('data/archiver', { sourceVolumeId: 'vol-0archive000000003' })];
        }),
      ).build(),
    );
    const proxy = await startFaultProxy({
      target: ctx.endpoint,
      seed: 7,
      rules: [{ match: 'EC2.CreateVolume', throttle: 1, maxFaultsPerRequest: 2 }],
    });
    const clients = new AwsClients({ endpoint: proxy.endpoint });
    try {
      const result = await run({ dryRun: false, recoveryPoint: id }, 'volumes-failover-throttled', clients);
      expect(result.status, result.cause).toBe('SUCCEEDED');
      expect(proxy.stats().faults.throttle).toBe(2);
      expect(proxy.stats().calls['EC2.CreateVolume']).toBe(3);
      expect(await restoredVolumes('vol-0archive000000003')).toHaveLength(1);
    } finally {
      clients.destroy();
      await proxy.stop();
    }
  });
});
