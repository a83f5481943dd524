import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  type BackupCommitHandlerDeps,
  type CommitBackupResult,
  createHandler as commitHandler,
} from '../../../lambda/backup-commit';
import { type BackupVolumesResult, createHandler as volumesHandler } from '../../../lambda/backup-volumes';
import { type CaptureHandlerResult, createHandler as captureHandler } from '../../../lambda/capture';
import { BACKUP_STACK_ID, VOLUME_KEY_ALIAS } from '../../../lib/names';
import { BackupStack } from '../../../lib/stacks/backup-stack';
import { BACKUP_FUNCTIONS } from '../../../lib/workflows/backup-workflow';
import type { AwsClients } from '../../aws/clients';
import type { CaptureLogger } from '../../backup/capture';
import type { LifeboatConfig } from '../../config/schema';
import type {
  ExecutionEvent,
  LambdaHandler,
  LocalExecutionResult,
} from '../../emulator/step-functions/engine';
import {
  localExecutionName,
  runSynthesisedWorkflow,
  type SynthesisedWorkflow,
  synthesiseWorkflow,
} from './local-workflow';

/**
 * Synthesises the BackupStack in-process (bundling skipped) and renders its backup state machine
 * for the primary region. Cached per configuration (a synth takes seconds).
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

/** What one step of a local backup returned, as it happens. */
export type BackupStep =
  | { readonly step: 'capture'; readonly result: CaptureHandlerResult }
  | { readonly step: 'copy'; readonly tick: number; readonly result: BackupVolumesResult }
  | { readonly step: 'commit'; readonly result: CommitBackupResult };

export interface LocalBackupOptions {
  /** Clients pointed at the emulator (or AWS): the handlers use them. */
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  /** Catalog bucket in the DR region. */
  readonly bucket: string;
  /** KMS key for the catalog objects the backup writes. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** KMS key (alias or ARN) in the DR region for the DR snapshot copies. @default 'alias/lifeboat-volumes' */
  readonly volumeKmsKeyId?: string;
  /** @default - `local-<time>-<random>` */
  readonly executionName?: string;
  /**
   * Multiplies the Wait between copy ticks (`volumes.ebs.pollSeconds`) and retry intervals;
   * 0 skips them. Against AWS use 1: copies take real time.
   * @default 0.02 (a 60 s wait takes 1.2 s)
   */
  readonly waitTimeScale?: number;
  /** Live progress: every execution event (state entered, …). */
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** Live progress: each step's result (Capture, every CopyVolumes tick, Commit). */
  readonly onStep?: (step: BackupStep) => void;
  /** The handlers' log lines. @default - no logging */
  readonly log?: CaptureLogger;
  /** @default - the system clock */
  readonly now?: () => Date;
}

export interface LocalBackupResult extends LocalExecutionResult {
  readonly executionName: string;
  /** The Capture step's result (absent when it failed). */
  readonly capture?: CaptureHandlerResult;
  /** Every CopyVolumes tick's result, in order. */
  readonly ticks: readonly BackupVolumesResult[];
  /** The Commit step's result (the execution output): the recovery point committed. */
  readonly commit?: CommitBackupResult;
}

/**
 * Runs the backup workflow on this machine: the exact definition the BackupStack deploys (only
 * resource ARNs and wait times differ), each Lambda mapped by its `LIFEBOAT_FUNCTION` to the
 * in-process handler with `clients`. Staging goes to the catalog as in AWS.
 */
export async function runLocalBackup(opts: LocalBackupOptions): Promise<LocalBackupResult> {
  const workflow = synthesiseBackupWorkflow(opts.config);
  const env: Record<string, string> = {
    LIFEBOAT_CONFIG: JSON.stringify(opts.config),
    CATALOG_BUCKET: opts.bucket,
    ...(opts.kmsKeyId ? { CATALOG_KMS_KEY_ID: opts.kmsKeyId } : {}),
    VOLUME_KMS_KEY_ID: opts.volumeKmsKeyId ?? VOLUME_KEY_ALIAS,
  };
  const base: Omit<BackupCommitHandlerDeps, 'metrics'> = {
    clients: opts.clients,
    env,
    logger: new ForwardingLogger(opts.log),
    ...(opts.now ? { now: opts.now } : {}),
  };
  let capture: CaptureHandlerResult | undefined;
  const ticks: BackupVolumesResult[] = [];
  let commit: CommitBackupResult | undefined;
  const captureStep = captureHandler({ ...base, metrics: new LocalMetrics() });
  const volumesStep = volumesHandler(base);
  const commitStep = commitHandler({ ...base, metrics: new LocalMetrics() });
  const handlers: Record<string, LambdaHandler> = {
    [BACKUP_FUNCTIONS.capture]: async (event: never, context) => {
      capture = await captureStep(event, context);
      opts.onStep?.({ step: 'capture', result: capture });
      return capture;
    },
    [BACKUP_FUNCTIONS.volumes]: async (event: never, context) => {
      const result = await volumesStep(event, context);
      ticks.push(result);
      opts.onStep?.({ step: 'copy', tick: ticks.length, result });
      return result;
    },
    [BACKUP_FUNCTIONS.commit]: async (event: never, context) => {
      commit = await commitStep(event, context);
      opts.onStep?.({ step: 'commit', result: commit });
      return commit;
    },
  };
  const executionName = opts.executionName ?? localExecutionName();
  const result = await runSynthesisedWorkflow({
    workflow,
    handlers,
    input: {},
    clients: opts.clients,
    region: opts.config.primaryRegion,
    account: opts.config.account,
    executionName,
    waitTimeScale: opts.waitTimeScale ?? 0.02,
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  return {
    ...result,
    executionName,
    ...(capture ? { capture } : {}),
    ticks,
    ...(commit ? { commit } : {}),
  };
}

/**
 * The handlers' Powertools Logger, writing nothing itself: each line goes to `sink` (stdout is
 * the CLI's, and a local run's log belongs to whoever runs it).
 */
class ForwardingLogger extends Logger {
  constructor(private readonly sink: CaptureLogger | undefined) {
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
