import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchDeleteImageCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ListClustersCommand,
  ListServicesCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { restoreRunKey } from '../../src/catalog/keys';
import { parseConfig } from '../../src/config/schema';
import { restoreConfigOf } from '../../src/config/settings';
import type { DemoFleet } from '../../src/demo/seed';
import { createRestoreContext } from '../../src/restore/context';
import type { RestorePlan } from '../../src/restore/plan';
import type { RestoreReport } from '../../src/restore/report';
import type { RestoreRun } from '../../src/restore/runs';
import { useCliWorkspace } from '../support/cli';
import { ACCOUNT, DR, PRIMARY, seedFleet } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { clearDrServices } from '../support/restore-checks';

/**
 * "What it shows is what it does": for each option, `plan --json` and `failover --json --yes`
 * with the same options must agree, per service, on what is restored and at which desired count
 * (read back from ECS in the DR region), and the execution must have run the input planned.
 */
const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
const ws = useCliWorkspace(ctx, { prefix: 'lifeboat-cli-plan-run-', timeoutMs: 120_000 });
let fleet: DemoFleet;
let recoveryPointId: string;
/** `--exclude` flags for the services the baseline plan blocks, so each failover can succeed. */
let excludeBlocked: string[];

interface FailoverDoc {
  execution: { name: string };
  reportLocation: string;
  allRestored: boolean;
  recoveryPoint: { id: string };
  report: RestoreReport;
  services: { service: string; status: string }[];
}

async function storedRunOf(doc: FailoverDoc): Promise<RestoreRun> {
  const bucket = new URL(doc.reportLocation).host;
  const restore = createRestoreContext(ctx.clients, {
    config: restoreConfigOf(parseConfig({ account: ACCOUNT, primaryRegion: PRIMARY, drRegion: DR })),
    bucket,
  });
  return restore.runs.get<RestoreRun>(restoreRunKey(doc.execution.name, 'plan'));
}

/** The desired count of every ACTIVE service in the DR region, by "cluster/service". */
async function drDesiredCounts(): Promise<Record<string, number>> {
  const ecs = ctx.clients.ecs(DR);
  const counts: Record<string, number> = {};
  for (const clusterArn of (await ecs.send(new ListClustersCommand({}))).clusterArns ?? []) {
    const cluster = clusterArn.split('/').pop() ?? clusterArn;
    const arns = (await ecs.send(new ListServicesCommand({ cluster }))).serviceArns ?? [];
    for (let i = 0; i < arns.length; i += 10) {
      const res = await ecs.send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) }));
      for (const s of res.services ?? []) {
        if (s.status === 'ACTIVE') counts[`${cluster}/${s.serviceName}`] = s.desiredCount ?? -1;
      }
    }
  }
  return counts;
}

/** Per restorable service of the plan, the desired count it says the failover sets. */
function plannedCounts(plan: RestorePlan): Record<string, number> {
  return Object.fromEntries(plan.services.filter((s) => !s.blocked).map((s) => [s.key, s.desiredCount]));
}

async function planJson(args: string[]): Promise<RestorePlan> {
  const { code, stdout, stderr } = await ws.lifeboat(ws.onEmulator('plan', '--json', ...args));
  expect([0, 1], stderr).toContain(code);
  return JSON.parse(stdout) as RestorePlan;
}

/**
 * Plans with `args`, clears the DR region (unless `keepDr`), fails over with the same `args` and
 * checks that the DR region runs exactly the planned services at the planned desired counts and
 * that the execution ran the planned input. Returns both documents.
 */
async function planThenFailOver(
  args: string[],
  opts: { keepDr?: boolean } = {},
): Promise<{ plan: RestorePlan; doc: FailoverDoc; run: RestoreRun; stderr: string }> {
  const plan = await planJson(args);
  expect(plan.totals.restorable).toBeGreaterThan(0);
  if (!opts.keepDr) await clearDrServices(ctx.clients);
  const { code, stdout, stderr } = await ws.lifeboat(ws.onEmulator('failover', '--json', '--yes', ...args));
  const doc = JSON.parse(stdout) as FailoverDoc;
  expect(code, stderr).toBe(plan.totals.blocked > 0 ? 1 : 0);
  expect(doc.recoveryPoint.id).toBe(plan.recoveryPoint.id);
  const actual = await drDesiredCounts();
  const planned = plannedCounts(plan);
  if (opts.keepDr) {
    for (const key of Object.keys(planned)) expect(actual[key], key).toBe(planned[key]);
  } else {
    expect(actual).toEqual(planned);
  }
  // The execution ran the input planned, pinned to the recovery point the plan resolved.
  const run = await storedRunOf(doc);
  expect(run.plan.input).toEqual({ ...plan.input, dryRun: false, recoveryPoint: plan.recoveryPoint.id });
  expect(plannedCounts(run.plan)).toEqual(planned);
  expect(run.plan.efsFileSystems).toEqual(plan.efsFileSystems);
  return { plan, doc, run, stderr };
}

beforeAll(async () => {
  fleet = await seedFleet(ctx.clients);
  const backup = await ws.lifeboatInProcess(ws.onEmulator('backup', '--json'));
  expect(backup.code, backup.stderr).toBe(0);
  recoveryPointId = JSON.parse(backup.stdout).recoveryPoint.id;
  const baseline = await planJson([]);
  excludeBlocked = baseline.services.filter((s) => s.blocked).flatMap((s) => ['--exclude', s.key]);
}, 180_000);

describe('lifeboat plan shows what lifeboat failover does', () => {
  it('--exclude with --desired-count-percent 50 and --promote-file-systems: same services, same counts, same EFS promotion', async () => {
    const { plan, stderr } = await planThenFailOver([
      '--exclude',
      'shop/worker',
      '--desired-count-percent',
      '50',
      '--promote-file-systems',
      ...excludeBlocked,
    ]);
    expect(plan.input.dryRun).toBe(true);
    expect(plan.input.desiredCountPercent).toBe(50);
    expect(plan.services.map((s) => s.key)).not.toContain('shop/worker');
    // 50% rounds up: the plan does not repeat the captured count.
    for (const s of plan.services) expect(s.desiredCount).toBe(Math.ceil(s.sourceDesiredCount / 2));
    expect(plan.services.some((s) => s.sourceDesiredCount > 1 && s.desiredCount < s.sourceDesiredCount)).toBe(
      true,
    );
    if (plan.efsFileSystems.length > 0) expect(plan.efsFileSystems.every((fs) => fs.promote)).toBe(true);
    // Each wave's wait for steady state says its deadline (not a terminal: plain lines).
    expect(stderr).toMatch(
      /waiting for steady state \(deadline 15 min, at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\)/,
    );
    expect(stderr).toMatch(/waited \S+ for steady state/);
  });

  it('--services with --desired-count-percent 0 (a drill): the plan says 0 tasks and every service is created at 0', async () => {
    const { plan } = await planThenFailOver([
      '--services',
      'shop/*',
      '--desired-count-percent',
      '0',
      ...excludeBlocked,
    ]);
    expect(plan.services.every((s) => s.key.startsWith('shop/'))).toBe(true);
    expect(plan.totals.desiredTasks).toBe(0);
    for (const s of plan.services) expect(s.desiredCount).toBe(0);
  });

  it('--adopt: the plan blocks a DR service Lifeboat did not create without it, and updates it with it', async () => {
    await clearDrServices(ctx.clients);
    const target = fleet.services.find((s) => s.key === 'shop/web') ?? fleet.services[0];
    if (!target) throw new Error('the demo fleet has no services');
    const ecs = ctx.clients.ecs(DR);
    await ecs.send(new CreateClusterCommand({ clusterName: target.clusterName }));
    const td = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'not-lifeboat',
        containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:latest', memory: 128 }],
      }),
    );
    await ecs.send(
      new CreateServiceCommand({
        cluster: target.clusterName,
        serviceName: target.serviceName,
        taskDefinition: td.taskDefinition?.taskDefinitionArn,
        desiredCount: 1,
      }),
    );
    const without = await planJson(['--services', target.key]);
    expect(without.services.find((s) => s.key === target.key)?.blockedBy).toContain('SERVICE_NOT_OWNED');

    const { plan } = await planThenFailOver(['--services', target.key, '--adopt', target.key], {
      keepDr: true,
    });
    const planned = plan.services.find((s) => s.key === target.key);
    expect(planned).toMatchObject({ blocked: false, action: 'update' });
    expect(plan.input.adopt).toEqual([target.key]);
  });

  it('--input file, overridden by --comment, with --no-wait and --steady-state-timeout: the execution runs that input and the report carries the comment', async () => {
    writeFileSync(
      join(ws.dir, 'input.json'),
      JSON.stringify({
        Comment: 'from the file',
        services: ['payments/*'],
        desiredCountPercent: 50,
        dryRun: true,
        steadyStateTimeoutMinutes: 30,
      }),
    );
    const { plan, doc, run, stderr } = await planThenFailOver([
      '--input',
      'input.json',
      '--comment',
      'INC-7 drill',
      '--no-wait',
      '--steady-state-timeout',
      '2',
      ...excludeBlocked.filter((_, i, a) => i % 2 === 0 || a[i]?.startsWith('payments/')),
    ]);
    expect(plan.input).toMatchObject({
      services: ['payments/*'],
      desiredCountPercent: 50,
      comment: 'INC-7 drill',
      waitForSteadyState: false,
      steadyStateTimeoutMinutes: 2,
    });
    expect(run.plan.input).toMatchObject({
      dryRun: false,
      waitForSteadyState: false,
      steadyStateTimeoutMinutes: 2,
    });
    expect(doc.report.comment).toBe('INC-7 drill');
    expect(stderr).toContain('not waiting for steady state (--no-wait)');
    expect(stderr).not.toContain('waiting for steady state (deadline');
    expect(doc.services.every((s) => s.service.startsWith('payments/'))).toBe(true);
  });

  it('--input with bad JSON or an invalid field exits 2 with what is wrong, changing nothing', async () => {
    writeFileSync(join(ws.dir, 'bad.json'), '{"services": ["shop/*"');
    writeFileSync(
      join(ws.dir, 'invalid.json'),
      JSON.stringify({ desiredCountPercent: 150, sevices: ['a/b'] }),
    );
    const before = await drDesiredCounts();
    const bad = await ws.lifeboatInProcess(ws.onEmulator('failover', '--yes', '--input', 'bad.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid restore input in bad.json (nothing was changed): it is not JSON');
    const invalid = await ws.lifeboatInProcess(ws.onEmulator('plan', '--input', 'invalid.json'));
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('desiredCountPercent must be a whole number from 0 to 100');
    expect(invalid.stderr).toContain('did you mean "services"');
    const missing = await ws.lifeboatInProcess(ws.onEmulator('plan', '--input', 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Cannot read the restore input file nope.json (--input)');
    expect(await drDesiredCounts()).toEqual(before);
  });

  it('--allow-partial, the flag the partial backup and the refusal name, plans and restores a partial recovery point', async () => {
    const worker = fleet.services.find((s) => s.key === 'shop/worker');
    const image = worker?.images.find((i) => i.includes('/shop/worker:'));
    const tag = image?.split(':').pop();
    expect(tag).toBeDefined();
    await ctx.clients
      .ecr(PRIMARY)
      .send(new BatchDeleteImageCommand({ repositoryName: 'shop/worker', imageIds: [{ imageTag: tag }] }));
    const backup = await ws.lifeboatInProcess(ws.onEmulator('backup'));
    expect(backup.code).toBe(1);
    expect(backup.stderr).toContain('--allow-partial');
    const partial = await ws.lifeboatInProcess(ws.onEmulator('recovery-points', 'list', '--json'));
    const partialId = (JSON.parse(partial.stdout).recoveryPoints as { id: string; status: string }[]).find(
      (r) => r.status === 'partial',
    )?.id;
    if (!partialId) throw new Error('no partial recovery point');
    expect(partialId).not.toBe(recoveryPointId);

    const refused = await ws.lifeboatInProcess(
      ws.onEmulator('failover', '--yes', '--recovery-point', partialId, '--services', 'shop/*'),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--allow-partial');

    const { plan } = await planThenFailOver([
      '--recovery-point',
      partialId,
      '--allow-partial',
      '--services',
      'shop/*',
      '--exclude',
      'shop/worker',
      ...excludeBlocked,
    ]);
    expect(plan.recoveryPoint.id).toBe(partialId);
    expect(plan.input.allowPartial).toBe(true);
  });
});
