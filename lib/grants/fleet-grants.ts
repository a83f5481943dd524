import type { RegionArns } from './arns';
import { addStatements, allow, type GrantTarget, inRegions } from './statements';

/**
 * The ECS fleet and what its services stand on (networks, log groups, EFS, roles), by intent.
 * List and describe calls without resource-level permissions are limited to their region.
 */

/**
 * Capture reads the fleet's configuration in `primary`: clusters, services, their task
 * definitions and running tasks, the digests of the ECR images they run, and their networks.
 */
export function grantFleetCapture(target: GrantTarget, primary: RegionArns): void {
  const inPrimary = inRegions(primary.region);
  addStatements(target, [
    allow('ListEcsClustersAndServices', ['ecs:ListClusters', 'ecs:ListServices'], ['*'], inPrimary),
    describeClustersAndServices('DescribeEcsClustersAndServices', primary),
    allow('DescribeEcsTaskDefinitions', ['ecs:DescribeTaskDefinition'], ['*'], inPrimary),
    allow('ListServiceTasks', ['ecs:ListTasks'], ['*'], {
      ...inPrimary,
      ArnLike: { 'ecs:cluster': primary.ecsClusters },
    }),
    allow('DescribeServiceTasks', ['ecs:DescribeTasks'], [primary.ecsTasks]),
    allow('ResolveEcrImageDigests', ['ecr:BatchGetImage', 'ecr:DescribeImages'], [primary.ecrRepositories]),
    allow('DescribeServiceNetworks', ['ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'], ['*'], inPrimary),
  ]);
}

/**
 * The restore plan reads what already stands in `dr`: clusters and services, networks, secrets
 * and parameters, log groups, EFS access points and availability zones.
 */
export function grantDrInventoryRead(target: GrantTarget, dr: RegionArns): void {
  addStatements(target, [
    allow(
      'ListDrInventory',
      [
        'ecs:ListClusters',
        'ecs:ListServices',
        'ec2:DescribeSubnets',
        'ec2:DescribeSecurityGroups',
        'secretsmanager:ListSecrets',
        'ssm:DescribeParameters',
        'logs:DescribeLogGroups',
        'elasticfilesystem:DescribeAccessPoints',
        'ec2:DescribeAvailabilityZones',
      ],
      ['*'],
      inRegions(dr.region),
    ),
    describeClustersAndServices('DescribeDrClustersAndServices', dr),
  ]);
}

/**
 * The restore prepares what the services share in `dr`: it creates their clusters and log groups
 * and fails their EFS replicas over (replication stopped, access points created).
 */
export function grantSharedResourcesPrepare(target: GrantTarget, dr: RegionArns): void {
  addStatements(target, [
    allow('CreateDrClusters', ['ecs:CreateCluster', 'ecs:TagResource'], [dr.ecsClusters]),
    allow('CreateDrLogGroups', ['logs:CreateLogGroup'], [dr.logGroups]),
    allow(
      'FailOverEfsReplicas',
      [
        'elasticfilesystem:DescribeReplicationConfigurations',
        'elasticfilesystem:DeleteReplicationConfiguration',
        'elasticfilesystem:DescribeAccessPoints',
        'elasticfilesystem:CreateAccessPoint',
        'elasticfilesystem:TagResource',
      ],
      [dr.efsFileSystems, dr.efsAccessPoints],
    ),
  ]);
}

/** The restore registers the task definitions (deregistering the duplicates a lost answer left) and creates or updates the services in `dr`. */
export function grantServiceDeploy(target: GrantTarget, dr: RegionArns): void {
  addStatements(target, [
    allow(
      'RegisterTaskDefinitions',
      ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition', 'ecs:DeregisterTaskDefinition'],
      ['*'],
      inRegions(dr.region),
    ),
    allow('TagTaskDefinitions', ['ecs:TagResource'], [dr.ecsTaskDefinitions, dr.ecsServices]),
    allow(
      'CreateOrUpdateDrServices',
      ['ecs:DescribeServices', 'ecs:CreateService', 'ecs:UpdateService'],
      [dr.ecsServices],
    ),
  ]);
}

/** The restore watches the services of `dr` reach a steady state. */
export function grantServiceDescribe(target: GrantTarget, dr: RegionArns): void {
  addStatements(target, [allow('DescribeDrServices', ['ecs:DescribeServices'], [dr.ecsServices])]);
}

/** The restore passes `roles` (task, execution and service roles) to ECS, and to nothing else. */
export function grantPassRoleToEcs(target: GrantTarget, roles: readonly string[]): void {
  addStatements(target, [
    allow('PassTaskAndServiceRoles', ['iam:PassRole'], roles, {
      StringEquals: { 'iam:PassedToService': ['ecs-tasks.amazonaws.com', 'ecs.amazonaws.com'] },
    }),
  ]);
}

function describeClustersAndServices(sid: string, arns: RegionArns) {
  return allow(sid, ['ecs:DescribeClusters', 'ecs:DescribeServices'], [arns.ecsClusters, arns.ecsServices]);
}
