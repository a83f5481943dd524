import type { CloudMapServiceRecord, NamespaceRecord, Tag } from '../../catalog/manifest';
import { parseArn } from '../../kernel/arns';
import type { Finding } from '../../kernel/findings';
import type { DrInventory, Provenance } from '../inventory';
import { SOURCE_ID_TAG } from '../inventory';
import { provenanceTags } from './provenance';
import { lookup, replacePending } from './refs';

type FindingInput = Omit<Finding, 'service'>;

export type DrNamespace = DrInventory['cloudMapNamespaces'][number];

/** What mapping Cloud Map to the DR region needs. */
export interface CloudMapContext {
  readonly drRegion: string;
  /** The recovery point's primary namespaces and services. */
  readonly captured: {
    readonly namespaces: readonly NamespaceRecord[];
    readonly services: readonly CloudMapServiceRecord[];
  };
  readonly inventory: Pick<DrInventory, 'cloudMapNamespaces' | 'cloudMapServices'>;
  /** `mappings.namespaces`: primary namespace ARN, id or name → DR namespace ARN, id or name. */
  readonly mapping: Readonly<Record<string, string>>;
}

/** The captured namespace a primary namespace ARN (or id) names. */
export function capturedNamespace(ctx: CloudMapContext, arnOrId: string): NamespaceRecord | undefined {
  return ctx.captured.namespaces.find((n) => n.arn === arnOrId || n.namespaceId === arnOrId);
}

/**
 * The DR namespace for a primary one: `mappings.namespaces` (by ARN, id or name, to a DR ARN, id
 * or name), else the DR namespace of the same name and type. Undefined when there is none.
 */
export function resolveNamespace(source: NamespaceRecord, ctx: CloudMapContext): DrNamespace | undefined {
  const all = ctx.inventory.cloudMapNamespaces;
  const explicit =
    lookup(ctx.mapping, source.arn) ??
    lookup(ctx.mapping, source.namespaceId) ??
    lookup(ctx.mapping, source.name);
  if (explicit !== undefined) {
    return all.find((n) => n.arn === explicit || n.namespaceId === explicit || n.name === explicit);
  }
  return all.find((n) => n.name === source.name && (source.type === undefined || n.type === source.type));
}

/** The fix for a namespace the DR region lacks. */
export function missingNamespaceFix(
  source: NamespaceRecord | undefined,
  drRegion: string,
  arn: string,
): string {
  return source
    ? `Create the ${source.type ?? ''} Cloud Map namespace "${source.name}" in ${drRegion} (its landing zone), or add mappings.namespaces["${source.arn}"] = "<DR namespace ARN>" to the Lifeboat config; then plan again.`
    : `Take a new backup (the namespace ${arn} is not in this recovery point), or add mappings.namespaces["${arn}"] = "<DR namespace ARN>" to the Lifeboat config.`;
}

/** A Cloud Map service the restore creates in a DR namespace, for services that register in it. */
export interface CloudMapServiceCreationPlan {
  readonly sourceServiceArn: string;
  readonly name: string;
  /** The DR namespace it is created in. */
  readonly namespaceId: string;
  readonly namespaceName: string;
  readonly description?: string;
  readonly dnsConfig?: Record<string, unknown>;
  readonly healthCheckCustomConfig?: Record<string, unknown>;
  /** `lifeboat:source-id=<primary ARN>`, the source tags, then provenance. */
  readonly tags: Tag[];
  /** Keys of the services that register in it. */
  readonly services: string[];
}

export type RegistryResolution =
  /** The DR Cloud Map service of the same name in the mapped namespace. */
  | { readonly kind: 'mapped'; readonly drArn: string }
  /** The namespace exists in DR, the service does not: the restore creates it. */
  | { readonly kind: 'create'; readonly creation: Omit<CloudMapServiceCreationPlan, 'services'> }
  /** Nothing to register in: the service is restored without this registration. */
  | { readonly kind: 'dropped'; readonly finding: FindingInput };

/** Where a primary Cloud Map service (a `serviceRegistries[].registryArn`) goes in the DR region. */
export function resolveRegistry(
  registryArn: string,
  ctx: CloudMapContext,
  provenance: Provenance,
): RegistryResolution {
  const record = ctx.captured.services.find((s) => s.arn === registryArn);
  if (!record) {
    return {
      kind: 'dropped',
      finding: {
        severity: 'warning',
        code: 'SERVICE_REGISTRY_NOT_RESTORED',
        resource: registryArn,
        message: `Cloud Map service ${registryArn} is not in the recovery point (written before Cloud Map was captured, or reading it failed); the service is restored without this registration.`,
        fix: 'Take a new backup, then restore again.',
      },
    };
  }
  const source = capturedNamespace(ctx, record.namespaceId);
  const namespace = source ? resolveNamespace(source, ctx) : undefined;
  if (!namespace) {
    return {
      kind: 'dropped',
      finding: {
        severity: 'warning',
        code: 'SERVICE_REGISTRY_NOT_RESTORED',
        resource: registryArn,
        message: `Cloud Map service "${record.name}" is in namespace "${source?.name ?? record.namespaceId}", which does not exist in ${ctx.drRegion}; the service is restored without this registration, so nothing finds it by DNS.`,
        fix: missingNamespaceFix(source, ctx.drRegion, record.namespaceId),
      },
    };
  }
  const existing = ctx.inventory.cloudMapServices.find(
    (s) => s.name === record.name && s.namespaceId === namespace.namespaceId,
  );
  if (existing) return { kind: 'mapped', drArn: existing.arn };
  const sourceTags = record.tags.filter((t) => t.key !== SOURCE_ID_TAG && !t.key.startsWith('aws:'));
  const { tags } = provenanceTags(
    [{ key: SOURCE_ID_TAG, value: record.arn }, ...sourceTags],
    provenance,
    record.arn,
    `Cloud Map service ${record.name}`,
  );
  return {
    kind: 'create',
    creation: {
      sourceServiceArn: record.arn,
      name: record.name,
      namespaceId: namespace.namespaceId,
      namespaceName: namespace.name,
      ...(record.description ? { description: record.description } : {}),
      ...(record.dnsConfig ? { dnsConfig: record.dnsConfig } : {}),
      ...(record.healthCheckCustomConfig ? { healthCheckCustomConfig: record.healthCheckCustomConfig } : {}),
      tags,
    },
  };
}

/**
 * The DR namespace ARN for a Service Connect namespace (an ARN of the primary region, or a name,
 * which ECS resolves in the region itself): undefined when the namespace is a primary ARN with no
 * DR counterpart.
 */
export function serviceConnectNamespace(
  namespace: string,
  ctx: CloudMapContext,
): { drNamespace?: string; source?: NamespaceRecord } {
  const arn = parseArn(namespace);
  if (!arn || arn.region === ctx.drRegion) return { drNamespace: namespace };
  const source = capturedNamespace(ctx, namespace);
  const dr = source ? resolveNamespace(source, ctx) : undefined;
  return { ...(dr ? { drNamespace: dr.arn } : {}), ...(source ? { source } : {}) };
}

/**
 * `input` with each pending primary Cloud Map service ARN of its `serviceRegistries` replaced by
 * the DR service created for it (`created`: primary ARN → DR ARN); returns the ARNs it had none
 * for. `input` is not modified.
 */
export function applyRegistryArns<T extends Record<string, unknown>>(
  input: T,
  pending: readonly string[],
  created: Readonly<Record<string, string>>,
): { input: T; missing: string[] } {
  return replacePending(input, 'serviceRegistries', 'registryArn', pending, created);
}
