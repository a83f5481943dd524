import { awsErrorCode } from '../aws/errors';
import { publishReport } from '../catalog/aws/reports';
import { reportKey, restoreRunKey } from '../catalog/keys';
import { replacedPins } from '../catalog/pins';
import type { FindingSeverity } from '../kernel/findings';
import type { RestoreContext } from './context';
import type { ServicePlan } from './plan';
import type { RestoreRun } from './runs';
import type { ServiceOutcome } from './service';
import type { CheckedService } from './wave-check';

/** Largest report returned in the execution output (Step Functions payloads are limited to 256 KiB). */
export const REPORT_OUTPUT_LIMIT_BYTES = 200_000;

export interface ReportEvent {
  readonly executionName: string;
  /** The wave results: the `services` of each wave's last check. */
  readonly waves: readonly (readonly CheckedService[])[];
}

export interface ReportedService {
  readonly service: string;
  readonly wave: number;
  readonly status: ServiceOutcome;
  readonly taskDefinitionArn?: string;
  readonly taskDefinition?: 'registered' | 'reused';
  readonly steady?: boolean;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly error?: { readonly name: string; readonly message: string };
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

export interface RestoreReport {
  readonly reportVersion: 1;
  readonly executionName: string;
  readonly region: string;
  readonly recoveryPoint: {
    readonly id: string;
    readonly completedAt: string;
    readonly sourceRegion: string;
  };
  readonly comment?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Recovery time: end of the report minus start of the execution. */
  readonly rtoSeconds: number;
  /** Data loss window: execution start minus the recovery point's completion. */
  readonly rpoSeconds: number;
  readonly outcome: 'RESTORED' | 'INCOMPLETE';
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

/** Builds the restore report from the plan and the wave results. Pure. */
export function buildReport(
  run: RestoreRun,
  waves: ReportEvent['waves'],
  region: string,
  finishedAt: Date,
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
          : {
              name: 'NotRestored',
              message: 'the service was planned but has no result (its wave did not run)',
            },
      };
    }
    return {
      service: sp.key,
      wave: sp.wave,
      status: r.status,
      ...(r.taskDefinitionArn ? { taskDefinitionArn: r.taskDefinitionArn } : {}),
      ...(r.taskDefinition ? { taskDefinition: r.taskDefinition } : {}),
      ...(r.steady !== undefined ? { steady: r.steady } : {}),
      ...(r.startedAt ? { startedAt: r.startedAt } : {}),
      ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
      ...(r.error ? { error: r.error } : {}),
    };
  });
  const count = (status: ServiceOutcome) => services.filter((s) => s.status === status).length;
  const restored = services.filter((s) => ['created', 'updated', 'unchanged'].includes(s.status));
  const notSteady = restored.filter((s) => s.steady === false).length;
  const started = Date.parse(run.startedAt);
  const complete = restored.length === services.length && notSteady === 0;
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
    outcome: complete ? 'RESTORED' : 'INCOMPLETE',
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

/** Why services were not restored, for the Fail state's cause. */
function failureCause(report: RestoreReport, failed: string[], location: string): string {
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
  return `${failed.length} of ${report.totals.selected} service(s) not restored: ${reasons.join('; ')}${more}. Report: ${location}`;
}

/**
 * The pins after a restore: its own recovery point stays pinned (Prepare pinned it); when every
 * selected service was restored, the pins of other recovery points whose services are all among
 * the restored ones are removed (see `replacedPins`). A failure here never changes the outcome:
 * it is logged and listed in `pinWarnings`, and the pins concerned are left as they were.
 */
async function settlePins(
  ctx: RestoreContext,
  report: RestoreReport,
  allRestored: boolean,
): Promise<Pick<RestoreReport, 'pinned' | 'unpinned' | 'pinWarnings'>> {
  const id = report.recoveryPoint.id;
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
 * Report: settles the pins (see `settlePins`), writes the restore report to the catalog
 * (`restore-reports/…`) and publishes a summary to the report topic. Returns whether every
 * selected service was restored.
 */
export async function writeReport(ctx: RestoreContext, event: ReportEvent): Promise<ReportResult> {
  const run = await ctx.runs.get<RestoreRun>(restoreRunKey(event.executionName, 'plan'));
  const built = buildReport(run, event.waves, ctx.region, ctx.now());
  const failedServices = built.services
    .filter((s) => !RESTORED_STATUSES.has(s.status) || s.steady === false)
    .map((s) => s.service);
  const allRestored = failedServices.length === 0;
  const report: RestoreReport = { ...built, ...(await settlePins(ctx, built, allRestored)) };
  const key = reportKey(new Date(run.startedAt), run.executionName);
  await ctx.catalog.putReport(key, report);
  const location = `s3://${ctx.catalog.bucket}/${key}`;
  const cause = allRestored ? undefined : failureCause(report, failedServices, location);
  if (ctx.topicArn) {
    const summary = {
      outcome: report.outcome,
      executionName: report.executionName,
      recoveryPoint: report.recoveryPoint.id,
      rtoSeconds: report.rtoSeconds,
      totals: report.totals,
      failedServices,
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
  return { allRestored, reportKey: key, failedServices, ...(cause ? { cause } : {}), report: output };
}
