import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { BACKUP_STACK_ID, RECOVERY_STACK_ID } from '../../../../lib/names';
import type { AwsClients } from '../../../aws/clients';
import { awsErrorCode, awsErrorMessage } from '../../../aws/errors';
import { sleep } from '../../../kernel/sleep';
import { CliError } from '../../errors';
import { BackupStackNotFoundError, RecoveryStackNotFoundError, type StackNotFoundError } from '../errors';
import {
  executionNameAt,
  type StartOptions,
  type WorkflowEvent,
  type WorkflowExecution,
  type WorkflowResult,
  type WorkflowRunner,
} from '../workflow-runner';

/** The RecoveryStack output naming the restore state machine. */
export const RESTORE_STATE_MACHINE_OUTPUT = 'RestoreStateMachineArn';

/** The BackupStack output naming the backup state machine. */
export const BACKUP_STATE_MACHINE_OUTPUT = 'BackupStateMachineArn';

/** Where a deployed workflow's state machine is found, and the error when it is not. */
interface DeployedStack {
  readonly stackName: string;
  readonly what: string;
  readonly output: string;
  readonly notFound: (detail: string, cause?: unknown) => StackNotFoundError;
}

/** The ARN a stack's output names, from its outputs in `region`. */
async function findStateMachine(clients: AwsClients, region: string, stack: DeployedStack): Promise<string> {
  let outputs: { OutputKey?: string; OutputValue?: string }[] | undefined;
  try {
    const res = await clients.cfn(region).send(new DescribeStacksCommand({ StackName: stack.stackName }));
    outputs = res.Stacks?.[0]?.Outputs;
  } catch (error) {
    if (awsErrorCode(error) === 'ValidationError' && /does not exist/i.test(awsErrorMessage(error))) {
      throw stack.notFound(`The ${stack.what} (${stack.stackName}) is not deployed in ${region}.`, error);
    }
    throw error;
  }
  const arn = outputs?.find((o) => o.OutputKey === stack.output)?.OutputValue;
  if (!arn) {
    throw stack.notFound(
      `Stack ${stack.stackName} in ${region} has no ${stack.output} output (an older or different stack).`,
    );
  }
  return arn;
}

/** ARN of the deployed restore state machine, from the RecoveryStack's outputs in the DR region. */
export function findRestoreStateMachine(
  clients: AwsClients,
  region: string,
  stackName: string = RECOVERY_STACK_ID,
): Promise<string> {
  return findStateMachine(clients, region, {
    stackName,
    what: 'RecoveryStack',
    output: RESTORE_STATE_MACHINE_OUTPUT,
    notFound: (detail, cause) =>
      new RecoveryStackNotFoundError(stackName, region, detail, cause === undefined ? undefined : { cause }),
  });
}

/** ARN of the deployed backup state machine, from the BackupStack's outputs in the primary region. */
export function findBackupStateMachine(
  clients: AwsClients,
  region: string,
  stackName: string = BACKUP_STACK_ID,
): Promise<string> {
  return findStateMachine(clients, region, {
    stackName,
    what: 'BackupStack',
    output: BACKUP_STATE_MACHINE_OUTPUT,
    notFound: (detail, cause) =>
      new BackupStackNotFoundError(stackName, region, detail, cause === undefined ? undefined : { cause }),
  });
}

export interface DeployedWorkflowOptions {
  /** Pause between two polls of a running execution. @default 5000 */
  readonly pollIntervalMs?: number;
  /** @default - the kernel's sleep */
  readonly sleep?: (ms: number) => Promise<void>;
}

const ENDED = new Set<string>(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // A truncated payload (over 256 KiB) is not JSON.
    return undefined;
  }
}

/** A history event as the views read it; undefined for events no view reads. */
export function workflowEventOfHistory(event: HistoryEvent): WorkflowEvent | undefined {
  const type = event.type ?? '';
  const entered = event.stateEnteredEventDetails?.name;
  if (type.endsWith('StateEntered') && entered !== undefined)
    return { type: 'StateEntered', stateName: entered };
  const exited = event.stateExitedEventDetails;
  if (type.endsWith('StateExited') && exited?.name !== undefined) {
    return { type: 'StateExited', stateName: exited.name, output: parseJson(exited.output) };
  }
  const iteration = event.mapIterationStartedEventDetails;
  if (type === 'MapIterationStarted' && iteration?.name !== undefined && iteration.index !== undefined) {
    return { type: 'MapIterationStarted', mapState: iteration.name, index: iteration.index };
  }
  return undefined;
}

/**
 * A workflow deployed in AWS: StartExecution, then DescribeExecution and GetExecutionHistory
 * every poll until it ends; the history's new events go to `onEvent` as they appear.
 */
export class DeployedWorkflowRunner implements WorkflowRunner {
  readonly mode = 'deployed';
  readonly waitTimeScale = 1;

  constructor(
    private readonly sfn: SFNClient,
    readonly stateMachineArn: string,
    private readonly opts: DeployedWorkflowOptions = {},
  ) {}

  executionName(now: Date = new Date()): string {
    return executionNameAt('cli', now);
  }

  async start(input: unknown, opts: StartOptions): Promise<WorkflowExecution> {
    const { executionArn } = await this.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: this.stateMachineArn,
        name: opts.executionName,
        input: JSON.stringify(input),
      }),
    );
    if (!executionArn) throw new CliError('Step Functions StartExecution returned no execution ARN.');
    const execution = new DeployedExecution(this.sfn, executionArn, this.opts, opts.onEvent);
    return { name: opts.executionName, result: () => execution.result() };
  }
}

/** One execution of a deployed state machine, followed through its history. */
class DeployedExecution {
  private lastEventId = 0;
  private statesEntered = 0;

  constructor(
    private readonly sfn: SFNClient,
    private readonly executionArn: string,
    private readonly opts: DeployedWorkflowOptions,
    private readonly onEvent: ((event: WorkflowEvent) => void) | undefined,
  ) {}

  async result(): Promise<WorkflowResult> {
    const wait = this.opts.sleep ?? sleep;
    for (;;) {
      const execution = await this.sfn.send(
        new DescribeExecutionCommand({ executionArn: this.executionArn }),
      );
      // Read after DescribeExecution: once it has ended, the history holds every event.
      await this.readHistory();
      if (execution.status !== undefined && ENDED.has(execution.status)) return this.ended(execution);
      await wait(this.opts.pollIntervalMs ?? 5_000);
    }
  }

  /** Delivers the events after the last one seen (the history read newest first, down to it). */
  private async readHistory(): Promise<void> {
    const fresh: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: this.executionArn,
          reverseOrder: true,
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      const events = page.events ?? [];
      const newer = events.filter((e) => (e.id ?? 0) > this.lastEventId);
      fresh.push(...newer);
      nextToken = newer.length === events.length ? page.nextToken : undefined;
    } while (nextToken);
    for (const event of fresh.reverse()) {
      this.lastEventId = Math.max(this.lastEventId, event.id ?? 0);
      const workflowEvent = workflowEventOfHistory(event);
      if (workflowEvent?.type === 'StateEntered') this.statesEntered += 1;
      if (workflowEvent) this.onEvent?.(workflowEvent);
    }
  }

  private ended(execution: DescribeExecutionCommandOutput): WorkflowResult {
    const started = execution.startDate?.getTime() ?? Date.now();
    const output = parseJson(execution.output);
    return {
      executionArn: this.executionArn,
      status: execution.status as WorkflowResult['status'],
      ...(output !== undefined ? { output } : {}),
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
      stateTransitions: this.statesEntered,
      durationMs: (execution.stopDate?.getTime() ?? Date.now()) - started,
    };
  }
}
