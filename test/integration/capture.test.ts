import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateSubnetCommand, DeleteSubnetCommand } from '@aws-sdk/client-ec2';
import { CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../lambda/capture';
import { AwsClients, CallCounter } from '../../src/aws/clients';
import { runCapture } from '../../src/backup/steps';
import { type CatalogStore, catalogStoreFor } from '../../src/catalog/aws/store';
import { canonicalJson } from '../../src/catalog/checksum';
import { ChecksumMismatchError, PartialRecoveryPointError } from '../../src/catalog/errors';
import type { ManifestBody } from '../../src/catalog/manifest';
import { ConfigError } from '../../src/config/errors';
import { type LifeboatConfigInput, parseConfig } from '../../src/config/schema';
import { type DemoFleet, seedDemoFleet } from '../../src/demo/seed';
import { ensureTestCatalog } from '../support/catalog';
import { useEmulator } from '../support/emulator';

const PRIMARY = 'us-east-1';
const DR = 'us-west-2';
const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.${PRIMARY}.amazonaws.com`;
const BUCKET = `lifeboat-catalog-${ACCOUNT}-${DR}`;
const CONFIG_INPUT: LifeboatConfigInput = { account: ACCOUNT, primaryRegion: PRIMARY, drRegion: DR };

const ctx = useEmulator();
let fleet: DemoFleet;

/** The configuration an operator whose EFS replica is known writes: the file system mapped to its DR copy. */
function withEfsMapped(): LifeboatConfigInput {
  return {
    ...CONFIG_INPUT,
    mappings: { efsFileSystems: { [fleet.efs.fileSystemId]: 'fs-0123456789abcdef0' } },
  };
}

beforeAll(async () => {
  fleet = await seedDemoFleet(ctx.clients, { primaryRegion: PRIMARY, drRegion: DR });
  await ensureTestCatalog(ctx.clients, DR, BUCKET);
}, 300_000);

/** Clients on the same emulator that count every API call by operation. */
function countedClients(): { clients: AwsClients; counter: CallCounter } {
  const counter = new CallCounter();
  return { clients: new AwsClients({ endpoint: ctx.endpoint, onCall: counter.record }), counter };
}

function store(bucket = BUCKET): CatalogStore {
  return catalogStoreFor(ctx.clients, { region: DR, bucket: bucket });
}

function repositoryOf(uri: string): string | undefined {
  return uri.startsWith(`${REGISTRY}/`) ? uri.slice(REGISTRY.length + 1).split(/[:@]/)[0] : undefined;
}

describe('runCapture on the demo fleet', () => {
  it('makes one call per page, batch, cluster, distinct task definition, repository and volume, and nothing else', async () => {
    const { clients, counter } = countedClients();
    try {
      const selected = fleet.services.filter((s) => s.protected);
      const servicesPerCluster = fleet.clusters.map(
        (c) => fleet.services.filter((s) => s.clusterName === c.clusterName).length,
      );
      const repositories = new Set(selected.flatMap((s) => s.images.flatMap((i) => repositoryOf(i) ?? [])));
      const volumes = [fleet.managedEbsVolume, fleet.ebsVolume].length;

      const { calls, volumes: copies } = await runCapture({
        clients,
        config: parseConfig(withEfsMapped()),
        bucket: BUCKET,
        counter,
      });

      expect(calls).toEqual({
        'ECS.ListClusters': 1,
        'ECS.DescribeClusters': 1,
        'ECS.ListServices': fleet.clusters.length,
        'ECS.DescribeServices': servicesPerCluster.reduce((n, count) => n + Math.ceil(count / 10), 0),
        'ECS.DescribeTaskDefinition': new Set(selected.map((s) => s.taskDefinitionArn)).size,
        'ECR.BatchGetImage': repositories.size,
        'EC2.DescribeSubnets': 1,
        'EC2.DescribeSecurityGroups': 1,
        'EFS.DescribeAccessPoints': 1,
        // shop/web's target group behind the shop load balancer: the group, its tags and
        // attributes, the load balancer's name, its one listener and that listener's rules.
        'ElasticLoadBalancingV2.DescribeTargetGroups': 1,
        'ElasticLoadBalancingV2.DescribeTags': 1,
        'ElasticLoadBalancingV2.DescribeTargetGroupAttributes': 1,
        'ElasticLoadBalancingV2.DescribeLoadBalancers': 1,
        'ElasticLoadBalancingV2.DescribeListeners': 1,
        'ElasticLoadBalancingV2.DescribeRules': 1,
        // shop/api's Cloud Map service (api.shop.local): the service, its tags, its namespace.
        'ServiceDiscovery.GetService': 1,
        'ServiceDiscovery.ListTagsForResource': 1,
        'ServiceDiscovery.GetNamespace': 1,
        // Application Auto Scaling: one DescribeScalableTargets for up to 50 services, whether
        // or not any scales (none of the demo fleet does, so nothing more is read).
        'ApplicationAutoScaling.DescribeScalableTargets': 1,
        // The log groups the task definitions write to (one per selected service): one
        // DescribeLogGroups for up to 50 of them, then the tags of each.
        'CloudWatchLogs.DescribeLogGroups': 1,
        'CloudWatchLogs.ListTagsForResource': selected.length,
        // The Secrets Manager secrets the task definitions reference (shop/db-credentials and
        // payments/ledger-db): one DescribeSecret each for its DR replication status (the demo
        // seed replicated both, so no ReplicateSecretToRegions; SSM parameters need no call).
        'SecretsManager.DescribeSecret': 2,
        // The volumes tagged lifeboat:backup (the emulator drops the ledger's volumeConfigurations,
        // so no service has a managed EBS configuration to look up tasks for).
        'EC2.DescribeVolumes': 1,
        'EC2.CreateSnapshot': volumes,
        // Snapshots of this recovery point already taken (primary), DR copies already made, and
        // the copies just started (the emulator completes them at once: one tick, no wait).
        'EC2.DescribeSnapshots': 3,
        'EC2.CopySnapshot': volumes,
        // The commit signs the manifest once, then writes it and its summary object.
        'KMS.GenerateMac': 1,
        'S3.PutObject': 2,
      });
      expect(copies).toEqual({
        ticks: 1,
        counts: { snapshotting: 0, queued: 0, copying: 0, completed: volumes, failed: 0 },
      });
      // The demo fleet as the numbers above assume it: 2 clusters, 7 services, 6 selected,
      // one EFS access point (its file system mapped, so no replication lookup), 2 volumes, and
      // 7 log group calls (one DescribeLogGroups, six ListTagsForResource), one
      // DescribeScalableTargets (no service scales), 6 for shop/web's one target group and 3 for
      // shop/api's Cloud Map service, and 2 DescribeSecret for the two referenced secrets.
      expect(counter.total()).toBe(52);
    } finally {
      clients.destroy();
    }
  });

  it('makes exactly one call more than the configuration capture needs when the selected services have no volume', async () => {
    const { clients, counter } = countedClients();
    try {
      const selected = fleet.services.filter((s) => s.protected && s.clusterName === 'shop');
      const repositories = new Set(selected.flatMap((s) => s.images.flatMap((i) => repositoryOf(i) ?? [])));

      const { calls, volumes } = await runCapture({
        clients,
        config: parseConfig({ ...withEfsMapped(), selection: { include: ['shop/*'] } }),
        bucket: BUCKET,
        counter,
      });

      expect(calls).toEqual({
        'ECS.ListClusters': 1,
        'ECS.DescribeClusters': 1,
        'ECS.ListServices': fleet.clusters.length,
        'ECS.DescribeServices': 1,
        'ECS.DescribeTaskDefinition': new Set(selected.map((s) => s.taskDefinitionArn)).size,
        'ECR.BatchGetImage': repositories.size,
        'EC2.DescribeSubnets': 1,
        'EC2.DescribeSecurityGroups': 1,
        'EFS.DescribeAccessPoints': 1,
        // shop/web's target group (as above) behind the shop load balancer: the group, its tags and
        // attributes, the load balancer's name, its one listener and that listener's rules.
        'ElasticLoadBalancingV2.DescribeTargetGroups': 1,
        'ElasticLoadBalancingV2.DescribeTags': 1,
        'ElasticLoadBalancingV2.DescribeTargetGroupAttributes': 1,
        'ElasticLoadBalancingV2.DescribeLoadBalancers': 1,
        'ElasticLoadBalancingV2.DescribeListeners': 1,
        'ElasticLoadBalancingV2.DescribeRules': 1,
        // shop/api's Cloud Map service (api.shop.local): the service, its tags, its namespace.
        'ServiceDiscovery.GetService': 1,
        'ServiceDiscovery.ListTagsForResource': 1,
        'ServiceDiscovery.GetNamespace': 1,
        // The shop services' scalable targets (none): one DescribeScalableTargets.
        'ApplicationAutoScaling.DescribeScalableTargets': 1,
        // The shop services' log groups: one DescribeLogGroups, the tags of each.
        'CloudWatchLogs.DescribeLogGroups': 1,
        'CloudWatchLogs.ListTagsForResource': selected.length,
        // shop/api's one referenced secret (shop/db-credentials): its DR replication status.
        'SecretsManager.DescribeSecret': 1,
        'EC2.DescribeVolumes': 1,
        'KMS.GenerateMac': 1,
        'S3.PutObject': 2,
      });
      expect(volumes.ticks).toBe(0);
    } finally {
      clients.destroy();
    }
  });

  it('commits a complete recovery point that reads back verified with every selected service', async () => {
    const { manifest, key } = await runCapture({
      clients: ctx.clients,
      config: parseConfig(CONFIG_INPUT),
      bucket: BUCKET,
      efsEmulatorFallback: true,
    });

    const stored = await store().get(manifest.id);

    expect(key).toMatch(new RegExp(`${manifest.id}\\.complete\\.json$`));
    expect(stored).toEqual(manifest);
    expect(stored.status).toBe('complete');
    expect(stored.errors).toEqual([]);
    expect(stored.source).toEqual({ account: ACCOUNT, region: PRIMARY });
    expect(stored.target).toEqual({ region: DR });
    expect(stored.services.map((s) => `${s.clusterName}/${s.serviceName}`)).toEqual(
      fleet.selectedServiceKeys,
    );
    expect(stored.clusters.map((c) => c.clusterName).sort()).toEqual(
      [...new Set(fleet.selectedServiceKeys.map((k) => k.split('/')[0]))].sort(),
    );
  });

  it('records each service with its wave, tags and create input, joined to its task definition', async () => {
    const { manifest } = await runCapture({
      clients: ctx.clients,
      config: parseConfig(CONFIG_INPUT),
      bucket: BUCKET,
      efsEmulatorFallback: true,
    });

    for (const demo of fleet.services.filter((s) => s.protected)) {
      const record = manifest.services.find(
        (s) => s.serviceName === demo.serviceName && s.clusterName === demo.clusterName,
      );
      expect(record, demo.key).toBeDefined();
      expect(record?.wave).toBe(demo.wave);
      expect(record?.taskDefinitionArn).toBe(demo.taskDefinitionArn);
      expect(record?.createInput.serviceName).toBe(demo.serviceName);
      expect(record?.createInput).not.toHaveProperty('cluster');
      expect(record?.createInput).not.toHaveProperty('taskDefinition');
      expect(record?.tags).toContainEqual({ key: 'lifeboat:backup', value: 'true' });
      const taskDefinition = manifest.taskDefinitions.find((t) => t.sourceArn === demo.taskDefinitionArn);
      expect(taskDefinition?.family).toBe(demo.family);
      expect(taskDefinition?.registerInput).not.toHaveProperty('taskDefinitionArn');
      expect(taskDefinition?.registerInput).not.toHaveProperty('revision');
      expect(taskDefinition?.registerInput.containerDefinitions.map((c) => c.image).sort()).toEqual(
        [...demo.images].sort(),
      );
    }
    expect(manifest.taskDefinitions).toHaveLength(
      new Set(fleet.services.filter((s) => s.protected).map((s) => s.taskDefinitionArn)).size,
    );
  });

  it('pins every ECR image to its current digest with a DR URI, and marks other registries external', async () => {
    const { manifest } = await runCapture({
      clients: ctx.clients,
      config: parseConfig(CONFIG_INPUT),
      bucket: BUCKET,
      efsEmulatorFallback: true,
    });
    const used = new Set(fleet.services.filter((s) => s.protected).flatMap((s) => s.images));

    expect(manifest.images.map((i) => i.sourceUri).sort()).toEqual([...used].sort());
    for (const image of manifest.images) {
      const repository = repositoryOf(image.sourceUri);
      if (repository === undefined) {
        expect(image.presence, image.sourceUri).toBe('external');
        expect(image.digest).toBeUndefined();
        expect(image.drUri).toBeUndefined();
        continue;
      }
      const expected = image.tag
        ? fleet.digests[`${repository}:${image.tag}`]
        : image.sourceUri.split('@')[1];
      expect(image).toMatchObject({
        presence: 'unverified',
        registryId: ACCOUNT,
        region: PRIMARY,
        repositoryName: repository,
        digest: expected,
        drUri: `${ACCOUNT}.dkr.ecr.${DR}.amazonaws.com/${repository}@${expected}`,
      });
      expect(image.usedBy.length).toBeGreaterThan(0);
    }
    expect(manifest.images.filter((i) => i.presence === 'external').map((i) => i.sourceUri)).toEqual(
      fleet.externalImages.filter((uri) => used.has(uri)).sort(),
    );
    const repointed = fleet.repointedTag;
    const current = manifest.images.find(
      (i) => i.repositoryName === repointed.repositoryName && i.tag === repointed.tag,
    );
    if (current) expect(current.digest).toBe(repointed.currentDigest);
  });

  it('records the subnets and security groups the services use, with their tags', async () => {
    const { manifest } = await runCapture({
      clients: ctx.clients,
      config: parseConfig(CONFIG_INPUT),
      bucket: BUCKET,
      efsEmulatorFallback: true,
    });
    const awsvpc = manifest.services.flatMap((s) => {
      const cfg = (
        s.createInput.networkConfiguration as {
          awsvpcConfiguration?: { subnets: string[]; securityGroups: string[] };
        }
      )?.awsvpcConfiguration;
      return cfg ? [cfg] : [];
    });
    const subnetIds = [...new Set(awsvpc.flatMap((c) => c.subnets))].sort();
    const groupIds = [...new Set(awsvpc.flatMap((c) => c.securityGroups))].sort();

    expect(manifest.network.subnets.map((s) => s.subnetId)).toEqual(subnetIds);
    expect(manifest.network.securityGroups.map((g) => g.groupId)).toEqual(groupIds);
    for (const subnet of manifest.network.subnets) {
      const seeded = fleet.network.primary.subnets.find((s) => s.subnetId === subnet.subnetId);
      expect(subnet).toMatchObject({
        vpcId: fleet.network.primary.vpcId,
        availabilityZone: seeded?.availabilityZone,
        cidrBlock: seeded?.cidrBlock,
      });
      expect(subnet.tags).toContainEqual({ key: 'Name', value: seeded?.name });
    }
    for (const group of manifest.network.securityGroups) {
      const seeded = fleet.network.primary.securityGroups.find((g) => g.groupId === group.groupId);
      expect(group).toMatchObject({ groupName: seeded?.name, vpcId: fleet.network.primary.vpcId });
      expect(group.tags).toContainEqual({ key: 'Name', value: seeded?.name });
    }
  });

  it('leaves out untagged and excluded services, and describes only services the globs let through', async () => {
    const { clients, counter } = countedClients();
    try {
      const [excludedKey, ...kept] = fleet.selectedServiceKeys;
      const config = parseConfig({ ...CONFIG_INPUT, selection: { exclude: [excludedKey as string] } });

      const { manifest } = await runCapture({ clients, config, bucket: BUCKET, efsEmulatorFallback: true });

      const keys = manifest.services.map((s) => `${s.clusterName}/${s.serviceName}`);
      expect(keys).toEqual(kept);
      for (const key of fleet.unselectedServiceKeys) expect(keys).not.toContain(key);

      counter.counts.clear();
      const onlyPayments = parseConfig({ ...CONFIG_INPUT, selection: { include: ['payments/*'] } });
      const payments = await runCapture({
        clients,
        config: onlyPayments,
        bucket: BUCKET,
        efsEmulatorFallback: true,
      });
      expect(payments.manifest.services.every((s) => s.clusterName === 'payments')).toBe(true);
      expect(payments.manifest.clusters.map((c) => c.clusterName)).toEqual(['payments']);
      expect(counter.counts.get('ECS.DescribeServices')).toBe(1);
    } finally {
      clients.destroy();
    }
  });

  it('returns the newest recovery point for "latest"', async () => {
    const bucket = 'lifeboat-catalog-latest';
    await ensureTestCatalog(ctx.clients, DR, bucket);
    const config = parseConfig(CONFIG_INPUT);
    let clock = Date.UTC(2026, 0, 15, 12, 0, 0);
    const now = () => {
      clock += 1_000;
      return new Date(clock);
    };

    const first = await runCapture({ clients: ctx.clients, config, bucket, now, efsEmulatorFallback: true });
    const second = await runCapture({ clients: ctx.clients, config, bucket, now, efsEmulatorFallback: true });

    expect(second.manifest.id).not.toBe(first.manifest.id);
    expect((await store(bucket).get('latest')).id).toBe(second.manifest.id);
    expect((await store(bucket).list()).map((s) => s.id)).toEqual([second.manifest.id, first.manifest.id]);
  });

  it('refuses a committed recovery point whose object was tampered with', async () => {
    const { manifest, key } = await runCapture({
      clients: ctx.clients,
      config: parseConfig(CONFIG_INPUT),
      bucket: BUCKET,
      efsEmulatorFallback: true,
    });
    const [first, ...rest] = manifest.services;
    const tampered = {
      ...manifest,
      services: [{ ...first, createInput: { ...first?.createInput, desiredCount: 0 } }, ...rest],
    };
    await ctx.clients
      .s3(DR)
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: canonicalJson(tampered) }));

    await expect(store().get(manifest.id)).rejects.toBeInstanceOf(ChecksumMismatchError);
  });
});

describe('runCapture with resources that cannot be captured', () => {
  const SUITE_TAG = { key: 'lifeboat:suite', value: 'fragile' };
  const config = parseConfig({ ...CONFIG_INPUT, selection: { tags: { 'lifeboat:suite': 'fragile' } } });
  let missingSubnet: string;
  let goneTaskDefinitionArn: string;
  let healthyImage: string;
  const missingTagImage = `${REGISTRY}/shop/web:9.9.9-deleted`;
  const goneRepositoryImage = `${REGISTRY}/retired/service:1.0.0`;

  async function service(name: string, taskDefinition: string, subnets?: string[]): Promise<void> {
    const { subnetId } = fleet.network.primary.subnets[0] ?? { subnetId: '' };
    const { groupId } = fleet.network.primary.securityGroups[0] ?? { groupId: '' };
    await ctx.clients.ecs(PRIMARY).send(
      new CreateServiceCommand({
        cluster: 'fragile',
        serviceName: name,
        taskDefinition,
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: subnets ?? [subnetId],
            securityGroups: [groupId],
            assignPublicIp: 'DISABLED',
          },
        },
        tags: [SUITE_TAG],
      }),
    );
  }

  async function taskDefinition(family: string, images: string[]): Promise<string> {
    const res = await ctx.clients.ecs(PRIMARY).send(
      new RegisterTaskDefinitionCommand({
        family,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: images.map((image, i) => ({ name: `c${i}`, image, essential: i === 0 })),
      }),
    );
    return res.taskDefinition?.taskDefinitionArn ?? '';
  }

  beforeAll(async () => {
    const ecs = ctx.clients.ecs(PRIMARY);
    healthyImage = `${REGISTRY}/shop/api:2.3.1`;
    await ecs.send(new CreateClusterCommand({ clusterName: 'fragile', tags: [SUITE_TAG] }));
    await service('healthy', await taskDefinition('fragile-healthy', [healthyImage]));
    goneTaskDefinitionArn = await taskDefinition('fragile-gone', [healthyImage]);
    await service('orphan', goneTaskDefinitionArn);
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: goneTaskDefinitionArn }));
    await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [goneTaskDefinitionArn] }));
    // Deregistered (INACTIVE) but still running the service: describable, so it is captured.
    const inactiveArn = await taskDefinition('fragile-inactive', [healthyImage]);
    await service('inactive', inactiveArn);
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: inactiveArn }));
    await service('stale-image', await taskDefinition('fragile-stale', [healthyImage, missingTagImage]));
    await service('retired-repo', await taskDefinition('fragile-retired', [goneRepositoryImage]));
    // A subnet the service was created in and that was deleted since.
    const ec2 = ctx.clients.ec2(PRIMARY);
    const subnet = await ec2.send(
      new CreateSubnetCommand({ VpcId: fleet.network.primary.vpcId, CidrBlock: '10.40.99.0/24' }),
    );
    missingSubnet = subnet.Subnet?.SubnetId ?? '';
    await service('lost-subnet', await taskDefinition('fragile-network', [healthyImage]), [missingSubnet]);
    await ec2.send(new DeleteSubnetCommand({ SubnetId: missingSubnet }));
  });

  it('commits a partial recovery point listing each failure, with everything else captured', async () => {
    const { manifest, key } = await runCapture({
      clients: ctx.clients,
      config,
      bucket: BUCKET,
      efsEmulatorFallback: true,
    });

    expect(manifest.status).toBe('partial');
    expect(key).toMatch(/\.partial\.json$/);
    expect(
      manifest.errors.map(({ resourceType, resourceId, code }) => ({ resourceType, resourceId, code })),
    ).toEqual([
      { resourceType: 'image', resourceId: goneRepositoryImage, code: 'RepositoryNotFoundException' },
      { resourceType: 'image', resourceId: missingTagImage, code: 'ImageNotFound' },
      { resourceType: 'network', resourceId: missingSubnet, code: 'InvalidSubnetID.NotFound' },
      { resourceType: 'service', resourceId: 'fragile/orphan', code: 'TaskDefinitionNotCaptured' },
      { resourceType: 'taskDefinition', resourceId: goneTaskDefinitionArn, code: 'ClientException' },
    ]);
    for (const error of manifest.errors) {
      expect(error.message.length).toBeGreaterThan(20);
      expect(Date.parse(error.at)).not.toBeNaN();
    }
    expect(manifest.services.map((s) => s.serviceName)).toEqual([
      'healthy',
      'inactive',
      'lost-subnet',
      'retired-repo',
      'stale-image',
    ]);
    expect(manifest.taskDefinitions.map((t) => t.family).sort()).toEqual([
      'fragile-healthy',
      'fragile-inactive',
      'fragile-network',
      'fragile-retired',
      'fragile-stale',
    ]);
    expect(manifest.images.find((i) => i.sourceUri === healthyImage)).toMatchObject({
      presence: 'unverified',
      digest: fleet.digests['shop/api:2.3.1'],
    });
    expect(manifest.images.find((i) => i.sourceUri === missingTagImage)).toMatchObject({
      presence: 'missing',
      repositoryName: 'shop/web',
      tag: '9.9.9-deleted',
    });
    expect(manifest.images.find((i) => i.sourceUri === goneRepositoryImage)?.presence).toBe('missing');
    expect(manifest.network.subnets.map((s) => s.subnetId)).not.toContain(missingSubnet);
    expect(manifest.network.subnets.length).toBeGreaterThan(0);
  });

  it('reads the partial recovery point back only with allowPartial', async () => {
    const { manifest } = await runCapture({
      clients: ctx.clients,
      config,
      bucket: BUCKET,
      efsEmulatorFallback: true,
    });

    await expect(store().get(manifest.id)).rejects.toBeInstanceOf(PartialRecoveryPointError);
    expect(await store().get(manifest.id, { allowPartial: true })).toEqual(manifest);
  });

  it('resolves a tag the emulator answers under another tag of the same image, with one DescribeImages call', async () => {
    // moto's BatchGetImage names an image by its newest tag, not the requested one; ECR echoes the request.
    const ecr = ctx.clients.ecr(PRIMARY);
    const imageManifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: 7,
        digest: `sha256:${'c'.repeat(64)}`,
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          size: 9,
          digest: `sha256:${'d'.repeat(64)}`,
        },
      ],
    });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'fragile/multi-tag' }));
    const pushed = await ecr.send(
      new PutImageCommand({ repositoryName: 'fragile/multi-tag', imageManifest, imageTag: '1.0.0' }),
    );
    await ecr.send(
      new PutImageCommand({ repositoryName: 'fragile/multi-tag', imageManifest, imageTag: 'stable' }),
    );
    const multiTagImage = `${REGISTRY}/fragile/multi-tag:1.0.0`;
    await service('multi-tag', await taskDefinition('fragile-multi-tag', [multiTagImage]));
    const { clients, counter } = countedClients();
    try {
      const { manifest } = await runCapture({ clients, config, bucket: BUCKET, efsEmulatorFallback: true });

      expect(manifest.images.find((i) => i.sourceUri === multiTagImage)).toMatchObject({
        presence: 'unverified',
        digest: pushed.image?.imageId?.imageDigest,
      });
      expect(counter.counts.get('ECR.DescribeImages')).toBe(1);
    } finally {
      clients.destroy();
    }
  });
});

/**
 * A loopback proxy in front of the emulator that answers chosen ECS calls with AWS error
 * responses (the emulator cannot throttle or fail on demand) and forwards everything else.
 */
function faultProxy(
  target: string,
  fault: (operation: string, body: string) => { status: number; type: string } | undefined,
) {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      if (operation) seen.push(operation);
      const injected = operation ? fault(operation, body.toString('utf8')) : undefined;
      if (injected) {
        res.writeHead(injected.status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: injected.type, message: `injected ${injected.type}` }));
        return;
      }
      const url = new URL(target);
      const forward = request(
        { host: url.hostname, port: url.port, path: req.url, method: req.method, headers: req.headers },
        (upstream) => {
          res.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(res);
        },
      );
      forward.end(body);
    });
  });
  return {
    seen,
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        ),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('runCapture when AWS throttles or fails', () => {
  let throttled = false;
  let failingArn: string;
  let clients: AwsClients;
  const counter = new CallCounter();
  let stopProxy: () => Promise<void>;
  let seen: string[];

  beforeAll(async () => {
    failingArn = fleet.services.find((s) => s.protected)?.taskDefinitionArn ?? '';
    const p = faultProxy(ctx.endpoint, (operation, body) => {
      if (operation === 'DescribeServices' && !throttled) {
        throttled = true;
        return { status: 400, type: 'ThrottlingException' };
      }
      if (operation === 'DescribeTaskDefinition' && body.includes(failingArn)) {
        return { status: 500, type: 'ServerException' };
      }
      return undefined;
    });
    const endpoint = await p.start();
    stopProxy = p.stop;
    seen = p.seen;
    clients = new AwsClients({ endpoint, maxAttempts: 3, onCall: counter.record });
  });
  afterAll(async () => {
    clients.destroy();
    await stopProxy();
  });

  it('retries a throttled describe and records a describe that keeps failing, capturing the rest', async () => {
    const { manifest } = await runCapture({
      clients,
      config: parseConfig(CONFIG_INPUT),
      bucket: BUCKET,
      efsEmulatorFallback: true,
    });

    expect(throttled).toBe(true);
    // One extra attempt for the throttled call, two for the call that fails on every attempt.
    expect(seen.filter((op) => op === 'DescribeServices')).toHaveLength(
      (counter.counts.get('ECS.DescribeServices') ?? 0) + 1,
    );
    expect(seen.filter((op) => op === 'DescribeTaskDefinition')).toHaveLength(
      (counter.counts.get('ECS.DescribeTaskDefinition') ?? 0) + 2,
    );
    const affected = fleet.services
      .filter((s) => s.protected && s.taskDefinitionArn === failingArn)
      .map((s) => s.key);
    expect(manifest.status).toBe('partial');
    expect(
      manifest.errors.map(({ resourceType, resourceId, code }) => ({ resourceType, resourceId, code })),
    ).toEqual([
      ...affected.map((key) => ({
        resourceType: 'service',
        resourceId: key,
        code: 'TaskDefinitionNotCaptured',
      })),
      { resourceType: 'taskDefinition', resourceId: failingArn, code: 'ServerException' },
    ]);
    expect(manifest.services.map((s) => `${s.clusterName}/${s.serviceName}`)).toEqual(
      fleet.selectedServiceKeys.filter((k) => !affected.includes(k)),
    );
  });
});

describe('capture Lambda handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  function deps(env: Record<string, string | undefined>) {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const metrics = new Metrics({ namespace: 'Lifeboat', serviceName: 'lifeboat-capture' });
    return { clients: ctx.clients, env, logger: new Logger({ logLevel: 'SILENT' }), metrics };
  }

  it('stages the recovery point and returns its id, counts and whether volume copies are pending', async () => {
    const d = deps({
      LIFEBOAT_CONFIG: JSON.stringify(withEfsMapped()),
      CATALOG_BUCKET: BUCKET,
      CATALOG_KMS_KEY_ID: 'alias/lifeboat-catalog',
    });
    const addMetric = vi.spyOn(d.metrics, 'addMetric');
    const handler = createHandler(d);

    const result = await handler({});

    const staged = (await store().getStaging(result.recoveryPointId, 'body')) as ManifestBody;
    expect(result).toEqual({
      recoveryPointId: staged.id,
      status: 'complete',
      services: fleet.selectedServiceKeys.length,
      taskDefinitions: staged.taskDefinitions.length,
      images: staged.images.length,
      volumes: 2,
      errors: 0,
      done: false,
    });
    await expect(store().get(result.recoveryPointId)).rejects.toThrow(/does not exist/);
    expect(addMetric).toHaveBeenCalledWith('ServicesCaptured', 'Count', fleet.selectedServiceKeys.length);
    expect(addMetric).toHaveBeenCalledWith('VolumesSnapshotted', 'Count', 2);
  });

  it('logs ids and counts but never the environment values', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const env = {
      LIFEBOAT_CONFIG: JSON.stringify(withEfsMapped()),
      CATALOG_BUCKET: BUCKET,
      CATALOG_KMS_KEY_ID: 'alias/lifeboat-catalog-secret-name',
    };
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const handler = createHandler({
      clients: ctx.clients,
      env,
      logger: new Logger({ logLevel: 'INFO', serviceName: 'lifeboat-capture' }),
      metrics: new Metrics({ namespace: 'Lifeboat' }),
    });

    const result = await handler({});
    vi.mocked(process.stdout.write).mockRestore();

    const output = lines.join('');
    expect(output).toContain(result.recoveryPointId);
    expect(output).toContain('"servicesSelected"');
    expect(output).not.toContain(BUCKET);
    expect(output).not.toContain('lifeboat-catalog-secret-name');
    expect(output).not.toContain(env.LIFEBOAT_CONFIG);
  });

  it('fails with a ConfigError naming CATALOG_BUCKET when it is not set, and counts the failure', async () => {
    const d = deps({ LIFEBOAT_CONFIG: JSON.stringify(withEfsMapped()) });
    const addMetric = vi.spyOn(d.metrics, 'addMetric');

    const run = createHandler(d)({});

    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(run).rejects.toThrow(/CATALOG_BUCKET/);
    expect(addMetric).toHaveBeenCalledWith('CaptureFailures', 'Count', 1);
  });

  it('fails with a ConfigError naming the setting when LIFEBOAT_CONFIG is invalid', async () => {
    const d = deps({
      LIFEBOAT_CONFIG: JSON.stringify({ ...CONFIG_INPUT, drRegion: PRIMARY }),
      CATALOG_BUCKET: BUCKET,
    });

    await expect(createHandler(d)({})).rejects.toThrow(/lifeboat\.drRegion/);
  });
});
