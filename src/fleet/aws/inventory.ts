import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeAvailabilityZonesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type Tag as Ec2Tag,
} from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, DescribeServicesCommand, ListServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeAccessPointsCommand } from '@aws-sdk/client-efs';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../../aws/clients';
import { awsErrorCode } from '../../aws/errors';
import type { Tag } from '../../catalog/manifest';
import { partitionOf } from '../../kernel/arns';
import { chunk, mapConcurrent } from '../../kernel/concurrency';
import { allPages } from '../../kernel/pages';
import { type DrInventory, drInventorySchema, SOURCE_ID_TAG } from '../inventory';
import {
  DESCRIBE_CLUSTERS_MAX,
  DESCRIBE_SERVICES_MAX,
  listClusterArns,
  nameFromArn,
  toTags,
} from './capture';
import { readDrCloudMap } from './cloud-map';
import { readDrLoadBalancing } from './load-balancing';

export interface ReadDrInventoryOptions {
  /** Account of the DR resources (builds SSM parameter ARNs when the API leaves them out). */
  readonly account: string;
  /**
   * Read services only in these clusters (the clusters of the selected services); other clusters
   * are still listed as existing.
   * @default - services of every ACTIVE cluster
   */
  readonly serviceClusters?: readonly string[];
  /**
   * Read the region's availability zones (one DescribeAvailabilityZones call): the planner checks
   * the zones it creates standalone EBS volumes in.
   * @default false
   */
  readonly availabilityZones?: boolean;
  /**
   * Read the region's target groups, load balancers and listeners (Elastic Load Balancing): a
   * selected service has a load balancer. Required then: a failure throws.
   * @default false
   */
  readonly loadBalancing?: boolean;
  /**
   * Read the region's Cloud Map namespaces, and its Cloud Map services of these names: a selected
   * service registers in Cloud Map or uses Service Connect by namespace ARN. Required then.
   * @default - not read
   */
  readonly cloudMapServiceNames?: readonly string[];
}

/** Something the inventory could not read; the planner treats the list as "not checked". */
export interface InventoryGap {
  readonly list: 'secretArns' | 'parameterArns' | 'logGroups' | 'efsAccessPoints' | 'availabilityZones';
  readonly code: string;
}

export interface DrInventoryResult {
  readonly inventory: DrInventory;
  readonly gaps: InventoryGap[];
}

function ec2Tags(tags: readonly Ec2Tag[] | undefined): Tag[] {
  return (tags ?? []).flatMap((t) => (t.Key !== undefined ? [{ key: t.Key, value: t.Value ?? '' }] : []));
}

async function readClusters(clients: AwsClients, region: string): Promise<string[]> {
  const ecs = clients.ecs(region);
  const arns = await listClusterArns(ecs);
  const names: string[] = [];
  for (const batch of chunk(arns, DESCRIBE_CLUSTERS_MAX)) {
    const res = await ecs.send(new DescribeClustersCommand({ clusters: batch }));
    for (const c of res.clusters ?? []) {
      if (c.status === 'ACTIVE' && c.clusterName) names.push(c.clusterName);
    }
  }
  return names.sort();
}

async function readServices(
  clients: AwsClients,
  region: string,
  clusters: readonly string[],
): Promise<DrInventory['services']> {
  const ecs = clients.ecs(region);
  const services: DrInventory['services'] = {};
  await mapConcurrent(clusters, 4, async (cluster) => {
    const arns = await allPages(async (nextToken) => {
      const res = await ecs.send(new ListServicesCommand({ cluster, nextToken, maxResults: 100 }));
      return { items: res.serviceArns ?? [], next: res.nextToken };
    });
    for (const batch of chunk(arns, DESCRIBE_SERVICES_MAX)) {
      const res = await ecs.send(
        new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }),
      );
      for (const s of res.services ?? []) {
        const name = s.serviceName ?? (s.serviceArn ? nameFromArn(s.serviceArn) : undefined);
        if (!name) continue;
        services[`${cluster}/${name}`] = {
          status: s.status ?? 'UNKNOWN',
          ...(s.taskDefinition ? { taskDefinitionArn: s.taskDefinition } : {}),
          ...(typeof s.desiredCount === 'number' ? { desiredCount: s.desiredCount } : {}),
          tags: toTags(s.tags),
        };
      }
    }
  });
  return services;
}

async function optional<T>(
  list: InventoryGap['list'],
  gaps: InventoryGap[],
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    gaps.push({ list, code: awsErrorCode(error) });
    return undefined;
  }
}

/**
 * Reads what exists in the DR region for the restore planner: ACTIVE clusters, the services of
 * `serviceClusters` (with tags), every subnet and security group (with tags), secrets, SSM
 * parameters, log groups, EFS access points and (when asked) availability zones. Clusters,
 * services and the network are
 * required (an error throws); the other lists are left out when they cannot be read, and the
 * gap is returned, so the planner reports those checks as not done.
 *
 * With `loadBalancing`, also every target group (with its `lifeboat:source-id` tag), load
 * balancer and listener, for the services that have a load balancer.
 */
export async function readDrInventory(
  clients: AwsClients,
  region: string,
  opts: ReadDrInventoryOptions,
): Promise<DrInventoryResult> {
  const gaps: InventoryGap[] = [];
  const ec2 = clients.ec2(region);
  const [
    clusters,
    subnets,
    securityGroups,
    secretArns,
    parameterArns,
    logGroups,
    efsAccessPoints,
    availabilityZones,
  ] = await Promise.all([
    readClusters(clients, region),
    allPages(async (NextToken) => {
      const res = await ec2.send(new DescribeSubnetsCommand({ NextToken }));
      return {
        items: (res.Subnets ?? []).flatMap((s) =>
          s.SubnetId
            ? [
                {
                  subnetId: s.SubnetId,
                  ...(s.VpcId ? { vpcId: s.VpcId } : {}),
                  ...(s.AvailabilityZone ? { availabilityZone: s.AvailabilityZone } : {}),
                  tags: ec2Tags(s.Tags),
                },
              ]
            : [],
        ),
        next: res.NextToken,
      };
    }),
    allPages(async (NextToken) => {
      const res = await ec2.send(new DescribeSecurityGroupsCommand({ NextToken }));
      return {
        items: (res.SecurityGroups ?? []).flatMap((g) =>
          g.GroupId
            ? [
                {
                  groupId: g.GroupId,
                  ...(g.GroupName ? { groupName: g.GroupName } : {}),
                  ...(g.VpcId ? { vpcId: g.VpcId } : {}),
                  tags: ec2Tags(g.Tags),
                },
              ]
            : [],
        ),
        next: res.NextToken,
      };
    }),
    optional('secretArns', gaps, () =>
      allPages(async (NextToken) => {
        const res = await clients
          .secrets(region)
          .send(new ListSecretsCommand({ NextToken, MaxResults: 100 }));
        return {
          items: (res.SecretList ?? []).flatMap((s) => (s.ARN ? [s.ARN] : [])),
          next: res.NextToken,
        };
      }),
    ),
    optional('parameterArns', gaps, () =>
      allPages(async (NextToken) => {
        const res = await clients
          .ssm(region)
          .send(new DescribeParametersCommand({ NextToken, MaxResults: 50 }));
        return {
          items: (res.Parameters ?? []).flatMap((p) =>
            p.ARN ? [p.ARN] : p.Name ? [parameterArn(region, opts.account, p.Name)] : [],
          ),
          next: res.NextToken,
        };
      }),
    ),
    optional('logGroups', gaps, () =>
      allPages(async (nextToken) => {
        const res = await clients.logs(region).send(new DescribeLogGroupsCommand({ nextToken }));
        return {
          items: (res.logGroups ?? []).flatMap((g) =>
            g.logGroupName ? [{ name: g.logGroupName, retentionInDays: g.retentionInDays }] : [],
          ),
          next: res.nextToken,
        };
      }),
    ),
    optional('efsAccessPoints', gaps, () =>
      allPages(async (NextToken) => {
        const res = await clients.efs(region).send(new DescribeAccessPointsCommand({ NextToken }));
        return {
          items: (res.AccessPoints ?? []).flatMap((ap) => {
            if (!ap.AccessPointId || !ap.FileSystemId) return [];
            const source = ap.Tags?.find((t) => t.Key === SOURCE_ID_TAG)?.Value;
            return [
              {
                accessPointId: ap.AccessPointId,
                fileSystemId: ap.FileSystemId,
                ...(source ? { sourceAccessPointId: source } : {}),
              },
            ];
          }),
          next: res.NextToken,
        };
      }),
    ),
    opts.availabilityZones
      ? optional('availabilityZones', gaps, async () => {
          const res = await ec2.send(new DescribeAvailabilityZonesCommand({}));
          return (res.AvailabilityZones ?? []).flatMap((z) => (z.ZoneName ? [z.ZoneName] : [])).sort();
        })
      : Promise.resolve(undefined),
  ]);
  const serviceClusters = (opts.serviceClusters ?? clusters).filter((c) => clusters.includes(c));
  const [services, loadBalancing, cloudMap] = await Promise.all([
    readServices(clients, region, [...new Set(serviceClusters)]),
    opts.loadBalancing ? readDrLoadBalancing(clients.elbv2(region)) : undefined,
    opts.cloudMapServiceNames
      ? readDrCloudMap(clients.servicediscovery(region), opts.cloudMapServiceNames)
      : undefined,
  ]);
  const inventory = drInventorySchema.parse({
    clusters,
    services,
    subnets,
    securityGroups,
    ...(loadBalancing ?? {}),
    ...(cloudMap ?? {}),
    ...(secretArns ? { secretArns } : {}),
    ...(parameterArns ? { parameterArns } : {}),
    ...(logGroups
      ? {
          logGroups: logGroups.map((g) => g.name),
          logGroupRetention: Object.fromEntries(
            logGroups.flatMap((g) => (g.retentionInDays !== undefined ? [[g.name, g.retentionInDays]] : [])),
          ),
        }
      : {}),
    ...(efsAccessPoints ? { efsAccessPoints: efsAccessPoints } : { efsAccessPoints: [] }),
    ...(availabilityZones ? { availabilityZones } : {}),
  });
  return { inventory, gaps };
}

function parameterArn(region: string, account: string, name: string): string {
  const path = name.startsWith('/') ? name.slice(1) : name;
  return `arn:${partitionOf(region)}:ssm:${region}:${account}:parameter/${path}`;
}
