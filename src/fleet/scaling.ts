import type { ScalingPolicyRecord, ScheduledActionRecord, ServiceScalingRecord } from '../catalog/manifest';
import type { Finding } from '../kernel/findings';

/** The Application Auto Scaling namespace and dimension of an ECS service's desired count. */
export const ECS_SERVICE_NAMESPACE = 'ecs';
export const ECS_DESIRED_COUNT_DIMENSION = 'ecs:service:DesiredCount';

/** The Application Auto Scaling resource id of an ECS service. */
export function ecsScalingResourceId(clusterName: string, serviceName: string): string {
  return `service/${clusterName}/${serviceName}`;
}

/**
 * A count scaled by the restore's `desiredCountPercent`, rounded up so a running service keeps at
 * least one task; 0 stays 0. The one rule for desired counts and scaling minimums alike.
 */
export function scaledDesiredCount(source: number, percent: number): number {
  return source <= 0 ? 0 : Math.ceil((source * percent) / 100);
}

/** An alarm to put in the DR region: AlarmActions are the DR ARNs of `policyNames`. */
export interface DrScalingAlarm {
  readonly alarmName: string;
  readonly policyNames: string[];
  /** The PutMetricAlarm input without actions, its ECS dimensions naming the DR cluster. */
  readonly putMetricAlarmInput: Record<string, unknown> & { AlarmName: string };
}

/** What the restore registers for a service in the DR region (see `retargetScaling`). */
export interface DrScaling {
  readonly resourceId: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly suspendedState?: ServiceScalingRecord['suspendedState'];
  readonly policies: ScalingPolicyRecord[];
  readonly scheduledActions: ScheduledActionRecord[];
  readonly alarms: DrScalingAlarm[];
}

/** What the restore put in the DR region for a service's scaling (its result's `scaling`). */
export interface ScalingOutcome {
  readonly policies: number;
  readonly alarms: number;
  readonly scheduledActions: number;
}

export interface ScalingTarget {
  /** Cluster of the captured service (its alarms' `ClusterName` dimension). */
  readonly sourceClusterName: string;
  readonly drClusterName: string;
  readonly serviceName: string;
  /** The restore input's `desiredCountPercent` (1–100 and beyond; 100 changes nothing). */
  readonly desiredCountPercent: number;
}

/**
 * The captured scaling of a service, for the DR region: the resource id names the DR cluster, so
 * do the `ClusterName` dimensions of its alarms and customised metrics; names are kept. Minimum
 * capacities (of the target and of scheduled actions) are scaled like the desired count
 * (`scaledDesiredCount`); a maximum is kept but never below its scaled minimum.
 */
export function retargetScaling(record: ServiceScalingRecord, target: ScalingTarget): DrScaling {
  const dims = (value: unknown): unknown => retargetDimensions(value, target);
  const bounds = scaledBounds(record.minCapacity, record.maxCapacity, target.desiredCountPercent);
  return {
    resourceId: ecsScalingResourceId(target.drClusterName, target.serviceName),
    minCapacity: bounds.min,
    maxCapacity: bounds.max,
    ...(record.suspendedState ? { suspendedState: { ...record.suspendedState } } : {}),
    policies: record.policies.map((p) => ({
      ...p,
      ...(p.targetTracking ? { targetTracking: dims(p.targetTracking) as Record<string, unknown> } : {}),
      ...(p.stepScaling ? { stepScaling: { ...p.stepScaling } } : {}),
      alarmNames: [...p.alarmNames],
    })),
    scheduledActions: record.scheduledActions.map((a) => scaledAction(a, target.desiredCountPercent)),
    alarms: record.alarms.map((a) => ({
      alarmName: a.putMetricAlarmInput.AlarmName,
      policyNames: [...a.policyNames],
      putMetricAlarmInput: dims(a.putMetricAlarmInput) as DrScalingAlarm['putMetricAlarmInput'],
    })),
  };
}

/** min scaled by `percent`; max kept, raised to the scaled min when it would be below it. */
export function scaledBounds(min: number, max: number, percent: number): { min: number; max: number } {
  const scaledMin = scaledDesiredCount(min, percent);
  return { min: scaledMin, max: Math.max(max, scaledMin) };
}

function scaledAction(action: ScheduledActionRecord, percent: number): ScheduledActionRecord {
  const bounds = action.scalableTargetAction;
  if (!bounds) return { ...action };
  const min = bounds.minCapacity === undefined ? undefined : scaledDesiredCount(bounds.minCapacity, percent);
  const max =
    bounds.maxCapacity === undefined ? undefined : Math.max(bounds.maxCapacity, min ?? bounds.maxCapacity);
  return {
    ...action,
    scalableTargetAction: {
      ...(min !== undefined ? { minCapacity: min } : {}),
      ...(max !== undefined ? { maxCapacity: max } : {}),
    },
  };
}

/**
 * A copy of `value` in which every `Dimensions` list (alarm, `Metrics[].MetricStat.Metric`,
 * customised metric specification) names the DR cluster in place of the source one.
 */
function retargetDimensions(value: unknown, target: ScalingTarget): unknown {
  if (Array.isArray(value)) return value.map((v) => retargetDimensions(v, target));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === 'Dimensions' && Array.isArray(v)
        ? v.map((d) => retargetDimension(d, target))
        : retargetDimensions(v, target);
  }
  return out;
}

function retargetDimension(dimension: unknown, target: ScalingTarget): unknown {
  if (dimension === null || typeof dimension !== 'object') return dimension;
  const d = dimension as { Name?: unknown; Value?: unknown };
  if (d.Name === 'ClusterName' && d.Value === target.sourceClusterName)
    return { ...d, Value: target.drClusterName };
  return { ...d };
}

/**
 * What the restore of a service's scaling cannot carry over by itself: a target tracking policy on
 * a load balancer metric names the primary load balancer and target group in its `ResourceLabel`,
 * which the DR region refuses (warning SCALING_RESOURCE_LABEL: the service fails at that policy).
 */
export function scalingFindings(record: ServiceScalingRecord): Omit<Finding, 'service'>[] {
  return record.policies.flatMap((p) => {
    const spec = p.targetTracking?.PredefinedMetricSpecification as { ResourceLabel?: unknown } | undefined;
    if (typeof spec?.ResourceLabel !== 'string' || spec.ResourceLabel === '') return [];
    return [
      {
        severity: 'warning' as const,
        code: 'SCALING_RESOURCE_LABEL',
        resource: p.policyName,
        message: `Target tracking policy ${p.policyName} scales on the primary load balancer and target group ${spec.ResourceLabel}; Lifeboat does not retarget it, so Application Auto Scaling in the DR region refuses the policy and the service's restore fails at it.`,
        fix: `Put the policy again in the DR region with the DR load balancer's ResourceLabel once the service is restored, or scale the service on CPU or memory.`,
      },
    ];
  });
}
