import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ExecutionEvent,
  InvalidDefinitionError,
  type LambdaHandler,
  LocalRunSetupError,
  runLocalStateMachine,
  validateDefinition,
} from '../../../../src/emulator/step-functions/engine';

const REGION = 'eu-west-1';
const arn = (name: string) => `arn:aws:lambda:${REGION}:123456789012:function:${name}`;
const task = (name: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: arn(name),
  ...extra,
});

function run(definition: object, input: unknown, lambdas: Record<string, LambdaHandler> = {}, extra = {}) {
  return runLocalStateMachine({ definition, input, lambdas, region: REGION, ...extra });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('runLocalStateMachine', () => {
  it('counts every state entered inside nested Maps and Parallel branches, and every retry', async () => {
    let failures = 1;
    const definition = {
      StartAt: 'Outer',
      States: {
        Outer: {
          Type: 'Map',
          ItemsPath: '$.groups',
          MaxConcurrency: 0,
          ItemProcessor: {
            StartAt: 'Inner',
            States: {
              Inner: {
                Type: 'Map',
                ItemProcessor: {
                  StartAt: 'Double',
                  States: { Double: task('Double', { Next: 'Done' }), Done: { Type: 'Pass', End: true } },
                },
                End: true,
              },
            },
          },
          Next: 'Both',
        },
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Left', States: { Left: { Type: 'Pass', End: true } } },
            {
              StartAt: 'Right',
              States: {
                Right: task('Flaky', { Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1 }], End: true }),
              },
            },
          ],
          End: true,
        },
      },
    };
    const groups = Array.from({ length: 20 }, () => [1, 2, 3]);

    const result = await run(
      definition,
      { groups },
      {
        Double: async (n) => (n as number) * 2,
        Flaky: async () => {
          if (failures-- > 0) throw Object.assign(new Error('try again'), { name: 'Flaky' });
          return 'ok';
        },
      },
      { waitTimeScale: 0 },
    );

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual([groups.map((g) => g.map((n) => n * 2)), 'ok']);
    // Outer 1 + 20 × (Inner 1 + 3 × (Double + Done)) + Both 1 + Left 1 + Right 1 + 1 retry
    expect(result.stateTransitions).toBe(1 + 20 * 7 + 1 + 1 + 2);
    expect(result.transitionsByState).toEqual({
      Outer: 1,
      Inner: 20,
      Double: 60,
      Done: 60,
      Both: 1,
      Left: 1,
      Right: 2,
    });
  });

  it('scales Retry intervals by waitTimeScale, keeping the backoff', async () => {
    let attempts = 0;
    const definition = {
      StartAt: 'T',
      States: {
        T: task('Fails', {
          Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 2 }],
          End: true,
        }),
      },
    };
    const started = Date.now();

    const result = await run(
      definition,
      {},
      {
        Fails: async () => {
          attempts += 1;
          throw new Error('boom');
        },
      },
      { waitTimeScale: 0.05 },
    );

    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ status: 'FAILED', error: 'Error', cause: 'boom', stateTransitions: 3 });
    expect(attempts).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(290); // 2 s × 0.05 + 4 s × 0.05
    expect(elapsed).toBeLessThan(3_000);
  });

  it('skips a Wait that reads its time from the input when waitTimeScale is 0', async () => {
    const definition = { StartAt: 'W', States: { W: { Type: 'Wait', SecondsPath: '$.seconds', End: true } } };

    const result = await run(definition, { seconds: 3600 }, {}, { waitTimeScale: 0 });

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { seconds: 3600 } });
  });

  it('refuses to scale a Wait that reads its time from the input by a fraction', async () => {
    const definition = { StartAt: 'W', States: { W: { Type: 'Wait', TimestampPath: '$.at', End: true } } };

    await expect(run(definition, {}, {}, { waitTimeScale: 0.5 })).rejects.toThrow(
      /Wait "W" takes its time from the input or a timestamp, which cannot be scaled/,
    );
    await expect(run(definition, {}, {}, { waitTimeScale: -1 })).rejects.toThrow(LocalRunSetupError);
  });

  it('fails with States.DataLimitExceeded, which Catch cannot catch, when a task result is too large', async () => {
    const definition = {
      StartAt: 'Big',
      States: {
        Big: task('Big', { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }], End: true }),
        Caught: { Type: 'Pass', End: true },
      },
    };
    const big = async () => ({ blob: 'x'.repeat(300 * 1024) });

    const defaultLimit = await run(definition, {}, { Big: big });
    const raisedLimit = await run(definition, {}, { Big: big }, { payloadLimitBytes: 1024 * 1024 });

    expect(defaultLimit).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(defaultLimit.cause).toMatch(/the result of Task "Big" exceeds the maximum number of bytes/);
    expect(raisedLimit.status).toBe('SUCCEEDED');
  });

  it('fails before any state runs when the execution input is over the limit', async () => {
    const definition = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };

    const result = await run(definition, { pad: 'x'.repeat(100) }, {}, { payloadLimitBytes: 50 });

    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      stateTransitions: 0,
    });
  });

  it('gives the states a context object with the execution and state machine names', async () => {
    const definition = {
      StartAt: 'Who',
      States: {
        Who: {
          Type: 'Pass',
          Parameters: {
            'id.$': '$$.Execution.Id',
            'name.$': '$$.Execution.Name',
            'machine.$': '$$.StateMachine.Name',
            'input.$': '$$.Execution.Input',
          },
          End: true,
        },
      },
    };

    const result = await run(
      definition,
      { a: 1 },
      {},
      { executionName: 'drill-7', stateMachineName: 'Restore' },
    );

    expect(result.output).toEqual({
      id: `arn:aws:states:${REGION}:123456789012:execution:Restore:drill-7`,
      name: 'drill-7',
      machine: 'Restore',
      input: { a: 1 },
    });
    expect(result.executionArn).toBe(`arn:aws:states:${REGION}:123456789012:execution:Restore:drill-7`);
  });

  it('reports a Fail state error and cause', async () => {
    const definition = {
      StartAt: 'No',
      States: { No: { Type: 'Fail', Error: 'Rejected', Cause: 'dry run only' } },
    };

    await expect(run(definition, {})).resolves.toMatchObject({
      status: 'FAILED',
      error: 'Rejected',
      cause: 'dry run only',
    });
  });

  it('aborts on the signal and returns only after running handlers settle', async () => {
    const controller = new AbortController();
    let finished = false;
    const definition = {
      StartAt: 'Slow',
      States: { Slow: task('Slow', { Next: 'After' }), After: task('After', { End: true }) },
    };
    const after = vi.fn(async () => 'never');

    const result = await run(
      definition,
      {},
      {
        Slow: async () => {
          controller.abort();
          await new Promise((r) => setTimeout(r, 50));
          finished = true;
          return 'done';
        },
        After: after,
      },
      { abortSignal: controller.signal },
    );

    expect(result.status).toBe('ABORTED');
    expect(finished).toBe(true);
    expect(after).not.toHaveBeenCalled();
  });

  it('starts no Task once the execution has ended, even in a branch the library started late', async () => {
    // aws-local-stepfunctions runs at most 40 Parallel branches at once and starts the others as
    // slots free up. Here "Fails" fails the Parallel, which aborts the branches running then and
    // frees their slots, so the last queued branch starts after that and nothing aborts it: it
    // waits, and only the engine's check keeps its Task from starting after the execution FAILED.
    const waiting = (i: number) => ({
      StartAt: `Wait${i}`,
      States: { [`Wait${i}`]: { Type: 'Wait', Seconds: 1, End: true } },
    });
    const queued = (i: number) => ({
      StartAt: `Queued${i}`,
      States: {
        [`Queued${i}`]: { Type: 'Wait', Seconds: 1, Next: `Late${i}` },
        [`Late${i}`]: task('Late', { End: true }),
      },
    });
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Fails', States: { Fails: task('Fails', { End: true }) } },
            ...Array.from({ length: 39 }, (_, i) => waiting(i)),
            queued(0),
            queued(1),
          ],
          End: true,
        },
      },
    };
    const late = vi.fn(async () => 'too late');

    const result = await run(
      definition,
      {},
      {
        Fails: async () => {
          await new Promise((r) => setTimeout(r, 5));
          throw Object.assign(new Error('wave 1 never became steady'), { name: 'WaveFailedError' });
        },
        Late: late,
      },
      { waitTimeScale: 0.05 },
    );
    await new Promise((r) => setTimeout(r, 200));

    expect(result).toMatchObject({ status: 'FAILED', error: 'WaveFailedError' });
    expect(late).not.toHaveBeenCalled();
  });

  it('times out with States.Timeout when the machine TimeoutSeconds passes', async () => {
    const definition = {
      TimeoutSeconds: 1,
      StartAt: 'W',
      States: { W: { Type: 'Wait', Seconds: 30, End: true } },
    };

    const result = await run(definition, {});

    expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
  });

  it('lets a Task run past 60 s unless it sets TimeoutSeconds, as on AWS', async () => {
    vi.useFakeTimers();
    const slow: LambdaHandler = () => new Promise((resolve) => setTimeout(() => resolve('late'), 90_000));
    const unbounded = { StartAt: 'T', States: { T: task('Slow', { End: true }) } };
    const bounded = { StartAt: 'T', States: { T: task('Slow', { TimeoutSeconds: 10, End: true }) } };

    const first = run(unbounded, {}, { Slow: slow });
    await vi.advanceTimersByTimeAsync(90_000);
    const second = run(bounded, {}, { Slow: slow });
    await vi.advanceTimersByTimeAsync(90_000);

    await expect(first).resolves.toMatchObject({ status: 'SUCCEEDED', output: 'late' });
    await expect(second).resolves.toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
  });

  it('streams events to onEvent and rethrows a listener failure after the run', async () => {
    const definition = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Succeed' } } };
    const seen: ExecutionEvent[] = [];

    const result = await run(definition, {}, {}, { onEvent: (e: ExecutionEvent) => seen.push(e) });
    const failing = run(
      definition,
      {},
      {},
      {
        onEvent: () => {
          throw new Error('listener broke');
        },
      },
    );

    expect(seen.map((e) => `${e.type}${e.stateName ? `:${e.stateName}` : ''}`)).toEqual([
      'ExecutionStarted',
      'StateEntered:A',
      'StateExited:A',
      'StateEntered:B',
      'StateExited:B',
      'ExecutionSucceeded',
    ]);
    expect(result.events).toEqual(seen);
    await expect(failing).rejects.toThrow('listener broke');
  });

  it('gives onEvent the output of each state as it exits, without keeping it in events', async () => {
    const definition = {
      StartAt: 'Add',
      States: {
        Add: { Type: 'Pass', Parameters: { 'n.$': '$.n' }, ResultPath: '$.copy', Next: 'Done' },
        Done: { Type: 'Succeed', OutputPath: '$.copy' },
      },
    };
    const exits: [string | undefined, unknown][] = [];
    const others: unknown[] = [];

    const result = await run(
      definition,
      { n: 1 },
      {},
      {
        onEvent: (e: ExecutionEvent, output?: unknown) => {
          if (e.type === 'StateExited') exits.push([e.stateName, output]);
          else others.push(output);
        },
      },
    );

    expect(exits).toEqual([
      ['Add', { n: 1, copy: { n: 1 } }],
      ['Done', { n: 1 }],
    ]);
    expect(others.every((o) => o === undefined)).toBe(true);
    expect(result.events.some((e) => 'output' in e)).toBe(false);
  });

  it('leaves the caller definition as it was', async () => {
    const definition = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'T',
            States: { T: task('Id', { Retry: [{ ErrorEquals: ['X'] }], End: true }) },
          },
          End: true,
        },
      },
    };
    const before = structuredClone(definition);

    await run(definition, [1], { Id: async (x) => x }, { waitTimeScale: 0 });

    expect(definition).toEqual(before);
  });

  it('refuses a definition that is not valid ASL', async () => {
    const definition = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Missing' } } };

    await expect(run(definition, {})).rejects.toThrow(InvalidDefinitionError);
    expect(() => validateDefinition('{"StartAt":')).toThrow(/the definition is not JSON/);
  });

  it('refuses features aws-local-stepfunctions would ignore, listing every one', async () => {
    const definition = {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { x: 1 }, Next: 'M' },
        M: {
          Type: 'Map',
          ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'T',
            States: { T: task('Missing', { End: true }) },
          },
          End: true,
        },
      },
    };

    const error = await run(definition, {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LocalRunSetupError);
    expect((error as LocalRunSetupError).problems).toEqual([
      'State "A": variables (Assign) is not supported locally.',
      'State "M": Distributed Map ItemReader is not supported locally.',
      expect.stringMatching(/^Task "T" .*no local handler for Lambda function "Missing"/),
    ]);
  });
});
