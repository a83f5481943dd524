import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListClustersCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
} from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, CallCounter } from '../../src/aws/clients';
import { runCapture } from '../../src/backup/steps';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { parseConfig } from '../../src/config/schema';
import type { DemoFleet } from '../../src/demo/seed';
import type { ReportResult } from '../../src/restore/report';
import { BUCKET, CONFIG_INPUT, DR, seedFleetWithCatalog } from '../support/demo-fleet';
import { type EmulatorContext, useEmulator } from '../support/emulator';
import { type FaultRule, startFaultProxy } from '../support/fault-proxy';

const config = parseConfig(CONFIG_INPUT);

/** The rates the reliability issue asks a failover to survive, on every call. */
const ISSUE_RATES: FaultRule = { match: '*', throttle: 0.1, serverError: 0.02, drop: 0.01 };

/**
 * shop/worker mounts an EFS access point that capture does not record yet, so the planner
 * blocks it (EFS_ACCESS_POINT_NOT_IN_RECOVERY_POINT): both failovers leave it out.
 */
const FAILOVER = { dryRun: false, exclude: ['shop/worker'] };

/**
 * Two emulators seeded alike: the fault-free failover runs on one, the failover under faults
 * on the other, and their DR regions are compared. Ids the emulator draws at random (subnets,
 * security groups, file systems, secret suffixes) and the recovery point ids differ between
 * the two and are masked.
 */
const clean = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
const faulty = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
let fleet: DemoFleet;
let baseline: DrState;
let baselineCalls: number;

interface DrState {
  readonly clusters: string[];
  /** "cluster/service" → what a restore decides: status, desired count, task definition content. */
  readonly services: Record<string, unknown>;
  /** Service ARNs listed, with repeats (a duplicate shows up twice). */
  readonly serviceArns: string[];
  /** ACTIVE revisions per task definition family. */
  readonly revisionsPerFamily: Record<string, number>;
  readonly logGroups: string[];
}

/** Masks the ids the emulator draws at random, so two emulators seeded alike compare equal. */
function maskIds(value: unknown): unknown {
  const text = JSON.stringify(value)
    .replace(/\b(subnet|sg|vpc|fs|fsap|vol|snap)-[0-9a-f]{8,17}\b/g, '$1-*')
    .replace(/(:secret:[A-Za-z0-9/_+=.@-]+?)-[A-Za-z0-9]{6}(?=["#:])/g, '$1-*')
    // Each emulator holds its own recovery point (the restore tags services with its id).
    .replace(/\brp-\d{8}T\d{9}Z-[a-f0-9]{6}\b/g, 'rp-*');
  return JSON.parse(text);
}

/** The DR region's ECS and log state as a restore leaves it. */
async function drState(clients: AwsClients): Promise<DrState> {
  const ecs = clients.ecs(DR);
  const clusterArns = (await ecs.send(new ListClustersCommand({}))).clusterArns ?? [];
  const clusters = ((await ecs.send(new DescribeClustersCommand({ clusters: clusterArns }))).clusters ?? [])
    .filter((c) => c.status === 'ACTIVE')
    .map((c) => c.clusterName ?? '');
  const services: Record<string, unknown> = {};
  const serviceArns: string[] = [];
  for (const cluster of clusters) {
    const arns = (await ecs.send(new ListServicesCommand({ cluster }))).serviceArns ?? [];
    serviceArns.push(...arns);
    for (let i = 0; i < arns.length; i += 10) {
      const described = await ecs.send(
        new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10), include: ['TAGS'] }),
      );
      for (const s of described.services ?? []) {
        const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: s.taskDefinition })))
          .taskDefinition;
        const {
          taskDefinitionArn: _arn,
          revision: _revision,
          registeredAt: _at,
          registeredBy: _by,
          ...content
        } = td ?? {};
        services[`${cluster}/${s.serviceName}`] = maskIds({
          status: s.status,
          desiredCount: s.desiredCount,
          launchType: s.launchType,
          capacityProviderStrategy: s.capacityProviderStrategy,
          networkConfiguration: s.networkConfiguration,
          tags: [...(s.tags ?? [])].sort((a, b) => String(a.key).localeCompare(String(b.key))),
          taskDefinition: content,
        });
      }
    }
  }
  const revisionsPerFamily: Record<string, number> = {};
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTaskDefinitionsCommand({ nextToken }));
    for (const arn of page.taskDefinitionArns ?? []) {
      const family = arn.split('/').pop()?.split(':')[0] ?? arn;
      revisionsPerFamily[family] = (revisionsPerFamily[family] ?? 0) + 1;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  const logGroups = ((await clients.logs(DR).send(new DescribeLogGroupsCommand({}))).logGroups ?? [])
    .map((g) => g.logGroupName ?? '')
    .sort();
  return {
    clusters: clusters.sort(),
    services,
    serviceArns: serviceArns.sort(),
    revisionsPerFamily,
    logGroups,
  };
}

/** Seeds the demo fleet, captures it fault-free and returns the report topic. */
async function prepare(ctx: EmulatorContext): Promise<{ fleet: DemoFleet; topicArn: string }> {
  const seeded = await seedFleetWithCatalog(ctx.clients);
  const topicArn = await ensureLocalReportTopic(ctx.clients, DR);
  const { manifest } = await runCapture({
    clients: ctx.clients,
    config,
    bucket: BUCKET,
    efsEmulatorFallback: true,
  });
  expect(manifest.status).toBe('complete');
  return { fleet: seeded, topicArn };
}

function failover(clients: AwsClients, topicArn: string, executionName: string) {
  return runLocalRestore({
    clients,
    config,
    bucket: BUCKET,
    topicArn,
    input: FAILOVER,
    waitTimeScale: 0,
    executionName,
  });
}

let faultyTopic: string;

beforeAll(async () => {
  const [a, b] = await Promise.all([prepare(clean), prepare(faulty)]);
  fleet = a.fleet;
  faultyTopic = b.topicArn;
  const counter = new CallCounter();
  const clients = new AwsClients({ endpoint: clean.endpoint, onCall: counter.record });
  try {
    const result = await failover(clients, a.topicArn, 'clean-failover');
    expect(result.status, result.cause).toBe('SUCCEEDED');
  } finally {
    clients.destroy();
  }
  baselineCalls = counter.total();
  baseline = await drState(clean.clients);
}, 300_000);

describe('runLocalRestore through a fault-injecting proxy', () => {
  it('fails over to the same DR state as a fault-free run under 10% throttling, 2% server errors and 1% dropped connections on every call', async ({
    annotate,
  }) => {
    const restorable = fleet.selectedServiceKeys.filter((k) => k !== 'shop/worker');
    expect(Object.keys(baseline.services).sort()).toEqual(restorable);

    const proxy = await startFaultProxy({ target: faulty.endpoint, seed: 20260126, rules: [ISSUE_RATES] });
    const counter = new CallCounter();
    const clients = new AwsClients({ endpoint: proxy.endpoint, onCall: counter.record });
    try {
      const first = await failover(clients, faultyTopic, 'faulty-failover-1');
      expect(first.status, first.cause).toBe('SUCCEEDED');
      expect((first.output as ReportResult).report.outcome).toBe('RESTORED');
      const afterFirst = await drState(faulty.clients);

      // Same clusters, services (desired count, task definition content), revisions per family, log groups.
      expect(afterFirst).toEqual(baseline);
      const lost = Object.keys(baseline.services).filter((k) => !(k in afterFirst.services)).length;
      const duplicated = afterFirst.serviceArns.length - new Set(afterFirst.serviceArns).size;
      expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });

      // A second failover under the same faults changes nothing.
      const second = await failover(clients, faultyTopic, 'faulty-failover-2');
      expect(second.status, second.cause).toBe('SUCCEEDED');
      expect(await drState(faulty.clients)).toEqual(baseline);

      const stats = proxy.stats();
      const figures = {
        failovers: 2,
        faultFreeCallsPerFailover: baselineCalls,
        logicalCalls: counter.total(),
        attempts: stats.totalCalls,
        retries: stats.totalCalls - counter.total(),
        failedAttempts: stats.failedAttempts,
        faults: stats.faults,
        lostResources: lost,
        duplicatedResources: duplicated,
      };
      expect(figures.faults.throttle).toBeGreaterThan(0);
      expect(figures.retries).toBe(figures.failedAttempts);
      console.info(`faults-restore figures: ${JSON.stringify(figures)}`);
      await annotate(JSON.stringify(figures), 'figures');
    } finally {
      clients.destroy();
      await proxy.stop();
    }
  });
});
