import {
  CreatePrivateDnsNamespaceCommand,
  CreateServiceCommand,
  GetServiceCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  type ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { SeedError } from './errors';
import type { SeedLedger } from './seed-support';

/** A private DNS namespace in the seeded VPC and, optionally, Cloud Map services in it. */
export interface CloudMapSpec {
  readonly namespace: string;
  /** Services tasks register A records in (`serviceRegistries`). */
  readonly services: readonly string[];
}

export interface SeededCloudMap {
  readonly namespaceArn: string;
  readonly namespaceId: string;
  /** Cloud Map service ARN by name (none for a DR landing zone). */
  readonly serviceArns: ReadonlyMap<string, string>;
}

async function findNamespace(sd: ServiceDiscoveryClient, name: string) {
  const res = await sd.send(new ListNamespacesCommand({}));
  return res.Namespaces?.find((n) => n.Name === name);
}

async function findService(sd: ServiceDiscoveryClient, name: string, namespaceId: string) {
  const res = await sd.send(new ListServicesCommand({}));
  for (const summary of res.Services ?? []) {
    if (summary.Name !== name) continue;
    const { Service: s } = await sd.send(new GetServiceCommand({ Id: summary.Id }));
    if (s?.NamespaceId === namespaceId) return s;
  }
  return undefined;
}

/**
 * Makes the private DNS namespace (in `vpcId`) and, with `withServices`, its services (A records,
 * 10 s TTL, multivalue answers, ECS health) exist in `region`, found by name on a re-run.
 */
export async function ensureCloudMap(
  sd: ServiceDiscoveryClient,
  region: string,
  vpcId: string,
  spec: CloudMapSpec,
  opts: { withServices: boolean },
  ledger: SeedLedger,
): Promise<SeededCloudMap> {
  let namespace = await findNamespace(sd, spec.namespace);
  if (!namespace) {
    await sd.send(
      new CreatePrivateDnsNamespaceCommand({
        Name: spec.namespace,
        Vpc: vpcId,
        Tags: [{ Key: 'lifeboat:demo', Value: 'true' }],
      }),
    );
    ledger.created(`servicediscovery:namespace:${region}:${spec.namespace}`);
    namespace = await findNamespace(sd, spec.namespace);
  }
  if (!namespace?.Id || !namespace.Arn) {
    throw new SeedError(`Cloud Map namespace ${spec.namespace} was not created in ${region}.`, region);
  }
  const serviceArns = new Map<string, string>();
  if (opts.withServices) {
    for (const name of spec.services) {
      let service = await findService(sd, name, namespace.Id);
      if (!service) {
        const res = await sd.send(
          new CreateServiceCommand({
            Name: name,
            NamespaceId: namespace.Id,
            DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }] },
            HealthCheckCustomConfig: { FailureThreshold: 1 },
            Tags: [{ Key: 'team', Value: 'shop' }],
          }),
        );
        service = res.Service;
        ledger.created(`servicediscovery:service:${region}:${spec.namespace}/${name}`);
      }
      if (!service?.Arn)
        throw new SeedError(`Cloud Map service ${name} was not created in ${region}.`, region);
      serviceArns.set(name, service.Arn);
    }
  }
  return { namespaceArn: namespace.Arn, namespaceId: namespace.Id, serviceArns };
}
