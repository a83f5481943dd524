import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, type ExecutionStatus, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { RECOVERY_STACK_ID } from '../../../lib/names';
import type { AwsClients } from '../../aws/clients';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import type { ReportResult, RestoreReport } from '../../restore/report';
import { CliError, ExecutionEndedError, UsageError } from '../errors';

/** The RecoveryStack output naming the restore state machine. */
export const RESTORE_STATE_MACHINE_OUTPUT = 'RestoreStateMachineArn';

/** The RecoveryStack is not deployed in the DR region (or has no restore workflow output). */
export class RecoveryStackNotFoundError extends UsageError {
  constructor(
    readonly stackName: string,
    readonly region: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${detail} Deploy it with \`npx cdk deploy ${stackName}\`, or check "drRegion" in the configuration, --dr-region and --profile. ` +
        'To fail over on this machine against an emulator instead, pass --endpoint.',
      options,
    );
    this.name = 'RecoveryStackNotFoundError';
  }
}

/** The restore execution ended without a restore report (it failed before the Report step, or was stopped). */
export class RestoreExecutionError extends ExecutionEndedError {
  constructor(executionArn: string, status: string, error: string | undefined, cause: string | undefined) {
    super(
      'restore',
      executionArn,
      status,
      error,
      cause,
      'Open it in the Step Functions console for the failing step; nothing after that step was changed.',
    );
    this.name = 'RestoreExecutionError';
  }
}

/** ARN of the deployed restore state machine, from the RecoveryStack's outputs in the DR region. */
export async function findRestoreStateMachine(
  clients: AwsClients,
  region: string,
  stackName: string = RECOVERY_STACK_ID,
): Promise<string> {
  let outputs: { OutputKey?: string; OutputValue?: string }[] | undefined;
  try {
    const res = await clients.cfn(region).send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = res.Stacks?.[0]?.Outputs;
  } catch (error) {
    if (awsErrorCode(error) === 'ValidationError' && /does not exist/i.test(awsErrorMessage(error))) {
      throw new RecoveryStackNotFoundError(
        stackName,
        region,
        `The RecoveryStack (${stackName}) is not deployed in ${region}.`,
        { cause: error },
      );
    }
    throw error;
  }
  const arn = outputs?.find((o) => o.OutputKey === RESTORE_STATE_MACHINE_OUTPUT)?.OutputValue;
  if (!arn) {
    throw new RecoveryStackNotFoundError(
      stackName,
      region,
      `Stack ${stackName} in ${region} has no ${RESTORE_STATE_MACHINE_OUTPUT} output (an older or different stack).`,
    );
  }
  return arn;
}

export interface DeployedRestoreOptions {
  readonly stateMachineArn: string;
  readonly executionName: string;
  /** The execution input (validated by the workflow's first step). */
  readonly input: unknown;
  /** Pause between two DescribeExecution calls. @default 5000 */
  readonly pollIntervalMs?: number;
  /** Called after each poll while the execution runs. */
  readonly onPoll?: (status: ExecutionStatus | undefined, elapsedMs: number) => void;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface DeployedRestoreResult {
  readonly executionArn: string;
  readonly status: ExecutionStatus;
  /** The report, from the output (SUCCEEDED) or from the catalog (RestoreIncomplete). */
  readonly report: RestoreReport;
  readonly reportLocation?: string;
  readonly error?: string;
  readonly cause?: string;
}

const REPORT_IN_CAUSE = /Report: s3:\/\/([^/\s]+)\/(\S+)$/;

async function readReport(clients: AwsClients, region: string, bucket: string, key: string) {
  const res = await clients.s3(region).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse((await res.Body?.transformToString('utf-8')) ?? '{}') as RestoreReport;
}

/**
 * Starts the deployed restore workflow and waits for it. Returns its report when it has one
 * (every service restored, or `RestoreIncomplete`); throws RestoreExecutionError otherwise.
 */
export async function runDeployedRestore(
  clients: AwsClients,
  region: string,
  opts: DeployedRestoreOptions,
): Promise<DeployedRestoreResult> {
  const sfn = clients.sfn(region);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = Date.now();
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: opts.stateMachineArn,
      name: opts.executionName,
      input: JSON.stringify(opts.input),
    }),
  );
  if (!executionArn) throw new CliError('Step Functions StartExecution returned no execution ARN.');
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const status = execution.status;
    if (status !== undefined && status !== 'RUNNING' && status !== 'PENDING_REDRIVE') {
      if (status === 'SUCCEEDED') {
        const output = JSON.parse(execution.output ?? '{}') as ReportResult;
        return { executionArn, status, report: output.report };
      }
      const location = execution.cause ? REPORT_IN_CAUSE.exec(execution.cause) : null;
      if (status === 'FAILED' && location?.[1] && location[2]) {
        return {
          executionArn,
          status,
          report: await readReport(clients, region, location[1], location[2]),
          reportLocation: `s3://${location[1]}/${location[2]}`,
          ...(execution.error ? { error: execution.error } : {}),
          cause: execution.cause ?? '',
        };
      }
      throw new RestoreExecutionError(executionArn, status, execution.error, execution.cause);
    }
    opts.onPoll?.(status, Date.now() - started);
    await sleep(opts.pollIntervalMs ?? 5_000);
  }
}
