import { partitionOf } from '../names';

/**
 * What the grants address in one region of the account, as literal wildcard ARNs: the
 * workflows act on resources that are only known at run time, and the other region's stack is
 * never referenced. Each `*` is acknowledged, with its reason, by the workflow that grants it.
 */
export interface RegionArns {
  /** The region (`aws:RequestedRegion` of the statements without resource-level permissions). */
  readonly region: string;
  /** Every ECS cluster. */
  readonly ecsClusters: string;
  /** Every ECS service. */
  readonly ecsServices: string;
  /** Every ECS task. */
  readonly ecsTasks: string;
  /** Every revision of every ECS task definition family. */
  readonly ecsTaskDefinitions: string;
  /** Every ECR repository of the account's registry in the region. */
  readonly ecrRepositories: string;
  /** Every CloudWatch Logs log group. */
  readonly logGroups: string;
  /** Every EFS file system. */
  readonly efsFileSystems: string;
  /** Every EFS access point. */
  readonly efsAccessPoints: string;
  /** Every EBS volume. */
  readonly volumes: string;
  /** EC2 snapshot ARNs carry no account: `arn:<partition>:ec2:<region>::snapshot/*`. */
  readonly snapshots: string;
  /** Every KMS key (addressed by alias through `kms:ResourceAliases`). */
  readonly keys: string;
  /** Every Secrets Manager secret. */
  readonly secrets: string;
  /** Every IAM role of the account (IAM is global: no region). */
  readonly roles: string;
  /** Every Elastic Load Balancing target group. */
  readonly targetGroups: string;
  /** Every listener and listener rule of every Application / Network Load Balancer. */
  readonly listeners: readonly string[];
  /** Every Cloud Map namespace and service. */
  readonly cloudMap: readonly string[];
  /** Every Application Auto Scaling scalable target. */
  readonly scalableTargets: string;
  /** Every CloudWatch alarm. */
  readonly alarms: string;
  /** The alarms Application Auto Scaling makes for target tracking policies (`TargetTracking-…`). */
  readonly targetTrackingAlarms: string;
}

/** The wildcard ARNs of `account` in `region`, in the region's partition. */
export function regionArns(account: string, region: string): RegionArns {
  const p = partitionOf(region);
  return {
    region,
    ecsClusters: `arn:${p}:ecs:${region}:${account}:cluster/*`,
    ecsServices: `arn:${p}:ecs:${region}:${account}:service/*`,
    ecsTasks: `arn:${p}:ecs:${region}:${account}:task/*`,
    ecsTaskDefinitions: `arn:${p}:ecs:${region}:${account}:task-definition/*`,
    ecrRepositories: `arn:${p}:ecr:${region}:${account}:repository/*`,
    logGroups: `arn:${p}:logs:${region}:${account}:log-group:*`,
    efsFileSystems: `arn:${p}:elasticfilesystem:${region}:${account}:file-system/*`,
    efsAccessPoints: `arn:${p}:elasticfilesystem:${region}:${account}:access-point/*`,
    volumes: `arn:${p}:ec2:${region}:${account}:volume/*`,
    snapshots: `arn:${p}:ec2:${region}::snapshot/*`,
    keys: `arn:${p}:kms:${region}:${account}:key/*`,
    secrets: `arn:${p}:secretsmanager:${region}:${account}:secret:*`,
    roles: `arn:${p}:iam::${account}:role/*`,
    targetGroups: `arn:${p}:elasticloadbalancing:${region}:${account}:targetgroup/*`,
    listeners: [
      `arn:${p}:elasticloadbalancing:${region}:${account}:listener/*`,
      `arn:${p}:elasticloadbalancing:${region}:${account}:listener-rule/*`,
    ],
    cloudMap: [
      `arn:${p}:servicediscovery:${region}:${account}:namespace/*`,
      `arn:${p}:servicediscovery:${region}:${account}:service/*`,
    ],
    scalableTargets: `arn:${p}:application-autoscaling:${region}:${account}:scalable-target/*`,
    alarms: `arn:${p}:cloudwatch:${region}:${account}:alarm:*`,
    targetTrackingAlarms: `arn:${p}:cloudwatch:${region}:${account}:alarm:TargetTracking-*`,
  };
}
