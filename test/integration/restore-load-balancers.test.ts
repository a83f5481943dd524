import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import {
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCapture } from '../../src/backup/steps';
import type { Manifest } from '../../src/catalog/manifest';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { deploymentIdOf, type LifeboatConfig } from '../../src/config/schema';
import type { DemoFleet } from '../../src/demo/seed';
import type { RestorePlan } from '../../src/restore/plan';
import type { RestoreReport } from '../../src/restore/report';
import { BUCKET, DR, type RestoreFixture, seedFleetForRestore } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { clearDrServices } from '../support/restore-checks';

/**
 * Services behind a load balancer (issue 16): the demo's shop/web registers with the shop load
 * balancer's target group. The capture records the group, its health check, attributes, tags and
 * the listener rule forwarding to it; the restore maps it to the DR landing zone's group (by
 * name here), or, with restore.createTargetGroups, creates it behind the DR load balancer.
 */
const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
let fleet: DemoFleet;
let manifest: Manifest;
let topicArn: string;
let restoreFixture: RestoreFixture;

function configWith(restore: { createTargetGroups?: boolean } = {}): LifeboatConfig {
  return restoreFixture.config({ restore });
}

function run(config: LifeboatConfig, input: unknown, executionName: string) {
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

async function drWebService() {
  const res = await ctx.clients
    .ecs(DR)
    .send(new DescribeServicesCommand({ cluster: 'shop', services: ['web'] }));
  return res.services?.find((s) => s.status === 'ACTIVE');
}

async function drGroupsNamed(name: string) {
  const res = await ctx.clients.elbv2(DR).send(new DescribeTargetGroupsCommand({}));
  return (res.TargetGroups ?? []).filter((g) => g.TargetGroupName === name);
}

async function rulesForwardingTo(targetGroupArn: string) {
  const res = await ctx.clients
    .elbv2(DR)
    .send(new DescribeRulesCommand({ ListenerArn: fleet.loadBalancing.dr.listenerArn }));
  return (res.Rules ?? []).filter((r) => r.Actions?.some((a) => a.TargetGroupArn === targetGroupArn));
}

beforeAll(async () => {
  const fixture = await seedFleetForRestore(ctx.clients, 'lifeboat-dr-lb');
  ({ fleet, topicArn } = fixture);
  restoreFixture = fixture;
  manifest = (await runCapture({ clients: ctx.clients, config: configWith(), bucket: BUCKET })).manifest;
}, 300_000);

describe('a service behind a load balancer', () => {
  it('is captured with its target group: settings, health check, attributes, tags and the listener rule', () => {
    const primaryArn = fleet.loadBalancing.primary.targetGroupArn;
    expect(manifest.status).toBe('complete');
    const [group, ...others] = manifest.network.targetGroups ?? [];
    expect(others).toEqual([]);
    expect(group).toMatchObject({
      targetGroupArn: primaryArn,
      targetGroupName: 'lifeboat-demo-shop-web',
      protocol: 'HTTP',
      port: 8080,
      targetType: 'ip',
      healthCheck: { HealthCheckPath: '/healthz', HealthCheckIntervalSeconds: 15, HealthyThresholdCount: 3 },
      loadBalancerArns: [fleet.loadBalancing.primary.loadBalancerArn],
    });
    expect(group?.tags).toContainEqual({ key: 'team', value: 'shop' });
    expect(group?.attributes.length).toBeGreaterThan(0);
    expect(group?.rules).toEqual([
      expect.objectContaining({
        priority: 10,
        listenerPort: 80,
        listenerProtocol: 'HTTP',
        loadBalancerName: 'lifeboat-demo-shop',
        conditions: [expect.objectContaining({ Field: 'path-pattern' })],
      }),
    ]);
  });

  it('is attached to the DR landing zone target group of the same name, said in the plan', async () => {
    const plan = (await run(configWith(), { dryRun: true }, 'lb-by-name-plan')).output as {
      plan: RestorePlan;
    };
    const web = plan.plan.services.find((s) => s.key === 'shop/web');
    expect(web?.blocked).toBe(false);
    expect(web?.createServiceInput.loadBalancers).toEqual([
      { targetGroupArn: fleet.loadBalancing.dr.targetGroupArn, containerName: 'web', containerPort: 8080 },
    ]);
    expect(plan.plan.findings).toContainEqual(
      expect.objectContaining({ code: 'TARGET_GROUP_MATCHED_BY_NAME', service: 'shop/web' }),
    );
    expect(plan.plan.targetGroups).toEqual([]);

    const result = await run(configWith(), { dryRun: false }, 'lb-by-name');
    const report = result.report?.report as RestoreReport | undefined;
    expect(report?.outcome, result.cause).toBe('RESTORED');
    // Steady only once the target group has healthy targets (here the emulator's stand-ins for
    // the running tasks: its ECS registers none).
    expect(report?.services.find((s) => s.service === 'shop/web')).toMatchObject({
      steady: true,
      healthyTargets: 10,
    });
    const health = await ctx.clients
      .elbv2(DR)
      .send(new DescribeTargetHealthCommand({ TargetGroupArn: fleet.loadBalancing.dr.targetGroupArn }));
    expect(health.TargetHealthDescriptions?.every((t) => t.TargetHealth?.State === 'healthy')).toBe(true);
    expect((await drWebService())?.loadBalancers).toEqual([
      { targetGroupArn: fleet.loadBalancing.dr.targetGroupArn, containerName: 'web', containerPort: 8080 },
    ]);
  });

  describe('when the DR landing zone has the load balancer and listener but no target group', () => {
    beforeAll(async () => {
      await clearDrServices(ctx.clients);
      const drArn = fleet.loadBalancing.dr.targetGroupArn as string;
      const elbv2 = ctx.clients.elbv2(DR);
      for (const rule of await rulesForwardingTo(drArn)) {
        await elbv2.send(new DeleteRuleCommand({ RuleArn: rule.RuleArn }));
      }
      await elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: drArn }));
    });

    it('blocks the service without restore.createTargetGroups, naming the fix', async () => {
      const plan = (
        (await run(configWith(), { dryRun: true }, 'lb-missing-plan')).output as { plan: RestorePlan }
      ).plan;
      expect(plan.services.find((s) => s.key === 'shop/web')).toMatchObject({
        blocked: true,
        blockedBy: ['TARGET_GROUP_NOT_MAPPED'],
      });
      const finding = plan.findings.find((f) => f.code === 'TARGET_GROUP_NOT_MAPPED');
      expect(finding?.fix).toContain('restore.createTargetGroups');
    });

    it('creates it with the captured settings and listener rule, tagged with its source, and attaches the service', async () => {
      const config = configWith({ createTargetGroups: true });
      const plan = ((await run(config, { dryRun: true }, 'lb-create-plan')).output as { plan: RestorePlan })
        .plan;
      expect(plan.services.find((s) => s.key === 'shop/web')).toMatchObject({
        blocked: false,
        pendingTargetGroups: [fleet.loadBalancing.primary.targetGroupArn],
      });
      expect(plan.targetGroups).toEqual([
        expect.objectContaining({
          targetGroupName: 'lifeboat-demo-shop-web',
          loadBalancerArns: [fleet.loadBalancing.dr.loadBalancerArn],
          rules: [expect.objectContaining({ listenerArn: fleet.loadBalancing.dr.listenerArn, priority: 10 })],
          services: ['shop/web'],
        }),
      ]);
      expect(plan.totals.targetGroupsToCreate).toBe(1);
      expect(await drGroupsNamed('lifeboat-demo-shop-web'), 'a dry run creates nothing').toEqual([]);

      const result = await run(config, { dryRun: false }, 'lb-create');
      expect((result.report?.report as RestoreReport | undefined)?.outcome, result.cause).toBe('RESTORED');
      const [created, ...more] = await drGroupsNamed('lifeboat-demo-shop-web');
      expect(more).toEqual([]);
      const arn = created?.TargetGroupArn as string;
      expect(created).toMatchObject({
        Protocol: 'HTTP',
        Port: 8080,
        TargetType: 'ip',
        HealthCheckPath: '/healthz',
        HealthCheckIntervalSeconds: 15,
        HealthyThresholdCount: 3,
      });
      const elbv2 = ctx.clients.elbv2(DR);
      const tags = (await elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).TagDescriptions?.[0]
        ?.Tags;
      expect(Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
        'lifeboat:source-id': fleet.loadBalancing.primary.targetGroupArn,
        'lifeboat:deployment': deploymentIdOf(config),
        'lifeboat:recovery-point': manifest.id,
        team: 'shop',
      });
      const attributes = (await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn })))
        .Attributes;
      const captured = manifest.network.targetGroups?.[0]?.attributes ?? [];
      expect(Object.fromEntries((attributes ?? []).map((a) => [a.Key, a.Value]))).toMatchObject(
        Object.fromEntries(captured.map((a) => [a.key, a.value])),
      );
      const [rule, ...otherRules] = await rulesForwardingTo(arn);
      expect(otherRules).toEqual([]);
      expect(rule?.Priority).toBe('10');
      expect(rule?.Conditions?.[0]).toMatchObject({ Field: 'path-pattern' });
      expect((await drWebService())?.loadBalancers).toEqual([
        { targetGroupArn: arn, containerName: 'web', containerPort: 8080 },
      ]);
    });

    it('finds what it created on a second run (by its lifeboat:source-id tag): no second group or rule', async () => {
      const config = configWith({ createTargetGroups: true });
      const [before] = await drGroupsNamed('lifeboat-demo-shop-web');
      const plan = ((await run(config, { dryRun: true }, 'lb-again-plan')).output as { plan: RestorePlan })
        .plan;
      expect(plan.targetGroups).toEqual([]);
      expect(plan.services.find((s) => s.key === 'shop/web')?.createServiceInput.loadBalancers).toEqual([
        { targetGroupArn: before?.TargetGroupArn, containerName: 'web', containerPort: 8080 },
      ]);
      const result = await run(config, { dryRun: false }, 'lb-again');
      expect((result.report?.report as RestoreReport | undefined)?.outcome, result.cause).toBe('RESTORED');
      expect(await drGroupsNamed('lifeboat-demo-shop-web')).toHaveLength(1);
      expect(await rulesForwardingTo(before?.TargetGroupArn as string)).toHaveLength(1);
    });
  });
});
