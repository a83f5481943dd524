import { awsErrorCode, awsErrorMessage } from '../aws/errors';
import { restoreRunKey, restoreRunResultKey } from '../catalog/keys';
import type { RegisterTaskDefinitionInputRecord } from '../catalog/manifest';
import {
  collapseDuplicateRevisions,
  ensureService,
  isConcurrentRegistration,
  registerTaskDefinition,
  reusableTaskDefinition,
} from '../fleet/aws/deploy';
import { applyScaling } from '../fleet/aws/scaling';
import { unsealEnvironment } from '../fleet/aws/secrets';
import { withProvenance } from '../fleet/inventory';
import { applyRegistryArns } from '../fleet/retarget/cloud-map';
import { applyTargetGroupArns } from '../fleet/retarget/target-groups';
import { applyAccessPointIds } from '../fleet/retarget/task-definition';
import type { ScalingOutcome } from '../fleet/scaling';
import { roleArnsIn } from '../kernel/arns';
import { type RetryPolicy, withRetry } from '../kernel/retry';
import { ensureStandaloneVolumes, type VolumeResult } from '../volumes/ebs/aws/create';
import type { StandaloneVolumePlan } from '../volumes/ebs/plan';
import type { RestoreContext } from './context';
import {
  RestoreError,
  RoleNotInRecoveryPointError,
  ServiceNotPlannedError,
  TaskDefinitionRegistrationError,
} from './errors';
import type { RestoreRun, SharedResources } from './runs';

export interface RestoreServiceEvent {
  readonly executionName: string;
  /** "cluster/service" */
  readonly key: string;
}

export type ServiceOutcome = 'created' | 'updated' | 'unchanged' | 'failed' | 'blocked';

/** One service's result; kept small (it travels through the Map state). */
export interface ServiceResult {
  readonly service: string;
  readonly status: ServiceOutcome;
  readonly taskDefinitionArn?: string;
  /** Whether a revision was registered or the latest ACTIVE one already matched. */
  readonly taskDefinition?: 'registered' | 'reused';
  /** Absent when the function itself failed (the state machine's Catch shapes the record). */
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly error?: { readonly name: string; readonly message: string };
  /** The standalone EBS volumes created (or found) for the service, when it has any. */
  readonly volumes?: VolumeResult[];
  /** What of its Application Auto Scaling was put in the DR region, when it has any. */
  readonly scaling?: ScalingOutcome;
}

/** Attempts of RegisterTaskDefinition (concurrent registrations of a family fail with ClientException). */
export const REGISTER_ATTEMPTS = 8;

/** Backoff between those attempts: 250 ms doubling to 8 s, with equal jitter. */
const REGISTER_RETRY: RetryPolicy = {
  maxAttempts: REGISTER_ATTEMPTS,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  jitter: 'equal',
};

/**
 * Registers the task definition unless the family's latest ACTIVE revision already equals it
 * (same canonical form, `sameTaskDefinition`: a re-run adds no revision, and a revision someone
 * else registered with more in it is never run). Retries concurrent registrations of one family
 * with backoff; TaskDefinitionRegistrationError after REGISTER_ATTEMPTS of them.
 */
export async function ensureTaskDefinition(
  ctx: Pick<RestoreContext, 'clients' | 'region' | 'sleep'>,
  input: RegisterTaskDefinitionInputRecord,
): Promise<{ arn: string; action: 'registered' | 'reused' }> {
  const ecs = ctx.clients.ecs(ctx.region);
  const reusable = await reusableTaskDefinition(ecs, input);
  if (reusable) return { arn: reusable, action: 'reused' };
  try {
    return await withRetry(
      async () => {
        const arn = await registerTaskDefinition(ecs, input);
        if (!arn)
          throw new RestoreError(`RegisterTaskDefinition returned no ARN for family ${input.family}.`);
        return { arn: await collapseDuplicateRevisions(ecs, input, arn), action: 'registered' as const };
      },
      {
        classify: (error) => (isConcurrentRegistration(error) ? 'transient' : 'fatal'),
        policy: REGISTER_RETRY,
        sleep: (ms) => ctx.sleep(ms),
      },
    );
  } catch (error) {
    if (!isConcurrentRegistration(error)) throw error;
    throw new TaskDefinitionRegistrationError(input.family, REGISTER_ATTEMPTS, { cause: error });
  }
}

function errorOf(error: unknown): { name: string; message: string } {
  return { name: awsErrorCode(error), message: awsErrorMessage(error) };
}

/** The reason a service fails when DR volumes of its standalone volumes could not be created. */
function volumeFailure(failed: readonly VolumeResult[]): { name: string; message: string } {
  const reasons = failed.map((v) => `${v.error?.name ?? 'Error'}: ${v.error?.message ?? 'unknown'}`);
  return {
    name: 'VolumeCreationFailed',
    message: `${reasons.join('; ')}. The service was not created or updated; fix the cause and run the restore again (volumes already created are reused).`,
  };
}

/**
 * RestoreService: creates (or finds) the DR volumes of the service's standalone EBS volumes,
 * registers the service's retargeted task definition (or reuses an identical revision) and
 * creates or updates the service. A failure of this service (a volume that cannot be created
 * included: the service is then left alone) is returned as status `failed` with its reason, so
 * the other services of the wave carry on. Refuses to pass an IAM role the recovery point does
 * not name. The result is also stored in the catalog (`restore-runs/<execution>/services/…`).
 */
export async function restoreService(
  ctx: RestoreContext,
  event: RestoreServiceEvent,
): Promise<ServiceResult> {
  const result = await restoreServiceOnce(ctx, event);
  // The Report step reads it from here however the execution ends (a later step failing, a wave
  // gate stopping it); a write that fails fails the step, whose retry repeats idempotently.
  await ctx.runs.put(restoreRunResultKey(event.executionName, result), result);
  return result;
}

async function restoreServiceOnce(ctx: RestoreContext, event: RestoreServiceEvent): Promise<ServiceResult> {
  const startedAt = ctx.now().toISOString();
  const finish = (rest: Omit<ServiceResult, 'service' | 'startedAt' | 'finishedAt'>): ServiceResult => ({
    service: event.key,
    startedAt,
    finishedAt: ctx.now().toISOString(),
    ...rest,
  });
  const run = await ctx.runs.get<RestoreRun>(restoreRunKey(event.executionName, 'plan'));
  const plan = run.plan.services.find((s) => s.key === event.key);
  if (!plan)
    throw new ServiceNotPlannedError(event.key, `is not in the plan of execution ${event.executionName}.`);
  if (plan.blocked || !plan.taskDefinition) {
    return finish({
      status: 'blocked',
      error: {
        name: 'ServiceBlocked',
        message: `blocked by ${plan.blockedBy.join(', ') || 'a missing task definition'}`,
      },
    });
  }
  let taskDefinitionArn: string | undefined;
  let taskDefinition: 'registered' | 'reused' | undefined;
  let volumes: VolumeResult[] = [];
  const withVolumes = () => (volumes.length > 0 ? { volumes } : {});
  try {
    const shared = await ctx.runs.get<SharedResources>(restoreRunKey(event.executionName, 'shared'));
    const needs = [
      `cluster:${plan.clusterName}`,
      ...plan.logGroups.map((g) => `logGroup:${g}`),
      ...plan.pendingAccessPoints.map((ap) => `accessPoint:${ap}`),
      ...plan.pendingTargetGroups.map((tg) => `targetGroup:${tg}`),
    ];
    const missing = needs.filter((n) => shared.failures[n] !== undefined);
    if (missing.length > 0) {
      return finish({
        status: 'failed',
        error: {
          name: 'SharedResourceFailed',
          message: missing.map((m) => `${m}: ${shared.failures[m]}`).join('; '),
        },
      });
    }
    // Target groups and Cloud Map services PrepareShared created stand in for the primary ones the
    // plan left pending.
    const balanced = applyTargetGroupArns(
      plan.createServiceInput,
      plan.pendingTargetGroups,
      shared.targetGroups ?? {},
    );
    const registered = applyRegistryArns(
      balanced.input,
      plan.pendingRegistries,
      shared.cloudMapServices ?? {},
    );
    if (balanced.missing.length + registered.missing.length > 0) {
      return finish({
        status: 'failed',
        error: {
          name: 'SharedResourceFailed',
          message: `no DR counterpart was created for ${[...balanced.missing, ...registered.missing].join(', ')}`,
        },
      });
    }
    const retargeted = applyAccessPointIds(
      plan.taskDefinition.registerInput as RegisterTaskDefinitionInputRecord,
      shared.accessPoints,
    );
    const allowed = new Set(run.allowedRoles);
    const roles = roleArnsIn(retargeted, plan.createServiceInput).filter((r) => !allowed.has(r));
    if (roles.length > 0) throw new RoleNotInRecoveryPointError(event.key, roles);
    // The sealed environment values, decrypted before anything is created (one that does not
    // decrypt fails the service with nothing changed) into the register input only: it goes to
    // RegisterTaskDefinition (and the reuse check), never into a result, a log or an error.
    const registerInput = await unsealEnvironment(
      retargeted,
      plan.taskDefinition.family,
      plan.taskDefinition.sealedEnvironment ?? [],
      {
        kms: ctx.clients.kms(ctx.region),
        deploymentId: ctx.config.deploymentId,
        ...(ctx.catalogKmsKeyId ? { keyId: ctx.catalogKmsKeyId } : {}),
      },
    );

    const standalone = plan.volumes.filter(
      (v): v is StandaloneVolumePlan => v.kind === 'standalone' && v.action === 'create',
    );
    if (standalone.length > 0) {
      volumes = await ensureStandaloneVolumes(ctx.clients.ec2(ctx.region), standalone, {
        recoveryPointId: run.plan.recoveryPoint.id,
        kmsKeyId: ctx.volumeKmsKeyId,
      });
      for (const v of volumes) {
        ctx.log?.info('Restored volume', {
          volume: v.sourceVolumeId,
          service: event.key,
          outcome: v.outcome,
          ...(v.drVolumeId ? { drVolumeId: v.drVolumeId } : {}),
          ...(v.state ? { state: v.state } : {}),
        });
      }
      const failed = volumes.filter((v) => v.outcome === 'failed');
      if (failed.length > 0) {
        const error = volumeFailure(failed);
        ctx.log?.warn('Service restore failed', { service: event.key, error: error.message });
        return finish({ status: 'failed', volumes, error });
      }
    }

    const ecs = ctx.clients.ecs(ctx.region);
    const td = await ensureTaskDefinition(ctx, registerInput);
    taskDefinitionArn = td.arn;
    taskDefinition = td.action;
    const status = await ensureService(ecs, { ...plan, createServiceInput: registered.input }, td.arn, {
      deploymentId: ctx.config.deploymentId,
      recoveryPointId: run.plan.recoveryPoint.id,
    });
    // Scaling once the service exists (a scalable target needs it); a refusal fails the service.
    const scaling = plan.scaling
      ? await applyScaling(
          ctx.clients.autoscaling(ctx.region),
          ctx.clients.cloudwatch(ctx.region),
          plan.scaling,
          withProvenance([], {
            deploymentId: ctx.config.deploymentId,
            recoveryPointId: run.plan.recoveryPoint.id,
          }).tags,
        )
      : undefined;
    ctx.log?.info('Restored service', {
      service: event.key,
      status,
      taskDefinitionArn: td.arn,
      taskDefinition: td.action,
      ...(scaling ? { scaling } : {}),
    });
    return finish({
      status,
      taskDefinitionArn: td.arn,
      taskDefinition: td.action,
      ...withVolumes(),
      ...(scaling ? { scaling } : {}),
    });
  } catch (error) {
    ctx.log?.warn('Service restore failed', { service: event.key, error: awsErrorMessage(error) });
    return finish({
      status: 'failed',
      ...(taskDefinitionArn ? { taskDefinitionArn } : {}),
      ...(taskDefinition ? { taskDefinition } : {}),
      error: errorOf(error),
      ...withVolumes(),
    });
  }
}
