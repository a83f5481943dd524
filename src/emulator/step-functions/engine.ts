/**
 * Runs the state machines CDK synthesises on this machine, against the emulator.
 *
 *   const { definition } = renderDefinition(Template.fromStack(stack).toJSON(), logicalId, env);
 *   const result = await runLocalStateMachine({ definition, input, lambdas, clients, region });
 *
 * What a definition must look like to run here (the same rules keep it portable to AWS):
 * - JSONPath only: no JSONata, no `Assign` variables;
 * - Tasks are `LambdaInvoke` (request-response; with or without `payloadResponseOnly`) or
 *   `CallAwsService` for a service `AwsClients` provides; optimised integrations (`SnsPublish`,
 *   `EcsRunTask`, `.sync`, `.waitForTaskToken`) are refused: use `CallAwsService` instead;
 * - Map runs inline (Distributed Map without ItemReader/ResultWriter/ItemBatcher/tolerated
 *   failures also runs, inline); Parallel, Choice, Wait, Pass, Succeed, Fail, Retry, Catch and
 *   all `States.*` intrinsic functions work;
 * - Lambda handlers are looked up by the function name in the ARN (the logical id after
 *   `renderDefinition`) and should be `createHandler(deps)` functions, so a local run passes
 *   clients pointed at the emulator.
 */
import './polyfill';
import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import type { AwsClients } from '../../aws/clients';
import { InvalidDefinitionError, LocalRunSetupError, StateError } from './errors';
import { gateMapIterations } from './map-iterations';
import { isRecord } from './render';
import { type LambdaHandler, resolveTask, type TaskHandler } from './tasks';

export {
  InvalidDefinitionError,
  LocalRunSetupError,
  LocalStepFunctionsError,
  StateError,
  TemplateRenderError,
} from './errors';
export {
  type CfnResourceJson,
  type CfnTemplateJson,
  type LambdaFunctionInfo,
  type RenderEnvironment,
  type RenderedDefinition,
  type RenderOptions,
  renderDefinition,
} from './render';
export type { LambdaHandler } from './tasks';

/** Step Functions' limit on a state's input or output and on a task result: 256 KiB of JSON. */
export const PAYLOAD_LIMIT_BYTES = 262_144;

/** The account in local ARNs unless `account` is given. */
const ACCOUNT = '123456789012';

/** The longest timer Node.js keeps (2^31 - 1 ms); longer ones fire at once. */
const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export type ExecutionEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | 'ExecutionTimeout'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed'
  | 'ParallelBranchStarted'
  | 'ParallelBranchSucceeded'
  | 'ParallelBranchFailed'
  | 'StateEntered'
  | 'StateExited'
  | 'StateFailed'
  | 'StateRetried'
  | 'StateCaught';

/** One step of a local execution's history, light enough to keep for large runs (no payloads). */
export interface ExecutionEvent {
  readonly type: ExecutionEventType;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** The state the event is about (State* events). */
  readonly stateName?: string;
  readonly stateType?: string;
  /** The Map or Parallel state (MapIteration* and ParallelBranch* events). */
  readonly parentState?: string;
  /** The Map iteration (MapIteration* events, and State* events inside an iteration). */
  readonly index?: number;
  readonly error?: string;
  readonly cause?: string;
  /** Which attempt a StateRetried event starts (1 = first retry). */
  readonly retryAttempt?: number;
}

export interface RunLocalStateMachineOptions {
  /** ASL as an object or JSON string, e.g. `renderDefinition(...).definition`. */
  readonly definition: object | string;
  /** The execution input (any JSON value). */
  readonly input: unknown;
  /**
   * In-process Lambda functions by function name: the last part of the function ARN, which is the
   * logical id after `renderDefinition`. Each receives the event and a Lambda-like context and
   * returns the result; a thrown error becomes the state's `Error` (its `name`) and `Cause` (its
   * `message`).
   */
  readonly lambdas: Readonly<Record<string, LambdaHandler>>;
  /** Clients for `aws-sdk:` tasks, e.g. pointed at the emulator. @default - definitions with `aws-sdk:` tasks are refused */
  readonly clients?: AwsClients;
  /** Region the state machine runs in (`aws-sdk:` calls go there; used in ARNs). */
  readonly region: string;
  /** Account used in the execution and state machine ARNs. @default '123456789012' */
  readonly account?: string;
  /** State machine name in the context object (`$$.StateMachine.Name`). @default 'local' */
  readonly stateMachineName?: string;
  /** Execution name in the context object (`$$.Execution.Name`). @default - a random UUID */
  readonly executionName?: string;
  /**
   * Multiplies Wait state durations and Retry intervals (IntervalSeconds, MaxDelaySeconds):
   * 0 skips them, 0.01 turns a minute into 0.6 s. Waits that read their time from the input
   * (SecondsPath, Timestamp, TimestampPath) can only be skipped (0) or kept (1).
   * @default 1
   */
  readonly waitTimeScale?: number;
  /** Largest task input, task result or execution input/output, in bytes of JSON. @default PAYLOAD_LIMIT_BYTES (256 KiB, as on AWS) */
  readonly payloadLimitBytes?: number;
  /**
   * Called for each event as the execution runs (for live progress). aws-local-stepfunctions
   * forwards the events of Map iterations asynchronously and drops those that arrive after their
   * iteration ended, so inner events of nested Maps can be missing; counts come from
   * `stateTransitions`, which is exact. An exception thrown here is rethrown after the run.
   * `output` is the state's output of a StateExited event (live only: `events` keeps no payloads).
   */
  readonly onEvent?: (event: ExecutionEvent, output?: unknown) => void;
  /** Aborts the execution (status ABORTED); handlers already running are awaited, not cancelled. */
  readonly abortSignal?: AbortSignal;
}

export interface LocalExecutionResult {
  readonly executionArn: string;
  readonly status: ExecutionStatus;
  /** The execution output (SUCCEEDED only). */
  readonly output?: unknown;
  /** The ASL error name (FAILED, TIMED_OUT). */
  readonly error?: string;
  readonly cause?: string;
  /**
   * State transitions as Standard workflows bill them: every state entered, including the states
   * of each Map iteration and Parallel branch, plus every retry attempt.
   */
  readonly stateTransitions: number;
  /** `stateTransitions` by state name. */
  readonly transitionsByState: Readonly<Record<string, number>>;
  readonly events: readonly ExecutionEvent[];
  readonly durationMs: number;
}

/**
 * Runs an ASL definition in-process with aws-local-stepfunctions: Lambda tasks call `lambdas`,
 * `aws-sdk:` tasks call the same API through `clients`. Before running, the definition is
 * validated as ASL and every Task is resolved, so a missing handler or an unsupported feature fails
 * fast with a `LocalRunSetupError` listing all of them. The only changes made to the definition are
 * scaled wait and retry times, and a timeout on Tasks without one set to the longest timer Node.js
 * keeps (aws-local-stepfunctions otherwise gives every Task 60 s; Step Functions gives none).
 * As on AWS, a Map that has failed starts no further iteration (map-iterations.ts), and no Task
 * handler starts once the execution has ended; handlers already running are awaited.
 */
export async function runLocalStateMachine(opts: RunLocalStateMachineOptions): Promise<LocalExecutionResult> {
  const started = Date.now();
  const definition = parseDefinition(opts.definition);
  validateDefinition(definition);
  const limit = opts.payloadLimitBytes ?? PAYLOAD_LIMIT_BYTES;
  const inflight = new Set<Promise<unknown>>();
  const lifecycle = { ended: false };
  const counter = new TransitionCounter();
  const prepared = prepare(definition, opts, counter, (name, handler) =>
    guardTask(name, handler, { limit, inflight, lifecycle }),
  );

  const account = opts.account ?? ACCOUNT;
  const stateMachineName = opts.stateMachineName ?? 'local';
  const executionName = opts.executionName ?? randomUUID();
  const arnPrefix = `arn:aws:states:${opts.region}:${account}`;
  const executionArn = `${arnPrefix}:execution:${stateMachineName}:${executionName}`;
  const finish = (outcome: Outcome, events: readonly ExecutionEvent[] = []): LocalExecutionResult => ({
    executionArn,
    ...outcome,
    stateTransitions: counter.total,
    transitionsByState: { ...counter.byState },
    events,
    durationMs: Date.now() - started,
  });

  const input = jsonCopy(opts.input);
  if (jsonBytes(input) > limit) {
    return finish({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: dataLimitCause('the execution input', limit),
    });
  }

  const machine = new StateMachine(prepared.definition, { validationOptions: { noValidate: true } });
  const execution = machine.run(input as Parameters<StateMachine['run']>[0], {
    // Handlers return JSON: Lambda results cross a JSON boundary and SDK outputs are converted to it.
    overrides: {
      taskResourceLocalHandlers: prepared.tasks as LocalHandlers,
      waitTimeOverrides: prepared.waits,
    },
    context: {
      Execution: { Id: executionArn, Name: executionName },
      StateMachine: { Id: `${arnPrefix}:stateMachine:${stateMachineName}`, Name: stateMachineName },
    },
  });
  const onAbort = () => execution.abort();
  if (opts.abortSignal?.aborted) onAbort();
  else opts.abortSignal?.addEventListener('abort', onAbort, { once: true });

  const events: ExecutionEvent[] = [];
  let listenerError: { error: unknown } | undefined;
  const consumer = (async () => {
    for await (const raw of execution.eventLogs) {
      const event = toExecutionEvent(raw);
      events.push(event);
      if (!opts.onEvent || listenerError) continue;
      try {
        opts.onEvent(event, raw.type === 'StateExited' ? raw.state.output : undefined);
      } catch (error) {
        listenerError = { error };
      }
    }
  })();

  let outcome: Outcome | undefined;
  let unexpected: { error: unknown } | undefined;
  try {
    const output = await execution.result;
    outcome =
      jsonBytes(output) > limit
        ? {
            status: 'FAILED',
            error: 'States.DataLimitExceeded',
            cause: dataLimitCause('the execution output', limit),
          }
        : { status: 'SUCCEEDED', output };
  } catch (error) {
    outcome = failureOutcome(error);
    if (!outcome) unexpected = { error };
  } finally {
    lifecycle.ended = true;
    opts.abortSignal?.removeEventListener('abort', onAbort);
  }
  await consumer;
  await Promise.allSettled([...inflight]);
  if (!outcome) throw unexpected?.error;
  if (listenerError) throw listenerError.error;
  return finish(outcome, events);
}

/** Definitions already validated: asl-validator compiles its schemas on every call (about 0.5 s). */
const validDefinitions = new Set<string>();

/**
 * Validates a definition as Amazon States Language (asl-validator, as aws-local-stepfunctions runs
 * it: structure, reachability, JSONPath syntax, Task resource ARNs). Throws InvalidDefinitionError.
 */
export function validateDefinition(definition: object | string): void {
  const parsed = parseDefinition(definition);
  const key = JSON.stringify(parsed);
  if (validDefinitions.has(key)) return;
  try {
    // asl-validator writes defaults into the object it checks; keep the caller's definition intact.
    void new StateMachine(structuredClone(parsed) as unknown as StateMachineDefinition);
  } catch (error) {
    const lines = (error as Error).message.split('\n').slice(1);
    const problems = lines.map((l) => l.trim()).filter((l) => l.length > 0);
    throw new InvalidDefinitionError(problems.length > 0 ? problems : [(error as Error).message]);
  }
  if (validDefinitions.size >= 64) validDefinitions.clear();
  validDefinitions.add(key);
}

type Outcome = Pick<LocalExecutionResult, 'status' | 'output' | 'error' | 'cause'>;

/** The outcome a library error stands for, or undefined for an error that is a bug here or there. */
function failureOutcome(error: unknown): Outcome | undefined {
  if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (error instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: 'The execution ran longer than the TimeoutSeconds of the state machine.',
    };
  }
  if (error instanceof ExecutionError) {
    const cause = error.cause;
    if (cause instanceof Error) return { status: 'FAILED', error: cause.name, cause: cause.message };
    return { status: 'FAILED', error: 'States.Runtime', cause: String(cause) };
  }
  return undefined;
}

/**
 * Counts state transitions. The count cannot come from the event log, which loses inner events
 * of nested Maps (see `onEvent`). aws-local-stepfunctions 3.0.0 asks `'InputPath' in state`
 * exactly once per attempt of a state (StateExecutor.processInput), including retries and states
 * inside Map iterations and Parallel branches, so a `has` trap on each state counts them exactly.
 * The unit tests pin this behaviour.
 */
class TransitionCounter {
  total = 0;
  readonly byState: Record<string, number> = {};

  track(name: string, state: Record<string, unknown>): Record<string, unknown> {
    return new Proxy(state, {
      has: (target, key) => {
        if (key === 'InputPath') {
          this.total += 1;
          this.byState[name] = (this.byState[name] ?? 0) + 1;
        }
        return Reflect.has(target, key);
      },
    });
  }
}

interface Prepared {
  readonly definition: StateMachineDefinition;
  readonly tasks: Record<string, TaskHandler>;
  readonly waits: Record<string, number>;
}

/** Fields aws-local-stepfunctions ignores or cannot run; a definition using them is refused. */
const UNSUPPORTED_FIELDS: Readonly<Record<string, string>> = {
  Assign: 'variables (Assign)',
  Arguments: 'JSONata (Arguments)',
  Output: 'JSONata (Output)',
  Credentials: 'cross-account Task Credentials',
  ItemReader: 'Distributed Map ItemReader',
  ItemBatcher: 'Distributed Map ItemBatcher',
  ResultWriter: 'Distributed Map ResultWriter',
  ToleratedFailureCount: 'Distributed Map tolerated failures',
  ToleratedFailureCountPath: 'Distributed Map tolerated failures',
  ToleratedFailurePercentage: 'Distributed Map tolerated failures',
  ToleratedFailurePercentagePath: 'Distributed Map tolerated failures',
};

function prepare(
  definition: Record<string, unknown>,
  opts: RunLocalStateMachineOptions,
  counter: TransitionCounter,
  guard: (name: string, handler: TaskHandler) => TaskHandler,
): Prepared {
  const scale = opts.waitTimeScale ?? 1;
  if (!Number.isFinite(scale) || scale < 0) {
    throw new LocalRunSetupError([`waitTimeScale must be a finite number >= 0 (got ${scale}).`]);
  }
  const problems: string[] = [];
  const tasks: Record<string, TaskHandler> = {};
  const waits: Record<string, number> = {};
  const seen = new Set<string>();
  const env = {
    lambdas: opts.lambdas,
    clients: opts.clients,
    region: opts.region,
    account: opts.account ?? ACCOUNT,
  };

  const walk = (machine: unknown, scope: string): void => {
    if (!isRecord(machine) || !isRecord(machine.States)) return;
    if (machine.QueryLanguage === 'JSONata')
      problems.push(`${scope}: JSONata is not supported locally; use JSONPath.`);
    const states: Record<string, unknown> = { ...machine.States };
    machine.States = states;
    for (const [name, raw] of Object.entries(states)) {
      if (!isRecord(raw)) continue;
      if (seen.has(name))
        problems.push(`State name "${name}" is used twice; Step Functions needs unique names.`);
      seen.add(name);
      const state: Record<string, unknown> = { ...raw };
      if (state.QueryLanguage === 'JSONata')
        problems.push(`State "${name}": JSONata is not supported locally.`);
      for (const field of Object.keys(state)) {
        const feature = UNSUPPORTED_FIELDS[field];
        if (feature) problems.push(`State "${name}": ${feature} is not supported locally.`);
      }
      switch (state.Type) {
        case 'Task': {
          const resolved = resolveTask(name, state, env);
          if ('problems' in resolved) problems.push(...resolved.problems);
          else tasks[name] = guard(name, resolved.handler);
          if (typeof state.TimeoutSeconds === 'number') {
            state.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
          } else if (state.TimeoutSecondsPath === undefined) {
            state.TimeoutSeconds = MAX_TIMER_SECONDS;
          }
          break;
        }
        case 'Wait': {
          if (scale === 1) break;
          if (typeof state.Seconds === 'number') waits[name] = state.Seconds * 1000 * scale;
          else if (scale === 0) waits[name] = 0;
          else {
            problems.push(
              `Wait "${name}" takes its time from the input or a timestamp, which cannot be scaled; use Seconds, or waitTimeScale 0 or 1.`,
            );
          }
          break;
        }
        case 'Map': {
          const processor = isRecord(state.ItemProcessor) ? { ...state.ItemProcessor } : undefined;
          const iterator = isRecord(state.Iterator) ? { ...state.Iterator } : undefined;
          if (processor) {
            state.ItemProcessor = processor;
            gateMapIterations(processor);
            walk(processor, `Map "${name}"`);
          }
          if (iterator) {
            state.Iterator = iterator;
            gateMapIterations(iterator);
            walk(iterator, `Map "${name}"`);
          }
          break;
        }
        case 'Parallel': {
          if (Array.isArray(state.Branches)) {
            state.Branches = state.Branches.map((branch, i) => {
              const copy = isRecord(branch) ? { ...branch } : branch;
              walk(copy, `Parallel "${name}" branch ${i}`);
              return copy;
            });
          }
          break;
        }
      }
      if (scale !== 1 && Array.isArray(state.Retry))
        state.Retry = state.Retry.map((r) => scaleRetrier(r, scale));
      states[name] = counter.track(name, state);
    }
  };

  const root: Record<string, unknown> = { ...definition };
  if (typeof root.TimeoutSeconds === 'number')
    root.TimeoutSeconds = Math.min(root.TimeoutSeconds, MAX_TIMER_SECONDS);
  walk(root, 'The state machine');
  if (problems.length > 0) throw new LocalRunSetupError([...new Set(problems)]);
  return { definition: root as unknown as StateMachineDefinition, tasks, waits };
}

function scaleRetrier(retrier: unknown, scale: number): unknown {
  if (!isRecord(retrier)) return retrier;
  const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1;
  return {
    ...retrier,
    IntervalSeconds: interval * scale,
    ...(typeof retrier.MaxDelaySeconds === 'number'
      ? { MaxDelaySeconds: retrier.MaxDelaySeconds * scale }
      : {}),
  };
}

interface TaskGuard {
  /** The payload limit in bytes. */
  readonly limit: number;
  /** Handler calls not settled yet; the run returns only once they have. */
  readonly inflight: Set<Promise<unknown>>;
  /** Set once the execution has a status; no handler starts after that. */
  readonly lifecycle: { readonly ended: boolean };
}

/**
 * Enforces the payload limit on a task's input and result, tracks the call until it settles, and
 * refuses to start a handler once the execution has ended. On AWS nothing runs after that; here a
 * Parallel branch beyond the 40 aws-local-stepfunctions runs at once starts when a slot frees, even
 * after the Parallel failed, and would otherwise call handlers that create resources. The refusal
 * is terminal, so such a straggler stops at once.
 */
function guardTask(
  name: string,
  handler: TaskHandler,
  { limit, inflight, lifecycle }: TaskGuard,
): TaskHandler {
  return async (input) => {
    if (lifecycle.ended) {
      const cause = `Task "${name}" was not started: the execution has already ended.`;
      throw new StateError('States.Runtime', cause, { terminal: true });
    }
    if (jsonBytes(input) > limit) {
      throw new StateError('States.DataLimitExceeded', dataLimitCause(`the input to Task "${name}"`, limit), {
        terminal: true,
      });
    }
    const call = handler(input);
    inflight.add(call);
    try {
      const result = await call;
      if (jsonBytes(result) > limit) {
        throw new StateError(
          'States.DataLimitExceeded',
          dataLimitCause(`the result of Task "${name}"`, limit),
          {
            terminal: true,
          },
        );
      }
      return result;
    } finally {
      inflight.delete(call);
    }
  };
}

type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

function toExecutionEvent(raw: LibraryEvent): ExecutionEvent {
  const event: { -readonly [K in keyof ExecutionEvent]: ExecutionEvent[K] } = {
    type: raw.type,
    timestamp: raw.timestamp,
  };
  if ('state' in raw) {
    event.stateName = raw.state.name;
    event.stateType = raw.state.type;
  }
  if ('parentState' in raw) event.parentState = raw.parentState.name;
  if ('index' in raw && typeof raw.index === 'number') event.index = raw.index;
  if ('Error' in raw) {
    event.error = raw.Error;
    event.cause = typeof raw.Cause === 'string' ? raw.Cause : JSON.stringify(raw.Cause);
  }
  if ('retry' in raw) event.retryAttempt = raw.retry.attempt;
  return event;
}

function parseDefinition(definition: object | string): Record<string, unknown> {
  let parsed: unknown = definition;
  if (typeof definition === 'string') {
    try {
      parsed = JSON.parse(definition);
    } catch (error) {
      throw new InvalidDefinitionError([`the definition is not JSON: ${(error as Error).message}`]);
    }
  }
  if (!isRecord(parsed)) throw new InvalidDefinitionError(['the definition must be a JSON object.']);
  return parsed;
}

function dataLimitCause(what: string, limit: number): string {
  return `The size of ${what} exceeds the maximum number of bytes service limit (${limit} bytes).`;
}

function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : Buffer.byteLength(text);
}

function jsonCopy(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}
