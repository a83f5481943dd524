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
import { type DrInventory, RECOVERY_POINT_TAG, SOURCE_ID_TAG } from '../fleet/inventory';
import { isFargateProvider, isRecord, type RetargetChange, RetargetSession } from '../fleet/retarget/refs';
import { type DrCreateServiceInput, retargetService } from '../fleet/retarget/service';
import { retargetTaskDefinition } from '../fleet/retarget/task-definition';
import type { PendingAccessPoint, RetargetContext } from '../fleet/retarget/task-definition/rule';
import { parseArn } from '../kernel/arns';
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

/** Where and into what the restore is planned. */
export interface PlanContext {
  /** Region the restore workflow runs in; the recovery point must target it. */
  readonly drRegion: string;
  /** Account restored into; the recovery point's source account (DR is same-account). */
  readonly account: string;
  /** `config.mappings`: explicit primary → DR ids for what tags and names cannot map. */
  readonly mappings: LifeboatConfig['mappings'];
  readonly inventory: DrInventory;
  /** The deployment restoring: tagged on the volumes the restore creates. @default - not tagged */
  readonly deploymentId?: string;
  /**
   * Newer recovery points "latest" passed over because they did not verify (damaged, unsigned,
   * forged): each becomes a warning. @default - none
   */
  readonly passedOver?: readonly { readonly id: string; readonly code: string; readonly message: string }[];
}

export type ServiceAction = 'create' | 'update' | 'unchanged';

export interface ServicePlan {
  /** "cluster/service" (the same in both regions). */
  readonly key: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly wave: number;
  /** From the DR inventory: no service (or INACTIVE) → create; ACTIVE → update, or unchanged when already restored from this recovery point with this desired count. */
  readonly action: ServiceAction;
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
    registerInput: RegisterTaskDefinitionInputRecord;
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
  /**
   * The service's EBS volumes in the recovery point: managed ones ECS attaches from their DR
   * snapshot, standalone ones the restore creates (before the service) in the mapped DR zone.
   */
  readonly volumes: VolumePlan[];
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
  /** `create` when the inventory lacks it or could not list log groups (creating is then idempotent). */
  readonly action: 'create' | 'existing';
}

export interface EfsFailoverPlan {
  readonly sourceFileSystemId: string;
  /** The DR replica: delete its replication configuration to make it writable. */
  readonly drFileSystemId: string;
  readonly services: string[];
}

export interface AccessPointPlan extends PendingAccessPoint {
  readonly rootDirectory?: Record<string, unknown>;
  readonly posixUser?: Record<string, unknown>;
  /** Source tags plus `lifeboat:source-id=<source access point id>`, so a re-run finds it. */
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
  /** IAM roles the restore passes to ECS (its iam:PassRole must allow them). */
  readonly roles: string[];
  readonly services: ServicePlan[];
  /** Ascending by wave. */
  readonly waves: WavePlan[];
  readonly findings: Finding[];
  readonly totals: PlanTotals;
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

function scaledDesiredCount(source: number, percent: number): number {
  return source <= 0 ? 0 : Math.ceil((source * percent) / 100);
}

function actionFor(
  key: string,
  desiredCount: number,
  manifestId: string,
  inventory: DrInventory,
): { action: ServiceAction; finding?: ServiceFinding } {
  const existing = Object.hasOwn(inventory.services, key) ? inventory.services[key] : undefined;
  if (existing === undefined || existing.status === 'INACTIVE') return { action: 'create' };
  if (existing.status === 'DRAINING') {
    return {
      action: 'create',
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
  if (restoredFrom === manifestId && existing.desiredCount === desiredCount) return { action: 'unchanged' };
  return {
    action: 'update',
    finding: {
      severity: 'info',
      code: 'SERVICE_EXISTS',
      resource: key,
      message: `Service ${key} already exists in the DR region (${existing.status}, task definition ${existing.taskDefinitionArn ?? 'unknown'}${restoredFrom ? `, restored from ${restoredFrom}` : ''}); the restore updates it to this recovery point's task definition and a desired count of ${desiredCount}.`,
      fix: 'Nothing to do if replacing the running DR service is intended; otherwise exclude it with "exclude".',
    },
  };
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
        (e.resourceType === 'taskDefinition' && e.resourceId === service.taskDefinitionArn),
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
  const namespace = record?.serviceConnectNamespace;
  const namespaceArn = namespace ? parseArn(namespace) : undefined;
  if (namespace && namespaceArn && namespaceArn.region !== ctx.drRegion) {
    session.report('serviceConnectDefaults', {
      severity: 'warning',
      code: 'SERVICE_CONNECT_NAMESPACE_NOT_MAPPED',
      resource: namespace,
      message: `Cluster ${clusterName}'s default Service Connect namespace is named by a primary-region ARN, which cannot be mapped; the cluster is created without a default namespace.`,
      fix: `Set the cluster's default Service Connect namespace in ${ctx.drRegion} after the restore.`,
    });
  }
  findings.push(...session.findings);
  for (const group of session.logGroups) logGroups.add(group);
  const tags = (record?.tags ?? []).filter((t) => t.key !== RECOVERY_POINT_TAG);
  if (tags.length < 50) tags.push({ key: RECOVERY_POINT_TAG, value: manifest.id });
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
      ...(namespace && !namespaceArn ? { serviceConnectDefaults: { namespace } } : {}),
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
    plans.set(ap.sourceAccessPointId, {
      ...ap,
      ...(definition.rootDirectory ? { rootDirectory: definition.rootDirectory } : {}),
      ...(definition.posixUser ? { posixUser: definition.posixUser } : {}),
      tags: [
        ...definition.tags.filter((t) => t.key !== SOURCE_ID_TAG),
        { key: SOURCE_ID_TAG, value: ap.sourceAccessPointId },
      ],
      services: [key],
    });
  }
  return findings;
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

  const services: ServicePlan[] = [];
  const fileSystems = new Map<string, EfsFailoverPlan & { services: string[] }>();
  const accessPoints = new Map<string, AccessPointPlan & { services: string[] }>();
  for (const service of selected) {
    const key = serviceKey(service);
    const own: ServiceFinding[] = [];
    const sourceDesiredCount =
      typeof service.createInput.desiredCount === 'number' ? service.createInput.desiredCount : 0;
    const desiredCount = scaledDesiredCount(sourceDesiredCount, input.desiredCountPercent);
    const record = taskDefinitions.get(service.taskDefinitionArn);
    const td = record ? retargetTaskDefinition(record.registerInput, retargetCtx) : undefined;
    if (!record) {
      own.push({
        severity: 'error',
        code: 'TASK_DEFINITION_NOT_IN_RECOVERY_POINT',
        resource: service.taskDefinitionArn,
        message: `Task definition ${service.taskDefinitionArn} of service ${key} is not in the recovery point.`,
        fix: 'Restore the service from another recovery point (`lifeboat recovery-points list`).',
      });
    }
    const svc = retargetService(service.createInput, {
      ...retargetCtx,
      recoveryPointId: manifest.id,
      drClusterName: service.clusterName,
      desiredCount,
      mappings: ctx.mappings,
      network: manifest.network,
      inventory: ctx.inventory,
      ebsVolumes: manifest.volumes.ebs.filter(
        (v) => v.clusterName === service.clusterName && v.serviceName === service.serviceName,
      ),
    });
    const volumes = planServiceVolumes(
      manifest.volumes.ebs.filter((v) => serviceKey(v) === key),
      svc.createServiceInput,
      {
        recoveryPointId: manifest.id,
        ...(ctx.deploymentId ? { deploymentId: ctx.deploymentId } : {}),
        service: key,
        sourceRegion: manifest.source.region,
        drRegion: ctx.drRegion,
        mapping: ctx.mappings.availabilityZones,
        ...(ctx.inventory.availabilityZones ? { zones: ctx.inventory.availabilityZones } : {}),
      },
    );
    own.push(...volumes.findings);
    own.push(
      ...collectAccessPoints(td?.pendingAccessPoints ?? [], key, efsRecords, accessPoints, ctx.drRegion),
    );
    const { action, finding: actionFinding } = actionFor(key, desiredCount, manifest.id, ctx.inventory);
    if (actionFinding) own.push(actionFinding);
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
      blocked: blockedBy.length > 0,
      blockedBy,
      sourceDesiredCount,
      desiredCount,
      ...(record && td
        ? {
            taskDefinition: {
              family: record.family,
              sourceArn: record.sourceArn,
              registerInput: td.registerInput,
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
      volumes: volumes.volumes,
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
  const knownLogGroups = new Set(ctx.inventory.logGroups ?? []);
  const logGroups = [...logGroupNames].sort(compareText).map(
    (logGroupName): LogGroupPlan => ({
      logGroupName,
      action: knownLogGroups.has(logGroupName) ? 'existing' : 'create',
    }),
  );
  const efsAccessPoints = [...accessPoints.values()]
    .map((ap) => ({ ...ap, services: ap.services.filter((k) => restorableKeys.has(k)).sort(compareText) }))
    .filter((ap) => ap.services.length > 0)
    .sort((a, b) => compareText(a.sourceAccessPointId, b.sourceAccessPointId));
  const efsFileSystems = [...fileSystems.values()]
    .map((fs) => ({ ...fs, services: [...fs.services].sort(compareText) }))
    .sort((a, b) => compareText(a.sourceFileSystemId, b.sourceFileSystemId));
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
      volumesToCreate: restorable.flatMap((s) => s.volumes).filter((v) => v.action === 'create').length,
      volumesAttachedByEcs: restorable.flatMap((s) => s.volumes).filter((v) => v.action === 'attach').length,
      findings: countBySeverity(sortedFindings),
    },
  };
}
