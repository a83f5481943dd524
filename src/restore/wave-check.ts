import { restoreRunResultKey } from '../catalog/keys';
import { describeServiceStates, type ServiceState } from '../fleet/aws/deploy';
import { registerEmulatorTargets, type TargetHealthCount, targetHealth } from '../fleet/aws/load-balancing';
import type { RestoreContext } from './context';
import type { ServiceResult } from './service';

export interface WaveCheckState {
  /** Checks made so far (0 before the first). */
  readonly attempts: number;
  /** ISO time after which the wave is reported as is; set by the first check. */
  readonly deadline?: string;
}

export interface CheckWaveEvent {
  readonly executionName: string;
  readonly wave: number;
  /** Let the next wave start even when this one is not steady. */
  readonly continueOnWaveFailure: boolean;
  readonly results: readonly ServiceResult[];
  readonly previous: WaveCheckState;
  readonly waitForSteadyState: boolean;
  readonly steadyStateTimeoutSeconds: number;
}

export interface CheckedService extends ServiceResult {
  readonly wave: number;
  /** Steady state reached (absent when not waited for or the service was not restored). */
  readonly steady?: boolean;
  readonly runningCount?: number;
  readonly desiredCount?: number;
  /**
   * Healthy targets in the service's target groups (the fewest of them, when it has several), for
   * a service behind a load balancer; it is steady only with at least one when it runs tasks.
   */
  readonly healthyTargets?: number;
}

/**
 * A wave's last steady-state check, written by CheckWave when the wave settled
 * (`restore-runs/<execution>/waves/<n>.json`): the Report step reads it whether or not later
 * waves ran.
 */
export interface WaveRecord {
  readonly wave: number;
  /** Every service of the wave restored and (when waited for) steady. */
  readonly steady: boolean;
  /** The next wave may start: `steady`, or the input asked to continue on a wave failure. */
  readonly proceed: boolean;
  readonly services: CheckedService[];
}

export interface WaveCheck extends WaveCheckState {
  /** Nothing more to wait for: every restored service is steady, the deadline passed, or no wait was asked. */
  readonly settled: boolean;
  /** Every restored service is steady (or steady state is not waited for). */
  readonly stable: boolean;
  /** Every service of the wave was restored and is `stable`: the wave gate opens. */
  readonly steady: boolean;
  /** Settled and `steady`, or the input continues on a wave failure: the next wave may start. */
  readonly proceed: boolean;
  /** Why the next wave may not start (settled and not `proceed`). */
  readonly reason?: string;
  readonly services: CheckedService[];
}

const RESTORED = new Set(['created', 'updated', 'unchanged']);

/**
 * CheckWave: one bounded poll of the wave's restored services (DescribeServices by 10 per
 * cluster). The state machine waits and calls it again until `settled`. A settled wave is
 * recorded in the catalog (`restore-runs/<execution>/waves/<n>.json`) and gates the next one:
 * `proceed` only when every service of the wave was restored and is steady, unless the input
 * says `continueOnWaveFailure`.
 */
export async function checkWave(ctx: RestoreContext, event: CheckWaveEvent): Promise<WaveCheck> {
  const now = ctx.now();
  const withWave = (r: ServiceResult): CheckedService => ({ ...r, wave: event.wave });
  if (!event.waitForSteadyState) {
    return settle(ctx, event, {
      attempts: event.previous.attempts,
      stable: true,
      services: event.results.map(withWave),
    });
  }
  const deadline =
    event.previous.deadline ?? new Date(now.getTime() + event.steadyStateTimeoutSeconds * 1000).toISOString();
  const restored = event.results.filter((r) => RESTORED.has(r.status));
  const byCluster = new Map<string, string[]>();
  for (const r of restored) {
    const [cluster, name] = r.service.split('/') as [string, string];
    byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), name]);
  }
  const described = new Map<string, ServiceState>();
  const ecs = ctx.clients.ecs(ctx.region);
  for (const [cluster, names] of byCluster) {
    for (const [name, state] of await describeServiceStates(ecs, cluster, names)) {
      described.set(`${cluster}/${name}`, state);
    }
  }
  const health = await targetHealthOf(ctx, [...described.values()]);
  const services = event.results.map((r): CheckedService => {
    if (!RESTORED.has(r.status)) return withWave(r);
    const s = described.get(r.service);
    const healthy =
      s && s.targetGroupArns.length > 0
        ? Math.min(...s.targetGroupArns.map((arn) => health.get(arn)?.healthy ?? 0))
        : undefined;
    // Behind a load balancer, a service that runs tasks is steady once each target group has a
    // healthy target: ECS's own steady state says nothing of the load balancer's health checks.
    const healthOk = healthy === undefined || (s?.desiredCount ?? 0) === 0 || healthy > 0;
    return {
      ...withWave(r),
      steady: s ? s.steady && healthOk : false,
      ...(typeof s?.runningCount === 'number' ? { runningCount: s.runningCount } : {}),
      ...(typeof s?.desiredCount === 'number' ? { desiredCount: s.desiredCount } : {}),
      ...(healthy !== undefined ? { healthyTargets: healthy } : {}),
    };
  });
  const stable = services.every((s) => s.steady !== false);
  const check = { attempts: event.previous.attempts + 1, deadline, stable, services };
  if (stable || now.getTime() >= Date.parse(deadline)) return settle(ctx, event, check);
  return { ...check, settled: false, steady: false, proceed: false };
}

/**
 * Registered and healthy targets of the target groups of the services that are steady in ECS
 * (DescribeTargetHealth, one call a group; none without a load balancer). Against an emulator,
 * whose ECS registers no tasks with target groups, a group without targets first gets one
 * stand-in target per running task (`registerEmulatorTargets`), as ECS would register them.
 */
async function targetHealthOf(
  ctx: RestoreContext,
  states: readonly ServiceState[],
): Promise<Map<string, TargetHealthCount>> {
  const balanced = states.filter((s) => s.steady && s.targetGroupArns.length > 0);
  if (balanced.length === 0) return new Map();
  const elbv2 = ctx.clients.elbv2(ctx.region);
  const arns = balanced.flatMap((s) => s.targetGroupArns);
  const health = await targetHealth(elbv2, arns);
  if (ctx.clients.target.endpoint === undefined) return health;
  const empty = balanced.filter((s) => s.targetGroupArns.some((arn) => health.get(arn)?.registered === 0));
  if (empty.length === 0) return health;
  for (const s of empty) {
    for (const arn of s.targetGroupArns) {
      if (health.get(arn)?.registered === 0)
        await registerEmulatorTargets(elbv2, arn, s.runningCount ?? 0, undefined);
    }
  }
  ctx.log?.warn(
    "The emulator's ECS registers no targets; stand-in targets were registered for the running tasks",
    {
      targetGroups: [...new Set(empty.flatMap((s) => s.targetGroupArns))],
    },
  );
  return targetHealth(elbv2, arns);
}

/** The wave's final check: recorded in the catalog, with the gate's decision. */
async function settle(
  ctx: RestoreContext,
  event: CheckWaveEvent,
  check: Omit<WaveCheck, 'settled' | 'steady' | 'proceed' | 'reason'>,
): Promise<WaveCheck> {
  const failed = check.services.filter((s) => !RESTORED.has(s.status)).map((s) => s.service);
  const notSteady = check.services.filter((s) => s.steady === false).map((s) => s.service);
  const steady = failed.length === 0 && notSteady.length === 0;
  const proceed = steady || event.continueOnWaveFailure;
  const why = [
    ...(failed.length > 0 ? [`${failed.join(', ')} not restored`] : []),
    ...(notSteady.length > 0 ? [`${notSteady.join(', ')} not steady before the timeout`] : []),
  ].join('; ');
  const record: WaveRecord = { wave: event.wave, steady, proceed, services: check.services };
  await ctx.runs.put(restoreRunResultKey(event.executionName, record), record);
  if (!steady) ctx.log?.warn('Wave not steady', { wave: event.wave, proceed, why });
  return {
    ...check,
    settled: true,
    steady,
    proceed,
    ...(proceed ? {} : { reason: `wave ${event.wave}: ${why}` }),
  };
}
