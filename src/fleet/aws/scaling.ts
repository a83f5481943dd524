import {
  type ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  PutScalingPolicyCommand,
  type PutScalingPolicyCommandInput,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
  type ScalableTarget,
  type ScalingPolicy,
  type ScheduledAction,
} from '@aws-sdk/client-application-auto-scaling';
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import type {
  ScalingAlarmRecord,
  ScalingPolicyRecord,
  ScheduledActionRecord,
  ServiceScalingRecord,
  Tag,
} from '../../catalog/manifest';
import { chunk, mapConcurrent } from '../../kernel/concurrency';
import { allPages } from '../../kernel/pages';
import { ScalingRestoreError } from '../errors';
import {
  type DrScaling,
  ECS_DESIRED_COUNT_DIMENSION,
  ECS_SERVICE_NAMESPACE,
  ecsScalingResourceId,
  type ScalingOutcome,
} from '../scaling';

/** Resource ids per DescribeScalableTargets call (the API's maximum). */
export const SCALABLE_TARGET_IDS_MAX = 50;
/** Alarm names per DescribeAlarms call (the API's maximum). */
export const ALARM_NAMES_MAX = 100;

export interface ScalingService {
  readonly clusterName: string;
  readonly serviceName: string;
}

/** A scaling read that failed or was left out, for the service `resourceId` ("cluster/service"). */
export interface ScalingNote {
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export interface ScalingCapture {
  /** By "cluster/service"; a service with no scalable target (or whose reads failed) has none. */
  readonly records: Map<string, ServiceScalingRecord>;
  /** Reads that failed: the service's scaling is not in the recovery point. */
  readonly failures: ScalingNote[];
  /** What was captured only in part (a policy type Lifeboat does not restore). */
  readonly warnings: ScalingNote[];
}

/**
 * Reads the Application Auto Scaling of the services: one DescribeScalableTargets per 50
 * services (plus pages) whether or not they scale; then, for each service with a scalable
 * target, one DescribeScalingPolicies and one DescribeScheduledActions (plus pages); then one
 * DescribeAlarms per 100 alarms that trigger step policies. A failed read leaves the services it
 * covered without scaling and is reported in `failures`; the others are still captured.
 */
export async function captureScaling(
  autoscaling: ApplicationAutoScalingClient,
  cloudwatch: CloudWatchClient,
  services: readonly ScalingService[],
  concurrency: number,
): Promise<ScalingCapture> {
  const failures: ScalingNote[] = [];
  const warnings: ScalingNote[] = [];
  const byResourceId = new Map(
    services.map((s) => [
      ecsScalingResourceId(s.clusterName, s.serviceName),
      `${s.clusterName}/${s.serviceName}`,
    ]),
  );
  const targets: ScalableTarget[] = [];
  await mapConcurrent(
    chunk([...byResourceId.keys()].sort(), SCALABLE_TARGET_IDS_MAX),
    concurrency,
    async (ids) => {
      try {
        targets.push(
          ...(await allPages(async (NextToken) => {
            const res = await autoscaling.send(
              new DescribeScalableTargetsCommand({
                ServiceNamespace: ECS_SERVICE_NAMESPACE,
                ScalableDimension: ECS_DESIRED_COUNT_DIMENSION,
                ResourceIds: ids,
                NextToken,
              }),
            );
            return { items: res.ScalableTargets ?? [], next: res.NextToken };
          })),
        );
      } catch (error) {
        for (const id of ids)
          failures.push(failed(byResourceId.get(id) ?? id, 'DescribeScalableTargets', error));
      }
    },
  );

  interface PendingScaling {
    readonly key: string;
    readonly record: ServiceScalingRecord;
    /** Step policy ARNs by alarm name. */
    readonly alarmPolicies: Map<string, string[]>;
  }
  const found = targets
    .filter((t) => t.ResourceId !== undefined && byResourceId.has(t.ResourceId))
    .sort((a, b) => compare(a.ResourceId ?? '', b.ResourceId ?? ''));
  const partials = await mapConcurrent(
    found,
    concurrency,
    async (target): Promise<PendingScaling | undefined> => {
      const resourceId = target.ResourceId as string;
      const key = byResourceId.get(resourceId) as string;
      const scope = {
        ServiceNamespace: ECS_SERVICE_NAMESPACE,
        ResourceId: resourceId,
        ScalableDimension: ECS_DESIRED_COUNT_DIMENSION,
      } as const;
      let policies: ScalingPolicy[];
      let actions: ScheduledAction[];
      try {
        policies = await allPages(async (NextToken) => {
          const res = await autoscaling.send(new DescribeScalingPoliciesCommand({ ...scope, NextToken }));
          return { items: res.ScalingPolicies ?? [], next: res.NextToken };
        });
      } catch (error) {
        failures.push(failed(key, 'DescribeScalingPolicies', error));
        return undefined;
      }
      try {
        actions = await allPages(async (NextToken) => {
          const res = await autoscaling.send(new DescribeScheduledActionsCommand({ ...scope, NextToken }));
          return { items: res.ScheduledActions ?? [], next: res.NextToken };
        });
      } catch (error) {
        failures.push(failed(key, 'DescribeScheduledActions', error));
        return undefined;
      }
      const alarmPolicies = new Map<string, string[]>();
      const policyRecords: ScalingPolicyRecord[] = [];
      for (const p of policies.filter((p) => p.ResourceId === resourceId)) {
        const record = policyRecord(p);
        if (!record) {
          warnings.push({
            resourceId: key,
            code: 'ScalingPolicyNotCaptured',
            message: `Scaling policy ${p.PolicyName} of ${key} is a ${p.PolicyType} policy; Lifeboat restores target tracking and step scaling policies only, so it is not in the recovery point.`,
          });
          continue;
        }
        policyRecords.push(record);
        for (const name of record.alarmNames) {
          alarmPolicies.set(name, [...(alarmPolicies.get(name) ?? []), record.policyName]);
        }
      }
      return {
        key,
        alarmPolicies,
        record: {
          minCapacity: target.MinCapacity ?? 0,
          maxCapacity: target.MaxCapacity ?? target.MinCapacity ?? 0,
          ...(target.SuspendedState ? { suspendedState: suspendedState(target.SuspendedState) } : {}),
          policies: policyRecords.sort((a, b) => compare(a.policyName, b.policyName)),
          scheduledActions: actions
            .filter((a) => a.ResourceId === resourceId)
            .map(scheduledActionRecord)
            .sort((a, b) => compare(a.scheduledActionName, b.scheduledActionName)),
          alarms: [],
        },
      };
    },
  );

  const ready = partials.filter((p): p is PendingScaling => p !== undefined);
  const alarmNames = [...new Set(ready.flatMap((p) => [...p.alarmPolicies.keys()]))].sort();
  const alarms = new Map<string, MetricAlarm>();
  const unread = new Map<string, unknown>();
  await mapConcurrent(chunk(alarmNames, ALARM_NAMES_MAX), concurrency, async (names) => {
    try {
      const page = await allPages(async (NextToken) => {
        const res = await cloudwatch.send(
          new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm'], NextToken }),
        );
        return { items: res.MetricAlarms ?? [], next: res.NextToken };
      });
      for (const a of page) if (a.AlarmName) alarms.set(a.AlarmName, a);
    } catch (error) {
      for (const name of names) unread.set(name, error);
    }
  });

  const records = new Map<string, ServiceScalingRecord>();
  for (const p of ready) {
    const alarmRecords: ScalingAlarmRecord[] = [];
    let complete = true;
    for (const [name, policyNames] of [...p.alarmPolicies].sort(([a], [b]) => compare(a, b))) {
      const alarm = alarms.get(name);
      if (alarm) {
        alarmRecords.push({ policyNames: [...policyNames].sort(), putMetricAlarmInput: alarmInput(alarm) });
        continue;
      }
      complete = false;
      const error = unread.get(name);
      failures.push(
        error !== undefined
          ? failed(p.key, 'DescribeAlarms', error)
          : {
              resourceId: p.key,
              code: 'AlarmNotFound',
              message: `Alarm ${name}, which triggers scaling policy ${policyNames.join(', ')} of ${p.key}, was not found by DescribeAlarms.`,
            },
      );
    }
    if (complete) records.set(p.key, { ...p.record, alarms: alarmRecords });
  }
  return { records, failures, warnings };
}

/**
 * Puts a service's scaling in the DR region: RegisterScalableTarget (tagged), PutScalingPolicy
 * for each policy, PutMetricAlarm for each step alarm with its actions set to the DR policies'
 * ARNs (tagged when created), PutScheduledAction for each scheduled action. Every call is an
 * upsert, so a re-run puts the same again. Throws ScalingRestoreError naming what was refused.
 */
export async function applyScaling(
  autoscaling: ApplicationAutoScalingClient,
  cloudwatch: CloudWatchClient,
  scaling: DrScaling,
  tags: readonly Tag[],
): Promise<ScalingOutcome> {
  const scope = {
    ServiceNamespace: ECS_SERVICE_NAMESPACE,
    ResourceId: scaling.resourceId,
    ScalableDimension: ECS_DESIRED_COUNT_DIMENSION,
  } as const;
  const step = async <T>(item: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw new ScalingRestoreError(scaling.resourceId, item, awsErrorCode(error), awsErrorMessage(error), {
        cause: error,
      });
    }
  };
  await step('scalable target', () =>
    autoscaling.send(
      new RegisterScalableTargetCommand({
        ...scope,
        MinCapacity: scaling.minCapacity,
        MaxCapacity: scaling.maxCapacity,
        ...(scaling.suspendedState
          ? {
              SuspendedState: {
                DynamicScalingInSuspended: scaling.suspendedState.dynamicScalingInSuspended,
                DynamicScalingOutSuspended: scaling.suspendedState.dynamicScalingOutSuspended,
                ScheduledScalingSuspended: scaling.suspendedState.scheduledScalingSuspended,
              },
            }
          : {}),
        ...(tags.length > 0 ? { Tags: Object.fromEntries(tags.map((t) => [t.key, t.value])) } : {}),
      }),
    ),
  );
  const policyArns = new Map<string, string>();
  for (const policy of scaling.policies) {
    const res = await step(`policy ${policy.policyName}`, async () => {
      const out = await autoscaling.send(new PutScalingPolicyCommand(policyInput(scope, policy)));
      if (!out.PolicyARN) throw new Error('PutScalingPolicy returned no PolicyARN');
      return out;
    });
    policyArns.set(policy.policyName, res.PolicyARN as string);
  }
  for (const alarm of scaling.alarms) {
    await step(`alarm ${alarm.alarmName}`, async () => {
      const actions = alarm.policyNames.map((name) => {
        const arn = policyArns.get(name);
        if (!arn) throw new Error(`it triggers policy ${name}, which is not in the recovery point`);
        return arn;
      });
      const input = {
        ...(alarm.putMetricAlarmInput as unknown as PutMetricAlarmCommandInput),
        AlarmActions: actions,
        ...(tags.length > 0 ? { Tags: tags.map((t) => ({ Key: t.key, Value: t.value })) } : {}),
      };
      return cloudwatch.send(new PutMetricAlarmCommand(input));
    });
  }
  for (const action of scaling.scheduledActions) {
    await step(`scheduled action ${action.scheduledActionName}`, () =>
      autoscaling.send(
        new PutScheduledActionCommand({
          ...scope,
          ScheduledActionName: action.scheduledActionName,
          Schedule: action.schedule,
          ...(action.timezone ? { Timezone: action.timezone } : {}),
          ...(action.startTime ? { StartTime: new Date(action.startTime) } : {}),
          ...(action.endTime ? { EndTime: new Date(action.endTime) } : {}),
          ...(action.scalableTargetAction
            ? {
                ScalableTargetAction: {
                  MinCapacity: action.scalableTargetAction.minCapacity,
                  MaxCapacity: action.scalableTargetAction.maxCapacity,
                },
              }
            : {}),
        }),
      ),
    );
  }
  return {
    policies: scaling.policies.length,
    alarms: scaling.alarms.length,
    scheduledActions: scaling.scheduledActions.length,
  };
}

function policyInput(
  scope: Pick<PutScalingPolicyCommandInput, 'ServiceNamespace' | 'ResourceId' | 'ScalableDimension'>,
  policy: ScalingPolicyRecord,
): PutScalingPolicyCommandInput {
  return {
    ...scope,
    PolicyName: policy.policyName,
    PolicyType: policy.policyType,
    ...(policy.targetTracking
      ? {
          TargetTrackingScalingPolicyConfiguration:
            policy.targetTracking as unknown as PutScalingPolicyCommandInput['TargetTrackingScalingPolicyConfiguration'],
        }
      : {}),
    ...(policy.stepScaling
      ? {
          StepScalingPolicyConfiguration:
            policy.stepScaling as PutScalingPolicyCommandInput['StepScalingPolicyConfiguration'],
        }
      : {}),
  };
}

function policyRecord(p: ScalingPolicy): ScalingPolicyRecord | undefined {
  if (!p.PolicyName) return undefined;
  if (p.PolicyType === 'TargetTrackingScaling' && p.TargetTrackingScalingPolicyConfiguration) {
    // The alarms of a target tracking policy are Application Auto Scaling's own: it makes them again.
    return {
      policyName: p.PolicyName,
      policyType: 'TargetTrackingScaling',
      targetTracking: plain(p.TargetTrackingScalingPolicyConfiguration),
      alarmNames: [],
    };
  }
  if (p.PolicyType === 'StepScaling' && p.StepScalingPolicyConfiguration) {
    return {
      policyName: p.PolicyName,
      policyType: 'StepScaling',
      stepScaling: plain(p.StepScalingPolicyConfiguration),
      alarmNames: [...new Set((p.Alarms ?? []).flatMap((a) => (a.AlarmName ? [a.AlarmName] : [])))].sort(),
    };
  }
  return undefined;
}

function scheduledActionRecord(a: ScheduledAction): ScheduledActionRecord {
  const bounds = a.ScalableTargetAction;
  return {
    scheduledActionName: a.ScheduledActionName ?? '',
    schedule: a.Schedule ?? '',
    ...(a.Timezone ? { timezone: a.Timezone } : {}),
    ...(a.StartTime ? { startTime: isoOf(a.StartTime) } : {}),
    ...(a.EndTime ? { endTime: isoOf(a.EndTime) } : {}),
    ...(bounds && (bounds.MinCapacity !== undefined || bounds.MaxCapacity !== undefined)
      ? {
          scalableTargetAction: {
            ...(bounds.MinCapacity !== undefined ? { minCapacity: bounds.MinCapacity } : {}),
            ...(bounds.MaxCapacity !== undefined ? { maxCapacity: bounds.MaxCapacity } : {}),
          },
        }
      : {}),
  };
}

function suspendedState(
  s: NonNullable<ScalableTarget['SuspendedState']>,
): ServiceScalingRecord['suspendedState'] {
  return {
    ...(s.DynamicScalingInSuspended !== undefined
      ? { dynamicScalingInSuspended: s.DynamicScalingInSuspended }
      : {}),
    ...(s.DynamicScalingOutSuspended !== undefined
      ? { dynamicScalingOutSuspended: s.DynamicScalingOutSuspended }
      : {}),
    ...(s.ScheduledScalingSuspended !== undefined
      ? { scheduledScalingSuspended: s.ScheduledScalingSuspended }
      : {}),
  };
}

/** The members of a described alarm that PutMetricAlarm takes back, without its actions. */
const ALARM_INPUT_FIELDS = [
  'AlarmName',
  'AlarmDescription',
  'ActionsEnabled',
  'MetricName',
  'Namespace',
  'Statistic',
  'ExtendedStatistic',
  'Dimensions',
  'Period',
  'Unit',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
  'EvaluateLowSampleCountPercentile',
  'Metrics',
  'ThresholdMetricId',
] as const satisfies readonly (keyof MetricAlarm & keyof PutMetricAlarmCommandInput)[];

function alarmInput(alarm: MetricAlarm): ScalingAlarmRecord['putMetricAlarmInput'] {
  const out: Record<string, unknown> = {};
  for (const field of ALARM_INPUT_FIELDS) {
    const value = alarm[field];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[field] = plain(value);
  }
  return out as ScalingAlarmRecord['putMetricAlarmInput'];
}

/** A JSON copy without undefined and null members (what the SDK leaves in described shapes). */
function plain<T>(value: T): T & Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v) => (v === null ? undefined : v)));
}

function isoOf(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function failed(resourceId: string, call: string, error: unknown): ScalingNote {
  return {
    resourceId,
    code: awsErrorCode(error),
    message: `${call} for ${resourceId} failed: ${awsErrorMessage(error)}. Its Application Auto Scaling is not in the recovery point.`,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
