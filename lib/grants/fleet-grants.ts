import type { RegionArns } from './arns';
import { addStatements, allow, type GrantTarget, inRegions } from './statements';

/**
 * The ECS fleet and what its services stand on (networks, log groups, EFS, roles), by intent.
 * List and describe calls without resource-level permissions are limited to their region.
 */

/**
 * Capture reads the fleet's configuration in `primary`: clusters, services, their task
 * definitions and running tasks, the digests of the ECR images they run, their networks and the
 * log groups they write to.
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
    // The log groups the task definitions write to: retention and KMS key, then their tags.
    allow(
      'DescribeServiceLogGroups',
      ['logs:DescribeLogGroups', 'logs:ListTagsForResource'],
      [primary.logGroups],
    ),
    allow(
      'DescribeServiceDiscovery',
      [
        'servicediscovery:GetService',
        'servicediscovery:GetNamespace',
        'servicediscovery:ListTagsForResource',
      ],
      [...primary.cloudMap],
    ),
    allow(
      'DescribeServiceLoadBalancing',
      [
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetGroupAttributes',
        'elasticloadbalancing:DescribeTags',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
      ],
      ['*'],
      inPrimary,
    ),
    // The services' scalable targets, scaling policies and scheduled actions (no resource-level
    // permissions), and the alarms that trigger their step policies.
    allow(
      'DescribeServiceScaling',
      [
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:DescribeScalingPolicies',
        'application-autoscaling:DescribeScheduledActions',
      ],
      ['*'],
      inPrimary,
    ),
    allow('DescribeStepScalingAlarms', ['cloudwatch:DescribeAlarms'], [primary.alarms]),
  ]);
}

/**
 * Capture makes the secrets the task definitions reference exist in `dr` (`backup.replicateSecrets`):
 * their replication status, then a replica, which Secrets Manager encrypts by decrypting with the
 * primary key and encrypting with the DR key (only through Secrets Manager: `kms:ViaService`).
 * Key ARNs are unknown at synth (customer keys, mapped or multi-Region), hence every key of the
 * account in each region, narrowed by the service condition.
 */
export function grantSecretReplication(target: GrantTarget, primary: RegionArns, dr: RegionArns): void {
  addStatements(target, [
    allow(
      'ReplicateReferencedSecrets',
      ['secretsmanager:DescribeSecret', 'secretsmanager:ReplicateSecretToRegions'],
      [primary.secrets],
    ),
    allow('DecryptPrimarySecretsForReplica', ['kms:Decrypt'], [primary.keys], {
      StringEquals: { 'kms:ViaService': `secretsmanager.${primary.region}.amazonaws.com` },
    }),
    allow('EncryptSecretReplicas', ['kms:Encrypt', 'kms:GenerateDataKey'], [dr.keys], {
      StringEquals: { 'kms:ViaService': `secretsmanager.${dr.region}.amazonaws.com` },
    }),
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
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeTags',
        'servicediscovery:ListNamespaces',
        'servicediscovery:ListServices',
      ],
      ['*'],
      inRegions(dr.region),
    ),
    allow('DescribeDrCloudMapServices', ['servicediscovery:GetService'], [...dr.cloudMap]),
    describeClustersAndServices('DescribeDrClustersAndServices', dr),
  ]);
}

/**
 * The restore prepares what the services share in `dr`: it creates their clusters and log groups,
 * fails their EFS replicas over (replication stopped, access points created) and, with
 * `restore.createTargetGroups`, creates the target groups the DR load balancers lack, with the
 * listener rules that forward to them.
 */
export function grantSharedResourcesPrepare(target: GrantTarget, dr: RegionArns): void {
  addStatements(target, [
    allow(
      'CreateDrTargetGroups',
      [
        'elasticloadbalancing:CreateTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes',
        'elasticloadbalancing:AddTags',
        'elasticloadbalancing:CreateRule',
      ],
      [dr.targetGroups, ...dr.listeners],
    ),
    allow('DescribeDrListenerRules', ['elasticloadbalancing:DescribeRules'], ['*'], inRegions(dr.region)),
    allow(
      'CreateDrCloudMapServices',
      ['servicediscovery:CreateService', 'servicediscovery:GetService', 'servicediscovery:TagResource'],
      [...dr.cloudMap],
    ),
    allow('ListDrCloudMapServices', ['servicediscovery:ListServices'], ['*'], inRegions(dr.region)),
    allow('CreateDrClusters', ['ecs:CreateCluster', 'ecs:TagResource'], [dr.ecsClusters]),
    // Created with the primary group's tags (TagResource), retention and KMS key; a group an
    // earlier attempt created is recognised by its tags before its retention is set again.
    allow(
      'CreateDrLogGroups',
      ['logs:CreateLogGroup', 'logs:TagResource', 'logs:PutRetentionPolicy', 'logs:ListTagsForResource'],
      [dr.logGroups],
    ),
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
      [
        'ecs:RegisterTaskDefinition',
        'ecs:DescribeTaskDefinition',
        'ecs:DeregisterTaskDefinition',
        'ecs:ListTaskDefinitions',
      ],
      ['*'],
      inRegions(dr.region),
    ),
    allow('TagTaskDefinitions', ['ecs:TagResource'], [dr.ecsTaskDefinitions, dr.ecsServices]),
    allow(
      'CreateOrUpdateDrServices',
      ['ecs:DescribeServices', 'ecs:CreateService', 'ecs:UpdateService'],
      [dr.ecsServices],
    ),
    ...scalingRestoreStatements(dr),
  ]);
}

/**
 * The services' Application Auto Scaling in `dr`: scalable targets (tagged), policies, scheduled
 * actions, the alarms of step policies, and what Application Auto Scaling does with the caller's
 * permissions: its ECS service-linked role on first use, and the alarms of target tracking
 * policies (named `TargetTracking-…`).
 */
function scalingRestoreStatements(dr: RegionArns) {
  return [
    allow(
      'RestoreServiceScaling',
      [
        'application-autoscaling:RegisterScalableTarget',
        'application-autoscaling:PutScalingPolicy',
        'application-autoscaling:PutScheduledAction',
        'application-autoscaling:TagResource',
      ],
      [dr.scalableTargets],
    ),
    allow('RestoreStepScalingAlarms', ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'], [dr.alarms]),
    allow(
      'ManageTargetTrackingAlarms',
      ['cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
      [dr.targetTrackingAlarms],
    ),
    allow(
      'CreateEcsAutoScalingServiceLinkedRole',
      ['iam:CreateServiceLinkedRole'],
      [ecsAutoScalingRole(dr)],
      {
        StringEquals: { 'iam:AWSServiceName': 'ecs.application-autoscaling.amazonaws.com' },
      },
    ),
  ];
}

/** The service-linked role Application Auto Scaling uses for ECS services (IAM ARNs have no region). */
function ecsAutoScalingRole(dr: RegionArns): string {
  return dr.roles.replace(
    /role\/\*$/,
    'role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
  );
}

/**
 * The restore watches the services of `dr` reach a steady state, and the targets of their target
 * groups become healthy (DescribeTargetHealth has no resource-level permissions).
 */
export function grantServiceDescribe(target: GrantTarget, dr: RegionArns): void {
  addStatements(target, [
    allow('DescribeDrServices', ['ecs:DescribeServices'], [dr.ecsServices]),
    allow(
      'DescribeDrTargetHealth',
      ['elasticloadbalancing:DescribeTargetHealth'],
      ['*'],
      inRegions(dr.region),
    ),
  ]);
}

/** The customer managed policies of the account (IAM is global), beside `arns.roles`. */
export function managedPoliciesArn(arns: RegionArns): string {
  return arns.roles.replace(/:role\/\*$/, ':policy/*');
}

/**
 * The restore plan reads the policies of the task and execution roles the recovery point names
 * (IAM region lint): inline ones, and the customer managed ones attached (read-only).
 */
export function grantRolePolicyRead(target: GrantTarget, arns: RegionArns): void {
  addStatements(target, [
    allow(
      'ReadTaskRolePolicies',
      ['iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies'],
      [arns.roles],
    ),
    allow(
      'ReadTaskRoleManagedPolicies',
      ['iam:GetPolicy', 'iam:GetPolicyVersion'],
      [managedPoliciesArn(arns)],
    ),
  ]);
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
