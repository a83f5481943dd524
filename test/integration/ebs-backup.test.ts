import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { EBSClient } from '@aws-sdk/client-ebs';
import {
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { CreateAliasCommand, CreateKeyCommand } from '@aws-sdk/client-kms';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler as createCommitHandler } from '../../lambda/backup-commit';
import { createHandler as createVolumesHandler } from '../../lambda/backup-volumes';
import { createHandler as createCaptureHandler } from '../../lambda/capture';
import { AwsClients, CallCounter } from '../../src/aws/clients';
import {
  advanceVolumeCopies,
  type BackupStaging,
  catalogStaging,
  commitBackup,
  runCapture,
  stageBackup,
} from '../../src/backup/steps';
import { type CatalogStore, catalogStoreFor } from '../../src/catalog/aws/store';
import { newRecoveryPointId } from '../../src/catalog/keys';
import type { Tag } from '../../src/catalog/manifest';
import { type LifeboatConfig, type LifeboatConfigInput, parseConfig } from '../../src/config/schema';
import { type DemoFleet, seedDemoFleet } from '../../src/demo/seed';
import { discoverVolumes } from '../../src/volumes/ebs/aws/discovery';
import { verifyReplica } from '../../src/volumes/ebs/aws/replica-verify';
import { EBS_BLOCK_SIZE_BYTES } from '../../src/volumes/ebs/checksums';
import { snapshotTags, type VolumeCopyState } from '../../src/volumes/ebs/model';
import { ensureTestCatalog } from '../support/catalog';
import { seedSnapshot } from '../support/ebs-snapshots';
import { useEmulator } from '../support/emulator';

const PRIMARY = 'us-east-1';
const DR = 'us-west-2';
const ACCOUNT = '123456789012';
const BUCKET = `lifeboat-catalog-${ACCOUNT}-${DR}`;
const VOLUME_KEY = 'alias/lifeboat-volumes';

const ctx = useEmulator();
let fleet: DemoFleet;
let volumeKeyArn: string;

beforeAll(async () => {
  fleet = await seedDemoFleet(ctx.clients, { primaryRegion: PRIMARY, drRegion: DR });
  await ensureTestCatalog(ctx.clients, DR, BUCKET);
  const kms = ctx.clients.kms(DR);
  const key = await kms.send(new CreateKeyCommand({ Description: 'Lifeboat DR volume key (test)' }));
  volumeKeyArn = key.KeyMetadata?.Arn ?? '';
  await kms.send(new CreateAliasCommand({ AliasName: VOLUME_KEY, TargetKeyId: key.KeyMetadata?.KeyId }));
}, 300_000);

afterEach(() => {
  vi.unstubAllEnvs();
});

function configInput(extra: Partial<LifeboatConfigInput> = {}): LifeboatConfigInput {
  return {
    account: ACCOUNT,
    primaryRegion: PRIMARY,
    drRegion: DR,
    mappings: { efsFileSystems: { [fleet.efs.fileSystemId]: 'fs-0123456789abcdef0' } },
    ...extra,
  };
}

function store(bucket = BUCKET, clients = ctx.clients, region = DR): CatalogStore {
  return catalogStoreFor(clients, { region: region, bucket: bucket });
}

const opened: AwsClients[] = [];
/** Clients of their own on the same emulator, counting calls, so a test sees only its own calls. */
function countedClients(): { clients: AwsClients; counter: CallCounter } {
  const counter = new CallCounter();
  const clients = new AwsClients({ endpoint: ctx.endpoint, onCall: counter.record });
  opened.push(clients);
  return { clients, counter };
}
afterEach(() => {
  for (const c of opened.splice(0)) c.destroy();
});

/** Runs `before` ahead of each request the client sends (observe it, or fail it as AWS would). */
function intercept(
  client: EC2Client | EBSClient,
  before: (commandName: string, input: Record<string, unknown>) => Promise<void> | void,
): void {
  (client as EC2Client).middlewareStack.add(
    (next, context) => async (args) => {
      await before(context.commandName ?? '', { ...(args.input as Record<string, unknown>) });
      return next(args);
    },
    { step: 'initialize', name: 'testIntercept' },
  );
}

function tagsOf(snapshot: Snapshot | undefined): Tag[] {
  return (snapshot?.Tags ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' }));
}

async function describeSnapshot(
  region: string,
  snapshotId: string | undefined,
): Promise<Snapshot | undefined> {
  const out = await ctx.clients
    .ec2(region)
    .send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'snapshot-id', Values: [snapshotId ?? ''] }] }));
  return out.Snapshots?.[0];
}

async function snapshotsOfRecoveryPoint(region: string, recoveryPointId: string): Promise<Snapshot[]> {
  const out = await ctx.clients.ec2(region).send(
    new DescribeSnapshotsCommand({
      Filters: [{ Name: 'tag:lifeboat:recovery-point', Values: [recoveryPointId] }],
    }),
  );
  return out.Snapshots ?? [];
}

/** A cluster with one service selected by `lifeboat:suite=<suite>`, and standalone volumes tagged for it. */
async function suiteWithVolumes(
  suite: string,
  volumes: number,
): Promise<{ config: LifeboatConfig; volumeIds: string[] }> {
  const ecs = ctx.clients.ecs(PRIMARY);
  const tag = { key: 'lifeboat:suite', value: suite };
  await ecs.send(new CreateClusterCommand({ clusterName: suite, tags: [tag] }));
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${suite}-archiver`,
      networkMode: 'bridge',
      requiresCompatibilities: ['EC2'],
      containerDefinitions: [{ name: 'archiver', image: 'docker.io/library/busybox:1.36', memory: 128 }],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster: suite,
      serviceName: 'archiver',
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
      desiredCount: 1,
      launchType: 'EC2',
      tags: [tag],
    }),
  );
  const volumeIds: string[] = [];
  for (let i = 0; i < volumes; i++) {
    const created = await ctx.clients.ec2(PRIMARY).send(
      new CreateVolumeCommand({
        AvailabilityZone: `${PRIMARY}a`,
        Size: 5 + i,
        VolumeType: 'gp3',
        TagSpecifications: [
          {
            ResourceType: 'volume',
            Tags: [
              { Key: 'lifeboat:backup', Value: 'true' },
              { Key: 'lifeboat:service', Value: `${suite}/archiver` },
            ],
          },
        ],
      }),
    );
    volumeIds.push(created.VolumeId ?? '');
  }
  return {
    config: parseConfig(configInput({ selection: { tags: { 'lifeboat:suite': suite } } })),
    volumeIds,
  };
}

describe('the backup workflow handlers on the demo fleet', () => {
  function handlerDeps() {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    return {
      clients: ctx.clients,
      env: {
        LIFEBOAT_CONFIG: JSON.stringify(configInput()),
        CATALOG_BUCKET: BUCKET,
        VOLUME_KMS_KEY_ID: VOLUME_KEY,
      },
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Lifeboat' }),
    };
  }

  it('snapshots the ledger’s managed and the reconciler’s standalone volume, copies them to DR with their tags, and commits both', async () => {
    const deps = handlerDeps();

    const staged = await createCaptureHandler(deps)({});
    const tick = await createVolumesHandler(deps)({ recoveryPointId: staged.recoveryPointId });
    const committed = await createCommitHandler(deps)({ recoveryPointId: staged.recoveryPointId });

    expect(staged).toMatchObject({ volumes: 2, done: false, errors: 0 });
    expect(tick).toEqual({
      recoveryPointId: staged.recoveryPointId,
      done: true,
      counts: { snapshotting: 0, queued: 0, copying: 0, completed: 2, failed: 0 },
      bytesSent: 0,
    });
    expect(committed).toMatchObject({
      recoveryPointId: staged.recoveryPointId,
      status: 'complete',
      volumes: 2,
      errors: 0,
    });
    const manifest = await store().get(staged.recoveryPointId);
    const [ledger, reconciler] = manifest.volumes.ebs;
    expect(ledger).toMatchObject({
      kind: 'managed',
      clusterName: 'payments',
      serviceName: 'ledger',
      volumeName: fleet.managedEbsVolume.volumeName,
      sourceVolumeId: fleet.managedEbsVolume.volumeId,
      sizeGiB: 50,
      volumeType: 'gp3',
      iops: 3000,
      throughput: 125,
      encrypted: true,
      availabilityZone: fleet.managedEbsVolume.availabilityZone,
      engine: 'native-copy',
    });
    expect(reconciler).toMatchObject({
      kind: 'standalone',
      serviceName: 'reconciler',
      sourceVolumeId: fleet.ebsVolume.volumeId,
      sizeGiB: 20,
    });
    for (const record of [ledger, reconciler]) {
      expect(record?.drSnapshotId).toMatch(/^snap-/);
      // moto echoes the KmsKeyId it was given; AWS reports the key's ARN.
      expect(record?.drKmsKeyId).toBe(VOLUME_KEY);
      expect(Date.parse(record?.copiedAt ?? '')).not.toBeNaN();
      expect(Date.parse(record?.snapshotAt ?? '')).not.toBeNaN();
      expect(record?.tags.map((t) => t.key)).not.toContain('AmazonECSManaged');
      expect(record?.tags).toContainEqual({ key: 'team', value: 'payments' });

      const source = await describeSnapshot(PRIMARY, record?.sourceSnapshotId);
      const copy = await describeSnapshot(DR, record?.drSnapshotId);
      const expected = {
        'lifeboat:managed': 'true',
        'lifeboat:recovery-point': manifest.id,
        'lifeboat:source-volume': record?.sourceVolumeId,
        'lifeboat:service': `payments/${record?.serviceName}`,
        team: 'payments',
      };
      expect(Object.fromEntries(tagsOf(source).map((t) => [t.key, t.value]))).toMatchObject(expected);
      expect(Object.fromEntries(tagsOf(copy).map((t) => [t.key, t.value]))).toMatchObject({
        ...expected,
        'lifeboat:source-snapshot': record?.sourceSnapshotId,
      });
      expect(source?.Description).toBe(
        `Lifeboat ${manifest.id} payments/${record?.serviceName} ${record?.volumeName ?? record?.sourceVolumeId}`,
      );
      expect(copy).toMatchObject({ Encrypted: true, KmsKeyId: VOLUME_KEY, State: 'completed' });
    }
    expect(await store().getStaging(manifest.id, 'volumes')).toMatchObject({
      recoveryPointId: manifest.id,
      volumes: [{ phase: 'completed' }, { phase: 'completed' }],
    });
  });

  it('goes straight to Commit when no selected service has a volume', async () => {
    const deps = handlerDeps();
    const env = {
      ...deps.env,
      LIFEBOAT_CONFIG: JSON.stringify(configInput({ selection: { include: ['shop/*'] } })),
    };

    const staged = await createCaptureHandler({ ...deps, env })({});
    const committed = await createCommitHandler({ ...deps, env })({
      recoveryPointId: staged.recoveryPointId,
    });

    expect(staged).toMatchObject({ volumes: 0, done: true });
    expect(committed).toMatchObject({ status: 'complete', volumes: 0 });
  });

  it('stops the block engine a minute before the function times out (copy state saved, nothing copied)', async () => {
    const deps = handlerDeps();
    const env = {
      ...deps.env,
      LIFEBOAT_CONFIG: JSON.stringify(configInput({ volumes: { ebs: { engine: 'block' } } })),
    };
    const staged = await createCaptureHandler({ ...deps, env })({});
    const context = { getRemainingTimeInMillis: () => 30_000 } as Context;

    const tick = await createVolumesHandler({ ...deps, env })(
      { recoveryPointId: staged.recoveryPointId },
      context,
    );

    expect(tick).toMatchObject({ done: false, counts: { queued: 2 }, bytesSent: 0 });
  });

  it('rejects an event without a recovery point id, naming the expected shape', async () => {
    await expect(createVolumesHandler(handlerDeps())({})).rejects.toThrow(/"recoveryPointId": "rp-…"/);
  });
});

describe('discoverVolumes for a service with a managed EBS volume configuration', () => {
  it('finds the volumes attached to its running tasks and backs up the oldest (aws-sdk-client-mock for ECS: the emulator’s tasks carry no EBS attachments)', async () => {
    const { clients, counter } = countedClients();
    const ec2 = clients.ec2(PRIMARY);
    const managedVolume = async () =>
      (
        await ec2.send(
          new CreateVolumeCommand({
            AvailabilityZone: `${PRIMARY}a`,
            Size: 30,
            TagSpecifications: [
              { ResourceType: 'volume', Tags: [{ Key: 'AmazonECSManaged', Value: 'true' }] },
            ],
          }),
        )
      ).VolumeId ?? '';
    const older = await managedVolume();
    // EC2 reports CreateTime in whole seconds: let the second volume be a second younger.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const newer = await managedVolume();
    const ecs = mockClient(new ECSClient({ region: PRIMARY }));
    const taskArn = (n: number) => `arn:aws:ecs:${PRIMARY}:${ACCOUNT}:task/orders/${n}`;
    ecs.on(ListTasksCommand, { cluster: 'orders', serviceName: 'db', desiredStatus: 'RUNNING' }).resolves({
      taskArns: [taskArn(1), taskArn(2)],
    });
    ecs.on(DescribeTasksCommand, { cluster: 'orders', tasks: [taskArn(1), taskArn(2)] }).resolves({
      tasks: [older, newer].map((volumeId, i) => ({
        taskArn: taskArn(i + 1),
        attachments: [
          { type: 'ElasticNetworkInterface', details: [{ name: 'networkInterfaceId', value: 'eni-1' }] },
          { type: 'AmazonElasticBlockStorage', details: [{ name: 'volumeId', value: volumeId }] },
        ],
      })),
    });
    counter.counts.clear();

    const found = await discoverVolumes(
      ec2,
      ecs as unknown as ECSClient,
      [{ clusterName: 'orders', serviceName: 'db', managedVolumeName: 'data', managedConfiguration: true }],
      4,
    );

    expect(found.failures).toEqual([]);
    expect(found.chosen).toEqual([
      expect.objectContaining({
        kind: 'managed',
        serviceName: 'db',
        volumeName: 'data',
        volume: expect.objectContaining({ volumeId: older }),
      }),
    ]);
    expect(found.warnings).toEqual([
      expect.objectContaining({ code: 'OneVolumePerService', resourceId: older }),
    ]);
    // The lifeboat:backup query, the service's tag query, and the attached volumes neither returned.
    expect(counter.toJSON()).toEqual({ 'EC2.DescribeVolumes': 3 });
    expect(ecs.commandCalls(ListTasksCommand)).toHaveLength(1);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(1);
  });
});

describe('the copy queue', () => {
  let suite: { config: LifeboatConfig; volumeIds: string[] };
  beforeAll(async () => {
    const base = await suiteWithVolumes('queue', 3);
    suite = {
      ...base,
      config: parseConfig({
        ...configInput({ selection: { tags: { 'lifeboat:suite': 'queue' } } }),
        volumes: { ebs: { maxConcurrentCopies: 1 } },
      }),
    };
  });

  it('starts one copy per tick with maxConcurrentCopies 1, the others stay queued, until all are copied', async () => {
    const { clients, counter } = countedClients();
    const staging = catalogStaging(store(BUCKET, clients));
    const staged = await stageBackup({ clients, config: suite.config, staging });
    const deps = { clients, config: suite.config, staging, volumeKmsKeyId: VOLUME_KEY };
    expect(staged.copies.volumes).toHaveLength(3);

    counter.counts.clear();
    const first = await advanceVolumeCopies(deps, staged.recoveryPointId);
    expect(counter.counts.get('EC2.CopySnapshot')).toBe(1);
    // The emulator completes a copy at once; the tick looks once more and records it.
    expect(first.counts).toMatchObject({ completed: 1, queued: 2 });
    expect(first.done).toBe(false);

    const second = await advanceVolumeCopies(deps, staged.recoveryPointId);
    const third = await advanceVolumeCopies(deps, staged.recoveryPointId);
    expect(second.counts).toMatchObject({ completed: 2, queued: 1 });
    expect(third).toMatchObject({ done: true, counts: { completed: 3 } });
    expect(counter.counts.get('EC2.CopySnapshot')).toBe(3);
  });

  it('keeps a volume queued, not failed, when the DR region refuses the copy for its concurrent-copy limit (injected: the emulator has no such limit)', async () => {
    const { clients, counter } = countedClients();
    let refused = 0;
    intercept(clients.ec2(DR), (command) => {
      if (command !== 'CopySnapshotCommand' || refused > 0) return;
      refused += 1;
      throw Object.assign(
        new Error('Too many snapshot copies in progress. The limit is 20 for this destination region.'),
        {
          name: 'ResourceLimitExceeded',
          $metadata: { httpStatusCode: 400, attempts: 1 },
        },
      );
    });
    const staging = catalogStaging(store(BUCKET, clients));
    const staged = await stageBackup({ clients, config: suite.config, staging });
    const deps = { clients, config: suite.config, staging, volumeKmsKeyId: VOLUME_KEY };

    const refusedTick = await advanceVolumeCopies(deps, staged.recoveryPointId);
    expect(refused).toBe(1);
    expect(refusedTick.counts).toMatchObject({ queued: 3, failed: 0 });
    expect(refusedTick.state.volumes.find((v) => v.attempts === 1)?.phase).toBe('queued');

    const next = await advanceVolumeCopies(deps, staged.recoveryPointId);
    expect(next.counts).toMatchObject({ completed: 1, queued: 2, failed: 0 });
    expect(counter.counts.get('EC2.CopySnapshot')).toBe(2);
  });
});

describe('re-running a step', () => {
  it('stage with the same recovery point id takes no second snapshot', async () => {
    const { clients, counter } = countedClients();
    const config = parseConfig(configInput({ selection: { include: ['payments/*'] } }));
    const recoveryPointId = newRecoveryPointId(new Date());
    const staging = catalogStaging(store(BUCKET, clients));

    const first = await stageBackup({ clients, config, staging, recoveryPointId });
    counter.counts.clear();
    const again = await stageBackup({ clients, config, staging, recoveryPointId });

    expect(counter.counts.get('EC2.CreateSnapshot')).toBeUndefined();
    expect(again.copies.volumes.map((v) => v.sourceSnapshotId)).toEqual(
      first.copies.volumes.map((v) => v.sourceSnapshotId),
    );
    expect(await snapshotsOfRecoveryPoint(PRIMARY, recoveryPointId)).toHaveLength(2);
  });

  it('a tick that stopped before saving its state copies nothing twice when it runs again', async () => {
    const { clients, counter } = countedClients();
    const config = parseConfig(configInput({ selection: { include: ['payments/*'] } }));
    const staging = catalogStaging(store(BUCKET, clients));
    const staged = await stageBackup({ clients, config, staging });
    const lost: BackupStaging = {
      ...staging,
      putCopies: async () => {
        throw new Error('the function was stopped before it saved the copy state');
      },
    };

    await expect(
      advanceVolumeCopies(
        { clients, config, staging: lost, volumeKmsKeyId: VOLUME_KEY },
        staged.recoveryPointId,
      ),
    ).rejects.toThrow(/stopped before it saved/);
    expect(counter.counts.get('EC2.CopySnapshot')).toBe(2);
    const rerun = await advanceVolumeCopies(
      { clients, config, staging, volumeKmsKeyId: VOLUME_KEY },
      staged.recoveryPointId,
    );

    expect(rerun).toMatchObject({ done: true, counts: { completed: 2 } });
    expect(counter.counts.get('EC2.CopySnapshot')).toBe(2);
    expect(await snapshotsOfRecoveryPoint(DR, staged.recoveryPointId)).toHaveLength(2);
  });

  it('commit run twice returns the recovery point committed the first time', async () => {
    const { clients } = countedClients();
    const config = parseConfig(configInput({ selection: { include: ['shop/*'] } }));
    const staging = catalogStaging(store(BUCKET, clients));
    const staged = await stageBackup({ clients, config, staging });
    const deps = { clients, config, staging, bucket: BUCKET };

    const first = await commitBackup(deps, staged.recoveryPointId);
    const again = await commitBackup(deps, staged.recoveryPointId);

    expect(again).toEqual(first);
  });
});

describe('a volume that cannot be snapshotted', () => {
  it('makes the recovery point partial with that volume’s error, and the other volume is copied', async () => {
    const { config, volumeIds } = await suiteWithVolumes('fragile-ebs', 2);
    const [kept, doomed] = volumeIds;
    const { clients } = countedClients();
    // Deleted between discovery and its snapshot: the emulator answers CreateSnapshot with InvalidVolume.NotFound.
    intercept(clients.ec2(PRIMARY), async (command, input) => {
      if (command === 'CreateSnapshotCommand' && input.VolumeId === doomed)
        await ctx.clients.ec2(PRIMARY).send(new DeleteVolumeCommand({ VolumeId: doomed }));
    });

    const { manifest } = await runCapture({ clients, config, bucket: BUCKET, volumeKmsKeyId: VOLUME_KEY });

    expect(manifest.status).toBe('partial');
    expect(
      manifest.errors.map(({ resourceType, resourceId, code }) => ({ resourceType, resourceId, code })),
    ).toEqual([{ resourceType: 'volume', resourceId: doomed, code: 'InvalidVolume.NotFound' }]);
    expect(manifest.errors[0]?.message).toContain(
      `Could not snapshot volume ${doomed} of service fragile-ebs/archiver`,
    );
    expect(manifest.volumes.ebs.map((v) => [v.sourceVolumeId, v.drSnapshotId !== undefined])).toEqual([
      [kept, true],
    ]);
  });
});

// ---------------------------------------------------------------------------------------

function dataBlock(seed: number): Buffer {
  const data = Buffer.alloc(EBS_BLOCK_SIZE_BYTES, (seed % 251) + 1);
  data.write(`block seed ${seed}`, 0);
  return data;
}

describe('the block engine tick', () => {
  const BLOCKS = 64;
  const VOLUME = 'vol-0b10c4e4191e00001';
  const config = () => parseConfig(configInput({ volumes: { ebs: { engine: 'block' } } }));

  /** The copy state Capture would stage for a snapshot of VOLUME. */
  async function stageSnapshot(staging: BackupStaging, sourceSnapshotId: string): Promise<string> {
    const recoveryPointId = newRecoveryPointId(new Date());
    const state: VolumeCopyState = {
      version: 1,
      recoveryPointId,
      engine: 'block',
      volumes: [
        {
          service: 'payments/reconciler',
          sourceVolumeId: VOLUME,
          sourceSnapshotId,
          sizeGiB: 1,
          tags: snapshotTags({
            recoveryPointId,
            deploymentId: 'us-east-1-us-west-2',
            serviceKey: 'payments/reconciler',
            sourceVolumeId: VOLUME,
            volumeTags: [{ key: 'team', value: 'payments' }],
          }),
          phase: 'queued',
          attempts: 0,
        },
      ],
    };
    await staging.putCopies(state);
    return recoveryPointId;
  }

  let firstSource: string;
  let firstReplica: string | undefined;
  const content = new Map(Array.from({ length: BLOCKS }, (_, i) => [i, dataBlock(i)] as const));

  it('replicates a snapshot and resumes after an abort at the deadline without sending a finished block again', async () => {
    const { clients, counter } = countedClients();
    const staging = catalogStaging(store(BUCKET, clients));
    firstSource = await seedSnapshot(ctx.clients.ebs(PRIMARY), content);
    const recoveryPointId = await stageSnapshot(staging, firstSource);
    const deadline = new AbortController();
    let puts = 0;
    intercept(clients.ebs(DR), (command) => {
      if (command === 'PutSnapshotBlockCommand' && ++puts === 10) deadline.abort();
    });
    const deps = { clients, config: config(), staging, volumeKmsKeyId: VOLUME_KEY };

    const stopped = await advanceVolumeCopies({ ...deps, signal: deadline.signal }, recoveryPointId);
    const putsBefore = puts;
    const resumed = await advanceVolumeCopies(deps, recoveryPointId);

    expect(stopped.done).toBe(false);
    expect(stopped.state.volumes[0]).toMatchObject({ phase: 'copying', attempts: 1 });
    expect(stopped.state.volumes[0]?.resume?.targetSnapshotId).toBe(stopped.state.volumes[0]?.drSnapshotId);
    expect(putsBefore).toBeLessThan(BLOCKS);
    expect(stopped.bytesSent).toBe(putsBefore * EBS_BLOCK_SIZE_BYTES);
    expect(resumed.done).toBe(true);
    const [copy] = resumed.state.volumes;
    expect(copy).toMatchObject({
      phase: 'completed',
      drSnapshotId: stopped.state.volumes[0]?.drSnapshotId,
      drKmsKeyId: volumeKeyArn,
      bytesSent: BLOCKS * EBS_BLOCK_SIZE_BYTES,
      attempts: 2,
    });
    expect(copy?.resume).toBeUndefined();
    // Every block went exactly once over the two ticks.
    expect(puts).toBe(BLOCKS);
    expect(counter.counts.get('EBS.PutSnapshotBlock')).toBe(BLOCKS);
    const verified = await verifyReplica({
      source: { ebs: ctx.clients.ebs(PRIMARY), snapshotId: firstSource },
      target: { ebs: ctx.clients.ebs(DR), snapshotId: copy?.drSnapshotId ?? '' },
    });
    expect(verified).toMatchObject({ ok: true, blocksCompared: BLOCKS });
    const replica = await describeSnapshot(DR, copy?.drSnapshotId);
    expect(Object.fromEntries(tagsOf(replica).map((t) => [t.key, t.value]))).toMatchObject({
      'lifeboat:managed': 'true',
      'lifeboat:recovery-point': recoveryPointId,
      'lifeboat:source-volume': VOLUME,
      'lifeboat:source-snapshot': firstSource,
      team: 'payments',
    });
    firstReplica = copy?.drSnapshotId;
  });

  it('sends only the changed blocks of the next snapshot of the volume, against its previous replica', async () => {
    expect(firstReplica).toBeDefined();
    const { clients, counter } = countedClients();
    const staging = catalogStaging(store(BUCKET, clients));
    const changed = new Map(content);
    changed.set(3, dataBlock(1003));
    changed.set(40, dataBlock(1040));
    const secondSource = await seedSnapshot(ctx.clients.ebs(PRIMARY), changed);
    const recoveryPointId = await stageSnapshot(staging, secondSource);

    const tick = await advanceVolumeCopies(
      { clients, config: config(), staging, volumeKmsKeyId: volumeKeyArn },
      recoveryPointId,
    );

    expect(tick).toMatchObject({ done: true, bytesSent: 2 * EBS_BLOCK_SIZE_BYTES });
    expect(counter.counts.get('EBS.ListChangedBlocks')).toBeGreaterThan(0);
    expect(counter.counts.get('EBS.ListSnapshotBlocks')).toBeUndefined();
    expect(counter.counts.get('EBS.PutSnapshotBlock')).toBe(2);
    // A key ARN is used as it is: no KMS lookup.
    expect(counter.counts.get('KMS.DescribeKey')).toBeUndefined();
  });
});
