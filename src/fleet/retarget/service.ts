import type { CreateServiceInputRecord, EbsVolumeRecord, NetworkRecord, Tag } from '../../catalog/manifest';
import type { LifeboatConfig } from '../../config/schema';
import { parseArn } from '../../kernel/arns';
import { compareText, type Finding } from '../../kernel/findings';
import { type DrInventory, type DrSecurityGroup, type DrSubnet, SOURCE_ID_TAG } from '../inventory';
import {
  type CloudMapContext,
  type CloudMapServiceCreationPlan,
  missingNamespaceFix,
  resolveRegistry,
  serviceConnectNamespace,
} from './cloud-map';
import { provenanceTags } from './provenance';
import {
  eachRecord,
  isFargateProvider,
  isRecord,
  type Json,
  lookup,
  type ReferenceContext,
  type RetargetChange,
  RetargetSession,
  recordsAt,
} from './refs';
import { resolveTargetGroup } from './target-groups';

type FindingInput = Omit<Finding, 'service'>;

/** What retargeting a service's CreateService input needs besides the two regions. */
export interface ServiceRetargetContext extends ReferenceContext {
  readonly recoveryPointId: string;
  /** The deployment restoring: tagged on the service, which makes it Lifeboat's (see DEPLOYMENT_TAG). */
  readonly deploymentId: string;
  /** Cluster the service is created in, in the DR region. */
  readonly drClusterName: string;
  /** Desired count to create the service with (already scaled by the restore input). */
  readonly desiredCount: number;
  readonly mappings: Pick<LifeboatConfig['mappings'], 'subnets' | 'securityGroups' | 'targetGroups'>;
  /** The recovery point's primary-region subnets and security groups, with their tags. */
  readonly network: NetworkRecord;
  readonly inventory: Pick<DrInventory, 'subnets' | 'securityGroups' | 'targetGroups'>;
  /**
   * Primary target group ARNs the restore creates in DR (`restore.createTargetGroups`), with
   * the VPC each is created in: a service naming one waits for it instead of being blocked.
   * @default - none
   */
  readonly createdTargetGroups?: ReadonlyMap<string, string>;
  /** The recovery point's Cloud Map records and the DR namespaces and services. */
  readonly cloudMap: CloudMapContext;
  /** The recovery point's EBS volume records of this service. */
  readonly ebsVolumes: readonly EbsVolumeRecord[];
}

/** CreateService input for the DR region; `taskDefinition` is set when the restore registers it. */
export type DrCreateServiceInput = CreateServiceInputRecord & { cluster: string; desiredCount?: number };

export interface ServiceRetargetResult {
  readonly createServiceInput: DrCreateServiceInput;
  readonly changes: RetargetChange[];
  readonly findings: FindingInput[];
  /** CloudWatch log groups (Service Connect) written in the DR region. */
  readonly logGroups: string[];
  /** IAM roles the service passes (service role, EBS infrastructure role, VPC Lattice role). */
  readonly roles: string[];
  /**
   * Primary target group ARNs left in `loadBalancers` for the restore to substitute once it has
   * created their DR groups (`createdTargetGroups`).
   */
  readonly pendingTargetGroups: string[];
  /** Primary Cloud Map service ARNs left in `serviceRegistries` for the restore to create in DR. */
  readonly pendingRegistries: string[];
  /** The Cloud Map services those stand for, to create in their DR namespaces. */
  readonly registryCreations: Omit<CloudMapServiceCreationPlan, 'services'>[];
}

type Resolution = { drId: string; finding?: FindingInput } | { drId?: undefined; finding: FindingInput };

function tagValue(tags: readonly Tag[], key: string): string | undefined {
  return tags.find((t) => t.key === key)?.value;
}

interface NetworkKind<T> {
  readonly label: 'Subnet' | 'Security group';
  readonly code: 'SUBNET' | 'SECURITY_GROUP';
  readonly configKey: 'subnets' | 'securityGroups';
  readonly idOf: (item: T) => string;
  readonly vpcOf: (item: T) => string | undefined;
  readonly tagsOf: (item: T) => readonly Tag[];
}

const SUBNET: NetworkKind<DrSubnet> = {
  label: 'Subnet',
  code: 'SUBNET',
  configKey: 'subnets',
  idOf: (s) => s.subnetId,
  vpcOf: (s) => s.vpcId,
  tagsOf: (s) => s.tags,
};

const SECURITY_GROUP: NetworkKind<DrSecurityGroup> = {
  label: 'Security group',
  code: 'SECURITY_GROUP',
  configKey: 'securityGroups',
  idOf: (g) => g.groupId,
  vpcOf: (g) => g.vpcId,
  tagsOf: (g) => g.tags,
};

/**
 * Maps a primary subnet or security group id to its DR counterpart: the explicit mapping in
 * config, else the DR object tagged `lifeboat:source-id=<id>`, else the one with the same
 * `Name` tag (security groups: also the same group name). Candidates outside `preferVpcs`
 * are dropped when some are inside. An id that already names a DR object stays.
 */
function resolveNetworkId<T>(
  kind: NetworkKind<T>,
  sourceId: string,
  drObjects: readonly T[],
  mapping: Readonly<Record<string, string>>,
  primary: { name?: string; groupName?: string } | undefined,
  preferVpcs: ReadonlySet<string>,
  drRegion: string,
): Resolution {
  const fixText = `Add mappings.${kind.configKey}["${sourceId}"] = "<DR id>" to the Lifeboat config, or tag the DR ${kind.label.toLowerCase()} ${SOURCE_ID_TAG}=${sourceId}.`;
  const byId = (id: string) => drObjects.find((o) => kind.idOf(o) === id);
  const explicit = lookup(mapping, sourceId);
  if (explicit !== undefined) {
    if (byId(explicit)) return { drId: explicit };
    return {
      finding: {
        severity: 'error',
        code: `${kind.code}_MAPPING_INVALID`,
        resource: sourceId,
        message: `mappings.${kind.configKey}["${sourceId}"] is ${explicit}, which does not exist in ${drRegion}.`,
        fix: `Set mappings.${kind.configKey}["${sourceId}"] to an existing ${kind.label.toLowerCase()} id in ${drRegion}.`,
      },
    };
  }
  if (byId(sourceId)) return { drId: sourceId };
  const narrow = (candidates: readonly T[]) => {
    const inVpc = candidates.filter((c) => preferVpcs.has(kind.vpcOf(c) ?? ''));
    return inVpc.length > 0 ? inVpc : candidates;
  };
  const attempts: { via: string; candidates: T[] }[] = [
    {
      via: `tag ${SOURCE_ID_TAG}=${sourceId}`,
      candidates: drObjects.filter((o) => tagValue(kind.tagsOf(o), SOURCE_ID_TAG) === sourceId),
    },
  ];
  if (primary?.name) {
    const name = primary.name;
    attempts.push({
      via: `Name tag "${name}"`,
      candidates: drObjects.filter((o) => tagValue(kind.tagsOf(o), 'Name') === name),
    });
  }
  if (primary?.groupName && primary.groupName !== 'default') {
    const groupName = primary.groupName;
    attempts.push({
      via: `group name "${groupName}"`,
      candidates: drObjects.filter((o) => (o as { groupName?: string }).groupName === groupName),
    });
  }
  for (const { via, candidates } of attempts) {
    const narrowed = narrow(candidates);
    const ids = narrowed.map(kind.idOf).sort(compareText);
    const [only] = ids;
    if (ids.length === 1 && only !== undefined) {
      if (via.startsWith('tag ')) return { drId: only };
      return {
        drId: only,
        finding: {
          severity: 'info',
          code: `${kind.code}_MATCHED_BY_NAME`,
          resource: sourceId,
          message: `${kind.label} ${sourceId} is mapped to ${only} in ${drRegion} by its ${via}.`,
          fix: `If that is wrong, add mappings.${kind.configKey}["${sourceId}"] = "<DR id>" to the Lifeboat config.`,
        },
      };
    }
    if (ids.length > 1) {
      return {
        finding: {
          severity: 'error',
          code: `${kind.code}_AMBIGUOUS`,
          resource: sourceId,
          message: `${kind.label} ${sourceId} matches ${ids.length} objects in ${drRegion} by ${via} (${ids.join(', ')}).`,
          fix: fixText,
        },
      };
    }
  }
  const described = primary?.name ? ` (Name "${primary.name}")` : '';
  return {
    finding: {
      severity: 'error',
      code: `${kind.code}_NOT_MAPPED`,
      resource: sourceId,
      message: `${kind.label} ${sourceId}${described} has no counterpart in ${drRegion}: no mapping, no DR object tagged ${SOURCE_ID_TAG}=${sourceId}${primary?.name ? ' and none with the same Name tag' : ''}.`,
      fix: fixText,
    },
  };
}

function resolveIds(
  holder: Json,
  key: 'subnets' | 'securityGroups',
  path: string,
  session: RetargetSession,
  resolve: (id: string) => Resolution,
): Set<string> {
  const ids = holder[key];
  const resolvedIds = new Set<string>();
  if (!Array.isArray(ids)) return resolvedIds;
  ids.forEach((id, i) => {
    if (typeof id !== 'string') return;
    const at = `${path}.${key}[${i}]`;
    const resolution = resolve(id);
    if (resolution.finding) session.report(at, resolution.finding);
    if (resolution.drId === undefined) return;
    resolvedIds.add(resolution.drId);
    session.set(ids, i, at, resolution.drId);
  });
  return resolvedIds;
}

function retargetNetwork(input: Json, ctx: ServiceRetargetContext, session: RetargetSession): Set<string> {
  const network = input.networkConfiguration;
  const vpc = isRecord(network) ? network.awsvpcConfiguration : undefined;
  if (!isRecord(vpc)) return new Set();
  const path = 'networkConfiguration.awsvpcConfiguration';
  const primarySubnets = new Map(ctx.network.subnets.map((s) => [s.subnetId, s]));
  const primaryGroups = new Map(ctx.network.securityGroups.map((g) => [g.groupId, g]));
  const subnetIds = resolveIds(vpc, 'subnets', path, session, (id) =>
    resolveNetworkId(
      SUBNET,
      id,
      ctx.inventory.subnets,
      ctx.mappings.subnets,
      { name: tagValue(primarySubnets.get(id)?.tags ?? [], 'Name') },
      new Set(),
      ctx.drRegion,
    ),
  );
  const subnetVpcs = new Set(
    ctx.inventory.subnets.filter((s) => subnetIds.has(s.subnetId)).flatMap((s) => (s.vpcId ? [s.vpcId] : [])),
  );
  const groupIds = resolveIds(vpc, 'securityGroups', path, session, (id) => {
    const primary = primaryGroups.get(id);
    return resolveNetworkId(
      SECURITY_GROUP,
      id,
      ctx.inventory.securityGroups,
      ctx.mappings.securityGroups,
      { name: tagValue(primary?.tags ?? [], 'Name'), groupName: primary?.groupName },
      subnetVpcs,
      ctx.drRegion,
    );
  });
  const vpcs = new Set(subnetVpcs);
  for (const g of ctx.inventory.securityGroups) if (groupIds.has(g.groupId) && g.vpcId) vpcs.add(g.vpcId);
  if (vpcs.size > 1) {
    session.report(path, {
      severity: 'error',
      code: 'NETWORK_VPC_MISMATCH',
      resource: [...subnetIds, ...groupIds].sort(compareText).join(','),
      message: `The DR subnets and security groups of the service are in different VPCs (${[...vpcs].sort(compareText).join(', ')}); ECS rejects that.`,
      fix: 'Map the subnets and security groups to objects of one DR VPC (mappings.subnets / mappings.securityGroups, or lifeboat:source-id tags).',
    });
  }
  return vpcs;
}

function retargetLoadBalancers(
  input: Json,
  ctx: ServiceRetargetContext,
  session: RetargetSession,
  vpcs: ReadonlySet<string>,
): string[] {
  const pending: string[] = [];
  eachRecord(input, 'loadBalancers', (lb, i) => {
    const path = `loadBalancers[${i}]`;
    if (typeof lb.targetGroupArn === 'string' && lb.targetGroupArn !== '') {
      const resolution = resolveTargetGroup(
        lb.targetGroupArn,
        ctx.inventory.targetGroups,
        ctx.mappings.targetGroups,
        ctx.drRegion,
      );
      const createdIn = ctx.createdTargetGroups?.get(lb.targetGroupArn);
      if (
        resolution.drId === undefined &&
        resolution.finding.code === 'TARGET_GROUP_NOT_MAPPED' &&
        createdIn
      ) {
        pending.push(lb.targetGroupArn);
        session.keep(`${path}.targetGroupArn`);
        if (vpcs.size > 0 && !vpcs.has(createdIn)) {
          session.report(`${path}.targetGroupArn`, {
            severity: 'error',
            code: 'NETWORK_VPC_MISMATCH',
            resource: lb.targetGroupArn,
            message: `Target group ${lb.targetGroupArn} would be created in ${createdIn}, the VPC of its DR load balancer, not in the service's DR VPC (${[...vpcs].sort(compareText).join(', ')}).`,
            fix: 'Map the service subnets and the load balancer to one DR VPC (mappings.subnets, mappings.loadBalancers).',
          });
        }
        return;
      }
      if (resolution.finding) session.report(`${path}.targetGroupArn`, resolution.finding);
      if (resolution.drId !== undefined) {
        session.set(lb, 'targetGroupArn', `${path}.targetGroupArn`, resolution.drId);
        const group = ctx.inventory.targetGroups.find((g) => g.targetGroupArn === resolution.drId);
        if (group?.vpcId && vpcs.size > 0 && !vpcs.has(group.vpcId)) {
          session.report(`${path}.targetGroupArn`, {
            severity: 'error',
            code: 'NETWORK_VPC_MISMATCH',
            resource: resolution.drId,
            message: `Target group ${resolution.drId} is in ${group.vpcId}, not in the service's DR VPC (${[...vpcs].sort(compareText).join(', ')}).`,
            fix: 'Map the target group to one in the same DR VPC as the service subnets (mappings.targetGroups).',
          });
        }
      }
    } else if (typeof lb.loadBalancerName === 'string') {
      session.report(`${path}.loadBalancerName`, {
        severity: 'warning',
        code: 'CLASSIC_LOAD_BALANCER',
        resource: lb.loadBalancerName,
        message: `The service uses Classic Load Balancer "${lb.loadBalancerName}", which Lifeboat does not map; it must exist in ${ctx.drRegion} with the same name.`,
        fix: `Create Classic Load Balancer "${lb.loadBalancerName}" in ${ctx.drRegion}, or move the service to a target group.`,
      });
    }
  });
  return pending.sort(compareText);
}

/**
 * Cloud Map registrations and Service Connect: a registry is pointed at the DR Cloud Map service
 * of the same name in the mapped DR namespace, or left pending for the restore to create there;
 * without a DR namespace it is dropped with a warning naming the fix. A Service Connect namespace
 * named by a primary ARN is mapped to the DR namespace (same name, or `mappings.namespaces`).
 */
function retargetDiscovery(
  input: Json,
  ctx: ServiceRetargetContext,
  session: RetargetSession,
): { pending: string[]; creations: Omit<CloudMapServiceCreationPlan, 'services'>[] } {
  const pending: string[] = [];
  const creations: Omit<CloudMapServiceCreationPlan, 'services'>[] = [];
  const registries = Array.isArray(input.serviceRegistries) ? input.serviceRegistries : [];
  const dropped: Json[] = [];
  registries.forEach((r, i) => {
    if (!isRecord(r) || typeof r.registryArn !== 'string') return;
    if (parseArn(r.registryArn)?.region === ctx.drRegion) return;
    const at = `serviceRegistries[${i}].registryArn`;
    const resolution = resolveRegistry(r.registryArn, ctx.cloudMap, {
      deploymentId: ctx.deploymentId,
      recoveryPointId: ctx.recoveryPointId,
    });
    if (resolution.kind === 'mapped') {
      session.set(r, 'registryArn', at, resolution.drArn);
    } else if (resolution.kind === 'create') {
      pending.push(r.registryArn);
      creations.push(resolution.creation);
      session.keep(at);
    } else {
      dropped.push(r);
      session.report('serviceRegistries', resolution.finding);
    }
  });
  if (dropped.length > 0 && dropped.length === registries.length) {
    session.remove(input, 'serviceRegistries', 'serviceRegistries');
  } else if (dropped.length > 0) {
    session.set(
      input,
      'serviceRegistries',
      'serviceRegistries',
      registries.filter((r) => !dropped.includes(r as Json)),
    );
  }
  const result = { pending: pending.sort(compareText), creations };
  const connect = input.serviceConnectConfiguration;
  if (!isRecord(connect)) return result;
  if (typeof connect.namespace === 'string') {
    const mapped = serviceConnectNamespace(connect.namespace, ctx.cloudMap);
    if (mapped.drNamespace === undefined) {
      session.remove(input, 'serviceConnectConfiguration', 'serviceConnectConfiguration');
      session.report('serviceConnectConfiguration', {
        severity: 'warning',
        code: 'SERVICE_CONNECT_NAMESPACE_NOT_MAPPED',
        resource: String(connect.namespace),
        message: `Service Connect namespace ${mapped.source ? `"${mapped.source.name}" ` : ''}(${String(connect.namespace)}) has no counterpart in ${ctx.drRegion}; the service is restored without Service Connect.`,
        fix: missingNamespaceFix(mapped.source, ctx.drRegion, String(connect.namespace)),
      });
      return result;
    }
    if (mapped.drNamespace !== connect.namespace) {
      session.set(connect, 'namespace', 'serviceConnectConfiguration.namespace', mapped.drNamespace);
    }
  }
  session.rewriteLogConfiguration(connect.logConfiguration, 'serviceConnectConfiguration.logConfiguration');
  if (connect.enabled === true) {
    const named =
      typeof connect.namespace === 'string' ? `Cloud Map namespace "${connect.namespace}"` : undefined;
    session.report('serviceConnectConfiguration.namespace', {
      severity: 'warning',
      code: 'SERVICE_CONNECT_NAMESPACE_REQUIRED',
      resource: typeof connect.namespace === 'string' ? connect.namespace : ctx.drClusterName,
      message: `The service uses Service Connect with ${named ?? `the default namespace of cluster ${ctx.drClusterName}`}, which Lifeboat does not create; creating the service fails if it does not exist in ${ctx.drRegion}.`,
      fix: named
        ? `Create ${named} in ${ctx.drRegion} (AWS Cloud Map) before failing over.`
        : `Set a default Service Connect namespace on cluster ${ctx.drClusterName} in ${ctx.drRegion}, or name the namespace in the service's Service Connect configuration.`,
    });
  }
  return result;
}

function retargetVolumes(input: Json, ctx: ServiceRetargetContext, session: RetargetSession): void {
  eachRecord(input, 'volumeConfigurations', (vc, i) => {
    const ebs = vc.managedEBSVolume;
    if (!isRecord(ebs)) return;
    const path = `volumeConfigurations[${i}].managedEBSVolume`;
    const name = typeof vc.name === 'string' ? vc.name : '';
    const record = ctx.ebsVolumes.find((v) => v.kind === 'managed' && v.volumeName === name);
    if (record?.drSnapshotId) {
      session.set(ebs, 'snapshotId', `${path}.snapshotId`, record.drSnapshotId);
    } else {
      session.report(`${path}.snapshotId`, {
        severity: 'error',
        code: 'EBS_SNAPSHOT_NOT_IN_DR',
        resource: record?.sourceVolumeId ?? name,
        message: record
          ? `Managed EBS volume "${name}" (${record.sourceVolumeId}) has no snapshot in ${ctx.drRegion} in the recovery point; restoring would start the tasks on an empty volume.`
          : `Managed EBS volume "${name}" has no record in the recovery point; restoring would start the tasks on an empty volume.`,
        fix: `Restore from a recovery point whose backup copied the volume's snapshot to ${ctx.drRegion} (see \`lifeboat recovery-points list\`), or exclude this service and restore it by hand.`,
      });
    }
    if (record?.drSnapshotId && record.drKmsKeyId) {
      // ECS creates the volume from the DR copy, which is encrypted with a key of the DR region.
      session.set(ebs, 'kmsKeyId', `${path}.kmsKeyId`, record.drKmsKeyId);
      session.set(ebs, 'encrypted', `${path}.encrypted`, true);
    } else {
      session.rewriteKmsKey(ebs, 'kmsKeyId', `${path}.kmsKeyId`, `Managed EBS volume "${name}"`);
    }
    session.collectRole(ebs.roleArn);
  });
  const lattice = Array.isArray(input.vpcLatticeConfigurations) ? input.vpcLatticeConfigurations : [];
  const keptLattice = lattice.filter((l, i) => {
    if (!isRecord(l) || typeof l.targetGroupArn !== 'string') return true;
    const path = `vpcLatticeConfigurations[${i}]`;
    session.collectRole(l.roleArn);
    const source = l.targetGroupArn;
    const mapped = lookup(ctx.mappings.targetGroups, source);
    if (mapped !== undefined) {
      session.set(l, 'targetGroupArn', `${path}.targetGroupArn`, mapped);
      return true;
    }
    if (parseArn(source)?.region === ctx.drRegion) return true;
    session.report(`${path}.targetGroupArn`, {
      severity: 'warning',
      code: 'VPC_LATTICE_NOT_MAPPED',
      resource: source,
      message: `VPC Lattice target group ${source} has no DR mapping; the service is restored without this VPC Lattice configuration.`,
      fix: `Create the VPC Lattice target group in ${ctx.drRegion} and add mappings.targetGroups["${source}"] = "<DR target group ARN>" to the Lifeboat config.`,
    });
    return false;
  });
  if (keptLattice.length === lattice.length) return;
  if (keptLattice.length === 0) session.remove(input, 'vpcLatticeConfigurations', 'vpcLatticeConfigurations');
  else session.set(input, 'vpcLatticeConfigurations', 'vpcLatticeConfigurations', keptLattice);
}

function reportCapacity(input: Json, ctx: ServiceRetargetContext, session: RetargetSession): void {
  eachRecord(input, 'capacityProviderStrategy', (item, i) => {
    const provider = item.capacityProvider;
    if (typeof provider !== 'string' || isFargateProvider(provider)) return;
    session.report(`capacityProviderStrategy[${i}].capacityProvider`, {
      severity: 'warning',
      code: 'CAPACITY_PROVIDER_NOT_IN_DR',
      resource: provider,
      message: `The service runs on capacity provider "${provider}" (an Auto Scaling group), which Lifeboat cannot create; it must exist on cluster ${ctx.drClusterName} in ${ctx.drRegion}.`,
      fix: `Create the Auto Scaling group and capacity provider "${provider}" in ${ctx.drRegion} and attach it to cluster ${ctx.drClusterName}.`,
    });
  });
  if (input.launchType === 'EC2' || input.launchType === 'EXTERNAL') {
    session.report('launchType', {
      severity: 'warning',
      code: 'CONTAINER_INSTANCES_REQUIRED',
      resource: ctx.drClusterName,
      message: `The service uses launch type ${input.launchType}; its tasks only start once container instances are registered to cluster ${ctx.drClusterName} in ${ctx.drRegion}.`,
      fix: `Register container instances (an Auto Scaling group with the ECS agent) to cluster ${ctx.drClusterName} in ${ctx.drRegion}.`,
    });
  }
  const controller = isRecord(input.deploymentController) ? input.deploymentController.type : undefined;
  if (controller === 'CODE_DEPLOY' || controller === 'EXTERNAL') {
    session.report('deploymentController.type', {
      severity: 'warning',
      code: 'DEPLOYMENT_CONTROLLER_NOT_RESTORED',
      resource: String(controller),
      message: `The service deploys with the ${String(controller)} controller; Lifeboat restores the service, not its ${controller === 'CODE_DEPLOY' ? 'CodeDeploy application and deployment group' : 'task sets'}.`,
      fix: `Recreate the ${controller === 'CODE_DEPLOY' ? 'CodeDeploy application and deployment group' : 'task sets'} in ${ctx.drRegion} before the next deployment.`,
    });
  }
}

/**
 * Rewrites a recovery point's CreateService input for the DR region: cluster and desired
 * count, subnets / security groups / target groups through mappings or tags, managed EBS
 * volumes onto their DR snapshots (and the DR copy's KMS key), Service Connect log
 * configuration; primary-region Cloud
 * Map registrations, Service Connect namespace ARNs and unmapped VPC Lattice configurations
 * are removed with a warning. Adds the `lifeboat:deployment` and `lifeboat:recovery-point` tags
 * (see `provenanceTags`). Never throws.
 */
export function retargetService(
  input: CreateServiceInputRecord,
  ctx: ServiceRetargetContext,
): ServiceRetargetResult {
  const service = structuredClone(input) as Json;
  const session = new RetargetSession(ctx);
  const vpcs = retargetNetwork(service, ctx, session);
  const pendingTargetGroups = retargetLoadBalancers(service, ctx, session, vpcs);
  const discovery = retargetDiscovery(service, ctx, session);
  retargetVolumes(service, ctx, session);
  reportCapacity(service, ctx, session);
  session.collectRole(service.role);
  session.moveRemainingReferences(service, '');

  const tagged = provenanceTags(
    recordsAt(service, 'tags') as Tag[],
    { deploymentId: ctx.deploymentId, recoveryPointId: ctx.recoveryPointId },
    `${ctx.drClusterName}/${String(service.serviceName)}`,
    `Service ${ctx.drClusterName}/${String(service.serviceName)}`,
  );
  if (tagged.finding) session.report('tags', tagged.finding);
  service.tags = tagged.tags;
  service.cluster = ctx.drClusterName;
  if (service.schedulingStrategy === 'DAEMON') delete service.desiredCount;
  else service.desiredCount = ctx.desiredCount;

  return {
    createServiceInput: service as DrCreateServiceInput,
    changes: session.changes,
    findings: session.findings,
    logGroups: [...session.logGroups].sort(compareText),
    roles: [...session.roles].sort(compareText),
    pendingTargetGroups,
    pendingRegistries: discovery.pending,
    registryCreations: discovery.creations,
  };
}
