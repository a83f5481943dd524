import { randomBytes } from 'node:crypto';
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
  type RenderedDefinition,
  renderDefinition,
  runLocalStateMachine,
} from '../../emulator/step-functions/engine';

/** A Lifeboat state machine as CDK deploys it, with each Lambda's `LIFEBOAT_FUNCTION`. */
export interface SynthesisedWorkflow {
  readonly rendered: RenderedDefinition;
  /** Lambda logical id → `LIFEBOAT_FUNCTION` (the handler module name). */
  readonly functions: Readonly<Record<string, string>>;
}

/** Which stack holds the workflow, and how to find its state machine. */
export interface WorkflowSpec {
  /** What the workflow is called in messages, e.g. `restore`. */
  readonly name: string;
  readonly config: LifeboatConfig;
  /** Region the stack deploys to (the state machine runs there). */
  readonly region: string;
  /** Adds the stack to `app`; returns it and the state machine to run. */
  readonly build: (app: App) => { readonly stack: Stack; readonly stateMachine: sfn.StateMachine };
  /** The `LIFEBOAT_FUNCTION` values a local run has handlers for. */
  readonly handlerNames: readonly string[];
}

const synthesised = new Map<string, SynthesisedWorkflow>();

/**
 * Synthesises a stack in-process (bundling skipped) and renders its state machine for its region,
 * checking that every Lambda the definition calls names a known handler in `LIFEBOAT_FUNCTION`.
 * Cached per workflow and configuration (a synth takes seconds).
 */
export function synthesiseWorkflow(spec: WorkflowSpec): SynthesisedWorkflow {
  const cacheKey = `${spec.name} ${JSON.stringify(spec.config)}`;
  const cached = synthesised.get(cacheKey);
  if (cached) return cached;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { stack, stateMachine } = spec.build(app);
  const template = app.synth().getStackArtifact(stack.artifactId).template as CfnTemplateJson;
  const machineId = stack.getLogicalId(stateMachine.node.defaultChild as CfnElement);
  const rendered = renderDefinition(template, machineId, {
    region: spec.region,
    account: spec.config.account,
  });
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
  const result = { rendered, functions };
  synthesised.set(cacheKey, result);
  return result;
}

/** `local-<time>-<random>`: the execution name of a local run. */
export function localExecutionName(now: Date = new Date()): string {
  return `local-${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
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
  readonly onEvent?: (event: ExecutionEvent) => void;
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
