import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../../../../../src/cli/errors';
import {
  DeployedWorkflowRunner,
  workflowEventOfHistory,
} from '../../../../../src/cli/runners/aws/deployed-workflow';
import type { WorkflowEvent } from '../../../../../src/cli/runners/workflow-runner';

const STATE_MACHINE = 'arn:aws:states:us-west-2:123456789012:stateMachine:Restore';
const EXECUTION = 'arn:aws:states:us-west-2:123456789012:execution:Restore:cli-1';
const at = new Date('2026-01-02T03:04:05Z');

const entered = (id: number, name: string): HistoryEvent => ({
  id,
  timestamp: at,
  type: 'TaskStateEntered',
  stateEnteredEventDetails: { name, input: '{}' },
});
const exited = (id: number, name: string, output: unknown): HistoryEvent => ({
  id,
  timestamp: at,
  type: 'TaskStateExited',
  stateExitedEventDetails: { name, output: JSON.stringify(output) },
});
const scheduled = (id: number): HistoryEvent => ({ id, timestamp: at, type: 'LambdaFunctionScheduled' });

describe('DeployedWorkflowRunner (mocked: the emulator’s Step Functions cannot run the Lambdas)', () => {
  const sfn = mockClient(SFNClient);
  let runner: DeployedWorkflowRunner;
  let sleeps: number[];

  beforeEach(() => {
    sfn.reset();
    sleeps = [];
    runner = new DeployedWorkflowRunner(new SFNClient({ region: 'us-west-2' }), STATE_MACHINE, {
      pollIntervalMs: 7,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
  });
  afterEach(() => sfn.reset());

  it('starts the execution, delivers each new history event once and in order, and returns how it ended', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: at });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({
        executionArn: EXECUTION,
        status: 'RUNNING',
        startDate: at,
        stateMachineArn: STATE_MACHINE,
      })
      .resolves({
        executionArn: EXECUTION,
        status: 'SUCCEEDED',
        startDate: at,
        stopDate: new Date(at.getTime() + 42_000),
        stateMachineArn: STATE_MACHINE,
        output: '{"report":{"outcome":"RESTORED"}}',
      });
    // Newest first: the first poll reads two pages, the second stops at the events it has seen.
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: [scheduled(3), entered(2, 'Prepare')], nextToken: 'page-2' })
      .resolvesOnce({ events: [{ id: 1, timestamp: at, type: 'ExecutionStarted' }] })
      .resolvesOnce({
        events: [
          {
            id: 6,
            timestamp: at,
            type: 'MapIterationStarted',
            mapIterationStartedEventDetails: { name: 'Waves', index: 0 },
          },
          entered(5, 'Report'),
          exited(4, 'Prepare', { plan: 1 }),
          scheduled(3),
        ],
        nextToken: 'older',
      });
    const events: WorkflowEvent[] = [];

    const execution = await runner.start(
      { dryRun: false },
      { executionName: 'cli-1', onEvent: (e) => events.push(e) },
    );
    const result = await execution.result();

    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE,
      name: 'cli-1',
      input: '{"dryRun":false}',
    });
    const pages = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(pages).toEqual([
      { executionArn: EXECUTION, reverseOrder: true, maxResults: 1000 },
      { executionArn: EXECUTION, reverseOrder: true, maxResults: 1000, nextToken: 'page-2' },
      { executionArn: EXECUTION, reverseOrder: true, maxResults: 1000 },
    ]);
    expect(events).toEqual([
      { type: 'StateEntered', stateName: 'Prepare' },
      { type: 'StateExited', stateName: 'Prepare', output: { plan: 1 } },
      { type: 'StateEntered', stateName: 'Report' },
      { type: 'MapIterationStarted', mapState: 'Waves', index: 0 },
    ]);
    expect(sleeps).toEqual([7]);
    expect(execution.name).toBe('cli-1');
    expect(result).toEqual({
      executionArn: EXECUTION,
      status: 'SUCCEEDED',
      output: { report: { outcome: 'RESTORED' } },
      stateTransitions: 2,
      durationMs: 42_000,
    });
  });

  it('returns a failed execution with its error and cause, and no output', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: at });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      status: 'FAILED',
      startDate: at,
      stopDate: at,
      stateMachineArn: STATE_MACHINE,
      error: 'RestoreIncomplete',
      cause: '1 service not restored',
    });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });

    const result = await (await runner.start({}, { executionName: 'cli-2' })).result();

    expect(result).toEqual({
      executionArn: EXECUTION,
      status: 'FAILED',
      error: 'RestoreIncomplete',
      cause: '1 service not restored',
      stateTransitions: 0,
      durationMs: 0,
    });
    expect(sleeps).toEqual([]);
  });

  it('fails with a CliError when StartExecution returns no execution ARN', async () => {
    sfn.on(StartExecutionCommand).resolves({});
    await expect(runner.start({}, { executionName: 'cli-3' })).rejects.toThrow(CliError);
  });

  it('names its executions cli-<compact UTC time>-<6 hex>', () => {
    expect(runner.mode).toBe('deployed');
    expect(runner.waitTimeScale).toBe(1);
    expect(runner.executionName(new Date('2026-01-02T03:04:05.678Z'))).toMatch(
      /^cli-20260102T030405678Z-[0-9a-f]{6}$/,
    );
  });
});

describe('workflowEventOfHistory', () => {
  it('reads the states entered and exited of every state type, and leaves a truncated output unread', () => {
    expect(
      workflowEventOfHistory({
        id: 1,
        timestamp: at,
        type: 'ChoiceStateEntered',
        stateEnteredEventDetails: { name: 'AllRestored?' },
      }),
    ).toEqual({ type: 'StateEntered', stateName: 'AllRestored?' });
    expect(
      workflowEventOfHistory({
        id: 2,
        timestamp: at,
        type: 'MapStateExited',
        stateExitedEventDetails: { name: 'Waves', output: '{"truncated', outputDetails: { truncated: true } },
      }),
    ).toEqual({ type: 'StateExited', stateName: 'Waves', output: undefined });
    expect(workflowEventOfHistory(scheduled(3))).toBeUndefined();
  });
});
