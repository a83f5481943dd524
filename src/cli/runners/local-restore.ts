import { CreateTopicCommand } from '@aws-sdk/client-sns';
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
import {
  type ExecutionEvent,
  type LambdaHandler,
  type LocalExecutionResult,
  LocalStepFunctionsError,
} from '../../emulator/step-functions/engine';
import type { RestoreLogger } from '../../restore/context';
import type { RestoreHandlerDeps } from '../../restore/handler-support';
import type { ReportResult } from '../../restore/report';
import {
  localExecutionName,
  runSynthesisedWorkflow,
  type SynthesisedWorkflow,
  synthesiseWorkflow,
} from './local-workflow';

export { localExecutionName } from './local-workflow';

/** Topic the local runs publish restore reports to (created on the emulator when missing). */
export const LOCAL_REPORT_TOPIC = 'lifeboat-restore-reports';

type HandlerFactory = (deps: RestoreHandlerDeps) => LambdaHandler;

/** In-process handler of each restore Lambda, by its `LIFEBOAT_FUNCTION` (the handler module name). */
const HANDLERS: Readonly<Record<string, HandlerFactory>> = {
  [RESTORE_FUNCTIONS.prepare]: prepareHandler,
  [RESTORE_FUNCTIONS.shared]: sharedHandler,
  [RESTORE_FUNCTIONS.service]: serviceHandler,
  [RESTORE_FUNCTIONS.check]: checkHandler,
  [RESTORE_FUNCTIONS.report]: reportHandler,
};

/** The restore state machine as CDK deploys it, with each Lambda's `LIFEBOAT_FUNCTION`. */
export type SynthesisedRestoreWorkflow = SynthesisedWorkflow;

/**
 * Synthesises the RecoveryStack in-process (bundling skipped) and renders its restore state
 * machine for the DR region. Cached per configuration (a synth takes seconds).
 */
export function synthesiseRestoreWorkflow(config: LifeboatConfig): SynthesisedRestoreWorkflow {
  return synthesiseWorkflow({
    name: 'restore',
    config,
    region: config.drRegion,
    build: (app) => {
      const stack = new RecoveryStack(app, RECOVERY_STACK_ID, { config });
      return { stack, stateMachine: stack.restore.stateMachine };
    },
    handlerNames: Object.keys(HANDLERS),
  });
}

/** Creates (or finds: CreateTopic is idempotent) the local report topic; returns its ARN. */
export async function ensureLocalReportTopic(clients: AwsClients, region: string): Promise<string> {
  const res = await clients.sns(region).send(new CreateTopicCommand({ Name: LOCAL_REPORT_TOPIC }));
  if (!res.TopicArn) throw new LocalStepFunctionsError('SNS CreateTopic returned no TopicArn.');
  return res.TopicArn;
}

export interface LocalRestoreOptions {
  /** Clients pointed at the emulator (or any endpoint): the handlers and `aws-sdk:` tasks use them. */
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  /** Catalog bucket in the DR region. */
  readonly bucket: string;
  /** KMS key for the objects the restore writes. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** Topic the report is published to. @default - no notification */
  readonly topicArn?: string;
  /**
   * KMS key (alias or ARN, DR region) of the standalone volumes the restore creates.
   * @default - the handlers' default, `alias/lifeboat-volumes`
   */
  readonly volumeKmsKeyId?: string;
  /** The execution input (what the console's Start execution takes). */
  readonly input: unknown;
  /** @default - `local-<time>-<random>` */
  readonly executionName?: string;
  /** Multiplies Wait times (0 skips them). @default 0.02 (a 15 s wait takes 0.3 s) */
  readonly waitTimeScale?: number;
  /** Live progress: every execution event (state entered, Map iteration, …). */
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** @default - no logging */
  readonly log?: RestoreLogger;
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
  const workflow = synthesiseRestoreWorkflow(opts.config);
  const env: Record<string, string> = {
    LIFEBOAT_CONFIG: JSON.stringify(restoreConfigOf(opts.config)),
    CATALOG_BUCKET: opts.bucket,
    ...(opts.kmsKeyId ? { CATALOG_KMS_KEY_ID: opts.kmsKeyId } : {}),
    ...(opts.topicArn ? { REPORT_TOPIC_ARN: opts.topicArn } : {}),
    ...(opts.volumeKmsKeyId ? { VOLUME_KMS_KEY_ID: opts.volumeKmsKeyId } : {}),
  };
  let report: ReportResult | undefined;
  const handlers: Record<string, LambdaHandler> = {};
  for (const [name, factory] of Object.entries(HANDLERS)) {
    const handler = factory({ clients: opts.clients, env, ...(opts.log ? { log: opts.log } : {}) });
    handlers[name] =
      name === RESTORE_FUNCTIONS.report
        ? async (event: never, context) => {
            report = (await handler(event, context)) as ReportResult;
            return report;
          }
        : handler;
  }
  const executionName = opts.executionName ?? localExecutionName();
  const result = await runSynthesisedWorkflow({
    workflow,
    handlers,
    input: opts.input,
    clients: opts.clients,
    region: opts.config.drRegion,
    account: opts.config.account,
    executionName,
    waitTimeScale: opts.waitTimeScale ?? 0.02,
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  return { ...result, executionName, ...(report ? { report } : {}) };
}
