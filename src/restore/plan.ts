import {
  type ClusterRecord,
  type EfsFileSystemRecord,
  type Manifest,
  type RegisterTaskDefinitionInputRecord,
  type ServiceRecord,
  serviceKey,
  type Tag,
} from '../catalog/manifest';
import type { LifeboatConfig } from '../config/schema';
import {
  DEPLOYMENT_TAG,
  type DrInventory,
  isOwnedBy,
  type Provenance,
  RECOVERY_POINT_TAG,
  SOURCE_ID_TAG,
  withProvenance,
} from '../fleet/inventory';
import { drLogGroupKey } from '../fleet/log-groups';
import {
  type CloudMapContext,
  type CloudMapServiceCreationPlan,
  missingNamespaceFix,
  serviceConnectNamespace,
} from '../fleet/retarget/cloud-map';
import { provenanceTags } from '../fleet/retarget/provenance';
import { isFargateProvider, isRecord, type RetargetChange, RetargetSession } from '../fleet/retarget/refs';
import { type DrCreateServiceInput, retargetService } from '../fleet/retarget/service';
import {
  planTargetGroupCreation,
  resolveTargetGroup,
  type TargetGroupCreationPlan,
  targetGroupArnsOf,
} from '../fleet/retarget/target-groups';
import { retargetTaskDefinition } from '../fleet/retarget/task-definition';
import type { PendingAccessPoint, RetargetContext } from '../fleet/retarget/task-definition/rule';
import { type RolePoliciesRead, rolePolicyFindings } from '../fleet/role-policy-lint';
import { type DrScaling, retargetScaling, scaledDesiredCount, scalingFindings } from '../fleet/scaling';
import { type MaskedVariable, maskedVariables, secretInEnvironmentFinding } from '../fleet/secrets';
import {
  compareText,
  countBySeverity,
  type Finding,
  type FindingSeverity,
  sortFindings,
} from '../kernel/findings';
import { planServiceVolumes, type VolumePlan } from '../volumes/ebs/plan';
import { NoServicesSelectedError, RecoveryPointUnusableError } from './errors';
import { isServiceSelected, type RestoreInput } from './input';
import { planSecretSources, type SecretSourcePlan } from './secret-sources';

/** Where and into what the restore is planned. */
export interface PlanContext {
  /** Region the restore workflow runs in; the recovery point must target it. */
  readonly drRegion: string;
  /** Account restored into; the recovery point's source account (DR is same-account). */
  readonly account: string;
  /** `config.mappings`: explicit primary → DR ids for what tags and names cannot map. */
  readonly mappings: LifeboatConfig['mappings'];
  readonly inventory: DrInventory;
  /**
   * The deployment restoring (`deploymentIdOf(config)`): tagged (`lifeboat:deployment`) on
   * everything the restore creates; a DR service is Lifeboat's to update only when it carries it.
   */
  readonly deploymentId: string;
  /**
   * Newer recovery points "latest" passed over because they did not verify (damaged, unsigned,
   * forged): each becomes a warning. @default - none
   */
  readonly passedOver?: readonly { readonly id: string; readonly code: string; readonly message: string }[];
  /**
   * The policies of the task and execution roles the recovery point's task definitions name
   * (`readRolePolicies`): each Allow scoped to the primary region only is a warning
   * (ROLE_POLICY_PRIMARY_ONLY). @default - not checked (no finding)
   */
  readonly rolePolicies?: RolePoliciesRead;
  /**
   * `restore.createTargetGroups`: a captured target group the DR region lacks is created behind
   * the DR load balancer instead of blocking its services. @default false
   */
  readonly createTargetGroups?: boolean;
}

export type ServiceAction = 'create' | 'update' | 'unchanged';

export interface ServicePlan {
  /** "cluster/service" (the same in both regions). */
  readonly key: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly wave: number;
  /**
   * From the DR inventory: no service (or INACTIVE) → create; ACTIVE → update, or unchanged when
   * already restored from this recovery point with this desired count. An ACTIVE service this
   * deployment did not create is blocked (SERVICE_NOT_OWNED) unless the input adopts it.
   */
  readonly action: ServiceAction;
  /**
   * The DR service exists, Lifeboat did not create it and the input's `adopt` names it: the
   * restore updates it and tags it as this deployment's. Otherwise the restore refuses to update
   * a service it does not own, however the DR region changed since the plan.
   */
  readonly adopt: boolean;
  /** An error finding names this service: the restore skips it. */
  readonly blocked: boolean;
  /** Codes of the error findings that block it. */
  readonly blockedBy: string[];
  readonly sourceDesiredCount: number;
  readonly desiredCount: number;
  /** Absent when the recovery point lacks the service's task definition (then blocked). */
  readonly taskDefinition?: {
    family: string;
    sourceArn: string;
    /** Without the sealed variables: their values are in no plan. */
    registerInput: RegisterTaskDefinitionInputRecord;
    /**
     * The variables the backup sealed (`value` is `***`); the service step decrypts their
     * ciphertexts right before it registers the task definition. Absent when there are none.
     */
    sealedEnvironment?: MaskedVariable[];
  };
  /** `taskDefinition` is set to the registered revision's ARN at execution. */
  readonly createServiceInput: DrCreateServiceInput;
  /** What the retargeting rewrote, paths prefixed `taskDefinition.` or `service.`. */
  readonly changes: RetargetChange[];
  /** DR image URIs the tasks pull. */
  readonly images: string[];
  readonly logGroups: string[];
  readonly roles: string[];
  /** Source access point ids in the register input to substitute once created (`applyAccessPointIds`). */
  readonly pendingAccessPoints: string[];
  /** Primary target group ARNs in `createServiceInput.loadBalancers` to substitute once PrepareShared created them. */
  readonly pendingTargetGroups: string[];
  /** Primary Cloud Map service ARNs in `createServiceInput.serviceRegistries` to substitute once PrepareShared created them. */
  readonly pendingRegistries: string[];
  /**
   * The service's EBS volumes in the recovery point: managed ones ECS attaches from their DR
   * snapshot, standalone ones the restore creates (before the service) in the mapped DR zone.
   */
  readonly volumes: VolumePlan[];
  /**
   * The Application Auto Scaling the restore registers once the service exists (scalable target
   * with its minimum scaled like the desired count, policies, step alarms, scheduled actions).
   * Absent when the recovery point has none for the service.
   */
  readonly scaling?: DrScaling;
}

export interface ClusterPlan {
  readonly clusterName: string;
  /** `skip`: it does not exist and every selected service in it is blocked. */
  readonly action: 'create' | 'existing' | 'skip';
  /** Keys of the selected services in it. */
  readonly services: string[];
  /** CreateCluster input, when the cluster must be created. */
  readonly createInput?: {
    clusterName: string;
    settings: { name: string; value: string }[];
    configuration?: Record<string, unknown>;
    capacityProviders: string[];
    defaultCapacityProviderStrategy: { capacityProvider: string; weight?: number; base?: number }[];
    serviceConnectDefaults?: { namespace: string };
    tags: Tag[];
  };
}

export interface LogGroupPlan {
  readonly logGroupName: string;
  /**
   * `create` when the inventory lacks it or could not list log groups (creating is then
   * idempotent); an `existing` group is left as it is.
   */
  readonly action: 'create' | 'existing';
  /**
   * What it is created with: the primary group's tags (when the recovery point has its record),
   * then `lifeboat:deployment` and `lifeboat:recovery-point`.
   */
  readonly tags: Tag[];
  /** The primary group's retention, set with PutRetentionPolicy; absent = never expire. */
  readonly retentionInDays?: number;
  /** The DR KMS key ARN it is created with (see `drLogGroupKey`); absent = no key. */
  readonly kmsKeyId?: string;
  /** The primary group's key, when it had one (mapped to `kmsKeyId`, or left out with a warning). */
  readonly sourceKmsKeyId?: string;
}

export interface EfsFailoverPlan {
  readonly sourceFileSystemId: string;
  /** The DR replica, or the operator's own file system when `mappings.efsFileSystems` names it. */
  readonly drFileSystemId: string;
  readonly services: string[];
  /**
   * The restore deletes the replica's replication configuration to make it writable (the input
   * says `promoteFileSystems: true`). False for the operator's own file systems, which are no
   * replicas, and without `promoteFileSystems`: the tasks then mount the read-only replica.
   */
  readonly promote: boolean;
}

export interface AccessPointPlan extends PendingAccessPoint {
  readonly rootDirectory?: Record<string, unknown>;
  readonly posixUser?: Record<string, unknown>;
  /**
   * `lifeboat:source-id=<source access point id>` (so a re-run finds it), the source tags, then
   * `lifeboat:deployment` and `lifeboat:recovery-point`.
   */
  readonly tags: Tag[];
  readonly services: string[];
}

export interface WavePlan {
  readonly wave: number;
  /** Keys, sorted; blocked services included (the restore skips them). */
  readonly services: string[];
}

export interface PlanTotals {
  readonly services: number;
  readonly restorable: number;
  readonly blocked: number;
  readonly create: number;
  readonly update: number;
  readonly unchanged: number;
  /** Sum of the desired counts of the restorable services. */
  readonly desiredTasks: number;
  readonly clustersToCreate: number;
  readonly logGroupsToCreate: number;
  readonly accessPointsToCreate: number;
  readonly targetGroupsToCreate: number;
  readonly cloudMapServicesToCreate: number;
  /** Standalone EBS volumes the restorable services get from their DR snapshots. */
  readonly volumesToCreate: number;
  /** Managed EBS volumes ECS creates from their DR snapshots for the restorable services. */
  readonly volumesAttachedByEcs: number;
  readonly findings: Record<FindingSeverity, number>;
}

/**
 * The restore plan: JSON-serialisable (it is a dry run's output) and deterministic (every
 * list sorted). Shared resources (clusters, log groups, EFS, access points, roles) are those
 * the restorable services need.
 */
export interface RestorePlan {
  readonly planVersion: 1;
  readonly recoveryPoint: {
    id: string;
    status: 'complete' | 'partial';
    startedAt: string;
    completedAt: string;
    sourceRegion: string;
    sourceAccount: string;
  };
  readonly target: { region: string; account: string };
  readonly input: RestoreInput;
  readonly clusters: ClusterPlan[];
  readonly logGroups: LogGroupPlan[];
  readonly efsFileSystems: EfsFailoverPlan[];
  readonly efsAccessPoints: AccessPointPlan[];
  /** Target groups PrepareShared creates (`restore.createTargetGroups`), for the restorable services. */
  readonly targetGroups: TargetGroupCreationPlan[];
  /** Cloud Map services PrepareShared creates in their mapped DR namespaces, for the restorable services. */
  readonly cloudMapServices: CloudMapServiceCreationPlan[];
  /**
   * The Secrets Manager secrets the backup recorded (`manifest.secrets`) and where each DR copy
   * comes from; absent for recovery points written before the backup recorded them.
   */
  readonly secrets?: SecretSourcePlan[];
  /** IAM roles the restore passes to ECS (its iam:PassRole must allow them). */
  readonly roles: string[];
  readonly services: ServicePlan[];
  /** Ascending by wave. */
  readonly waves: WavePlan[];
  readonly findings: Finding[];
  readonly totals: PlanTotals;
}

/** The recovery point's Cloud Map records with the DR namespaces and services they map to. */
function cloudMapContextOf(manifest: Manifest, ctx: PlanContext): CloudMapContext {
  return {
    drRegion: ctx.drRegion,
    captured: manifest.network.cloudMap ?? { namespaces: [], services: [] },
    inventory: ctx.inventory,
    mapping: ctx.mappings.namespaces,
  };
}

/**
 * With `createTargetGroups`, the creation plan (or the findings that prevent it) of each captured
 * target group the selected services name that the DR region lacks: no mapping, tag or name
 * resolves it. Keyed by primary target group ARN; empty without `createTargetGroups`.
 */
function planTargetGroupCreations(
  manifest: Manifest,
  selected: readonly Manifest['services'][number][],
  ctx: PlanContext,
  provenance: Provenance,
): Map<string, ReturnType<typeof planTargetGroupCreation>> {
  const plans = new Map<string, ReturnType<typeof planTargetGroupCreation>>();
  if (ctx.createTargetGroups !== true) return plans;
  const captured = new Map((manifest.network.targetGroups ?? []).map((g) => [g.targetGroupArn, g]));
  for (const service of selected) {
    for (const arn of targetGroupArnsOf(service.createInput)) {
      if (plans.has(arn)) continue;
      const resolved = resolveTargetGroup(
        arn,
        ctx.inventory.targetGroups,
        ctx.mappings.targetGroups,
        ctx.drRegion,
      );
      if (resolved.drId !== undefined || resolved.finding.code !== 'TARGET_GROUP_NOT_MAPPED') continue;
      const record = captured.get(arn);
      plans.set(
        arn,
        record
          ? planTargetGroupCreation(record, {
              drRegion: ctx.drRegion,
              mappings: ctx.mappings,
              inventory: ctx.inventory,
              provenance,
            })
          : {
              findings: [
                {
                  severity: 'error',
                  code: 'TARGET_GROUP_NOT_CAPTURED',
                  resource: arn,
                  message: `Target group ${arn} is not in the recovery point (it was written before target groups were captured, or reading it failed), so the restore cannot create it.`,
                  fix: 'Take a new backup, or create the target group in the DR region and map it (mappings.targetGroups).',
                },
              ],
            },
      );
    }
  }
  return plans;
}

/**
 * Throws RecoveryPointUnusableError when the recovery point must not be restored with this
 * input here: partial without `allowPartial`, written for another DR region or account.
 */
export function checkRecoveryPointUsable(
  manifest: Manifest,
  input: Pick<RestoreInput, 'allowPartial'>,
  target: { drRegion: string; account: string },
): void {
  if (manifest.target.region !== target.drRegion) {
    throw new RecoveryPointUnusableError(
      manifest.id,
      'region',
      `Recovery point ${manifest.id} was written for DR region ${manifest.target.region}, but this restore runs in ${target.drRegion}. Start the restore workflow in ${manifest.target.region}.`,
    );
  }
  if (manifest.source.account !== target.account) {
    throw new RecoveryPointUnusableError(
      manifest.id,
      'account',
      `Recovery point ${manifest.id} captured account ${manifest.source.account}, but this restore runs in account ${target.account}; Lifeboat restores into the same account. Run the restore workflow deployed in ${manifest.source.account}.`,
    );
  }
  if (manifest.status === 'partial' && !input.allowPartial) {
    const first = manifest.errors[0];
    const detail = first ? ` (first: ${first.resourceType} ${first.resourceId}: ${first.code})` : '';
    throw new RecoveryPointUnusableError(
      manifest.id,
      'partial',
      `Recovery point ${manifest.id} is partial: ${manifest.errors.length} resource(s) failed during its backup${detail}. ` +
        'Pass "allowPartial": true to restore what it holds (the failed resources are reported), or restore from a complete recovery point (`lifeboat recovery-points list`).',
    );
  }
}

/**
 * What the restore does to the service `key` given the DR inventory. A DR service is Lifeboat's
 * when it carries `lifeboat:deployment=<this deployment>`: only then is it updated (or left
 * unchanged) as today. One without it (DR-native, another deployment's, or restored before
 * Lifeboat tagged its deployment) is blocked with SERVICE_NOT_OWNED unless `adopt` names it;
 * strict, because updating a service someone else runs replaces its task definition and count.
 */
function actionFor(
  key: string,
  desiredCount: number,
  manifestId: string,
  ctx: PlanContext,
  adopt: ReadonlySet<string>,
): { action: ServiceAction; adopt: boolean; finding?: ServiceFinding } {
  const inventory = ctx.inventory;
  const existing = Object.hasOwn(inventory.services, key) ? inventory.services[key] : undefined;
  if (existing === undefined || existing.status === 'INACTIVE') return { action: 'create', adopt: false };
  if (existing.status === 'DRAINING') {
    return {
      action: 'create',
      adopt: false,
      finding: {
        severity: 'error',
        code: 'SERVICE_DRAINING',
        resource: key,
        message: `Service ${key} is being deleted in the DR region (DRAINING); it cannot be created again until it is INACTIVE.`,
        fix: 'Wait until the service is INACTIVE (usually a few minutes), then run the restore again.',
      },
    };
  }
  const restoredFrom = existing.tags.find((t) => t.key === RECOVERY_POINT_TAG)?.value;
  const taskDefinition = existing.taskDefinitionArn ?? 'unknown';
  const count = existing.desiredCount ?? 'unknown';
  const update = `to this recovery point's task definition and a desired count of ${desiredCount}`;
  if (isOwnedBy(existing.tags, ctx.deploymentId)) {
    if (restoredFrom === manifestId && existing.desiredCount === desiredCount) {
      return { action: 'unchanged', adopt: false };
    }
    return {
      action: 'update',
      adopt: false,
      finding: {
        severity: 'info',
        code: 'SERVICE_EXISTS',
        resource: key,
        message: `Service ${key} already exists in the DR region, restored by this deployment (${existing.status}, task definition ${taskDefinition}${restoredFrom ? `, restored from ${restoredFrom}` : ''}); the restore updates it ${update}.`,
        fix: 'Nothing to do if replacing the running DR service is intended; otherwise exclude it with "exclude".',
      },
    };
  }
  if (adopt.has(key)) {
    return {
      action: 'update',
      adopt: true,
      finding: {
        severity: 'warning',
        code: 'SERVICE_ADOPTED',
        resource: key,
        message: `Service ${key} exists in the DR region and Lifeboat did not create it (task definition ${taskDefinition}, desired count ${count}); "adopt" names it, so the restore updates it ${update} and tags it ${DEPLOYMENT_TAG}=${ctx.deploymentId}: later restores treat it as their own.`,
        fix: `Nothing to do if taking over ${key} is intended; otherwise remove it from "adopt" (it is then left untouched).`,
      },
    };
  }
  const otherDeployment = existing.tags.find((t) => t.key === DEPLOYMENT_TAG)?.value;
  const why =
    otherDeployment !== undefined
      ? `it was restored by another Lifeboat deployment (${DEPLOYMENT_TAG}=${otherDeployment}, this one is ${ctx.deploymentId})`
      : restoredFrom !== undefined
        ? `it carries ${RECOVERY_POINT_TAG}=${restoredFrom} but no ${DEPLOYMENT_TAG}: restored before Lifeboat tagged its deployment`
        : `it carries no ${DEPLOYMENT_TAG}=${ctx.deploymentId} tag: Lifeboat did not create it`;
  const once =
    otherDeployment === undefined && restoredFrom !== undefined
      ? " (once: the restore then tags it as this deployment's)"
      : '';
  return {
    action: 'update',
    adopt: false,
    finding: {
      severity: 'error',
      code: 'SERVICE_NOT_OWNED',
      resource: key,
      message: `Service ${key} already exists in the DR region (${existing.status}, task definition ${taskDefinition}, desired count ${count}) and is not this deployment's: ${why}. The restore would update it ${update}; it is left untouched.`,
      fix: `To take it over, add "adopt": ["${key}"] to the restore input${once}; to leave it out, add "${key}" to "exclude".`,
    },
  };
}

/**
 * Warnings for `adopt` keys that adopt nothing, so a typo does not go unnoticed: a key that is
 * not a selected service of the recovery point, or a selected one that does not exist in DR.
 */
function adoptFindings(
  adopt: readonly string[],
  selected: ReadonlySet<string>,
  inventory: DrInventory,
): Finding[] {
  return [...new Set(adopt)].flatMap((key): Finding[] => {
    if (!selected.has(key)) {
      return [
        {
          severity: 'warning',
          code: 'ADOPT_NOT_SELECTED',
          resource: key,
          message: `"adopt" names ${key}, which is not a service this restore selects (not in the recovery point, or left out by "services" / "exclude"); nothing is adopted for it.`,
          fix: 'Check the spelling of the "cluster/service" key against the plan\'s services, or remove it from "adopt".',
        },
      ];
    }
    const existing = Object.hasOwn(inventory.services, key) ? inventory.services[key] : undefined;
    if (existing !== undefined && existing.status !== 'INACTIVE') return [];
    return [
      {
        severity: 'warning',
        code: 'ADOPT_NOT_IN_DR',
        resource: key,
        service: key,
        message: `"adopt" names ${key}, which does not exist in the DR region; the restore creates it, so there is nothing to adopt.`,
        fix: `Remove ${key} from "adopt", or check that the restore runs in the region and account where the service was meant to be taken over.`,
      },
    ];
  });
}

function relevantCaptureErrors(
  manifest: Manifest,
  service: ServiceRecord,
  images: ReadonlySet<string>,
): Finding[] {
  const key = serviceKey(service);
  return manifest.errors
    .filter(
      (e) =>
        (e.resourceType === 'service' && (e.resourceId === key || e.resourceId === service.serviceArn)) ||
        (e.resourceType === 'image' && images.has(e.resourceId)) ||
        (e.resourceType === 'taskDefinition' && e.resourceId === service.taskDefinitionArn) ||
        (e.resourceType === 'scaling' && e.resourceId === key),
    )
    .map((e) => ({
      severity: 'warning' as const,
      code: 'CAPTURE_ERROR',
      resource: e.resourceId,
      service: key,
      message: `The backup recorded an error for ${e.resourceType} ${e.resourceId}: ${e.code}: ${e.message}`,
      fix: 'Check the other findings of this service; fix the cause in the primary region (if reachable) and take a new backup.',
    }));
}

function uncapturedServiceFindings(
  manifest: Manifest,
  input: RestoreInput,
  captured: ReadonlySet<string>,
): Finding[] {
  return manifest.errors
    .filter(
      (e) =>
        e.resourceType === 'service' &&
        !captured.has(e.resourceId) &&
        /^[^/]+\/[^/]+$/.test(e.resourceId) &&
        isServiceSelected(e.resourceId, input),
    )
    .map((e) => ({
      severity: 'error' as const,
      code: 'SERVICE_NOT_CAPTURED',
      resource: e.resourceId,
      service: e.resourceId,
      message: `Service ${e.resourceId} matches the selection but is not in recovery point ${manifest.id}: its backup failed (${e.code}: ${e.message}).`,
      fix: 'Restore it from an earlier complete recovery point (`lifeboat recovery-points list`), or recreate it by hand.',
    }));
}

interface ClusterDraft {
  record: ClusterRecord | undefined;
  services: string[];
  restorable: ServicePlan[];
}

function planCluster(
  clusterName: string,
  draft: ClusterDraft,
  manifest: Manifest,
  ctx: PlanContext,
  findings: Finding[],
  logGroups: Set<string>,
): ClusterPlan {
  const services = [...draft.services].sort(compareText);
  if (ctx.inventory.clusters.includes(clusterName)) return { clusterName, action: 'existing', services };
  if (draft.restorable.length === 0) return { clusterName, action: 'skip', services };
  const record = draft.record;
  if (record === undefined) {
    findings.push({
      severity: 'warning',
      code: 'CLUSTER_NOT_IN_RECOVERY_POINT',
      resource: clusterName,
      message: `Cluster ${clusterName} has no record in the recovery point; it is created with default settings.`,
      fix: `Check the settings of cluster ${clusterName} in the DR region after the restore (Container Insights, capacity providers).`,
    });
  }
  const session = new RetargetSession({
    account: ctx.account,
    primaryRegion: manifest.source.region,
    drRegion: ctx.drRegion,
    secretMappings: ctx.mappings.secrets,
  });
  const configuration = record?.configuration ? structuredClone(record.configuration) : undefined;
  const at = `clusters[${clusterName}].configuration`;
  if (configuration) {
    const exec = configuration.executeCommandConfiguration;
    if (isRecord(exec)) {
      session.rewriteKmsKey(
        exec,
        'kmsKeyId',
        `${at}.executeCommandConfiguration.kmsKeyId`,
        `Cluster ${clusterName} (ECS Exec)`,
      );
      const group = isRecord(exec.logConfiguration)
        ? exec.logConfiguration.cloudWatchLogGroupName
        : undefined;
      if (typeof group === 'string' && group !== '') session.logGroups.add(group);
    }
    const storage = configuration.managedStorageConfiguration;
    if (isRecord(storage)) {
      for (const key of ['kmsKeyId', 'fargateEphemeralStorageKmsKeyId']) {
        const label = `Cluster ${clusterName} (managed storage)`;
        session.rewriteKmsKey(storage, key, `${at}.managedStorageConfiguration.${key}`, label);
      }
    }
    session.moveRemainingReferences(configuration, at);
  }
  const recordProviders = record?.capacityProviders ?? [];
  for (const provider of recordProviders.filter((p) => !isFargateProvider(p))) {
    session.report('capacityProviders', {
      severity: 'warning',
      code: 'CAPACITY_PROVIDER_NOT_IN_DR',
      resource: provider,
      message: `Cluster ${clusterName} uses capacity provider "${provider}" (an Auto Scaling group), which Lifeboat cannot create; the cluster is created without it.`,
      fix: `Create the Auto Scaling group and capacity provider "${provider}" in ${ctx.drRegion} and attach it to cluster ${clusterName}.`,
    });
  }
  const usedByServices = draft.restorable.flatMap((s) => {
    const strategy = s.createServiceInput.capacityProviderStrategy;
    return Array.isArray(strategy)
      ? strategy.flatMap((item) => {
          const provider = (item as { capacityProvider?: unknown }).capacityProvider;
          return typeof provider === 'string' ? [provider] : [];
        })
      : [];
  });
  const capacityProviders = [...new Set([...recordProviders, ...usedByServices])]
    .filter(isFargateProvider)
    .sort(compareText);
  const sourceNamespace = record?.serviceConnectNamespace;
  const mappedNamespace = sourceNamespace
    ? serviceConnectNamespace(sourceNamespace, cloudMapContextOf(manifest, ctx))
    : undefined;
  const namespace = mappedNamespace?.drNamespace;
  if (sourceNamespace && namespace === undefined) {
    session.report('serviceConnectDefaults', {
      severity: 'warning',
      code: 'SERVICE_CONNECT_NAMESPACE_NOT_MAPPED',
      resource: sourceNamespace,
      message: `Cluster ${clusterName}'s default Service Connect namespace ${mappedNamespace?.source ? `"${mappedNamespace.source.name}" ` : ''}(${sourceNamespace}) has no counterpart in ${ctx.drRegion}; the cluster is created without a default namespace.`,
      fix: missingNamespaceFix(mappedNamespace?.source, ctx.drRegion, sourceNamespace),
    });
  }
  findings.push(...session.findings);
  for (const group of session.logGroups) logGroups.add(group);
  const { tags, finding: tagFinding } = provenanceTags(
    record?.tags ?? [],
    { deploymentId: ctx.deploymentId, recoveryPointId: manifest.id },
    clusterName,
    `Cluster ${clusterName}`,
  );
  if (tagFinding) findings.push(tagFinding);
  return {
    clusterName,
    action: 'create',
    services,
    createInput: {
      clusterName,
      settings: record?.settings ?? [],
      ...(configuration ? { configuration } : {}),
      capacityProviders,
      defaultCapacityProviderStrategy: (record?.defaultCapacityProviderStrategy ?? []).filter((s) =>
        capacityProviders.includes(s.capacityProvider),
      ),
      ...(namespace ? { serviceConnectDefaults: { namespace } } : {}),
      tags,
    },
  };
}

type ServiceFinding = Omit<Finding, 'service'>;

/**
 * Adds the service's pending access points to `plans` with the definition the recovery
 * point recorded; one without a record cannot be recreated faithfully (error).
 */
function collectAccessPoints(
  pending: readonly PendingAccessPoint[],
  key: string,
  efsRecords: ReadonlyMap<string, EfsFileSystemRecord>,
  plans: Map<string, AccessPointPlan & { services: string[] }>,
  drRegion: string,
  provenance: Provenance,
): ServiceFinding[] {
  const findings: ServiceFinding[] = [];
  for (const ap of pending) {
    const definition = efsRecords
      .get(ap.sourceFileSystemId)
      ?.accessPoints.find((a) => a.sourceAccessPointId === ap.sourceAccessPointId);
    if (!definition) {
      findings.push({
        severity: 'error',
        code: 'EFS_ACCESS_POINT_NOT_IN_RECOVERY_POINT',
        resource: ap.sourceAccessPointId,
        message: `EFS access point ${ap.sourceAccessPointId} has no record in the recovery point, so it cannot be recreated on ${ap.drFileSystemId} with the same root directory and POSIX user.`,
        fix: `Create it on ${ap.drFileSystemId} in ${drRegion} tagged ${SOURCE_ID_TAG}=${ap.sourceAccessPointId}, then run the restore again.`,
      });
      continue;
    }
    const existing = plans.get(ap.sourceAccessPointId);
    if (existing) {
      existing.services.push(key);
      continue;
    }
    const tagged = provenanceTags(
      [
        { key: SOURCE_ID_TAG, value: ap.sourceAccessPointId },
        ...definition.tags.filter((t) => t.key !== SOURCE_ID_TAG),
      ],
      provenance,
      ap.sourceAccessPointId,
      `EFS access point ${ap.sourceAccessPointId}`,
    );
    if (tagged.finding) findings.push(tagged.finding);
    plans.set(ap.sourceAccessPointId, {
      ...ap,
      ...(definition.rootDirectory ? { rootDirectory: definition.rootDirectory } : {}),
      ...(definition.posixUser ? { posixUser: definition.posixUser } : {}),
      tags: tagged.tags,
      services: [key],
    });
  }
  return findings;
}

/**
 * The log groups the restorable services write to: `existing` ones are left as they are; the
 * others are created with the primary group's retention and tags (the recovery point's
 * `logGroups`, absent in older ones) and its KMS key mapped to DR (`drLogGroupKey`, whose
 * LOG_GROUP_KEY_NOT_MAPPED warning is added to `findings`).
 */
function planLogGroups(
  names: readonly string[],
  manifest: Manifest,
  ctx: PlanContext,
  provenance: Provenance,
  findings: Finding[],
): LogGroupPlan[] {
  const known = new Set(ctx.inventory.logGroups ?? []);
  const records = new Map((manifest.logGroups ?? []).map((g) => [g.logGroupName, g]));
  return [...names].sort(compareText).map((logGroupName): LogGroupPlan => {
    const record = records.get(logGroupName);
    if (known.has(logGroupName)) {
      const retention = ctx.inventory.logGroupRetention;
      const drRetention =
        retention && Object.hasOwn(retention, logGroupName) ? retention[logGroupName] : undefined;
      if (record && retention && drRetention !== record.retentionInDays) {
        const days = (d: number | undefined) => (d === undefined ? 'never expire' : `${d} days`);
        findings.push({
          severity: 'info',
          code: 'LOG_GROUP_RETENTION_DIFFERS',
          resource: logGroupName,
          message: `Log group ${logGroupName} exists in ${ctx.drRegion} with a retention of ${days(drRetention)}; in ${manifest.source.region} it was ${days(record.retentionInDays)}. The restore leaves the existing group as it is.`,
          fix: `Set the retention of ${logGroupName} in ${ctx.drRegion} by hand if it should match (PutRetentionPolicy), or nothing if the DR setting is intended.`,
        });
      }
      return { logGroupName, action: 'existing', tags: withProvenance([], provenance).tags };
    }
    const tagged = provenanceTags(record?.tags ?? [], provenance, logGroupName, `Log group ${logGroupName}`);
    if (tagged.finding) findings.push(tagged.finding);
    const key = record
      ? drLogGroupKey(record, {
          primaryRegion: manifest.source.region,
          drRegion: ctx.drRegion,
          kmsKeys: ctx.mappings.kmsKeys,
        })
      : {};
    if (key.finding) findings.push(key.finding);
    return {
      logGroupName,
      action: 'create',
      tags: tagged.tags,
      ...(record?.retentionInDays !== undefined ? { retentionInDays: record.retentionInDays } : {}),
      ...(key.kmsKeyId !== undefined ? { kmsKeyId: key.kmsKeyId } : {}),
      ...(record?.kmsKeyId !== undefined ? { sourceKmsKeyId: record.kmsKeyId } : {}),
    };
  });
}

/** A DR file system named by `mappings.efsFileSystems` is one the operator runs in DR, not a replica. */
function isReplica(
  fs: Pick<EfsFailoverPlan, 'sourceFileSystemId' | 'drFileSystemId'>,
  ctx: PlanContext,
): boolean {
  return ctx.mappings.efsFileSystems[fs.sourceFileSystemId] !== fs.drFileSystemId;
}

/**
 * Per EFS replica the restorable services mount: a warning that the tasks will mount it
 * read-only unless the input promotes it, or (with `promoteFileSystems`) an info naming the
 * replication the restore deletes. Promotion is a one-way decision (the primary stops
 * replicating), so the plan says it before anything is changed.
 */
function efsPromotionFindings(fileSystems: readonly EfsFailoverPlan[], ctx: PlanContext): Finding[] {
  return fileSystems
    .filter((fs) => isReplica(fs, ctx))
    .map((fs): Finding => {
      const used = `used by ${fs.services.join(', ')}`;
      return fs.promote
        ? {
            severity: 'info',
            code: 'EFS_PROMOTED',
            resource: fs.drFileSystemId,
            message: `The replication of EFS file system ${fs.sourceFileSystemId} to its replica ${fs.drFileSystemId} (${used}) will be deleted, which makes the replica writable ("promoteFileSystems": true). The primary stops replicating to it.`,
            fix: `To protect the data again, create replication from ${fs.drFileSystemId} (to another region, or back to the primary once it is up).`,
          }
        : {
            severity: 'warning',
            code: 'EFS_NOT_PROMOTED',
            resource: fs.drFileSystemId,
            message: `The tasks will mount the replica ${fs.drFileSystemId} of EFS file system ${fs.sourceFileSystemId} (${used}) read-only: its replication from the primary is left in place.`,
            fix: `If the services must write to it, restore with "promoteFileSystems": true (lifeboat failover --promote-file-systems): that deletes the replication, so the replica becomes writable and the primary stops replicating to it; re-protecting means creating replication again from ${fs.drFileSystemId}.`,
          };
    });
}

function efsMappings(manifest: Manifest, ctx: PlanContext): Record<string, string> {
  return Object.fromEntries([
    ...manifest.volumes.efs.flatMap((fs) =>
      fs.drFileSystemId ? [[fs.sourceFileSystemId, fs.drFileSystemId]] : [],
    ),
    ...Object.entries(ctx.mappings.efsFileSystems),
  ]);
}

function accessPointMappings(ctx: PlanContext): Record<string, string> {
  return Object.fromEntries(
    ctx.inventory.efsAccessPoints.flatMap((ap) =>
      ap.sourceAccessPointId ? [[ap.sourceAccessPointId, ap.accessPointId]] : [],
    ),
  );
}

/**
 * Plans a restore of `manifest` into the DR region: selects the services, retargets their
 * task definitions and CreateService inputs, maps network and load balancing, decides per
 * service create / update / unchanged, plans its EBS volumes (managed ones attached by ECS from
 * their DR snapshots, standalone ones created in the mapped DR zone), lists the shared
 * resources to prepare and orders the services in waves, with readiness findings. Pure and
 * deterministic.
 *
 * Throws RecoveryPointUnusableError (see `checkRecoveryPointUsable`) and
 * NoServicesSelectedError when the input's patterns select no captured service.
 */
export function planRestore(manifest: Manifest, input: RestoreInput, ctx: PlanContext): RestorePlan {
  checkRecoveryPointUsable(manifest, input, ctx);
  const allKeys = manifest.services.map(serviceKey).sort(compareText);
  const selected = manifest.services
    .filter((s) => isServiceSelected(serviceKey(s), input))
    .sort((a, b) => compareText(serviceKey(a), serviceKey(b)));
  if (selected.length === 0) {
    throw new NoServicesSelectedError(manifest.id, input.services, allKeys, input.exclude);
  }

  const findings: Finding[] = [];
  if (manifest.status === 'partial') {
    findings.push({
      severity: 'warning',
      code: 'RECOVERY_POINT_PARTIAL',
      resource: manifest.id,
      message: `Recovery point ${manifest.id} is partial (${manifest.errors.length} backup error(s)); it is restored because "allowPartial" is true.`,
      fix: 'Review the CAPTURE_ERROR and SERVICE_NOT_CAPTURED findings.',
    });
  }
  for (const skipped of ctx.passedOver ?? []) {
    findings.push({
      severity: 'warning',
      code: 'NEWER_RECOVERY_POINT_UNVERIFIED',
      resource: skipped.id,
      message: `Recovery point ${skipped.id} is newer but did not verify (${skipped.code}): ${skipped.message}`,
      fix: `"latest" used ${manifest.id}, the newest one that verifies. Find out who wrote ${skipped.id} (the catalog's S3 server access logs) before trusting the catalog again.`,
    });
  }
  findings.push(...uncapturedServiceFindings(manifest, input, new Set(allKeys)));
  if (ctx.rolePolicies) {
    findings.push(
      ...rolePolicyFindings(ctx.rolePolicies, {
        primaryRegion: manifest.source.region,
        drRegion: ctx.drRegion,
      }),
    );
  }
  const provenance: Provenance = { deploymentId: ctx.deploymentId, recoveryPointId: manifest.id };
  const adoptKeys = new Set(input.adopt);
  findings.push(...adoptFindings(input.adopt, new Set(selected.map(serviceKey)), ctx.inventory));

  const retargetCtx: RetargetContext = {
    account: ctx.account,
    primaryRegion: manifest.source.region,
    drRegion: ctx.drRegion,
    secretMappings: ctx.mappings.secrets,
    drSecretArns: ctx.inventory.secretArns,
    drParameterArns: ctx.inventory.parameterArns,
    images: manifest.images,
    efsFileSystems: efsMappings(manifest, ctx),
    efsAccessPoints: accessPointMappings(ctx),
  };
  const taskDefinitions = new Map(manifest.taskDefinitions.map((td) => [td.sourceArn, td]));
  const efsRecords = new Map(manifest.volumes.efs.map((fs) => [fs.sourceFileSystemId, fs]));

  const cloudMap = cloudMapContextOf(manifest, ctx);
  const registryCreations = new Map<string, Omit<CloudMapServiceCreationPlan, 'services'>>();
  const creations = planTargetGroupCreations(manifest, selected, ctx, provenance);
  const createdTargetGroups = new Map(
    [...creations].flatMap(([arn, c]) => (c.creation ? [[arn, c.creation.vpcId] as const] : [])),
  );
  const services: ServicePlan[] = [];
  const fileSystems = new Map<string, Omit<EfsFailoverPlan, 'promote'> & { services: string[] }>();
  const accessPoints = new Map<string, AccessPointPlan & { services: string[] }>();
  for (const service of selected) {
    const key = serviceKey(service);
    const own: ServiceFinding[] = [];
    const sourceDesiredCount =
      typeof service.createInput.desiredCount === 'number' ? service.createInput.desiredCount : 0;
    const desiredCount = scaledDesiredCount(sourceDesiredCount, input.desiredCountPercent);
    const record = taskDefinitions.get(service.taskDefinitionArn);
    const td = record ? retargetTaskDefinition(record.registerInput, retargetCtx) : undefined;
    const tdTags =
      record && td
        ? provenanceTags(
            (td.registerInput.tags as Tag[] | undefined) ?? [],
            provenance,
            record.sourceArn,
            `Task definition ${record.sourceArn}`,
          )
        : undefined;
    if (tdTags?.finding) own.push(tdTags.finding);
    if (!record) {
      own.push({
        severity: 'error',
        code: 'TASK_DEFINITION_NOT_IN_RECOVERY_POINT',
        resource: service.taskDefinitionArn,
        message: `Task definition ${service.taskDefinitionArn} of service ${key} is not in the recovery point.`,
        fix: 'Restore the service from another recovery point (`lifeboat recovery-points list`).',
      });
    }
    if (record?.sealedEnvironment) own.push(secretInEnvironmentFinding(record));
    if (service.scaling) own.push(...scalingFindings(service.scaling));
    const svc = retargetService(service.createInput, {
      ...retargetCtx,
      recoveryPointId: manifest.id,
      deploymentId: ctx.deploymentId,
      drClusterName: service.clusterName,
      desiredCount,
      mappings: ctx.mappings,
      network: manifest.network,
      inventory: ctx.inventory,
      createdTargetGroups,
      cloudMap,
      ebsVolumes: manifest.volumes.ebs.filter(
        (v) => v.clusterName === service.clusterName && v.serviceName === service.serviceName,
      ),
    });
    const volumes = planServiceVolumes(
      manifest.volumes.ebs.filter((v) => serviceKey(v) === key),
      svc.createServiceInput,
      {
        recoveryPointId: manifest.id,
        deploymentId: ctx.deploymentId,
        service: key,
        sourceRegion: manifest.source.region,
        drRegion: ctx.drRegion,
        mapping: ctx.mappings.availabilityZones,
        ...(ctx.inventory.availabilityZones ? { zones: ctx.inventory.availabilityZones } : {}),
      },
    );
    own.push(...volumes.findings);
    own.push(
      ...collectAccessPoints(
        td?.pendingAccessPoints ?? [],
        key,
        efsRecords,
        accessPoints,
        ctx.drRegion,
        provenance,
      ),
    );
    const {
      action,
      adopt,
      finding: actionFinding,
    } = actionFor(key, desiredCount, manifest.id, ctx, adoptKeys);
    if (actionFinding) own.push(actionFinding);
    for (const arn of svc.pendingTargetGroups) own.push(...(creations.get(arn)?.findings ?? []));
    for (const c of svc.registryCreations) registryCreations.set(c.sourceServiceArn, c);
    const serviceFindings: Finding[] = [
      ...[...(td?.findings ?? []), ...svc.findings, ...own].map((f) => ({ ...f, service: key })),
      ...relevantCaptureErrors(
        manifest,
        service,
        new Set(record?.registerInput.containerDefinitions.map((c) => c.image)),
      ),
    ];
    findings.push(...serviceFindings);
    const blockedBy = [
      ...new Set(serviceFindings.filter((f) => f.severity === 'error').map((f) => f.code)),
    ].sort(compareText);
    if (blockedBy.length === 0) {
      for (const fs of td?.efsFileSystems ?? []) {
        const entry = fileSystems.get(fs.sourceFileSystemId);
        if (entry) entry.services.push(key);
        else fileSystems.set(fs.sourceFileSystemId, { ...fs, services: [key] });
      }
    }
    services.push({
      key,
      clusterName: service.clusterName,
      serviceName: service.serviceName,
      wave: service.wave,
      action,
      adopt,
      blocked: blockedBy.length > 0,
      blockedBy,
      sourceDesiredCount,
      desiredCount,
      ...(record && td
        ? {
            taskDefinition: {
              family: record.family,
              sourceArn: record.sourceArn,
              registerInput: { ...td.registerInput, tags: tdTags?.tags ?? [] },
              ...(record.sealedEnvironment
                ? { sealedEnvironment: maskedVariables(record.sealedEnvironment) }
                : {}),
            },
          }
        : {}),
      createServiceInput: svc.createServiceInput,
      changes: [
        ...(td?.changes ?? []).map((c) => ({ ...c, path: `taskDefinition.${c.path}` })),
        ...svc.changes.map((c) => ({ ...c, path: `service.${c.path}` })),
      ],
      images: td?.images ?? [],
      logGroups: [...new Set([...(td?.logGroups ?? []), ...svc.logGroups])].sort(compareText),
      roles: [...new Set([...(td?.roles ?? []), ...svc.roles])].sort(compareText),
      pendingAccessPoints: (td?.pendingAccessPoints ?? []).map((p) => p.sourceAccessPointId),
      pendingTargetGroups: svc.pendingTargetGroups,
      pendingRegistries: svc.pendingRegistries,
      volumes: volumes.volumes,
      ...(service.scaling
        ? {
            scaling: retargetScaling(service.scaling, {
              sourceClusterName: service.clusterName,
              drClusterName: service.clusterName,
              serviceName: service.serviceName,
              desiredCountPercent: input.desiredCountPercent,
            }),
          }
        : {}),
    });
  }

  const restorable = services.filter((s) => !s.blocked);
  const restorableKeys = new Set(restorable.map((s) => s.key));
  const clusterDrafts = new Map<string, ClusterDraft>();
  for (const s of services) {
    const draft = clusterDrafts.get(s.clusterName) ?? {
      record: manifest.clusters.find((c) => c.clusterName === s.clusterName),
      services: [],
      restorable: [],
    };
    draft.services.push(s.key);
    if (!s.blocked) draft.restorable.push(s);
    clusterDrafts.set(s.clusterName, draft);
  }
  const logGroupNames = new Set(restorable.flatMap((s) => s.logGroups));
  const clusters = [...clusterDrafts.keys()]
    .sort(compareText)
    .map((name) =>
      planCluster(name, clusterDrafts.get(name) as ClusterDraft, manifest, ctx, findings, logGroupNames),
    );
  const logGroups = planLogGroups([...logGroupNames], manifest, ctx, provenance, findings);
  const efsAccessPoints = [...accessPoints.values()]
    .map((ap) => ({ ...ap, services: ap.services.filter((k) => restorableKeys.has(k)).sort(compareText) }))
    .filter((ap) => ap.services.length > 0)
    .sort((a, b) => compareText(a.sourceAccessPointId, b.sourceAccessPointId));
  const efsFileSystems = [...fileSystems.values()]
    .map((fs) => ({
      ...fs,
      services: [...fs.services].sort(compareText),
      promote: input.promoteFileSystems && isReplica(fs, ctx),
    }))
    .sort((a, b) => compareText(a.sourceFileSystemId, b.sourceFileSystemId));
  findings.push(...efsPromotionFindings(efsFileSystems, ctx));
  const targetGroups = [...creations.values()]
    .flatMap((c) => (c.creation ? [c.creation] : []))
    .map((c) => ({
      ...c,
      services: restorable
        .filter((s) => s.pendingTargetGroups.includes(c.sourceTargetGroupArn))
        .map((s) => s.key)
        .sort(compareText),
    }))
    .filter((c) => c.services.length > 0)
    .sort((a, b) => compareText(a.sourceTargetGroupArn, b.sourceTargetGroupArn));
  const cloudMapServices = [...registryCreations.values()]
    .map((c) => ({
      ...c,
      services: restorable
        .filter((s) => s.pendingRegistries.includes(c.sourceServiceArn))
        .map((s) => s.key)
        .sort(compareText),
    }))
    .filter((c) => c.services.length > 0)
    .sort((a, b) => compareText(a.sourceServiceArn, b.sourceServiceArn));
  const waveNumbers = [...new Set(services.map((s) => s.wave))].sort((a, b) => a - b);
  const sortedFindings = sortFindings(findings);

  return {
    planVersion: 1,
    recoveryPoint: {
      id: manifest.id,
      status: manifest.status,
      startedAt: manifest.startedAt,
      completedAt: manifest.completedAt,
      sourceRegion: manifest.source.region,
      sourceAccount: manifest.source.account,
    },
    target: { region: ctx.drRegion, account: ctx.account },
    input,
    clusters,
    logGroups,
    efsFileSystems,
    efsAccessPoints,
    targetGroups,
    cloudMapServices,
    ...(manifest.secrets
      ? { secrets: planSecretSources(manifest.secrets, ctx.mappings.secrets, ctx.inventory.secretArns) }
      : {}),
    roles: [...new Set(restorable.flatMap((s) => s.roles))].sort(compareText),
    services,
    waves: waveNumbers.map((wave) => ({
      wave,
      services: services.filter((s) => s.wave === wave).map((s) => s.key),
    })),
    findings: sortedFindings,
    totals: {
      services: services.length,
      restorable: restorable.length,
      blocked: services.length - restorable.length,
      create: restorable.filter((s) => s.action === 'create').length,
      update: restorable.filter((s) => s.action === 'update').length,
      unchanged: restorable.filter((s) => s.action === 'unchanged').length,
      desiredTasks: restorable.reduce((sum, s) => sum + s.desiredCount, 0),
      clustersToCreate: clusters.filter((c) => c.createInput !== undefined).length,
      logGroupsToCreate: logGroups.filter((g) => g.action === 'create').length,
      accessPointsToCreate: efsAccessPoints.length,
      targetGroupsToCreate: targetGroups.length,
      cloudMapServicesToCreate: cloudMapServices.length,
      volumesToCreate: restorable.flatMap((s) => s.volumes).filter((v) => v.action === 'create').length,
      volumesAttachedByEcs: restorable.flatMap((s) => s.volumes).filter((v) => v.action === 'attach').length,
      findings: countBySeverity(sortedFindings),
    },
  };
}
