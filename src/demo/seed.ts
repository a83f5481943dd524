import type { CreateServiceCommandInput, RegisterTaskDefinitionCommandInput, Tag } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from '../aws/clients';
import { ecrRegistryHost, parseImageReference } from '../images/references';
import { SeedError } from './errors';
import { ensureCloudMap, type SeededCloudMap } from './seed-cloud-map';
import { ensureClusters, ensureServices, ensureTaskDefinition } from './seed-ecs';
import {
  ARCHIVE_VOLUME,
  CLUSTERS,
  DR_NETWORK,
  demoServices,
  type FleetIds,
  LEDGER_DATA_VOLUME,
  LEDGER_SERVICE_KEY,
  LEDGER_VOLUME_NAME,
  LOG_GROUP_PREFIX,
  logGroupsFor,
  PARAMETERS,
  PRIMARY_NETWORK,
  RECONCILER_SERVICE_KEY,
  SECRETS,
  type ServiceSpec,
  SHARED_FILE_SYSTEM,
  SHOP_CLOUD_MAP,
  SHOP_LOAD_BALANCING,
} from './seed-fleet';
import {
  demoImagePlan,
  ensureImages,
  ensureRepositories,
  finalTags,
  type ImagePlatform,
  MEDIA_TYPES,
} from './seed-images';
import { ensureLoadBalancing, type SeededLoadBalancing } from './seed-load-balancing';
import {
  ensureFileSystem,
  ensureNetwork,
  ensureVolume,
  type SeededFileSystem,
  type SeededNetwork,
  type SeededVolume,
  sourceIdsOf,
} from './seed-network';
import {
  ensureLogGroups,
  ensureParameters,
  ensureSecret,
  type SeededParameter,
  type SeededSecret,
} from './seed-secrets';
import { required, SeedLedger } from './seed-support';

export { SOURCE_ID_TAG } from '../fleet/inventory';

export interface DemoFleetOptions {
  /** Region that runs the fleet. */
  readonly primaryRegion: string;
  /** Region that gets the corresponding network, secret replicas, parameters and empty repositories. */
  readonly drRegion: string;
  /** @default - the caller's account from STS GetCallerIdentity (123456789012 on moto) */
  readonly account?: string;
}

export interface DemoCluster {
  readonly clusterName: string;
  readonly clusterArn: string;
  /** As sent to CreateCluster. */
  readonly settings: readonly { name: string; value: string }[];
  readonly capacityProviders: readonly string[];
  readonly tags: readonly Tag[];
}

export interface DemoService {
  /** `cluster/service` */
  readonly key: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly serviceArn: string;
  readonly taskDefinitionArn: string;
  readonly family: string;
  /** Carries `lifeboat:backup=true`, so the default selection captures it. */
  readonly protected: boolean;
  /** The service's `lifeboat:wave` tag. */
  readonly wave: number;
  readonly tags: readonly Tag[];
  /** Container images exactly as the task definition names them. */
  readonly images: readonly string[];
  /**
   * The requests the seed sends. Compare with what the emulator describes: moto drops
   * several CreateService fields (see the seed test for the list).
   */
  readonly registerInput: RegisterTaskDefinitionCommandInput;
  readonly createInput: CreateServiceCommandInput;
}

export interface DemoRepository {
  readonly repositoryName: string;
  /** `<account>.dkr.ecr.<primary>.amazonaws.com/<name>` */
  readonly primaryUri: string;
  /** The same repository in the DR region (created empty). */
  readonly drUri: string;
}

/** One manifest in a primary-region repository. */
export interface DemoImage {
  readonly repositoryName: string;
  readonly digest: string;
  /** Current tags; empty for the children of a multi-architecture image. */
  readonly tags: readonly string[];
  readonly mediaType: string;
  /** The exact manifest bytes (their SHA-256 is `digest`). */
  readonly imageManifest: string;
  readonly platform?: ImagePlatform;
}

export interface DemoMultiArchImage {
  readonly repositoryName: string;
  readonly tag: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly childDigests: readonly string[];
}

export interface DemoNetworkMapping {
  readonly vpcs: Readonly<Record<string, string>>;
  /** Primary → DR subnet id; the shape of `LifeboatConfig['mappings']['subnets']`. */
  readonly subnets: Readonly<Record<string, string>>;
  readonly securityGroups: Readonly<Record<string, string>>;
}

export interface DemoFleet {
  readonly account: string;
  /** The shop's load balancer in each region (the DR one is the landing zone the restore maps to). */
  readonly loadBalancing: { readonly primary: SeededLoadBalancing; readonly dr: SeededLoadBalancing };
  /** The shop's Cloud Map namespace in each region (the DR one has no service: the restore creates it). */
  readonly cloudMap: { readonly primary: SeededCloudMap; readonly dr: SeededCloudMap };
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly clusters: readonly DemoCluster[];
  readonly services: readonly DemoService[];
  /** Keys the default selection (`lifeboat:backup=true`, include `*\/*`) captures, sorted. */
  readonly selectedServiceKeys: readonly string[];
  /** Keys it must not capture, sorted. */
  readonly unselectedServiceKeys: readonly string[];
  readonly repositories: readonly DemoRepository[];
  readonly images: readonly DemoImage[];
  /** Current digest of every `repository:tag`. */
  readonly digests: Readonly<Record<string, string>>;
  /** A tag pushed on one manifest and later moved to another. */
  readonly repointedTag: {
    readonly repositoryName: string;
    readonly tag: string;
    readonly previousDigest: string;
    readonly currentDigest: string;
  };
  readonly multiArchImages: readonly DemoMultiArchImage[];
  /** Image references outside this account's ECR. */
  readonly externalImages: readonly string[];
  readonly network: {
    readonly primary: SeededNetwork;
    readonly dr: SeededNetwork;
    readonly mapping: DemoNetworkMapping;
  };
  readonly secrets: readonly SeededSecret[];
  readonly parameters: readonly SeededParameter[];
  readonly efs: SeededFileSystem;
  /** A standalone volume tagged `lifeboat:backup=true` and `lifeboat:service=<serviceKey>`. */
  readonly ebsVolume: SeededVolume & { readonly serviceKey: string };
  /**
   * Stand-in for the volume ECS creates for `serviceKey`'s task from its managed EBS volume
   * configuration `volumeName` (tagged `AmazonECSManaged=true`, `lifeboat:backup=true`,
   * `lifeboat:service=<serviceKey>`): the emulator runs no tasks.
   */
  readonly managedEbsVolume: SeededVolume & { readonly serviceKey: string; readonly volumeName: string };
  readonly logGroups: readonly string[];
  /** What this call created, `kind:region:id`; empty when everything already existed. */
  readonly created: readonly string[];
}

async function callerAccount(clients: AwsClients, region: string): Promise<string> {
  const identity = await clients.sts(region).send(new GetCallerIdentityCommand({}));
  return required(identity.Account, 'caller account', region);
}

function mapping(primary: SeededNetwork, dr: SeededNetwork): DemoNetworkMapping {
  const byName = <T extends { name: string }>(list: readonly T[], id: (t: T) => string) =>
    new Map(list.map((t) => [t.name, id(t)]));
  const drSubnets = byName(dr.subnets, (s) => s.subnetId);
  const drGroups = byName(dr.securityGroups, (g) => g.groupId);
  return {
    vpcs: { [primary.vpcId]: dr.vpcId },
    subnets: Object.fromEntries(
      primary.subnets.map((s) => [s.subnetId, required(drSubnets.get(s.name), `DR subnet ${s.name}`)]),
    ),
    securityGroups: Object.fromEntries(
      primary.securityGroups.map((g) => [g.groupId, required(drGroups.get(g.name), `DR group ${g.name}`)]),
    ),
  };
}

/**
 * Seeds a realistic ECS fleet in `primaryRegion` and the DR landing zone in `drRegion`,
 * creating only what is missing (every resource is found by name or tag first), so a
 * second run creates nothing and returns the same fleet. Meant for the emulator: it
 * creates real resources (VPCs, an EFS file system, EBS volumes) wherever it points.
 *
 * Primary: ECR repositories with images (Docker v2 and OCI manifests, a re-pointed tag,
 * an OCI index and a Docker manifest list), Secrets Manager secrets (replicated to DR),
 * SSM SecureString parameters, a VPC with two private subnets in two zones and five
 * security groups, an EFS file system with mount targets and an access point, a tagged
 * standalone EBS volume and the stand-in for the ledger's ECS-managed one, log groups, the
 * `shop` and `payments` clusters and seven services.
 * DR: the corresponding VPC, subnets and groups (same `Name` tags, tagged
 * `lifeboat:source-id=<primary id>`), the parameters under the same names, and the
 * repositories without images.
 */
export async function seedDemoFleet(clients: AwsClients, opts: DemoFleetOptions): Promise<DemoFleet> {
  const { primaryRegion, drRegion } = opts;
  if (primaryRegion === drRegion) {
    throw new SeedError(`drRegion must differ from primaryRegion (both are ${drRegion}).`, drRegion);
  }
  const account = opts.account ?? (await callerAccount(clients, primaryRegion));
  const ledger = new SeedLedger();
  const plan = demoImagePlan();

  const [network, , secrets, primaryParameters, drParameters] = await Promise.all([
    (async () => {
      const primary = await ensureNetwork(clients.ec2(primaryRegion), primaryRegion, PRIMARY_NETWORK, ledger);
      const dr = await ensureNetwork(
        clients.ec2(drRegion),
        drRegion,
        DR_NETWORK,
        ledger,
        sourceIdsOf(primary),
      );
      const [primaryLb, drLb] = await Promise.all([
        ensureLoadBalancing(
          clients.elbv2(primaryRegion),
          primaryRegion,
          primary,
          SHOP_LOAD_BALANCING,
          { targetGroup: true },
          ledger,
        ),
        ensureLoadBalancing(
          clients.elbv2(drRegion),
          drRegion,
          dr,
          SHOP_LOAD_BALANCING,
          { targetGroup: true },
          ledger,
        ),
      ]);
      const [primaryMap, drMap] = await Promise.all([
        ensureCloudMap(
          clients.servicediscovery(primaryRegion),
          primaryRegion,
          primary.vpcId,
          SHOP_CLOUD_MAP,
          { withServices: true },
          ledger,
        ),
        ensureCloudMap(
          clients.servicediscovery(drRegion),
          drRegion,
          dr.vpcId,
          SHOP_CLOUD_MAP,
          { withServices: false },
          ledger,
        ),
      ]);
      return {
        primary,
        dr,
        loadBalancing: { primary: primaryLb, dr: drLb },
        cloudMap: { primary: primaryMap, dr: drMap },
      };
    })(),
    (async () => {
      await ensureRepositories(clients.ecr(primaryRegion), primaryRegion, plan.repositories, ledger);
      await ensureImages(clients.ecr(primaryRegion), primaryRegion, plan, ledger);
      await ensureRepositories(clients.ecr(drRegion), drRegion, plan.repositories, ledger);
    })(),
    (async () => {
      const seeded: SeededSecret[] = [];
      for (const spec of SECRETS) {
        seeded.push(
          await ensureSecret(
            clients.secrets(primaryRegion),
            clients.secrets(drRegion),
            { primaryRegion, drRegion },
            spec,
            ledger,
          ),
        );
      }
      return seeded;
    })(),
    ensureParameters(clients.ssm(primaryRegion), primaryRegion, account, PARAMETERS, ledger),
    ensureParameters(clients.ssm(drRegion), drRegion, account, PARAMETERS, ledger),
  ]);

  const [efs, volume, ledgerVolume] = await Promise.all([
    ensureFileSystem(clients.efs(primaryRegion), primaryRegion, SHARED_FILE_SYSTEM, network.primary, ledger),
    ensureVolume(clients.ec2(primaryRegion), primaryRegion, ARCHIVE_VOLUME, ledger),
    ensureVolume(clients.ec2(primaryRegion), primaryRegion, LEDGER_DATA_VOLUME, ledger),
  ]);

  const tagsByImage = finalTags(plan);
  const digests: Record<string, string> = {};
  for (const image of plan.pushes) {
    for (const tag of tagsByImage.get(`${image.repositoryName}@${image.digest}`) ?? []) {
      digests[`${image.repositoryName}:${tag}`] = image.digest;
    }
  }

  const ids: FleetIds = {
    account,
    region: primaryRegion,
    digests: new Map(Object.entries(digests)),
    subnetIds: network.primary.subnets.map((s) => s.subnetId),
    securityGroupIds: new Map(network.primary.securityGroups.map((g) => [g.name, g.groupId])),
    secretArns: new Map(secrets.map((s) => [s.name, s.primaryArn])),
    parameterArns: primaryParameters,
    fileSystemId: efs.fileSystemId,
    accessPointId: efs.accessPointId,
    archiveAvailabilityZone: volume.availabilityZone,
    webTargetGroupArn: required(
      network.loadBalancing.primary.targetGroupArn,
      'shop web target group',
      primaryRegion,
    ),
    apiRegistryArn: required(
      network.cloudMap.primary.serviceArns.get('api'),
      'Cloud Map service api',
      primaryRegion,
    ),
  };
  const specs = demoServices(ids);
  const logGroups = logGroupsFor(specs);
  await ensureLogGroups(clients.logs(primaryRegion), primaryRegion, LOG_GROUP_PREFIX, logGroups, ledger);

  const ecs = clients.ecs(primaryRegion);
  const clusterArns = await ensureClusters(ecs, primaryRegion, CLUSTERS, ledger);
  const withTaskDefinitions: { spec: ServiceSpec; taskDefinitionArn: string }[] = [];
  for (const spec of specs) {
    withTaskDefinitions.push({
      spec,
      taskDefinitionArn: await ensureTaskDefinition(ecs, primaryRegion, spec, ledger),
    });
  }
  const services: DemoService[] = [];
  for (const cluster of CLUSTERS) {
    const inCluster = withTaskDefinitions.filter((s) => s.spec.clusterName === cluster.clusterName);
    const seeded = await ensureServices(ecs, primaryRegion, cluster.clusterName, inCluster, ledger);
    for (const { spec, taskDefinitionArn } of inCluster) {
      const service = required(seeded.get(spec.serviceName), `service ${spec.serviceName}`, primaryRegion);
      services.push({
        key: `${spec.clusterName}/${spec.serviceName}`,
        clusterName: spec.clusterName,
        serviceName: spec.serviceName,
        serviceArn: service.serviceArn,
        taskDefinitionArn: service.taskDefinitionArn,
        family: spec.registerInput.family,
        protected: spec.protected,
        wave: spec.wave,
        tags: spec.createInput.tags ?? [],
        images: (spec.registerInput.containerDefinitions ?? []).map((c) =>
          required(c.image, 'container image'),
        ),
        registerInput: spec.registerInput,
        createInput: { ...spec.createInput, taskDefinition: taskDefinitionArn },
      });
    }
  }

  const parameters: SeededParameter[] = PARAMETERS.map((p) => ({
    name: p.name,
    primaryArn: required(primaryParameters.get(p.name), `parameter ${p.name}`, primaryRegion),
    drArn: required(drParameters.get(p.name), `parameter ${p.name}`, drRegion),
  }));

  const images: DemoImage[] = plan.pushes.map((p) => ({
    repositoryName: p.repositoryName,
    digest: p.digest,
    tags: tagsByImage.get(`${p.repositoryName}@${p.digest}`) ?? [],
    mediaType: p.mediaType,
    imageManifest: p.imageManifest,
    ...(p.platform ? { platform: p.platform } : {}),
  }));
  const multiArchImages: DemoMultiArchImage[] = images
    .filter((i) => i.mediaType === MEDIA_TYPES.ociIndex || i.mediaType === MEDIA_TYPES.dockerManifestList)
    .map((i) => ({
      repositoryName: i.repositoryName,
      tag: required(i.tags[0], `tag of ${i.repositoryName}@${i.digest}`),
      digest: i.digest,
      mediaType: i.mediaType,
      childDigests: (JSON.parse(i.imageManifest) as { manifests: { digest: string }[] }).manifests.map(
        (m) => m.digest,
      ),
    }));
  const move = required(plan.moves[0], 'planned tag move');
  const firstPush = required(
    plan.pushes.find((p) => p.repositoryName === move.repositoryName && p.tags.includes(move.tag)),
    `first push of ${move.repositoryName}:${move.tag}`,
  );

  const sortedKeys = (isProtected: boolean) =>
    services
      .filter((s) => s.protected === isProtected)
      .map((s) => s.key)
      .sort();
  const primaryRegistry = ecrRegistryHost(account, primaryRegion);
  const drRegistry = ecrRegistryHost(account, drRegion);

  return {
    account,
    loadBalancing: network.loadBalancing,
    cloudMap: network.cloudMap,
    primaryRegion,
    drRegion,
    clusters: CLUSTERS.map((c) => ({
      clusterName: c.clusterName,
      clusterArn: required(clusterArns.get(c.clusterName), `cluster ${c.clusterName}`, primaryRegion),
      settings: (c.settings ?? []).map((s) => ({ name: s.name ?? '', value: s.value ?? '' })),
      capacityProviders: c.capacityProviders ?? [],
      tags: c.tags ?? [],
    })),
    services,
    selectedServiceKeys: sortedKeys(true),
    unselectedServiceKeys: sortedKeys(false),
    repositories: plan.repositories.map((r) => ({
      repositoryName: r.repositoryName,
      primaryUri: `${primaryRegistry}/${r.repositoryName}`,
      drUri: `${drRegistry}/${r.repositoryName}`,
    })),
    images,
    digests,
    repointedTag: {
      repositoryName: move.repositoryName,
      tag: move.tag,
      previousDigest: firstPush.digest,
      currentDigest: move.digest,
    },
    multiArchImages,
    externalImages: [
      ...new Set(services.flatMap((s) => s.images).filter((i) => parseImageReference(i).kind === 'external')),
    ].sort(),
    network: { primary: network.primary, dr: network.dr, mapping: mapping(network.primary, network.dr) },
    secrets,
    parameters,
    efs,
    ebsVolume: { ...volume, serviceKey: RECONCILER_SERVICE_KEY },
    managedEbsVolume: { ...ledgerVolume, serviceKey: LEDGER_SERVICE_KEY, volumeName: LEDGER_VOLUME_NAME },
    logGroups: logGroups.map((g) => g.name),
    created: ledger.list(),
  };
}
