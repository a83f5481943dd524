import { describe, expect, it } from 'vitest';
import {
  LocalWorkflowRunner,
  localExecutionName,
  runSynthesisedWorkflow,
  synthesiseWorkflow,
  workflowEventOf,
} from '../../../../src/cli/runners/local-workflow';
import type { WorkflowEvent } from '../../../../src/cli/runners/workflow-runner';
import { LocalStepFunctionsError } from '../../../../src/emulator/step-functions/engine';
import { echoWorkflow } from '../../../support/echo-workflow';

const spec = (name: string | undefined) => echoWorkflow(`test-${name ?? 'unnamed'}`, name);

describe('synthesiseWorkflow', () => {
  it('renders the state machine and maps each Lambda logical id to its LIFEBOAT_FUNCTION', () => {
    const workflow = synthesiseWorkflow(spec('echo'));
    expect(Object.values(workflow.functions)).toEqual(['echo']);
    const [logicalId] = Object.keys(workflow.functions);
    expect(workflow.rendered.definition).toMatchObject({
      StartAt: 'Call',
      States: { Call: { Resource: `arn:aws:lambda:us-east-1:123456789012:function:${logicalId}` } },
    });
  });

  it('synthesises once per workflow and configuration', () => {
    expect(synthesiseWorkflow(spec('echo'))).toBe(synthesiseWorkflow(spec('echo')));
  });

  it('fails naming the Lambda when it has no LIFEBOAT_FUNCTION', () => {
    expect(() => synthesiseWorkflow(spec(undefined))).toThrow(LocalStepFunctionsError);
    expect(() => synthesiseWorkflow(spec(undefined))).toThrow(
      /Lambda Echo\w+ of the test-unnamed workflow has no known LIFEBOAT_FUNCTION \(undefined\).*one of echo/,
    );
  });

  it('fails when LIFEBOAT_FUNCTION names no known handler', () => {
    expect(() => synthesiseWorkflow(spec('other'))).toThrow(/no known LIFEBOAT_FUNCTION \(other\)/);
  });
});

describe('runSynthesisedWorkflow', () => {
  it('runs the rendered definition with the handler of each LIFEBOAT_FUNCTION', async () => {
    const result = await runSynthesisedWorkflow({
      workflow: synthesiseWorkflow(spec('echo')),
      handlers: { echo: async (event: never) => ({ echoed: event }) },
      input: { hello: 'world' },
      region: 'us-east-1',
      account: '123456789012',
      executionName: 'unit',
      waitTimeScale: 0,
    });
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { echoed: { hello: 'world' } } });
    expect(result.executionArn).toMatch(/^arn:aws:states:us-east-1:123456789012:execution:Machine\w+:unit$/);
  });

  it('refuses to run without a handler for every function', async () => {
    await expect(
      runSynthesisedWorkflow({
        workflow: synthesiseWorkflow(spec('echo')),
        handlers: {},
        input: {},
        region: 'us-east-1',
        account: '123456789012',
        executionName: 'unit',
        waitTimeScale: 0,
      }),
    ).rejects.toThrow(/No local handler for echo/);
  });
});

describe('localExecutionName', () => {
  it('is local-<compact UTC time>-<6 hex>', () => {
    expect(localExecutionName(new Date('2026-01-02T03:04:05.678Z'))).toMatch(
      /^local-20260102T030405678Z-[0-9a-f]{6}$/,
    );
  });
});

describe('workflowEventOf', () => {
  it('keeps the states entered and exited (with the output) and the Map iterations started', () => {
    const at = { timestamp: 0 };
    expect(workflowEventOf({ ...at, type: 'StateEntered', stateName: 'A' })).toEqual({
      type: 'StateEntered',
      stateName: 'A',
    });
    expect(workflowEventOf({ ...at, type: 'StateExited', stateName: 'A' }, { done: true })).toEqual({
      type: 'StateExited',
      stateName: 'A',
      output: { done: true },
    });
    expect(workflowEventOf({ ...at, type: 'MapIterationStarted', parentState: 'Waves', index: 2 })).toEqual({
      type: 'MapIterationStarted',
      mapState: 'Waves',
      index: 2,
    });
    expect(workflowEventOf({ ...at, type: 'ExecutionStarted' })).toBeUndefined();
    expect(workflowEventOf({ ...at, type: 'StateRetried', stateName: 'A', retryAttempt: 1 })).toBeUndefined();
  });
});

describe('LocalWorkflowRunner', () => {
  const workflow = () => synthesiseWorkflow(spec('echo'));
  const runner = (echo: (event: never) => Promise<unknown>) =>
    new LocalWorkflowRunner(
      ({ input, executionName, onEvent }) =>
        runSynthesisedWorkflow({
          workflow: workflow(),
          handlers: { echo },
          input,
          region: 'us-east-1',
          account: '123456789012',
          executionName,
          waitTimeScale: 0,
          onEvent,
        }),
      0,
    );

  it('starts an execution, reports its states with their output, and ends with its result', async () => {
    const local = runner(async (event) => ({ echoed: event }));
    const events: WorkflowEvent[] = [];
    const executionName = local.executionName(new Date('2026-01-02T03:04:05.678Z'));

    const execution = await local.start(
      { hello: 'world' },
      { executionName, onEvent: (e) => events.push(e) },
    );
    const result = await execution.result();

    expect(local.mode).toBe('local');
    expect(execution.name).toMatch(/^local-20260102T030405678Z-[0-9a-f]{6}$/);
    expect(events).toEqual([
      { type: 'StateEntered', stateName: 'Call' },
      { type: 'StateExited', stateName: 'Call', output: { echoed: { hello: 'world' } } },
    ]);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: { echoed: { hello: 'world' } },
      stateTransitions: 1,
    });
    expect(result.executionArn).toMatch(new RegExp(`:execution:Machine\\w+:${executionName}$`));
  });

  it('ends FAILED with the error a handler threw', async () => {
    const local = runner(async () => {
      throw Object.assign(new Error('no such service'), { name: 'ServiceNotFound' });
    });
    const execution = await local.start({}, { executionName: 'unit-failed' });
    expect(await execution.result()).toMatchObject({
      status: 'FAILED',
      error: 'ServiceNotFound',
      cause: 'no such service',
    });
  });
});
