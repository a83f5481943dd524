import { LifeboatError } from '../kernel/errors';

/** The Describe output cannot be turned into a create input (a required member is missing). */
export class DescribeShapeError extends LifeboatError {
  constructor(
    message: string,
    public readonly resourceType: 'taskDefinition' | 'service' | 'cluster',
    public readonly resourceId: string,
  ) {
    super(message);
    this.name = 'DescribeShapeError';
  }
}

/**
 * A sealed environment variable problem; names the variable (never its value): the task
 * definition `family`, the `container` and the variable `name`.
 */
export class SealedEnvironmentError extends LifeboatError {
  constructor(
    message: string,
    public readonly family: string,
    public readonly container: string,
    public readonly variable: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SealedEnvironmentError';
  }
}

/** The capture could not seal a secret-looking variable, so the task definition is not captured. */
export class EnvironmentSealError extends SealedEnvironmentError {
  constructor(
    message: string,
    family: string,
    container: string,
    variable: string,
    options?: { cause?: unknown },
  ) {
    super(message, family, container, variable, options);
    this.name = 'EnvironmentSealError';
  }
}

/** The restore could not put a sealed variable back, so it registered nothing for the service. */
export class EnvironmentUnsealError extends SealedEnvironmentError {
  constructor(
    message: string,
    family: string,
    container: string,
    variable: string,
    options?: { cause?: unknown },
  ) {
    super(message, family, container, variable, options);
    this.name = 'EnvironmentUnsealError';
  }
}

/**
 * The restore found a DR service it does not own (no `lifeboat:deployment` tag of this
 * deployment) and was not told to adopt it, so it left the service as it was: the plan did not
 * expect it (created after the plan) or the plan was bypassed. Context: what the service runs.
 */
export class ServiceNotOwnedError extends LifeboatError {
  constructor(
    /** "cluster/service". */
    public readonly service: string,
    public readonly deploymentId: string,
    public readonly taskDefinitionArn: string | undefined,
    public readonly desiredCount: number | undefined,
  ) {
    super(
      `Service ${service} exists in the DR region (task definition ${taskDefinitionArn ?? 'unknown'}, desired count ${desiredCount ?? 'unknown'}) without the tag lifeboat:deployment=${deploymentId}: Lifeboat did not create it, so it was left untouched. ` +
        `To take it over, run the restore again with "adopt": ["${service}"]; to leave it out, add it to "exclude".`,
    );
    this.name = 'ServiceNotOwnedError';
  }
}
