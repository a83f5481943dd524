import { createHash } from 'node:crypto';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeAvailabilityZonesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  type Tag as Ec2Tag,
} from '@aws-sdk/client-ec2';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  type Service,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersCommand } from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, CallCounter } from '../../src/aws/clients';
import { configSchema } from '../../src/config/schema';
import { isSelected } from '../../src/config/selection';
import { type DemoFleet, SOURCE_ID_TAG, seedDemoFleet } from '../../src/demo/seed';
import { parseImageReference } from '../../src/images/references';
import { DR, PRIMARY } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

const ctx = useEmulator();
const OPTIONS = { primaryRegion: PRIMARY, drRegion: DR };

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
const tag = (tags: readonly Ec2Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

describe('seedDemoFleet', () => {
  let fleet: DemoFleet;
  const taskDefinitions = new Map<string, TaskDefinition>();
  const taskDefinitionTags = new Map<string, { key?: string; value?: string }[]>();
  const services = new Map<string, Service>();

  beforeAll(async () => {
    fleet = await seedDemoFleet(ctx.clients, OPTIONS);
    const ecs = ctx.clients.ecs(PRIMARY);
    for (const s of fleet.services) {
      const td = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: s.taskDefinitionArn, include: ['TAGS'] }),
      );
      if (td.taskDefinition) taskDefinitions.set(s.key, td.taskDefinition);
      taskDefinitionTags.set(s.key, td.tags ?? []);
      const described = await ecs.send(
        new DescribeServicesCommand({ cluster: s.clusterName, services: [s.serviceName], include: ['TAGS'] }),
      );
      const service = described.services?.[0];
      if (service) services.set(s.key, service);
    }
  });

  const td = (key: string): TaskDefinition => {
    const found = taskDefinitions.get(key);
    if (!found) throw new Error(`no task definition described for ${key}`);
    return found;
  };
  const svc = (key: string): Service => {
    const found = services.get(key);
    if (!found) throw new Error(`no service described for ${key}`);
    return found;
  };
  const container = (key: string, name: string) => {
    const found = td(key).containerDefinitions?.find((c) => c.name === name);
    if (!found) throw new Error(`no container ${name} in ${key}`);
    return found;
  };

  describe('on a fresh emulator', () => {
    it('creates two clusters and seven services in the primary region', async () => {
      const ecs = ctx.clients.ecs(PRIMARY);
      const clusters = await ecs.send(
        new DescribeClustersCommand({ clusters: ['shop', 'payments'], include: ['TAGS', 'SETTINGS'] }),
      );
      expect(clusters.clusters?.map((c) => c.status)).toEqual(['ACTIVE', 'ACTIVE']);
      const serviceArns = [
        ...((await ecs.send(new ListServicesCommand({ cluster: 'shop' }))).serviceArns ?? []),
        ...((await ecs.send(new ListServicesCommand({ cluster: 'payments' }))).serviceArns ?? []),
      ];
      expect(serviceArns.sort()).toEqual(fleet.services.map((s) => s.serviceArn).sort());
      expect(fleet.services.map((s) => s.key)).toHaveLength(7);
      expect(services.size).toBe(7);
      expect(fleet.created).toContain('ecs:service:us-east-1:shop/web');
    });

    it('gives the clusters container insights, Fargate capacity providers and team tags', async () => {
      const res = await ctx.clients
        .ecs(PRIMARY)
        .send(new DescribeClustersCommand({ clusters: ['shop', 'payments'], include: ['TAGS', 'SETTINGS'] }));
      const shop = res.clusters?.find((c) => c.clusterName === 'shop');
      const payments = res.clusters?.find((c) => c.clusterName === 'payments');
      expect(shop?.settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
      expect(shop?.capacityProviders).toEqual(['FARGATE', 'FARGATE_SPOT']);
      expect(shop?.defaultCapacityProviderStrategy).toEqual([
        { capacityProvider: 'FARGATE', base: 1, weight: 1 },
        { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      ]);
      expect(shop?.tags).toContainEqual({ key: 'team', value: 'shop' });
      expect(payments?.settings).toEqual([{ name: 'containerInsights', value: 'enhanced' }]);
      expect(payments?.capacityProviders).toEqual(['FARGATE']);
      // Neither cluster is tagged for backup: selection must come from the services' own tags.
      for (const c of res.clusters ?? [])
        expect(c.tags?.some((t) => t.key === 'lifeboat:backup')).toBe(false);
    });

    it('tags the protected services lifeboat:backup=true with their wave and leaves one service untagged', () => {
      for (const s of fleet.services) {
        const tags = svc(s.key).tags ?? [];
        expect(tags).toContainEqual({ key: 'lifeboat:wave', value: String(s.wave) });
        expect(tags.some((t) => t.key === 'lifeboat:backup' && t.value === 'true')).toBe(s.protected);
      }
      expect(fleet.unselectedServiceKeys).toEqual(['shop/admin-preview']);
      expect(fleet.selectedServiceKeys).toEqual([
        'payments/ledger',
        'payments/reconciler',
        'shop/api',
        'shop/cache',
        'shop/web',
        'shop/worker',
      ]);
      const waves = Object.fromEntries(fleet.services.map((s) => [s.key, s.wave]));
      expect(waves).toMatchObject({ 'payments/ledger': 1, 'shop/cache': 1, 'shop/api': 2, 'shop/web': 3 });
    });

    it('selects exactly selectedServiceKeys under the default selection', async () => {
      const selection = configSchema.parse({
        account: fleet.account,
        primaryRegion: PRIMARY,
        drRegion: DR,
      }).selection;
      const clusters = await ctx.clients
        .ecs(PRIMARY)
        .send(new DescribeClustersCommand({ clusters: ['shop', 'payments'], include: ['TAGS'] }));
      const clusterTags = (name: string) =>
        (clusters.clusters?.find((c) => c.clusterName === name)?.tags ?? []).map((t) => ({
          key: t.key ?? '',
          value: t.value ?? '',
        }));
      const selected = fleet.services
        .filter((s) =>
          isSelected(
            {
              clusterName: s.clusterName,
              serviceName: s.serviceName,
              tags: (svc(s.key).tags ?? []).map((t) => ({ key: t.key ?? '', value: t.value ?? '' })),
              clusterTags: clusterTags(s.clusterName),
            },
            selection,
          ),
        )
        .map((s) => s.key)
        .sort();
      expect(selected).toEqual(fleet.selectedServiceKeys);
    });

    it('runs Fargate and EC2 services, always with security groups on awsvpc', () => {
      expect(svc('shop/web').launchType).toBe('FARGATE');
      expect(svc('shop/cache').launchType).toBe('EC2');
      expect(svc('payments/reconciler').launchType).toBe('EC2');
      expect(td('shop/cache').networkMode).toBe('bridge');
      expect(td('payments/reconciler').networkMode).toBe('awsvpc');
      for (const s of fleet.services) {
        const awsvpc = svc(s.key).networkConfiguration?.awsvpcConfiguration;
        if (td(s.key).networkMode !== 'awsvpc') continue;
        expect(awsvpc?.subnets).toEqual(fleet.network.primary.subnets.map((n) => n.subnetId));
        expect(awsvpc?.securityGroups?.length).toBeGreaterThan(0);
      }
    });

    it('builds multi-container task definitions with firelens, envoy, dependsOn and health checks', () => {
      expect(td('shop/web').containerDefinitions?.map((c) => c.name)).toEqual(['web', 'log-router', 'envoy']);
      expect(container('shop/web', 'log-router').firelensConfiguration?.type).toBe('fluentbit');
      expect(container('shop/web', 'web').logConfiguration?.logDriver).toBe('awsfirelens');
      expect(container('shop/web', 'web').dependsOn).toEqual([
        { containerName: 'log-router', condition: 'START' },
        { containerName: 'envoy', condition: 'HEALTHY' },
      ]);
      expect(container('shop/web', 'envoy').healthCheck?.command?.[0]).toBe('CMD-SHELL');
      expect(container('shop/api', 'api').healthCheck?.startPeriod).toBe(60);
      expect(container('shop/api', 'api').portMappings).toEqual([
        { containerPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' },
      ]);
      expect(container('shop/api', 'api').environment).toContainEqual({
        name: 'SPRING_PROFILES_ACTIVE',
        value: 'production',
      });
      expect(container('shop/api', 'api').logConfiguration).toEqual({
        logDriver: 'awslogs',
        options: {
          'awslogs-group': '/ecs/shop/api',
          'awslogs-region': PRIMARY,
          'awslogs-stream-prefix': 'api',
        },
      });
      expect(td('shop/api').runtimePlatform).toEqual({
        cpuArchitecture: 'ARM64',
        operatingSystemFamily: 'LINUX',
      });
      expect(taskDefinitionTags.get('shop/web')).toContainEqual({ key: 'team', value: 'shop' });
    });

    it('references Secrets Manager secrets by ARN and SSM parameters by ARN and by name', () => {
      const dbCredentials = fleet.secrets.find((s) => s.name === 'shop/db-credentials');
      const stripe = fleet.parameters.find((p) => p.name === '/shop/api/stripe-api-key');
      expect(container('shop/api', 'api').secrets).toEqual([
        { name: 'DB_USERNAME', valueFrom: `${dbCredentials?.primaryArn}:username::` },
        { name: 'DB_PASSWORD', valueFrom: `${dbCredentials?.primaryArn}:password::` },
        { name: 'STRIPE_API_KEY', valueFrom: stripe?.primaryArn },
      ]);
      expect(container('shop/web', 'web').secrets).toEqual([
        { name: 'SESSION_KEY', valueFrom: '/shop/web/session-key' },
      ]);
    });

    it('mounts the EFS access point in the worker and declares a configured-at-launch volume for the ledger', async () => {
      expect(td('shop/worker').volumes).toEqual([
        {
          name: 'uploads',
          efsVolumeConfiguration: {
            fileSystemId: fleet.efs.fileSystemId,
            rootDirectory: '/',
            transitEncryption: 'ENABLED',
            authorizationConfig: { accessPointId: fleet.efs.accessPointId, iam: 'ENABLED' },
          },
        },
      ]);
      expect(td('payments/ledger').volumes).toEqual([{ name: 'ledger-data', configuredAtLaunch: true }]);
      const ledger = fleet.services.find((s) => s.key === 'payments/ledger');
      expect(ledger?.createInput.volumeConfigurations?.[0]).toMatchObject({
        name: 'ledger-data',
        managedEBSVolume: { sizeInGiB: 50, volumeType: 'gp3', filesystemType: 'ext4' },
      });

      const efs = ctx.clients.efs(PRIMARY);
      const fs = await efs.send(new DescribeFileSystemsCommand({ FileSystemId: fleet.efs.fileSystemId }));
      expect(fs.FileSystems?.[0]?.Encrypted).toBe(true);
      expect(fs.FileSystems?.[0]?.NumberOfMountTargets).toBe(2);
      const points = await efs.send(
        new DescribeAccessPointsCommand({ FileSystemId: fleet.efs.fileSystemId }),
      );
      expect(points.AccessPoints?.map((p) => [p.AccessPointId, p.RootDirectory?.Path])).toEqual([
        [fleet.efs.accessPointId, '/shop/uploads'],
      ]);
    });

    it('tags a standalone EBS volume for backup and with the service that uses it', async () => {
      const res = await ctx.clients
        .ec2(PRIMARY)
        .send(new DescribeVolumesCommand({ VolumeIds: [fleet.ebsVolume.volumeId] }));
      const volume = res.Volumes?.[0];
      expect(volume?.Size).toBe(20);
      expect(volume?.Encrypted).toBe(true);
      expect(tag(volume?.Tags, 'lifeboat:backup')).toBe('true');
      expect(tag(volume?.Tags, 'lifeboat:service')).toBe(fleet.ebsVolume.serviceKey);
      expect(fleet.services.map((s) => s.key)).toContain(fleet.ebsVolume.serviceKey);
    });

    it('stands in for the volume ECS creates for the ledger’s task, tagged as ECS and its tag specification would', async () => {
      const res = await ctx.clients
        .ec2(PRIMARY)
        .send(new DescribeVolumesCommand({ VolumeIds: [fleet.managedEbsVolume.volumeId] }));
      const volume = res.Volumes?.[0];
      const ledger = fleet.services.find((s) => s.key === fleet.managedEbsVolume.serviceKey);
      const configured = ledger?.createInput.volumeConfigurations?.[0];
      expect(configured?.name).toBe(fleet.managedEbsVolume.volumeName);
      expect(volume).toMatchObject({
        Size: configured?.managedEBSVolume?.sizeInGiB,
        VolumeType: configured?.managedEBSVolume?.volumeType,
        Encrypted: true,
      });
      expect(tag(volume?.Tags, 'AmazonECSManaged')).toBe('true');
      expect(tag(volume?.Tags, 'lifeboat:backup')).toBe('true');
      expect(tag(volume?.Tags, 'lifeboat:service')).toBe('payments/ledger');
    });

    it('creates one log group per service', async () => {
      const res = await ctx.clients
        .logs(PRIMARY)
        .send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/' }));
      expect(res.logGroups?.map((g) => g.logGroupName).sort()).toEqual([...fleet.logGroups].sort());
      expect(res.logGroups?.every((g) => g.retentionInDays === 30)).toBe(true);
    });

    it('pushes every image under the SHA-256 of its manifest bytes', async () => {
      const ecr = ctx.clients.ecr(PRIMARY);
      for (const image of fleet.images) {
        expect(image.digest).toBe(sha256(image.imageManifest));
        const got = await ecr.send(
          new BatchGetImageCommand({
            repositoryName: image.repositoryName,
            imageIds: [{ imageDigest: image.digest }],
          }),
        );
        expect(got.images?.[0]?.imageManifest).toBe(image.imageManifest);
        expect(got.images?.[0]?.imageManifestMediaType).toBe(image.mediaType);
        const manifest = JSON.parse(image.imageManifest) as { schemaVersion: number };
        expect(manifest.schemaVersion).toBe(2);
      }
    });

    it('re-points shop/web:stable and keeps the previous digest under its version tag', async () => {
      const { repositoryName, previousDigest, currentDigest } = fleet.repointedTag;
      expect(previousDigest).not.toBe(currentDigest);
      const res = await ctx.clients.ecr(PRIMARY).send(new DescribeImagesCommand({ repositoryName }));
      const tagsOf = (digest: string) =>
        res.imageDetails?.find((d) => d.imageDigest === digest)?.imageTags?.sort();
      expect(tagsOf(currentDigest)).toEqual(['1.5.0', 'stable']);
      expect(tagsOf(previousDigest)).toEqual(['1.4.0']);
      expect(fleet.digests['shop/web:stable']).toBe(currentDigest);
    });

    it('pushes an OCI index and a Docker manifest list whose children are stored by digest without tags', async () => {
      expect(fleet.multiArchImages.map((m) => [m.repositoryName, m.mediaType])).toEqual([
        ['shop/api', 'application/vnd.oci.image.index.v1+json'],
        ['platform/envoy', 'application/vnd.docker.distribution.manifest.list.v2+json'],
      ]);
      for (const index of fleet.multiArchImages) {
        const res = await ctx.clients
          .ecr(PRIMARY)
          .send(new DescribeImagesCommand({ repositoryName: index.repositoryName }));
        const byDigest = new Map(res.imageDetails?.map((d) => [d.imageDigest, d]));
        expect(byDigest.get(index.digest)?.imageTags).toEqual([index.tag]);
        expect(index.childDigests).toHaveLength(2);
        for (const child of index.childDigests) expect(byDigest.get(child)?.imageTags ?? []).toEqual([]);
      }
      // Task definitions name images by tag and, for envoy, by the index digest.
      expect(container('shop/web', 'envoy').image).toBe(
        `${fleet.account}.dkr.ecr.${PRIMARY}.amazonaws.com/platform/envoy@${fleet.digests['platform/envoy:v1.29.1']}`,
      );
    });

    it('runs images from outside ECR on two services', () => {
      expect(fleet.externalImages).toEqual([
        'docker.io/library/redis:7.2',
        'public.ecr.aws/aws-observability/aws-otel-collector:v0.41.1',
      ]);
      for (const image of fleet.externalImages) expect(parseImageReference(image).kind).toBe('external');
      expect(container('shop/cache', 'redis').image).toBe('docker.io/library/redis:7.2');
    });

    it('puts the primary network in two availability zones with named subnets and security groups', async () => {
      const ec2 = ctx.clients.ec2(PRIMARY);
      const subnets = await ec2.send(
        new DescribeSubnetsCommand({ SubnetIds: fleet.network.primary.subnets.map((s) => s.subnetId) }),
      );
      expect(new Set(subnets.Subnets?.map((s) => s.AvailabilityZone)).size).toBe(2);
      for (const s of subnets.Subnets ?? []) expect(s.VpcId).toBe(fleet.network.primary.vpcId);
      const groups = await ec2.send(
        new DescribeSecurityGroupsCommand({
          GroupIds: fleet.network.primary.securityGroups.map((g) => g.groupId),
        }),
      );
      for (const g of groups.SecurityGroups ?? []) expect(tag(g.Tags, 'Name')).toBe(g.GroupName);
      expect(groups.SecurityGroups).toHaveLength(5);
    });
  });

  describe('in the DR region', () => {
    it('mirrors the VPC, subnets and security groups by Name and tags each with its primary id', async () => {
      const ec2 = ctx.clients.ec2(DR);
      const { primary, dr, mapping } = fleet.network;
      const vpcs = await ec2.send(new DescribeVpcsCommand({ VpcIds: [dr.vpcId] }));
      expect(tag(vpcs.Vpcs?.[0]?.Tags, 'Name')).toBe('lifeboat-demo');
      expect(tag(vpcs.Vpcs?.[0]?.Tags, SOURCE_ID_TAG)).toBe(primary.vpcId);

      const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
      const drZones = new Set(zones.AvailabilityZones?.map((z) => z.ZoneName));
      const subnets = await ec2.send(
        new DescribeSubnetsCommand({ SubnetIds: dr.subnets.map((s) => s.subnetId) }),
      );
      for (const p of primary.subnets) {
        const drSubnet = subnets.Subnets?.find((s) => s.SubnetId === mapping.subnets[p.subnetId]);
        expect(tag(drSubnet?.Tags, 'Name')).toBe(p.name);
        expect(tag(drSubnet?.Tags, SOURCE_ID_TAG)).toBe(p.subnetId);
        expect(drZones.has(drSubnet?.AvailabilityZone)).toBe(true);
      }
      const groups = await ec2.send(
        new DescribeSecurityGroupsCommand({ GroupIds: dr.securityGroups.map((g) => g.groupId) }),
      );
      for (const p of primary.securityGroups) {
        const drGroup = groups.SecurityGroups?.find((g) => g.GroupId === mapping.securityGroups[p.groupId]);
        expect(drGroup?.GroupName).toBe(p.name);
        expect(tag(drGroup?.Tags, 'Name')).toBe(p.name);
        expect(tag(drGroup?.Tags, SOURCE_ID_TAG)).toBe(p.groupId);
      }
      expect(Object.keys(mapping.subnets)).toHaveLength(2);
      expect(Object.keys(mapping.securityGroups)).toHaveLength(5);
    });

    it('holds replicas of the secrets under the same name, with the primary ARN rewritten to the DR region', async () => {
      for (const secret of fleet.secrets) {
        expect(secret.drArn).toBe(secret.primaryArn.replace(`:${PRIMARY}:`, `:${DR}:`));
        const replica = await ctx.clients
          .secrets(DR)
          .send(new DescribeSecretCommand({ SecretId: secret.name }));
        expect(replica.PrimaryRegion).toBe(PRIMARY);
        const [drValue, primaryValue] = await Promise.all([
          ctx.clients.secrets(DR).send(new GetSecretValueCommand({ SecretId: secret.drArn })),
          ctx.clients.secrets(PRIMARY).send(new GetSecretValueCommand({ SecretId: secret.primaryArn })),
        ]);
        expect(drValue.SecretString).toBe(primaryValue.SecretString);
      }
    });

    it('holds the SSM SecureString parameters under the same names', async () => {
      const res = await ctx.clients
        .ssm(DR)
        .send(new GetParametersCommand({ Names: fleet.parameters.map((p) => p.name), WithDecryption: true }));
      expect(res.InvalidParameters).toEqual([]);
      expect(res.Parameters?.map((p) => [p.Name, p.Type, p.ARN]).sort()).toEqual(
        fleet.parameters.map((p) => [p.name, 'SecureString', p.drArn]).sort(),
      );
    });

    it('has the ECR repositories but none of the images', async () => {
      const ecr = ctx.clients.ecr(DR);
      const repos = await ecr.send(new DescribeRepositoriesCommand({}));
      expect(repos.repositories?.map((r) => r.repositoryName).sort()).toEqual(
        fleet.repositories.map((r) => r.repositoryName).sort(),
      );
      for (const repo of fleet.repositories) {
        const images = await ecr.send(new DescribeImagesCommand({ repositoryName: repo.repositoryName }));
        expect(images.imageDetails).toEqual([]);
      }
    });
  });

  describe('run twice', () => {
    it('creates nothing the second time and returns the same fleet and digests', async () => {
      const counter = new CallCounter();
      const counted = new AwsClients({ endpoint: ctx.endpoint, onCall: counter.record });
      try {
        const again = await seedDemoFleet(counted, OPTIONS);
        expect(again.created).toEqual([]);
        const writes = Object.keys(counter.toJSON()).filter((op) =>
          /\.(Create|Put|Register|Replicate|Tag|Update|Delete)/.test(op),
        );
        expect(writes).toEqual([]);
        const { created: _first, ...firstFleet } = fleet;
        const { created: _second, ...secondFleet } = again;
        expect(secondFleet).toEqual(firstFleet);
      } finally {
        counted.destroy();
      }
    });

    it('derives every digest from fixed manifest content, so each emulator gets the same ones', () => {
      expect(fleet.digests['shop/api:2.3.1']).toBe(
        'sha256:0938d3e32089488756763e89d3ae83b2c0d57e954d2c65f7e90876a0382b46a8',
      );
      expect(fleet.digests['shop/web:stable']).toBe(
        'sha256:1e44a02c73c5df371421cee42e70bace1d01dc987adfd392ea07e286105a7182',
      );
    });

    it('leaves one of everything behind', async () => {
      const ecs = ctx.clients.ecs(PRIMARY);
      for (const s of fleet.services) {
        const revisions = await ecs.send(
          new ListTaskDefinitionsCommand({ familyPrefix: s.family, status: 'ACTIVE' }),
        );
        expect(revisions.taskDefinitionArns).toEqual([s.taskDefinitionArn]);
      }
      for (const region of [PRIMARY, DR]) {
        const vpcs = await ctx.clients
          .ec2(region)
          .send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['lifeboat-demo'] }] }));
        expect(vpcs.Vpcs).toHaveLength(1);
      }
      const images = await ctx.clients
        .ecr(PRIMARY)
        .send(new DescribeImagesCommand({ repositoryName: 'shop/web' }));
      expect(images.imageDetails).toHaveLength(2);
      const fs = await ctx.clients.efs(PRIMARY).send(new DescribeFileSystemsCommand({}));
      expect(fs.FileSystems).toHaveLength(1);
      const volumes = await ctx.clients
        .ec2(PRIMARY)
        .send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:lifeboat:backup', Values: ['true'] }] }));
      expect(volumes.Volumes?.map((v) => v.VolumeId).sort()).toEqual(
        [fleet.ebsVolume.volumeId, fleet.managedEbsVolume.volumeId].sort(),
      );
    });
  });
});

/**
 * The emulator's divergences from ECS/ECR that capture and restore must live with. Each
 * test pins one, so an emulator upgrade that changes it fails here first.
 */
describe('moto 5.2.1 behaviour on the seeded fleet', () => {
  let fleet: DemoFleet;
  beforeAll(async () => {
    fleet = await seedDemoFleet(ctx.clients, OPTIONS);
  });

  const describeService = async (key: string) => {
    const [cluster, name] = key.split('/');
    const res = await ctx.clients
      .ecs(PRIMARY)
      .send(new DescribeServicesCommand({ cluster, services: [name ?? ''], include: ['TAGS'] }));
    const service = res.services?.[0];
    if (!service) throw new Error(`service ${key} not found`);
    return service;
  };

  it('drops volumeConfigurations, serviceConnectConfiguration and deploymentConfiguration from CreateService', async () => {
    const ledger = await describeService('payments/ledger');
    const api = await describeService('shop/api');
    expect(
      fleet.services.find((s) => s.key === 'payments/ledger')?.createInput.volumeConfigurations,
    ).toHaveLength(1);
    expect(ledger.deployments?.[0]?.volumeConfigurations).toBeUndefined();
    expect(api.deployments?.[0]?.serviceConnectConfiguration).toBeUndefined();
    expect(api.deploymentConfiguration).toBeUndefined();
    expect(api.enableExecuteCommand).toBeUndefined();
  });

  it('drops capacityProviderStrategy and reports launchType EC2 for a capacity-provider service', async () => {
    const worker = await describeService('shop/worker');
    expect(worker.capacityProviderStrategy).toBeUndefined();
    expect(worker.launchType).toBe('EC2');
  });

  it('keeps network configuration, platform version, propagateTags and tags (with include TAGS)', async () => {
    const web = await describeService('shop/web');
    expect(web.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('DISABLED');
    expect(web.platformVersion).toBe('LATEST');
    expect(web.propagateTags).toBe('SERVICE');
    expect(web.tags).toContainEqual({ key: 'lifeboat:backup', value: 'true' });
  });

  it('adds container defaults and FARGATE+EC2 compatibilities to a described task definition', async () => {
    const res = await ctx.clients
      .ecs(PRIMARY)
      .send(new DescribeTaskDefinitionCommand({ taskDefinition: 'shop-worker' }));
    const worker = res.taskDefinition?.containerDefinitions?.[0];
    expect(worker).toMatchObject({ cpu: 0, portMappings: [], volumesFrom: [] });
    expect(res.taskDefinition?.compatibilities).toEqual(['EC2', 'FARGATE']);
    expect(res.taskDefinition?.requiresCompatibilities).toEqual(['FARGATE']);
  });

  it('replaces an existing cluster on a second CreateCluster, dropping its settings and tags', async () => {
    const ecs = ctx.clients.ecs(PRIMARY);
    await ecs.send(
      new CreateClusterCommand({
        clusterName: 'moto-probe',
        settings: [{ name: 'containerInsights', value: 'enabled' }],
        tags: [{ key: 'team', value: 'probe' }],
      }),
    );
    await ecs.send(new CreateClusterCommand({ clusterName: 'moto-probe' }));
    const res = await ecs.send(new DescribeClustersCommand({ clusters: ['moto-probe'], include: ['TAGS'] }));
    expect(res.clusters?.[0]?.settings).toEqual([{ name: 'containerInsights', value: 'disabled' }]);
    expect(res.clusters?.[0]?.tags).toBeUndefined();
  });

  it('shows capacityProviderStrategy and deploymentConfiguration once UpdateService sets them', async () => {
    const ecs = ctx.clients.ecs(PRIMARY);
    const worker = fleet.services.find((s) => s.key === 'shop/worker');
    await ecs.send(new CreateClusterCommand({ clusterName: 'moto-probe-update' }));
    await ecs.send(
      new CreateServiceCommand({
        ...worker?.createInput,
        cluster: 'moto-probe-update',
        serviceName: 'worker',
      }),
    );
    const updated = await ecs.send(
      new UpdateServiceCommand({
        cluster: 'moto-probe-update',
        service: 'worker',
        desiredCount: 4,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        deploymentConfiguration: { maximumPercent: 150, minimumHealthyPercent: 50 },
      }),
    );
    expect(updated.service?.capacityProviderStrategy).toEqual([
      { capacityProvider: 'FARGATE_SPOT', weight: 1 },
    ]);
    expect(updated.service?.deploymentConfiguration).toEqual({
      maximumPercent: 150,
      minimumHealthyPercent: 50,
    });
    expect(updated.service?.launchType).toBe('EC2');
    // The service counts jump to the new desired count; the PRIMARY deployment keeps the old one.
    expect(updated.service?.runningCount).toBe(4);
    expect(updated.service?.deployments?.[0]?.desiredCount).toBe(2);
  });

  it('answers BatchGetImage for a missing digest with a failure that names no digest', async () => {
    const missing = sha256('not pushed');
    const res = await ctx.clients
      .ecr(PRIMARY)
      .send(new BatchGetImageCommand({ repositoryName: 'shop/web', imageIds: [{ imageDigest: missing }] }));
    expect(res.failures).toEqual([
      {
        imageId: { imageTag: 'null' },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
    ]);
  });

  it('answers BatchGetImage by tag with the image last tagged, not necessarily the tag asked for', async () => {
    const res = await ctx.clients
      .ecr(PRIMARY)
      .send(new BatchGetImageCommand({ repositoryName: 'shop/web', imageIds: [{ imageTag: '1.5.0' }] }));
    expect(res.images?.[0]?.imageId).toEqual({
      imageDigest: fleet.digests['shop/web:1.5.0'],
      imageTag: 'stable',
    });
  });
});
