import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { AwsClients } from '../../aws/clients';
import type { LifeboatConfig } from '../../config/schema';
import {
  type CfnTemplateJson,
  type ExecutionEvent,
  type LambdaHandler,
  type LocalExecutionResult,
  LocalStepFunctionsError,
  renderDefinition,
  runLocalStateMachine,
} from '../../emulator/step-functions/engine';
import {
  readCachedWorkflow,
  type SynthesisedWorkflow,
  workflowCacheDir,
  workflowCacheKey,
  writeCachedWorkflow,
} from './workflow-cache';
import {
  executionNameAt,
  type StartOptions,
  type WorkflowEvent,
  type WorkflowExecution,
  type WorkflowResult,
  type WorkflowRunner,
} from './workflow-runner';

export type { SynthesisedWorkflow } from './workflow-cache';

/** Which stack holds the workflow, and how to find its state machine. */
export interface WorkflowSpec<S extends Stack = Stack> {
  /** What the workflow is called in messages, e.g. `restore`. */
  readonly name: string;
  readonly config: LifeboatConfig;
  /** Region the stack deploys to (the state machine runs there). */
  readonly region: string;
  /** Adds the stack to `app`; returns it and the state machine to run. */
  readonly build: (app: App) => { readonly stack: S; readonly stateMachine: sfn.StateMachine };
  /** The `LIFEBOAT_FUNCTION` values a local run has handlers for. */
  readonly handlerNames: readonly string[];
  /**
   * Local values of stack resources the definition names (see `renderDefinition`'s
   * `resources`), each under a name of the spec's choosing that `logicalIds` maps to the
   * resource's logical id, e.g. `{ reportTopic: { Ref: arn, TopicArn: arn } }` for the emulator's
   * report topic in place of the one the stack would create.
   * @default - every resource named as the stack would name it
   */
  readonly resources?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * The logical id of each resource `resources` names, read from the stack at synth (a cached
   * definition needs no stack, so `resources` cannot ask it).
   * @default - no names
   */
  readonly logicalIds?: (stack: S) => Readonly<Record<string, string>>;
}

/** A synthesised stack: its template, its state machine's logical id and the spec's `logicalIds`. */
interface SynthesisedStack {
  readonly template: CfnTemplateJson;
  readonly machineId: string;
  readonly logicalIds: Readonly<Record<string, string>>;
}

/** Synthesised stacks by workflow, region and configuration (a synth takes seconds). */
const stacks = new Map<string, SynthesisedStack>();
/** Rendered definitions by cache key (see `workflowCacheKey`). */
const synthesised = new Map<string, SynthesisedWorkflow>();

/**
 * Synthesises a stack in-process (bundling skipped) and renders its state machine for its region,
 * checking that every Lambda the definition calls names a known handler in `LIFEBOAT_FUNCTION`.
 * Cached in this process and on disk (see `workflowCacheDir`) by a content hash of the workflow,
 * region, configuration, local resource values and the code that shapes the template: a synth
 * takes seconds, reading the cache milliseconds.
 */
export function synthesiseWorkflow<S extends Stack>(spec: WorkflowSpec<S>): SynthesisedWorkflow {
  const resources = spec.resources ?? {};
  const key = workflowCacheKey({ name: spec.name, region: spec.region, config: spec.config, resources });
  const inMemory = synthesised.get(key);
  if (inMemory) return inMemory;
  const dir = workflowCacheDir();
  let result = dir ? readCachedWorkflow(dir, key) : undefined;
  if (!result) {
    result = renderWorkflow(spec, synthesiseStack(spec));
    if (dir) writeCachedWorkflow(dir, key, result);
  }
  synthesised.set(key, result);
  return result;
}

function synthesiseStack<S extends Stack>(spec: WorkflowSpec<S>): SynthesisedStack {
  const stackKey = JSON.stringify([spec.name, spec.region, spec.config]);
  let built = stacks.get(stackKey);
  if (!built) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { stack, stateMachine } = spec.build(app);
    built = {
      template: app.synth().getStackArtifact(stack.artifactId).template as CfnTemplateJson,
      machineId: stack.getLogicalId(stateMachine.node.defaultChild as CfnElement),
      logicalIds: spec.logicalIds?.(stack) ?? {},
    };
    stacks.set(stackKey, built);
  }
  return built;
}

/** Renders the state machine of `built` with the spec's local resources, each Lambda mapped to its handler. */
function renderWorkflow<S extends Stack>(
  spec: WorkflowSpec<S>,
  built: SynthesisedStack,
): SynthesisedWorkflow {
  const { template, machineId, logicalIds } = built;
  const resources: Record<string, Readonly<Record<string, string>>> = {};
  for (const [name, values] of Object.entries(spec.resources ?? {})) {
    const logicalId = logicalIds[name];
    if (!logicalId) {
      throw new LocalStepFunctionsError(
        `The ${spec.name} workflow has a local value for the resource ${name} but no logical id for it; logicalIds must name it.`,
      );
    }
    resources[logicalId] = values;
  }
  const rendered = renderDefinition(
    template,
    machineId,
    { region: spec.region, account: spec.config.account },
    { resources },
  );
  const known = new Set(spec.handlerNames);
  const functions: Record<string, string> = {};
  for (const logicalId of Object.keys(rendered.functions)) {
    const env = template.Resources?.[logicalId]?.Properties?.Environment as
      | { Variables?: Record<string, unknown> }
      | undefined;
    const name = env?.Variables?.LIFEBOAT_FUNCTION;
    if (typeof name !== 'string' || !known.has(name)) {
      throw new LocalStepFunctionsError(
        `Lambda ${logicalId} of the ${spec.name} workflow has no known LIFEBOAT_FUNCTION (${String(name)}); every ${spec.name} function must set it to its handler module name (one of ${[...known].join(', ')}).`,
      );
    }
    functions[logicalId] = name;
  }
  return { rendered, functions };
}

/** `local-<time>-<random>`: the execution name of a local run. */
export function localExecutionName(now: Date = new Date()): string {
  return executionNameAt('local', now);
}

export interface RunWorkflowOptions {
  readonly workflow: SynthesisedWorkflow;
  /** In-process handlers by `LIFEBOAT_FUNCTION`. */
  readonly handlers: Readonly<Record<string, LambdaHandler>>;
  readonly input: unknown;
  /** Clients for `aws-sdk:` tasks (the handlers hold their own). @default - `aws-sdk:` tasks are refused */
  readonly clients?: AwsClients;
  readonly region: string;
  readonly account: string;
  readonly executionName: string;
  /** Multiplies Wait and Retry times (0 skips them). */
  readonly waitTimeScale: number;
  /** Every event of the execution; `output` is a StateExited event's state output. */
  readonly onEvent?: (event: ExecutionEvent, output?: unknown) => void;
}

/**
 * Runs a synthesised workflow on this machine: the exact definition the stack deploys (only
 * resource ARNs and wait times differ), each Lambda mapped by its `LIFEBOAT_FUNCTION` to the
 * in-process handler.
 */
export async function runSynthesisedWorkflow(opts: RunWorkflowOptions): Promise<LocalExecutionResult> {
  const lambdas: Record<string, LambdaHandler> = {};
  for (const [logicalId, name] of Object.entries(opts.workflow.functions)) {
    const handler = opts.handlers[name];
    if (!handler) {
      throw new LocalStepFunctionsError(
        `No local handler for ${name} (Lambda ${logicalId}); pass one in handlers.`,
      );
    }
    lambdas[logicalId] = handler;
  }
  return runLocalStateMachine({
    definition: opts.workflow.rendered.definition,
    input: opts.input,
    lambdas,
    ...(opts.clients ? { clients: opts.clients } : {}),
    region: opts.region,
    account: opts.account,
    stateMachineName: opts.workflow.rendered.stateMachineName,
    executionName: opts.executionName,
    waitTimeScale: opts.waitTimeScale,
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
}

/** The event of the local engine as a runner reports it; undefined for events no view reads. */
export function workflowEventOf(event: ExecutionEvent, output?: unknown): WorkflowEvent | undefined {
  const { type, stateName, parentState, index } = event;
  if (type === 'StateEntered' && stateName !== undefined) return { type, stateName };
  if (type === 'StateExited' && stateName !== undefined) return { type, stateName, output };
  if (type === 'MapIterationStarted' && parentState !== undefined && index !== undefined) {
    return { type, mapState: parentState, index };
  }
  return undefined;
}

/** How a local runner runs one execution of its workflow (the handlers wired to the definition). */
export type LocalRun = (args: {
  readonly input: unknown;
  readonly executionName: string;
  readonly onEvent: (event: ExecutionEvent, output?: unknown) => void;
}) => Promise<LocalExecutionResult>;

/** A workflow on this machine, under the local Step Functions engine, against the clients' endpoint. */
export class LocalWorkflowRunner implements WorkflowRunner {
  readonly mode = 'local';

  /**
   * @param run runs one execution (see `runLocalBackup`, `runLocalRestore`)
   * @param waitTimeScale what `run` multiplies the Wait times by
   */
  constructor(
    private readonly run: LocalRun,
    readonly waitTimeScale: number,
  ) {}

  executionName(now?: Date): string {
    return localExecutionName(now);
  }

  async start(input: unknown, opts: StartOptions): Promise<WorkflowExecution> {
    const running = this.run({
      input,
      executionName: opts.executionName,
      onEvent: (raw, output) => {
        const event = workflowEventOf(raw, output);
        if (event) opts.onEvent?.(event);
      },
    }).then(workflowResultOf);
    // The failure reaches whoever waits for the result; until then it is not an unhandled rejection.
    running.catch(() => undefined);
    return { name: opts.executionName, result: () => running };
  }
}

function workflowResultOf(result: LocalExecutionResult): WorkflowResult {
  return {
    executionArn: result.executionArn,
    status: result.status,
    ...(result.output !== undefined ? { output: result.output } : {}),
    ...(result.error !== undefined ? { error: result.error } : {}),
    ...(result.cause !== undefined ? { cause: result.cause } : {}),
    stateTransitions: result.stateTransitions,
    durationMs: result.durationMs,
  };
}
