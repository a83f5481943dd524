import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, CallCounter } from '../../src/aws/clients';
import { runCapture } from '../../src/backup/steps';
import { type CatalogStore, catalogStoreFor } from '../../src/catalog/aws/store';
import { recoveryPointCountsOf } from '../../src/catalog/keys';
import type { Manifest } from '../../src/catalog/manifest';
import { type LifeboatConfig, parseConfig } from '../../src/config/schema';
import { ensureTestCatalog } from '../support/catalog';
import { ACCOUNT, BUCKET, DR, PRIMARY, seedFleet } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { DROP_PHASES, type FaultProxy, type FaultRule, startFaultProxy } from '../support/fault-proxy';
import { manifestContent } from '../support/manifest-content';

/** The fleet's EFS file system is mapped to a DR copy, as an operator with a known replica configures it. */
let config: LifeboatConfig;

/** The rates the reliability issue asks a backup to survive, on every call. */
const ISSUE_RATES: FaultRule = { match: '*', throttle: 0.1, serverError: 0.02, drop: 0.01 };
const CAPTURE_READS = /^(ECS|ECR|EC2)\./;

const ctx = useEmulator();
let baseline: Manifest;
/** Logical API calls of one fault-free capture. */
let baselineCalls: number;

beforeAll(async () => {
  const fleet = await seedFleet(ctx.clients);
  config = parseConfig({
    account: ACCOUNT,
    primaryRegion: PRIMARY,
    drRegion: DR,
    mappings: { efsFileSystems: { [fleet.efs.fileSystemId]: 'fs-0123456789abcdef0' } },
  });
  await ensureTestCatalog(ctx.clients, DR, BUCKET);
  const counter = new CallCounter();
  const clients = new AwsClients({ endpoint: ctx.endpoint, onCall: counter.record });
  try {
    baseline = (await runCapture({ clients, config, bucket: BUCKET })).manifest;
  } finally {
    clients.destroy();
  }
  baselineCalls = counter.total();
  expect(baseline.status).toBe('complete');
  expect(baseline.services.length).toBeGreaterThan(0);
}, 300_000);

function store(): CatalogStore {
  return catalogStoreFor(ctx.clients, { region: DR, bucket: BUCKET });
}

/** The recovery point without what differs between any two captures: id, times and checksum. */
function resourceKeys(manifest: Manifest): string[] {
  return [
    ...manifest.clusters.map((c) => `cluster ${c.clusterName}`),
    ...manifest.services.map((s) => `service ${s.clusterName}/${s.serviceName}`),
    ...manifest.taskDefinitions.map((t) => `taskDefinition ${t.sourceArn}`),
    ...manifest.images.map((i) => `image ${i.sourceUri}`),
    ...manifest.network.subnets.map((s) => `subnet ${s.subnetId}`),
    ...manifest.network.securityGroups.map((g) => `securityGroup ${g.groupId}`),
  ];
}

/** Resources of the fault-free capture missing from `manifest`, and resources recorded twice. */
function lostAndDuplicated(manifest: Manifest): { lost: number; duplicated: number } {
  const keys = resourceKeys(manifest);
  const present = new Set(keys);
  return {
    lost: resourceKeys(baseline).filter((k) => !present.has(k)).length,
    duplicated: keys.length - present.size,
  };
}

/** Catalog keys holding the recovery point `id` (any status). */
async function committedKeys(id: string): Promise<string[]> {
  return (await store().list()).filter((rp) => rp.id === id).map((rp) => rp.key);
}

interface ProxiedRun {
  readonly proxy: FaultProxy;
  readonly clients: AwsClients;
  readonly counter: CallCounter;
}

/** Clients that reach the emulator through a fault proxy with `rules`; stops both afterwards. */
async function throughProxy<T>(
  rules: readonly FaultRule[],
  seed: number,
  fn: (run: ProxiedRun) => Promise<T>,
): Promise<T> {
  const proxy = await startFaultProxy({ target: ctx.endpoint, seed, rules });
  const counter = new CallCounter();
  const clients = new AwsClients({ endpoint: proxy.endpoint, onCall: counter.record });
  try {
    return await fn({ proxy, clients, counter });
  } finally {
    clients.destroy();
    await proxy.stop();
  }
}

describe('runCapture through a fault-injecting proxy', () => {
  it('commits the same recovery point content under 10% throttling, 2% server errors and 1% dropped connections on every call', async ({
    annotate,
  }) => {
    const RUNS = 5;
    const figures = await throughProxy([ISSUE_RATES], 20260101, async ({ proxy, clients, counter }) => {
      // One run after another: concurrent runs race for the same DR images and catalog keys, and
      // which one answers a conflict is timing, so their call count is not a constant (160 or 161).
      const results = [];
      for (let run = 0; run < RUNS; run++)
        results.push(await runCapture({ clients, config, bucket: BUCKET }));

      for (const { manifest, key } of results) {
        expect(manifestContent(manifest)).toEqual(manifestContent(baseline));
        expect(lostAndDuplicated(manifest)).toEqual({ lost: 0, duplicated: 0 });
        expect(await committedKeys(manifest.id)).toEqual([key]);
      }
      const stats = proxy.stats();
      return {
        runs: RUNS,
        logicalCalls: counter.total(),
        attempts: stats.totalCalls,
        retries: stats.totalCalls - counter.total(),
        failedAttempts: stats.failedAttempts,
        faults: stats.faults,
        lostResources: 0,
        duplicatedResources: 0,
        attemptsByOperation: stats.calls,
      };
    });

    // Every failed attempt was retried once and every logical call got through in the end.
    expect(figures.retries).toBe(figures.failedAttempts);
    expect(figures.faults.throttle).toBeGreaterThan(0);
    expect(figures.logicalCalls).toBe(RUNS * baselineCalls);
    await annotate(JSON.stringify(figures), 'figures');
  });

  it.each(DROP_PHASES)(
    'captures the same content when the first attempt of every read has its connection dropped at phase %s',
    async (phase) => {
      await throughProxy(
        [{ match: CAPTURE_READS, drop: 1, dropPhases: [phase], maxFaultsPerRequest: 1 }],
        1,
        async ({ proxy, clients, counter }) => {
          const { manifest } = await runCapture({
            clients,
            config,
            bucket: BUCKET,
          });

          expect(manifestContent(manifest)).toEqual(manifestContent(baseline));
          const reads = [...counter.counts]
            .filter(([op]) => CAPTURE_READS.test(op))
            .reduce((n, [, c]) => n + c, 0);
          expect(proxy.stats().faults[`drop-${phase}`]).toBe(reads);
          expect(proxy.stats().totalCalls).toBe(counter.total() + reads);
        },
      );
    },
  );

  it('commits one recovery point when the first attempts of the commit are throttled or fail with 5xx', async () => {
    await throughProxy(
      [{ match: 'S3.PutObject', throttle: 0.5, serverError: 0.5, maxFaultsPerRequest: 2 }],
      3,
      async ({ proxy, clients }) => {
        const { manifest, key } = await runCapture({
          clients,
          config,
          bucket: BUCKET,
        });

        // The manifest and then its summary, each after two faults.
        expect(proxy.stats().calls['S3.PutObject']).toBe(6);
        expect(await committedKeys(manifest.id)).toEqual([key]);
        expect((await store().list()).find((rp) => rp.id === manifest.id)?.counts).toEqual(
          recoveryPointCountsOf(manifest),
        );
        expect(await store().get(manifest.id)).toEqual(manifest);
      },
    );
  });

  // A dropped connection after S3 stored the manifest makes the SDK retry a PUT that already
  // took effect; the retry's If-None-Match: * then fails against the commit's own object.
  it.each(DROP_PHASES)(
    'commits one recovery point and reports it when the commit connection drops at phase %s',
    async (phase) => {
      await throughProxy(
        [{ match: 'S3.PutObject', drop: 1, dropPhases: [phase], maxFaults: 1 }],
        1,
        async ({ proxy, clients }) => {
          const { manifest, key } = await runCapture({
            clients,
            config,
            bucket: BUCKET,
          });

          // The manifest twice (the one fault is spent on it), then its summary once.
          expect(proxy.stats().calls['S3.PutObject']).toBe(3);
          expect(await committedKeys(manifest.id)).toEqual([key]);
          expect(await store().get(manifest.id)).toEqual(manifest);
        },
      );
    },
  );
});
