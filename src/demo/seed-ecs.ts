import {
  CreateClusterCommand,
  type CreateClusterCommandInput,
  CreateServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import type { ServiceSpec } from './seed-fleet';
import { required, type SeedLedger } from './seed-support';

/**
 * Creates the clusters that are missing or INACTIVE. Existing ones are left untouched:
 * CreateCluster on an existing name would replace its settings, tags and capacity
 * providers (moto does; real ECS returns the existing cluster unchanged).
 */
export async function ensureClusters(
  ecs: ECSClient,
  region: string,
  specs: readonly (CreateClusterCommandInput & { clusterName: string })[],
  ledger: SeedLedger,
): Promise<Map<string, string>> {
  const res = await ecs.send(new DescribeClustersCommand({ clusters: specs.map((c) => c.clusterName) }));
  const arns = new Map<string, string>();
  for (const c of res.clusters ?? []) {
    if (c.status === 'ACTIVE' && c.clusterName && c.clusterArn) arns.set(c.clusterName, c.clusterArn);
  }
  for (const spec of specs) {
    if (arns.has(spec.clusterName)) continue;
    const created = await ecs.send(new CreateClusterCommand(spec));
    arns.set(spec.clusterName, required(created.cluster?.clusterArn, 'created cluster ARN', region));
    ledger.created(`ecs:cluster:${region}:${spec.clusterName}`);
  }
  return arns;
}

function revisionOf(arn: string): number {
  return Number(arn.slice(arn.lastIndexOf(':') + 1));
}

/**
 * Returns the latest ACTIVE revision of the family, registering revision 1 only when the
 * family has none (so a re-run registers nothing).
 */
export async function ensureTaskDefinition(
  ecs: ECSClient,
  region: string,
  spec: ServiceSpec,
  ledger: SeedLedger,
): Promise<string> {
  const family = spec.registerInput.family;
  const listed = await ecs.send(
    new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC' }),
  );
  // familyPrefix is a prefix: `shop-web` also lists `shop-web-canary`.
  const latest = (listed.taskDefinitionArns ?? [])
    .filter((arn) => arn.slice(arn.lastIndexOf('/') + 1, arn.lastIndexOf(':')) === family)
    .sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  if (latest) return latest;
  const registered = await ecs.send(new RegisterTaskDefinitionCommand(spec.registerInput));
  ledger.created(`ecs:task-definition:${region}:${family}`);
  return required(registered.taskDefinition?.taskDefinitionArn, 'registered task definition ARN', region);
}

export interface SeededService {
  readonly serviceArn: string;
  readonly taskDefinitionArn: string;
}

/**
 * Creates the services of one cluster that are missing (or INACTIVE). Moto accepts a
 * CreateService for an existing name and silently replaces that service, so existence is
 * checked first.
 */
export async function ensureServices(
  ecs: ECSClient,
  region: string,
  clusterName: string,
  specs: readonly { spec: ServiceSpec; taskDefinitionArn: string }[],
  ledger: SeedLedger,
): Promise<Map<string, SeededService>> {
  const seeded = new Map<string, SeededService>();
  for (let i = 0; i < specs.length; i += 10) {
    const batch = specs.slice(i, i + 10);
    const res = await ecs.send(
      new DescribeServicesCommand({ cluster: clusterName, services: batch.map((s) => s.spec.serviceName) }),
    );
    for (const s of res.services ?? []) {
      if (s.status === 'INACTIVE' || !s.serviceName || !s.serviceArn || !s.taskDefinition) continue;
      seeded.set(s.serviceName, { serviceArn: s.serviceArn, taskDefinitionArn: s.taskDefinition });
    }
    for (const { spec, taskDefinitionArn } of batch) {
      if (seeded.has(spec.serviceName)) continue;
      const created = await ecs.send(
        new CreateServiceCommand({ ...spec.createInput, taskDefinition: taskDefinitionArn }),
      );
      seeded.set(spec.serviceName, {
        serviceArn: required(created.service?.serviceArn, 'created service ARN', region),
        taskDefinitionArn,
      });
      ledger.created(`ecs:service:${region}:${clusterName}/${spec.serviceName}`);
    }
  }
  return seeded;
}
