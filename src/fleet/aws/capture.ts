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
import { UnexpectedResponseError } from '../../aws/errors';
import type { Tag } from '../../catalog/manifest';
import { chunk } from '../../kernel/concurrency';

/** ListClusters / ListServices page size (the API maximum). */
export const LIST_PAGE_SIZE = 100;
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

export async function listServiceArns(ecs: ECSClient, cluster: string): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateListServices({ client: ecs, pageSize: LIST_PAGE_SIZE }, { cluster })) {
    arns.push(...(page.serviceArns ?? []));
  }
  return arns;
}

export interface Described<T> {
  readonly items: T[];
  readonly failures: Failure[];
}

/** Describes clusters with their tags, settings and configuration, 100 per call. */
export async function describeClusters(
  ecs: ECSClient,
  clusterArns: readonly string[],
): Promise<Described<Cluster>> {
  const items: Cluster[] = [];
  const failures: Failure[] = [];
  for (const batch of chunk(clusterArns, DESCRIBE_CLUSTERS_MAX)) {
    const res = await ecs.send(new DescribeClustersCommand({ clusters: batch, include: CLUSTER_INCLUDE }));
    items.push(...(res.clusters ?? []));
    failures.push(...(res.failures ?? []));
  }
  return { items, failures };
}

/** Describes at most 10 services of one cluster, with their tags. */
export async function describeServiceBatch(
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

export interface DescribedTaskDefinition {
  readonly taskDefinition: TaskDefinition;
  readonly tags: Tag[];
}

/** Describes one task definition revision with its tags. */
export async function describeTaskDefinition(ecs: ECSClient, arn: string): Promise<DescribedTaskDefinition> {
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
