import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListClustersCommand,
} from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { restoreRunKey } from '../../src/catalog/keys';
import { findRestoreStateMachine } from '../../src/cli/runners/aws/deployed-workflow';
import { RecoveryStackNotFoundError } from '../../src/cli/runners/errors';
import { parseConfig } from '../../src/config/schema';
import { restoreConfigOf } from '../../src/config/settings';
import { simulatePrimaryRegionLoss } from '../../src/demo/primary-loss';
import type { DemoFleet } from '../../src/demo/seed';
import { createRestoreContext } from '../../src/restore/context';
import type { RestorePlan } from '../../src/restore/plan';
import type { RestoreRun } from '../../src/restore/runs';
import { useCliWorkspace } from '../support/cli';
import { ACCOUNT, DR, PRIMARY, seedFleet } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
const { lifeboat, lifeboatInProcess, onEmulator } = useCliWorkspace(ctx, {
  prefix: 'lifeboat-cli-restore-',
  timeoutMs: 90_000,
});
let fleet: DemoFleet;
let recoveryPointId: string;
let plan: RestorePlan;

/** The plan the restore workflow stored for the execution of a `failover --json` document. */
async function storedRunOf(doc: {
  execution: { name: string };
  reportLocation: string;
}): Promise<RestoreRun> {
  const bucket = new URL(doc.reportLocation).host;
  const restore = createRestoreContext(ctx.clients, {
    config: restoreConfigOf(parseConfig({ account: ACCOUNT, primaryRegion: PRIMARY, drRegion: DR })),
    bucket,
  });
  return restore.runs.get<RestoreRun>(restoreRunKey(doc.execution.name, 'plan'));
}

async function drServices(): Promise<string[]> {
  const ecs = ctx.clients.ecs(DR);
  const clusters = (await ecs.send(new ListClustersCommand({}))).clusterArns ?? [];
  const keys: string[] = [];
  for (const cluster of clusters) {
    const names = fleet.services
      .filter((s) => cluster.endsWith(`/${s.clusterName}`))
      .map((s) => s.serviceName);
    const res = await ecs.send(new DescribeServicesCommand({ cluster, services: names }));
    for (const s of res.services ?? []) {
      if (s.status === 'ACTIVE') keys.push(`${cluster.split('/').pop()}/${s.serviceName}`);
    }
  }
  return keys.sort();
}

beforeAll(async () => {
  fleet = await seedFleet(ctx.clients);
  const backup = await lifeboatInProcess(onEmulator('backup', '--json'));
  expect(backup.code, backup.stderr).toBe(0);
  recoveryPointId = JSON.parse(backup.stdout).recoveryPoint.id;
}, 120_000);

describe('lifeboat plan / failover against the emulator', () => {
  it('plan --json gives the dry-run plan of every selected service and exits 1 exactly when some are blocked', async () => {
    const { code, stdout, stderr } = await lifeboat(onEmulator('plan', '--json'));
    plan = JSON.parse(stdout) as RestorePlan;
    expect(plan.recoveryPoint.id).toBe(recoveryPointId);
    expect(plan.target).toEqual({ region: DR, account: ACCOUNT });
    expect(plan.services.map((s) => s.key).sort()).toEqual([...fleet.selectedServiceKeys]);
    expect(code, stderr).toBe(plan.totals.blocked > 0 ? 1 : 0);
    for (const s of plan.services.filter((x) => x.blocked)) {
      const errors = plan.findings.filter((f) => f.service === s.key && f.severity === 'error');
      expect(errors.map((f) => f.code).sort()).toEqual(s.blockedBy);
      for (const f of errors) expect(f.fix.length).toBeGreaterThan(10);
    }
    for (const s of plan.services.filter((x) => !x.blocked)) {
      expect(s.action).toBe('create');
      for (const image of s.images.filter((i) => i.includes('.dkr.ecr.'))) {
        expect(image).toMatch(new RegExp(`\\.dkr\\.ecr\\.${DR}\\.amazonaws\\.com/.+@sha256:[a-f0-9]{64}$`));
      }
    }
  });

  it('plan prints waves, services and findings with their fixes for people', async () => {
    const { stdout } = await lifeboatInProcess(onEmulator('plan', '--services', 'shop/*'));
    expect(stdout).toMatch(/WAVE\s+SERVICE\s+ACTION\s+DESIRED\s+TASK DEFINITION\s+IMAGE \(DR REGION\)/);
    expect(stdout).toMatch(/3\s+shop\/web\s+create\s+3 → 3\s+shop-web\s+/);
    expect(stdout).not.toContain('payments/');
    expect(stdout).toContain('fix: ');
  });

  it('failover without --yes and without a terminal exits 2 and changes nothing', async () => {
    const { code, stdout, stderr } = await lifeboat(onEmulator('failover'));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('pass --yes');
    expect(await drServices()).toEqual([]);
  });

  it('failover --promote-file-systems in a drill (--desired-count-percent 0) exits 2 naming why, and changes nothing', async () => {
    const { code, stdout, stderr } = await lifeboat(
      onEmulator('failover', '--yes', '--json', '--desired-count-percent', '0', '--promote-file-systems'),
    );
    expect(code, stderr).toBe(2);
    const { error } = JSON.parse(stdout);
    expect(error.name).toBe('InvalidRestoreInputError');
    expect(error.message).toContain('promoteFileSystems is true, but a drill (desiredCountPercent 0)');
    expect(await drServices()).toEqual([]);
  });

  it('failover --yes --json after the primary region is lost restores the services the plan allows in DR', async () => {
    await simulatePrimaryRegionLoss(ctx.clients, { primaryRegion: PRIMARY });
    const blocked = plan.services.filter((s) => s.blocked).map((s) => s.key);
    const restorable = plan.services.filter((s) => !s.blocked).map((s) => s.key);
    const exclude = blocked.flatMap((key) => ['--exclude', key]);
    const { code, stdout, stderr } = await lifeboat(onEmulator('failover', '--yes', '--json', ...exclude));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/wave 1: /);
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({ mode: 'local', allRestored: true, outcome: 'RESTORED' });
    expect(doc.recoveryPoint.id).toBe(recoveryPointId);
    expect(doc.rtoSeconds).toBeGreaterThan(0);
    expect(doc.services.map((s: { service: string }) => s.service).sort()).toEqual(restorable.sort());
    expect(await drServices()).toEqual(restorable.sort());

    const ecs = ctx.clients.ecs(DR);
    for (const s of doc.services as { service: string; taskDefinitionArn: string; images: string[] }[]) {
      const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: s.taskDefinitionArn })))
        .taskDefinition;
      expect(td?.containerDefinitions?.map((c) => c.image).sort()).toEqual([...s.images].sort());
    }
  });

  it('failover of every selected service exits 1 naming the services not restored, and leaves the restored ones unchanged', async () => {
    const { code, stdout, stderr } = await lifeboatInProcess(onEmulator('failover', '--yes', '--json'));
    const doc = JSON.parse(stdout);
    const statuses = Object.fromEntries(
      (doc.services as { service: string; status: string }[]).map((s) => [s.service, s.status]),
    );
    for (const s of plan.services) expect(statuses[s.key]).toBe(s.blocked ? 'blocked' : 'unchanged');
    // Without --promote-file-systems the workflow's input leaves EFS replication in place.
    expect((await storedRunOf(doc)).plan.input.promoteFileSystems).toBe(false);
    if (plan.totals.blocked > 0) {
      expect(code).toBe(1);
      expect(stderr).toContain('not restored');
      expect(doc.allRestored).toBe(false);
    } else {
      expect(code).toBe(0);
    }
  });
});

describe('lifeboat failover --promote-file-systems against the emulator', () => {
  it('passes promoteFileSystems: true to the restore workflow (the stored plan of the execution says so)', async () => {
    const blocked = plan.services.filter((s) => s.blocked).flatMap((s) => ['--exclude', s.key]);
    const { code, stdout, stderr } = await lifeboat(
      onEmulator('failover', '--yes', '--json', '--promote-file-systems', ...blocked),
    );
    expect(code, stderr).toBe(0);
    const doc = JSON.parse(stdout);
    const run = await storedRunOf(doc);
    expect(run.plan.input).toMatchObject({
      promoteFileSystems: true,
      dryRun: false,
      desiredCountPercent: 100,
    });
    expect(run.plan.efsFileSystems.every((fs) => fs.promote)).toBe(true);
  });
});

describe('deployed failover: finding the restore workflow', () => {
  it('fails with RecoveryStackNotFoundError (a usage error naming cdk deploy) when the RecoveryStack is missing', async () => {
    const error = await findRestoreStateMachine(ctx.clients, DR).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecoveryStackNotFoundError);
    expect((error as Error).message).toContain('npx cdk deploy LifeboatRecovery');
  });

  it('reads RestoreStateMachineArn from the LifeboatRecovery stack outputs in the DR region', async () => {
    const arn = `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:Restore`;
    await ctx.clients.cfn(DR).send(
      new CreateStackCommand({
        StackName: 'LifeboatRecovery',
        TemplateBody: JSON.stringify({
          Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
          Outputs: { RestoreStateMachineArn: { Value: arn } },
        }),
      }),
    );
    expect(await findRestoreStateMachine(ctx.clients, DR)).toBe(arn);
  });
});
