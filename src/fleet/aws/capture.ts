import {
  type Cluster,
  type ClusterField,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  type Tag as EcsTag,
  type Failure,
  paginateListClusters,
  paginateListServices,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { awsErrorCode, awsErrorMessage, UnexpectedResponseError } from '../../aws/errors';
import type { ClusterRecord, Tag, TaskDefinitionRecord } from '../../catalog/manifest';
import type { LifeboatConfig } from '../../config/schema';
import { isSelected, matchesAny } from '../../config/selection';
import { chunk, mapConcurrent } from '../../kernel/concurrency';
import { DescribeShapeError } from '../errors';
import {
  clusterRecordFromDescribe,
  describeServiceForRestore,
  restorableTags,
  sanitiseTaskDefinition,
  type TagLike,
} from '../sanitise';

/** ListClusters / ListServices page size (the API maximum). */
const LIST_PAGE_SIZE = 100;
/** DescribeClusters accepts at most 100 clusters per call. */
export const DESCRIBE_CLUSTERS_MAX = 100;
/** DescribeServices accepts at most 10 services per call. */
export const DESCRIBE_SERVICES_MAX = 10;

const CLUSTER_INCLUDE: ClusterField[] = ['TAGS', 'SETTINGS', 'CONFIGURATIONS'];

export async function listClusterArns(ecs: ECSClient): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateListClusters({ client: ecs, pageSize: LIST_PAGE_SIZE }, {})) {
    arns.push(...(page.clusterArns ?? []));
  }
  return arns;
}

async function listServiceArns(ecs: ECSClient, cluster: string): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateListServices({ client: ecs, pageSize: LIST_PAGE_SIZE }, { cluster })) {
    arns.push(...(page.serviceArns ?? []));
  }
  return arns;
}

interface Described<T> {
  readonly items: T[];
  readonly failures: Failure[];
}

/** Describes at most 100 clusters with their tags, settings and configuration, in one call. */
async function describeClusterBatch(
  ecs: ECSClient,
  clusterArns: readonly string[],
): Promise<Described<Cluster>> {
  const res = await ecs.send(
    new DescribeClustersCommand({ clusters: [...clusterArns], include: CLUSTER_INCLUDE }),
  );
  return { items: res.clusters ?? [], failures: res.failures ?? [] };
}

/** Describes at most 10 services of one cluster, with their tags. */
async function describeServiceBatch(
  ecs: ECSClient,
  cluster: string,
  serviceArns: readonly string[],
): Promise<Described<Service>> {
  if (serviceArns.length > DESCRIBE_SERVICES_MAX) {
    throw new RangeError(
      `DescribeServices takes at most ${DESCRIBE_SERVICES_MAX} services (got ${serviceArns.length})`,
    );
  }
  const res = await ecs.send(
    new DescribeServicesCommand({ cluster, services: [...serviceArns], include: ['TAGS'] }),
  );
  return { items: res.services ?? [], failures: res.failures ?? [] };
}

interface DescribedTaskDefinition {
  readonly taskDefinition: TaskDefinition;
  readonly tags: Tag[];
}

/** Describes one task definition revision with its tags. */
async function describeTaskDefinition(ecs: ECSClient, arn: string): Promise<DescribedTaskDefinition> {
  const res = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
  if (!res.taskDefinition) {
    throw new UnexpectedResponseError('ECS.DescribeTaskDefinition', `no taskDefinition for ${arn}`);
  }
  return { taskDefinition: res.taskDefinition, tags: toTags(res.tags) };
}

/** ECS tags (value optional in the SDK) as manifest tags. */
export function toTags(tags: readonly EcsTag[] | undefined): Tag[] {
  return (tags ?? []).flatMap((t) => (t.key ? [{ key: t.key, value: t.value ?? '' }] : []));
}

/** Last path segment of an ECS ARN: the cluster or service name. */
export function nameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

// ---------------------------------------------------------------------------------------
// The capture's ECS side: describe, select and reduce to what the recovery point records

/** A cluster, service or task definition the capture could not read (the wing records it as an error). */
export interface FleetFailure {
  readonly resourceType: 'cluster' | 'service' | 'taskDefinition';
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

/** A cluster DescribeClusters returned (not INACTIVE), as the capture uses it. */
export interface CapturedCluster {
  /** Its name (from the ARN when ECS leaves it out). */
  readonly clusterName: string;
  /** Its ARN, when ECS gave one. */
  readonly clusterArn: string | undefined;
  readonly tags: readonly TagLike[];
  /**
   * Its manifest record, or why its description cannot be one (an error only when one of its
   * services is captured).
   */
  readonly record: ClusterRecord | DescribeShapeError;
}

/** A selected service DescribeServices returned (ACTIVE), as the capture uses it. */
export interface CapturedService {
  readonly clusterName: string;
  /** Its name (from the ARN when ECS leaves it out). */
  readonly serviceName: string;
  /** Its ARN; empty when ECS gave none. */
  readonly serviceArn: string;
  /** The task definition revision it runs; absent for a service run by task sets. */
  readonly taskDefinitionArn: string | undefined;
  /** Its deployment controller type, when ECS gave one (ECS otherwise). */
  readonly deploymentController: string | undefined;
  readonly tags: readonly TagLike[];
  /** Its CreateService input and notes, or why its description cannot be one. */
  readonly restore: ReturnType<typeof describeServiceForRestore> | DescribeShapeError;
}

/** One container's image in a captured task definition. */
export interface ContainerImage {
  /** The image as the container definition names it. */
  readonly uri: string;
  /** The container that runs it: `family:revision/container`. */
  readonly usedBy: string;
}

/** A task definition revision the capture described. */
export interface CapturedTaskDefinition {
  readonly record: TaskDefinitionRecord;
  /** Its containers' images, in container order (a container without one is left out). */
  readonly images: readonly ContainerImage[];
}

/** DescribeClusters (tags, settings, configuration) 100 at a time; skips deleted clusters. */
export async function describeClusterList(
  ecs: ECSClient,
  clusterArns: readonly string[],
  concurrency: number,
): Promise<{ clusters: CapturedCluster[]; failures: FleetFailure[] }> {
  const clusters: CapturedCluster[] = [];
  const failures: FleetFailure[] = [];
  await mapConcurrent(chunk(clusterArns, DESCRIBE_CLUSTERS_MAX), concurrency, async (batch) => {
    let described: Described<Cluster>;
    try {
      described = await describeClusterBatch(ecs, batch);
    } catch (error) {
      for (const arn of batch)
        failures.push(callFailure('cluster', nameFromArn(arn), error, `describe cluster ${arn}`));
      return;
    }
    clusters.push(...described.items.filter((c) => c.status !== 'INACTIVE').map(capturedCluster));
    for (const f of described.failures) {
      // MISSING: deleted since it was listed, so there is nothing to protect.
      if (f.reason === 'MISSING') continue;
      const name = nameFromArn(f.arn ?? '');
      failures.push({
        resourceType: 'cluster',
        resourceId: name,
        code: f.reason ?? 'Failure',
        message: f.detail ?? `DescribeClusters failed for ${name}`,
      });
    }
  });
  return { clusters, failures };
}

/**
 * Lists each cluster's services, drops the names the include/exclude globs rule out before
 * describing anything, describes the rest ten at a time with their tags and applies the
 * full selection (tags on the service or its cluster).
 */
export async function selectServices(
  ecs: ECSClient,
  clusters: readonly CapturedCluster[],
  selection: LifeboatConfig['selection'],
  concurrency: number,
): Promise<{ selected: CapturedService[]; servicesListed: number; failures: FleetFailure[] }> {
  const { include, exclude } = selection;
  const failures: FleetFailure[] = [];
  let servicesListed = 0;
  const batches: { cluster: CapturedCluster; clusterName: string; arns: string[] }[] = [];
  await mapConcurrent(clusters, concurrency, async (cluster) => {
    const { clusterName } = cluster;
    let arns: string[];
    try {
      arns = await listServiceArns(ecs, cluster.clusterArn ?? clusterName);
    } catch (error) {
      failures.push(
        callFailure('cluster', clusterName, error, `list the services of cluster ${clusterName}`),
      );
      return;
    }
    servicesListed += arns.length;
    const candidates = arns.filter((arn) => {
      const key = `${clusterName}/${nameFromArn(arn)}`;
      return matchesAny(key, include) && !matchesAny(key, exclude);
    });
    for (const part of chunk(candidates, DESCRIBE_SERVICES_MAX))
      batches.push({ cluster, clusterName, arns: part });
  });

  const selected: CapturedService[] = [];
  await mapConcurrent(batches, concurrency, async ({ cluster, clusterName, arns }) => {
    let described: Described<Service>;
    try {
      described = await describeServiceBatch(ecs, cluster.clusterArn ?? clusterName, arns);
    } catch (error) {
      for (const arn of arns) {
        const key = `${clusterName}/${nameFromArn(arn)}`;
        failures.push(callFailure('service', key, error, `describe service ${key}`));
      }
      return;
    }
    for (const f of described.failures) {
      if (f.reason === 'MISSING') continue;
      const key = `${clusterName}/${nameFromArn(f.arn ?? '')}`;
      failures.push({
        resourceType: 'service',
        resourceId: key,
        code: f.reason ?? 'Failure',
        message: f.detail ?? `DescribeServices failed for ${key}`,
      });
    }
    for (const service of described.items) {
      // DRAINING and INACTIVE services are being deleted.
      if (service.status !== 'ACTIVE') continue;
      const candidate = {
        clusterName,
        serviceName: service.serviceName ?? nameFromArn(service.serviceArn ?? ''),
        tags: service.tags ?? [],
        clusterTags: cluster.tags,
      };
      if (isSelected(candidate, selection)) selected.push(capturedService(clusterName, service));
    }
  });
  return { selected, servicesListed, failures };
}

/**
 * Describes each distinct task definition revision the services run, once. INACTIVE
 * (deregistered) revisions still describe in full and are captured: a service may keep
 * running one, and the restore registers a new revision anyway. Deleted ones are failures.
 */
export async function captureTaskDefinitions(
  ecs: ECSClient,
  selected: readonly CapturedService[],
  concurrency: number,
): Promise<{ taskDefinitions: Map<string, CapturedTaskDefinition>; failures: FleetFailure[] }> {
  const arns = [...new Set(selected.flatMap((service) => service.taskDefinitionArn ?? []))].sort();
  const captured = new Map<string, CapturedTaskDefinition>();
  const failures: FleetFailure[] = [];
  await mapConcurrent(arns, concurrency, async (arn) => {
    let described: DescribedTaskDefinition;
    try {
      described = await describeTaskDefinition(ecs, arn);
    } catch (error) {
      failures.push(
        callFailure(
          'taskDefinition',
          arn,
          error,
          `describe task definition ${arn} (deleted, or not readable)`,
        ),
      );
      return;
    }
    const { taskDefinition, tags } = described;
    if (taskDefinition.status === 'DELETE_IN_PROGRESS') {
      failures.push({
        resourceType: 'taskDefinition',
        resourceId: arn,
        code: 'TaskDefinitionDeleteInProgress',
        message: `Task definition ${arn} is being deleted. Update the services that use it to a current revision, then run a backup.`,
      });
      return;
    }
    try {
      captured.set(arn, {
        record: {
          sourceArn: arn,
          family: taskDefinition.family ?? '',
          revision: taskDefinition.revision ?? 0,
          registerInput: sanitiseTaskDefinition(taskDefinition as Record<string, unknown>, tags),
          tags: restorableTags(tags),
        },
        images: containerImages(taskDefinition),
      });
    } catch (error) {
      if (!(error instanceof DescribeShapeError)) throw error;
      failures.push({
        resourceType: 'taskDefinition',
        resourceId: arn,
        code: error.name,
        message: error.message,
      });
    }
  });
  return { taskDefinitions: captured, failures };
}

function capturedCluster(cluster: Cluster): CapturedCluster {
  return {
    clusterName: cluster.clusterName ?? nameFromArn(cluster.clusterArn ?? ''),
    clusterArn: cluster.clusterArn,
    tags: cluster.tags ?? [],
    record: orShapeError(() => clusterRecordFromDescribe(cluster as Record<string, unknown>)),
  };
}

function capturedService(clusterName: string, service: Service): CapturedService {
  return {
    clusterName,
    serviceName: service.serviceName ?? nameFromArn(service.serviceArn ?? ''),
    serviceArn: service.serviceArn ?? '',
    taskDefinitionArn: service.taskDefinition,
    deploymentController: service.deploymentController?.type,
    tags: service.tags ?? [],
    restore: orShapeError(() => describeServiceForRestore(service as Record<string, unknown>, service.tags)),
  };
}

function containerImages(taskDefinition: TaskDefinition): ContainerImage[] {
  return (taskDefinition.containerDefinitions ?? []).flatMap((container) =>
    container.image
      ? [
          {
            uri: container.image,
            usedBy: `${taskDefinition.family}:${taskDefinition.revision}/${container.name}`,
          },
        ]
      : [],
  );
}

/** `convert()`, or the DescribeShapeError it throws (any other error is thrown). */
function orShapeError<T>(convert: () => T): T | DescribeShapeError {
  try {
    return convert();
  } catch (error) {
    if (!(error instanceof DescribeShapeError)) throw error;
    return error;
  }
}

/** A failed AWS call (after the SDK's retries) against one resource. */
function callFailure(
  resourceType: FleetFailure['resourceType'],
  resourceId: string,
  error: unknown,
  what: string,
): FleetFailure {
  return {
    resourceType,
    resourceId,
    code: awsErrorCode(error),
    message: `Could not ${what}: ${awsErrorMessage(error)}`,
  };
}
