import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateClusterCommand,
  type CreateClusterCommandInput,
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  TagResourceCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import type { RegisterTaskDefinitionInputRecord, Tag } from '../../catalog/manifest';
import { chunk } from '../../kernel/concurrency';
import { ServiceNotOwnedError } from '../errors';
import { DEPLOYMENT_TAG, isOwnedBy, type Provenance, RECOVERY_POINT_TAG } from '../inventory';
import type { DrCreateServiceInput } from '../retarget/service';
import { sameTaskDefinition } from '../task-definition-equality';
import { DESCRIBE_SERVICES_MAX, toTags } from './capture';

/**
 * Deploying the fleet in the DR region, each call safe to repeat: task definition revisions,
 * services, clusters, the log groups the tasks write to, and what a steady-state check reads.
 */

/**
 * The family's latest ACTIVE revision when it is the same task definition as `input` (canonical
 * forms equal, see `sameTaskDefinition`: tags aside, ECS's defaults written out), so a re-run
 * registers no new revision; undefined when there is none (a family ECS does not know included)
 * or when it differs in anything else, an extra member such as `privileged: true` or a `command`
 * included: the restore then registers the definition it planned rather than run that one.
 */
export async function reusableTaskDefinition(
  ecs: ECSClient,
  input: RegisterTaskDefinitionInputRecord,
): Promise<string | undefined> {
  try {
    const res = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: input.family }));
    let latest = res.taskDefinition;
    if (latest && latest.status !== 'ACTIVE') {
      // ECS answers a family with its latest ACTIVE revision; the emulator with its latest, even
      // one deregistered (a collapsed duplicate): look the latest ACTIVE one up.
      const active = await latestActiveRevision(ecs, input.family);
      latest = active
        ? (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: active }))).taskDefinition
        : undefined;
    }
    if (latest?.taskDefinitionArn && latest.status === 'ACTIVE' && sameTaskDefinition(input, latest)) {
      return latest.taskDefinitionArn;
    }
  } catch (error) {
    if (awsErrorCode(error) !== 'ClientException') throw error;
  }
  return undefined;
}

/** The ARN of the family's highest ACTIVE revision (ListTaskDefinitions, newest first), if any. */
async function latestActiveRevision(ecs: ECSClient, family: string): Promise<string | undefined> {
  const res = await ecs.send(
    new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', maxResults: 100 }),
  );
  // familyPrefix matches other families that start with it: keep this family's revisions only.
  const revisions = (res.taskDefinitionArns ?? []).flatMap((arn) => {
    const m = /:task-definition\/(.+):(\d+)$/.exec(arn);
    return m && m[1] === family ? [{ arn, revision: Number(m[2]) }] : [];
  });
  return revisions.sort((a, b) => b.revision - a.revision)[0]?.arn;
}

/** Registers a revision (one RegisterTaskDefinition call): its ARN, undefined when ECS answered without one. */
export async function registerTaskDefinition(
  ecs: ECSClient,
  input: RegisterTaskDefinitionInputRecord,
): Promise<string | undefined> {
  const res = await ecs.send(new RegisterTaskDefinitionCommand(input as RegisterTaskDefinitionCommandInput));
  return res.taskDefinition?.taskDefinitionArn;
}

/**
 * Undoes the duplicate revisions a registration whose answer was lost leaves behind: the SDK
 * retries a RegisterTaskDefinition that ECS had carried out, and each attempt adds a revision.
 * Walking down from the registered revision while the revisions equal `input` (canonical form),
 * it deregisters all but the lowest of them and returns that one. Another registrar cannot be
 * the cause: the failover lease lets one restore run at a time. One DescribeTaskDefinition when
 * there was no duplicate.
 */
export async function collapseDuplicateRevisions(
  ecs: ECSClient,
  input: RegisterTaskDefinitionInputRecord,
  registeredArn: string,
): Promise<string> {
  const revision = Number(/:(\d+)$/.exec(registeredArn)?.[1]);
  if (!Number.isInteger(revision)) return registeredArn;
  const base = registeredArn.slice(0, registeredArn.lastIndexOf(':'));
  let lowest = revision;
  while (lowest > 1) {
    const res = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: `${base}:${lowest - 1}` }),
    );
    const previous = res.taskDefinition;
    if (previous?.status !== 'ACTIVE' || !sameTaskDefinition(input, previous)) break;
    lowest -= 1;
  }
  for (let extra = lowest + 1; extra <= revision; extra += 1) {
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: `${base}:${extra}` }));
  }
  return `${base}:${lowest}`;
}

/** A registration that failed because other registrations of the family ran at once, or ECS throttled it: worth retrying. */
export function isConcurrentRegistration(error: unknown): boolean {
  const code = awsErrorCode(error);
  if (code === 'ThrottlingException' || code === 'TooManyRequestsException') return true;
  return code === 'ClientException' && /concurrent|too many|rate exceeded/i.test(awsErrorMessage(error));
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

/** A service to create or update: where it runs and its CreateService input for the DR region. */
export interface ServiceDeployment {
  readonly clusterName: string;
  readonly serviceName: string;
  readonly createServiceInput: DrCreateServiceInput;
  /**
   * Take the service over when it exists without this deployment's `lifeboat:deployment` tag
   * (the restore input's `adopt` names it): update it, then tag it as this deployment's.
   * @default false - such a service is refused (ServiceNotOwnedError) and left untouched
   */
  readonly adopt?: boolean;
}

/**
 * Creates the service, or updates it when it already exists (ECS and the emulator disagree on a
 * second CreateService, so existence is checked first). Unchanged when it already runs this task
 * definition with this desired count and was restored from this recovery point. Ownership is
 * checked again here, not only in the plan: a service that exists without this deployment's tag
 * (created in DR after the plan, or one the plan did not know) is updated only when
 * `service.adopt` says so, and otherwise refused with ServiceNotOwnedError before any change.
 * The service is tagged (`createServiceInput.tags`, which carry the deployment and the recovery
 * point) on create and after every update, which is what makes an adopted service Lifeboat's.
 */
export async function ensureService(
  ecs: ECSClient,
  service: ServiceDeployment,
  taskDefinitionArn: string,
  provenance: Provenance,
): Promise<'created' | 'updated' | 'unchanged'> {
  const input = {
    ...service.createServiceInput,
    taskDefinition: taskDefinitionArn,
  } as CreateServiceCommandInput & {
    tags?: { key: string; value: string }[];
  };
  const existing = await describeService(ecs, service.clusterName, service.serviceName);
  if (!existing) {
    try {
      await ecs.send(new CreateServiceCommand(input));
    } catch (error) {
      // A connection lost after ECS created the service (the SDK's retry then meets the service
      // it made): the service as ECS holds it decides, so the report says what DR runs.
      if (await tookEffect(ecs, service, taskDefinitionArn, provenance, input.desiredCount)) return 'created';
      throw error;
    }
    return 'created';
  }
  const tags = toTags(existing.tags);
  const owned = isOwnedBy(tags, provenance.deploymentId);
  if (!owned && service.adopt !== true) {
    throw new ServiceNotOwnedError(
      `${service.clusterName}/${service.serviceName}`,
      provenance.deploymentId,
      existing.taskDefinition,
      existing.desiredCount,
    );
  }
  const restoredFrom = tags.find((t) => t.key === RECOVERY_POINT_TAG)?.value;
  const sameCount = input.desiredCount === undefined || existing.desiredCount === input.desiredCount;
  if (
    owned &&
    existing.taskDefinition === taskDefinitionArn &&
    sameCount &&
    restoredFrom === provenance.recoveryPointId
  ) {
    return 'unchanged';
  }
  const update: Record<string, unknown> = {
    cluster: service.clusterName,
    service: service.serviceName,
    taskDefinition: taskDefinitionArn,
  };
  for (const field of UPDATABLE) {
    if (input[field] !== undefined) update[field] = input[field];
  }
  try {
    await ecs.send(new UpdateServiceCommand(update as unknown as UpdateServiceCommandInput));
  } catch (error) {
    const described = await describeService(ecs, service.clusterName, service.serviceName).catch(
      () => undefined,
    );
    const applied =
      described?.taskDefinition === taskDefinitionArn &&
      (input.desiredCount === undefined || described.desiredCount === input.desiredCount);
    if (!applied) throw error;
  }
  if (existing.serviceArn && input.tags && input.tags.length > 0) {
    await ecs.send(new TagResourceCommand({ resourceArn: existing.serviceArn, tags: input.tags }));
  }
  return 'updated';
}

/**
 * Whether a CreateService whose answer was lost took effect: the service exists, runs this task
 * definition and count, and carries this deployment's and recovery point's tags. A describe that
 * fails too counts as no.
 */
async function tookEffect(
  ecs: ECSClient,
  service: ServiceDeployment,
  taskDefinitionArn: string,
  provenance: Provenance,
  desiredCount: number | undefined,
): Promise<boolean> {
  const described = await describeService(ecs, service.clusterName, service.serviceName).catch(
    () => undefined,
  );
  if (!described) return false;
  const tags = toTags(described.tags);
  return (
    described.taskDefinition === taskDefinitionArn &&
    (desiredCount === undefined || described.desiredCount === desiredCount) &&
    isOwnedBy(tags, provenance.deploymentId) &&
    tags.some((t) => t.key === RECOVERY_POINT_TAG && t.value === provenance.recoveryPointId)
  );
}

/**
 * Steady as ECS means it: a single (PRIMARY) deployment whose rollout completed, or without a
 * rollout state, as many tasks running as desired.
 */
export function isSteady(service: Service): boolean {
  const deployments = service.deployments ?? [];
  if (service.status !== 'ACTIVE' || deployments.length !== 1) return false;
  const rollout = deployments[0]?.rolloutState;
  if (rollout !== undefined) return rollout === 'COMPLETED';
  return service.runningCount === service.desiredCount;
}

/** What a steady-state check reads of one service. */
export interface ServiceState {
  /** Steady as ECS means it (`isSteady`). */
  readonly steady: boolean;
  readonly runningCount?: number;
  readonly desiredCount?: number;
  /** The target groups its tasks register with (`loadBalancers`). */
  readonly targetGroupArns: string[];
}

/**
 * The state of the named services of `cluster`, by service name: DescribeServices for at most
 * DESCRIBE_SERVICES_MAX services a call, one call after the other.
 */
export async function describeServiceStates(
  ecs: ECSClient,
  cluster: string,
  names: readonly string[],
): Promise<Map<string, ServiceState>> {
  const states = new Map<string, ServiceState>();
  for (const batch of chunk(names, DESCRIBE_SERVICES_MAX)) {
    const res = await ecs.send(new DescribeServicesCommand({ cluster, services: batch }));
    for (const s of res.services ?? []) {
      if (!s.serviceName) continue;
      states.set(s.serviceName, {
        steady: isSteady(s),
        ...(typeof s.runningCount === 'number' ? { runningCount: s.runningCount } : {}),
        ...(typeof s.desiredCount === 'number' ? { desiredCount: s.desiredCount } : {}),
        targetGroupArns: (s.loadBalancers ?? []).flatMap((lb) =>
          lb.targetGroupArn ? [lb.targetGroupArn] : [],
        ),
      });
    }
  }
  return states;
}

/** Creates a cluster from its CreateCluster input (settings, configuration, capacity providers, tags). */
export async function createCluster(ecs: ECSClient, input: { readonly clusterName: string }): Promise<void> {
  await ecs.send(new CreateClusterCommand(input as CreateClusterCommandInput));
}

/** What a log group is created with besides its name and tags. */
export interface LogGroupSettings {
  /** PutRetentionPolicy after the creation. @default - never expire */
  readonly retentionInDays?: number;
  /** A KMS key ARN of the region (its key policy must let CloudWatch Logs use it). @default - no key */
  readonly kmsKeyId?: string;
  /**
   * The group's ARN: when it exists already and carries this restore's provenance tags (an
   * earlier attempt created it, then failed before its retention was set), the retention is
   * set on it. @default - an existing group is never touched
   */
  readonly logGroupArn?: string;
}

/**
 * Creates a log group with `tags` (the source group's and the restore's provenance), its KMS
 * key and retention: true when created, false when it exists already. An existing group is left
 * as it is (a group the tasks already write to is not Lifeboat's to retag), unless it carries
 * the very provenance tags of `tags` (this restore created it): its retention is then set again.
 * One CreateLogGroup, and one PutRetentionPolicy when a retention is given.
 */
export async function createLogGroup(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  tags: readonly Tag[],
  settings: LogGroupSettings = {},
): Promise<boolean> {
  const { retentionInDays, kmsKeyId, logGroupArn } = settings;
  let created = true;
  try {
    await logs.send(
      new CreateLogGroupCommand({
        logGroupName,
        ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
        ...(tags.length > 0 ? { tags: Object.fromEntries(tags.map((t) => [t.key, t.value])) } : {}),
      }),
    );
  } catch (error) {
    if (awsErrorCode(error) !== 'ResourceAlreadyExistsException') throw error;
    created = false;
  }
  if (retentionInDays === undefined) return created;
  if (!created) {
    if (logGroupArn === undefined) return false;
    const res = await logs.send(new ListTagsForResourceCommand({ resourceArn: logGroupArn }));
    const own = tags.filter((t) => t.key === DEPLOYMENT_TAG || t.key === RECOVERY_POINT_TAG);
    if (own.length === 0 || !own.every((t) => res.tags?.[t.key] === t.value)) return false;
  }
  await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays }));
  return created;
}
