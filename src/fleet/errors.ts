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

/** ELB answered CreateTargetGroup without the group it made (or found), so nothing can use it. */
export class TargetGroupNotCreatedError extends LifeboatError {
  constructor(
    /** The primary target group it stands for. */
    public readonly sourceTargetGroupArn: string,
    public readonly targetGroupName: string,
  ) {
    super(
      `CreateTargetGroup for "${targetGroupName}" (standing for ${sourceTargetGroupArn}) returned no target group; run the restore again, or create the target group in the DR region and map it (mappings.targetGroups).`,
    );
    this.name = 'TargetGroupNotCreatedError';
  }
}

/**
 * The DR region refused part of a service's Application Auto Scaling; names the scalable target,
 * policy, alarm or scheduled action (`item`) and the service's resource id.
 */
export class ScalingRestoreError extends LifeboatError {
  constructor(
    public readonly resourceId: string,
    /** e.g. `policy cpu-target`, `alarm api-high-cpu`, `scheduled action nightly`. */
    public readonly item: string,
    public readonly code: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Application Auto Scaling of ${resourceId}: ${item} could not be restored (${code}: ${detail}). The service itself was restored; fix the cause and run the restore again (what was restored is put again, unchanged).`,
      options,
    );
    this.name = 'ScalingRestoreError';
  }
}

/** Cloud Map answered CreateService without the service, and none of its name is in the namespace. */
export class CloudMapServiceNotCreatedError extends LifeboatError {
  constructor(
    /** The primary Cloud Map service it stands for. */
    public readonly sourceServiceArn: string,
    public readonly serviceName: string,
    public readonly namespaceName: string,
  ) {
    super(
      `Cloud Map service "${serviceName}" (standing for ${sourceServiceArn}) could not be created in namespace "${namespaceName}" and is not there; run the restore again, or create it in the DR region.`,
    );
    this.name = 'CloudMapServiceNotCreatedError';
  }
}
