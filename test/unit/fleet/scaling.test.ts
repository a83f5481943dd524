import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ServiceScalingRecord, serviceScalingRecordSchema } from '../../../src/catalog/manifest';
import {
  ecsScalingResourceId,
  retargetScaling,
  type ScalingTarget,
  scaledBounds,
  scaledDesiredCount,
} from '../../../src/fleet/scaling';

const target = (desiredCountPercent: number, drClusterName = 'shop'): ScalingTarget => ({
  sourceClusterName: 'shop',
  drClusterName,
  serviceName: 'api',
  desiredCountPercent,
});

const dims = [
  { Name: 'ClusterName', Value: 'shop' },
  { Name: 'ServiceName', Value: 'api' },
];

const captured: ServiceScalingRecord = serviceScalingRecordSchema.parse({
  minCapacity: 2,
  maxCapacity: 10,
  suspendedState: { dynamicScalingInSuspended: false },
  policies: [
    {
      policyName: 'cpu-target',
      policyType: 'TargetTrackingScaling',
      targetTracking: {
        TargetValue: 60,
        CustomizedMetricSpecification: {
          MetricName: 'CPUUtilization',
          Namespace: 'AWS/ECS',
          Dimensions: dims,
          Statistic: 'Average',
        },
      },
    },
    {
      policyName: 'step-out',
      policyType: 'StepScaling',
      stepScaling: {
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }],
        Cooldown: 60,
      },
      alarmNames: ['api-high-cpu'],
    },
  ],
  scheduledActions: [
    {
      scheduledActionName: 'nightly',
      schedule: 'cron(0 22 * * ? *)',
      timezone: 'Europe/Paris',
      scalableTargetAction: { minCapacity: 3, maxCapacity: 4 },
    },
  ],
  alarms: [
    {
      policyNames: ['step-out'],
      putMetricAlarmInput: {
        AlarmName: 'api-high-cpu',
        Namespace: 'AWS/ECS',
        MetricName: 'CPUUtilization',
        Dimensions: dims,
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 3,
        Threshold: 80,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      },
    },
  ],
});

describe('retargetScaling', () => {
  it('names the DR cluster in the resource id and the ClusterName dimensions', () => {
    const dr = retargetScaling(captured, target(100, 'shop-dr'));

    expect(dr.resourceId).toBe('service/shop-dr/api');
    expect(dr.alarms[0]?.putMetricAlarmInput.Dimensions).toEqual([
      { Name: 'ClusterName', Value: 'shop-dr' },
      { Name: 'ServiceName', Value: 'api' },
    ]);
    const spec = dr.policies[0]?.targetTracking?.CustomizedMetricSpecification as { Dimensions: unknown };
    expect(spec.Dimensions).toEqual([
      { Name: 'ClusterName', Value: 'shop-dr' },
      { Name: 'ServiceName', Value: 'api' },
    ]);
  });

  it('keeps policy and alarm names, and links each alarm to its policies by name', () => {
    const dr = retargetScaling(captured, target(100));

    expect(dr.policies.map((p) => p.policyName)).toEqual(['cpu-target', 'step-out']);
    expect(dr.alarms).toEqual([
      expect.objectContaining({ alarmName: 'api-high-cpu', policyNames: ['step-out'] }),
    ]);
  });

  it('changes nothing but the resource id at 100 percent', () => {
    const dr = retargetScaling(captured, target(100));

    expect(dr).toEqual({
      resourceId: 'service/shop/api',
      minCapacity: captured.minCapacity,
      maxCapacity: captured.maxCapacity,
      suspendedState: captured.suspendedState,
      policies: captured.policies,
      scheduledActions: captured.scheduledActions,
      alarms: captured.alarms.map((a) => ({
        alarmName: a.putMetricAlarmInput.AlarmName,
        policyNames: a.policyNames,
        putMetricAlarmInput: a.putMetricAlarmInput,
      })),
    });
  });

  it('halves the minimum at 50 percent like the desired count, and keeps the maximum', () => {
    const dr = retargetScaling(captured, target(50));

    expect(dr.minCapacity).toBe(scaledDesiredCount(2, 50));
    expect(dr.minCapacity).toBe(1);
    expect(dr.maxCapacity).toBe(10);
    expect(dr.scheduledActions[0]?.scalableTargetAction).toEqual({ minCapacity: 2, maxCapacity: 4 });
  });

  it('raises a maximum to the scaled minimum when the percent exceeds 100', () => {
    const dr = retargetScaling({ ...captured, minCapacity: 4, maxCapacity: 5 }, target(200));

    expect(dr).toMatchObject({ minCapacity: 8, maxCapacity: 8 });
    expect(dr.scheduledActions[0]?.scalableTargetAction).toEqual({ minCapacity: 6, maxCapacity: 6 });
  });

  it('leaves a scheduled action with only a maximum, or no bounds, as it is', () => {
    const dr = retargetScaling(
      {
        ...captured,
        scheduledActions: [
          { scheduledActionName: 'cap', schedule: 'rate(1 day)', scalableTargetAction: { maxCapacity: 3 } },
          { scheduledActionName: 'none', schedule: 'rate(1 day)' },
        ],
      },
      target(50),
    );

    expect(dr.scheduledActions).toEqual([
      { scheduledActionName: 'cap', schedule: 'rate(1 day)', scalableTargetAction: { maxCapacity: 3 } },
      { scheduledActionName: 'none', schedule: 'rate(1 day)' },
    ]);
  });

  it('does not touch another cluster named in a dimension, nor the captured record', () => {
    const record = serviceScalingRecordSchema.parse({
      ...captured,
      alarms: [
        {
          policyNames: ['step-out'],
          putMetricAlarmInput: {
            AlarmName: 'other',
            Dimensions: [{ Name: 'ClusterName', Value: 'payments' }],
          },
        },
      ],
    });
    const before = structuredClone(record);

    const dr = retargetScaling(record, target(100, 'shop-dr'));

    expect(dr.alarms[0]?.putMetricAlarmInput.Dimensions).toEqual([
      { Name: 'ClusterName', Value: 'payments' },
    ]);
    expect(record).toEqual(before);
  });

  it('retargets the dimensions of metric math alarms (Metrics[].MetricStat.Metric)', () => {
    const record = serviceScalingRecordSchema.parse({
      ...captured,
      alarms: [
        {
          policyNames: ['step-out'],
          putMetricAlarmInput: {
            AlarmName: 'math',
            Metrics: [
              {
                Id: 'm1',
                MetricStat: {
                  Metric: { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: dims },
                  Period: 60,
                  Stat: 'Average',
                },
              },
            ],
          },
        },
      ],
    });

    const dr = retargetScaling(record, target(100, 'shop-dr'));

    const metrics = dr.alarms[0]?.putMetricAlarmInput.Metrics as {
      MetricStat: { Metric: { Dimensions: unknown } };
    }[];
    expect(metrics[0]?.MetricStat.Metric.Dimensions).toEqual([
      { Name: 'ClusterName', Value: 'shop-dr' },
      { Name: 'ServiceName', Value: 'api' },
    ]);
  });
});

describe('scaledBounds', () => {
  const capacity = fc.integer({ min: 0, max: 10_000 });
  const percent = fc.integer({ min: 1, max: 1_000 });

  it('keeps min ≤ max, scales min like the desired count and never lowers max (property)', () => {
    fc.assert(
      fc.property(capacity, capacity, percent, (a, b, p) => {
        const [min, max] = a <= b ? [a, b] : [b, a];
        const scaled = scaledBounds(min, max, p);
        expect(scaled.min).toBe(scaledDesiredCount(min, p));
        expect(scaled.min).toBeLessThanOrEqual(scaled.max);
        expect(scaled.max).toBeGreaterThanOrEqual(max);
        if (scaled.min <= max) expect(scaled.max).toBe(max);
      }),
    );
  });

  it('is the identity at 100 percent (property)', () => {
    fc.assert(
      fc.property(capacity, capacity, (a, b) => {
        const [min, max] = a <= b ? [a, b] : [b, a];
        expect(scaledBounds(min, max, 100)).toEqual({ min, max });
      }),
    );
  });

  it('keeps every retargeted scheduled action within min ≤ max (property)', () => {
    fc.assert(
      fc.property(capacity, capacity, percent, (a, b, p) => {
        const [min, max] = a <= b ? [a, b] : [b, a];
        const dr = retargetScaling(
          {
            minCapacity: min,
            maxCapacity: max,
            policies: [],
            alarms: [],
            scheduledActions: [
              {
                scheduledActionName: 's',
                schedule: 'rate(1 hour)',
                scalableTargetAction: { minCapacity: min, maxCapacity: max },
              },
            ],
          },
          target(p),
        );
        const action = dr.scheduledActions[0]?.scalableTargetAction;
        expect(dr.minCapacity).toBeLessThanOrEqual(dr.maxCapacity);
        expect(action?.minCapacity).toBe(dr.minCapacity);
        expect(action?.minCapacity ?? 0).toBeLessThanOrEqual(action?.maxCapacity ?? 0);
        if (p === 100) expect(action).toEqual({ minCapacity: min, maxCapacity: max });
      }),
    );
  });

  it('keeps zero at zero and a non-zero minimum at least one', () => {
    expect(scaledBounds(0, 0, 50)).toEqual({ min: 0, max: 0 });
    expect(scaledBounds(1, 1, 1)).toEqual({ min: 1, max: 1 });
  });
});

describe('ecsScalingResourceId', () => {
  it('is service/<cluster>/<service>', () => {
    expect(ecsScalingResourceId('shop', 'api')).toBe('service/shop/api');
  });
});
