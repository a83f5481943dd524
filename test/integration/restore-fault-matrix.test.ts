import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { runCapture } from '../../src/backup/steps';
import { FAILOVER_LEASE_KEY } from '../../src/catalog/lease';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { parseConfig } from '../../src/config/schema';
import type { RestoreReport } from '../../src/restore/report';
import { BUCKET, CONFIG_INPUT, DR, seedFleetWithCatalog } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { type FaultProxy, type FaultRule, startFaultProxy } from '../support/fault-proxy';
import { clearDrServices, expectReportMatchesDr, storedLease } from '../support/restore-checks';

/**
 * The fault matrix of the restore workflow: each step of it meets throttling, server errors, cut
 * connections and denied calls, once (transient: the execution must restore everything) and on
 * every attempt (persistent: the execution must still end with a report that matches what the
 * DR region holds, and give the failover lease back). Each fault hits one call only that step
 * makes, told apart by operation and request body.
 */
const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
const config = parseConfig(CONFIG_INPUT);
const FAILOVER = { dryRun: false, exclude: ['shop/worker'] };
let topicArn: string;
let proxy: FaultProxy;
let clients: AwsClients;
const counts = { executions: 0, reported: 0, restored: 0, faultsInjected: 0 };

type Step = 'Prepare' | 'PrepareShared' | 'RestoreService' | 'CheckWave' | 'Report';
type Kind = 'throttling' | 'server error' | 'cut connection' | 'denied';

/** A call only this step makes. */
const TARGETS: Record<Step, { match: string; bodyMatch?: RegExp; deniedCode: string; deniedStatus: number }> =
  {
    // Verifying the recovery point's signature.
    Prepare: { match: 'KMS.VerifyMac', deniedCode: 'AccessDeniedException', deniedStatus: 400 },
    // Recording the shared resources it prepared.
    PrepareShared: {
      match: 'S3.PutObject',
      bodyMatch: /"accessPoints"/,
      deniedCode: 'AccessDenied',
      deniedStatus: 403,
    },
    // Creating the service (each case starts with no DR service; task definitions are reused).
    RestoreService: {
      match: 'ECS.CreateService',
      deniedCode: 'AccessDeniedException',
      deniedStatus: 400,
    },
    // The steady-state poll (the other DescribeServices calls ask for tags).
    CheckWave: {
      match: 'ECS.DescribeServices',
      bodyMatch: /^(?![\s\S]*"include")/,
      deniedCode: 'AccessDeniedException',
      deniedStatus: 400,
    },
    // Writing the report.
    Report: {
      match: 'S3.PutObject',
      bodyMatch: /"reportVersion"/,
      deniedCode: 'AccessDenied',
      deniedStatus: 403,
    },
  };

function rule(step: Step, kind: Kind, persistent: boolean): FaultRule {
  const target = TARGETS[step];
  const base = { match: target.match, ...(target.bodyMatch ? { bodyMatch: target.bodyMatch } : {}) };
  const times = persistent ? {} : { maxFaultsPerRequest: 1 };
  switch (kind) {
    case 'throttling':
      return { ...base, ...times, throttle: 1 };
    case 'server error':
      return { ...base, ...times, serverError: 1 };
    case 'cut connection':
      return { ...base, ...times, drop: 1, dropPhases: ['mid-body'] };
    case 'denied':
      return {
        ...base,
        ...times,
        awsError: {
          code: target.deniedCode,
          message: `not authorized (${step})`,
          httpStatus: target.deniedStatus,
        },
      };
  }
}

/** What a persistent fault in the step makes of the execution. */
const PERSISTENT: Record<Step, { outcome: RestoreReport['outcome']; failedState?: string }> = {
  Prepare: { outcome: 'FAILED', failedState: 'Prepare' },
  PrepareShared: { outcome: 'FAILED', failedState: 'PrepareShared' },
  // Every service of the first wave fails: the wave gate stops the rest.
  RestoreService: { outcome: 'INCOMPLETE' },
  CheckWave: { outcome: 'FAILED', failedState: 'RestoreWaves' },
  Report: { outcome: 'FAILED' },
};

beforeAll(async () => {
  await seedFleetWithCatalog(ctx.clients);
  topicArn = await ensureLocalReportTopic(ctx.clients, DR);
  await runCapture({ clients: ctx.clients, config, bucket: BUCKET, efsEmulatorFallback: true });
  proxy = await startFaultProxy({ target: ctx.endpoint, seed: 20261202 });
  // Two SDK attempts a call, so a persistent fault reaches the step quickly.
  clients = new AwsClients({ endpoint: proxy.endpoint, maxAttempts: 2 });
}, 300_000);

afterAll(async () => {
  console.info(`restore fault matrix: ${JSON.stringify(counts)}`);
  clients?.destroy();
  await proxy?.stop();
});

beforeEach(async () => {
  proxy.setRules([]);
  // Each case meets its faults afresh (a fault "once" is once per request of this case).
  proxy.reset();
  await clearDrServices(ctx.clients);
  // A run whose Report failed keeps the lease until it expires: start each case with it free.
  await ctx.clients
    .s3(DR)
    .send(new PutObjectCommand({ Bucket: BUCKET, Key: FAILOVER_LEASE_KEY, Body: '{}' }));
});

async function failoverUnder(faults: FaultRule, executionName: string) {
  proxy.setRules([faults]);
  const injectedBefore = proxy.stats().failedAttempts;
  const publishedBefore = proxy.stats().calls['SNS.Publish'] ?? 0;
  const result = await runLocalRestore({
    clients,
    config,
    bucket: BUCKET,
    topicArn,
    input: FAILOVER,
    waitTimeScale: 0,
    executionName,
  });
  proxy.setRules([]);
  const injected = proxy.stats().failedAttempts - injectedBefore;
  counts.executions += 1;
  counts.faultsInjected += injected;
  if (result.report) counts.reported += 1;
  if (result.status === 'SUCCEEDED') counts.restored += 1;
  return { result, injected, published: (proxy.stats().calls['SNS.Publish'] ?? 0) - publishedBefore };
}

const STEPS: readonly Step[] = ['Prepare', 'PrepareShared', 'RestoreService', 'CheckWave', 'Report'];
const KINDS: readonly Kind[] = ['throttling', 'server error', 'cut connection', 'denied'];

describe.each(STEPS)('%s', (step) => {
  it.each(KINDS.filter((k) => k !== 'denied'))('restores everything when %s hits it once', async (kind) => {
    const { result, injected } = await failoverUnder(
      rule(step, kind, false),
      `once-${step}-${kind.replace(' ', '-')}`,
    );
    expect(injected).toBeGreaterThan(0);
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const report = result.report?.report as RestoreReport;
    expect(report.outcome).toBe('RESTORED');
    await expectReportMatchesDr(ctx.clients, report);
    await expectLeaseNotHeldBy(result.executionName);
  });

  it.each(KINDS)('ends with a report that matches the DR region when %s hits it every time', async (kind) => {
    const { result, injected, published } = await failoverUnder(
      rule(step, kind, true),
      `always-${step}-${kind.replace(' ', '-')}`,
    );
    expect(injected).toBeGreaterThan(0);
    // A CreateService whose answer is always cut took effect: the service step reads it back.
    const tookEffect = step === 'RestoreService' && kind === 'cut connection';
    expect(result.status).toBe(tookEffect ? 'SUCCEEDED' : 'FAILED');
    // The topic hears of every execution: from Report, or from the state machine when Report failed.
    expect(published).toBe(1);
    if (step === 'Report') {
      expect(result.error).toBe('ReportFailed');
      expect(result.report).toBeUndefined();
      return;
    }
    const report = result.report?.report as RestoreReport;
    expect(report, `no report (${result.error}: ${result.cause})`).toBeDefined();
    const expected = tookEffect ? { outcome: 'RESTORED' as const } : PERSISTENT[step];
    expect(report.outcome).toBe(expected.outcome);
    if (expected.failedState) expect(report.failure?.state).toBe(expected.failedState);
    await expectReportMatchesDr(ctx.clients, report);
    await expectLeaseNotHeldBy(result.executionName);
  });
});

/** The execution gave the lease back, or never took it (it failed before). */
async function expectLeaseNotHeldBy(executionName: string): Promise<void> {
  const lease = await storedLease(ctx.clients);
  if (lease?.execution === executionName) expect(lease.releasedAt).toBeDefined();
}
