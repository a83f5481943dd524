import { describe, expect, it } from 'vitest';
import { type LambdaHandler, runLocalStateMachine } from '../../../../src/emulator/step-functions/engine';

const REGION = 'eu-west-1';
const arn = (name: string) => `arn:aws:lambda:${REGION}:123456789012:function:${name}`;
const task = (name: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: arn(name),
  ...extra,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Long enough for a queued iteration to start and call its handler if anything let it. */
const SETTLE_MS = 150;

class WaveFailedError extends Error {
  override name = 'WaveFailedError';
}

/** A Map over `$.items` whose iterations run `Restore` then a Pass state, as the restore waves do. */
function wavesMap(maxConcurrency: number, extra: Record<string, unknown> = { End: true }) {
  return {
    Type: 'Map',
    ItemsPath: '$.items',
    MaxConcurrency: maxConcurrency,
    ItemProcessor: {
      StartAt: 'Restore',
      States: { Restore: task('Restore', { Next: 'Restored' }), Restored: { Type: 'Pass', End: true } },
    },
    ...extra,
  };
}

/**
 * `Restore` records each item it is called with; `fail` lists the items that throw
 * WaveFailedError, `delayMs` how long an item takes (10 ms unless given).
 */
function restorer(fail: readonly number[], delayMs: Readonly<Record<number, number>> = {}) {
  const calls: number[] = [];
  const finished: number[] = [];
  const Restore: LambdaHandler = async (item) => {
    const n = item as number;
    calls.push(n);
    await sleep(delayMs[n] ?? 10);
    if (fail.includes(n)) throw new WaveFailedError(`wave ${n} never became steady`);
    finished.push(n);
    return { wave: n, status: 'RESTORED' };
  };
  return { Restore, calls, finished };
}

/**
 * A Catch on the Map routing to a Report Task that takes 50 ms, so the execution is still running
 * when a queued iteration would start: what stops it then is the Map, not the end of the execution.
 */
function caughtBy(map: Record<string, unknown>) {
  const reports: unknown[] = [];
  const definition = {
    StartAt: 'Waves',
    States: {
      Waves: { ...map, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Summarise' }] },
      Summarise: { Type: 'Pass', Parameters: { 'error.$': '$.error.Error' }, Next: 'Report' },
      Report: task('Report', { End: true }),
    },
  };
  const Report: LambdaHandler = async (event) => {
    reports.push(event);
    await sleep(50);
    return { reported: true };
  };
  return { definition, Report, reports };
}

function run(definition: object, input: unknown, lambdas: Record<string, LambdaHandler>, extra = {}) {
  return runLocalStateMachine({ definition, input, lambdas, region: REGION, waitTimeScale: 0, ...extra });
}

describe('runLocalStateMachine when a Map iteration fails', () => {
  it('fails the execution and never starts the queued iterations (MaxConcurrency 1)', async () => {
    const { Restore, calls } = restorer([1]);

    const result = await run(
      { StartAt: 'Waves', States: { Waves: wavesMap(1) } },
      { items: [1, 2, 3] },
      { Restore },
    );
    await sleep(SETTLE_MS);

    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'WaveFailedError',
      cause: 'wave 1 never became steady',
    });
    expect(calls).toEqual([1]);
    expect(result.transitionsByState).toEqual({ Waves: 1, Restore: 1 });
    expect(result.events.filter((e) => e.type === 'MapIterationStarted').map((e) => e.index)).toEqual([0]);
  });

  it('runs the Catch target and the states after it, but none of the queued iterations', async () => {
    const { Restore, calls } = restorer([1]);
    const { definition, Report, reports } = caughtBy(wavesMap(1));

    const result = await run(definition, { items: [1, 2, 3] }, { Restore, Report });
    await sleep(SETTLE_MS);

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { reported: true } });
    expect(reports).toEqual([{ error: 'WaveFailedError' }]);
    expect(calls).toEqual([1]);
    expect(result.transitionsByState).toEqual({ Waves: 1, Restore: 1, Summarise: 1, Report: 1 });
  });

  it('lets the iterations already running finish their Task but starts no queued one (MaxConcurrency 2)', async () => {
    // Item 1 fails at 10 ms while item 2 is still in its Task (30 ms); items 3 to 5 are queued.
    const { Restore, calls, finished } = restorer([1], { 2: 30 });

    const result = await run(
      { StartAt: 'Waves', States: { Waves: wavesMap(2) } },
      { items: [1, 2, 3, 4, 5] },
      { Restore },
    );
    const finishedAtReturn = [...finished];
    await sleep(SETTLE_MS);

    expect(result).toMatchObject({ status: 'FAILED', error: 'WaveFailedError' });
    expect(calls).toEqual([1, 2]);
    // The run returns only after the running handler settled; the aborted iteration goes no further.
    expect(finishedAtReturn).toEqual([2]);
    expect(result.transitionsByState).toEqual({ Waves: 1, Restore: 2 });
  });

  it('never starts an iteration after a Map item fails its ItemSelector', async () => {
    // States.Runtime cannot be caught, so the execution fails; the iteration of item 3 would start
    // before it has (p-limit asks for it before the Map sees the failure).
    const { Restore, calls } = restorer([]);
    const definition = {
      StartAt: 'Waves',
      States: {
        Waves: {
          ...wavesMap(1),
          ItemSelector: { 'wave.$': '$$.Map.Item.Value.wave' },
          ItemProcessor: {
            StartAt: 'Restore',
            States: { Restore: task('Restore', { InputPath: '$.wave', End: true }) },
          },
        },
      },
    };

    const result = await run(
      definition,
      { items: [{ wave: 1 }, { name: 'no wave' }, { wave: 3 }] },
      { Restore },
    );
    await sleep(SETTLE_MS);

    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: "Path expression '$$.Map.Item.Value.wave' does not point to a value",
    });
    expect(calls).toEqual([1]);
    expect(result.transitionsByState).toEqual({ Waves: 1, Restore: 1 });
  });

  it('starts no queued iteration once the execution is aborted', async () => {
    const controller = new AbortController();
    const { Restore, calls } = restorer([], { 1: 30 });
    setTimeout(() => controller.abort(), 10);

    const result = await run(
      { StartAt: 'Waves', States: { Waves: wavesMap(1) } },
      { items: [1, 2, 3] },
      { Restore },
      { abortSignal: controller.signal },
    );
    await sleep(SETTLE_MS);

    expect(result.status).toBe('ABORTED');
    expect(calls).toEqual([1]);
  });

  it('still runs every item of a Map that succeeds, in order, one at a time', async () => {
    const { Restore, calls } = restorer([]);

    const result = await run(
      { StartAt: 'Waves', States: { Waves: wavesMap(1) } },
      { items: [1, 2, 3] },
      { Restore },
    );

    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: [1, 2, 3].map((wave) => ({ wave, status: 'RESTORED' })),
    });
    expect(calls).toEqual([1, 2, 3]);
    expect(result.transitionsByState).toEqual({ Waves: 1, Restore: 3, Restored: 3 });
  });

  it('runs every item again when a Retry on the Map starts a new attempt', async () => {
    let failures = 1;
    const calls: number[] = [];
    const Restore: LambdaHandler = async (item) => {
      calls.push(item as number);
      await sleep(5);
      if (item === 1 && failures-- > 0) throw new WaveFailedError('wave 1 not steady yet');
      return item;
    };
    const map = wavesMap(1, { Retry: [{ ErrorEquals: ['WaveFailedError'], IntervalSeconds: 1 }], End: true });

    const result = await run({ StartAt: 'Waves', States: { Waves: map } }, { items: [1, 2, 3] }, { Restore });

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: [1, 2, 3] });
    expect(calls).toEqual([1, 1, 2, 3]);
  });

  it('stops the queued waves of an outer Map when a service of an inner Map fails, and runs its Catch', async () => {
    const calls: string[] = [];
    const { definition, Report, reports } = caughtBy({
      Type: 'Map',
      ItemsPath: '$.waves',
      MaxConcurrency: 1,
      ItemProcessor: {
        StartAt: 'Services',
        States: {
          Services: {
            Type: 'Map',
            MaxConcurrency: 1,
            ItemProcessor: { StartAt: 'Restore', States: { Restore: task('Restore', { End: true }) } },
            End: true,
          },
        },
      },
      End: true,
    });

    const result = await run(
      definition,
      { waves: [['web', 'broken', 'api'], ['worker'], ['cron']] },
      {
        Restore: async (service) => {
          calls.push(service as string);
          await sleep(5);
          if (service === 'broken') throw new WaveFailedError('broken never became steady');
          return service;
        },
        Report,
      },
    );
    await sleep(SETTLE_MS);

    expect(result.status).toBe('SUCCEEDED');
    expect(reports).toEqual([{ error: 'WaveFailedError' }]);
    expect(calls).toEqual(['web', 'broken']);
  });
});
