import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  ListClustersCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
} from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, CallCounter } from '../../src/aws/clients';
import { runCapture } from '../../src/backup/steps';
import { type CatalogStore, catalogStoreFor } from '../../src/catalog/aws/store';
import type { Manifest } from '../../src/catalog/manifest';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { parseConfig } from '../../src/config/schema';
import type { DemoFleet } from '../../src/demo/seed';
import { BUCKET, CONFIG_INPUT, DR, seedFleetWithCatalog } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { manifestContent } from '../support/manifest-content';

const config = parseConfig(CONFIG_INPUT);
/** shop/worker is blocked by its EFS access point (capture does not record EFS yet). */
const FAILOVER = { dryRun: false, exclude: ['shop/worker'] };
const SEED = 20260126;
const INTERRUPTIONS = 4;

const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
let fleet: DemoFleet;
let topicArn: string;
let baselineCaptureCalls: number;
const figures = { interruptedBackups: 0, interruptedFailovers: 0, callsCutOff: 0, reruns: 0 };

/**
 * Runs `fn` with clients whose process is "killed" after `killAfter` logical calls: from then
 * on the proxy cuts every connection (before the service sees it, or after it answered, so a
 * call in flight may or may not have taken effect) and the clients give up after one retry.
 */
async function killedAfter<T>(
  killAfter: number,
  fn: (clients: AwsClients) => Promise<T>,
): Promise<T | Error> {
  const proxy: FaultProxy = await startFaultProxy({ target: ctx.endpoint, seed: SEED + killAfter });
  let calls = 0;
  const clients = new AwsClients({
    endpoint: proxy.endpoint,
    maxAttempts: 2,
    onCall: () => {
      calls += 1;
      if (calls === killAfter + 1)
        proxy.setRules([{ match: '*', drop: 1, dropPhases: ['request', 'response'] }]);
    },
  });
  try {
    return await fn(clients);
  } catch (error) {
    return error as Error;
  } finally {
    figures.callsCutOff += proxy.stats().failedAttempts;
    clients.destroy();
    await proxy.stop();
  }
}

/** Seeded interruption points in [1, total), one in each of INTERRUPTIONS equal slices. */
function interruptionPoints(total: number, seed: number): number[] {
  const slice = Math.max(1, Math.floor((total - 1) / INTERRUPTIONS));
  return Array.from({ length: INTERRUPTIONS }, (_, k) => {
    const [offset = 0] = fc.sample(fc.integer({ min: 0, max: slice - 1 }), { seed: seed + k, numRuns: 1 });
    return Math.min(total - 1, 1 + k * slice + offset);
  });
}

/** The failover of the restorable services, as execution `executionName`. */
function failover(clients: AwsClients, executionName: string) {
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

function store(): CatalogStore {
  return catalogStoreFor(ctx.clients, { region: DR, bucket: BUCKET });
}

/** Every recovery point the catalog lists as complete opens and verifies; returns them. */
async function verifiedCompleteRecoveryPoints(): Promise<Manifest[]> {
  const listed = await store().list({ status: 'complete' });
  const opened: Manifest[] = [];
  for (const rp of listed) {
    const manifest = await store().get(rp.id);
    expect(manifest.status).toBe('complete');
    opened.push(manifest);
  }
  return opened;
}

/** The recovery point without what differs between any two captures: id, times and checksum. */
beforeAll(async () => {
  fleet = await seedFleetWithCatalog(ctx.clients);
  topicArn = await ensureLocalReportTopic(ctx.clients, DR);
}, 300_000);

describe('interrupted backups', () => {
  it('never lists a half-written recovery point as complete, and a re-run converges', async () => {
    const counter = new CallCounter();
    const counted = new AwsClients({ endpoint: ctx.endpoint, onCall: counter.record });
    let baseline: Manifest;
    try {
      baseline = (await runCapture({ clients: counted, config, bucket: BUCKET, efsEmulatorFallback: true }))
        .manifest;
    } finally {
      counted.destroy();
    }
    baselineCaptureCalls = counter.total();
    let committed = 1;

    for (const point of interruptionPoints(baselineCaptureCalls, SEED)) {
      const outcome = await killedAfter(point, (clients) =>
        runCapture({ clients, config, bucket: BUCKET, efsEmulatorFallback: true }),
      );
      figures.interruptedBackups += 1;
      // Killed before its commit it fails; killed as the commit's answer was cut, the commit
      // itself may have taken effect (then the recovery point is whole and verifies).
      const complete = await verifiedCompleteRecoveryPoints();
      expect(complete.length === committed || complete.length === committed + 1, `after ${point} calls`).toBe(
        true,
      );
      if (!(outcome instanceof Error)) expect(complete.map((m) => m.id)).toContain(outcome.manifest.id);
      committed = complete.length;
      for (const manifest of complete) expect(manifestContent(manifest)).toEqual(manifestContent(baseline));

      const rerun = await runCapture({
        clients: ctx.clients,
        config,
        bucket: BUCKET,
        efsEmulatorFallback: true,
      });
      figures.reruns += 1;
      committed += 1;
      expect(manifestContent(rerun.manifest)).toEqual(manifestContent(baseline));
      expect((await verifiedCompleteRecoveryPoints()).length).toBe(committed);
    }
  });
});

interface FailoverState {
  readonly serviceArns: string[];
  readonly services: Record<string, { desiredCount?: number; status?: string }>;
  readonly revisionsPerFamily: Record<string, number>;
  readonly clusters: string[];
}

async function failoverState(): Promise<FailoverState> {
  const ecs = ctx.clients.ecs(DR);
  const clusterArns = (await ecs.send(new ListClustersCommand({}))).clusterArns ?? [];
  const clusters =
    clusterArns.length === 0
      ? []
      : ((await ecs.send(new DescribeClustersCommand({ clusters: clusterArns }))).clusters ?? [])
          .filter((c) => c.status === 'ACTIVE')
          .map((c) => c.clusterName ?? '')
          .sort();
  const serviceArns: string[] = [];
  const services: FailoverState['services'] = {};
  for (const cluster of clusters) {
    const arns = (await ecs.send(new ListServicesCommand({ cluster }))).serviceArns ?? [];
    serviceArns.push(...arns);
    if (arns.length === 0) continue;
    for (const s of (await ecs.send(new DescribeServicesCommand({ cluster, services: arns }))).services ??
      []) {
      services[`${cluster}/${s.serviceName}`] = { desiredCount: s.desiredCount, status: s.status };
    }
  }
  const revisionsPerFamily: Record<string, number> = {};
  for (const arn of (await ecs.send(new ListTaskDefinitionsCommand({}))).taskDefinitionArns ?? []) {
    const family = arn.split('/').pop()?.split(':')[0] ?? arn;
    revisionsPerFamily[family] = (revisionsPerFamily[family] ?? 0) + 1;
  }
  return { serviceArns: serviceArns.sort(), services, revisionsPerFamily, clusters };
}

describe('interrupted failovers', () => {
  it('converge on re-run with no duplicate service, no revision storm and nothing without a record', async () => {
    const manifest = await store().get('latest');
    const recorded = new Set(manifest.services.map((s) => `${s.clusterName}/${s.serviceName}`));
    const families = new Set(manifest.taskDefinitions.map((t) => t.family));
    const restorable = fleet.selectedServiceKeys.filter((k) => k !== 'shop/worker');
    let converged: FailoverState | undefined;

    // A fault-free failover of the demo fleet makes about 50 calls (faults-restore measures it):
    // the interruptions fall within the first one, each on what the previous one left.
    const points = interruptionPoints(60, SEED + 1);
    let runs = 0;
    for (const [i, point] of points.entries()) {
      const outcome = await killedAfter(point, (clients) => failover(clients, `interrupted-${i}`));
      runs += 1;
      figures.interruptedFailovers += 1;
      if (!(outcome instanceof Error)) expect(outcome.status).not.toBe('TIMED_OUT');

      const interrupted = await failoverState();
      expect(Object.keys(interrupted.services).every((k) => recorded.has(k))).toBe(true);
      expect(interrupted.serviceArns.length).toBe(new Set(interrupted.serviceArns).size);
      for (const [family, revisions] of Object.entries(interrupted.revisionsPerFamily)) {
        expect(families.has(family), `family ${family} has no record`).toBe(true);
        expect(revisions, `revisions of ${family} after ${runs} runs`).toBeLessThanOrEqual(runs);
      }
    }

    for (const attempt of [1, 2]) {
      const rerun = await failover(ctx.clients, `rerun-${attempt}`);
      runs += 1;
      figures.reruns += 1;
      expect(rerun.status, rerun.cause).toBe('SUCCEEDED');

      const state = await failoverState();
      expect(Object.keys(state.services).sort()).toEqual(restorable);
      expect(state.serviceArns.length).toBe(new Set(state.serviceArns).size);
      for (const key of restorable) {
        const captured = manifest.services.find((s) => `${s.clusterName}/${s.serviceName}` === key);
        expect(state.services[key]).toEqual({
          desiredCount: captured?.createInput.desiredCount,
          status: 'ACTIVE',
        });
      }
      for (const [family, revisions] of Object.entries(state.revisionsPerFamily)) {
        expect(families.has(family), `family ${family} has no record`).toBe(true);
        expect(revisions, `revisions of ${family} after ${runs} runs`).toBeLessThanOrEqual(runs);
      }
      // Converged: the second re-run finds nothing to do.
      if (attempt === 2) expect(state).toEqual(converged);
      converged = state;
    }
    console.info(
      `interruption figures: ${JSON.stringify({ ...figures, failoverInterruptionPoints: points })}`,
    );
  });
});
