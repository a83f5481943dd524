import type { Cluster, ECSClient, Service, TaskDefinition } from '@aws-sdk/client-ecs';
import { CatalogStore } from '../aws/catalog-store';
import type { AwsClients, CallCounter } from '../aws/clients';
import { chunk, mapConcurrent } from '../aws/concurrency';
import { discoverVolumes } from '../aws/ebs-discovery';
import { type DigestResolution, imageRefKey, resolveRepositoryDigests } from '../aws/ecr-digests';
import { ensureImagesInDr, type ImagePresenceStats } from '../aws/ecr-replication';
import {
  DESCRIBE_CLUSTERS_MAX,
  DESCRIBE_SERVICES_MAX,
  type Described,
  describeClusters,
  describeServiceBatch,
  describeTaskDefinition,
  listClusterArns,
  listServiceArns,
  nameFromArn,
} from '../aws/ecs-capture';
import { captureEfs } from '../aws/efs-capture';
import { awsErrorCode, awsErrorMessage, RecoveryPointExistsError } from '../aws/errors';
import { describeNetwork } from '../aws/network-capture';
import { newRecoveryPointId } from '../core/catalog-keys';
import { VOLUME_KEY_ALIAS } from '../core/catalog-names';
import { sealManifest } from '../core/checksum';
import type { LifeboatConfig } from '../core/config';
import {
  applyVolumeCopies,
  isCopyDone,
  type PhaseCounts,
  phaseCounts,
  type VolumeCopyState,
  volumeCopyStateSchema,
} from '../core/ebs-volumes';
import { LifeboatError } from '../core/errors';
import { applyImageOutcomes } from '../core/image-plan';
import {
  ecrImageUri,
  type ImageReference,
  InvalidImageReferenceError,
  parseImageReference,
} from '../core/images';
import {
  type ClusterRecord,
  type ImageRecord,
  type Manifest,
  type ManifestBody,
  manifestBodySchema,
  type NetworkRecord,
  type ResourceError,
  type ResourceType,
  type ServiceRecord,
  type TaskDefinitionRecord,
} from '../core/manifest';
import {
  clusterRecordFromDescribe,
  DescribeShapeError,
  describeServiceForRestore,
  readWave,
  restorableTags,
  sanitiseTaskDefinition,
} from '../core/sanitise';
import { isSelected, matchesAny } from '../core/selection';
import { advanceCopies, type CopyTickResult, discoveryServices, snapshotVolumes } from './volumes';

/** Describe calls in flight at once, per capture. */
export const DEFAULT_CAPTURE_CONCURRENCY = 8;

/** Structured log sink; Powertools' Logger fits. */
export interface CaptureLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface CaptureDeps {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - no logging */
  readonly log?: CaptureLogger;
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

interface SelectedService {
  readonly clusterName: string;
  readonly service: Service;
}

interface CapturedTaskDefinition {
  readonly record: TaskDefinitionRecord;
  readonly described: TaskDefinition;
}

/** What every capture step shares: where to call, how wide, and where failures go. */
interface Step {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  readonly ecs: ECSClient;
  readonly concurrency: number;
  readonly failures: FailureLog;
}

/** Collects per-resource failures as manifest errors, stamped when they happen. */
class FailureLog {
  private readonly errors: ResourceError[] = [];

  constructor(private readonly now: () => Date) {}

  add(resourceType: ResourceType, resourceId: string, code: string, message: string): void {
    this.errors.push({ resourceType, resourceId, code, message, at: this.now().toISOString() });
  }

  /** Records a failed AWS call (after the SDK's retries) against one resource. */
  addCall(resourceType: ResourceType, resourceId: string, error: unknown, what: string): void {
    this.add(resourceType, resourceId, awsErrorCode(error), `Could not ${what}: ${awsErrorMessage(error)}`);
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
 * point is then `partial`) and never stops the others; only failing to list the clusters throws.
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
    ecs: clients.ecs(config.primaryRegion),
    concurrency: deps.concurrency ?? DEFAULT_CAPTURE_CONCURRENCY,
    failures: new FailureLog(now),
  };

  const clusterArns = await listClusterArns(step.ecs);
  const clusters = await describeClusterList(step, clusterArns);
  log?.info('Listed clusters', { recoveryPointId: id, clusters: clusters.length });

  const { selected, servicesListed } = await selectServices(step, clusters);
  log?.info('Selected services', { recoveryPointId: id, servicesListed, servicesSelected: selected.length });

  const taskDefinitions = await captureTaskDefinitions(step, selected);
  const { services, warnings } = serviceRecords(step, selected, taskDefinitions);
  const used = new Set(services.map((s) => s.taskDefinitionArn));
  const captured = [...taskDefinitions.entries()].filter(([arn]) => used.has(arn)).map(([, td]) => td);
  const images = await captureImages(
    step,
    captured.map((td) => td.described),
  );
  const network = await captureNetwork(step, services);
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
    services,
    taskDefinitions: captured.map((td) => td.record).sort((a, b) => compare(a.sourceArn, b.sourceArn)),
    images,
    volumes: { ebs: ebs.records, efs: efs.records },
    network,
    errors,
  };
  return {
    body,
    copies: ebs.copies,
    warnings,
    counts: { clustersListed: clusterArns.length, servicesListed, servicesSelected: selected.length },
  };
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
    step.ecs,
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

/** DescribeClusters (tags, settings, configuration) 100 at a time; skips deleted clusters. */
async function describeClusterList(step: Step, clusterArns: readonly string[]): Promise<Cluster[]> {
  const clusters: Cluster[] = [];
  await mapConcurrent(chunk(clusterArns, DESCRIBE_CLUSTERS_MAX), step.concurrency, async (batch) => {
    try {
      const described = await describeClusters(step.ecs, batch);
      clusters.push(...described.items.filter((c) => c.status !== 'INACTIVE'));
      for (const f of described.failures) {
        // MISSING: deleted since it was listed, so there is nothing to protect.
        if (f.reason === 'MISSING') continue;
        const name = nameFromArn(f.arn ?? '');
        step.failures.add(
          'cluster',
          name,
          f.reason ?? 'Failure',
          f.detail ?? `DescribeClusters failed for ${name}`,
        );
      }
    } catch (error) {
      for (const arn of batch)
        step.failures.addCall('cluster', nameFromArn(arn), error, `describe cluster ${arn}`);
    }
  });
  return clusters;
}

/**
 * Lists each cluster's services, drops the names the include/exclude globs rule out before
 * describing anything, describes the rest ten at a time with their tags and applies the
 * full selection (tags on the service or its cluster).
 */
async function selectServices(
  step: Step,
  clusters: readonly Cluster[],
): Promise<{ selected: SelectedService[]; servicesListed: number }> {
  const { include, exclude } = step.config.selection;
  let servicesListed = 0;
  const batches: { cluster: Cluster; clusterName: string; arns: string[] }[] = [];
  await mapConcurrent(clusters, step.concurrency, async (cluster) => {
    const clusterName = cluster.clusterName ?? nameFromArn(cluster.clusterArn ?? '');
    let arns: string[];
    try {
      arns = await listServiceArns(step.ecs, cluster.clusterArn ?? clusterName);
    } catch (error) {
      step.failures.addCall('cluster', clusterName, error, `list the services of cluster ${clusterName}`);
      return;
    }
    servicesListed += arns.length;
    const candidates = arns.filter((arn) => {
      const key = `${clusterName}/${nameFromArn(arn)}`;
      return matchesAny(key, include) && !matchesAny(key, exclude);
    });
    for (const part of chunk(candidates, DESCRIBE_SERVICES_MAX))
      batches.push({ cluster, clusterName, arns: part });
  });

  const selected: SelectedService[] = [];
  await mapConcurrent(batches, step.concurrency, async ({ cluster, clusterName, arns }) => {
    let described: Described<Service>;
    try {
      described = await describeServiceBatch(step.ecs, cluster.clusterArn ?? clusterName, arns);
    } catch (error) {
      for (const arn of arns) {
        const key = `${clusterName}/${nameFromArn(arn)}`;
        step.failures.addCall('service', key, error, `describe service ${key}`);
      }
      return;
    }
    for (const f of described.failures) {
      if (f.reason === 'MISSING') continue;
      const key = `${clusterName}/${nameFromArn(f.arn ?? '')}`;
      step.failures.add(
        'service',
        key,
        f.reason ?? 'Failure',
        f.detail ?? `DescribeServices failed for ${key}`,
      );
    }
    for (const service of described.items) {
      // DRAINING and INACTIVE services are being deleted.
      if (service.status !== 'ACTIVE') continue;
      const candidate = {
        clusterName,
        serviceName: service.serviceName ?? nameFromArn(service.serviceArn ?? ''),
        tags: service.tags ?? [],
        clusterTags: cluster.tags ?? [],
      };
      if (isSelected(candidate, step.config.selection)) selected.push({ clusterName, service });
    }
  });
  return { selected, servicesListed };
}

/**
 * Describes each distinct task definition revision once. INACTIVE (deregistered) revisions
 * still describe in full and are captured: a service may keep running one, and the restore
 * registers a new revision anyway. Deleted ones are errors.
 */
async function captureTaskDefinitions(
  step: Step,
  selected: readonly SelectedService[],
): Promise<Map<string, CapturedTaskDefinition>> {
  const arns = [...new Set(selected.flatMap(({ service }) => service.taskDefinition ?? []))].sort();
  const captured = new Map<string, CapturedTaskDefinition>();
  await mapConcurrent(arns, step.concurrency, async (arn) => {
    let described: Awaited<ReturnType<typeof describeTaskDefinition>>;
    try {
      described = await describeTaskDefinition(step.ecs, arn);
    } catch (error) {
      step.failures.addCall(
        'taskDefinition',
        arn,
        error,
        `describe task definition ${arn} (deleted, or not readable)`,
      );
      return;
    }
    const { taskDefinition, tags } = described;
    if (taskDefinition.status === 'DELETE_IN_PROGRESS') {
      step.failures.add(
        'taskDefinition',
        arn,
        'TaskDefinitionDeleteInProgress',
        `Task definition ${arn} is being deleted. Update the services that use it to a current revision, then run a backup.`,
      );
      return;
    }
    try {
      captured.set(arn, {
        record: {
          sourceArn: arn,
          family: taskDefinition.family ?? '',
          revision: taskDefinition.revision ?? 0,
          registerInput: sanitiseTaskDefinition(taskDefinition as Record<string, unknown>, tags),
          tags: restorableTags(tags),
        },
        described: taskDefinition,
      });
    } catch (error) {
      if (!(error instanceof DescribeShapeError)) throw error;
      step.failures.add('taskDefinition', arn, error.name, error.message);
    }
  });
  return captured;
}

/** Service records, sorted by key; a service whose task definition was not captured is an error. */
function serviceRecords(
  step: Step,
  selected: readonly SelectedService[],
  taskDefinitions: ReadonlyMap<string, CapturedTaskDefinition>,
): { services: ServiceRecord[]; warnings: CaptureWarning[] } {
  const services: ServiceRecord[] = [];
  const warnings: CaptureWarning[] = [];
  for (const { clusterName, service } of selected) {
    const serviceName = service.serviceName ?? nameFromArn(service.serviceArn ?? '');
    const key = `${clusterName}/${serviceName}`;
    const arn = service.taskDefinition;
    if (!arn) {
      step.failures.add(
        'service',
        key,
        'NoTaskDefinition',
        `Service ${key} names no task definition (deployment controller ${service.deploymentController?.type ?? 'ECS'} with task sets); Lifeboat restores services that run one task definition.`,
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
    let restore: ReturnType<typeof describeServiceForRestore>;
    try {
      restore = describeServiceForRestore(service as Record<string, unknown>, service.tags);
    } catch (error) {
      if (!(error instanceof DescribeShapeError)) throw error;
      step.failures.add('service', key, error.name, error.message);
      continue;
    }
    const wave = readWave(service.tags ?? []);
    services.push({
      clusterName,
      serviceName,
      serviceArn: service.serviceArn ?? '',
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
  clusters: readonly Cluster[],
  wanted: ReadonlySet<string>,
): ClusterRecord[] {
  const records: ClusterRecord[] = [];
  for (const cluster of clusters) {
    const name = cluster.clusterName ?? nameFromArn(cluster.clusterArn ?? '');
    if (!wanted.has(name)) continue;
    try {
      records.push(clusterRecordFromDescribe(cluster as Record<string, unknown>));
    } catch (error) {
      if (!(error instanceof DescribeShapeError)) throw error;
      step.failures.add('cluster', name, error.name, error.message);
    }
  }
  return records.sort((a, b) => compare(a.clusterName, b.clusterName));
}

/** The subnets and security groups the services' awsvpc configurations name (one call each). */
async function captureNetwork(step: Step, services: readonly ServiceRecord[]): Promise<NetworkRecord> {
  const { network, failures } = await describeNetwork(
    step.clients.ec2(step.config.primaryRegion),
    services.flatMap((s) => awsvpcIds(s, 'subnets')),
    services.flatMap((s) => awsvpcIds(s, 'securityGroups')),
  );
  for (const f of failures) step.failures.add('network', f.resourceId, f.code, f.message);
  return network;
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
async function captureImages(step: Step, described: readonly TaskDefinition[]): Promise<ImageRecord[]> {
  const { clients, config } = step;
  const pending = new Map<string, PendingImage>();
  for (const td of described) {
    for (const container of td.containerDefinitions ?? []) {
      const uri = container.image;
      if (!uri) continue;
      let entry = pending.get(uri);
      if (!entry) {
        let ref: ImageReference | undefined;
        try {
          ref = parseImageReference(uri);
        } catch (error) {
          if (!(error instanceof InvalidImageReferenceError)) throw error;
          step.failures.add(
            'image',
            uri,
            error.name,
            `${error.message} Fix the image in the task definition.`,
          );
        }
        entry = { sourceUri: uri, ref, usedBy: new Set() };
        pending.set(uri, entry);
      }
      entry.usedBy.add(`${td.family}:${td.revision}/${container.name}`);
    }
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

// ---------------------------------------------------------------------------------------
// The backup in steps: stage → advance the volume copies (ticks) → commit

/** Where a running backup keeps its work between steps: the catalog's `staging/<id>/`, or memory. */
export interface BackupStaging {
  putBody(body: ManifestBody): Promise<void>;
  getBody(recoveryPointId: string): Promise<ManifestBody>;
  putCopies(state: VolumeCopyState): Promise<void>;
  getCopies(recoveryPointId: string): Promise<VolumeCopyState>;
}

/** A staged part of a running backup is missing or not valid. */
export class StagingError extends LifeboatError {
  constructor(
    message: string,
    public readonly recoveryPointId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StagingError';
  }
}

const BODY_PART = 'body';
const COPIES_PART = 'volumes';

interface Schema<T> {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

function parseStaged<T>(schema: Schema<T>, value: unknown, id: string, where: string): T {
  if (value === undefined) {
    throw new StagingError(
      `${where} does not exist: the Capture step of the same backup writes it. Start a new backup (or pass the recoveryPointId the Capture step returned).`,
      id,
    );
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new StagingError(
    `${where} is not valid at ${issue?.path.map(String).join('.') || '(root)'}: ${issue?.message ?? 'unknown problem'}. Start a new backup.`,
    id,
  );
}

/** Staging in the catalog bucket: `staging/<id>/body.json` and `staging/<id>/volumes.json`. */
export function catalogStaging(store: CatalogStore): BackupStaging {
  const where = (id: string, part: string) => `s3://${store.bucket}/staging/${id}/${part}.json`;
  return {
    putBody: async (body) => {
      await store.putStaging(body.id, BODY_PART, body);
    },
    getBody: async (id) =>
      parseStaged(manifestBodySchema, await store.getStaging(id, BODY_PART), id, where(id, BODY_PART)),
    putCopies: async (state) => {
      await store.putStaging(state.recoveryPointId, COPIES_PART, state);
    },
    getCopies: async (id) =>
      parseStaged(volumeCopyStateSchema, await store.getStaging(id, COPIES_PART), id, where(id, COPIES_PART)),
  };
}

/** Staging in this process (the all-in-one `runCapture`): parts are kept as JSON, as the catalog would. */
export function memoryStaging(): BackupStaging {
  const parts = new Map<string, string>();
  const get = (id: string, part: string): unknown => {
    const text = parts.get(`${id}/${part}`);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  };
  return {
    putBody: async (body) => {
      parts.set(`${body.id}/${BODY_PART}`, JSON.stringify(body));
    },
    getBody: async (id) =>
      parseStaged(manifestBodySchema, get(id, BODY_PART), id, `staged ${BODY_PART} of ${id}`),
    putCopies: async (state) => {
      parts.set(`${state.recoveryPointId}/${COPIES_PART}`, JSON.stringify(state));
    },
    getCopies: async (id) =>
      parseStaged(volumeCopyStateSchema, get(id, COPIES_PART), id, `staged ${COPIES_PART} of ${id}`),
  };
}

export interface StageDeps extends CaptureDeps {
  readonly staging: BackupStaging;
  /**
   * Make every ECR digest present in the DR registry before committing (verify, backfill,
   * copy; `images[].presence` and `verifiedAt` record how), so a missing image makes the
   * recovery point partial. Without it images stay `unverified`.
   * @default false
   */
  readonly verifyImages?: boolean;
}

export interface StageResult {
  readonly recoveryPointId: string;
  /** The staged body (EBS records without their DR copies yet). */
  readonly body: ManifestBody;
  readonly copies: VolumeCopyState;
  /** No volume copy to wait for: the backup can be committed at once. */
  readonly done: boolean;
  readonly warnings: CaptureWarning[];
  readonly counts: CaptureCounts;
  /** What the image verification found, when `verifyImages` was set. */
  readonly images?: ImagePresenceStats;
}

/**
 * First step of a backup: captures the fleet and starts the volume snapshots (`captureFleet`),
 * makes the images present in the DR registry (with `verifyImages`), and stages the body and
 * the copy state for the next steps.
 */
export async function stageBackup(deps: StageDeps): Promise<StageResult> {
  const captured = await captureFleet(deps);
  const { counts, copies } = captured;
  let { body, warnings } = captured;
  let images: ImagePresenceStats | undefined;
  if (deps.verifyImages) {
    const now = deps.now ?? (() => new Date());
    const verified = await ensureImagesInDr(
      { clients: deps.clients, config: deps.config, now, ...(deps.log ? { log: deps.log } : {}) },
      body.images,
    );
    body = applyImageOutcomes(body, verified.outcomes, now().toISOString());
    warnings = [...warnings, ...verified.notes.map((note) => ({ resourceType: 'image' as const, ...note }))];
    images = verified.stats;
  }
  await deps.staging.putBody(body);
  await deps.staging.putCopies(copies);
  const done = isCopyDone(copies);
  deps.log?.info('Staged backup', {
    recoveryPointId: body.id,
    services: body.services.length,
    volumes: copies.volumes.length,
    ...phaseCounts(copies),
  });
  return { recoveryPointId: body.id, body, copies, done, warnings, counts, ...(images ? { images } : {}) };
}

export interface AdvanceDeps {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  readonly staging: BackupStaging;
  /** DR-region KMS key (alias or ARN) the DR copies are encrypted with (`VOLUME_KMS_KEY_ID`). */
  readonly volumeKmsKeyId: string;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - no logging */
  readonly log?: CaptureLogger;
  /** Block engine: stop at this signal, checkpointing (the next tick resumes). @default - none */
  readonly signal?: AbortSignal;
}

export interface AdvanceResult extends CopyTickResult {
  readonly recoveryPointId: string;
}

/** One tick of a backup's volume copies (`advanceCopies`), from and back to the staged copy state. */
export async function advanceVolumeCopies(
  deps: AdvanceDeps,
  recoveryPointId: string,
): Promise<AdvanceResult> {
  const state = await deps.staging.getCopies(recoveryPointId);
  if (isCopyDone(state)) {
    return { recoveryPointId, state, done: true, counts: phaseCounts(state), bytesSent: 0 };
  }
  const result = await advanceCopies(
    {
      clients: deps.clients,
      config: deps.config,
      volumeKmsKeyId: deps.volumeKmsKeyId,
      now: deps.now ?? (() => new Date()),
      ...(deps.log ? { log: deps.log } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
      save: (next) => deps.staging.putCopies(next),
    },
    state,
  );
  return { recoveryPointId, ...result };
}

export interface CommitDeps {
  readonly clients: AwsClients;
  readonly config: LifeboatConfig;
  readonly staging: BackupStaging;
  /** Catalog bucket in the DR region. */
  readonly bucket: string;
  /** KMS key for the manifest object. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** @default - no logging */
  readonly log?: CaptureLogger;
}

export interface CommitResult {
  readonly manifest: Manifest;
  /** Catalog key of the committed manifest. */
  readonly key: string;
}

/**
 * Last step of a backup: adds the DR copies to the staged body (`applyVolumeCopies`: a failed
 * copy is a `volume` error and makes the recovery point partial), seals it and commits it to
 * the catalog. Safe to retry: a recovery point already committed is read back and returned.
 */
export async function commitBackup(deps: CommitDeps, recoveryPointId: string): Promise<CommitResult> {
  const now = deps.now ?? (() => new Date());
  const body = await deps.staging.getBody(recoveryPointId);
  const copies = await deps.staging.getCopies(recoveryPointId);
  const manifest = sealManifest(applyVolumeCopies(body, copies, now().toISOString()));
  const store = new CatalogStore(
    deps.clients.s3(deps.config.drRegion),
    deps.bucket,
    deps.kmsKeyId ? { kmsKeyId: deps.kmsKeyId } : {},
  );
  let key: string;
  try {
    key = await store.commit(manifest);
  } catch (error) {
    if (!(error instanceof RecoveryPointExistsError)) throw error;
    const committed = await store.get(recoveryPointId, { allowPartial: true });
    deps.log?.info('Recovery point was already committed', { recoveryPointId, status: committed.status });
    return { manifest: committed, key: error.key };
  }
  deps.log?.info('Committed recovery point', {
    recoveryPointId: manifest.id,
    status: manifest.status,
    services: manifest.services.length,
    taskDefinitions: manifest.taskDefinitions.length,
    images: manifest.images.length,
    volumes: manifest.volumes.ebs.length,
    errors: manifest.errors.length,
  });
  return { manifest, key };
}

export interface RunCaptureDeps extends CaptureDeps {
  /** Catalog bucket in the DR region. */
  readonly bucket: string;
  /** KMS key for the manifest object. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
  /** The counter wired to `clients` (`AwsTarget.onCall`), to report the calls made. @default - none */
  readonly counter?: CallCounter;
  /** See `StageDeps.verifyImages`. @default false */
  readonly verifyImages?: boolean;
  /** DR-region KMS key (alias or ARN) the DR copies of the volume snapshots are encrypted with. @default 'alias/lifeboat-volumes' */
  readonly volumeKmsKeyId?: string;
  /** Wait between two ticks of the volume copies, in milliseconds. @default - `volumes.ebs.pollSeconds` × 1000 */
  readonly pollMs?: number;
  /** How to wait between ticks. @default - a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RunCaptureResult extends CommitResult {
  readonly warnings: CaptureWarning[];
  readonly counts: CaptureCounts;
  /** What the image verification found, when `verifyImages` was set. */
  readonly images?: ImagePresenceStats;
  /** Ticks it took to copy the volumes to the DR region (0 when there was nothing to copy), and where they ended. */
  readonly volumes: { readonly ticks: number; readonly counts: PhaseCounts };
  /** API calls by operation, when a counter was given. */
  readonly calls?: Record<string, number>;
}

/**
 * The whole backup in this process (tests, the benchmark, scripts): stages it, advances the
 * volume copies tick by tick (waiting `pollMs` between ticks; none when there are no volumes)
 * until every copy completed or failed, and commits. State stays in memory: no staging
 * objects are written. Retention is not applied (the backup workflow's Commit step does it).
 */
export async function runCapture(deps: RunCaptureDeps): Promise<RunCaptureResult> {
  const staging = memoryStaging();
  const staged = await stageBackup({ ...deps, staging });
  const id = staged.recoveryPointId;
  const advance: AdvanceDeps = {
    clients: deps.clients,
    config: deps.config,
    staging,
    volumeKmsKeyId: deps.volumeKmsKeyId ?? VOLUME_KEY_ALIAS,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  };
  const pollMs = deps.pollMs ?? deps.config.volumes.ebs.pollSeconds * 1000;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let ticks = 0;
  let counts = phaseCounts(staged.copies);
  for (let done = staged.done; !done; ) {
    if (ticks > 0) await sleep(pollMs);
    const tick = await advanceVolumeCopies(advance, id);
    ticks += 1;
    done = tick.done;
    counts = tick.counts;
  }
  const committed = await commitBackup(
    {
      clients: deps.clients,
      config: deps.config,
      staging,
      bucket: deps.bucket,
      ...(deps.kmsKeyId ? { kmsKeyId: deps.kmsKeyId } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    },
    id,
  );
  return {
    ...committed,
    warnings: staged.warnings,
    counts: staged.counts,
    ...(staged.images ? { images: staged.images } : {}),
    volumes: { ticks, counts },
    ...(deps.counter ? { calls: deps.counter.toJSON() } : {}),
  };
}
