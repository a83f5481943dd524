import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { restoreConfigOf } from '../../config/settings';
import { createRestoreContext } from '../../restore/context';
import { parseRestoreInput, type RestoreInput, type RestoreInputRequest } from '../../restore/input';
import type { RestorePlan } from '../../restore/plan';
import { loadPlan } from '../../restore/prepare';
import type { ReportResult, RestoreReport } from '../../restore/report';
import { probeSource } from '../../volumes/efs/aws/replication';
import { ensureLocalReportTopic } from '../aws/local-resources';
import { ExitCode, RestoreExecutionError, UsageError } from '../errors';
import { formatDuration, formatTimestamp, plural } from '../format';
import type { Output } from '../io';
import { parseInputDocument, type RestoreFlags, restoreInputOf } from '../restore-input';
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
import { readAll, readLine } from '../stdin';
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
  /**
   * The whole workflow input (validated), as `lifeboat plan` / `failover` build it from their
   * flags and `--input`; when given, the fields above other than `yes` are not read.
   */
  readonly input?: RestoreInput;
}

/** The flags of `lifeboat plan` and `lifeboat failover`: the workflow input's, `--input`, and `--yes`. */
export interface RestoreCommandOptions extends RestoreFlags {
  /** `--input <file|->`: a JSON workflow input; `-` reads standard input. */
  readonly input?: string;
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

/** The validated workflow input of a failover with these options (`opts.input` when given). */
function failoverInputOf(opts: FailoverOptions): RestoreInput {
  return opts.input ?? parseRestoreInput(restoreInput(opts, failoverFields(opts)));
}

/**
 * The one workflow input of a `plan` / `failover` command line: the `--input` document (a file,
 * or standard input for `-`) with the flags given overriding its fields, validated. `dryRun` is
 * false: it is the input the failover starts (`plan` computes the plan from the same input and
 * never starts anything). Exit 2 for an unreadable file, bad JSON or an invalid field.
 */
export async function commandRestoreInput(
  session: Session,
  opts: RestoreCommandOptions,
): Promise<RestoreInput> {
  let document: unknown;
  if (opts.input !== undefined) {
    const source = opts.input === '-' ? 'standard input' : opts.input;
    let text: string;
    if (opts.input === '-') {
      text = await readAll(session.io);
    } else {
      try {
        text = await readFile(resolve(session.io.cwd ?? process.cwd(), opts.input), 'utf8');
      } catch (error) {
        throw new UsageError(
          `Cannot read the restore input file ${opts.input} (--input): ${(error as Error).message}. Pass the path of a JSON file, or - for standard input.`,
        );
      }
    }
    document = parseInputDocument(text, source);
  }
  return restoreInputOf(document, opts);
}

/**
 * The restore plan for a workflow input, computed in this process exactly as the workflow's
 * Prepare step does it: reads and verifies the recovery point, reads the DR region and plans.
 * Changes nothing, whatever the input's `dryRun`.
 */
export async function planRestoreInput(session: Session, input: RestoreInput): Promise<RestorePlan> {
  const clients = await session.clients();
  const { bucket, kmsKeyId } = await session.catalogLocation();
  const ctx = createRestoreContext(clients, { config: restoreConfigOf(session.config), bucket, kmsKeyId });
  const { plan } = await loadPlan(ctx, input);
  return plan;
}

/**
 * The restore plan of these options (see planRestoreInput). `fields` are the rest of the input:
 * a dry run by default.
 */
export async function planFailover(
  session: Session,
  opts: PlanOptions,
  fields: RestoreInputRequest = { dryRun: true },
): Promise<RestorePlan> {
  return planRestoreInput(session, parseRestoreInput(restoreInput(opts, fields)));
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
  input: RestoreInput,
): Promise<string | undefined> {
  const readOnly = new Set(plan.findings.filter((f) => f.code === 'EFS_NOT_PROMOTED').map((f) => f.resource));
  const replicas = plan.efsFileSystems.filter((fs) => readOnly.has(fs.drFileSystemId));
  const [first] = replicas;
  if (!first || input.desiredCountPercent === 0) return undefined;
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
export async function runPlanCommand(session: Session, opts: RestoreCommandOptions): Promise<number> {
  const input = await commandRestoreInput(session, opts);
  const planned = await session.out.step(`Planning a failover to ${session.config.drRegion}`, () =>
    planRestoreInput(session, input),
  );
  // Planned from the input `failover` would start; shown as what it is, a dry run.
  const plan: RestorePlan = { ...planned, input: { ...planned.input, dryRun: true } };
  session.out.result(plan, () => renderPlan(plan, session.out.color));
  return plan.totals.blocked > 0 || plan.totals.findings.error > 0 ? ExitCode.Failed : ExitCode.Ok;
}

/** How often the wait for steady state is reported without a terminal. */
const WAIT_REPORT_INTERVAL_MS = 30_000;
/** How often the live wait line is rewritten on a terminal. */
const WAIT_TICK_MS = 1_000;

/** How the failover waits for steady state: the workflow input's fields. */
export interface SteadyStateWait {
  readonly waitForSteadyState: boolean;
  readonly steadyStateTimeoutMinutes: number;
}

/**
 * Restore progress on stderr, from the execution's events. While a wave waits for steady state
 * it shows the elapsed time and the deadline (the steady-state timeout): on a terminal as one
 * line rewritten in place, otherwise as a line when the wait starts and one every 30 s.
 */
class FailoverProgress {
  private waveIndex = -1;
  private readonly waitingWaves = new Set<number>();
  /** The wave being waited for: since when, and the timer reporting it. */
  private waiting: { readonly since: number; readonly timer: ReturnType<typeof setInterval> } | undefined;
  /** The Report step's result, once it ran. */
  report: ReportResult | undefined;

  constructor(
    private readonly out: Output,
    private readonly waves: readonly { wave: number; services: string[] }[],
    private readonly wait: SteadyStateWait = { waitForSteadyState: true, steadyStateTimeoutMinutes: 15 },
    private readonly stderr:
      | { write(chunk: string): unknown; readonly isTTY?: boolean }
      | undefined = undefined,
    private readonly now: () => number = Date.now,
  ) {}

  readonly onEvent = (event: WorkflowEvent): void => {
    const progress = restoreProgressOf(event);
    if (progress) this.show(progress);
  };

  private get live(): boolean {
    return this.stderr?.isTTY === true;
  }

  private waitLine(): string {
    const elapsed = this.waiting ? this.now() - this.waiting.since : 0;
    return `    waiting for steady state: ${formatDuration(elapsed)} elapsed, deadline ${formatDuration(this.wait.steadyStateTimeoutMinutes * 60_000)} (--steady-state-timeout)`;
  }

  private startWait(): void {
    const since = this.now();
    const deadline = new Date(since + this.wait.steadyStateTimeoutMinutes * 60_000);
    if (!this.live) {
      this.out.info(
        `    waiting for steady state (deadline ${this.wait.steadyStateTimeoutMinutes} min, at ${formatTimestamp(deadline.toISOString())})…`,
      );
    }
    const timer = setInterval(
      () => {
        if (this.live) this.stderr?.write(`\r\x1b[K${this.waitLine()}`);
        else this.out.info(this.waitLine());
      },
      this.live ? WAIT_TICK_MS : WAIT_REPORT_INTERVAL_MS,
    );
    timer.unref?.();
    this.waiting = { since, timer };
    if (this.live) this.stderr?.write(this.waitLine());
  }

  /** Ends the display of a wait for steady state (the next step started, or the execution ended). */
  endWait(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    clearInterval(waiting.timer);
    this.waiting = undefined;
    const line = `    waited ${formatDuration(this.now() - waiting.since)} for steady state`;
    if (this.live) this.stderr?.write(`\r\x1b[K${line}\n`);
    else this.out.info(line);
  }

  private show(progress: RestoreProgress): void {
    if (progress.kind !== 'checking-wave') this.endWait();
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
          if (this.wait.waitForSteadyState) this.startWait();
          else this.out.info('    not waiting for steady state (--no-wait)');
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
  // The input the plan was computed from, pinned to the recovery point the plan resolved
  // (so `latest` cannot move between the plan shown and the run).
  const input: RestoreInput = { ...failoverInputOf(opts), recoveryPoint: plan.recoveryPoint.id };
  const progress = new FailoverProgress(out, restorableWaves(plan), input, session.io.stderr);
  const executionName = runner.executionName();
  const result = await out
    .step(`Restoring in ${config.drRegion} (execution ${executionName})`, async () => {
      const execution = await runner.start(input, { executionName, onEvent: progress.onEvent });
      session.running = { workflow: 'restore', mode: runner.mode, executionName, region: config.drRegion };
      return execution.result();
    })
    .finally(() => {
      progress.endWait();
      session.running = undefined;
    });
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

/** Refuses (exit 2) before touching anything when confirmation is needed but cannot be asked. */
function checkCanConfirm(session: Session, opts: RestoreCommandOptions): void {
  if (opts.yes === true) return;
  if (opts.input === '-') {
    throw new UsageError(
      '`lifeboat failover --input -` reads the restore input from standard input, so it cannot ask for confirmation there; pass --yes (see the plan first with `lifeboat plan --input -`).',
    );
  }
  if (session.out.machine) {
    throw new UsageError(
      `\`lifeboat failover --output ${session.out.format}\` cannot ask for confirmation; pass --yes to fail over (see the plan first with \`lifeboat plan\`).`,
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
export async function runFailoverCommand(session: Session, opts: RestoreCommandOptions): Promise<number> {
  checkCanConfirm(session, opts);
  const { out, config } = session;
  const input = await commandRestoreInput(session, opts);
  const plan = await out.step(`Planning a failover to ${config.drRegion}`, () =>
    planRestoreInput(session, input),
  );
  out.info(renderPlanCompact(plan, false).trimEnd());
  const efsNote = input.promoteFileSystems ? undefined : await efsPromotionNote(session, plan, input);
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
    if ((await readLine(session.io)).trim().toLowerCase() !== 'yes') {
      out.error('Not confirmed; nothing was changed.');
      return ExitCode.Failed;
    }
  }
  const outcome = await failOver(
    session,
    {
      recoveryPoint: input.recoveryPoint,
      desiredCountPercent: input.desiredCountPercent,
      ...(opts.yes !== undefined ? { yes: opts.yes } : {}),
      input,
    },
    plan,
  );
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
