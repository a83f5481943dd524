import {
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  TagResourceCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { awsErrorCode, awsErrorMessage } from '../aws/errors';
import type { RestoreRun, SharedResources } from '../catalog/aws/run-store';
import { restoreRunKey } from '../catalog/keys';
import type { RegisterTaskDefinitionInputRecord } from '../catalog/manifest';
import { RECOVERY_POINT_TAG } from '../fleet/inventory';
import { applyAccessPointIds } from '../fleet/retarget/task-definition';
import { sanitiseTaskDefinition } from '../fleet/sanitise';
import { ensureStandaloneVolumes, type VolumeResult } from '../volumes/ebs/aws/create';
import type { StandaloneVolumePlan } from '../volumes/ebs/plan';
import type { RestoreContext } from './context';
import {
  RestoreError,
  RoleNotInRecoveryPointError,
  ServiceNotPlannedError,
  TaskDefinitionRegistrationError,
} from './errors';
import type { ServicePlan } from './plan';

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
}

/** Attempts of RegisterTaskDefinition (concurrent registrations of a family fail with ClientException). */
export const REGISTER_ATTEMPTS = 8;

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

function rolesIn(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    if (ROLE_ARN.test(value)) found.add(value);
  } else if (Array.isArray(value)) for (const v of value) rolesIn(v, found);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) rolesIn(v, found);
  return found;
}

/**
 * True when `wanted` is contained in `actual`: every member of `wanted` is present and equal
 * (objects recursively; arrays element by element with the same length). Members `actual` adds
 * (defaults ECS fills in) are ignored.
 */
export function coveredBy(wanted: unknown, actual: unknown): boolean {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((w, i) => coveredBy(w, actual[i]))
    );
  }
  if (wanted !== null && typeof wanted === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    return Object.entries(wanted as Record<string, unknown>).every(([k, v]) => coveredBy(v, a[k]));
  }
  // ECS echoes some numbers as strings (cpu, memory) and vice versa.
  if (
    (typeof wanted === 'number' || typeof wanted === 'string') &&
    (typeof actual === 'number' || typeof actual === 'string')
  ) {
    return String(wanted) === String(actual);
  }
  return wanted === actual;
}

function isConcurrentRegistration(error: unknown): boolean {
  const code = awsErrorCode(error);
  if (code === 'ThrottlingException' || code === 'TooManyRequestsException') return true;
  return code === 'ClientException' && /concurrent|too many|rate exceeded/i.test(awsErrorMessage(error));
}

/**
 * Registers the task definition unless the family's latest ACTIVE revision already equals it
 * (so a re-run adds no revision). Retries concurrent registrations of one family with backoff.
 */
export async function ensureTaskDefinition(
  ctx: Pick<RestoreContext, 'sleep'>,
  ecs: ECSClient,
  input: RegisterTaskDefinitionInputRecord,
): Promise<{ arn: string; action: 'registered' | 'reused' }> {
  const { tags: _tags, ...comparable } = input as RegisterTaskDefinitionInputRecord & { tags?: unknown };
  try {
    const res = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: input.family }));
    const latest = res.taskDefinition;
    if (latest?.taskDefinitionArn && latest.status === 'ACTIVE') {
      const described = sanitiseTaskDefinition(latest as unknown as Record<string, unknown>);
      if (coveredBy(comparable, described)) return { arn: latest.taskDefinitionArn, action: 'reused' };
    }
  } catch (error) {
    if (awsErrorCode(error) !== 'ClientException') throw error;
  }
  for (let attempt = 1; ; attempt += 1) {
    try {
      const res = await ecs.send(
        new RegisterTaskDefinitionCommand(input as RegisterTaskDefinitionCommandInput),
      );
      const arn = res.taskDefinition?.taskDefinitionArn;
      if (!arn) throw new RestoreError(`RegisterTaskDefinition returned no ARN for family ${input.family}.`);
      return { arn, action: 'registered' };
    } catch (error) {
      if (!isConcurrentRegistration(error)) throw error;
      if (attempt >= REGISTER_ATTEMPTS)
        throw new TaskDefinitionRegistrationError(input.family, attempt, { cause: error });
      const base = Math.min(8_000, 250 * 2 ** (attempt - 1));
      await ctx.sleep(base / 2 + Math.random() * (base / 2));
    }
  }
}

const UPDATABLE: readonly (keyof UpdateServiceCommandInput & keyof CreateServiceCommandInput)[] = [
  'desiredCount',
  'capacityProviderStrategy',
  'deploymentConfiguration',
  'availabilityZoneRebalancing',
  'networkConfiguration',
  'placementConstraints',
  'placementStrategy',
  'platformVersion',
  'healthCheckGracePeriodSeconds',
  'enableExecuteCommand',
  'enableECSManagedTags',
  'loadBalancers',
  'propagateTags',
  'serviceRegistries',
  'serviceConnectConfiguration',
  'volumeConfigurations',
  'vpcLatticeConfigurations',
];

async function describeService(ecs: ECSClient, cluster: string, name: string): Promise<Service | undefined> {
  const res = await ecs.send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] }));
  return res.services?.find((s) => s.serviceName === name && s.status !== 'INACTIVE');
}

/**
 * Creates the service, or updates it when it already exists (ECS and the emulator disagree on a
 * second CreateService, so existence is checked first). Unchanged when it already runs this task
 * definition with this desired count and was restored from this recovery point.
 */
export async function ensureService(
  ecs: ECSClient,
  plan: ServicePlan,
  taskDefinitionArn: string,
  recoveryPointId: string,
): Promise<'created' | 'updated' | 'unchanged'> {
  const input = {
    ...plan.createServiceInput,
    taskDefinition: taskDefinitionArn,
  } as CreateServiceCommandInput & {
    tags?: { key: string; value: string }[];
  };
  const existing = await describeService(ecs, plan.clusterName, plan.serviceName);
  if (!existing) {
    await ecs.send(new CreateServiceCommand(input));
    return 'created';
  }
  const restoredFrom = existing.tags?.find((t) => t.key === RECOVERY_POINT_TAG)?.value;
  const sameCount = input.desiredCount === undefined || existing.desiredCount === input.desiredCount;
  if (existing.taskDefinition === taskDefinitionArn && sameCount && restoredFrom === recoveryPointId) {
    return 'unchanged';
  }
  const update: Record<string, unknown> = {
    cluster: plan.clusterName,
    service: plan.serviceName,
    taskDefinition: taskDefinitionArn,
  };
  for (const field of UPDATABLE) {
    if (input[field] !== undefined) update[field] = input[field];
  }
  await ecs.send(new UpdateServiceCommand(update as unknown as UpdateServiceCommandInput));
  if (existing.serviceArn && input.tags && input.tags.length > 0) {
    await ecs.send(new TagResourceCommand({ resourceArn: existing.serviceArn, tags: input.tags }));
  }
  return 'updated';
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
 * not name.
 */
export async function restoreService(
  ctx: RestoreContext,
  event: RestoreServiceEvent,
): Promise<ServiceResult> {
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
    const registerInput = applyAccessPointIds(
      plan.taskDefinition.registerInput as RegisterTaskDefinitionInputRecord,
      shared.accessPoints,
    );
    const allowed = new Set(run.allowedRoles);
    const roles = [...rolesIn([registerInput, plan.createServiceInput])].filter((r) => !allowed.has(r));
    if (roles.length > 0) throw new RoleNotInRecoveryPointError(event.key, roles.sort());

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
    const td = await ensureTaskDefinition(ctx, ecs, registerInput);
    taskDefinitionArn = td.arn;
    taskDefinition = td.action;
    const status = await ensureService(ecs, plan, td.arn, run.plan.recoveryPoint.id);
    ctx.log?.info('Restored service', {
      service: event.key,
      status,
      taskDefinitionArn: td.arn,
      taskDefinition: td.action,
    });
    return finish({ status, taskDefinitionArn: td.arn, taskDefinition: td.action, ...withVolumes() });
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
