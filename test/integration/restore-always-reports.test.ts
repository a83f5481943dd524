import {
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { runCapture } from '../../src/backup/steps';
import { catalogStoreFor } from '../../src/catalog/aws/store';
import { sealManifest } from '../../src/catalog/checksum';
import { FailoverInProgressError } from '../../src/catalog/errors';
import { FAILOVER_LEASE_KEY, type LeaseRecord } from '../../src/catalog/lease';
import type { Manifest } from '../../src/catalog/manifest';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { parseConfig } from '../../src/config/schema';
import { restoreConfigOf } from '../../src/config/settings';
import { createRestoreContext } from '../../src/restore/context';
import type { RestoreReport } from '../../src/restore/report';
import { checkWave } from '../../src/restore/wave-check';
import { BUCKET, CONFIG_INPUT, DR, seedFleetWithCatalog } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { clearDrServices, drServices, expectReportMatchesDr, storedLease } from '../support/restore-checks';

/**
 * A failover always ends with a report (and a notification), one failover runs at a time, and
 * waves gate each other: issue 14's findings 1–3 on the emulator, through the state machine the
 * RecoveryStack deploys.
 */
const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
const config = parseConfig(CONFIG_INPUT);
/** shop/worker mounts an EFS access point the emulator cannot replicate: left out everywhere. */
const FAILOVER = { dryRun: false, exclude: ['shop/worker'] } as const;
let manifest: Manifest;
let topicArn: string;
let proxy: FaultProxy;
/** Clients through the proxy, with few SDK attempts so a persistent fault fails a step quickly. */
let proxied: AwsClients;

function failover(
  input: Record<string, unknown>,
  executionName: string,
  opts: { clients?: AwsClients } = {},
) {
  return runLocalRestore({
    clients: opts.clients ?? ctx.clients,
    config,
    bucket: BUCKET,
    topicArn,
    input: { ...FAILOVER, ...input },
    waitTimeScale: 0,
    executionName,
  });
}

/** A sealed, valid recovery point in which shop/api (wave 2) cannot be created: the emulator answers 500. */
async function commitBrokenRecoveryPoint(id: string): Promise<void> {
  const { checksum: _checksum, signature: _signature, ...body } = structuredClone(manifest);
  const broken = sealManifest({
    ...body,
    id,
    services: body.services.map((s) => {
      if (`${s.clusterName}/${s.serviceName}` !== 'shop/api') return s;
      const network = s.createInput.networkConfiguration as { awsvpcConfiguration: Record<string, unknown> };
      const { securityGroups: _groups, ...awsvpc } = network.awsvpcConfiguration;
      return {
        ...s,
        createInput: { ...s.createInput, networkConfiguration: { awsvpcConfiguration: awsvpc } },
      };
    }),
  });
  await catalogStoreFor(ctx.clients, { region: DR, bucket: BUCKET }).commit(broken);
}

beforeAll(async () => {
  await seedFleetWithCatalog(ctx.clients);
  topicArn = await ensureLocalReportTopic(ctx.clients, DR);
  manifest = (await runCapture({ clients: ctx.clients, config, bucket: BUCKET, efsEmulatorFallback: true }))
    .manifest;
  proxy = await startFaultProxy({ target: ctx.endpoint, seed: 1414 });
  proxied = new AwsClients({ endpoint: proxy.endpoint, maxAttempts: 2 });
}, 300_000);

afterAll(async () => {
  proxied?.destroy();
  await proxy?.stop();
});

beforeEach(async () => {
  proxy.setRules([]);
  await clearDrServices(ctx.clients);
});

describe('waves gate each other', () => {
  it('starts no wave after one that is not steady, and the report names the waves that did not run and why', async () => {
    await commitBrokenRecoveryPoint('rp-20200104T000000000Z-0ff001');
    const result = await failover({ recoveryPoint: 'rp-20200104T000000000Z-0ff001' }, 'gate-1');

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RestoreIncomplete');
    const report = result.report?.report as RestoreReport;
    expect(report.outcome).toBe('INCOMPLETE');
    expect(report.waves?.map((w) => [w.wave, w.status])).toEqual([
      [1, 'steady'],
      [2, 'not-steady'],
      [3, 'not-run'],
    ]);
    expect(report.waves?.[2]?.reason).toContain('continueOnWaveFailure');
    const web = report.services.find((s) => s.service === 'shop/web');
    expect(web).toMatchObject({ status: 'failed', error: { name: 'NotRestored' } });
    // Wave 3 never started: shop/web was not created, and no RestoreService ran a third time round.
    expect((await drServices(ctx.clients)).has('shop/web')).toBe(false);
    await expectReportMatchesDr(ctx.clients, report);
    expect((await storedLease(ctx.clients))?.releasedAt).toBeDefined();
  });
});

describe('CheckWave: a service that never becomes steady', () => {
  const idle = useEmulator();

  it('settles at the deadline as not steady, records the wave, and shuts the gate', async () => {
    const ecs = idle.clients.ecs(DR);
    await ecs.send(new CreateClusterCommand({ clusterName: 'default' }));
    const td = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'never-steady',
        containerDefinitions: [{ name: 'app', image: 'nginx', memory: 128 }],
      }),
    );
    await ecs.send(
      new CreateServiceCommand({
        cluster: 'default',
        serviceName: 'stuck',
        taskDefinition: td.taskDefinition?.taskDefinitionArn,
        desiredCount: 2,
      }),
    );
    await seedFleetWithCatalog(idle.clients);
    const restore = createRestoreContext(idle.clients, { config: restoreConfigOf(config), bucket: BUCKET });
    const event = {
      executionName: 'never-steady',
      wave: 1,
      continueOnWaveFailure: false,
      results: [{ service: 'default/stuck', status: 'created' as const }],
      waitForSteadyState: true,
      steadyStateTimeoutSeconds: 60,
    };
    const early = await checkWave(restore, {
      ...event,
      previous: { attempts: 3, deadline: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(early).toMatchObject({ settled: false, proceed: false });
    const late = await checkWave(restore, {
      ...event,
      previous: { attempts: 4, deadline: new Date(Date.now() - 1).toISOString() },
    });
    expect(late).toMatchObject({ settled: true, steady: false, proceed: false });
    expect(late.reason).toContain('default/stuck not steady');
    expect(late.services[0]).toMatchObject({ steady: false, runningCount: 0, desiredCount: 2 });
  });
});

describe('one failover at a time', () => {
  it('refuses a second failover at once, naming the running one; the first restores everything once', async () => {
    let second: ReturnType<typeof failover> | undefined;
    const first = runLocalRestore({
      clients: ctx.clients,
      config,
      bucket: BUCKET,
      topicArn,
      input: FAILOVER,
      waitTimeScale: 0,
      executionName: 'lease-first',
      // The second starts while the first holds the lease (it took it in Prepare).
      onEvent: (event) => {
        if (event.type === 'StateEntered' && event.stateName === 'PrepareShared' && !second) {
          second = failover({}, 'lease-second');
        }
      },
    });
    const a = await first;
    const b = await (second as NonNullable<typeof second>);

    expect(a.status, a.cause).toBe('SUCCEEDED');
    expect(b.status).toBe('FAILED');
    expect(b.error).toBe('FailoverInProgressError');
    expect(b.cause).toContain('lease-first');
    expect(b.report?.report).toMatchObject({ outcome: 'FAILED', services: [] });
    expect(Object.keys(b.transitionsByState)).not.toContain('PrepareShared');
    await expectReportMatchesDr(ctx.clients, (a.report?.report ?? {}) as RestoreReport);
    // The refused run did not give back the lease it never held; the first one did.
    expect(await storedLease(ctx.clients)).toMatchObject({ execution: 'lease-first' });
    expect((await storedLease(ctx.clients))?.releasedAt).toBeDefined();
  });

  it('lets exactly one of many executions racing for a free lease take it', async () => {
    const restore = createRestoreContext(ctx.clients, { config: restoreConfigOf(config), bucket: BUCKET });
    await ctx.clients.s3(DR).send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: FAILOVER_LEASE_KEY,
        Body: JSON.stringify(lease('old', { releasedAt: new Date().toISOString() })),
      }),
    );
    const names = ['race-a', 'race-b', 'race-c', 'race-d', 'race-e'];
    const outcomes = await Promise.allSettled(
      names.map((name) => restore.lease.acquire(name, manifest.id, 60_000, new Date())),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter(
      (o): o is PromiseRejectedResult =>
        o.status === 'rejected' && o.reason instanceof FailoverInProgressError,
    );
    expect({ won: won.length, refused: refused.length }).toEqual({ won: 1, refused: 4 });
    const holder = (await storedLease(ctx.clients))?.execution;
    expect(names).toContain(holder);
    for (const r of refused) expect((r.reason as Error).message).toContain(holder);
    await restore.lease.release(holder as string, new Date());
  });

  it('takes over the lease of a crashed run once it expired, and resumes', async () => {
    await putLease(lease('crashed-run', { expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const result = await failover({}, 'after-crash');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(await storedLease(ctx.clients)).toMatchObject({ execution: 'after-crash' });
  });

  it('takes over a live lease whose holder ended without giving it back (stopped, or its Report lost the catalog)', async () => {
    // The local runner knows 'stopped-run' does not run: Step Functions' DescribeExecution tells a Lambda the same.
    await putLease(lease('stopped-run', { expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
    const result = await failover({}, 'after-stop');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(await storedLease(ctx.clients)).toMatchObject({ execution: 'after-stop' });
  });
});

describe('every execution ends with a report', () => {
  it('reports a PrepareShared that keeps failing, with nothing restored', async () => {
    // PrepareShared records a resource it cannot create and goes on; what fails the step is
    // writing down what it made (the shared resources document).
    proxy.setRules([{ match: 'S3.PutObject', bodyMatch: /"accessPoints"/, serverError: 1 }]);
    const result = await failover({}, 'shared-fails', { clients: proxied });
    expect(result.status).toBe('FAILED');
    const report = result.report?.report as RestoreReport;
    expect(report).toMatchObject({ outcome: 'FAILED', failure: { state: 'PrepareShared' } });
    // One attempt and three retries.
    expect(result.transitionsByState.PrepareShared).toBe(4);
    expect(report.services.every((s) => s.status === 'failed' && s.error?.name === 'NotRestored')).toBe(true);
    await expectReportMatchesDr(ctx.clients, report);
  });

  it('reports a CheckWave that is denied: what the first wave restored, and the waves that did not run', async () => {
    // Only CheckWave's DescribeServices goes without `include` (Prepare and the service step ask for tags).
    proxy.setRules([
      {
        match: 'ECS.DescribeServices',
        bodyMatch: /^(?![\s\S]*"include")/,
        awsError: {
          code: 'AccessDeniedException',
          message: 'not authorized to DescribeServices',
          httpStatus: 400,
        },
      },
    ]);
    const result = await failover({}, 'check-denied', { clients: proxied });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('AccessDeniedException');
    const report = result.report?.report as RestoreReport;
    expect(report).toMatchObject({ outcome: 'FAILED', failure: { state: 'RestoreWaves' } });
    const wave1 = report.services.filter((s) => s.wave === 1);
    expect(wave1.length).toBeGreaterThan(0);
    expect(wave1.every((s) => s.status === 'created')).toBe(true);
    expect(report.waves?.filter((w) => w.status === 'not-run').map((w) => w.wave)).toEqual([2, 3]);
    await expectReportMatchesDr(ctx.clients, report);
    expect((await storedLease(ctx.clients))?.releasedAt).toBeDefined();
  });

  it('tells the report topic when Report itself fails, and fails with ReportFailed', async () => {
    proxy.setRules([{ match: 'S3.PutObject', bodyMatch: /"reportVersion"/, serverError: 1 }]);
    const before = proxy.stats().calls['SNS.Publish'] ?? 0;
    const result = await failover({}, 'report-fails', { clients: proxied });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReportFailed');
    expect(result.transitionsByState.Report).toBe(4);
    expect(result.transitionsByState.NotifyReportFailed).toBe(1);
    expect((proxy.stats().calls['SNS.Publish'] ?? 0) - before).toBe(1);
  });
});

function lease(execution: string, extra: Partial<LeaseRecord>): LeaseRecord {
  return {
    execution,
    recoveryPointId: manifest.id,
    acquiredAt: new Date(Date.now() - 60_000).toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...extra,
  };
}

async function putLease(record: LeaseRecord): Promise<void> {
  await ctx.clients
    .s3(DR)
    .send(new PutObjectCommand({ Bucket: BUCKET, Key: FAILOVER_LEASE_KEY, Body: JSON.stringify(record) }));
}
