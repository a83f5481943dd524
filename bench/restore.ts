import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { AwsClients } from '../src/aws/clients';
import { runCapture } from '../src/backup/steps';
import { ensureLocalSigningKey } from '../src/catalog/aws/signer';
import { ensureCatalogBucket } from '../src/catalog/aws/store';
import { CATALOG_SIGNING_KEY_ALIAS } from '../src/catalog/names';
import { ensureLocalReportTopic } from '../src/cli/aws/local-resources';
import { runLocalRestore, synthesiseRestoreWorkflow } from '../src/cli/runners/local-restore';
import { parseConfig } from '../src/config/schema';
import type { RestoreReport } from '../src/restore/report';
import { seedFleet } from './fleet';
import { round } from './stats';

export interface RestoreBench {
  readonly services: number;
  readonly waves: number;
  readonly status: string;
  readonly restored: number;
  readonly failed: number;
  readonly blocked: number;
  readonly notSteady: number;
  readonly stateTransitions: number;
  /** stateTransitions / services; target ≤ 8. */
  readonly transitionsPerService: number;
  readonly transitionsByState: Record<string, number>;
  readonly wallMs: number;
  /** Longest single service in the 100-service run (its report's startedAt → finishedAt). */
  readonly slowestServiceMs: number;
  /** wallMs / slowestServiceMs: 1 would be perfect parallelism; waves run one after another. */
  readonly wallToSlowestService: number;
  /** A whole execution restoring one service, in the same run: the per-execution floor. */
  readonly singleServiceWallMs: number;
  readonly singleServiceTransitions: number;
  /** wallMs / singleServiceWallMs. */
  readonly wallToSingleService: number;
  readonly failures: string[];
}

const ACCOUNT = '123456789012';

/**
 * Seeds `services + 1` services in 4 waves (images pushed to both registries), captures them,
 * restores one service alone (baseline), then the other `services` with the state machine
 * the RecoveryStack deploys, run locally (wait times scaled to 0).
 */
export async function benchRestore(
  endpoint: string,
  opts: { primaryRegion: string; drRegion: string; services: number; concurrency: number },
): Promise<RestoreBench> {
  const { primaryRegion, drRegion } = opts;
  const clients = new AwsClients({ endpoint });
  try {
    const fleet = await seedFleet(clients, {
      region: primaryRegion,
      account: ACCOUNT,
      shape: { clusters: 4, services: opts.services + 1, taskDefinitions: 30, repositories: 10 },
      concurrency: opts.concurrency,
      replicaRegion: drRegion,
    });
    const dr = await drNetwork(clients, drRegion);
    const config = parseConfig({
      account: ACCOUNT,
      primaryRegion,
      drRegion,
      mappings: {
        subnets: Object.fromEntries(
          fleet.subnetIds.map((id, i) => [id, dr.subnetIds[i % dr.subnetIds.length]]),
        ),
        securityGroups: Object.fromEntries(fleet.securityGroupIds.map((id) => [id, dr.securityGroupId])),
      },
    });
    const bucket = `lifeboat-catalog-${ACCOUNT}-${drRegion}`;
    await ensureCatalogBucket(clients.s3(drRegion), bucket, drRegion);
    await ensureLocalSigningKey(clients.kms(drRegion), CATALOG_SIGNING_KEY_ALIAS);
    const topicArn = await ensureLocalReportTopic(clients, drRegion);
    await runCapture({ clients, config, bucket });

    // svc-<services> is the one extra service (cluster bench-00): the single-service baseline.
    const solo = `bench-00/svc-${String(opts.services).padStart(4, '0')}`;
    const restore = (input: Record<string, unknown>) =>
      runLocalRestore({
        clients,
        config,
        bucket,
        topicArn,
        input: { dryRun: false, ...input },
        waitTimeScale: 0,
      });
    // Synthesis (seconds) and first loads are paid here, outside both timings.
    synthesiseRestoreWorkflow(config);
    await restore({ services: [solo], dryRun: true });
    const single = await restore({ services: [solo] });
    const all = await restore({ exclude: [solo] });

    const report = all.report?.report;
    const slowest = report ? slowestServiceMs(report) : Number.NaN;
    const totals = report?.totals;
    return {
      services: opts.services,
      waves: 4,
      status: all.status,
      restored: totals?.restored ?? 0,
      failed: totals?.failed ?? 0,
      blocked: totals?.blocked ?? 0,
      notSteady: totals?.notSteady ?? 0,
      stateTransitions: all.stateTransitions,
      transitionsPerService: round(all.stateTransitions / opts.services),
      transitionsByState: { ...all.transitionsByState },
      wallMs: round(all.durationMs, 0),
      slowestServiceMs: round(slowest, 0),
      wallToSlowestService: round(all.durationMs / slowest, 1),
      singleServiceWallMs: round(single.durationMs, 0),
      singleServiceTransitions: single.stateTransitions,
      wallToSingleService: round(all.durationMs / single.durationMs, 1),
      failures: [
        ...(single.status === 'SUCCEEDED' ? [] : [`single: ${single.error}: ${single.cause}`]),
        ...(all.status === 'SUCCEEDED' ? [] : [`all: ${all.error}: ${all.cause}`]),
      ],
    };
  } finally {
    clients.destroy();
  }
}

function slowestServiceMs(report: RestoreReport): number {
  let slowest = 0;
  for (const s of report.services) {
    if (!s.startedAt || !s.finishedAt) continue;
    slowest = Math.max(slowest, Date.parse(s.finishedAt) - Date.parse(s.startedAt));
  }
  return slowest;
}

async function drNetwork(
  clients: AwsClients,
  region: string,
): Promise<{ subnetIds: string[]; securityGroupId: string }> {
  const ec2 = clients.ec2(region);
  const subnets = await ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }),
  );
  const groups = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
  );
  const subnetIds = (subnets.Subnets ?? []).flatMap((s) => (s.SubnetId ? [s.SubnetId] : []));
  const securityGroupId = groups.SecurityGroups?.[0]?.GroupId;
  if (subnetIds.length === 0 || !securityGroupId) {
    throw new Error(`the emulator has no default subnets or security group in ${region}`);
  }
  return { subnetIds, securityGroupId };
}
