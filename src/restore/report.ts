import { awsErrorCode } from '../aws/errors';
import { publishReport } from '../catalog/aws/reports';
import { reportKey, restoreRunKey, restoreRunResultKey } from '../catalog/keys';
import { replacedPins } from '../catalog/pins';
import { RESTORE_INCOMPLETE_ERROR, WAVE_GATE_ERROR } from '../config/settings';
import type { ScalingOutcome } from '../fleet/scaling';
import { mapConcurrent } from '../kernel/concurrency';
import type { FindingSeverity } from '../kernel/findings';
import type { RestoreContext } from './context';
import type { ServicePlan } from './plan';
import type { RestoreRun } from './runs';
import type { ServiceOutcome, ServiceResult } from './service';
import type { CheckedService, WaveRecord } from './wave-check';

/** Largest report returned in the execution output (Step Functions payloads are limited to 256 KiB). */
export const REPORT_OUTPUT_LIMIT_BYTES = 200_000;

/** Catalog documents read at once when the report gathers what the steps recorded. */
const READ_CONCURRENCY = 8;

/** A step of the execution that failed after its retries; the state machine's Catch routed it to Report. */
export interface StepFailure {
  /** The state that failed, e.g. `Prepare`, `PrepareShared`, `RestoreWaves`. */
  readonly state: string;
  readonly error: string;
  readonly cause?: string;
}

export interface ReportEvent {
  readonly executionName: string;
  /** `$$.Execution.StartTime` (ISO 8601). */
  readonly startedAt: string;
  /** What the execution carried into Report: `failure` when a step failed or a wave gate stopped it. */
  readonly state?: { readonly failure?: StepFailure };
}

export interface ReportedService {
  readonly service: string;
  readonly wave: number;
  readonly status: ServiceOutcome;
  readonly taskDefinitionArn?: string;
  readonly taskDefinition?: 'registered' | 'reused';
  readonly steady?: boolean;
  /** Healthy targets in its target groups at the last check (a service behind a load balancer). */
  readonly healthyTargets?: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly error?: { readonly name: string; readonly message: string };
  /** How many scaling policies, step alarms and scheduled actions were put (services that scale). */
  readonly scaling?: ScalingOutcome;
}

export type VolumeOutcome = 'created' | 'existing' | 'attached-by-ecs' | 'skipped' | 'failed';

/** One EBS volume of a selected service and what the restore did with it. */
export interface ReportedVolume {
  /** "cluster/service" */
  readonly service: string;
  readonly kind: 'managed' | 'standalone';
  readonly volumeName?: string;
  readonly sourceVolumeId: string;
  /** Absent when the recovery point has no DR copy of the volume. */
  readonly drSnapshotId?: string;
  /** The volume the restore created or found (standalone volumes; ECS creates managed ones per task). */
  readonly drVolumeId?: string;
  readonly availabilityZone?: string;
  /** EC2 state of the DR volume when the restore created or found it. */
  readonly state?: string;
  /**
   * `created` / `existing` (standalone: made by this run / an earlier run); `attached-by-ecs`
   * (managed: the restored service creates it from the DR snapshot for each task); `skipped`
   * (not restored, `error` says why); `failed` (creating it failed; its service was not restored).
   */
  readonly outcome: VolumeOutcome;
  readonly error?: { readonly name: string; readonly message: string };
}

/** What became of one wave. */
export interface ReportedWave {
  readonly wave: number;
  /** `steady`: every service restored and steady; `not-steady`: it ran, not all are; `not-run`: it never started. */
  readonly status: 'steady' | 'not-steady' | 'not-run';
  readonly services: number;
  /** Why it is not steady, or why it did not run. */
  readonly reason?: string;
}

export interface RestoreReport {
  readonly reportVersion: 1;
  readonly executionName: string;
  readonly region: string;
  /** Absent when the execution failed before it loaded a recovery point (see `failure`). */
  readonly recoveryPoint?: {
    readonly id: string;
    readonly completedAt: string;
    readonly sourceRegion: string;
  };
  readonly comment?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Recovery time: end of the report minus start of the execution. */
  readonly rtoSeconds: number;
  /** Data loss window: execution start minus the recovery point's completion (absent without a recovery point). */
  readonly rpoSeconds?: number;
  /**
   * RESTORED: every selected service runs and is steady. INCOMPLETE: the restore ran, not every
   * service was restored (a wave gate may have stopped it). FAILED: a step failed (`failure`).
   */
  readonly outcome: 'RESTORED' | 'INCOMPLETE' | 'FAILED';
  /** The step that failed and why (outcome FAILED). */
  readonly failure?: StepFailure;
  /** Each restorable wave, in order: whether it ran and became steady. */
  readonly waves?: ReportedWave[];
  readonly services: ReportedService[];
  /** Every EBS volume of the selected services, by service. */
  readonly volumes: ReportedVolume[];
  readonly totals: {
    readonly selected: number;
    readonly restored: number;
    readonly created: number;
    readonly updated: number;
    readonly unchanged: number;
    readonly failed: number;
    readonly blocked: number;
    readonly notSteady: number;
  };
  readonly findings: Record<FindingSeverity, number>;
  /**
   * The recovery point of this restore, pinned (`pins/<id>.json`) while the services it restored
   * use its snapshots. Absent when it is not pinned (every selected service was blocked, or it was unpinned).
   */
  readonly pinned?: string;
  /**
   * Recovery points unpinned by this restore: it restored every service they were pinned for,
   * so those services no longer use their snapshots. Empty unless every selected service was restored.
   */
  readonly unpinned?: string[];
  /** Pin reads or unpins that failed: the restore's outcome stands, the pins are left as they were. */
  readonly pinWarnings?: string[];
}

export interface ReportResult {
  readonly allRestored: boolean;
  readonly reportKey: string;
  /** Services not restored (failed, blocked, not steady); empty when all were. */
  readonly failedServices: string[];
  /** The Fail state's error when not all were restored: the failed step's error, or RestoreIncomplete. */
  readonly error?: string;
  /** The Fail state's cause when not all were restored. */
  readonly cause?: string;
  readonly report: RestoreReport;
}

const RESTORED_STATUSES: ReadonlySet<string> = new Set(['created', 'updated', 'unchanged']);

/** The volumes of one planned service, joined with what its service step did. */
function reportVolumes(sp: ServicePlan, result: CheckedService | undefined): ReportedVolume[] {
  const restored = result !== undefined && RESTORED_STATUSES.has(result.status);
  const notRestored = {
    name: 'ServiceNotRestored',
    message: `the service was ${result?.status ?? (sp.blocked ? 'blocked' : 'not restored')}${result?.error ? ` (${result.error.name}: ${result.error.message})` : ''} before its volumes were restored`,
  };
  return sp.volumes.map((v): ReportedVolume => {
    const base = {
      service: sp.key,
      kind: v.kind,
      ...(v.volumeName !== undefined ? { volumeName: v.volumeName } : {}),
      sourceVolumeId: v.sourceVolumeId,
      ...(v.drSnapshotId ? { drSnapshotId: v.drSnapshotId } : {}),
    };
    if (v.kind === 'managed') {
      if (v.action === 'skip') {
        return {
          ...base,
          outcome: 'skipped',
          error: {
            name: 'NotAttached',
            message: v.drSnapshotId
              ? 'the service has no volume configuration of this name'
              : 'the recovery point has no DR snapshot of the volume',
          },
        };
      }
      return restored
        ? { ...base, outcome: 'attached-by-ecs' }
        : { ...base, outcome: 'skipped', error: notRestored };
    }
    const done = result?.volumes?.find((r) => r.sourceVolumeId === v.sourceVolumeId);
    if (done) {
      return {
        ...base,
        ...(done.drVolumeId ? { drVolumeId: done.drVolumeId } : {}),
        ...(done.availabilityZone ? { availabilityZone: done.availabilityZone } : {}),
        ...(done.state ? { state: done.state } : {}),
        outcome: done.outcome,
        ...(done.error ? { error: done.error } : {}),
      };
    }
    const zone = v.availabilityZone ? { availabilityZone: v.availabilityZone } : {};
    if (v.action === 'skip') {
      return {
        ...base,
        ...zone,
        outcome: 'skipped',
        error: v.drSnapshotId
          ? {
              name: 'NoDrZone',
              message: 'no availability zone of the DR region to create it in (see the findings)',
            }
          : { name: 'NoDrSnapshot', message: 'the recovery point has no DR snapshot of the volume' },
      };
    }
    return { ...base, ...zone, outcome: 'skipped', error: notRestored };
  });
}

/** Why the waves that did not start did not, from the failure that stopped the execution. */
function notRunReason(failure: StepFailure | undefined): string {
  if (failure === undefined) return 'the service was planned but has no result (its wave did not run)';
  if (failure.error === WAVE_GATE_ERROR) {
    return `an earlier wave did not become steady (${failure.cause ?? 'see the waves'}), so later waves did not start; pass "continueOnWaveFailure": true to start them anyway`;
  }
  return `the restore stopped at ${failure.state} (${failure.error}${failure.cause ? `: ${failure.cause}` : ''}) before this service was restored`;
}

/**
 * Builds the restore report from the plan and the results known by wave (the services of each
 * wave's last check, or the service results of a wave that never settled). `failure` is the step
 * failure or wave gate that stopped the execution early. Pure.
 */
export function buildReport(
  run: RestoreRun,
  waves: readonly (readonly CheckedService[])[],
  region: string,
  finishedAt: Date,
  failure?: StepFailure,
): RestoreReport {
  const { plan } = run;
  const results = new Map(waves.flat().map((s) => [s.service, s]));
  const services: ReportedService[] = plan.services.map((sp) => {
    const r = results.get(sp.key);
    if (!r) {
      return {
        service: sp.key,
        wave: sp.wave,
        status: sp.blocked ? 'blocked' : 'failed',
        error: sp.blocked
          ? { name: 'ServiceBlocked', message: `blocked by readiness findings: ${sp.blockedBy.join(', ')}` }
          : { name: 'NotRestored', message: notRunReason(failure) },
      };
    }
    return {
      service: sp.key,
      wave: sp.wave,
      status: r.status,
      ...(r.taskDefinitionArn ? { taskDefinitionArn: r.taskDefinitionArn } : {}),
      ...(r.taskDefinition ? { taskDefinition: r.taskDefinition } : {}),
      ...(r.steady !== undefined ? { steady: r.steady } : {}),
      ...(r.healthyTargets !== undefined ? { healthyTargets: r.healthyTargets } : {}),
      ...(r.startedAt ? { startedAt: r.startedAt } : {}),
      ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
      ...(r.error ? { error: r.error } : {}),
      ...(r.scaling ? { scaling: r.scaling } : {}),
    };
  });
  const count = (status: ServiceOutcome) => services.filter((s) => s.status === status).length;
  const restored = services.filter((s) => RESTORED_STATUSES.has(s.status));
  const notSteady = restored.filter((s) => s.steady === false).length;
  const started = Date.parse(run.startedAt);
  const complete = restored.length === services.length && notSteady === 0;
  const stepFailed = failure !== undefined && failure.error !== WAVE_GATE_ERROR;
  return {
    reportVersion: 1,
    executionName: run.executionName,
    region,
    recoveryPoint: {
      id: plan.recoveryPoint.id,
      completedAt: plan.recoveryPoint.completedAt,
      sourceRegion: plan.recoveryPoint.sourceRegion,
    },
    ...(plan.input.comment ? { comment: plan.input.comment } : {}),
    startedAt: run.startedAt,
    finishedAt: finishedAt.toISOString(),
    rtoSeconds: Math.max(0, (finishedAt.getTime() - started) / 1000),
    rpoSeconds: Math.max(0, (started - Date.parse(plan.recoveryPoint.completedAt)) / 1000),
    outcome: stepFailed ? 'FAILED' : complete ? 'RESTORED' : 'INCOMPLETE',
    ...(stepFailed ? { failure } : {}),
    waves: reportWaves(plan, services, failure),
    services,
    volumes: plan.services.flatMap((sp) => reportVolumes(sp, results.get(sp.key))),
    totals: {
      selected: services.length,
      restored: restored.length - notSteady,
      created: count('created'),
      updated: count('updated'),
      unchanged: count('unchanged'),
      failed: count('failed'),
      blocked: count('blocked'),
      notSteady,
    },
    findings: plan.totals.findings,
  };
}

/** The restorable waves of the plan and what became of each. */
function reportWaves(
  plan: RestoreRun['plan'],
  services: readonly ReportedService[],
  failure: StepFailure | undefined,
): ReportedWave[] {
  const byKey = new Map(services.map((s) => [s.service, s]));
  const blocked = new Set(plan.services.filter((s) => s.blocked).map((s) => s.key));
  return plan.waves
    .map((w) => ({ wave: w.wave, keys: w.services.filter((k) => !blocked.has(k)) }))
    .filter((w) => w.keys.length > 0)
    .map((w): ReportedWave => {
      const ran = w.keys.map((k) => byKey.get(k)).filter((s) => s?.error?.name !== 'NotRestored');
      if (ran.length === 0) {
        return { wave: w.wave, status: 'not-run', services: w.keys.length, reason: notRunReason(failure) };
      }
      const bad = w.keys.filter((k) => {
        const s = byKey.get(k);
        return !s || !RESTORED_STATUSES.has(s.status) || s.steady === false;
      });
      return bad.length === 0
        ? { wave: w.wave, status: 'steady', services: w.keys.length }
        : {
            wave: w.wave,
            status: 'not-steady',
            services: w.keys.length,
            reason: `${bad.length} of ${w.keys.length} service(s) not restored or not steady: ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ', …' : ''}`,
          };
    });
}

/**
 * The report of an execution that failed before it stored a plan (invalid input, a recovery
 * point that does not verify, another failover holding the lease, …): no service was touched.
 */
function failedBeforePlanReport(
  event: ReportEvent,
  region: string,
  finishedAt: Date,
  failure: StepFailure,
): RestoreReport {
  const started = Date.parse(event.startedAt);
  return {
    reportVersion: 1,
    executionName: event.executionName,
    region,
    startedAt: event.startedAt,
    finishedAt: finishedAt.toISOString(),
    rtoSeconds: Math.max(0, (finishedAt.getTime() - started) / 1000),
    outcome: 'FAILED',
    failure,
    waves: [],
    services: [],
    volumes: [],
    totals: {
      selected: 0,
      restored: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      failed: 0,
      blocked: 0,
      notSteady: 0,
    },
    findings: { error: 0, warning: 0, info: 0 },
  };
}

/** Why services were not restored, for the Fail state's cause. */
function failureCause(report: RestoreReport, failed: string[], location: string): string {
  const stopped = report.failure
    ? `The restore failed at ${report.failure.state} (${report.failure.error}${report.failure.cause ? `: ${report.failure.cause}` : ''}). `
    : '';
  if (failed.length === 0) return `${stopped}Report: ${location}`;
  const shown = failed.slice(0, 20);
  const more = failed.length > shown.length ? ` and ${failed.length - shown.length} more` : '';
  const reasons = shown.map((key) => {
    const s = report.services.find((x) => x.service === key);
    const why = s?.error
      ? `${s.error.name}: ${s.error.message}`
      : s?.steady === false
        ? 'not steady before the timeout'
        : s?.status;
    return `${key} (${why})`;
  });
  return `${stopped}${failed.length} of ${report.totals.selected} service(s) not restored: ${reasons.join('; ')}${more}. Report: ${location}`;
}

/**
 * What the steps of the execution recorded in the catalog: each wave's last check, and for a
 * wave that never settled (its check failed, or the execution stopped inside it) the results
 * its service steps stored.
 */
async function recordedResults(ctx: RestoreContext, run: RestoreRun): Promise<CheckedService[][]> {
  const blocked = new Set(run.plan.services.filter((s) => s.blocked).map((s) => s.key));
  const waves = run.plan.waves
    .map((w) => ({ wave: w.wave, keys: w.services.filter((k) => !blocked.has(k)) }))
    .filter((w) => w.keys.length > 0);
  return mapConcurrent(waves, READ_CONCURRENCY, async (w) => {
    const record = await ctx.runs.find<WaveRecord>(restoreRunResultKey(run.executionName, { wave: w.wave }));
    if (record) return record.services;
    const results = await mapConcurrent(w.keys, READ_CONCURRENCY, (service) =>
      ctx.runs.find<ServiceResult>(restoreRunResultKey(run.executionName, { service })),
    );
    return results.filter((r): r is ServiceResult => r !== undefined).map((r) => ({ ...r, wave: w.wave }));
  });
}

/**
 * The pins after a restore: its own recovery point stays pinned (Prepare pinned it); when every
 * selected service was restored, the pins of other recovery points whose services are all among
 * the restored ones are removed (see `replacedPins`). A failure here never changes the outcome:
 * it is logged and listed in `pinWarnings`, and the pins concerned are left as they were.
 */
async function settlePins(
  ctx: RestoreContext,
  id: string,
  report: RestoreReport,
  allRestored: boolean,
): Promise<Pick<RestoreReport, 'pinned' | 'unpinned' | 'pinWarnings'>> {
  const warnings: string[] = [];
  const warn = (message: string, error: unknown) => {
    const text = `${message}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    warnings.push(text);
    ctx.log?.warn(message, { recoveryPointId: id, error: awsErrorCode(error) });
  };
  let pinned: string | undefined;
  try {
    pinned = (await ctx.pins.get(id)) ? id : undefined;
  } catch (error) {
    warn(`Could not read the pin of ${id}`, error);
  }
  const unpinned: string[] = [];
  if (allRestored) {
    const restored = report.services.filter((s) => RESTORED_STATUSES.has(s.status)).map((s) => s.service);
    let replaced: string[] = [];
    try {
      replaced = replacedPins(await ctx.pins.list(), restored, id);
    } catch (error) {
      warn('Could not list the pins to release those this restore replaced', error);
    }
    for (const other of replaced) {
      try {
        if (await ctx.pins.unpin(other)) unpinned.push(other);
      } catch (error) {
        warn(`Could not unpin ${other}, whose services this restore replaced`, error);
      }
    }
    if (unpinned.length > 0)
      ctx.log?.info('Unpinned the recovery points this restore replaced', { unpinned });
  }
  return {
    ...(pinned ? { pinned } : {}),
    unpinned,
    ...(warnings.length > 0 ? { pinWarnings: warnings } : {}),
  };
}

/**
 * Report, the step every execution ends in (the state machine's Catches route failed steps
 * here): builds the report from the plan and what the steps recorded in the catalog, settles the
 * pins (see `settlePins`), writes it to the catalog (`restore-reports/…`), gives the failover
 * lease back when this execution holds it and publishes a summary to the report topic. Returns
 * whether every selected service was restored, and the error and cause of the Fail state when not.
 */
export async function writeReport(ctx: RestoreContext, event: ReportEvent): Promise<ReportResult> {
  const failure = event.state?.failure ? plainFailure(event.state.failure) : undefined;
  const run = await ctx.runs.find<RestoreRun>(restoreRunKey(event.executionName, 'plan'));
  const finishedAt = ctx.now();
  let report: RestoreReport;
  let failedServices: string[];
  if (run) {
    const built = buildReport(run, await recordedResults(ctx, run), ctx.region, finishedAt, failure);
    failedServices = built.services
      .filter((s) => !RESTORED_STATUSES.has(s.status) || s.steady === false)
      .map((s) => s.service);
    report = {
      ...built,
      ...(await settlePins(ctx, run.plan.recoveryPoint.id, built, built.outcome === 'RESTORED')),
    };
  } else {
    report = failedBeforePlanReport(event, ctx.region, finishedAt, failure ?? MISSING_PLAN);
    failedServices = [];
  }
  const allRestored = report.outcome === 'RESTORED';
  const key = reportKey(new Date(report.startedAt), report.executionName);
  await ctx.catalog.putReport(key, report);
  const location = `s3://${ctx.catalog.bucket}/${key}`;
  const cause = allRestored ? undefined : failureCause(report, failedServices, location);
  const error = allRestored ? undefined : (report.failure?.error ?? RESTORE_INCOMPLETE_ERROR);
  await releaseLease(ctx, event.executionName);
  if (ctx.topicArn) {
    const summary = {
      outcome: report.outcome,
      executionName: report.executionName,
      ...(report.recoveryPoint ? { recoveryPoint: report.recoveryPoint.id } : {}),
      rtoSeconds: report.rtoSeconds,
      totals: report.totals,
      failedServices,
      ...(report.failure ? { failure: report.failure } : {}),
      ...(report.waves?.some((w) => w.status === 'not-run')
        ? { wavesNotRun: report.waves.filter((w) => w.status === 'not-run').map((w) => w.wave) }
        : {}),
      ...(report.pinned ? { pinned: report.pinned } : {}),
      unpinned: report.unpinned ?? [],
      report: location,
    };
    try {
      await publishReport(
        ctx.clients.sns(ctx.region),
        ctx.topicArn,
        `Lifeboat restore ${report.outcome}: ${report.totals.restored}/${report.totals.selected} services`,
        summary,
      );
    } catch (error) {
      // The report is in the catalog; a notification failure must not hide the restore's outcome.
      ctx.log?.warn('Could not publish the restore report', {
        topicArn: ctx.topicArn,
        error: awsErrorCode(error),
      });
    }
  }
  ctx.log?.info('Restore report written', { reportKey: key, outcome: report.outcome, ...report.totals });
  // The execution output carries the report; past the payload budget only the services not restored are listed.
  const fits = Buffer.byteLength(JSON.stringify(report)) <= REPORT_OUTPUT_LIMIT_BYTES;
  const output = fits
    ? report
    : {
        ...report,
        services: report.services.filter((s) => failedServices.includes(s.service)).slice(0, 100),
        volumes: report.volumes.filter((v) => failedServices.includes(v.service)).slice(0, 100),
      };
  return {
    allRestored,
    reportKey: key,
    failedServices,
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
    report: output,
  };
}

/**
 * The failure with its cause as a message: Step Functions gives a Lambda error's Cause as the
 * JSON of `{errorType, errorMessage, trace}`, the local engine as the message itself.
 */
function plainFailure(failure: StepFailure): StepFailure {
  if (typeof failure.cause !== 'string') return failure;
  try {
    const parsed: unknown = JSON.parse(failure.cause);
    const message = (parsed as { errorMessage?: unknown } | null)?.errorMessage;
    if (typeof message === 'string') return { ...failure, cause: message };
  } catch {
    // Not JSON: the cause is the message already.
  }
  return failure;
}

/** Reported when Report finds neither a plan nor a failure: the state machine was started without Prepare. */
const MISSING_PLAN: StepFailure = {
  state: 'Report',
  error: 'RestoreRunNotFoundError',
  cause:
    'the execution has no plan in the catalog and no failed step; start a new execution instead of redriving this one',
};

/**
 * Gives the failover lease back when this execution holds it. A failure is logged, not thrown:
 * the report is written, and an unreleased lease expires on its own.
 */
async function releaseLease(ctx: RestoreContext, executionName: string): Promise<void> {
  try {
    if (await ctx.lease.release(executionName, ctx.now()))
      ctx.log?.info('Released the failover lease', { executionName });
  } catch (error) {
    ctx.log?.warn('Could not release the failover lease; it expires on its own', {
      error: awsErrorCode(error),
    });
  }
}
