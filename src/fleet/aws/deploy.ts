import { type CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateClusterCommand,
  type CreateClusterCommandInput,
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
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import type { RegisterTaskDefinitionInputRecord } from '../../catalog/manifest';
import { chunk } from '../../kernel/concurrency';
import { RECOVERY_POINT_TAG } from '../inventory';
import type { DrCreateServiceInput } from '../retarget/service';
import { sanitiseTaskDefinition } from '../sanitise';
import { DESCRIBE_SERVICES_MAX } from './capture';

/**
 * Deploying the fleet in the DR region, each call safe to repeat: task definition revisions,
 * services, clusters, the log groups the tasks write to, and what a steady-state check reads.
 */

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

/**
 * The family's latest ACTIVE revision when it already equals `input` (tags aside), so a re-run
 * registers no new revision; undefined when there is none (a family ECS does not know included).
 */
export async function reusableTaskDefinition(
  ecs: ECSClient,
  input: RegisterTaskDefinitionInputRecord,
): Promise<string | undefined> {
  const { tags: _tags, ...comparable } = input as RegisterTaskDefinitionInputRecord & { tags?: unknown };
  try {
    const res = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: input.family }));
    const latest = res.taskDefinition;
    if (latest?.taskDefinitionArn && latest.status === 'ACTIVE') {
      const described = sanitiseTaskDefinition(latest as unknown as Record<string, unknown>);
      if (coveredBy(comparable, described)) return latest.taskDefinitionArn;
    }
  } catch (error) {
    if (awsErrorCode(error) !== 'ClientException') throw error;
  }
  return undefined;
}

/** Registers a revision (one RegisterTaskDefinition call): its ARN, undefined when ECS answered without one. */
export async function registerTaskDefinition(
  ecs: ECSClient,
  input: RegisterTaskDefinitionInputRecord,
): Promise<string | undefined> {
  const res = await ecs.send(new RegisterTaskDefinitionCommand(input as RegisterTaskDefinitionCommandInput));
  return res.taskDefinition?.taskDefinitionArn;
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
}

/**
 * Creates the service, or updates it when it already exists (ECS and the emulator disagree on a
 * second CreateService, so existence is checked first). Unchanged when it already runs this task
 * definition with this desired count and was restored from this recovery point.
 */
export async function ensureService(
  ecs: ECSClient,
  service: ServiceDeployment,
  taskDefinitionArn: string,
  recoveryPointId: string,
): Promise<'created' | 'updated' | 'unchanged'> {
  const input = {
    ...service.createServiceInput,
    taskDefinition: taskDefinitionArn,
  } as CreateServiceCommandInput & {
    tags?: { key: string; value: string }[];
  };
  const existing = await describeService(ecs, service.clusterName, service.serviceName);
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
    cluster: service.clusterName,
    service: service.serviceName,
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
      });
    }
  }
  return states;
}

/** Creates a cluster from its CreateCluster input (settings, configuration, capacity providers, tags). */
export async function createCluster(ecs: ECSClient, input: { readonly clusterName: string }): Promise<void> {
  await ecs.send(new CreateClusterCommand(input as CreateClusterCommandInput));
}

/** Creates a log group: true when created, false when it exists already. */
export async function createLogGroup(logs: CloudWatchLogsClient, logGroupName: string): Promise<boolean> {
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName }));
    return true;
  } catch (error) {
    if (awsErrorCode(error) === 'ResourceAlreadyExistsException') return false;
    throw error;
  }
}
