import {
  ApplicationAutoScalingClient,
  ApplicationAutoScalingServiceException,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { serviceScalingRecordSchema } from '../../../../src/catalog/manifest';
import { applyScaling, captureScaling } from '../../../../src/fleet/aws/scaling';
import { ScalingRestoreError } from '../../../../src/fleet/errors';
import { retargetScaling } from '../../../../src/fleet/scaling';

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const aasMock = mockClient(ApplicationAutoScalingClient);
const cwMock = mockClient(CloudWatchClient);
const aas = new ApplicationAutoScalingClient({ region: 'us-east-1', credentials });
const cw = new CloudWatchClient({ region: 'us-east-1', credentials });

afterAll(() => {
  aasMock.restore();
  cwMock.restore();
});

beforeEach(() => {
  aasMock.reset();
  cwMock.reset();
});

const api = { clusterName: 'shop', serviceName: 'api' };
const STEP_ARN =
  'arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:resource/ecs/service/shop/api:policyName/step-out';

function stubApiScaling(): void {
  aasMock.on(DescribeScalableTargetsCommand).resolves({
    ScalableTargets: [
      {
        ServiceNamespace: 'ecs',
        ResourceId: 'service/shop/api',
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 2,
        MaxCapacity: 6,
        RoleARN: 'arn:aws:iam::123456789012:role/aws-service-role/x',
        CreationTime: new Date(),
        SuspendedState: { DynamicScalingInSuspended: false },
      },
    ],
  });
  aasMock.on(DescribeScalingPoliciesCommand).resolves({
    ScalingPolicies: [
      {
        PolicyARN: STEP_ARN,
        PolicyName: 'step-out',
        ServiceNamespace: 'ecs',
        ResourceId: 'service/shop/api',
        ScalableDimension: 'ecs:service:DesiredCount',
        PolicyType: 'StepScaling',
        StepScalingPolicyConfiguration: {
          AdjustmentType: 'ChangeInCapacity',
          StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
        },
        Alarms: [
          {
            AlarmName: 'api-high-cpu',
            AlarmARN: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-high-cpu',
          },
        ],
        CreationTime: new Date(),
      },
      {
        PolicyARN: 'arn:p2',
        PolicyName: 'forecast',
        ServiceNamespace: 'ecs',
        ResourceId: 'service/shop/api',
        ScalableDimension: 'ecs:service:DesiredCount',
        PolicyType: 'PredictiveScaling',
        CreationTime: new Date(),
      },
    ],
  });
  aasMock.on(DescribeScheduledActionsCommand).resolves({
    ScheduledActions: [
      {
        ScheduledActionName: 'nightly',
        ScheduledActionARN: 'arn:s',
        ServiceNamespace: 'ecs',
        ResourceId: 'service/shop/api',
        ScalableDimension: 'ecs:service:DesiredCount',
        Schedule: 'cron(0 22 * * ? *)',
        Timezone: 'UTC',
        StartTime: new Date('2026-01-01T00:00:00.000Z'),
        ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 3 },
        CreationTime: new Date(),
      },
    ],
  });
  cwMock.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      {
        AlarmName: 'api-high-cpu',
        AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-high-cpu',
        AlarmActions: [STEP_ARN, 'arn:aws:sns:us-east-1:123456789012:ops'],
        OKActions: [],
        StateValue: 'OK',
        Namespace: 'AWS/ECS',
        MetricName: 'CPUUtilization',
        Dimensions: [
          { Name: 'ClusterName', Value: 'shop' },
          { Name: 'ServiceName', Value: 'api' },
        ],
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 3,
        Threshold: 75,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'missing',
      },
    ],
  });
}

describe('captureScaling (client mock: DescribeScalingPolicies names the alarms of step policies)', () => {
  it('records the target, the step policy with its alarm (without actions or state) and the scheduled action', async () => {
    stubApiScaling();

    const result = await captureScaling(aas, cw, [api], 4);

    expect(result.failures).toEqual([]);
    const record = result.records.get('shop/api');
    expect(serviceScalingRecordSchema.parse(record)).toEqual(record);
    expect(record).toEqual({
      minCapacity: 2,
      maxCapacity: 6,
      suspendedState: { dynamicScalingInSuspended: false },
      policies: [
        {
          policyName: 'step-out',
          policyType: 'StepScaling',
          stepScaling: {
            AdjustmentType: 'ChangeInCapacity',
            StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
          },
          alarmNames: ['api-high-cpu'],
        },
      ],
      scheduledActions: [
        {
          scheduledActionName: 'nightly',
          schedule: 'cron(0 22 * * ? *)',
          timezone: 'UTC',
          startTime: '2026-01-01T00:00:00.000Z',
          scalableTargetAction: { minCapacity: 1, maxCapacity: 3 },
        },
      ],
      alarms: [
        {
          policyNames: ['step-out'],
          putMetricAlarmInput: {
            AlarmName: 'api-high-cpu',
            Namespace: 'AWS/ECS',
            MetricName: 'CPUUtilization',
            Dimensions: [
              { Name: 'ClusterName', Value: 'shop' },
              { Name: 'ServiceName', Value: 'api' },
            ],
            Statistic: 'Average',
            Period: 60,
            EvaluationPeriods: 3,
            Threshold: 75,
            ComparisonOperator: 'GreaterThanThreshold',
            TreatMissingData: 'missing',
          },
        },
      ],
    });
    expect(result.warnings).toEqual([
      expect.objectContaining({ resourceId: 'shop/api', code: 'ScalingPolicyNotCaptured' }),
    ]);
    expect(cwMock.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toMatchObject({
      AlarmNames: ['api-high-cpu'],
    });
  });

  it('asks for 50 resource ids a call, and nothing more when no service scales', async () => {
    aasMock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    const services = Array.from({ length: 120 }, (_, i) => ({ clusterName: 'c', serviceName: `s${i}` }));

    const result = await captureScaling(aas, cw, services, 4);

    expect(result.records.size).toBe(0);
    const calls = aasMock.calls();
    expect(calls).toHaveLength(3);
    expect(
      aasMock.commandCalls(DescribeScalableTargetsCommand).map((c) => c.args[0].input.ResourceIds?.length),
    ).toEqual([50, 50, 20]);
    expect(cwMock.calls()).toHaveLength(0);
  });

  it('leaves out the scaling of a service whose policies cannot be read, as a failure naming it', async () => {
    stubApiScaling();
    aasMock.on(DescribeScalingPoliciesCommand).rejects(
      new ApplicationAutoScalingServiceException({
        name: 'AccessDeniedException',
        message: 'not allowed',
        $fault: 'client',
        $metadata: {},
      }),
    );

    const result = await captureScaling(aas, cw, [api], 4);

    expect(result.records.size).toBe(0);
    expect(result.failures).toEqual([
      expect.objectContaining({ resourceId: 'shop/api', code: 'AccessDeniedException' }),
    ]);
  });

  it('fails the service when an alarm of a step policy is not found', async () => {
    stubApiScaling();
    cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });

    const result = await captureScaling(aas, cw, [api], 4);

    expect(result.records.size).toBe(0);
    expect(result.failures).toEqual([
      expect.objectContaining({ resourceId: 'shop/api', code: 'AlarmNotFound' }),
    ]);
  });
});

describe('applyScaling (client mock)', () => {
  it('points each alarm at the DR ARN of its policy and names the alarm that fails', async () => {
    stubApiScaling();
    const record = (await captureScaling(aas, cw, [api], 4)).records.get('shop/api');
    if (!record) throw new Error('no record');
    const dr = retargetScaling(record, {
      sourceClusterName: 'shop',
      drClusterName: 'shop',
      serviceName: 'api',
      desiredCountPercent: 100,
    });
    aasMock.reset();
    cwMock.reset();
    aasMock.on(RegisterScalableTargetCommand).resolves({});
    aasMock.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn:dr-step' });
    aasMock.on(PutScheduledActionCommand).resolves({});
    cwMock
      .on(PutMetricAlarmCommand)
      .rejects(Object.assign(new Error('limit'), { name: 'LimitExceededFault' }));

    const failure = applyScaling(aas, cw, dr, [{ key: 'lifeboat:deployment', value: 'd' }]);

    await expect(failure).rejects.toBeInstanceOf(ScalingRestoreError);
    await expect(failure).rejects.toThrow(/alarm api-high-cpu could not be restored \(LimitExceededFault/);
    expect(cwMock.commandCalls(PutMetricAlarmCommand)[0]?.args[0].input).toMatchObject({
      AlarmName: 'api-high-cpu',
      AlarmActions: ['arn:dr-step'],
      Tags: [{ Key: 'lifeboat:deployment', Value: 'd' }],
    });
    expect(aasMock.commandCalls(RegisterScalableTargetCommand)[0]?.args[0].input).toMatchObject({
      ResourceId: 'service/shop/api',
      MinCapacity: 2,
      MaxCapacity: 6,
      Tags: { 'lifeboat:deployment': 'd' },
    });
    expect(aasMock.commandCalls(PutScheduledActionCommand)).toHaveLength(0);
  });
});
