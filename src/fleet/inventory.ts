import * as z from 'zod';
import { securityGroupRecordSchema, subnetRecordSchema, tagSchema } from '../catalog/manifest';

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
     * Services by "cluster/service" (DR cluster name). `tags` carries `lifeboat:recovery-point`
     * on services a restore created or updated.
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
    targetGroups: z
      .array(
        z
          .object({ targetGroupArn: z.string(), targetGroupName: z.string(), vpcId: z.string().optional() })
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

/** Tag on DR network objects (and restored access points) naming the primary id they stand for. */
export const SOURCE_ID_TAG = 'lifeboat:source-id';
/** Tag on restored services and clusters naming the recovery point they came from. */
export const RECOVERY_POINT_TAG = 'lifeboat:recovery-point';
