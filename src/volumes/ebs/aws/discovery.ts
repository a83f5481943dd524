import {
  DescribeVolumesCommand,
  type DescribeVolumesCommandOutput,
  type EC2Client,
  type Filter,
  type Volume,
} from '@aws-sdk/client-ec2';
import {
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  type ListTasksCommandOutput,
} from '@aws-sdk/client-ecs';
import { awsErrorCode, awsErrorMessage } from '../../../aws/errors';
import { chunk, mapConcurrent } from '../../../kernel/concurrency';
import {
  type ChosenVolume,
  chooseVolumes,
  type VolumeFacts,
  type VolumeService,
  type VolumeWarning,
} from '../model';
import { BACKUP_TAG, ECS_MANAGED_TAG, SERVICE_TAG } from '../tags';
import { fromEc2Tags } from './snapshots';

/** Which EBS volumes the selected services use (see `chooseVolumes` for the rules). */

const DESCRIBE_VOLUMES_PAGE = 500;
const DESCRIBE_TASKS_MAX = 100;
const LIST_TASKS_PAGE = 100;
const FILTER_VALUES_MAX = 200;
const EBS_ATTACHMENT = 'AmazonElasticBlockStorage';

export interface DiscoveryService extends VolumeService {
  /** The service has `volumeConfigurations[].managedEBSVolume`: ECS creates a volume per task. */
  readonly managedConfiguration: boolean;
}

/** A lookup that failed after the SDK's retries; the volumes behind it are not backed up. */
export interface DiscoveryFailure {
  /** The service (`cluster/service`), or the tag query, the lookup was for. */
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export interface DiscoveryResult {
  readonly chosen: ChosenVolume[];
  readonly warnings: VolumeWarning[];
  readonly failures: DiscoveryFailure[];
}

/**
 * Finds the volumes to back up in the primary region. One DescribeVolumes (a page per 500
 * volumes) for the volumes tagged `lifeboat:backup=true`; then, only for services with a
 * managed EBS volume configuration, their running tasks' EBS attachments (ListTasks,
 * DescribeTasks by 100) and the ECS-managed volumes tagged with the service (DescribeVolumes),
 * plus a DescribeVolumes for attached volumes neither query returned.
 */
export async function discoverVolumes(
  ec2: EC2Client,
  ecs: ECSClient,
  services: readonly DiscoveryService[],
  concurrency: number,
): Promise<DiscoveryResult> {
  const failures: DiscoveryFailure[] = [];
  const tagQuery = `tag:${BACKUP_TAG}=true`;
  let tagged: VolumeFacts[] = [];
  try {
    tagged = await describeVolumes(ec2, [{ Name: `tag:${BACKUP_TAG}`, Values: ['true'] }]);
  } catch (error) {
    failures.push({
      resourceId: tagQuery,
      code: awsErrorCode(error),
      message: `Could not list the volumes tagged ${BACKUP_TAG}=true, so none of them is backed up: ${awsErrorMessage(error)}`,
    });
  }
  const managed = new Map<string, VolumeFacts[]>();
  const known = new Map(tagged.map((v) => [v.volumeId, v]));
  await mapConcurrent(
    services.filter((s) => s.managedConfiguration),
    concurrency,
    async (service) => {
      const key = `${service.clusterName}/${service.serviceName}`;
      try {
        managed.set(key, await managedVolumesOf(ec2, ecs, service, known));
      } catch (error) {
        failures.push({
          resourceId: key,
          code: awsErrorCode(error),
          message: `Could not find the ECS-managed volumes of service ${key}, so they are not backed up: ${awsErrorMessage(error)}`,
        });
      }
    },
  );
  return { ...chooseVolumes({ services, tagged, managed }), failures };
}

async function managedVolumesOf(
  ec2: EC2Client,
  ecs: ECSClient,
  service: DiscoveryService,
  known: ReadonlyMap<string, VolumeFacts>,
): Promise<VolumeFacts[]> {
  const key = `${service.clusterName}/${service.serviceName}`;
  const taskArns = await runningTasks(ecs, service);
  const attached = new Set<string>();
  for (const batch of chunk(taskArns, DESCRIBE_TASKS_MAX)) {
    const out = await ecs.send(new DescribeTasksCommand({ cluster: service.clusterName, tasks: batch }));
    for (const task of out.tasks ?? []) {
      for (const attachment of task.attachments ?? []) {
        if (attachment.type !== EBS_ATTACHMENT) continue;
        const volumeId = attachment.details?.find((d) => d.name === 'volumeId')?.value;
        if (volumeId) attached.add(volumeId);
      }
    }
  }
  const volumes = await describeVolumes(ec2, [
    { Name: `tag:${SERVICE_TAG}`, Values: [key] },
    { Name: 'tag-key', Values: [ECS_MANAGED_TAG] },
  ]);
  const found = new Set(volumes.map((v) => v.volumeId));
  const missing: string[] = [];
  for (const id of attached) {
    const tagged = known.get(id);
    if (tagged && !found.has(id)) volumes.push(tagged);
    else if (!found.has(id)) missing.push(id);
  }
  for (const part of chunk(missing, FILTER_VALUES_MAX)) {
    volumes.push(...(await describeVolumes(ec2, [{ Name: 'volume-id', Values: part }])));
  }
  return volumes;
}

async function runningTasks(ecs: ECSClient, service: DiscoveryService): Promise<string[]> {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const page: ListTasksCommandOutput = await ecs.send(
      new ListTasksCommand({
        cluster: service.clusterName,
        serviceName: service.serviceName,
        desiredStatus: 'RUNNING',
        maxResults: LIST_TASKS_PAGE,
        nextToken: token,
      }),
    );
    arns.push(...(page.taskArns ?? []));
    token = page.nextToken;
  } while (token);
  return arns;
}

async function describeVolumes(ec2: EC2Client, filters: Filter[]): Promise<VolumeFacts[]> {
  const volumes: VolumeFacts[] = [];
  let token: string | undefined;
  do {
    const page: DescribeVolumesCommandOutput = await ec2.send(
      new DescribeVolumesCommand({ Filters: filters, MaxResults: DESCRIBE_VOLUMES_PAGE, NextToken: token }),
    );
    for (const volume of page.Volumes ?? []) {
      const f = volumeFacts(volume);
      if (f) volumes.push(f);
    }
    token = page.NextToken;
  } while (token);
  return volumes;
}

function volumeFacts(volume: Volume): VolumeFacts | undefined {
  if (!volume.VolumeId || volume.Size === undefined) return undefined;
  return {
    volumeId: volume.VolumeId,
    state: volume.State ?? 'available',
    ...(volume.CreateTime ? { createTime: volume.CreateTime.toISOString() } : {}),
    sizeGiB: volume.Size,
    ...(volume.VolumeType ? { volumeType: volume.VolumeType } : {}),
    ...(volume.Iops ? { iops: volume.Iops } : {}),
    ...(volume.Throughput ? { throughput: volume.Throughput } : {}),
    ...(volume.Encrypted !== undefined ? { encrypted: volume.Encrypted } : {}),
    ...(volume.AvailabilityZone ? { availabilityZone: volume.AvailabilityZone } : {}),
    tags: fromEc2Tags(volume.Tags),
  };
}
