import { randomBytes } from 'node:crypto';

/**
 * How the CLI runs a workflow, wherever it runs: on this machine under the local Step Functions
 * engine (`local-workflow.ts`) or as the state machine deployed in AWS (`aws/deployed-workflow.ts`).
 * Commands start an execution, follow its events and read its result the same way for both.
 */

/**
 * One step of an execution, as the local engine reports it and as the deployed execution's
 * history records it. State names are those of the definitions (`BACKUP_STATES`,
 * `RESTORE_STATES` in lib/workflows).
 */
export type WorkflowEvent =
  | { readonly type: 'StateEntered'; readonly stateName: string }
  | {
      readonly type: 'StateExited';
      readonly stateName: string;
      /** The state's output (after its ResultPath and OutputPath). */
      readonly output: unknown;
    }
  | {
      readonly type: 'MapIterationStarted';
      /** The Map state the iteration belongs to. */
      readonly mapState: string;
      readonly index: number;
    };

/** How an execution ended. */
export interface WorkflowResult {
  readonly executionArn: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** The execution output (SUCCEEDED only). */
  readonly output?: unknown;
  /** The ASL error name (FAILED, TIMED_OUT). */
  readonly error?: string;
  readonly cause?: string;
  /** States entered, as Standard workflows bill them. */
  readonly stateTransitions: number;
  readonly durationMs: number;
}

/** A started execution. */
export interface WorkflowExecution {
  readonly name: string;
  /** Waits for the execution to end; its events have all been delivered by then. */
  result(): Promise<WorkflowResult>;
}

export interface StartOptions {
  /** From `executionName()`. */
  readonly executionName: string;
  /** Called with each event of the execution, in order, while it runs. */
  readonly onEvent?: (event: WorkflowEvent) => void;
}

/** Runs one workflow (backup or restore), on this machine or in AWS. */
export interface WorkflowRunner {
  /** `local`: on this machine against an endpoint; `deployed`: the state machine in AWS. */
  readonly mode: 'local' | 'deployed';
  /** What the definition's Wait times are multiplied by here (1 in AWS). */
  readonly waitTimeScale: number;
  /** A new execution name: `local-<time>-<random>` on this machine, `cli-<time>-<random>` in AWS. */
  executionName(now?: Date): string;
  /** Starts an execution with `input`. */
  start(input: unknown, opts: StartOptions): Promise<WorkflowExecution>;
}

/** `<prefix>-<time>-<random>`, e.g. `local-20260102T030405678Z-a1b2c3`: a new execution name. */
export function executionNameAt(prefix: string, now: Date = new Date()): string {
  return `${prefix}-${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}
