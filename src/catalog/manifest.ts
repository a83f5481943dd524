import * as z from 'zod';

/**
 * Recovery point manifest, schema version 1.
 *
 * One JSON document per recovery point in the DR catalog bucket. It is written last (the
 * commit point) and carries a SHA-256 over its canonical form (see `checksum.ts`).
 */
export const MANIFEST_SCHEMA_VERSION = 1;

const iso = z.iso.datetime({ offset: true });
const region = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/);
const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be a sha256 image digest');
export const recoveryPointIdSchema = z
  .string()
  .regex(/^rp-\d{8}T\d{9}Z-[a-f0-9]{6}$/, 'must look like rp-20260101T000000000Z-abc123');

export const tagSchema = z.object({ key: z.string(), value: z.string() }).strict();
export type Tag = z.infer<typeof tagSchema>;

export const clusterRecordSchema = z
  .object({
    clusterName: z.string().min(1),
    clusterArn: z.string().min(1),
    settings: z.array(z.object({ name: z.string(), value: z.string() }).strict()).default([]),
    /** ECS `configuration` block (execute command, managed storage), as described. */
    configuration: z.record(z.string(), z.unknown()).optional(),
    capacityProviders: z.array(z.string()).default([]),
    defaultCapacityProviderStrategy: z
      .array(
        z.object({
          capacityProvider: z.string(),
          weight: z.number().optional(),
          base: z.number().optional(),
        }),
      )
      .default([]),
    serviceConnectNamespace: z.string().optional(),
    tags: z.array(tagSchema).default([]),
  })
  .strict();
export type ClusterRecord = z.infer<typeof clusterRecordSchema>;

/**
 * Sanitised RegisterTaskDefinition input (read-only fields and nulls stripped). The ECS
 * shape is kept as-is beyond the fields Lifeboat reads, so no setting is lost.
 */
export const registerTaskDefinitionInputSchema = z.looseObject({
  family: z.string().min(1),
  containerDefinitions: z.array(z.looseObject({ name: z.string().min(1), image: z.string().min(1) })).min(1),
});
export type RegisterTaskDefinitionInputRecord = z.infer<typeof registerTaskDefinitionInputSchema>;

/**
 * An environment variable whose value looked secret (`capture.secretEnvironment`), taken out of
 * `registerInput` and kept only as a KMS ciphertext of the catalog key, bound by its encryption
 * context to this deployment, family, container and name (see `environmentContext`). Sealed
 * rather than refused: in an outage nobody can move the primary's variables to Secrets Manager,
 * and the service must still be restorable; the restore decrypts it right before registering.
 */
export const sealedVariableSchema = z
  .object({
    /** The container definition's `name`. */
    container: z.string().min(1),
    /** The variable's name (not secret). */
    name: z.string().min(1),
    /** Its position in the container's `environment`, so the restore puts it back where it was. */
    index: z.number().int().min(0),
    /** Base64 of the KMS `CiphertextBlob`. */
    ciphertext: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64'),
  })
  .strict();
export type SealedVariable = z.infer<typeof sealedVariableSchema>;

export const taskDefinitionRecordSchema = z
  .object({
    sourceArn: z.string().min(1),
    family: z.string().min(1),
    revision: z.number().int().positive(),
    registerInput: registerTaskDefinitionInputSchema,
    tags: z.array(tagSchema).default([]),
    /**
     * The variables sealed out of `registerInput` (absent when none was, and in manifests
     * written before sealing existed: those still parse and verify).
     */
    sealedEnvironment: z.array(sealedVariableSchema).min(1).optional(),
  })
  .strict();
export type TaskDefinitionRecord = z.infer<typeof taskDefinitionRecordSchema>;

/** Sanitised CreateService input, without `cluster` and `taskDefinition` (set at restore). */
export const createServiceInputSchema = z.looseObject({
  serviceName: z.string().min(1),
});
export type CreateServiceInputRecord = z.infer<typeof createServiceInputSchema>;

/**
 * A step or target tracking scaling policy of a service's scalable target: its configuration as
 * DescribeScalingPolicies returns it, in the PutScalingPolicy shape (read-only fields dropped).
 */
export const scalingPolicyRecordSchema = z
  .object({
    policyName: z.string().min(1),
    policyType: z.enum(['TargetTrackingScaling', 'StepScaling']),
    /** `TargetTrackingScalingPolicyConfiguration` (TargetTrackingScaling only). */
    targetTracking: z.record(z.string(), z.unknown()).optional(),
    /** `StepScalingPolicyConfiguration` (StepScaling only). */
    stepScaling: z.record(z.string(), z.unknown()).optional(),
    /** The CloudWatch alarms that trigger a step policy (their records are in `alarms`). */
    alarmNames: z.array(z.string()).default([]),
  })
  .strict();
export type ScalingPolicyRecord = z.infer<typeof scalingPolicyRecordSchema>;

/** A scheduled action of a service's scalable target (PutScheduledAction shape, camelCase). */
export const scheduledActionRecordSchema = z
  .object({
    scheduledActionName: z.string().min(1),
    schedule: z.string().min(1),
    timezone: z.string().optional(),
    startTime: iso.optional(),
    endTime: iso.optional(),
    scalableTargetAction: z
      .object({
        minCapacity: z.number().int().min(0).optional(),
        maxCapacity: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ScheduledActionRecord = z.infer<typeof scheduledActionRecordSchema>;

/**
 * A CloudWatch alarm that triggers step scaling policies: its PutMetricAlarm input as
 * DescribeAlarms returns it, without its actions (the restore points them at the DR policies),
 * state and other read-only fields.
 */
export const scalingAlarmRecordSchema = z
  .object({
    /** The step policies (by name) whose ARNs the alarm's AlarmActions named. */
    policyNames: z.array(z.string()).default([]),
    putMetricAlarmInput: z.looseObject({ AlarmName: z.string().min(1) }),
  })
  .strict();
export type ScalingAlarmRecord = z.infer<typeof scalingAlarmRecordSchema>;

/** Application Auto Scaling of a service (`ecs:service:DesiredCount` scalable target). */
export const serviceScalingRecordSchema = z
  .object({
    minCapacity: z.number().int().min(0),
    maxCapacity: z.number().int().min(0),
    suspendedState: z
      .object({
        dynamicScalingInSuspended: z.boolean().optional(),
        dynamicScalingOutSuspended: z.boolean().optional(),
        scheduledScalingSuspended: z.boolean().optional(),
      })
      .strict()
      .optional(),
    policies: z.array(scalingPolicyRecordSchema).default([]),
    scheduledActions: z.array(scheduledActionRecordSchema).default([]),
    alarms: z.array(scalingAlarmRecordSchema).default([]),
  })
  .strict();
export type ServiceScalingRecord = z.infer<typeof serviceScalingRecordSchema>;

export const serviceRecordSchema = z
  .object({
    clusterName: z.string().min(1),
    serviceName: z.string().min(1),
    serviceArn: z.string().min(1),
    /** Source task definition ARN; joins `taskDefinitions[].sourceArn`. */
    taskDefinitionArn: z.string().min(1),
    createInput: createServiceInputSchema,
    tags: z.array(tagSchema).default([]),
    /** Restore wave from the `lifeboat:wave` tag; lower waves restore first. */
    wave: z.number().int().min(0).default(1),
    /**
     * Its scalable target, policies, scheduled actions and step alarms; absent when the service
     * has no scalable target (and in recovery points written before Lifeboat captured it).
     */
    scaling: serviceScalingRecordSchema.optional(),
  })
  .strict();
export type ServiceRecord = z.infer<typeof serviceRecordSchema>;

export const imagePresenceSchema = z.enum([
  /** Digest resolved in the primary registry; DR presence not verified yet. */
  'unverified',
  'replicated',
  'backfilled',
  'copied',
  'already-present',
  /** Needed in DR and not there: makes the recovery point partial. */
  'missing',
  /** Not in this account's ECR (Docker Hub, public.ecr.aws, another account). */
  'external',
]);
export type ImagePresence = z.infer<typeof imagePresenceSchema>;

export const imageRecordSchema = z
  .object({
    /** The image reference exactly as the task definition names it. */
    sourceUri: z.string().min(1),
    /** ECR registry of the source image; absent for external images. */
    registryId: z.string().optional(),
    region: region.optional(),
    repositoryName: z.string().optional(),
    tag: z.string().optional(),
    digest: digest.optional(),
    /** `<dr registry>/<repository>@sha256:…`, set when the digest is known. */
    drUri: z.string().optional(),
    presence: imagePresenceSchema,
    verifiedAt: iso.optional(),
    /** `family:revision/container` entries that use this image. */
    usedBy: z.array(z.string()).default([]),
  })
  .strict();
export type ImageRecord = z.infer<typeof imageRecordSchema>;

export const ebsVolumeRecordSchema = z
  .object({
    /** `managed`: an ECS-managed volume from the service's volumeConfigurations; `standalone`: tagged volume. */
    kind: z.enum(['managed', 'standalone']),
    clusterName: z.string(),
    serviceName: z.string(),
    /** Volume name in the task definition / service volume configuration. */
    volumeName: z.string().optional(),
    sourceVolumeId: z.string(),
    sourceSnapshotId: z.string().optional(),
    drSnapshotId: z.string().optional(),
    engine: z.enum(['native-copy', 'block']).optional(),
    /** KMS key (ARN) the DR snapshot is encrypted with. */
    drKmsKeyId: z.string().optional(),
    sizeGiB: z.number().int().positive(),
    /** What a volume created from the snapshot needs besides its size (gp3, io2, …). */
    volumeType: z.string().optional(),
    iops: z.number().int().positive().optional(),
    throughput: z.number().int().positive().optional(),
    encrypted: z.boolean().optional(),
    availabilityZone: z.string().optional(),
    /** When the source snapshot was started (the data's point in time). */
    snapshotAt: iso.optional(),
    /** When the DR copy completed. */
    copiedAt: iso.optional(),
    tags: z.array(tagSchema).default([]),
  })
  .strict();
export type EbsVolumeRecord = z.infer<typeof ebsVolumeRecordSchema>;

export const efsFileSystemRecordSchema = z
  .object({
    sourceFileSystemId: z.string(),
    drFileSystemId: z.string().optional(),
    lastSyncAt: iso.optional(),
    accessPoints: z
      .array(
        z
          .object({
            sourceAccessPointId: z.string(),
            rootDirectory: z.record(z.string(), z.unknown()).optional(),
            posixUser: z.record(z.string(), z.unknown()).optional(),
            tags: z.array(tagSchema).default([]),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type EfsFileSystemRecord = z.infer<typeof efsFileSystemRecordSchema>;

/** A subnet with what mapping it to another region needs (VPC, zone, tags). */
export const subnetRecordSchema = z
  .object({
    subnetId: z.string(),
    vpcId: z.string().optional(),
    availabilityZone: z.string().optional(),
    cidrBlock: z.string().optional(),
    tags: z.array(tagSchema).default([]),
  })
  .strict();

/** A security group with what mapping it to another region needs (name, VPC, tags). */
export const securityGroupRecordSchema = z
  .object({
    groupId: z.string(),
    groupName: z.string().optional(),
    vpcId: z.string().optional(),
    tags: z.array(tagSchema).default([]),
  })
  .strict();

/** A listener rule of the primary region that forwards to a captured target group. */
export const listenerRuleRecordSchema = z
  .object({
    ruleArn: z.string(),
    /** `default` for the listener's default action, else the rule's priority (1–50000). */
    priority: z.union([z.literal('default'), z.number().int().min(1).max(50000)]),
    /** The rule's conditions as DescribeRules gives them (CreateRule's `Conditions`). */
    conditions: z.array(z.record(z.string(), z.unknown())).default([]),
    listenerArn: z.string(),
    listenerPort: z.number().int().optional(),
    listenerProtocol: z.string().optional(),
    loadBalancerArn: z.string(),
    loadBalancerName: z.string(),
  })
  .strict();
export type ListenerRuleRecord = z.infer<typeof listenerRuleRecordSchema>;

/**
 * An Elastic Load Balancing target group a captured service registers its tasks with: what
 * creating it again in the DR region needs (settings, health check, attributes, tags) and the
 * listener rules that send it traffic, so the restore can map it, or create it behind the DR
 * landing zone's load balancer (`restore.createTargetGroups`).
 */
export const targetGroupRecordSchema = z
  .object({
    targetGroupArn: z.string(),
    targetGroupName: z.string(),
    protocol: z.string().optional(),
    protocolVersion: z.string().optional(),
    port: z.number().int().optional(),
    targetType: z.string().optional(),
    ipAddressType: z.string().optional(),
    vpcId: z.string().optional(),
    /** CreateTargetGroup's health check fields, as described (`HealthCheckPath`, `Matcher`…). */
    healthCheck: z.record(z.string(), z.unknown()).default({}),
    attributes: z.array(z.object({ key: z.string(), value: z.string() }).strict()).default([]),
    tags: z.array(tagSchema).default([]),
    loadBalancerArns: z.array(z.string()).default([]),
    rules: z.array(listenerRuleRecordSchema).default([]),
  })
  .strict();
export type TargetGroupRecord = z.infer<typeof targetGroupRecordSchema>;

/** A Cloud Map namespace the captured services register in or reach through Service Connect. */
export const namespaceRecordSchema = z
  .object({
    namespaceId: z.string(),
    arn: z.string(),
    name: z.string(),
    /** `DNS_PRIVATE`, `DNS_PUBLIC` or `HTTP`. */
    type: z.string().optional(),
  })
  .strict();
export type NamespaceRecord = z.infer<typeof namespaceRecordSchema>;

/** A Cloud Map service a captured service registers its tasks in (`serviceRegistries`). */
export const cloudMapServiceRecordSchema = z
  .object({
    serviceId: z.string(),
    arn: z.string(),
    name: z.string(),
    namespaceId: z.string(),
    description: z.string().optional(),
    /** CreateService's `DnsConfig` (routing policy, record types and TTLs), without the namespace. */
    dnsConfig: z.record(z.string(), z.unknown()).optional(),
    healthCheckCustomConfig: z.record(z.string(), z.unknown()).optional(),
    tags: z.array(tagSchema).default([]),
  })
  .strict();
export type CloudMapServiceRecord = z.infer<typeof cloudMapServiceRecordSchema>;

/**
 * The primary-region network objects the captured services reference, with their tags and
 * names, so the restore can map them to DR equivalents by tag even when the primary
 * region cannot be reached.
 */
export const networkRecordSchema = z
  .object({
    subnets: z.array(subnetRecordSchema).default([]),
    securityGroups: z.array(securityGroupRecordSchema).default([]),
    /** Absent in recovery points written before target groups were captured. */
    targetGroups: z.array(targetGroupRecordSchema).optional(),
    /** Cloud Map namespaces and services; absent in recovery points written before they were captured. */
    cloudMap: z
      .object({
        namespaces: z.array(namespaceRecordSchema).default([]),
        services: z.array(cloudMapServiceRecordSchema).default([]),
      })
      .strict()
      .optional(),
  })
  .strict();
export type NetworkRecord = z.infer<typeof networkRecordSchema>;

/**
 * A CloudWatch Logs log group a captured task definition (awslogs driver) or Service Connect
 * configuration writes to in the primary region, with what the restore creates it with in DR.
 */
export const logGroupRecordSchema = z
  .object({
    logGroupName: z.string().min(1),
    /** Days the events are kept; absent = never expire. */
    retentionInDays: z.number().int().positive().optional(),
    /** The primary-region KMS key (ARN) the group is encrypted with; absent = CloudWatch Logs' own encryption. */
    kmsKeyId: z.string().min(1).optional(),
    tags: z.array(tagSchema).default([]),
  })
  .strict();
export type LogGroupRecord = z.infer<typeof logGroupRecordSchema>;

/**
 * What the backup found or did for one Secrets Manager secret a captured task definition
 * references: `replica-exists` (the DR region already had a replica), `replicated`
 * (ReplicateSecretToRegions started one, `backup.replicateSecrets`), `not-replicated` (no replica
 * and the option is off), `failed` (DescribeSecret or the replication failed: a capture warning,
 * not an error, since the restore still checks the DR secret exists).
 */
export const secretReplicationRecordSchema = z
  .object({
    /** The primary secret's complete ARN. */
    arn: z.string(),
    /** Its DR ARN (the replica's, same name and suffix, DR region). */
    drArn: z.string(),
    replication: z.enum(['replica-exists', 'replicated', 'not-replicated', 'failed']),
    /** The DR KMS key the replica is (to be) encrypted with, when one was chosen. */
    kmsKeyId: z.string().optional(),
  })
  .strict();
export type SecretReplicationRecord = z.infer<typeof secretReplicationRecordSchema>;

export const resourceTypeSchema = z.enum([
  'cluster',
  'service',
  'taskDefinition',
  'image',
  'volume',
  'fileSystem',
  /** The subnets / security groups of the `network` block (DescribeSubnets, DescribeSecurityGroups). */
  'network',
  /** The log groups of the `logGroups` block (DescribeLogGroups, ListTagsForResource). */
  'logGroup',
  /** A service's Application Auto Scaling (DescribeScalableTargets, policies, scheduled actions, alarms). */
  'scaling',
  /** A Secrets Manager secret the task definitions reference (DescribeSecret, ReplicateSecretToRegions). */
  'secret',
]);
export type ResourceType = z.infer<typeof resourceTypeSchema>;

export const resourceErrorSchema = z
  .object({
    resourceType: resourceTypeSchema,
    resourceId: z.string(),
    code: z.string(),
    message: z.string(),
    at: iso,
  })
  .strict();
export type ResourceError = z.infer<typeof resourceErrorSchema>;

export const checksumSchema = z
  .object({ algorithm: z.literal('SHA-256'), value: z.string().regex(/^[a-f0-9]{64}$/) })
  .strict();

export const manifestBodySchema = z
  .object({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
    id: recoveryPointIdSchema,
    /** `partial` when any resource failed to be captured or replicated; see `errors`. */
    status: z.enum(['complete', 'partial']),
    startedAt: iso,
    completedAt: iso,
    source: z.object({ account: z.string().regex(/^\d{12}$/), region }).strict(),
    target: z.object({ region }).strict(),
    clusters: z.array(clusterRecordSchema),
    services: z.array(serviceRecordSchema),
    taskDefinitions: z.array(taskDefinitionRecordSchema),
    images: z.array(imageRecordSchema),
    volumes: z
      .object({
        ebs: z.array(ebsVolumeRecordSchema).default([]),
        efs: z.array(efsFileSystemRecordSchema).default([]),
      })
      .strict()
      .default({ ebs: [], efs: [] }),
    network: networkRecordSchema.default({ subnets: [], securityGroups: [] }),
    /**
     * The primary-region log groups the captured task definitions write to (retention, key, tags),
     * sorted by name; a group that does not exist there (awslogs-create-group) has none. Absent in
     * manifests written before log groups were captured: those still parse and verify.
     */
    logGroups: z.array(logGroupRecordSchema).optional(),
    /**
     * The Secrets Manager secrets the captured task definitions reference and their DR replication
     * (see `secretReplicationRecordSchema`), sorted by ARN. Absent in older manifests, which still verify.
     */
    secrets: z.array(secretReplicationRecordSchema).optional(),
    errors: z.array(resourceErrorSchema),
  })
  .strict();
export type ManifestBody = z.infer<typeof manifestBodySchema>;

/** How the catalog's signing key signs a manifest (see `signature.ts`). */
export const SIGNATURE_ALGORITHM = 'HMAC_SHA_256';

export const manifestSignatureSchema = z
  .object({
    algorithm: z.literal(SIGNATURE_ALGORITHM),
    /** The KMS key that made it (ARN), for the reader's message; verification uses the configured key. */
    keyId: z.string().min(1),
    /** Base64 of the MAC. */
    value: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64'),
  })
  .strict();
export type ManifestSignature = z.infer<typeof manifestSignatureSchema>;

/** A manifest as stored: sealed (`checksum`) and, once committed, signed. */
export const manifestSchema = manifestBodySchema
  .extend({ checksum: checksumSchema, signature: manifestSignatureSchema.optional() })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;

/** "cluster/service": how services are named in selections, plans and reports. */
export function serviceKey(s: { clusterName: string; serviceName: string }): string {
  return `${s.clusterName}/${s.serviceName}`;
}
