import type { CfnElement } from 'aws-cdk-lib';
import { createHandler as checkHandler } from '../../../lambda/restore-check';
import { createHandler as prepareHandler } from '../../../lambda/restore-prepare';
import { createHandler as reportHandler } from '../../../lambda/restore-report';
import { createHandler as serviceHandler } from '../../../lambda/restore-service';
import { createHandler as sharedHandler } from '../../../lambda/restore-shared';
import { RECOVERY_STACK_ID } from '../../../lib/names';
import { RecoveryStack } from '../../../lib/stacks/recovery-stack';
import { RESTORE_FUNCTIONS } from '../../../lib/workflows/restore-workflow';
import type { AwsClients } from '../../aws/clients';
import type { LifeboatConfig } from '../../config/schema';
import { restoreConfigOf } from '../../config/settings';
import type {
  ExecutionEvent,
  LambdaHandler,
  LocalExecutionResult,
} from '../../emulator/step-functions/engine';
import type { RestoreHandlerDeps } from '../../restore/handler-support';
import type { ReportResult } from '../../restore/report';
import {
  LocalWorkflowRunner,
  localExecutionName,
  runSynthesisedWorkflow,
  type SynthesisedWorkflow,
  synthesiseWorkflow,
  workflowEventOf,
} from './local-workflow';
import { restoreProgressOf } from './restore-events';

type HandlerFactory = (deps: RestoreHandlerDeps) => LambdaHandler;

/** In-process handler of each restore Lambda, by its `LIFEBOAT_FUNCTION` (the handler module name). */
const HANDLERS: Readonly<Record<string, HandlerFactory>> = {
  [RESTORE_FUNCTIONS.prepare]: prepareHandler,
  [RESTORE_FUNCTIONS.shared]: sharedHandler,
  [RESTORE_FUNCTIONS.service]: serviceHandler,
  [RESTORE_FUNCTIONS.check]: checkHandler,
  [RESTORE_FUNCTIONS.report]: reportHandler,
};

/** Wait times of a local run against the emulator: a 15 s wait between steady-state checks takes 0.3 s. */
const LOCAL_RESTORE_WAIT_SCALE = 0.02;

/**
 * Synthesises the RecoveryStack in-process (bundling skipped) and renders its restore state
 * machine for the DR region; the report topic the state machine itself publishes to (when the
 * Report step fails) is `topicArn`, the emulator's topic. Cached in this process and on disk
 * (see `synthesiseWorkflow`).
 */
export function synthesiseRestoreWorkflow(config: LifeboatConfig, topicArn?: string): SynthesisedWorkflow {
  return synthesiseWorkflow({
    name: 'restore',
    config,
    region: config.drRegion,
    build: (app) => {
      const stack = new RecoveryStack(app, RECOVERY_STACK_ID, { config });
      return { stack, stateMachine: stack.restore.stateMachine };
    },
    handlerNames: Object.keys(HANDLERS),
    logicalIds: (stack) => ({
      reportTopic: stack.getLogicalId(stack.reportTopic.node.defaultChild as CfnElement),
    }),
    ...(topicArn ? { resources: { reportTopic: { Ref: topicArn, TopicArn: topicArn } } } : {}),
  });
}

/** What a local restore runs with, whatever the execution. */
export interface LocalRestoreSetup {
  /** Clients pointed at the emulator (or any endpoint): the handlers and `aws-sdk:` tasks use them. */
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  /** Catalog bucket in the DR region. */
  readonly bucket: string;
  /** KMS key for the objects the restore writes. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** Topic the report is published to (see `ensureLocalReportTopic`). @default - no notification */
  readonly topicArn?: string;
  /**
   * KMS key (alias or ARN, DR region) of the standalone volumes the restore creates.
   * @default - the handlers' default, `alias/lifeboat-volumes`
   */
  readonly volumeKmsKeyId?: string;
  /** Multiplies Wait times (0 skips them). @default 0.02 (a 15 s wait takes 0.3 s) */
  readonly waitTimeScale?: number;
}

export interface LocalRestoreOptions extends LocalRestoreSetup {
  /** The execution input (what the console's Start execution takes). */
  readonly input: unknown;
  /** @default - `local-<time>-<random>` */
  readonly executionName?: string;
  /** Live progress: every execution event (state entered, Map iteration, …); `output`: a StateExited state's output. */
  readonly onEvent?: (event: ExecutionEvent, output?: unknown) => void;
}

export interface LocalRestoreResult extends LocalExecutionResult {
  readonly executionName: string;
  /** The Report step's result (absent for dry runs and executions that failed before it). */
  readonly report?: ReportResult;
}

/**
 * Runs the restore workflow on this machine: the exact definition the RecoveryStack deploys
 * (only resource ARNs and wait times differ), each Lambda mapped by its `LIFEBOAT_FUNCTION`
 * to the in-process handler with `clients`.
 */
export async function runLocalRestore(opts: LocalRestoreOptions): Promise<LocalRestoreResult> {
  const env: Record<string, string> = {
    LIFEBOAT_CONFIG: JSON.stringify(restoreConfigOf(opts.config)),
    CATALOG_BUCKET: opts.bucket,
    ...(opts.kmsKeyId ? { CATALOG_KMS_KEY_ID: opts.kmsKeyId } : {}),
    ...(opts.topicArn ? { REPORT_TOPIC_ARN: opts.topicArn } : {}),
    ...(opts.volumeKmsKeyId ? { VOLUME_KMS_KEY_ID: opts.volumeKmsKeyId } : {}),
  };
  const handlers: Record<string, LambdaHandler> = {};
  for (const [name, factory] of Object.entries(HANDLERS))
    handlers[name] = factory({ clients: opts.clients, env, holderEnded: localHolderEnded });
  let report: ReportResult | undefined;
  const executionName = opts.executionName ?? localExecutionName();
  runningLocally.add(executionName);
  const result = await runSynthesisedWorkflow({
    workflow: synthesiseRestoreWorkflow(opts.config, opts.topicArn),
    handlers,
    input: opts.input,
    clients: opts.clients,
    region: opts.config.drRegion,
    account: opts.config.account,
    executionName,
    waitTimeScale: opts.waitTimeScale ?? LOCAL_RESTORE_WAIT_SCALE,
    onEvent: (raw, output) => {
      opts.onEvent?.(raw, output);
      const event = workflowEventOf(raw, output);
      const progress = event && restoreProgressOf(event);
      if (progress?.kind === 'reported') report = progress.result;
    },
  }).finally(() => runningLocally.delete(executionName));
  return { ...result, executionName, ...(report ? { report } : {}) };
}

/**
 * Local executions running in this process. A local run has no Step Functions to ask: the
 * holder of a failover lease has ended when it does not run here (a local run's lease comes from
 * this machine, and a process that ended took its runs with it).
 */
const runningLocally = new Set<string>();

async function localHolderEnded(holder: { readonly execution: string }): Promise<boolean> {
  return !runningLocally.has(holder.execution);
}

/**
 * The restore workflow on this machine as a runner (see `runLocalRestore`). Synthesises the
 * RecoveryStack now, so a command can show that step on its own.
 */
export function localRestoreRunner(setup: LocalRestoreSetup): LocalWorkflowRunner {
  synthesiseRestoreWorkflow(setup.config, setup.topicArn);
  return new LocalWorkflowRunner(
    ({ input, executionName, onEvent }) => runLocalRestore({ ...setup, input, executionName, onEvent }),
    setup.waitTimeScale ?? LOCAL_RESTORE_WAIT_SCALE,
  );
}
