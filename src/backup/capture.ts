import type { AwsClients } from '../aws/clients';
import { newRecoveryPointId } from '../catalog/keys';
import type {
  ClusterRecord,
  ImageRecord,
  LogGroupRecord,
  ManifestBody,
  NetworkRecord,
  ResourceError,
  ResourceType,
  SecretReplicationRecord,
  ServiceRecord,
  TaskDefinitionRecord,
} from '../catalog/manifest';
import { CATALOG_KEY_ALIAS } from '../catalog/names';
import { deploymentIdOf, type LifeboatConfig } from '../config/schema';
import {
  type CapturedCluster,
  type CapturedService,
  type CapturedTaskDefinition,
  type ContainerImage,
  captureTaskDefinitions,
  describeClusterList,
  listClusterArns,
  selectServices,
} from '../fleet/aws/capture';
import { describeCloudMap } from '../fleet/aws/cloud-map';
import { describeTargetGroups } from '../fleet/aws/load-balancing';
import { describeLogGroups } from '../fleet/aws/log-groups';
import { describeNetwork } from '../fleet/aws/network';
import { captureScaling } from '../fleet/aws/scaling';
import { replicateSecrets } from '../fleet/aws/secret-replication';
import { sealEnvironment } from '../fleet/aws/secrets';
import { DescribeShapeError, EnvironmentSealError } from '../fleet/errors';
import { logGroupsWritten } from '../fleet/log-groups';
import { targetGroupArnsOf } from '../fleet/retarget/target-groups';
import { readWave, restorableTags } from '../fleet/sanitise';
import { secretReferencesOf } from '../fleet/secret-references';
import { secretTest } from '../fleet/secrets';
import { type DigestResolution, imageRefKey, resolveRepositoryDigests } from '../images/aws/digests';
import { InvalidImageReferenceError } from '../images/errors';
import { ecrImageUri, type ImageReference, parseImageReference } from '../images/references';
import { mapConcurrent } from '../kernel/concurrency';
import type { Logger } from '../kernel/logger';
import { discoverVolumes } from '../volumes/ebs/aws/discovery';
import type { VolumeCopyState } from '../volumes/ebs/model';
import { captureEfs } from '../volumes/efs/aws/capture';
import { NothingToBackUpError } from './errors';
import { discoveryServices, snapshotVolumes } from './volumes';

/** Describe calls in flight at once, per capture. */
export const DEFAULT_CAPTURE_CONCURRENCY = 8;

export interface CaptureDeps {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - no logging */
  readonly log?: Logger;
  /** Describe calls in flight at once. @default 8 */
  readonly concurrency?: number;
  /**
   * LOCAL RUNS ONLY: the emulator has no EFS replication, so a DR file system it creates stands
   * in for each replica (see `captureEfs`). No effect against AWS.
   * @default false
   */
  readonly efsEmulatorFallback?: boolean;
  /**
   * The recovery point's id. Taking it again (a retried step) finds the snapshots already
   * taken for it instead of taking new ones.
   * @default - a new id from the start time
   */
  readonly recoveryPointId?: string;
  /**
   * The catalog's KMS key (alias or ARN, DR region) that seals the environment values matching
   * `capture.secretEnvironment` (`CATALOG_KMS_KEY_ID`).
   * @default 'alias/lifeboat-catalog'
   */
  readonly catalogKeyId?: string;
}

/** Something captured as well as it can be that the restore may need to know (not an error). */
export interface CaptureWarning {
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export interface CaptureCounts {
  readonly clustersListed: number;
  readonly servicesListed: number;
  readonly servicesSelected: number;
}

export interface CaptureResult {
  /**
   * The recovery point content, not sealed yet. Its EBS volume records name the snapshots
   * started in the primary region; their DR copies are added at commit (`applyVolumeCopies`).
   */
  readonly body: ManifestBody;
  /** Where each volume's copy to the DR region starts from. */
  readonly copies: VolumeCopyState;
  readonly warnings: CaptureWarning[];
  readonly counts: CaptureCounts;
}

/** What every capture step shares: where to call, how wide, and where failures go. */
interface Step {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  readonly concurrency: number;
  readonly failures: FailureLog;
}

/** Collects per-resource failures as manifest errors, stamped when they are recorded. */
class FailureLog {
  private readonly errors: ResourceError[] = [];

  constructor(private readonly now: () => Date) {}

  add(resourceType: ResourceType, resourceId: string, code: string, message: string): void {
    this.errors.push({ resourceType, resourceId, code, message, at: this.now().toISOString() });
  }

  sorted(): ResourceError[] {
    return [...this.errors].sort((a, b) =>
      compare(`${a.resourceType} ${a.resourceId}`, `${b.resourceType} ${b.resourceId}`),
    );
  }
}

/**
 * Captures the selected ECS services of the primary region (clusters, services, task
 * definitions, image digests, referenced subnets and security groups, EFS replicas) into a
 * recovery point body, and starts a snapshot of each EBS volume they use (see
 * `discoverVolumes`: one DescribeVolumes when no service has a managed EBS volume
 * configuration). A resource that cannot be captured is recorded in `errors` (the recovery
 * point is then `partial`) and never stops the others. Throws when the clusters cannot be listed,
 * and NothingToBackUpError when no service is selected (before any snapshot is started).
 *
 * Invariant: every `services[].taskDefinitionArn` has its `taskDefinitions[]` record and every
 * container image of those has an `images[]` record.
 */
export async function captureFleet(deps: CaptureDeps): Promise<CaptureResult> {
  const { clients, config, log } = deps;
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const id = deps.recoveryPointId ?? newRecoveryPointId(startedAt);
  const step: Step = {
    clients,
    config,
    concurrency: deps.concurrency ?? DEFAULT_CAPTURE_CONCURRENCY,
    failures: new FailureLog(now),
  };

  const ecs = clients.ecs(config.primaryRegion);
  const clusterArns = await listClusterArns(ecs);
  const listed = await describeClusterList(ecs, clusterArns, step.concurrency);
  for (const f of listed.failures) step.failures.add(f.resourceType, f.resourceId, f.code, f.message);
  const { clusters } = listed;
  log?.info('Listed clusters', { recoveryPointId: id, clusters: clusters.length });

  const selection = await selectServices(ecs, clusters, config.selection, step.concurrency);
  for (const f of selection.failures) step.failures.add(f.resourceType, f.resourceId, f.code, f.message);
  const { selected, servicesListed } = selection;
  log?.info('Selected services', { recoveryPointId: id, servicesListed, servicesSelected: selected.length });
  if (selected.length === 0) {
    // Nothing to back up: a recovery point of no service would meet the RPO yet restore nothing.
    throw new NothingToBackUpError({
      region: config.primaryRegion,
      selection: config.selection,
      clustersListed: clusterArns.length,
      servicesListed,
      failures: step.failures.sorted().map((f) => `${f.resourceId}: ${f.message}`),
    });
  }

  const described = await captureTaskDefinitions(ecs, selected, step.concurrency);
  for (const f of described.failures) step.failures.add(f.resourceType, f.resourceId, f.code, f.message);
  const sealed = await sealTaskDefinitions(step, described.taskDefinitions, deps.catalogKeyId);
  const { taskDefinitions } = sealed;
  const { services, warnings } = serviceRecords(step, selected, taskDefinitions);
  warnings.push(...sealed.warnings);
  const used = new Set(services.map((s) => s.taskDefinitionArn));
  const captured = [...taskDefinitions.entries()].filter(([arn]) => used.has(arn)).map(([, td]) => td);
  const images = await captureImages(
    step,
    captured.flatMap((td) => td.images),
  );
  const network = await captureNetwork(step, services);
  const scaled = await captureServiceScaling(step, services);
  warnings.push(...scaled.warnings);
  const logGroups = await captureLogGroups(step, services, captured);
  const secrets = await captureSecrets(
    step,
    captured.map((td) => td.record),
  );
  warnings.push(...secrets.warnings);
  const efs = await captureEfs(clients, {
    primaryRegion: config.primaryRegion,
    drRegion: config.drRegion,
    account: config.account,
    taskDefinitions: captured.map((td) => td.record),
    allowCreateReplication: config.volumes.efs.createReplication,
    mappings: config.mappings.efsFileSystems,
    emulatorFallback: deps.efsEmulatorFallback ?? false,
    now,
  });
  for (const e of efs.errors) step.failures.add(e.resourceType, e.resourceId, e.code, e.message);
  warnings.push(...efs.warnings);
  const ebs = await captureEbs(
    step,
    id,
    services,
    captured.map((td) => td.record),
    now,
  );
  warnings.push(...ebs.warnings);
  const clusterList = clusterRecords(step, clusters, new Set(services.map((s) => s.clusterName)));

  for (const w of warnings)
    log?.warn(w.message, { recoveryPointId: id, resourceId: w.resourceId, code: w.code });
  const errors = step.failures.sorted();
  const body: ManifestBody = {
    schemaVersion: 1,
    id,
    status: errors.length > 0 ? 'partial' : 'complete',
    startedAt: startedAt.toISOString(),
    completedAt: now().toISOString(),
    source: { account: config.account, region: config.primaryRegion },
    target: { region: config.drRegion },
    clusters: clusterList,
    services: scaled.services,
    taskDefinitions: captured.map((td) => td.record).sort((a, b) => compare(a.sourceArn, b.sourceArn)),
    images,
    volumes: { ebs: ebs.records, efs: efs.records },
    network,
    logGroups,
    ...(secrets.records.length > 0 ? { secrets: secrets.records } : {}),
    errors,
  };
  return {
    body,
    copies: ebs.copies,
    warnings,
    counts: { clustersListed: clusterArns.length, servicesListed, servicesSelected: selected.length },
  };
}

/**
 * Seals the environment values of the task definitions that look secret
 * (`capture.secretEnvironment`, see `sealEnvironment`), so they never reach the staging or the
 * manifest in plain text; each task definition that has some gets a warning naming them (names
 * only). One that cannot be sealed is a `taskDefinition` error and is left out (its services
 * then are too) rather than captured in plain text.
 */
async function sealTaskDefinitions(
  step: Step,
  taskDefinitions: ReadonlyMap<string, CapturedTaskDefinition>,
  catalogKeyId: string | undefined,
): Promise<{ taskDefinitions: Map<string, CapturedTaskDefinition>; warnings: CaptureWarning[] }> {
  const { config } = step;
  const isSecret = secretTest(config.capture.secretEnvironment);
  const opts = {
    kms: step.clients.kms(config.drRegion),
    keyId: catalogKeyId ?? CATALOG_KEY_ALIAS,
    deploymentId: deploymentIdOf(config),
  };
  const sealed = new Map<string, CapturedTaskDefinition>();
  const warnings: CaptureWarning[] = [];
  await mapConcurrent([...taskDefinitions], step.concurrency, async ([arn, td]) => {
    let record: TaskDefinitionRecord;
    try {
      record = await sealEnvironment(td.record, isSecret, opts);
    } catch (error) {
      if (!(error instanceof EnvironmentSealError)) throw error;
      step.failures.add('taskDefinition', arn, error.name, error.message);
      return;
    }
    sealed.set(arn, { ...td, record });
    const names = (record.sealedEnvironment ?? []).map((v) => `${v.container}/${v.name}`);
    if (names.length > 0) {
      warnings.push({
        resourceType: 'taskDefinition',
        resourceId: arn,
        code: 'SecretInEnvironment',
        message: `Task definition ${arn} keeps ${names.join(', ')} in plain-text environment variables; their values were sealed with the catalog's KMS key (the restore puts them back). Move them to Secrets Manager or SSM Parameter Store and reference them in the container's "secrets".`,
      });
    }
  });
  return { taskDefinitions: sealed, warnings };
}

/**
 * The Secrets Manager secrets (this account, primary region) the captured task definitions
 * reference: one DescribeSecret each and, with `backup.replicateSecrets`, a
 * ReplicateSecretToRegions for each that has no DR replica (see `replicateSecrets`). No call when
 * none is referenced. Failures are warnings, never errors: the point stays complete and the
 * restore still checks each DR secret exists. A reference by bare name is skipped with a warning.
 */
async function captureSecrets(
  step: Step,
  taskDefinitions: readonly TaskDefinitionRecord[],
): Promise<{ records: SecretReplicationRecord[]; warnings: CaptureWarning[] }> {
  const { config } = step;
  const refs = secretReferencesOf(taskDefinitions, { account: config.account, region: config.primaryRegion });
  const warnings: CaptureWarning[] = refs.names.map((n) => ({
    resourceType: 'secret',
    resourceId: n.valueFrom,
    code: 'SecretReferenceByName',
    message: `Task definition ${n.taskDefinitionArn} references "${n.valueFrom}" by name, not by ARN: the backup does not replicate it (a Secrets Manager secret must be referenced by ARN).`,
  }));
  if (refs.secretArns.length === 0) return { records: [], warnings };
  const replicated = await replicateSecrets({
    secrets: step.clients.secrets(config.primaryRegion),
    primaryRegion: config.primaryRegion,
    drRegion: config.drRegion,
    secretArns: refs.secretArns,
    replicate: config.backup.replicateSecrets,
    kmsKeys: config.mappings.kmsKeys,
    concurrency: step.concurrency,
  });
  warnings.push(...replicated.warnings.map((w) => ({ resourceType: 'secret' as const, ...w })));
  return { records: replicated.records, warnings };
}

/** Finds the services' EBS volumes and starts their snapshots; failures are `volume` errors. */
async function captureEbs(
  step: Step,
  recoveryPointId: string,
  services: readonly ServiceRecord[],
  taskDefinitions: readonly TaskDefinitionRecord[],
  now: () => Date,
): Promise<{ records: ManifestBody['volumes']['ebs']; copies: VolumeCopyState; warnings: CaptureWarning[] }> {
  const { clients, config } = step;
  const discovered = await discoverVolumes(
    clients.ec2(config.primaryRegion),
    clients.ecs(config.primaryRegion),
    discoveryServices(services, taskDefinitions),
    step.concurrency,
  );
  for (const f of discovered.failures) step.failures.add('volume', f.resourceId, f.code, f.message);
  const snapshots = await snapshotVolumes({
    clients,
    config,
    recoveryPointId,
    volumes: discovered.chosen,
    concurrency: step.concurrency,
    now,
  });
  for (const e of snapshots.errors) step.failures.add(e.resourceType, e.resourceId, e.code, e.message);
  return { records: snapshots.records, copies: snapshots.copies, warnings: discovered.warnings };
}

/** Service records, sorted by key; a service whose task definition was not captured is an error. */
function serviceRecords(
  step: Step,
  selected: readonly CapturedService[],
  taskDefinitions: ReadonlyMap<string, CapturedTaskDefinition>,
): { services: ServiceRecord[]; warnings: CaptureWarning[] } {
  const services: ServiceRecord[] = [];
  const warnings: CaptureWarning[] = [];
  for (const service of selected) {
    const { clusterName, serviceName } = service;
    const key = `${clusterName}/${serviceName}`;
    const arn = service.taskDefinitionArn;
    if (!arn) {
      step.failures.add(
        'service',
        key,
        'NoTaskDefinition',
        `Service ${key} names no task definition (deployment controller ${service.deploymentController ?? 'ECS'} with task sets); Lifeboat restores services that run one task definition.`,
      );
      continue;
    }
    if (!taskDefinitions.has(arn)) {
      step.failures.add(
        'service',
        key,
        'TaskDefinitionNotCaptured',
        `Service ${key} is not in this recovery point because its task definition ${arn} could not be captured (see the taskDefinition error).`,
      );
      continue;
    }
    const { restore } = service;
    if (restore instanceof DescribeShapeError) {
      step.failures.add('service', key, restore.name, restore.message);
      continue;
    }
    const wave = readWave(service.tags);
    services.push({
      clusterName,
      serviceName,
      serviceArn: service.serviceArn,
      taskDefinitionArn: arn,
      createInput: restore.input,
      tags: restorableTags(service.tags),
      wave: wave.wave,
    });
    for (const note of restore.notes) warnings.push({ resourceType: 'service', resourceId: key, ...note });
    if (wave.problem) {
      warnings.push({
        resourceType: 'service',
        resourceId: key,
        code: 'InvalidWaveTag',
        message: wave.problem,
      });
    }
  }
  services.sort((a, b) => compare(`${a.clusterName}/${a.serviceName}`, `${b.clusterName}/${b.serviceName}`));
  return { services, warnings };
}

/** Cluster records for the clusters that have a captured service, sorted by name. */
function clusterRecords(
  step: Step,
  clusters: readonly CapturedCluster[],
  wanted: ReadonlySet<string>,
): ClusterRecord[] {
  const records: ClusterRecord[] = [];
  for (const { clusterName, record } of clusters) {
    if (!wanted.has(clusterName)) continue;
    if (record instanceof DescribeShapeError)
      step.failures.add('cluster', clusterName, record.name, record.message);
    else records.push(record);
  }
  return records.sort((a, b) => compare(a.clusterName, b.clusterName));
}

/**
 * The log groups the captured task definitions (awslogs, FireLens cloudwatch) and the services'
 * Service Connect configurations write to in the primary region, with retention, KMS key and tags:
 * one DescribeLogGroups per 50 groups and one ListTagsForResource per group that exists; no call
 * when none writes to CloudWatch Logs. Read failures are `logGroup` errors.
 */
async function captureLogGroups(
  step: Step,
  services: readonly ServiceRecord[],
  taskDefinitions: readonly CapturedTaskDefinition[],
): Promise<LogGroupRecord[]> {
  const { clients, config } = step;
  const names = logGroupsWritten(
    taskDefinitions.map((td) => td.record.registerInput),
    services.map((s) => s.createInput),
    config.primaryRegion,
  );
  if (names.length === 0) return [];
  const { logGroups, failures } = await describeLogGroups(
    clients.logs(config.primaryRegion),
    names,
    step.concurrency,
  );
  for (const f of failures) step.failures.add('logGroup', f.resourceId, f.code, f.message);
  return logGroups;
}

/**
 * The subnets and security groups the services' awsvpc configurations name (one call each), and
 * the target groups their load balancers name with the listener rules that forward to them (no
 * Elastic Load Balancing call when no service has one).
 */
async function captureNetwork(step: Step, services: readonly ServiceRecord[]): Promise<NetworkRecord> {
  const targetGroupArns = services.flatMap((s) => targetGroupArnsOf(s.createInput));
  const discovery = services.map(cloudMapReferencesOf);
  const registryArns = discovery.flatMap((d) => d.registryArns);
  const namespaceArns = discovery.flatMap((d) => d.namespaceArns);
  const [{ network, failures }, balanced, cloudMap] = await Promise.all([
    describeNetwork(
      step.clients.ec2(step.config.primaryRegion),
      services.flatMap((s) => awsvpcIds(s, 'subnets')),
      services.flatMap((s) => awsvpcIds(s, 'securityGroups')),
    ),
    targetGroupArns.length > 0
      ? describeTargetGroups(step.clients.elbv2(step.config.primaryRegion), targetGroupArns)
      : undefined,
    registryArns.length + namespaceArns.length > 0
      ? describeCloudMap(
          step.clients.servicediscovery(step.config.primaryRegion),
          registryArns,
          namespaceArns,
        )
      : undefined,
  ]);
  for (const f of [...failures, ...(balanced?.failures ?? []), ...(cloudMap?.failures ?? [])])
    step.failures.add('network', f.resourceId, f.code, f.message);
  return {
    ...network,
    ...(balanced ? { targetGroups: balanced.targetGroups } : {}),
    ...(cloudMap ? { cloudMap: { namespaces: cloudMap.namespaces, services: cloudMap.services } } : {}),
  };
}

/**
 * The Cloud Map service ARNs a service registers in and the namespace ARN its Service Connect
 * configuration names (a namespace given by name needs no capture: ECS resolves it in each region).
 */
function cloudMapReferencesOf(service: ServiceRecord): { registryArns: string[]; namespaceArns: string[] } {
  const registries = service.createInput.serviceRegistries;
  const registryArns = Array.isArray(registries)
    ? registries.flatMap((r) => {
        const arn = (r as { registryArn?: unknown })?.registryArn;
        return typeof arn === 'string' && arn.startsWith('arn:') ? [arn] : [];
      })
    : [];
  const namespace = (service.createInput.serviceConnectConfiguration as { namespace?: unknown } | undefined)
    ?.namespace;
  return {
    registryArns,
    namespaceArns: typeof namespace === 'string' && namespace.startsWith('arn:') ? [namespace] : [],
  };
}

/**
 * The services with their Application Auto Scaling (see `captureScaling`: one
 * DescribeScalableTargets per 50 services, two more calls per service that scales, one
 * DescribeAlarms per 100 step alarms). A service whose scaling cannot be read is kept without it
 * and a `scaling` error makes the recovery point partial.
 */
async function captureServiceScaling(
  step: Step,
  services: readonly ServiceRecord[],
): Promise<{ services: ServiceRecord[]; warnings: CaptureWarning[] }> {
  const { clients, config } = step;
  const { records, failures, warnings } = await captureScaling(
    clients.autoscaling(config.primaryRegion),
    clients.cloudwatch(config.primaryRegion),
    services,
    step.concurrency,
  );
  for (const f of failures) step.failures.add('scaling', f.resourceId, f.code, f.message);
  return {
    services: services.map((s) => {
      const scaling = records.get(`${s.clusterName}/${s.serviceName}`);
      return scaling ? { ...s, scaling } : s;
    }),
    warnings: warnings.map((w) => ({ resourceType: 'scaling' as const, ...w })),
  };
}

interface PendingImage {
  readonly sourceUri: string;
  readonly ref: ImageReference | undefined;
  readonly usedBy: Set<string>;
}

/**
 * One record per distinct image reference of the captured task definitions. This account's
 * ECR images (any region) are resolved to digests, one BatchGetImage per repository and 100
 * references; other registries are `external`; unresolvable ones are `missing` and errors.
 */
async function captureImages(step: Step, used: readonly ContainerImage[]): Promise<ImageRecord[]> {
  const { clients, config } = step;
  const pending = new Map<string, PendingImage>();
  for (const { uri, usedBy } of used) {
    let entry = pending.get(uri);
    if (!entry) {
      let ref: ImageReference | undefined;
      try {
        ref = parseImageReference(uri);
      } catch (error) {
        if (!(error instanceof InvalidImageReferenceError)) throw error;
        step.failures.add('image', uri, error.name, `${error.message} Fix the image in the task definition.`);
      }
      entry = { sourceUri: uri, ref, usedBy: new Set() };
      pending.set(uri, entry);
    }
    entry.usedBy.add(usedBy);
  }

  const byRepository = new Map<string, { region: string; repositoryName: string; refs: ImageReference[] }>();
  for (const { ref } of pending.values()) {
    if (ref?.kind !== 'ecr' || ref.registryId !== config.account) continue;
    const repoKey = `${ref.region}/${ref.repositoryName}`;
    const group = byRepository.get(repoKey) ?? {
      region: ref.region,
      repositoryName: ref.repositoryName,
      refs: [],
    };
    group.refs.push(ref);
    byRepository.set(repoKey, group);
  }
  const resolved = new Map<string, DigestResolution>();
  await mapConcurrent([...byRepository.entries()], step.concurrency, async ([repoKey, group]) => {
    const results = await resolveRepositoryDigests(
      clients.ecr(group.region),
      { registryId: config.account, repositoryName: group.repositoryName },
      group.refs,
    );
    for (const [refKey, result] of results) resolved.set(`${repoKey}${refKey}`, result);
  });

  const records: ImageRecord[] = [];
  for (const { sourceUri, ref, usedBy } of pending.values()) {
    const base = { sourceUri, usedBy: [...usedBy].sort() };
    const refs = { ...(ref?.tag ? { tag: ref.tag } : {}), ...(ref?.digest ? { digest: ref.digest } : {}) };
    if (ref === undefined) {
      records.push({ ...base, presence: 'missing' });
      continue;
    }
    if (ref.kind !== 'ecr' || ref.registryId !== config.account) {
      records.push({ ...base, ...refs, presence: 'external' });
      continue;
    }
    const ecr = { registryId: ref.registryId, region: ref.region, repositoryName: ref.repositoryName };
    const result = resolved.get(`${ref.region}/${ref.repositoryName}${imageRefKey(ref)}`);
    if (result && 'digest' in result) {
      records.push({
        ...base,
        ...ecr,
        ...refs,
        digest: result.digest,
        drUri: ecrImageUri(config.account, config.drRegion, ref.repositoryName, { digest: result.digest }),
        presence: 'unverified',
      });
      continue;
    }
    const error = result?.error ?? { code: 'ImageNotResolved', message: `${sourceUri} was not looked up.` };
    step.failures.add('image', sourceUri, error.code, error.message);
    records.push({ ...base, ...ecr, ...refs, presence: 'missing' });
  }
  return records.sort((a, b) => compare(a.sourceUri, b.sourceUri));
}

function awsvpcIds(service: ServiceRecord, member: 'subnets' | 'securityGroups'): string[] {
  const network = service.createInput.networkConfiguration as
    | { awsvpcConfiguration?: { subnets?: unknown; securityGroups?: unknown } }
    | undefined;
  const ids = network?.awsvpcConfiguration?.[member];
  return Array.isArray(ids) ? ids.filter((v): v is string => typeof v === 'string') : [];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
