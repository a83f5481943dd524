import { restoreRunResultKey } from '../catalog/keys';
import { describeServiceStates, type ServiceState } from '../fleet/aws/deploy';
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
  const services = event.results.map((r): CheckedService => {
    if (!RESTORED.has(r.status)) return withWave(r);
    const s = described.get(r.service);
    return {
      ...withWave(r),
      steady: s ? s.steady : false,
      ...(typeof s?.runningCount === 'number' ? { runningCount: s.runningCount } : {}),
      ...(typeof s?.desiredCount === 'number' ? { desiredCount: s.desiredCount } : {}),
    };
  });
  const stable = services.every((s) => s.steady !== false);
  const check = { attempts: event.previous.attempts + 1, deadline, stable, services };
  if (stable || now.getTime() >= Date.parse(deadline)) return settle(ctx, event, check);
  return { ...check, settled: false, steady: false, proceed: false };
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
