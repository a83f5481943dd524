import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type BackupCommitHandlerDeps, createHandler as commitHandler } from '../../../lambda/backup-commit';
import { createHandler as retentionHandler } from '../../../lambda/backup-retention';
import { createHandler as volumesHandler } from '../../../lambda/backup-volumes';
import { createHandler as captureHandler } from '../../../lambda/capture';
import { BACKUP_STACK_ID, VOLUME_KEY_ALIAS } from '../../../lib/names';
import { BackupStack } from '../../../lib/stacks/backup-stack';
import { BACKUP_FUNCTIONS } from '../../../lib/workflows/backup-workflow';
import type { AwsClients } from '../../aws/clients';
import type { BackupVolumesResult, CaptureHandlerResult, CommitBackupResult } from '../../backup/results';
import type { RetentionResult } from '../../backup/retention';
import type { LifeboatConfig } from '../../config/schema';
import type {
  ExecutionEvent,
  LambdaHandler,
  LocalExecutionResult,
} from '../../emulator/step-functions/engine';
import type { Logger } from '../../kernel/logger';
import { type BackupStep, BackupSteps } from './backup-events';
import {
  LocalWorkflowRunner,
  localExecutionName,
  runSynthesisedWorkflow,
  type SynthesisedWorkflow,
  synthesiseWorkflow,
  workflowEventOf,
} from './local-workflow';

/**
 * Synthesises the BackupStack in-process (bundling skipped) and renders its backup state machine
 * for the primary region. Cached in this process and on disk (see `synthesiseWorkflow`).
 */
export function synthesiseBackupWorkflow(config: LifeboatConfig): SynthesisedWorkflow {
  return synthesiseWorkflow({
    name: 'backup',
    config,
    region: config.primaryRegion,
    build: (app) => {
      const stack = new BackupStack(app, BACKUP_STACK_ID, { config });
      return { stack, stateMachine: stack.backup.stateMachine };
    },
    handlerNames: Object.values(BACKUP_FUNCTIONS),
  });
}

/** Wait times of a local run against the emulator: a 60 s wait between copy ticks takes 1.2 s. */
const LOCAL_BACKUP_WAIT_SCALE = 0.02;

/** What a local backup runs with, whatever the execution. */
export interface LocalBackupSetup {
  /** Clients pointed at the emulator (or any endpoint): the handlers use them. */
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  /** Catalog bucket in the DR region. */
  readonly bucket: string;
  /** KMS key for the catalog objects the backup writes. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** KMS key (alias or ARN) in the DR region for the DR snapshot copies. @default 'alias/lifeboat-volumes' */
  readonly volumeKmsKeyId?: string;
  /**
   * Multiplies the Wait between copy ticks (`volumes.ebs.pollSeconds`) and retry intervals;
   * 0 skips them.
   * @default 0.02 (a 60 s wait takes 1.2 s)
   */
  readonly waitTimeScale?: number;
  /** The handlers' log lines, as the Lambdas would write them. @default - no logging */
  readonly log?: Logger;
  /** @default - the system clock */
  readonly now?: () => Date;
}

export interface LocalBackupOptions extends LocalBackupSetup {
  /** The execution input. @default {} (as the schedule starts it; Capture reads none) */
  readonly input?: unknown;
  /** @default - `local-<time>-<random>` */
  readonly executionName?: string;
  /** Live progress: every execution event (state entered, …); `output`: a StateExited state's output. */
  readonly onEvent?: (event: ExecutionEvent, output?: unknown) => void;
  /** Live progress: each step's result (Capture, every CopyVolumes tick, Commit). */
  readonly onStep?: (step: BackupStep) => void;
}

export interface LocalBackupResult extends LocalExecutionResult {
  readonly executionName: string;
  /** The Capture step's result (absent when it failed). */
  readonly capture?: CaptureHandlerResult;
  /** Every CopyVolumes tick's result, in order. */
  readonly ticks: readonly BackupVolumesResult[];
  /** The Commit step's result: the recovery point committed. */
  readonly commit?: CommitBackupResult;
  /** ApplyRetention's result (absent when it failed: see `retentionError`). */
  readonly retention?: RetentionResult;
  /** Why ApplyRetention failed; the recovery point is committed. */
  readonly retentionError?: string;
}

/** The in-process handler of each backup Lambda, by its `LIFEBOAT_FUNCTION`. */
function backupHandlers(setup: LocalBackupSetup): Record<string, LambdaHandler> {
  const env: Record<string, string> = {
    LIFEBOAT_CONFIG: JSON.stringify(setup.config),
    CATALOG_BUCKET: setup.bucket,
    ...(setup.kmsKeyId ? { CATALOG_KMS_KEY_ID: setup.kmsKeyId } : {}),
    VOLUME_KMS_KEY_ID: setup.volumeKmsKeyId ?? VOLUME_KEY_ALIAS,
  };
  const base: Omit<BackupCommitHandlerDeps, 'metrics'> = {
    clients: setup.clients,
    env,
    logger: new ForwardingLogger(setup.log),
    ...(setup.now ? { now: setup.now } : {}),
  };
  return {
    [BACKUP_FUNCTIONS.capture]: captureHandler({ ...base, metrics: new LocalMetrics() }),
    [BACKUP_FUNCTIONS.volumes]: volumesHandler(base),
    [BACKUP_FUNCTIONS.commit]: commitHandler({ ...base, metrics: new LocalMetrics() }),
    [BACKUP_FUNCTIONS.retention]: retentionHandler({ ...base, metrics: new LocalMetrics() }),
  };
}

/**
 * Runs the backup workflow on this machine: the exact definition the BackupStack deploys (only
 * resource ARNs and wait times differ), each Lambda mapped by its `LIFEBOAT_FUNCTION` to the
 * in-process handler with `clients`. Staging goes to the catalog as in AWS.
 */
export async function runLocalBackup(opts: LocalBackupOptions): Promise<LocalBackupResult> {
  const steps = new BackupSteps();
  const executionName = opts.executionName ?? localExecutionName();
  const result = await runSynthesisedWorkflow({
    workflow: synthesiseBackupWorkflow(opts.config),
    handlers: backupHandlers(opts),
    input: opts.input ?? {},
    clients: opts.clients,
    region: opts.config.primaryRegion,
    account: opts.config.account,
    executionName,
    waitTimeScale: opts.waitTimeScale ?? LOCAL_BACKUP_WAIT_SCALE,
    onEvent: (raw, output) => {
      opts.onEvent?.(raw, output);
      const event = workflowEventOf(raw, output);
      const step = event && steps.next(event);
      if (step) opts.onStep?.(step);
    },
  });
  return {
    ...result,
    executionName,
    ...(steps.capture ? { capture: steps.capture } : {}),
    ticks: steps.ticks,
    ...(steps.commit ? { commit: steps.commit } : {}),
    ...(steps.retention ? { retention: steps.retention } : {}),
    ...(steps.retentionError ? { retentionError: steps.retentionError } : {}),
  };
}

/**
 * The backup workflow on this machine as a runner (see `runLocalBackup`). Synthesises the
 * BackupStack now, so a command can show that step on its own.
 */
export function localBackupRunner(setup: LocalBackupSetup): LocalWorkflowRunner {
  synthesiseBackupWorkflow(setup.config);
  return new LocalWorkflowRunner(
    ({ input, executionName, onEvent }) => runLocalBackup({ ...setup, input, executionName, onEvent }),
    setup.waitTimeScale ?? LOCAL_BACKUP_WAIT_SCALE,
  );
}

/**
 * The handlers' Powertools Logger, writing nothing itself: each line goes to `sink` (stdout is
 * the CLI's, and a local run's log belongs to whoever runs it).
 */
class ForwardingLogger extends PowertoolsLogger {
  constructor(private readonly sink: Logger | undefined) {
    super({ logLevel: 'SILENT' });
  }

  override info(input: LogItemMessage, ...extraInput: LogItemExtraInput): void {
    this.sink?.info(...forwarded(input, extraInput));
  }

  override warn(input: LogItemMessage, ...extraInput: LogItemExtraInput): void {
    this.sink?.warn(...forwarded(input, extraInput));
  }

  override error(input: LogItemMessage, ...extraInput: LogItemExtraInput): void {
    this.sink?.warn(...forwarded(input, extraInput));
  }
}

function forwarded(input: LogItemMessage, extraInput: LogItemExtraInput): [string, Record<string, unknown>] {
  const { message, ...fromInput } = typeof input === 'string' ? { message: input } : input;
  const attributes: LogAttributes = { ...fromInput };
  for (const extra of extraInput) {
    if (extra instanceof Error) attributes.error = `${extra.name}: ${extra.message}`;
    else if (typeof extra === 'string') attributes.extra = extra;
    else Object.assign(attributes, extra);
  }
  return [String(message), attributes];
}

/** Metrics that publish nothing: EMF goes to stdout, which carries the CLI's output locally. */
class LocalMetrics extends Metrics {
  constructor() {
    super({ namespace: 'Lifeboat' });
  }

  override publishStoredMetrics(): this {
    this.clearMetrics();
    return this;
  }
}
