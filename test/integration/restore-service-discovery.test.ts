import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import {
  GetServiceCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-servicediscovery';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCapture } from '../../src/backup/steps';
import type { Manifest } from '../../src/catalog/manifest';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { deploymentIdOf, type LifeboatConfig } from '../../src/config/schema';
import type { DemoFleet } from '../../src/demo/seed';
import type { RestorePlan } from '../../src/restore/plan';
import type { RestoreReport } from '../../src/restore/report';
import { BUCKET, DR, seedFleetForRestore } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

/**
 * Cloud Map registrations (issue 16): the demo's shop/api registers `api.shop.local`. The DR
 * landing zone has the `shop.local` namespace but not the service; the restore creates it there
 * with the captured DNS settings and points the DR service at it, once.
 */
const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
let fleet: DemoFleet;
let manifest: Manifest;
let topicArn: string;
let config: LifeboatConfig;

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

/** The DR Cloud Map services named `name`, with their namespace. */
async function drCloudMapServices(name: string) {
  const sd = ctx.clients.servicediscovery(DR);
  const summaries = (await sd.send(new ListServicesCommand({}))).Services ?? [];
  const found = [];
  for (const s of summaries.filter((x) => x.Name === name)) {
    found.push((await sd.send(new GetServiceCommand({ Id: s.Id }))).Service);
  }
  return found;
}

beforeAll(async () => {
  const fixture = await seedFleetForRestore(ctx.clients, 'lifeboat-dr-sd');
  ({ fleet, topicArn } = fixture);
  config = fixture.config();
  manifest = (await runCapture({ clients: ctx.clients, config, bucket: BUCKET })).manifest;
}, 300_000);

describe('a service registered in Cloud Map', () => {
  it('is captured with its Cloud Map service and namespace', () => {
    const registryArn = fleet.cloudMap.primary.serviceArns.get('api');
    expect(manifest.network.cloudMap?.namespaces).toEqual([
      expect.objectContaining({
        name: 'shop.local',
        type: 'DNS_PRIVATE',
        namespaceId: fleet.cloudMap.primary.namespaceId,
      }),
    ]);
    expect(manifest.network.cloudMap?.services).toEqual([
      expect.objectContaining({
        arn: registryArn,
        name: 'api',
        namespaceId: fleet.cloudMap.primary.namespaceId,
        dnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }] },
        healthCheckCustomConfig: { FailureThreshold: 1 },
        tags: [{ key: 'team', value: 'shop' }],
      }),
    ]);
  });

  it('gets its Cloud Map service created in the DR namespace of the same name, and registers there', async () => {
    const plan = ((await run({ dryRun: true }, 'sd-plan')).output as { plan: RestorePlan }).plan;
    const api = plan.services.find((s) => s.key === 'shop/api');
    expect(api).toMatchObject({
      blocked: false,
      pendingRegistries: [fleet.cloudMap.primary.serviceArns.get('api')],
    });
    expect(plan.cloudMapServices).toEqual([
      expect.objectContaining({
        name: 'api',
        namespaceId: fleet.cloudMap.dr.namespaceId,
        namespaceName: 'shop.local',
        services: ['shop/api'],
      }),
    ]);
    expect(plan.findings.filter((f) => f.code === 'SERVICE_REGISTRY_NOT_RESTORED')).toEqual([]);
    expect(await drCloudMapServices('api'), 'a dry run creates nothing').toEqual([]);

    const result = await run({ dryRun: false }, 'sd-failover');
    expect((result.report?.report as RestoreReport | undefined)?.outcome, result.cause).toBe('RESTORED');
    const [created, ...more] = await drCloudMapServices('api');
    expect(more).toEqual([]);
    expect(created).toMatchObject({
      NamespaceId: fleet.cloudMap.dr.namespaceId,
      DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }] },
    });
    const tags = (
      await ctx.clients
        .servicediscovery(DR)
        .send(new ListTagsForResourceCommand({ ResourceARN: created?.Arn }))
    ).Tags;
    expect(Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
      'lifeboat:source-id': fleet.cloudMap.primary.serviceArns.get('api'),
      'lifeboat:deployment': deploymentIdOf(config),
      team: 'shop',
    });
    const dr = await ctx.clients
      .ecs(DR)
      .send(new DescribeServicesCommand({ cluster: 'shop', services: ['api'] }));
    expect(dr.services?.[0]?.serviceRegistries).toEqual([{ registryArn: created?.Arn }]);
  });

  it('maps to the Cloud Map service it created on a second run: nothing new is created', async () => {
    const [before] = await drCloudMapServices('api');
    const plan = ((await run({ dryRun: true }, 'sd-again-plan')).output as { plan: RestorePlan }).plan;
    expect(plan.cloudMapServices).toEqual([]);
    expect(plan.services.find((s) => s.key === 'shop/api')?.createServiceInput.serviceRegistries).toEqual([
      { registryArn: before?.Arn },
    ]);
    const result = await run({ dryRun: false }, 'sd-again');
    expect((result.report?.report as RestoreReport | undefined)?.outcome, result.cause).toBe('RESTORED');
    expect(await drCloudMapServices('api')).toHaveLength(1);
  });
});
