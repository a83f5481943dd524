import { ListTagsLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { CreateFileSystemCommand, DescribeAccessPointsCommand } from '@aws-sdk/client-efs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler as prepareHandler } from '../../lambda/restore-prepare';
import { createHandler as reportHandler } from '../../lambda/restore-report';
import { createHandler as serviceHandler } from '../../lambda/restore-service';
import { createHandler as sharedHandler } from '../../lambda/restore-shared';
import { runCapture } from '../../src/backup/steps';
import type { Manifest } from '../../src/catalog/manifest';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { deploymentIdOf, type LifeboatConfig, parseConfig } from '../../src/config/schema';
import { restoreConfigOf } from '../../src/config/settings';
import type { DemoFleet } from '../../src/demo/seed';
import type { RestorePlan } from '../../src/restore/plan';
import type { ReportResult, RestoreReport } from '../../src/restore/report';
import { ACCOUNT, BUCKET, DR, PRIMARY, seedFleetWithCatalog } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

/**
 * Finding 5 of issue 14: a restore never takes over a DR service it did not create. A DR-native
 * `shop/api` (its own task definition, 7 tasks) exists before the failover; the plan blocks it,
 * the failover leaves it as it was, and only `adopt` lets the restore take it over. Everything
 * the restore creates carries the deployment and the recovery point.
 */
const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
let fleet: DemoFleet;
let config: LifeboatConfig;
let deploymentId: string;
let manifest: Manifest;
let topicArn: string;
let native: Service;

const NATIVE_FAMILY = 'shop-api-dr-native';

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

async function describe1(cluster: string, service: string): Promise<Service> {
  const res = await ctx.clients
    .ecs(DR)
    .send(new DescribeServicesCommand({ cluster, services: [service], include: ['TAGS'] }));
  const found = res.services?.find((s) => s.serviceName === service && s.status === 'ACTIVE');
  if (!found) throw new Error(`${cluster}/${service} does not exist in ${DR}`);
  return found;
}

/** What the test compares of a service: what it runs, how many tasks, its tags. */
function essence(s: Service) {
  return {
    taskDefinition: s.taskDefinition,
    desiredCount: s.desiredCount,
    tags: [...(s.tags ?? [])].sort((a, b) => (a.key ?? '').localeCompare(b.key ?? '')),
  };
}

/** Creates `cluster/service` in DR as someone other than Lifeboat would: its own family, `count` tasks. */
async function createNativeService(cluster: string, service: string, count: number): Promise<Service> {
  const ecs = ctx.clients.ecs(DR);
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${NATIVE_FAMILY}-${service}`,
      networkMode: 'bridge',
      containerDefinitions: [{ name: service, image: 'public.ecr.aws/nginx/nginx:1.27', memory: 128 }],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: service,
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
      desiredCount: count,
      launchType: 'EC2',
      tags: [{ key: 'owner', value: 'dr-team' }],
    }),
  );
  return describe1(cluster, service);
}

function tagMap(tags: readonly { key?: string; value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));
}

beforeAll(async () => {
  fleet = await seedFleetWithCatalog(ctx.clients);
  topicArn = await ensureLocalReportTopic(ctx.clients, DR);
  // EFS replication is missing from the emulator: the DR file system is mapped explicitly.
  const drFs = await ctx.clients
    .efs(DR)
    .send(new CreateFileSystemCommand({ CreationToken: 'lifeboat-dr-shared' }));
  config = parseConfig({
    account: ACCOUNT,
    primaryRegion: PRIMARY,
    drRegion: DR,
    mappings: { efsFileSystems: { [fleet.efs.fileSystemId]: drFs.FileSystemId as string } },
  });
  deploymentId = deploymentIdOf(config);
  manifest = (await runCapture({ clients: ctx.clients, config, bucket: BUCKET })).manifest;
  await ctx.clients.ecs(DR).send(new CreateClusterCommand({ clusterName: 'shop' }));
  native = await createNativeService('shop', 'api', 7);
}, 300_000);

describe('a DR service Lifeboat did not create (DR-native shop/api, 7 tasks, its own task definition)', () => {
  it('is blocked in the dry-run plan with SERVICE_NOT_OWNED naming what it runs and the fix', async () => {
    const result = await run({ dryRun: true }, 'ownership-dry-run');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const plan = (result.output as { plan: RestorePlan }).plan;
    const api = plan.services.find((s) => s.key === 'shop/api');
    expect(api).toMatchObject({ blocked: true, blockedBy: ['SERVICE_NOT_OWNED'], adopt: false });
    const finding = plan.findings.find((f) => f.code === 'SERVICE_NOT_OWNED');
    expect(finding).toMatchObject({ severity: 'error', service: 'shop/api' });
    expect(finding?.message).toContain(native.taskDefinition);
    expect(finding?.message).toContain('desired count 7');
    expect(finding?.fix).toContain('"adopt": ["shop/api"]');
    expect(essence(await describe1('shop', 'api'))).toEqual(essence(native));
  });

  it('is left exactly as it was by a failover, which reports it blocked', async () => {
    const result = await run({ dryRun: false }, 'ownership-failover');
    const report = result.report?.report as RestoreReport;
    expect(report.outcome).toBe('INCOMPLETE');
    const byKey = new Map(report.services.map((s) => [s.service, s]));
    expect(byKey.get('shop/api')).toMatchObject({ status: 'blocked' });
    expect(byKey.get('shop/api')?.error?.message).toContain('SERVICE_NOT_OWNED');
    for (const key of fleet.selectedServiceKeys.filter((k) => k !== 'shop/api')) {
      expect(['created', 'updated'], `${key}: ${JSON.stringify(byKey.get(key))}`).toContain(
        byKey.get(key)?.status,
      );
    }
    expect(essence(await describe1('shop', 'api'))).toEqual(essence(native));
  });

  it('tags what the restore created (services, clusters, task definitions, log groups, access points) with the deployment and the recovery point', async () => {
    const provenance = { 'lifeboat:deployment': deploymentId, 'lifeboat:recovery-point': manifest.id };
    const ecs = ctx.clients.ecs(DR);
    const restored = fleet.selectedServiceKeys.filter((k) => k !== 'shop/api');
    expect(restored.length).toBeGreaterThan(2);
    for (const key of restored) {
      const [cluster, name] = key.split('/') as [string, string];
      const service = await describe1(cluster, name);
      expect(tagMap(service.tags), key).toMatchObject(provenance);
      const td = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition, include: ['TAGS'] }),
      );
      expect(tagMap(td.tags), service.taskDefinition).toMatchObject(provenance);
    }
    // shop existed (DR-native); payments was created by the restore.
    const clusters = await ecs.send(
      new DescribeClustersCommand({ clusters: ['payments'], include: ['TAGS'] }),
    );
    expect(tagMap(clusters.clusters?.[0]?.tags)).toMatchObject(provenance);

    const plan = (await run({ dryRun: true }, 'ownership-tags-plan')).output as { plan: RestorePlan };
    const created = plan.plan.logGroups.map((g) => g.logGroupName);
    expect(created.length).toBeGreaterThan(0);
    for (const logGroupName of created) {
      const tags = await ctx.clients.logs(DR).send(new ListTagsLogGroupCommand({ logGroupName }));
      expect(tags.tags, logGroupName).toMatchObject(provenance);
    }
    const drFs = config.mappings.efsFileSystems[fleet.efs.fileSystemId];
    const points = await ctx.clients.efs(DR).send(new DescribeAccessPointsCommand({ FileSystemId: drFs }));
    expect(points.AccessPoints?.length).toBeGreaterThan(0);
    for (const ap of points.AccessPoints ?? []) {
      expect(
        Object.fromEntries((ap.Tags ?? []).map((t) => [t.Key, t.Value])),
        ap.AccessPointId,
      ).toMatchObject({ ...provenance, 'lifeboat:source-id': fleet.efs.accessPointId });
    }
  });

  it('is taken over and tagged when the input adopts it', async () => {
    const result = await run({ dryRun: false, adopt: ['shop/api'] }, 'ownership-adopt');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const report = (result.output as ReportResult).report;
    expect(report.services.find((s) => s.service === 'shop/api')).toMatchObject({ status: 'updated' });
    const api = await describe1('shop', 'api');
    const captured = manifest.services.find((s) => s.clusterName === 'shop' && s.serviceName === 'api');
    expect(api.desiredCount).toBe(captured?.createInput.desiredCount);
    expect(api.taskDefinition).not.toBe(native.taskDefinition);
    expect(api.taskDefinition).toBe(report.services.find((s) => s.service === 'shop/api')?.taskDefinitionArn);
    expect(tagMap(api.tags)).toMatchObject({
      'lifeboat:deployment': deploymentId,
      'lifeboat:recovery-point': manifest.id,
    });
    // Now it is this deployment's: a plain restore plans it as unchanged, no adopt needed.
    const again = (await run({ dryRun: true }, 'ownership-after-adopt')).output as { plan: RestorePlan };
    expect(again.plan.services.find((s) => s.key === 'shop/api')).toMatchObject({
      action: 'unchanged',
      blocked: false,
    });
  });
});

describe('a DR service created after Prepare planned to create it (time of check to time of use)', () => {
  it('is not updated: RestoreService reports it failed with ServiceNotOwnedError and leaves it as it was', async () => {
    const deps = {
      clients: ctx.clients,
      env: { LIFEBOAT_CONFIG: JSON.stringify(restoreConfigOf(config)), CATALOG_BUCKET: BUCKET },
    };
    const executionName = 'ownership-toctou';
    const startedAt = new Date().toISOString();
    // shop/web is gone (INACTIVE), so Prepare plans to create it.
    await ctx.clients
      .ecs(DR)
      .send(new DeleteServiceCommand({ cluster: 'shop', service: 'web', force: true }));
    const prepared = await prepareHandler(deps)({
      input: { dryRun: false, services: ['shop/web'] },
      executionName,
      startedAt,
    });
    expect(prepared.waves.flatMap((w) => w.services)).toEqual(['shop/web']);
    expect(prepared.summary).toMatchObject({ create: 1, update: 0, blocked: 0 });
    await sharedHandler(deps)({ executionName });

    // Someone else creates shop/web in DR before RestoreService runs.
    const late = await createNativeService('shop', 'web', 3);
    const result = await serviceHandler(deps)({ executionName, key: 'shop/web' });

    expect(result).toMatchObject({
      service: 'shop/web',
      status: 'failed',
      error: { name: 'ServiceNotOwnedError' },
    });
    expect(result.error?.message).toContain('"adopt": ["shop/web"]');
    expect(essence(await describe1('shop', 'web'))).toEqual(essence(late));
    const reported = await reportHandler(deps)({ executionName, startedAt });
    expect(reported.report.services.find((s) => s.service === 'shop/web')).toMatchObject({
      status: 'failed',
      error: { name: 'ServiceNotOwnedError' },
    });
  });
});
