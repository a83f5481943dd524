import { createHash } from 'node:crypto';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import type { AwsClients } from '../src/aws/clients';
import { mapConcurrent } from '../src/kernel/concurrency';

/** The shape of the benchmark fleet. */
export interface FleetShape {
  readonly clusters: number;
  readonly services: number;
  readonly taskDefinitions: number;
  readonly repositories: number;
}

export const CAPTURE_FLEET: FleetShape = {
  clusters: 10,
  services: 1000,
  taskDefinitions: 300,
  repositories: 50,
};

/** What was seeded, with the counts the minimum-call computation needs. */
export interface SeededFleet {
  readonly shape: FleetShape;
  /** Services per cluster name. */
  readonly servicesPerCluster: ReadonlyMap<string, number>;
  /** Distinct ECR image references per repository name. */
  readonly imageRefsPerRepository: ReadonlyMap<string, number>;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly seedCalls: number;
  readonly seedMs: number;
}

const MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
/** A sidecar image from another registry: captured as `external`, never looked up. */
const SIDECAR_IMAGE = 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.4.0-prod';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function imageManifest(repositoryName: string, tag: string): string {
  const digest = (seed: string) => `sha256:${createHash('sha256').update(seed).digest('hex')}`;
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1_500,
      digest: digest(`config/${repositoryName}/${tag}`),
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: 3_000_000,
        digest: digest(`layer/${repositoryName}/${tag}`),
      },
    ],
  });
}

/**
 * Seeds a fleet on the emulator: `clusters` clusters with `services` services spread evenly,
 * `taskDefinitions` task definitions (an ECR app image, one tag each, spread over
 * `repositories` repositories, plus an external sidecar), awsvpc networking on the region's
 * default subnets and security group, every service tagged `lifeboat:backup=true`.
 * Calls run `concurrency` at a time: moto is one Python process, more does not help.
 */
export async function seedFleet(
  clients: AwsClients,
  opts: {
    region: string;
    account: string;
    shape: FleetShape;
    concurrency: number;
    /** Also push every image to this region's registry (as ECR replication would). */
    replicaRegion?: string;
  },
): Promise<SeededFleet> {
  const { region, account, shape, concurrency, replicaRegion } = opts;
  const started = performance.now();
  let calls = 0;
  const ecs = clients.ecs(region);
  const registries = [clients.ecr(region), ...(replicaRegion ? [clients.ecr(replicaRegion)] : [])];
  const ec2 = clients.ec2(region);
  const send = <T>(call: () => Promise<T>): Promise<T> => {
    calls += 1;
    return call();
  };

  const subnets = await send(() =>
    ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] })),
  );
  const subnetIds = (subnets.Subnets ?? []).flatMap((s) => (s.SubnetId ? [s.SubnetId] : [])).slice(0, 2);
  const groups = await send(() =>
    ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] })),
  );
  const securityGroupIds = (groups.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []));
  if (subnetIds.length === 0 || securityGroupIds.length === 0) {
    throw new Error(`the emulator has no default subnets or security group in ${region}`);
  }

  const repositoryNames = Array.from({ length: shape.repositories }, (_, i) => `bench/app-${pad(i, 3)}`);
  const clusterNames = Array.from({ length: shape.clusters }, (_, i) => `bench-${pad(i, 2)}`);
  for (const ecr of registries) {
    await mapConcurrent(repositoryNames, concurrency, (repositoryName) =>
      send(() => ecr.send(new CreateRepositoryCommand({ repositoryName }))),
    );
  }
  await mapConcurrent(clusterNames, concurrency, (clusterName) =>
    send(() => ecs.send(new CreateClusterCommand({ clusterName, tags: [{ key: 'team', value: 'bench' }] }))),
  );

  const imageRefsPerRepository = new Map<string, number>();
  const taskDefinitionArns = await mapConcurrent(
    Array.from({ length: shape.taskDefinitions }, (_, i) => i),
    concurrency,
    async (i) => {
      const repositoryName = repositoryNames[i % repositoryNames.length] as string;
      const tag = `v${Math.floor(i / repositoryNames.length) + 1}`;
      imageRefsPerRepository.set(repositoryName, (imageRefsPerRepository.get(repositoryName) ?? 0) + 1);
      for (const ecr of registries) {
        await send(() =>
          ecr.send(
            new PutImageCommand({
              repositoryName,
              imageTag: tag,
              imageManifest: imageManifest(repositoryName, tag),
              imageManifestMediaType: MANIFEST_MEDIA_TYPE,
            }),
          ),
        );
      }
      const registered = await send(() =>
        ecs.send(
          new RegisterTaskDefinitionCommand({
            family: `bench-td-${pad(i, 3)}`,
            networkMode: 'awsvpc',
            requiresCompatibilities: ['FARGATE'],
            cpu: '256',
            memory: '512',
            containerDefinitions: [
              {
                name: 'app',
                image: `${account}.dkr.ecr.${region}.amazonaws.com/${repositoryName}:${tag}`,
                essential: true,
                portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
              },
              { name: 'envoy', image: SIDECAR_IMAGE, essential: true },
            ],
            tags: [{ key: 'team', value: 'bench' }],
          }),
        ),
      );
      const arn = registered.taskDefinition?.taskDefinitionArn;
      if (!arn) throw new Error(`RegisterTaskDefinition returned no ARN for bench-td-${pad(i, 3)}`);
      return arn;
    },
  );

  const servicesPerCluster = new Map<string, number>();
  await mapConcurrent(
    Array.from({ length: shape.services }, (_, i) => i),
    concurrency,
    async (i) => {
      const cluster = clusterNames[i % clusterNames.length] as string;
      servicesPerCluster.set(cluster, (servicesPerCluster.get(cluster) ?? 0) + 1);
      await send(() =>
        ecs.send(
          new CreateServiceCommand({
            cluster,
            serviceName: `svc-${pad(i, 4)}`,
            taskDefinition: taskDefinitionArns[i % taskDefinitionArns.length],
            desiredCount: 1,
            launchType: 'FARGATE',
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: subnetIds,
                securityGroups: securityGroupIds,
                assignPublicIp: 'DISABLED',
              },
            },
            tags: [
              { key: 'lifeboat:backup', value: 'true' },
              { key: 'lifeboat:wave', value: String((i % 4) + 1) },
            ],
          }),
        ),
      );
    },
  );

  return {
    shape,
    servicesPerCluster,
    imageRefsPerRepository,
    subnetIds,
    securityGroupIds,
    seedCalls: calls,
    seedMs: performance.now() - started,
  };
}
