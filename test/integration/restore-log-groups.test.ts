import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateFileSystemCommand } from '@aws-sdk/client-efs';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCapture } from '../../src/backup/steps';
import type { Manifest } from '../../src/catalog/manifest';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { type LifeboatConfig, parseConfig } from '../../src/config/schema';
import type { DemoFleet } from '../../src/demo/seed';
import { createLogGroup } from '../../src/fleet/aws/deploy';
import type { RestorePlan } from '../../src/restore/plan';
import { ACCOUNT, BUCKET, DR, PRIMARY, seedFleetWithCatalog } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
/** Encrypted with a key mapped by mappings.kmsKeys, 14 days, an extra tag. */
const MAPPED = '/ecs/shop/api';
/** Encrypted with a single-Region key nobody mapped. */
const UNMAPPED = '/ecs/shop/web';
/** Deleted in the primary region (awslogs-create-group would make it): nothing to capture. */
const MISSING = '/ecs/shop/cache';

let fleet: DemoFleet;
let config: LifeboatConfig;
let manifest: Manifest;
let topicArn: string;
let primaryKey: string;
let unmappedKey: string;
let drKey: string;

async function createKey(region: string): Promise<string> {
  const res = await ctx.clients.kms(region).send(new CreateKeyCommand({ Description: 'log group key' }));
  return res.KeyMetadata?.Arn as string;
}

/** Replaces a demo log group of the primary region by one created with `kmsKeyId`. */
async function recreate(name: string, kmsKeyId: string, retentionInDays: number): Promise<void> {
  const logs = ctx.clients.logs(PRIMARY);
  await logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: name, kmsKeyId, tags: { team: 'shop' } }));
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays }));
}

function logGroupArn(region: string, name: string): string {
  return `arn:aws:logs:${region}:${ACCOUNT}:log-group:${name}`;
}

async function drGroup(name: string) {
  const logs = ctx.clients.logs(DR);
  const groups =
    (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups ?? [];
  const group = groups.find((g) => g.logGroupName === name);
  if (!group) return undefined;
  const tags = (await logs.send(new ListTagsForResourceCommand({ resourceArn: logGroupArn(DR, name) }))).tags;
  return { ...group, tags: tags ?? {} };
}

beforeAll(async () => {
  fleet = await seedFleetWithCatalog(ctx.clients);
  topicArn = await ensureLocalReportTopic(ctx.clients, DR);
  primaryKey = await createKey(PRIMARY);
  unmappedKey = await createKey(PRIMARY);
  drKey = await createKey(DR);
  await recreate(MAPPED, primaryKey, 14);
  await ctx.clients
    .logs(PRIMARY)
    .send(
      new TagResourceCommand({ resourceArn: logGroupArn(PRIMARY, MAPPED), tags: { 'cost-center': 'cc-42' } }),
    );
  await recreate(UNMAPPED, unmappedKey, 7);
  await ctx.clients.logs(PRIMARY).send(new DeleteLogGroupCommand({ logGroupName: MISSING }));
  // EFS replication is missing from the emulator: the DR file system is mapped explicitly.
  const drFs = await ctx.clients
    .efs(DR)
    .send(new CreateFileSystemCommand({ CreationToken: 'lifeboat-dr-logs' }));
  config = parseConfig({
    account: ACCOUNT,
    primaryRegion: PRIMARY,
    drRegion: DR,
    mappings: {
      efsFileSystems: { [fleet.efs.fileSystemId]: drFs.FileSystemId as string },
      kmsKeys: { [primaryKey]: drKey },
    },
  });
  manifest = (await runCapture({ clients: ctx.clients, config, bucket: BUCKET })).manifest;
}, 300_000);

function run(input: unknown, executionName: string) {
  return runLocalRestore({
    clients: ctx.clients,
    config,
    bucket: BUCKET,
    topicArn,
    input,
    waitTimeScale: 0,
    executionName,
  });
}

describe('log groups carried from the primary region to the DR region', () => {
  it('captures the retention, KMS key and tags of the groups the task definitions write to, and nothing for a missing one', () => {
    expect(manifest.status).toBe('complete');
    const byName = new Map((manifest.logGroups ?? []).map((g) => [g.logGroupName, g]));
    // (The emulator keeps a deleted group's tags for the group created again under its name.)
    expect(byName.get(MAPPED)).toEqual({
      logGroupName: MAPPED,
      retentionInDays: 14,
      kmsKeyId: primaryKey,
      tags: expect.arrayContaining([
        { key: 'cost-center', value: 'cc-42' },
        { key: 'team', value: 'shop' },
      ]),
    });
    expect(byName.get(UNMAPPED)).toMatchObject({ retentionInDays: 7, kmsKeyId: unmappedKey });
    // An untouched demo group: its seeded 30-day retention and tags.
    expect(byName.get('/ecs/payments/ledger')).toEqual({
      logGroupName: '/ecs/payments/ledger',
      retentionInDays: 30,
      tags: [
        { key: 'lifeboat:demo', value: 'true' },
        { key: 'team', value: 'payments' },
      ],
    });
    expect(byName.has(MISSING)).toBe(false);
    expect(manifest.errors).toEqual([]);
  });

  it('plans each group with its retention and mapped key, and warns about the key it cannot map', async () => {
    const result = await run({ dryRun: true, exclude: ['shop/worker'] }, 'log-groups-plan');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const { plan } = result.output as { plan: RestorePlan };
    const byName = new Map(plan.logGroups.map((g) => [g.logGroupName, g]));
    expect(byName.get(MAPPED)).toMatchObject({
      action: 'create',
      retentionInDays: 14,
      kmsKeyId: drKey,
      sourceKmsKeyId: primaryKey,
    });
    expect(byName.get(UNMAPPED)).toMatchObject({ action: 'create', retentionInDays: 7 });
    expect(byName.get(UNMAPPED)?.kmsKeyId).toBeUndefined();
    expect(byName.get(MISSING)).toMatchObject({ action: 'create' });
    expect(byName.get(MISSING)?.retentionInDays).toBeUndefined();
    const keyFindings = plan.findings.filter((f) => f.code === 'LOG_GROUP_KEY_NOT_MAPPED');
    expect(keyFindings.map((f) => [f.severity, f.resource])).toEqual([['warning', UNMAPPED]]);
    expect(keyFindings[0]?.fix).toContain(`mappings.kmsKeys["${unmappedKey}"]`);
  });

  it('creates the DR groups with the retention, the mapped key and the source tags plus provenance', async () => {
    const result = await run({ dryRun: false, exclude: ['shop/worker'] }, 'log-groups-failover');
    expect(result.status, result.cause).toBe('SUCCEEDED');

    const mapped = await drGroup(MAPPED);
    expect(mapped).toMatchObject({ retentionInDays: 14, kmsKeyId: drKey });
    expect(mapped?.tags).toMatchObject({
      'cost-center': 'cc-42',
      team: 'shop',
      'lifeboat:recovery-point': manifest.id,
    });
    expect(mapped?.tags['lifeboat:deployment']).toBeTruthy();

    const unmapped = await drGroup(UNMAPPED);
    expect(unmapped).toMatchObject({ retentionInDays: 7 });
    expect(unmapped?.kmsKeyId).toBeUndefined();

    const missing = await drGroup(MISSING);
    expect(missing).toBeDefined();
    expect(missing?.retentionInDays).toBeUndefined();
    expect(missing?.tags['lifeboat:recovery-point']).toBe(manifest.id);
  });

  it('sets the retention again on a group an earlier attempt of the same restore created, and on no other', async () => {
    const logs = ctx.clients.logs(DR);
    const tags = [
      { key: 'lifeboat:deployment', value: 'dep-1' },
      { key: 'lifeboat:recovery-point', value: manifest.id },
    ];
    await logs.send(
      new CreateLogGroupCommand({
        logGroupName: '/retry/own',
        tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
      }),
    );
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/retry/other', tags: { owner: 'someone' } }));
    for (const name of ['/retry/own', '/retry/other']) {
      const created = await createLogGroup(logs, name, tags, {
        retentionInDays: 60,
        logGroupArn: logGroupArn(DR, name),
      });
      expect(created).toBe(false);
    }
    expect((await drGroup('/retry/own'))?.retentionInDays).toBe(60);
    expect((await drGroup('/retry/other'))?.retentionInDays).toBeUndefined();
  });

  it('leaves a group that already exists in the DR region as it is', async () => {
    const logs = ctx.clients.logs(DR);
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: MAPPED, retentionInDays: 3 }));
    const result = await run({ dryRun: false, exclude: ['shop/worker'] }, 'log-groups-again');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect((await drGroup(MAPPED))?.retentionInDays).toBe(3);
    const { plan } = (await run({ dryRun: true, exclude: ['shop/worker'] }, 'log-groups-differs')).output as {
      plan: RestorePlan;
    };
    expect(plan.logGroups.find((g) => g.logGroupName === MAPPED)?.action).toBe('existing');
    expect(
      plan.findings
        .filter((f) => f.code === 'LOG_GROUP_RETENTION_DIFFERS')
        .map((f) => [f.severity, f.resource]),
    ).toEqual([['info', MAPPED]]);
  });
});
