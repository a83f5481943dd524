import type { RetentionResult } from '../../backup/retention';
import type { EbsVolumeRecord, Manifest } from '../../catalog/manifest';
import { VOLUME_KEY_ALIAS } from '../../config/settings';
import type { Logger } from '../../kernel/logger';
import { ensureLocalKey } from '../aws/local-resources';
import { BackupExecutionError, ExitCode } from '../errors';
import { type Column, formatSeconds, paint, plural, renderTable } from '../format';
import type { Output } from '../io';
import { DeployedWorkflowRunner, findBackupStateMachine } from '../runners/aws/deployed-workflow';
import { type BackupStep, BackupSteps, backupPhaseOf, type CommitStep } from '../runners/backup-events';
import { localBackupRunner } from '../runners/local-backup';
import type { WorkflowEvent, WorkflowRunner } from '../runners/workflow-runner';
import type { Session } from '../session';
import { manifestCounts, recoveryPointHeader, renderBackup } from '../views';

/** Something the capture noted that is not an error (as its log reports it). */
export interface BackupWarning {
  readonly message: string;
  readonly resourceId?: string;
  readonly code?: string;
}

/** One EBS volume of a recovery point: its snapshot in the primary region and the DR copy. */
export interface BackedUpVolumeView {
  /** "cluster/service" */
  readonly service: string;
  readonly kind: EbsVolumeRecord['kind'];
  /** The service's volume name (managed) or the source volume id (standalone). */
  readonly volume: string;
  readonly sourceVolumeId: string;
  readonly sourceSnapshotId?: string;
  readonly drSnapshotId?: string;
  readonly engine?: EbsVolumeRecord['engine'];
  /** Why the volume has no DR copy (its `volume` error in the recovery point). */
  readonly error?: string;
}

/** The recovery point's EBS volumes, service by service. */
export function backedUpVolumeViews(m: Manifest): BackedUpVolumeView[] {
  const errors = new Map(
    m.errors.filter((e) => e.resourceType === 'volume').map((e) => [e.resourceId, `${e.code}: ${e.message}`]),
  );
  return m.volumes.ebs
    .map(
      (v): BackedUpVolumeView => ({
        service: `${v.clusterName}/${v.serviceName}`,
        kind: v.kind,
        volume: v.volumeName ?? v.sourceVolumeId,
        sourceVolumeId: v.sourceVolumeId,
        ...(v.sourceSnapshotId ? { sourceSnapshotId: v.sourceSnapshotId } : {}),
        ...(v.drSnapshotId ? { drSnapshotId: v.drSnapshotId } : {}),
        ...(v.engine ? { engine: v.engine } : {}),
        ...(errors.has(v.sourceVolumeId) ? { error: errors.get(v.sourceVolumeId) } : {}),
      }),
    )
    .sort((a, b) => a.service.localeCompare(b.service) || a.volume.localeCompare(b.volume));
}

/** Volumes as a table: service, volume, snapshot in the primary region → copy in the DR region. */
export function renderBackedUpVolumes(views: readonly BackedUpVolumeView[], color: boolean): string {
  const columns: Column<BackedUpVolumeView>[] = [
    { header: 'SERVICE', value: (v) => v.service },
    { header: 'KIND', value: (v) => v.kind },
    { header: 'VOLUME', value: (v) => v.volume },
    { header: 'SOURCE VOLUME', value: (v) => v.sourceVolumeId },
    {
      header: 'SNAPSHOT → DR COPY',
      value: (v) => `${v.sourceSnapshotId ?? '-'} → ${v.drSnapshotId ?? 'not copied'}`,
    },
    { header: 'ENGINE', value: (v) => v.engine ?? '-', style: (v) => (v.drSnapshotId ? undefined : 'red') },
  ];
  return renderTable(columns, views, { color, empty: '(no EBS volumes)' });
}

/** What `takeBackup` did: the committed recovery point and the execution that made it. */
export interface BackupOutcome {
  readonly manifest: Manifest;
  /** Catalog key of the manifest. */
  readonly key: string;
  readonly bucket: string;
  /** The Commit step's result. */
  readonly commit: CommitStep['result'];
  /** ApplyRetention's result, or why it failed (`retentionError`). */
  readonly retention?: RetentionResult;
  readonly retentionError?: string;
  readonly execution: {
    readonly name: string;
    readonly arn: string;
    readonly status: string;
    /** CopyVolumes ticks it took. */
    readonly ticks: number;
    readonly stateTransitions: number;
    readonly durationMs: number;
  };
  readonly volumes: BackedUpVolumeView[];
  readonly warnings: BackupWarning[];
}

function attributes(attrs: Record<string, unknown>): string {
  const parts = Object.entries(attrs)
    .filter(([key]) => key !== 'recoveryPointId')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * The handlers' log of a backup run on this machine (a deployed run's log is in CloudWatch Logs):
 * every line on stderr with `verbose`, and the warnings about a resource kept for the result.
 */
class BackupLog implements Logger {
  readonly warnings: BackupWarning[] = [];

  constructor(
    private readonly out: Output,
    private readonly verbose: boolean,
  ) {}

  info(message: string, attrs: Record<string, unknown>): void {
    if (this.verbose) this.out.info(`    ${message}${attributes(attrs)}`);
  }

  warn(message: string, attrs: Record<string, unknown>): void {
    if (typeof attrs.resourceId === 'string' && typeof attrs.code === 'string') {
      this.warnings.push({ message, resourceId: attrs.resourceId, code: attrs.code });
    }
    if (this.verbose) this.out.warn(`${message}${attributes(attrs)}`);
  }
}

/** Backup progress on stderr, from the execution's events: its steps and the copy counts per tick. */
class BackupProgress {
  readonly steps = new BackupSteps();
  private waitAnnounced = false;

  constructor(
    private readonly out: Output,
    private readonly opts: { readonly pollSeconds: number; readonly waitScale: number },
  ) {}

  readonly onEvent = (event: WorkflowEvent): void => {
    const phase = backupPhaseOf(event);
    if (phase === 'waiting-for-copies' && !this.waitAnnounced) {
      this.waitAnnounced = true;
      const real = this.opts.pollSeconds * this.opts.waitScale;
      const here = this.opts.waitScale === 1 ? '' : ` (${formatSeconds(real)} on this machine)`;
      this.out.info(`  waiting ${formatSeconds(this.opts.pollSeconds)} before each copy tick${here}`);
    } else if (phase === 'committing') {
      this.out.info('  signing and committing the recovery point');
    } else if (phase === 'applying-retention') {
      this.out.info('  applying retention');
    }
    const step = this.steps.next(event);
    if (step) this.show(step);
  };

  private show(step: BackupStep): void {
    if (step.step === 'capture') {
      const r = step.result;
      this.out.info(
        `  captured ${plural(r.services, 'service')}, ${plural(r.taskDefinitions, 'task definition')}, ` +
          `${plural(r.images, 'image')}; ${plural(r.volumes, 'EBS volume')} snapshotted` +
          `${r.errors > 0 ? `; ${plural(r.errors, 'error')}` : ''}`,
      );
    } else if (step.step === 'copy') {
      const { counts, bytesSent } = step.result;
      const phases = Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([phase, n]) => `${n} ${phase}`)
        .join(', ');
      const bytes = bytesSent > 0 ? `, ${(bytesSent / 1024 / 1024).toFixed(1)} MiB sent` : '';
      this.out.info(`  copy tick ${step.tick}: ${phases || 'nothing to copy'}${bytes}`);
    } else if (step.step === 'commit') {
      this.out.info(`  committed ${step.result.recoveryPointId} (${step.result.status})`);
    } else if (step.result) {
      const r = step.result;
      this.out.info(
        `  retention deleted ${plural(r.recoveryPointsDeleted, 'recovery point')} and ${plural(r.snapshotsDeleted, 'snapshot')}` +
          `${r.orphanedRunsCleaned > 0 ? `, cleaned up ${plural(r.orphanedRunsCleaned, 'uncommitted backup')}` : ''}` +
          `${r.unverified.length > 0 ? `; ${plural(r.unverified.length, 'recovery point')} did not verify` : ''}`,
      );
    } else {
      this.out.warn(
        `  retention failed (${step.error}); the recovery point is committed, the next backup retries it`,
      );
    }
  }
}

/**
 * The backup workflow on this machine (`--endpoint`): the state machine the BackupStack deploys,
 * with the handlers in-process against the endpoint, waits scaled down.
 */
async function localRunner(session: Session, log: Logger): Promise<WorkflowRunner> {
  const { config, out } = session;
  const clients = await session.clients();
  const { bucket, kmsKeyId } = await session.catalogLocation();
  // The RecoveryStack creates the volume key in AWS; against an emulator it is made on first use.
  const volumeKmsKeyId = await ensureLocalKey(clients.kms(config.drRegion), VOLUME_KEY_ALIAS);
  return out.step('Synthesising the backup workflow of the BackupStack (CDK)', async () =>
    localBackupRunner({ clients, config, bucket, kmsKeyId, volumeKmsKeyId, log }),
  );
}

/** The backup workflow the BackupStack deployed in the primary region (its output names it). */
async function deployedRunner(session: Session): Promise<WorkflowRunner> {
  const { config, out } = session;
  const clients = await session.clients();
  const stateMachineArn = await findBackupStateMachine(clients, config.primaryRegion);
  out.info(`  state machine ${stateMachineArn}`);
  return new DeployedWorkflowRunner(clients.sfn(config.primaryRegion), stateMachineArn);
}

/**
 * Takes a recovery point by running the backup workflow: with `--endpoint` on this machine (the
 * state machine the BackupStack deploys, handlers in-process, waits scaled down), otherwise the
 * one deployed in the primary region, waited for. Progress on stderr (with `verbose`, the
 * handlers' log lines of a local run too). Throws BackupExecutionError when no recovery point
 * was committed: the Capture step fails with NothingToBackUpError when no service matches
 * `lifeboat.selection`, so an empty fleet never gets a complete recovery point.
 */
export async function takeBackup(
  session: Session,
  opts: { readonly verbose: boolean } = { verbose: true },
): Promise<BackupOutcome> {
  const { config, out } = session;
  const log = new BackupLog(out, opts.verbose);
  const runner = session.local ? await localRunner(session, log) : await deployedRunner(session);
  const progress = new BackupProgress(out, {
    pollSeconds: config.volumes.ebs.pollSeconds,
    waitScale: runner.waitTimeScale,
  });
  const executionName = runner.executionName();
  const result = await out.step(
    `Capturing ECS services in ${config.primaryRegion} and copying their images and EBS volumes to ${config.drRegion} (backup workflow, execution ${executionName})`,
    async () => {
      const execution = await runner.start({}, { executionName, onEvent: progress.onEvent });
      session.running = {
        workflow: 'backup',
        mode: runner.mode,
        executionName,
        region: config.primaryRegion,
      };
      return execution.result();
    },
  );
  session.running = undefined;
  const { commit } = progress.steps;
  if (result.status !== 'SUCCEEDED' || !commit) {
    throw new BackupExecutionError(result.executionArn, result.status, result.error, result.cause);
  }
  const { bucket } = await session.catalogLocation();
  const manifest = await (await session.catalog()).get(commit.recoveryPointId, { allowPartial: true });
  return {
    manifest,
    key: commit.key,
    bucket,
    commit,
    ...(progress.steps.retention ? { retention: progress.steps.retention } : {}),
    ...(progress.steps.retentionError ? { retentionError: progress.steps.retentionError } : {}),
    execution: {
      name: executionName,
      arn: result.executionArn,
      status: result.status,
      ticks: progress.steps.ticks.length,
      stateTransitions: result.stateTransitions,
      durationMs: result.durationMs,
    },
    volumes: backedUpVolumeViews(manifest),
    warnings: log.warnings,
  };
}

/**
 * `lifeboat backup`: runs the backup workflow (on this machine against `--endpoint`, otherwise
 * the one deployed in the primary region) and commits a recovery point to the DR catalog. Exit 1
 * when the recovery point is partial.
 */
export async function runBackupCommand(session: Session): Promise<number> {
  const { config, out } = session;
  const backup = await takeBackup(session);
  const { manifest, key, bucket } = backup;
  out.result(
    {
      recoveryPoint: recoveryPointHeader(manifest),
      catalog: { bucket, region: config.drRegion, key },
      counts: manifestCounts(manifest),
      volumes: backup.volumes,
      errors: manifest.errors,
      warnings: backup.warnings,
      retention: backup.retention ?? null,
      ...(backup.retentionError ? { retentionError: backup.retentionError } : {}),
      commit: backup.commit,
      execution: backup.execution,
      calls: session.calls.toJSON(),
    },
    () => {
      const volumes =
        backup.volumes.length > 0 ? `\nEBS volumes\n${renderBackedUpVolumes(backup.volumes, out.color)}` : '';
      const { retention } = backup;
      const expired =
        retention && retention.recoveryPointsDeleted + retention.snapshotsDeleted > 0
          ? `\n${paint('Retention', 'bold', out.color)}: deleted ${plural(retention.recoveryPointsDeleted, 'recovery point')} and ${plural(retention.snapshotsDeleted, 'snapshot')} past lifeboat.retention\n`
          : '';
      return `${renderBackup(manifest, key, bucket, out.color)}${volumes}${expired}`;
    },
  );
  if (manifest.status === 'partial') {
    out.error(
      `Recovery point ${manifest.id} is partial: ${plural(manifest.errors.length, 'resource')} could not be captured (see the errors). ` +
        'It is stored and can be restored with --allow-partial; fix the causes and run `lifeboat backup` again.',
    );
    return ExitCode.Failed;
  }
  return ExitCode.Ok;
}
