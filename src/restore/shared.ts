import { createHash } from 'node:crypto';
import { awsErrorCode, awsErrorMessage } from '../aws/errors';
import { restoreRunKey } from '../catalog/keys';
import { ensureCloudMapService } from '../fleet/aws/cloud-map';
import { createCluster, createLogGroup } from '../fleet/aws/deploy';
import { ensureTargetGroup } from '../fleet/aws/load-balancing';
import { partitionOf } from '../kernel/arns';
import { mapConcurrent } from '../kernel/concurrency';
import { ensureAccessPoint } from '../volumes/efs/aws/access-points';
import { failOverReplica } from '../volumes/efs/aws/replication';
import type { RestoreContext } from './context';
import type { EfsFailoverPlan } from './plan';
import type { RestoreRun, SharedResources } from './runs';

export interface PrepareSharedEvent {
  readonly executionName: string;
}

export interface PrepareSharedResult {
  readonly clustersCreated: number;
  readonly logGroupsCreated: number;
  readonly accessPointsCreated: number;
  /** Target groups created (or found from an earlier run) for the services. */
  readonly targetGroupsCreated: number;
  /** Cloud Map services created (or found from an earlier run) in the DR namespaces. */
  readonly cloudMapServicesCreated: number;
  /** What became of each EFS replica the plan lists (DR file system ids, sorted). */
  readonly fileSystems: FileSystemOutcomes;
  /** Shared resources that could not be prepared; the services needing them are reported failed. */
  readonly failures: string[];
}

/** The EFS replicas of a restore by what PrepareShared did to them. */
export interface FileSystemOutcomes {
  /** Made writable by this run: their replication configuration was deleted. */
  readonly promoted: string[];
  /** Left replicating, so read-only: the input did not say `promoteFileSystems: true`. */
  readonly leftReplicating: string[];
  /** Nothing to delete: promoted by an earlier run, no replica at all, or the emulator's stand-in. */
  readonly notReplicating: string[];
  /** Could not be promoted (the reason is under `failures`); the services needing them fail. */
  readonly failed: string[];
}

/**
 * Makes the DR replica writable (deletes its replication configuration; idempotent): `promoted`
 * when this run deleted it. On the emulator, which has no replication APIs, there is nothing to
 * delete (the capture's `emulatorFallback` stand-in is writable already).
 */
async function failOverFileSystem(
  ctx: RestoreContext,
  fs: EfsFailoverPlan,
): Promise<'promoted' | 'notReplicating'> {
  const outcome = await failOverReplica(ctx.clients.efs(ctx.region), fs.drFileSystemId, {
    emulated: ctx.clients.target.endpoint !== undefined,
    onSourceUnreachable: (error) =>
      ctx.log?.warn('The primary region did not answer the delete; deleting on the DR side only', {
        fileSystemId: fs.drFileSystemId,
        sourceFileSystemId: fs.sourceFileSystemId,
        error: `${awsErrorCode(error)}: ${awsErrorMessage(error)}`,
      }),
  });
  if (outcome === 'deleted-locally') {
    ctx.log?.warn('Replication deleted on the DR side only (the primary region did not answer)', {
      fileSystemId: fs.drFileSystemId,
      sourceFileSystemId: fs.sourceFileSystemId,
    });
  } else if (outcome === 'emulator-no-replication') {
    ctx.log?.warn('The emulator has no EFS replication; the DR file system is used as it is', {
      fileSystemId: fs.drFileSystemId,
    });
  }
  return outcome === 'deleted' || outcome === 'deleted-locally' ? 'promoted' : 'notReplicating';
}

/**
 * Cloud Map's idempotency token for creating the DR service that stands for `sourceArn` (at most
 * 64 characters): a retried or repeated create by this deployment returns the same service.
 */
function creatorRequestId(deploymentId: string, sourceArn: string): string {
  return `lifeboat-${createHash('sha256').update(`${deploymentId}\n${sourceArn}`).digest('hex').slice(0, 48)}`;
}

/**
 * PrepareShared: creates what the services of the plan share, each idempotently: missing
 * clusters (settings, configuration, Fargate capacity providers, tags), log groups (the primary
 * group's retention and tags, its KMS key mapped to DR), the EFS
 * fail-over of replicas and the access points on them. A resource that fails is recorded (the
 * services that need it are then reported failed) and does not stop the others.
 *
 * A replica is promoted (its replication deleted) only when the plan's input says
 * `promoteFileSystems: true`, which the input refuses in a dry run and in a drill: deleting
 * replication cannot be undone, so an ordinary failover leaves the replicas replicating and the
 * services mount them read-only.
 */
export async function prepareShared(
  ctx: RestoreContext,
  event: PrepareSharedEvent,
): Promise<PrepareSharedResult> {
  const run = await ctx.runs.get<RestoreRun>(restoreRunKey(event.executionName, 'plan'));
  const { plan } = run;
  const failures: Record<string, string> = {};
  const record = (resource: string, error: unknown) => {
    failures[resource] = `${awsErrorCode(error)}: ${awsErrorMessage(error)}`;
    ctx.log?.warn('Shared resource failed', { resource, error: failures[resource] });
  };
  const ecs = ctx.clients.ecs(ctx.region);
  const logs = ctx.clients.logs(ctx.region);

  const clustersCreated: string[] = [];
  const logGroupsCreated: string[] = [];
  const accessPoints: Record<string, string> = {};
  const targetGroups: Record<string, string> = {};
  const cloudMapServices: Record<string, string> = {};
  const fileSystems: { [K in keyof FileSystemOutcomes]: string[] } = {
    promoted: [],
    leftReplicating: [],
    notReplicating: [],
    failed: [],
  };

  await Promise.all([
    mapConcurrent(
      plan.clusters.filter((c) => c.action === 'create' && c.createInput),
      5,
      async (cluster) => {
        try {
          await createCluster(ecs, cluster.createInput as NonNullable<typeof cluster.createInput>);
          clustersCreated.push(cluster.clusterName);
        } catch (error) {
          record(`cluster:${cluster.clusterName}`, error);
        }
      },
    ),
    mapConcurrent(
      plan.logGroups.filter((g) => g.action === 'create'),
      5,
      async (group) => {
        try {
          const settings = {
            ...(group.retentionInDays !== undefined ? { retentionInDays: group.retentionInDays } : {}),
            ...(group.kmsKeyId !== undefined ? { kmsKeyId: group.kmsKeyId } : {}),
            logGroupArn: `arn:${partitionOf(ctx.region)}:logs:${ctx.region}:${plan.target.account}:log-group:${group.logGroupName}`,
          };
          if (await createLogGroup(logs, group.logGroupName, group.tags, settings)) {
            logGroupsCreated.push(group.logGroupName);
          }
        } catch (error) {
          record(`logGroup:${group.logGroupName}`, error);
        }
      },
    ),
    mapConcurrent(plan.targetGroups ?? [], 3, async (group) => {
      try {
        targetGroups[group.sourceTargetGroupArn] = await ensureTargetGroup(
          ctx.clients.elbv2(ctx.region),
          group,
        );
      } catch (error) {
        record(`targetGroup:${group.sourceTargetGroupArn}`, error);
      }
    }),
    mapConcurrent(plan.cloudMapServices ?? [], 3, async (service) => {
      try {
        cloudMapServices[service.sourceServiceArn] = await ensureCloudMapService(
          ctx.clients.servicediscovery(ctx.region),
          service,
          creatorRequestId(ctx.config.deploymentId, service.sourceServiceArn),
        );
      } catch (error) {
        record(`cloudMapService:${service.sourceServiceArn}`, error);
      }
    }),
    (async () => {
      for (const fs of plan.efsFileSystems) {
        // A file system named by mappings.efsFileSystems is one the operator runs in DR, not a replica.
        if (ctx.config.mappings.efsFileSystems[fs.sourceFileSystemId] === fs.drFileSystemId) continue;
        if (plan.input.promoteFileSystems !== true) {
          fileSystems.leftReplicating.push(fs.drFileSystemId);
          continue;
        }
        try {
          fileSystems[await failOverFileSystem(ctx, fs)].push(fs.drFileSystemId);
        } catch (error) {
          fileSystems.failed.push(fs.drFileSystemId);
          record(`fileSystem:${fs.drFileSystemId}`, error);
        }
      }
      for (const ap of plan.efsAccessPoints) {
        if (failures[`fileSystem:${ap.drFileSystemId}`]) {
          failures[`accessPoint:${ap.sourceAccessPointId}`] =
            `file system ${ap.drFileSystemId} could not be failed over`;
          continue;
        }
        try {
          accessPoints[ap.sourceAccessPointId] = await ensureAccessPoint(ctx.clients.efs(ctx.region), ap);
        } catch (error) {
          record(`accessPoint:${ap.sourceAccessPointId}`, error);
        }
      }
    })(),
  ]);

  const shared: SharedResources = {
    accessPoints,
    targetGroups,
    cloudMapServices,
    failures,
    clustersCreated: clustersCreated.sort(),
    logGroupsCreated: logGroupsCreated.sort(),
  };
  await ctx.runs.put(restoreRunKey(event.executionName, 'shared'), shared);
  return {
    clustersCreated: clustersCreated.length,
    logGroupsCreated: logGroupsCreated.length,
    accessPointsCreated: Object.keys(accessPoints).length,
    targetGroupsCreated: Object.keys(targetGroups).length,
    cloudMapServicesCreated: Object.keys(cloudMapServices).length,
    fileSystems: {
      promoted: fileSystems.promoted.sort(),
      leftReplicating: fileSystems.leftReplicating.sort(),
      notReplicating: fileSystems.notReplicating.sort(),
      failed: fileSystems.failed.sort(),
    },
    failures: Object.keys(failures).sort(),
  };
}
