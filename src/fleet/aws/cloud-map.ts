import {
  CreateServiceCommand,
  GetNamespaceCommand,
  GetServiceCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  type ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import type { CloudMapServiceRecord, NamespaceRecord } from '../../catalog/manifest';
import { mapConcurrent } from '../../kernel/concurrency';
import { CloudMapServiceNotCreatedError } from '../errors';
import type { DrInventory } from '../inventory';
import type { CloudMapServiceCreationPlan } from '../retarget/cloud-map';
import type { NetworkFailure } from './network';

const CONCURRENCY = 4;

/** The id at the end of a Cloud Map ARN (`…:service/srv-…`, `…:namespace/ns-…`), or the text itself. */
function idOf(arnOrId: string): string {
  return arnOrId.split('/').pop() ?? arnOrId;
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && v !== null));
}

/**
 * Describes the Cloud Map services the captured services register in (`serviceRegistries`) and
 * the namespaces those and their Service Connect configurations use: one GetService and one
 * ListTagsForResource per service, one GetNamespace per namespace. A service or namespace that
 * cannot be read is a failure of its own; the others are still described.
 */
export async function describeCloudMap(
  sd: ServiceDiscoveryClient,
  registryArns: readonly string[],
  namespaceArns: readonly string[],
): Promise<{ namespaces: NamespaceRecord[]; services: CloudMapServiceRecord[]; failures: NetworkFailure[] }> {
  const failures: NetworkFailure[] = [];
  const fail = (resourceId: string, error: unknown) =>
    failures.push({ resourceId, code: awsErrorCode(error), message: awsErrorMessage(error) });
  const services = (
    await mapConcurrent([...new Set(registryArns)].sort(), CONCURRENCY, async (arn) => {
      try {
        const { Service: s } = await sd.send(new GetServiceCommand({ Id: idOf(arn) }));
        if (!s?.Id || !s.Name || !s.NamespaceId) return undefined;
        const tags = await sd.send(new ListTagsForResourceCommand({ ResourceARN: s.Arn ?? arn }));
        const dns = s.DnsConfig
          ? withoutUndefined({
              RoutingPolicy: s.DnsConfig.RoutingPolicy,
              DnsRecords: s.DnsConfig.DnsRecords?.map((r) => ({ Type: r.Type, TTL: r.TTL })),
            })
          : undefined;
        const record: CloudMapServiceRecord = {
          serviceId: s.Id,
          arn: s.Arn ?? arn,
          name: s.Name,
          namespaceId: s.NamespaceId,
          ...(s.Description ? { description: s.Description } : {}),
          ...(dns ? { dnsConfig: dns } : {}),
          ...(s.HealthCheckCustomConfig
            ? { healthCheckCustomConfig: withoutUndefined({ ...s.HealthCheckCustomConfig }) }
            : {}),
          tags: (tags.Tags ?? []).flatMap((t) => (t.Key ? [{ key: t.Key, value: t.Value ?? '' }] : [])),
        };
        return record;
      } catch (error) {
        fail(arn, error);
        return undefined;
      }
    })
  ).flatMap((s) => (s ? [s] : []));
  const namespaceIds = [
    ...new Set([...services.map((s) => s.namespaceId), ...namespaceArns.map(idOf)]),
  ].sort();
  const namespaces = (
    await mapConcurrent(namespaceIds, CONCURRENCY, async (id) => {
      try {
        const { Namespace: n } = await sd.send(new GetNamespaceCommand({ Id: id }));
        if (!n?.Id || !n.Arn || !n.Name) return undefined;
        const record: NamespaceRecord = {
          namespaceId: n.Id,
          arn: n.Arn,
          name: n.Name,
          ...(n.Type ? { type: n.Type } : {}),
        };
        return record;
      } catch (error) {
        fail(id, error);
        return undefined;
      }
    })
  ).flatMap((n) => (n ? [n] : []));
  return { namespaces, services, failures };
}

/** Every page of ListServices, as summaries (which carry no namespace). */
async function listServiceSummaries(
  sd: ServiceDiscoveryClient,
): Promise<{ Id?: string; Arn?: string; Name?: string }[]> {
  const all: { Id?: string; Arn?: string; Name?: string }[] = [];
  let token: string | undefined;
  do {
    const res = await sd.send(new ListServicesCommand({ NextToken: token }));
    all.push(...(res.Services ?? []));
    token = res.NextToken;
  } while (token);
  return all;
}

/**
 * Every Cloud Map namespace of the DR region (ListNamespaces pages), and the services named
 * `serviceNames` with their namespace: ListServices pages, then one GetService per service of a
 * wanted name (a summary names no namespace).
 */
export async function readDrCloudMap(
  sd: ServiceDiscoveryClient,
  serviceNames: readonly string[],
): Promise<Pick<DrInventory, 'cloudMapNamespaces' | 'cloudMapServices'>> {
  const cloudMapNamespaces: DrInventory['cloudMapNamespaces'] = [];
  let token: string | undefined;
  do {
    const res = await sd.send(new ListNamespacesCommand({ NextToken: token }));
    for (const n of res.Namespaces ?? []) {
      if (n.Id && n.Arn && n.Name)
        cloudMapNamespaces.push({
          namespaceId: n.Id,
          arn: n.Arn,
          name: n.Name,
          ...(n.Type ? { type: n.Type } : {}),
        });
    }
    token = res.NextToken;
  } while (token);
  const wanted = new Set(serviceNames);
  const candidates = (await listServiceSummaries(sd)).filter((s) => s.Id && s.Name && wanted.has(s.Name));
  const cloudMapServices = (
    await mapConcurrent(candidates, CONCURRENCY, async (summary) => {
      const { Service: s } = await sd.send(new GetServiceCommand({ Id: summary.Id }));
      return s?.Id && s.Arn && s.Name && s.NamespaceId
        ? [{ serviceId: s.Id, arn: s.Arn, name: s.Name, namespaceId: s.NamespaceId }]
        : [];
    })
  ).flat();
  return { cloudMapNamespaces, cloudMapServices };
}

/**
 * Creates the Cloud Map service in its DR namespace with the captured DNS and health check
 * settings and tags; on a re-run (same `CreatorRequestId`, or a service of that name already in
 * the namespace) returns the existing one. Returns its ARN.
 */
export async function ensureCloudMapService(
  sd: ServiceDiscoveryClient,
  creation: CloudMapServiceCreationPlan,
  creatorRequestId: string,
): Promise<string> {
  try {
    const res = await sd.send(
      new CreateServiceCommand({
        Name: creation.name,
        NamespaceId: creation.namespaceId,
        CreatorRequestId: creatorRequestId,
        ...(creation.description ? { Description: creation.description } : {}),
        ...(creation.dnsConfig ? { DnsConfig: creation.dnsConfig as never } : {}),
        ...(creation.healthCheckCustomConfig
          ? { HealthCheckCustomConfig: creation.healthCheckCustomConfig }
          : {}),
        Tags: creation.tags.map((t) => ({ Key: t.key, Value: t.value })),
      }),
    );
    if (res.Service?.Arn) return res.Service.Arn;
  } catch (error) {
    if (!/^ServiceAlreadyExists(Exception)?$/.test(awsErrorCode(error))) throw error;
  }
  for (const summary of await listServiceSummaries(sd)) {
    if (summary.Name !== creation.name || !summary.Id) continue;
    const { Service: s } = await sd.send(new GetServiceCommand({ Id: summary.Id }));
    if (s?.Arn && s.NamespaceId === creation.namespaceId) return s.Arn;
  }
  throw new CloudMapServiceNotCreatedError(creation.sourceServiceArn, creation.name, creation.namespaceName);
}
