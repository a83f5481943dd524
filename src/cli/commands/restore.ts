import { restoreConfigOf } from '../../config/settings';
import { createRestoreContext } from '../../restore/context';
import { parseRestoreInput, type RestoreInputRequest } from '../../restore/input';
import type { RestorePlan } from '../../restore/plan';
import { loadPlan } from '../../restore/prepare';
import type { ReportResult, RestoreReport } from '../../restore/report';
import { probeSource } from '../../volumes/efs/aws/replication';
import { ensureLocalReportTopic } from '../aws/local-resources';
import { ExitCode, RestoreExecutionError, UsageError } from '../errors';
import { plural } from '../format';
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
import { DeployedWorkflowRunner, findRestoreStateMachine } from '../runners/aws/deployed-workflow';
import { localRestoreRunner } from '../runners/local-restore';
import { type RestoreProgress, restoreProgressOf } from '../runners/restore-events';
import type { WorkflowEvent, WorkflowRunner } from '../runners/workflow-runner';
import type { Session } from '../session';
import { renderRestoredVolumes } from '../views';

export interface PlanOptions {
  readonly recoveryPoint: string;
  readonly services?: readonly string[];
  readonly exclude?: readonly string[];
}

export interface FailoverOptions extends PlanOptions {
  readonly desiredCountPercent: number;
  /** Delete the replication of the EFS replicas so they become writable (`promoteFileSystems`). */
  readonly promoteFileSystems?: boolean;
  readonly yes?: boolean;
}

/** How long the failover waits for the primary region's EFS to answer before calling it unreachable. */
const PRIMARY_PROBE_TIMEOUT_MS = 3_000;

/** The input fields of a failover (not a dry run) for these options. */
function failoverFields(opts: FailoverOptions): RestoreInputRequest {
  return {
    desiredCountPercent: opts.desiredCountPercent,
    dryRun: false,
    ...(opts.promoteFileSystems === true ? { promoteFileSystems: true } : {}),
  };
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
 * `fields` are the rest of the input: a dry run by default; a failover plans with its own
 * (so the plan says what it does to the EFS replicas, and a drill asking to promote is refused).
 */
export async function planFailover(
  session: Session,
  opts: PlanOptions,
  fields: RestoreInputRequest = { dryRun: true },
): Promise<RestorePlan> {
  const clients = await session.clients();
  const { bucket, kmsKeyId } = await session.catalogLocation();
  const ctx = createRestoreContext(clients, { config: restoreConfigOf(session.config), bucket, kmsKeyId });
  const { plan } = await loadPlan(ctx, parseRestoreInput(restoreInput(opts, fields)));
  return plan;
}

/**
 * Next to the plan of a failover without --promote-file-systems: what becomes of the EFS
 * replicas, what promoting means and how to ask for it. The primary region's EFS is probed
 * (DescribeFileSystems on a source file system, PRIMARY_PROBE_TIMEOUT_MS): when it does not
 * answer, the replicas can no longer catch up, so promoting is likely what the operator wants.
 * Undefined when no replica is left read-only, and for a drill, which never promotes.
 */
async function efsPromotionNote(
  session: Session,
  plan: RestorePlan,
  opts: FailoverOptions,
): Promise<string | undefined> {
  const readOnly = new Set(plan.findings.filter((f) => f.code === 'EFS_NOT_PROMOTED').map((f) => f.resource));
  const replicas = plan.efsFileSystems.filter((fs) => readOnly.has(fs.drFileSystemId));
  const [first] = replicas;
  if (!first || opts.desiredCountPercent === 0) return undefined;
  const primary = plan.recoveryPoint.sourceRegion;
  const clients = await session.clients();
  const probe = await probeSource(clients.efs(primary), first.sourceFileSystemId, PRIMARY_PROBE_TIMEOUT_MS);
  const ids = replicas.map((fs) => fs.drFileSystemId).join(', ');
  const state =
    probe === 'unreachable'
      ? `EFS in the primary region ${primary} does not answer (${first.sourceFileSystemId} probed), so the replicas will not catch up: promoting them is likely what you want.`
      : `EFS in the primary region ${primary} answers, so the replicas keep receiving its changes.`;
  return (
    `\nEFS: the tasks will mount ${plural(replicas.length, 'replica')} (${ids}) read-only; their replication is left in place. ${state}\n` +
    '  To make them writable, run again with --promote-file-systems: it deletes their replication, so the primary stops\n' +
    '  replicating to them; protecting the data again means creating replication from the DR file systems.'
  );
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

/** Restore progress on stderr, from the execution's events. */
class FailoverProgress {
  private waveIndex = -1;
  private readonly waitingWaves = new Set<number>();
  /** The Report step's result, once it ran. */
  report: ReportResult | undefined;

  constructor(
    private readonly out: Output,
    private readonly waves: readonly { wave: number; services: string[] }[],
  ) {}

  readonly onEvent = (event: WorkflowEvent): void => {
    const progress = restoreProgressOf(event);
    if (progress) this.show(progress);
  };

  private show(progress: RestoreProgress): void {
    switch (progress.kind) {
      case 'preparing-shared':
        this.out.info('  preparing clusters, log groups and EFS');
        break;
      case 'shared-prepared': {
        for (const resource of progress.result.failures) {
          this.out.warn(`${resource} could not be prepared`);
        }
        // A RecoveryStack deployed before the CLI learnt promotion reports no `fileSystems`.
        const { promoted = [], leftReplicating = [] } = progress.result.fileSystems ?? {};
        for (const id of promoted) this.out.info(`    ✓ EFS ${id} promoted (replication deleted, writable)`);
        for (const id of leftReplicating) this.out.info(`    EFS ${id} left replicating (read-only)`);
        break;
      }
      case 'wave-started': {
        this.waveIndex = progress.index;
        const wave = this.waves[this.waveIndex];
        if (wave) this.out.info(`  wave ${wave.wave}: ${wave.services.join(', ')}`);
        break;
      }
      case 'service-started': {
        const service = this.waves[this.waveIndex]?.services[progress.index];
        if (service) this.out.info(`    › ${service} started`);
        break;
      }
      case 'service-done': {
        const { service, status, taskDefinitionArn, error, volumes } = progress.result;
        for (const v of volumes ?? []) {
          const drVolume = v.drVolumeId ? ` → ${v.drVolumeId}` : '';
          this.out.info(
            `    ${v.outcome === 'failed' ? '✗' : '✓'} volume ${v.sourceVolumeId}${drVolume} ${v.outcome}`,
          );
        }
        if (status === 'failed')
          this.out.info(`    ✗ ${service} failed: ${error?.message ?? 'unknown error'}`);
        else if (status !== 'blocked') {
          this.out.info(`    ✓ ${service} ${status} (${taskDefinitionLabel(taskDefinitionArn)})`);
        }
        break;
      }
      case 'checking-wave':
        if (!this.waitingWaves.has(this.waveIndex)) {
          this.waitingWaves.add(this.waveIndex);
          this.out.info('    waiting for steady state…');
        }
        break;
      case 'reporting':
        this.out.info('  writing the restore report');
        break;
      case 'reported':
        this.report = progress.result;
        break;
    }
  }
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
 * The restore workflow on this machine (`--endpoint`): the state machine the RecoveryStack
 * deploys, under aws-local-stepfunctions, with the handlers in-process against the endpoint.
 */
async function localRunner(session: Session): Promise<WorkflowRunner> {
  const { config, out } = session;
  const clients = await session.clients();
  const { bucket, kmsKeyId } = await session.catalogLocation();
  const topicArn = await ensureLocalReportTopic(clients, config.drRegion);
  return out.step('Synthesising the restore workflow of the RecoveryStack (CDK)', async () =>
    localRestoreRunner({ clients, config, bucket, kmsKeyId, topicArn }),
  );
}

/** The restore workflow the RecoveryStack deployed in the DR region (its output names it). */
async function deployedRunner(session: Session): Promise<WorkflowRunner> {
  const { config, out } = session;
  const clients = await session.clients();
  const stateMachineArn = await findRestoreStateMachine(clients, config.drRegion);
  out.info(`  state machine ${stateMachineArn}`);
  return new DeployedWorkflowRunner(clients.sfn(config.drRegion), stateMachineArn);
}

/**
 * Runs the restore workflow and waits for it: with `--endpoint` on this machine, otherwise the
 * one deployed in the DR region. `plan` pins the recovery point (the one shown to the user) and
 * gives the per-wave progress. Throws RestoreExecutionError when the execution ended without a
 * report.
 */
export async function failOver(
  session: Session,
  opts: FailoverOptions,
  plan: RestorePlan,
): Promise<FailoverOutcome> {
  const { config, out } = session;
  const runner = session.local ? await localRunner(session) : await deployedRunner(session);
  const progress = new FailoverProgress(out, restorableWaves(plan));
  const executionName = runner.executionName();
  const input = restoreInput({ ...opts, recoveryPoint: plan.recoveryPoint.id }, failoverFields(opts));
  const result = await out.step(`Restoring in ${config.drRegion} (execution ${executionName})`, async () =>
    (await runner.start(input, { executionName, onEvent: progress.onEvent })).result(),
  );
  const reported = progress.report;
  if (reported === undefined) {
    throw new RestoreExecutionError(result.executionArn, result.status, result.error, result.cause);
  }
  const { bucket } = await session.catalogLocation();
  const services = failoverServiceViews(reported.report, plan);
  return {
    mode: runner.mode,
    execution: { name: executionName, arn: result.executionArn, status: result.status },
    report: reported.report,
    reportLocation: `s3://${bucket}/${reported.reportKey}`,
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
  const plan = await out.step(`Planning a failover to ${config.drRegion}`, () =>
    planFailover(session, opts, failoverFields(opts)),
  );
  out.info(renderPlanCompact(plan, false).trimEnd());
  const efsNote = opts.promoteFileSystems === true ? undefined : await efsPromotionNote(session, plan, opts);
  if (efsNote) out.info(efsNote);
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
  const outcome = await failOver(session, opts, plan);
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
