import type * as z from 'zod';
import { ZodError } from 'zod';
import {
  type ClusterRecord,
  type CreateServiceInputRecord,
  clusterRecordSchema,
  createServiceInputSchema,
  type RegisterTaskDefinitionInputRecord,
  registerTaskDefinitionInputSchema,
  type Tag,
} from '../catalog/manifest';
import { DescribeShapeError } from './errors';

/**
 * Turns ECS Describe* output (SDK v3 shape, camelCase) into the inputs that recreate the
 * resource: DescribeTaskDefinition → RegisterTaskDefinition, DescribeServices → CreateService,
 * DescribeClusters → the manifest's cluster record. Pure: no SDK import, no I/O.
 */

/** A tag as ECS describes it (SDK v3 shape: both members optional). Manifest `Tag`s fit too. */
export interface TagLike {
  readonly key?: string | undefined;
  readonly value?: string | undefined;
}

/** Members of a DescribeTaskDefinition `taskDefinition` that RegisterTaskDefinition does not take. */
export const TASK_DEFINITION_READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'deregisteredAt',
  'deleteRequestedAt',
  'registeredBy',
] as const;

export const WAVE_TAG = 'lifeboat:wave';
export const DEFAULT_WAVE = 1;
const MAX_WAVE = 9999;

/**
 * Copy without null/undefined members (deeply, also array elements), with Dates as ISO
 * strings. Never mutates its input; keys such as `__proto__` stay plain data.
 */
export function stripNulls(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (Array.isArray(value)) {
    return value.map(stripNulls).filter((v) => v !== undefined);
  }
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, stripNulls(v)] as const)
        .filter(([, v]) => v !== undefined),
    );
  }
  return value ?? undefined;
}

/**
 * Tags that can be written back: ECS rejects keys with the reserved `aws:` prefix (any
 * case) on create, so those (and tags without a key) are left out.
 */
export function restorableTags(tags: readonly TagLike[] | undefined): Tag[] {
  return (tags ?? []).flatMap((t) =>
    t.key && !t.key.toLowerCase().startsWith('aws:') ? [{ key: t.key, value: t.value ?? '' }] : [],
  );
}

/**
 * DescribeTaskDefinition `taskDefinition` → RegisterTaskDefinition input. Read-only members
 * and nulls are stripped; every other setting is kept as described, so none is lost.
 * `tags` (the response's sibling `tags`) become the input's `tags` when any are restorable.
 */
export function sanitiseTaskDefinition(
  taskDefinition: object,
  tags?: readonly TagLike[],
): RegisterTaskDefinitionInputRecord {
  const td = asRecord(taskDefinition);
  const readOnly: ReadonlySet<string> = new Set([...TASK_DEFINITION_READ_ONLY_FIELDS, 'tags']);
  const body = stripNulls(Object.fromEntries(Object.entries(td).filter(([k]) => !readOnly.has(k))));
  const kept = restorableTags(tags ?? tagsOf(td));
  const id = stringOf(td.taskDefinitionArn) ?? stringOf(td.family) ?? '(unnamed)';
  return parseShape(
    registerTaskDefinitionInputSchema,
    kept.length > 0 ? { ...asRecord(body), tags: kept } : body,
    'taskDefinition',
    id,
    'Pass the `taskDefinition` member of a DescribeTaskDefinition response.',
  );
}

/** Something the restore cannot reproduce from a service description alone. */
export interface SanitiseNote {
  readonly code: 'task-sets-not-restored' | 'codedeploy-deployment-group' | 'no-primary-deployment';
  readonly message: string;
}

/**
 * DescribeServices `services[i]` → CreateService input without `cluster` and `taskDefinition`
 * (both set at restore), plus notes on what the input cannot carry.
 *
 * Only members CreateService accepts are copied; runtime state (status, counts, events,
 * deployments, task sets, ARNs, timestamps) is not. Service Connect, managed EBS volume and
 * VPC Lattice configurations come from the PRIMARY deployment, the only place
 * DescribeServices shows them. `launchType` and `capacityProviderStrategy` are mutually
 * exclusive (the strategy wins); `platformVersion` is kept only for Fargate; `roleArn`
 * becomes `role` only where CreateService allows one (a classic load-balanced service
 * outside awsvpc, not the service-linked role).
 */
export function describeServiceForRestore(
  service: object,
  tags?: readonly TagLike[],
): { input: CreateServiceInputRecord; notes: SanitiseNote[] } {
  const s = asRecord(stripNulls(service));
  const serviceName = stringOf(s.serviceName) ?? '';
  const id = stringOf(s.serviceArn) ?? (serviceName || '(unnamed)');
  const deployments = recordsOf(s.deployments);
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const controller = isRecord(s.deploymentController) ? stringOf(s.deploymentController.type) : undefined;
  const strategy = recordsOf(s.capacityProviderStrategy);
  const launchType = strategy.length > 0 ? undefined : stringOf(s.launchType);
  const fargate =
    launchType === 'FARGATE' ||
    strategy.some((cp) => cp.capacityProvider === 'FARGATE' || cp.capacityProvider === 'FARGATE_SPOT');
  const loadBalancers = recordsOf(s.loadBalancers);
  const awsvpc = isRecord(s.networkConfiguration) && s.networkConfiguration.awsvpcConfiguration !== undefined;
  const roleArn = stringOf(s.roleArn);
  const role =
    roleArn && loadBalancers.length > 0 && !awsvpc && !roleArn.includes(':role/aws-service-role/')
      ? roleArn
      : undefined;
  const kept = restorableTags(tags ?? tagsOf(s));

  const candidate: Record<string, unknown> = {
    serviceName,
    desiredCount: s.schedulingStrategy === 'DAEMON' ? undefined : s.desiredCount,
    launchType,
    capacityProviderStrategy: strategy,
    platformVersion: fargate ? s.platformVersion : undefined,
    loadBalancers,
    serviceRegistries: s.serviceRegistries,
    role,
    deploymentConfiguration: s.deploymentConfiguration,
    deploymentController: s.deploymentController,
    placementConstraints: s.placementConstraints,
    placementStrategy: s.placementStrategy,
    networkConfiguration: s.networkConfiguration,
    healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
    schedulingStrategy: s.schedulingStrategy,
    enableECSManagedTags: s.enableECSManagedTags,
    propagateTags: s.propagateTags,
    enableExecuteCommand: s.enableExecuteCommand,
    availabilityZoneRebalancing: s.availabilityZoneRebalancing,
    serviceConnectConfiguration: primary?.serviceConnectConfiguration,
    volumeConfigurations: primary?.volumeConfigurations,
    vpcLatticeConfigurations: primary?.vpcLatticeConfigurations,
    tags: kept,
  };
  const input = parseShape(
    createServiceInputSchema,
    Object.fromEntries(Object.entries(candidate).filter(([, v]) => !isEmpty(v))),
    'service',
    id,
    'Pass a `services[]` member of a DescribeServices response.',
  );

  const notes: SanitiseNote[] = [];
  if (controller === 'EXTERNAL' || recordsOf(s.taskSets).length > 0) {
    notes.push({
      code: 'task-sets-not-restored',
      message: `Service ${id} runs task sets (deployment controller ${controller ?? 'ECS'}); task sets are not restorable, so the service is recreated without them. Create its task sets in the DR region with the tool that manages them.`,
    });
  }
  if (controller === 'CODE_DEPLOY') {
    notes.push({
      code: 'codedeploy-deployment-group',
      message: `Service ${id} deploys with CodeDeploy; its CodeDeploy application and deployment group (and both target groups) must exist in the DR region before the next deployment.`,
    });
  }
  if (deployments.length > 0 && primary === undefined) {
    notes.push({
      code: 'no-primary-deployment',
      message: `Service ${id} has no PRIMARY deployment, so its Service Connect, managed EBS volume and VPC Lattice settings could not be read; capture it again once its deployment has started.`,
    });
  }
  return { input, notes };
}

/** DescribeServices `services[i]` → CreateService input (see `describeServiceForRestore`). */
export function sanitiseService(service: object, tags?: readonly TagLike[]): CreateServiceInputRecord {
  return describeServiceForRestore(service, tags).input;
}

/**
 * DescribeClusters `clusters[i]` (with include TAGS, SETTINGS, CONFIGURATIONS) → cluster
 * record. Runtime counts, status, statistics and attachments are not kept; the name is
 * taken from the ARN when absent; tags are the restorable ones.
 */
export function clusterRecordFromDescribe(cluster: object): ClusterRecord {
  const c = asRecord(stripNulls(cluster));
  const clusterArn = stringOf(c.clusterArn) ?? '';
  const clusterName = stringOf(c.clusterName) ?? /:cluster\/(.+)$/.exec(clusterArn)?.[1] ?? '';
  const configuration = isRecord(c.configuration) && !isEmpty(c.configuration) ? c.configuration : undefined;
  const namespace = isRecord(c.serviceConnectDefaults)
    ? stringOf(c.serviceConnectDefaults.namespace)
    : undefined;
  return parseShape(
    clusterRecordSchema,
    {
      clusterName,
      clusterArn,
      settings: recordsOf(c.settings).flatMap((st) => {
        const name = stringOf(st.name);
        const value = stringOf(st.value);
        return name !== undefined && value !== undefined ? [{ name, value }] : [];
      }),
      ...(configuration ? { configuration } : {}),
      capacityProviders: Array.isArray(c.capacityProviders) ? c.capacityProviders : [],
      defaultCapacityProviderStrategy: recordsOf(c.defaultCapacityProviderStrategy),
      ...(namespace ? { serviceConnectNamespace: namespace } : {}),
      tags: restorableTags(tagsOf(c)),
    },
    'cluster',
    clusterArn || clusterName || '(unnamed)',
    'Pass a `clusters[]` member of a DescribeClusters response.',
  );
}

/**
 * Restore wave from the `lifeboat:wave` tag (lower waves restore first). Absent → 1. A value
 * that is not a whole number from 0 to 9999 → 1, with `problem` saying why and how to fix it.
 */
export function readWave(tags: readonly TagLike[]): { wave: number; problem?: string } {
  const tag = tags.find((t) => t.key === WAVE_TAG);
  if (tag === undefined) return { wave: DEFAULT_WAVE };
  const raw = (tag.value ?? '').trim();
  if (/^\d{1,4}$/.test(raw)) return { wave: Number(raw) };
  return {
    wave: DEFAULT_WAVE,
    problem: `Tag ${WAVE_TAG}="${tag.value ?? ''}" is not a wave number, so wave ${DEFAULT_WAVE} is used; set it to a whole number from 0 to ${MAX_WAVE} (lower waves restore first).`,
  };
}

/** `readWave(tags).wave`. */
export function waveFromTags(tags: readonly TagLike[]): number {
  return readWave(tags).wave;
}

function parseShape<S extends z.ZodType>(
  schema: S,
  value: unknown,
  resourceType: DescribeShapeError['resourceType'],
  resourceId: string,
  hint: string,
): z.output<S> {
  try {
    return schema.parse(value);
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    const issue = error.issues[0];
    throw new DescribeShapeError(
      `Cannot capture ${resourceType} ${resourceId}: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? 'is invalid'}. ${hint}`,
      resourceType,
      resourceId,
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** The object itself when it is a plain record, else an empty one (the schema then names what is missing). */
function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function isEmpty(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isRecord(value) && Object.keys(value).length === 0;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function recordsOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function tagsOf(value: Record<string, unknown>): TagLike[] {
  return recordsOf(value.tags).map((t) => ({ key: stringOf(t.key), value: stringOf(t.value) }));
}
