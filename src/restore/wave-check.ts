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
  readonly wave: number;
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

export interface WaveCheck extends WaveCheckState {
  /** Nothing more to wait for: every restored service is steady, the deadline passed, or no wait was asked. */
  readonly settled: boolean;
  readonly stable: boolean;
  readonly services: CheckedService[];
}

const RESTORED = new Set(['created', 'updated', 'unchanged']);

/**
 * CheckWave: one bounded poll of the wave's restored services (DescribeServices by 10 per
 * cluster). The state machine waits and calls it again until `settled`.
 */
export async function checkWave(ctx: RestoreContext, event: CheckWaveEvent): Promise<WaveCheck> {
  const now = ctx.now();
  const withWave = (r: ServiceResult): CheckedService => ({ ...r, wave: event.wave });
  if (!event.waitForSteadyState) {
    return {
      attempts: event.previous.attempts,
      settled: true,
      stable: true,
      services: event.results.map(withWave),
    };
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
  const settled = stable || now.getTime() >= Date.parse(deadline);
  return { attempts: event.previous.attempts + 1, deadline, settled, stable, services };
}
