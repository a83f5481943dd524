import * as z from 'zod';
import { securityGroupRecordSchema, subnetRecordSchema, type Tag, tagSchema } from '../catalog/manifest';

/**
 * What exists in the DR region when a restore is planned, as the planner reads it. The
 * adapter that gathers it lists whole regions (all subnets, security groups, target groups),
 * so "not in the inventory" means "does not exist". The optional lists may be left out when
 * they could not be read: the planner then reports the check as not done (info), never as
 * passed. JSON-serialisable: it travels between workflow steps.
 */
export const drInventorySchema = z
  .object({
    /** Names of the ACTIVE clusters. */
    clusters: z.array(z.string()).default([]),
    /**
     * Services by "cluster/service" (DR cluster name). `tags` carries `lifeboat:deployment` and
     * `lifeboat:recovery-point` on services a restore created, updated or took over.
     */
    services: z
      .record(
        z.string(),
        z
          .object({
            status: z.string(),
            taskDefinitionArn: z.string().optional(),
            desiredCount: z.number().int().min(0).optional(),
            tags: z.array(tagSchema).default([]),
          })
          .strict(),
      )
      .default({}),
    subnets: z.array(subnetRecordSchema).default([]),
    securityGroups: z.array(securityGroupRecordSchema).default([]),
    /**
     * Elastic Load Balancing target groups; `sourceTargetGroupArn` is the `lifeboat:source-id`
     * tag (the primary target group a restore created it for, or an operator tagged). Read only
     * when a selected service has a load balancer.
     */
    targetGroups: z
      .array(
        z
          .object({
            targetGroupArn: z.string(),
            targetGroupName: z.string(),
            vpcId: z.string().optional(),
            sourceTargetGroupArn: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
    /** Load balancers (for target groups the restore creates); `sourceLoadBalancerArn` as above. */
    loadBalancers: z
      .array(
        z
          .object({
            loadBalancerArn: z.string(),
            loadBalancerName: z.string(),
            vpcId: z.string().optional(),
            sourceLoadBalancerArn: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
    /** Cloud Map namespaces (read when a selected service uses Cloud Map or Service Connect). */
    cloudMapNamespaces: z
      .array(
        z
          .object({ namespaceId: z.string(), arn: z.string(), name: z.string(), type: z.string().optional() })
          .strict(),
      )
      .default([]),
    /** Cloud Map services (read with the namespaces). */
    cloudMapServices: z
      .array(
        z
          .object({ serviceId: z.string(), arn: z.string(), name: z.string(), namespaceId: z.string() })
          .strict(),
      )
      .default([]),
    listeners: z
      .array(
        z
          .object({
            listenerArn: z.string(),
            loadBalancerArn: z.string(),
            port: z.number().int().optional(),
            protocol: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
    /** Secrets Manager secret ARNs; absent = not read. */
    secretArns: z.array(z.string()).optional(),
    /** SSM parameter ARNs; absent = not read. */
    parameterArns: z.array(z.string()).optional(),
    /**
     * Availability zone names of the region (where standalone EBS volumes are created); absent =
     * not read (a zone derived from the source zone is then used unchecked).
     */
    availabilityZones: z.array(z.string()).optional(),
    /** CloudWatch Logs log group names; absent = not read (every needed group is created). */
    logGroups: z.array(z.string()).optional(),
    /** Retention (days) of the log groups that have one, from the same listing; absent = not read. */
    logGroupRetention: z.record(z.string(), z.number().int()).optional(),
    /**
     * EFS access points; `sourceAccessPointId` is the `lifeboat:source-id` tag a restore puts
     * on the access points it creates, so a re-run reuses them.
     */
    efsAccessPoints: z
      .array(
        z
          .object({
            accessPointId: z.string(),
            fileSystemId: z.string(),
            sourceAccessPointId: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export type DrInventory = z.output<typeof drInventorySchema>;
export type DrSubnet = DrInventory['subnets'][number];
export type DrSecurityGroup = DrInventory['securityGroups'][number];
export type DrTargetGroup = DrInventory['targetGroups'][number];
export type DrLoadBalancer = DrInventory['loadBalancers'][number];
export type DrListener = DrInventory['listeners'][number];

/** Tag on DR network objects (and restored access points) naming the primary id they stand for. */
export const SOURCE_ID_TAG = 'lifeboat:source-id';
/** Tag on what a restore creates (and on snapshots) naming the recovery point it came from. */
export const RECOVERY_POINT_TAG = 'lifeboat:recovery-point';

/**
 * Tag on what Lifeboat creates (restored services, clusters, task definitions, log groups, access
 * points, volumes; snapshots) naming the deployment (`deploymentIdOf(config)`) that made it. A DR
 * service is Lifeboat's, and a restore may update it, only when it carries this deployment's id.
 */
export const DEPLOYMENT_TAG = 'lifeboat:deployment';

/** Most tags an ECS, CloudWatch Logs or EFS resource takes. */
export const MAX_TAGS = 50;

/** Who made a DR resource: the deployment restoring and the recovery point it restored. */
export interface Provenance {
  readonly deploymentId: string;
  readonly recoveryPointId: string;
}

/**
 * `tags` with `lifeboat:deployment` and `lifeboat:recovery-point` set to `provenance` (earlier
 * values replaced). Ownership rests on them, so they are always kept: when the total would exceed
 * MAX_TAGS the last other tags are left out and returned as `dropped`, for the caller to report.
 */
export function withProvenance(
  tags: readonly Tag[],
  provenance: Provenance,
): { tags: Tag[]; dropped: Tag[] } {
  const others = tags.filter((t) => t.key !== DEPLOYMENT_TAG && t.key !== RECOVERY_POINT_TAG);
  const room = MAX_TAGS - 2;
  return {
    tags: [
      ...others.slice(0, room),
      { key: DEPLOYMENT_TAG, value: provenance.deploymentId },
      { key: RECOVERY_POINT_TAG, value: provenance.recoveryPointId },
    ],
    dropped: others.slice(room),
  };
}

/** Whether a DR resource's tags say deployment `deploymentId` made it (or took it over). */
export function isOwnedBy(tags: readonly Tag[], deploymentId: string): boolean {
  return tags.some((t) => t.key === DEPLOYMENT_TAG && t.value === deploymentId);
}
