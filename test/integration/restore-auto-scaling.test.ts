import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
  type StepScalingPolicyConfiguration,
  type TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateFileSystemCommand } from '@aws-sdk/client-efs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients';
import { runCapture } from '../../src/backup/steps';
import { catalogStoreFor } from '../../src/catalog/aws/store';
import { sealManifest } from '../../src/catalog/checksum';
import type { Manifest, ServiceRecord } from '../../src/catalog/manifest';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { type LifeboatConfig, parseConfig } from '../../src/config/schema';
import type { RestorePlan } from '../../src/restore/plan';
import type { ReportResult } from '../../src/restore/report';
import { ACCOUNT, BUCKET, DR, PRIMARY, seedFleetWithCatalog } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
const SERVICE = 'shop/api';
const RESOURCE_ID = 'service/shop/api';
const scope = {
  ServiceNamespace: 'ecs',
  ResourceId: RESOURCE_ID,
  ScalableDimension: 'ecs:service:DesiredCount',
} as const;
const ALARM = 'shop-api-high-cpu';
const STEP_CONFIG: StepScalingPolicyConfiguration = {
  AdjustmentType: 'ChangeInCapacity',
  Cooldown: 120,
  MetricAggregationType: 'Average',
  StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }],
};
const TARGET_CONFIG: TargetTrackingScalingPolicyConfiguration = {
  TargetValue: 60,
  PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
  ScaleInCooldown: 300,
  ScaleOutCooldown: 60,
};
const SCHEDULED_ACTION = {
  ScheduledActionName: 'business-hours',
  Schedule: 'cron(0 8 ? * MON-FRI *)',
  Timezone: 'Europe/Paris',
  ScalableTargetAction: { MinCapacity: 4, MaxCapacity: 6 },
};

let config: LifeboatConfig;
let manifest: Manifest;
let topicArn: string;

/**
 * The emulator keeps the alarms of a step policy apart from it (DescribeScalingPolicies answers
 * `Alarms: []` for step policies, where AWS names the alarms whose actions are the policy), so
 * the capture's DescribeScalingPolicies is stubbed on the client: each step policy gets the alarms
 * of the primary region whose AlarmActions name its ARN, as AWS answers.
 */
function linkStepAlarms(clients: AwsClients): void {
  const stack = clients.autoscaling(PRIMARY).middlewareStack;
  stack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== 'DescribeScalingPoliciesCommand') return result;
      const output = result.output as {
        ScalingPolicies?: { PolicyARN?: string; PolicyType?: string; Alarms?: unknown[] }[];
      };
      const alarms =
        (await clients.cloudwatch(PRIMARY).send(new DescribeAlarmsCommand({}))).MetricAlarms ?? [];
      for (const policy of output.ScalingPolicies ?? []) {
        if (policy.PolicyType !== 'StepScaling') continue;
        policy.Alarms = alarms
          .filter((a) => a.AlarmActions?.includes(policy.PolicyARN ?? ''))
          .map((a) => ({ AlarmName: a.AlarmName, AlarmARN: a.AlarmArn }));
      }
      return result;
    },
    { step: 'initialize', name: 'testLinkStepAlarms' },
  );
}

/** The scaling of shop/api in `region`, without what the region generates (ARNs, times, TargetTracking alarms). */
async function scalingIn(region: string) {
  const aas = ctx.clients.autoscaling(region);
  const target = (
    await aas.send(new DescribeScalableTargetsCommand({ ...scope, ResourceIds: [RESOURCE_ID] }))
  ).ScalableTargets?.[0];
  const policies = (await aas.send(new DescribeScalingPoliciesCommand(scope))).ScalingPolicies ?? [];
  const actions = (await aas.send(new DescribeScheduledActionsCommand(scope))).ScheduledActions ?? [];
  const alarm = (
    await ctx.clients.cloudwatch(region).send(new DescribeAlarmsCommand({ AlarmNames: [ALARM] }))
  ).MetricAlarms?.[0];
  const stepArn = policies.find((p) => p.PolicyType === 'StepScaling')?.PolicyARN;
  return {
    target: target && { min: target.MinCapacity, max: target.MaxCapacity },
    policies: policies
      .map((p) => ({
        name: p.PolicyName,
        type: p.PolicyType,
        config: p.StepScalingPolicyConfiguration ?? p.TargetTrackingScalingPolicyConfiguration,
      }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    alarm: alarm && {
      name: alarm.AlarmName,
      metric: [alarm.Namespace, alarm.MetricName, alarm.Statistic, alarm.Period, alarm.EvaluationPeriods],
      threshold: [alarm.ComparisonOperator, alarm.Threshold, alarm.TreatMissingData],
      dimensions: alarm.Dimensions,
      actionsNameTheStepPolicy:
        stepArn !== undefined && JSON.stringify(alarm.AlarmActions) === JSON.stringify([stepArn]),
    },
    scheduledActions: actions.map((a) => ({
      name: a.ScheduledActionName,
      schedule: a.Schedule,
      timezone: a.Timezone,
      bounds: a.ScalableTargetAction,
    })),
  };
}

function run(input: unknown, executionName: string) {
  return runLocalRestore({
    clients: ctx.clients,
    config,
    bucket: BUCKET,
    topicArn,
    input: { services: [SERVICE], ...(input as object) },
    waitTimeScale: 0,
    executionName,
  });
}

beforeAll(async () => {
  const fleet = await seedFleetWithCatalog(ctx.clients);
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
  const aas = ctx.clients.autoscaling(PRIMARY);
  await aas.send(new RegisterScalableTargetCommand({ ...scope, MinCapacity: 2, MaxCapacity: 6 }));
  await aas.send(
    new PutScalingPolicyCommand({
      ...scope,
      PolicyName: 'cpu-target',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: TARGET_CONFIG,
    }),
  );
  const step = await aas.send(
    new PutScalingPolicyCommand({
      ...scope,
      PolicyName: 'cpu-step-out',
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: STEP_CONFIG,
    }),
  );
  await ctx.clients.cloudwatch(PRIMARY).send(
    new PutMetricAlarmCommand({
      AlarmName: ALARM,
      Namespace: 'AWS/ECS',
      MetricName: 'CPUUtilization',
      Dimensions: [
        { Name: 'ClusterName', Value: 'shop' },
        { Name: 'ServiceName', Value: 'api' },
      ],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 3,
      Threshold: 85,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [step.PolicyARN as string],
    }),
  );
  await aas.send(new PutScheduledActionCommand({ ...scope, ...SCHEDULED_ACTION }));
  linkStepAlarms(ctx.clients);
  manifest = (await runCapture({ clients: ctx.clients, config, bucket: BUCKET })).manifest;
}, 300_000);

describe('auto scaling of a restored service (emulator; step alarms linked by a client stub)', () => {
  it('captures the scalable target, both policies, the step alarm and the scheduled action of shop/api only', () => {
    const byKey = new Map<string, ServiceRecord>(
      manifest.services.map((s) => [`${s.clusterName}/${s.serviceName}`, s]),
    );
    expect(manifest.errors).toEqual([]);
    expect([...byKey].filter(([, s]) => s.scaling).map(([k]) => k)).toEqual([SERVICE]);
    const scaling = byKey.get(SERVICE)?.scaling;
    expect(scaling).toMatchObject({ minCapacity: 2, maxCapacity: 6 });
    expect(scaling?.policies).toEqual([
      {
        policyName: 'cpu-step-out',
        policyType: 'StepScaling',
        stepScaling: STEP_CONFIG,
        alarmNames: [ALARM],
      },
      {
        policyName: 'cpu-target',
        policyType: 'TargetTrackingScaling',
        targetTracking: TARGET_CONFIG,
        alarmNames: [],
      },
    ]);
    expect(scaling?.alarms.map((a) => [a.putMetricAlarmInput.AlarmName, a.policyNames])).toEqual([
      [ALARM, ['cpu-step-out']],
    ]);
    expect(scaling?.alarms[0]?.putMetricAlarmInput).not.toHaveProperty('AlarmActions');
    expect(scaling?.scheduledActions).toEqual([
      {
        scheduledActionName: 'business-hours',
        schedule: SCHEDULED_ACTION.Schedule,
        timezone: 'Europe/Paris',
        scalableTargetAction: { minCapacity: 4, maxCapacity: 6 },
      },
    ]);
  });

  it('plans the scaling it restores (min and max after scaling, policy names)', async () => {
    const result = await run({ dryRun: true, desiredCountPercent: 50 }, 'scaling-plan');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const plan = (result.output as { plan: RestorePlan }).plan;
    const api = plan.services.find((s) => s.key === SERVICE);
    expect(api?.desiredCount).toBe(1);
    expect(api?.scaling).toMatchObject({
      resourceId: RESOURCE_ID,
      minCapacity: 1,
      maxCapacity: 6,
      scheduledActions: [
        expect.objectContaining({ scalableTargetAction: { minCapacity: 2, maxCapacity: 6 } }),
      ],
    });
    expect(api?.scaling?.policies.map((p) => p.policyName)).toEqual(['cpu-step-out', 'cpu-target']);
  });

  it('restores them in the DR region as captured, the alarm acting on the DR step policy', async () => {
    const result = await run({ dryRun: false, desiredCountPercent: 100 }, 'scaling-1');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const reported = (result.output as ReportResult).report.services.find((s) => s.service === SERVICE);
    expect(reported).toMatchObject({
      status: 'created',
      scaling: { policies: 2, alarms: 1, scheduledActions: 1 },
    });

    const dr = await scalingIn(DR);
    const primary = await scalingIn(PRIMARY);
    expect(dr).toEqual(primary);
    expect(dr.alarm?.actionsNameTheStepPolicy).toBe(true);
    expect(dr.alarm?.dimensions).toEqual([
      { Name: 'ClusterName', Value: 'shop' },
      { Name: 'ServiceName', Value: 'api' },
    ]);
    expect(dr.target).toEqual({ min: 2, max: 6 });
  });

  it('changes nothing when run again', async () => {
    const before = await scalingIn(DR);
    const result = await run({ dryRun: false, desiredCountPercent: 100 }, 'scaling-2');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const reported = (result.output as ReportResult).report.services.find((s) => s.service === SERVICE);
    expect(reported?.status).toBe('unchanged');
    expect(await scalingIn(DR)).toEqual(before);
  });

  it('fails the service, naming the alarm, when its scaling cannot be restored', async () => {
    // A recovery point (sealed, valid) whose step alarm triggers a policy it does not hold.
    const { checksum: _checksum, ...body } = structuredClone(manifest);
    const broken = sealManifest({
      ...body,
      id: 'rp-20200103T000000000Z-5ca1e0',
      services: body.services.map((s) =>
        s.scaling
          ? {
              ...s,
              scaling: {
                ...s.scaling,
                alarms: s.scaling.alarms.map((a) => ({ ...a, policyNames: ['gone'] })),
              },
            }
          : s,
      ),
    });
    await catalogStoreFor(ctx.clients, { region: DR, bucket: BUCKET }).commit(broken);

    const result = await run({ dryRun: false, recoveryPoint: broken.id }, 'scaling-broken');

    const reported = result.report?.report.services.find((s) => s.service === SERVICE);
    expect(reported?.status).toBe('failed');
    expect(reported?.error?.name).toBe('ScalingRestoreError');
    expect(reported?.error?.message).toContain(`alarm ${ALARM} could not be restored`);
    expect(reported?.error?.message).toContain('policy gone');
  });

  it('halves the minimum at desiredCountPercent 50 as it halves the desired count', async () => {
    const result = await run({ dryRun: false, desiredCountPercent: 50 }, 'scaling-half');
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const dr = await scalingIn(DR);
    expect(dr.target).toEqual({ min: 1, max: 6 });
    expect(dr.scheduledActions[0]?.bounds).toEqual({ MinCapacity: 2, MaxCapacity: 6 });
    expect(dr.alarm?.actionsNameTheStepPolicy).toBe(true);
  });
});
