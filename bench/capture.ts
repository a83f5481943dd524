import { BatchGetImageCommand } from '@aws-sdk/client-ecr';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListClustersCommand,
  ListServicesCommand,
} from '@aws-sdk/client-ecs';
import { AwsClients, CallCounter } from '../src/aws/clients';
import { runCapture } from '../src/backup/steps';
import { ensureLocalSigningKey } from '../src/catalog/aws/signer';
import { ensureCatalogBucket } from '../src/catalog/aws/store';
import { CATALOG_SIGNING_KEY_ALIAS } from '../src/catalog/names';
import { parseConfig } from '../src/config/schema';
import { DESCRIBE_CLUSTERS_MAX } from '../src/fleet/aws/capture';
import { SCALABLE_TARGET_IDS_MAX } from '../src/fleet/aws/scaling';
import { parseImageReference } from '../src/images/references';
import type { SeededFleet } from './fleet';
import { round, timed } from './stats';

/** API page and batch limits the minimum is computed with. */
const LIST_PAGE_MAX = 100;
const DESCRIBE_SERVICES_MAX = 10;
const BATCH_GET_IMAGE_MAX = 100;
const EC2_FILTER_VALUES_MAX = 200;

export interface CaptureBench {
  readonly services: number;
  readonly taskDefinitions: number;
  readonly images: number;
  readonly errors: number;
  readonly calls: Record<string, number>;
  readonly minimumCalls: Record<string, number>;
  readonly totalCalls: number;
  readonly minimumTotal: number;
  /** totalCalls / minimumTotal; target ≤ 1.05. */
  readonly callRatio: number;
  readonly wallMs: number;
  /** The same capture with one call in flight: shows what batching alone buys. */
  readonly sequentialWallMs: number;
  readonly naive: { readonly calls: number; readonly wallMs: number };
  /** naive.wallMs / wallMs. */
  readonly speedup: number;
}

const ceilDiv = (n: number, d: number) => Math.ceil(n / d);

/**
 * The fewest calls the APIs allow for this fleet: lists at their maximum page size,
 * DescribeClusters by 100, DescribeServices by 10, each distinct task definition once,
 * BatchGetImage per repository by 100 references, one EC2 describe per 200 ids, one
 * DescribeVolumes for the volumes tagged `lifeboat:backup` (the fleet has none, and no service
 * has a managed EBS volume, so there is nothing else to look up), one DescribeScalableTargets per
 * 50 services (none scales, so no policy is read), one signature, one PUT. No task definition
 * of the fleet references a Secrets Manager secret, so no DescribeSecret (one per referenced secret).
 */
export function minimumCaptureCalls(fleet: SeededFleet): Record<string, number> {
  const clusters = fleet.servicesPerCluster.size;
  let listServices = 0;
  let describeServices = 0;
  for (const n of fleet.servicesPerCluster.values()) {
    listServices += Math.max(1, ceilDiv(n, LIST_PAGE_MAX));
    describeServices += ceilDiv(n, DESCRIBE_SERVICES_MAX);
  }
  let batchGetImage = 0;
  for (const n of fleet.imageRefsPerRepository.values()) batchGetImage += ceilDiv(n, BATCH_GET_IMAGE_MAX);
  const services = [...fleet.servicesPerCluster.values()].reduce((a, b) => a + b, 0);
  return {
    // Every service is selected; none scales, so only their scalable targets are asked for, by 50.
    'ApplicationAutoScaling.DescribeScalableTargets': ceilDiv(services, SCALABLE_TARGET_IDS_MAX),
    'EC2.DescribeSecurityGroups': ceilDiv(fleet.securityGroupIds.length, EC2_FILTER_VALUES_MAX),
    'EC2.DescribeSubnets': ceilDiv(fleet.subnetIds.length, EC2_FILTER_VALUES_MAX),
    'EC2.DescribeVolumes': 1,
    'ECR.BatchGetImage': batchGetImage,
    'ECS.DescribeClusters': ceilDiv(clusters, DESCRIBE_CLUSTERS_MAX),
    'ECS.DescribeServices': describeServices,
    'ECS.DescribeTaskDefinition': fleet.shape.taskDefinitions,
    'ECS.ListClusters': Math.max(1, ceilDiv(clusters, LIST_PAGE_MAX)),
    'ECS.ListServices': listServices,
    'KMS.GenerateMac': 1,
    // The manifest and its summary object.
    'S3.PutObject': 2,
  };
}

const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);

/**
 * Captures the seeded fleet with `runCapture` (calls counted), again with concurrency 1, and
 * runs the naive baseline: sequential, one DescribeServices, one DescribeTaskDefinition and
 * one BatchGetImage per service and container.
 */
export async function benchCapture(
  endpoint: string,
  fleet: SeededFleet,
  opts: { account: string; primaryRegion: string; drRegion: string },
): Promise<CaptureBench> {
  const config = parseConfig({
    account: opts.account,
    primaryRegion: opts.primaryRegion,
    drRegion: opts.drRegion,
  });
  const bucket = `lifeboat-catalog-${opts.account}-${opts.drRegion}`;
  const setup = new AwsClients({ endpoint });
  try {
    await ensureCatalogBucket(setup.s3(opts.drRegion), bucket, opts.drRegion);
    await ensureLocalSigningKey(setup.kms(opts.drRegion), CATALOG_SIGNING_KEY_ALIAS);
  } finally {
    setup.destroy();
  }

  // The counted run also warms the emulator's per-region backends and the SDK clients, so the
  // timed runs after it compare like with like.
  const counter = new CallCounter();
  const counted = new AwsClients({ endpoint, onCall: counter.record });
  let measured: Awaited<ReturnType<typeof runCapture>>;
  try {
    measured = await runCapture({ clients: counted, config, bucket, counter });
  } finally {
    counted.destroy();
  }
  const wallMs = await timedCapture(endpoint, { config, bucket });
  const sequentialWallMs = await timedCapture(endpoint, { config, bucket, concurrency: 1 });

  const naive = await naiveCapture(endpoint, opts);
  const { manifest } = measured;
  const calls = counter.toJSON();
  const minimumCalls = minimumCaptureCalls(fleet);
  const totalCalls = counter.total();
  const minimumTotal = sum(minimumCalls);
  return {
    services: manifest.services.length,
    taskDefinitions: manifest.taskDefinitions.length,
    images: manifest.images.length,
    errors: manifest.errors.length,
    calls,
    minimumCalls,
    totalCalls,
    minimumTotal,
    callRatio: round(totalCalls / minimumTotal, 3),
    wallMs: round(wallMs, 0),
    sequentialWallMs: round(sequentialWallMs, 0),
    naive: { calls: naive.calls, wallMs: round(naive.wallMs, 0) },
    speedup: round(naive.wallMs / wallMs, 1),
  };
}

async function timedCapture(
  endpoint: string,
  deps: { config: ReturnType<typeof parseConfig>; bucket: string; concurrency?: number },
): Promise<number> {
  const clients = new AwsClients({ endpoint });
  try {
    return (await timed(() => runCapture({ clients, ...deps }))).ms;
  } finally {
    clients.destroy();
  }
}

/** The capture a first script would write: one call at a time, one resource per call. */
async function naiveCapture(
  endpoint: string,
  opts: { account: string; primaryRegion: string },
): Promise<{ calls: number; wallMs: number }> {
  const counter = new CallCounter();
  const clients = new AwsClients({ endpoint, onCall: counter.record });
  try {
    const ecs = clients.ecs(opts.primaryRegion);
    const { ms } = await timed(async () => {
      for (const clusterArn of await listAll(ecs)) {
        await ecs.send(new DescribeClustersCommand({ clusters: [clusterArn], include: ['TAGS'] }));
        let nextToken: string | undefined;
        do {
          const page = await ecs.send(new ListServicesCommand({ cluster: clusterArn, nextToken }));
          for (const serviceArn of page.serviceArns ?? []) {
            await naiveService(clients, ecs, clusterArn, serviceArn, opts);
          }
          nextToken = page.nextToken;
        } while (nextToken);
      }
    });
    return { calls: counter.total(), wallMs: ms };
  } finally {
    clients.destroy();
  }
}

async function listAll(ecs: ECSClient): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListClustersCommand({ nextToken }));
    arns.push(...(page.clusterArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

async function naiveService(
  clients: AwsClients,
  ecs: ECSClient,
  cluster: string,
  serviceArn: string,
  opts: { account: string },
): Promise<void> {
  const described = await ecs.send(
    new DescribeServicesCommand({ cluster, services: [serviceArn], include: ['TAGS'] }),
  );
  const taskDefinition = described.services?.[0]?.taskDefinition;
  if (!taskDefinition) return;
  const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] }));
  for (const container of td.taskDefinition?.containerDefinitions ?? []) {
    if (!container.image) continue;
    const ref = parseImageReference(container.image);
    if (ref.kind !== 'ecr' || ref.registryId !== opts.account) continue;
    await clients.ecr(ref.region).send(
      new BatchGetImageCommand({
        repositoryName: ref.repositoryName,
        imageIds: [ref.digest ? { imageDigest: ref.digest } : { imageTag: ref.tag ?? 'latest' }],
      }),
    );
  }
}
