import { restoreConfigOf } from '../../config/settings';
import type { ExecutionEvent } from '../../emulator/step-functions/engine';
import { createRestoreContext, type RestoreLogger } from '../../restore/context';
import { parseRestoreInput, type RestoreInputRequest } from '../../restore/input';
import type { RestorePlan } from '../../restore/plan';
import { loadPlan } from '../../restore/prepare';
import type { ReportResult, RestoreReport } from '../../restore/report';
import { ExitCode, UsageError } from '../errors';
import { formatDuration, plural } from '../format';
import type { Output } from '../io';
import {
  type FailoverServiceView,
  failoverServiceViews,
  isRestored,
  renderFailover,
  renderPlan,
  renderPlanCompact,
  taskDefinitionLabel,
} from '../restore-views';
import {
  findRestoreStateMachine,
  RestoreExecutionError,
  runDeployedRestore,
} from '../runners/deployed-restore';
import {
  ensureLocalReportTopic,
  localExecutionName,
  runLocalRestore,
  synthesiseRestoreWorkflow,
} from '../runners/local-restore';
import type { Session } from '../session';
import { renderRestoredVolumes } from '../views';

export interface PlanOptions {
  readonly recoveryPoint: string;
  readonly services?: readonly string[];
  readonly exclude?: readonly string[];
}

export interface FailoverOptions extends PlanOptions {
  readonly desiredCountPercent: number;
  readonly yes?: boolean;
}

/** The restore workflow's input for these options. */
function restoreInput(opts: PlanOptions, extra: RestoreInputRequest): RestoreInputRequest {
  return {
    recoveryPoint: opts.recoveryPoint,
    services: [...(opts.services ?? ['*/*'])],
    ...(opts.exclude && opts.exclude.length > 0 ? { exclude: [...opts.exclude] } : {}),
    ...extra,
  };
}

/**
 * The restore plan, computed in this process exactly as the workflow's Prepare step does it:
 * reads and verifies the recovery point, reads the DR region and plans. Changes nothing.
 */
export async function planFailover(session: Session, opts: PlanOptions): Promise<RestorePlan> {
  const clients = await session.clients();
  const { bucket, kmsKeyId } = await session.catalogLocation();
  const ctx = createRestoreContext(clients, { config: restoreConfigOf(session.config), bucket, kmsKeyId });
  const { plan } = await loadPlan(ctx, parseRestoreInput(restoreInput(opts, { dryRun: true })));
  return plan;
}

/**
 * `lifeboat plan`: the dry run of a failover. Exit 0 when every selected service can be
 * restored, 1 when error findings block some.
 */
export async function runPlanCommand(session: Session, opts: PlanOptions): Promise<number> {
  const plan = await session.out.step(`Planning a failover to ${session.config.drRegion}`, () =>
    planFailover(session, opts),
  );
  session.out.result(plan, () => renderPlan(plan, session.out.color));
  return plan.totals.blocked > 0 || plan.totals.findings.error > 0 ? ExitCode.Failed : ExitCode.Ok;
}

/** Restore progress on stderr, from the execution's events and the handlers' log. */
class FailoverProgress {
  private waveIndex = -1;
  private readonly waitingWaves = new Set<number>();

  constructor(
    private readonly out: Output,
    private readonly waves: readonly { wave: number; services: string[] }[],
  ) {}

  readonly onEvent = (event: ExecutionEvent): void => {
    if (event.type === 'MapIterationStarted' && event.parentState === 'RestoreWaves') {
      this.waveIndex = event.index ?? this.waveIndex + 1;
      const wave = this.waves[this.waveIndex];
      if (wave) this.out.info(`  wave ${wave.wave}: ${wave.services.join(', ')}`);
    } else if (event.type === 'MapIterationStarted' && event.parentState === 'RestoreServices') {
      const service = this.waves[this.waveIndex]?.services[event.index ?? -1];
      if (service) this.out.info(`    › ${service} started`);
    } else if (event.type === 'StateEntered' && event.stateName === 'CheckWave') {
      if (!this.waitingWaves.has(this.waveIndex)) {
        this.waitingWaves.add(this.waveIndex);
        this.out.info('    waiting for steady state…');
      }
    } else if (event.type === 'StateEntered' && event.stateName === 'PrepareShared') {
      this.out.info('  preparing clusters, log groups and EFS');
    } else if (event.type === 'StateEntered' && event.stateName === 'Report') {
      this.out.info('  writing the restore report');
    }
  };

  readonly log: RestoreLogger = {
    info: (_message, attrs) => {
      if (typeof attrs.volume === 'string' && typeof attrs.outcome === 'string') {
        const drVolume = typeof attrs.drVolumeId === 'string' ? ` → ${attrs.drVolumeId}` : '';
        this.out.info(
          `    ${attrs.outcome === 'failed' ? '✗' : '✓'} volume ${attrs.volume}${drVolume} ${attrs.outcome}`,
        );
      } else if (typeof attrs.service === 'string' && typeof attrs.status === 'string') {
        const td = typeof attrs.taskDefinitionArn === 'string' ? attrs.taskDefinitionArn : undefined;
        this.out.info(`    ✓ ${attrs.service} ${attrs.status} (${taskDefinitionLabel(td)})`);
      }
    },
    warn: (_message, attrs) => {
      if (typeof attrs.service === 'string') {
        this.out.info(`    ✗ ${attrs.service} failed: ${String(attrs.error)}`);
      } else if (typeof attrs.resource === 'string') {
        this.out.warn(`${attrs.resource} could not be prepared: ${String(attrs.error)}`);
      }
    },
  };
}

/** What a failover did, for `failover` and `demo`. */
export interface FailoverOutcome {
  readonly mode: 'local' | 'deployed';
  readonly execution: { readonly name: string; readonly arn: string; readonly status: string };
  readonly report: RestoreReport;
  readonly reportLocation?: string;
  readonly services: FailoverServiceView[];
  /** True when every selected service runs in the DR region. */
  readonly allRestored: boolean;
}

/** The restorable services of each wave, in the order the workflow restores them. */
function restorableWaves(plan: RestorePlan): { wave: number; services: string[] }[] {
  const blocked = new Set(plan.services.filter((s) => s.blocked).map((s) => s.key));
  return plan.waves
    .map((w) => ({ wave: w.wave, services: w.services.filter((k) => !blocked.has(k)) }))
    .filter((w) => w.services.length > 0);
}

/**
 * Runs the restore workflow on this machine (`--endpoint`): the state machine the RecoveryStack
 * deploys, under aws-local-stepfunctions, with the handlers in-process. `plan` pins the
 * recovery point (the one shown to the user) and gives the per-wave progress.
 */
export async function failOverLocally(
  session: Session,
  opts: FailoverOptions,
  plan: RestorePlan,
): Promise<FailoverOutcome> {
  const { config, out } = session;
  const clients = await session.clients();
  const { bucket, kmsKeyId } = await session.catalogLocation();
  await out.step('Synthesising the restore workflow of the RecoveryStack (CDK)', async () =>
    synthesiseRestoreWorkflow(config),
  );
  const topicArn = await ensureLocalReportTopic(clients, config.drRegion);
  const progress = new FailoverProgress(out, restorableWaves(plan));
  const executionName = localExecutionName();
  const result = await out.step(`Restoring in ${config.drRegion} (execution ${executionName})`, () =>
    runLocalRestore({
      clients,
      config,
      bucket,
      kmsKeyId,
      topicArn,
      executionName,
      input: restoreInput(
        { ...opts, recoveryPoint: plan.recoveryPoint.id },
        { desiredCountPercent: opts.desiredCountPercent, dryRun: false },
      ),
      onEvent: progress.onEvent,
      log: progress.log,
    }),
  );
  const reported = result.status === 'SUCCEEDED' ? (result.output as ReportResult) : result.report;
  if (reported === undefined) {
    throw new RestoreExecutionError(result.executionArn, result.status, result.error, result.cause);
  }
  const services = failoverServiceViews(reported.report, plan);
  return {
    mode: 'local',
    execution: { name: executionName, arn: result.executionArn, status: result.status },
    report: reported.report,
    reportLocation: `s3://${bucket}/${reported.reportKey}`,
    services,
    allRestored: result.status === 'SUCCEEDED' && services.every(isRestored),
  };
}

/** Starts the restore workflow deployed in the DR region and waits for it. */
async function failOverDeployed(
  session: Session,
  opts: FailoverOptions,
  plan: RestorePlan,
): Promise<FailoverOutcome> {
  const { config, out } = session;
  const clients = await session.clients();
  const stateMachineArn = await findRestoreStateMachine(clients, config.drRegion);
  const executionName = `cli-${localExecutionName().replace(/^local-/, '')}`;
  out.info(`  state machine ${stateMachineArn}`);
  const result = await out.step(`Restoring in ${config.drRegion} (execution ${executionName})`, () =>
    runDeployedRestore(clients, config.drRegion, {
      stateMachineArn,
      executionName,
      input: restoreInput(
        { ...opts, recoveryPoint: plan.recoveryPoint.id },
        { desiredCountPercent: opts.desiredCountPercent, dryRun: false },
      ),
      onPoll: (status, elapsedMs) => out.info(`  ${status ?? 'RUNNING'} for ${formatDuration(elapsedMs)}`),
    }),
  );
  const services = failoverServiceViews(result.report, plan);
  return {
    mode: 'deployed',
    execution: { name: executionName, arn: result.executionArn, status: result.status },
    report: result.report,
    ...(result.reportLocation ? { reportLocation: result.reportLocation } : {}),
    services,
    allRestored: result.status === 'SUCCEEDED' && services.every(isRestored),
  };
}

/** Reads one line from stdin. */
function readLine(session: Session): Promise<string> {
  const stdin = session.io.stdin;
  if (!stdin) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      stdin.removeAllListeners('data');
      stdin.removeAllListeners('end');
      stdin.pause();
      resolve(text.split(/\r?\n/)[0] ?? '');
    };
    stdin.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('\n')) done();
    });
    stdin.on('end', done);
    stdin.resume();
  });
}

/** Refuses (exit 2) before touching anything when confirmation is needed but cannot be asked. */
function checkCanConfirm(session: Session, opts: FailoverOptions): void {
  if (opts.yes === true) return;
  if (session.out.json) {
    throw new UsageError(
      '`lifeboat failover --json` cannot ask for confirmation; pass --yes to fail over (see the plan first with `lifeboat plan`).',
    );
  }
  if (session.io.stdin?.isTTY !== true) {
    throw new UsageError(
      'Standard input is not a terminal, so `lifeboat failover` cannot ask for confirmation; pass --yes to fail over (see the plan first with `lifeboat plan`). Nothing was changed.',
    );
  }
}

/**
 * `lifeboat failover`: shows the plan, asks for confirmation (unless `--yes`) and runs the
 * restore workflow: on this machine with `--endpoint`, else the one deployed in the DR region.
 * Exit 0 only when every selected service was restored.
 */
export async function runFailoverCommand(session: Session, opts: FailoverOptions): Promise<number> {
  checkCanConfirm(session, opts);
  const { out, config } = session;
  const plan = await out.step(`Planning a failover to ${config.drRegion}`, () => planFailover(session, opts));
  out.info(renderPlanCompact(plan, false).trimEnd());
  if (plan.totals.restorable === 0) {
    out.error(
      `None of the ${plural(plan.totals.services, 'selected service')} can be restored (see the findings); nothing was changed.`,
    );
    return ExitCode.Failed;
  }
  if (opts.yes !== true) {
    session.io.stderr.write(
      `\nFail over ${plural(plan.totals.restorable, 'service')} to ${config.drRegion} from ${plan.recoveryPoint.id}? Type "yes" to continue: `,
    );
    if ((await readLine(session)).trim().toLowerCase() !== 'yes') {
      out.error('Not confirmed; nothing was changed.');
      return ExitCode.Failed;
    }
  }
  const outcome = session.local
    ? await failOverLocally(session, opts, plan)
    : await failOverDeployed(session, opts, plan);
  out.result(failoverDocument(outcome), () => {
    const text = renderFailover(
      outcome.report,
      outcome.services,
      {
        execution: `${outcome.execution.name} (${outcome.mode === 'local' ? 'on this machine' : outcome.execution.arn})`,
        ...(outcome.reportLocation ? { reportLocation: outcome.reportLocation } : {}),
      },
      out.color,
    );
    const volumes = outcome.report.volumes;
    return volumes.length > 0 ? `${text}\nEBS volumes\n${renderRestoredVolumes(volumes, out.color)}` : text;
  });
  if (!outcome.allRestored) {
    const missing = outcome.services.filter((s) => !isRestored(s)).map((s) => s.service);
    out.error(
      `${plural(missing.length, 'service')} not restored: ${missing.join(', ')}. ` +
        'See "Not restored" for why; fix the cause and run `lifeboat failover` again (restored services stay as they are).',
    );
    return ExitCode.Failed;
  }
  return ExitCode.Ok;
}

/** The JSON document of a failover. */
export function failoverDocument(outcome: FailoverOutcome) {
  return {
    mode: outcome.mode,
    execution: outcome.execution,
    allRestored: outcome.allRestored,
    outcome: outcome.report.outcome,
    recoveryPoint: outcome.report.recoveryPoint,
    rtoSeconds: outcome.report.rtoSeconds,
    rpoSeconds: outcome.report.rpoSeconds,
    totals: outcome.report.totals,
    services: outcome.services,
    volumes: outcome.report.volumes,
    ...(outcome.reportLocation ? { reportLocation: outcome.reportLocation } : {}),
    report: outcome.report,
  };
}
