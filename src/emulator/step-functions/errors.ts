import { LifeboatError } from '../../kernel/errors';

/** Errors raised while rendering or running a Step Functions definition on this machine. */
export class LocalStepFunctionsError extends LifeboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalStepFunctionsError';
  }
}

/** A CloudFormation template could not be turned into a state machine definition. */
export class TemplateRenderError extends LocalStepFunctionsError {
  constructor(
    message: string,
    /** Where in the template the problem is, e.g. `SM934E715A.DefinitionString`. */
    public readonly location: string,
  ) {
    super(`${location}: ${message}`);
    this.name = 'TemplateRenderError';
  }
}

/** The definition is not valid Amazon States Language (Step Functions would reject it too). */
export class InvalidDefinitionError extends LocalStepFunctionsError {
  constructor(public readonly problems: readonly string[]) {
    super(`The state machine definition is not valid ASL:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidDefinitionError';
  }
}

/**
 * The definition is valid but cannot run locally as set up: a Task has no local handler, an
 * integration or ASL feature is not available locally, or no clients were given for `aws-sdk:` tasks.
 */
export class LocalRunSetupError extends LocalStepFunctionsError {
  constructor(public readonly problems: readonly string[]) {
    super(`The state machine cannot run locally:\n- ${problems.join('\n- ')}`);
    this.name = 'LocalRunSetupError';
  }
}

/**
 * A failure inside a state, named the way Step Functions names it: `name` is the ASL `Error`
 * (matched by Retry/Catch `ErrorEquals`) and `message` the `Cause`. A terminal error (such as
 * `States.DataLimitExceeded`) cannot be retried or caught, as on AWS.
 */
export class StateError extends LifeboatError {
  /** Read by aws-local-stepfunctions to decide whether Retry may match. */
  readonly isRetryable: boolean;
  /** Read by aws-local-stepfunctions to decide whether Catch may match. */
  readonly isCatchable: boolean;

  constructor(error: string, cause: string, options: { terminal?: boolean } = {}) {
    super(cause);
    this.name = error;
    this.isRetryable = !options.terminal;
    this.isCatchable = !options.terminal;
  }
}
