import { AwsClients } from '../../aws/clients';
import { parseConfig } from '../../config/schema';
import { simulatePrimaryRegionLoss } from '../../demo/primary-loss';
import { seedDemoFleet } from '../../demo/seed';
import { type Emulator, MOTO_VERSION, startEmulator } from '../../emulator/moto';
import { targetGroupNameOf } from '../../fleet/retarget/target-groups';
import type { RestorePlan } from '../../restore/plan';
import { ExitCode, UsageError } from '../errors';
import { formatSeconds, formatTimestamp, paint, plural, renderFields } from '../format';
import {
  type FailoverServiceView,
  isRestored,
  renderNotRestored,
  renderPlanCompact,
  renderRestoredServices,
} from '../restore-views';
import { Session } from '../session';
import { manifestCounts, recoveryPointHeader, renderRestoredVolumes } from '../views';
import { renderBackedUpVolumes, takeBackup } from './backup';
import { failOver, failoverDocument, planFailover } from './restore';
import { describePoint, readRpoStatus, rpoVerdict } from './status';

const DEFAULT_PRIMARY_REGION = 'us-east-1';
const DEFAULT_DR_REGION = 'us-west-2';
const STEPS = 8;

/** Indents every line of a block (the output of a step under its heading). */
function indent(text: string, by = 3): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `${pad}${line}`))
    .join('\n');
}

/** The services the plan blocks, as the summary lists them: not restored, with the findings and fixes. */
function blockedViews(plan: RestorePlan): FailoverServiceView[] {
  return plan.services
    .filter((s) => s.blocked)
    .map((s) => ({
      service: s.key,
      wave: s.wave,
      status: 'blocked' as const,
      images: s.images,
      findings: plan.findings.filter((f) => f.severity === 'error' && f.service === s.key),
    }));
}

/**
 * `lifeboat demo`: the whole product on this machine. Starts a fresh emulator, seeds a demo
 * fleet, backs it up, checks the RPO, plans, deletes the primary region's services and fails
 * over with the restore workflow; stops the emulator at the end, on errors and on Ctrl-C.
 * Exit 0 when every service the plan did not block was restored.
 */
export async function runDemoCommand(session: Session): Promise<number> {
  if (session.options.endpoint !== undefined) {
    throw new UsageError(
      '`lifeboat demo` starts its own emulator; drop --endpoint. To use an emulator you started, run `lifeboat backup`, `plan` and `failover` with --endpoint.',
    );
  }
  const primaryRegion = session.options.primaryRegion ?? DEFAULT_PRIMARY_REGION;
  const drRegion = session.options.drRegion ?? DEFAULT_DR_REGION;
  if (primaryRegion === drRegion) {
    throw new UsageError(`--dr-region must differ from --primary-region (both are ${drRegion}).`);
  }
  const { out } = session;
  const { color } = out;
  const heading = (n: number, title: string, detail = '') =>
    out.print(`\n${paint(`${n}. ${title}`, 'bold', color)}${detail ? `  ${detail}` : ''}\n`);
  const stepLabel = (n: number, title: string) => `${n}/${STEPS} ${title}`;

  out.print(
    `${paint('Lifeboat demo', 'bold', color)}: back up an ECS fleet and fail it over to another region, on this machine.\n` +
      `AWS emulator moto ${MOTO_VERSION}; ${primaryRegion} is the primary region, ${drRegion} the DR region. Nothing leaves this machine.\n`,
  );

  const startedAt = Date.now();
  let emulator: Emulator | undefined;
  let seedClients: AwsClients | undefined;
  let local: Session | undefined;
  const onInterrupt = () => {
    out.error('Interrupted: stopping the emulator.');
    const reraise = () => process.kill(process.pid, 'SIGINT');
    void (emulator?.stop() ?? Promise.resolve()).then(reraise, reraise);
  };
  process.once('SIGINT', onInterrupt);
  try {
    emulator = await out.step(stepLabel(1, 'Starting the AWS emulator'), () =>
      startEmulator({ env: { MOTO_ECS_SERVICE_RUNNING: '10' }, log: (m) => out.info(m) }),
    );
    const { endpoint } = emulator;
    heading(1, 'Start the AWS emulator', endpoint);

    seedClients = new AwsClients({ endpoint });
    const clients = seedClients;
    const fleet = await out.step(stepLabel(2, `Seeding the demo fleet in ${primaryRegion}`), () =>
      seedDemoFleet(clients, { primaryRegion, drRegion }),
    );
    heading(2, `Seed a demo fleet in ${primaryRegion}`);
    out.print(
      indent(
        `${plural(fleet.clusters.length, 'cluster')} (${fleet.clusters.map((c) => c.clusterName).join(', ')}), ` +
          `${plural(fleet.services.length, 'service')}: ${fleet.selectedServiceKeys.length} tagged lifeboat:backup=true, ` +
          `${fleet.unselectedServiceKeys.join(', ')} not.\n` +
          `${plural(fleet.images.length, 'image manifest')} in ${plural(fleet.repositories.length, 'ECR repository', 'ECR repositories')}, ` +
          `secrets, parameters, an EFS file system, log groups; the DR landing zone (VPC, subnets, security groups) in ${drRegion}.\n`,
      ),
    );

    const config = parseConfig({
      account: fleet.account,
      primaryRegion,
      drRegion,
      backup: { replicateSecrets: true },
    });
    local = new Session({ ...session.options, endpoint, primaryRegion, drRegion }, session.io, {
      config: { config, source: 'the demo (built in)' },
      createsCatalog: true,
    });
    const demo = local;

    const backup = await takeBackup(demo, { verbose: false });
    const { manifest } = backup;
    const counts = manifestCounts(manifest);
    heading(3, 'Back up', '(lifeboat backup)');
    out.print(
      indent(
        `Recovery point ${paint(manifest.id, 'bold', color)}: ${manifest.status}, ${plural(counts.services, 'service')}, ` +
          `${plural(counts.taskDefinitions, 'task definition')}, ${plural(counts.images.total, 'image')} pinned by digest, ` +
          `${plural(counts.errors, 'error')}.\nStored in s3://${backup.bucket} (${drRegion}), checksum SHA-256 ${manifest.checksum.value.slice(0, 16)}…\n` +
          `${plural(backup.volumes.length, 'EBS volume')} snapshotted in ${primaryRegion} and copied to ${drRegion} ` +
          `(backup workflow: ${plural(backup.execution.ticks, 'copy tick')}, ${plural(backup.execution.stateTransitions, 'state transition')}):\n`,
      ),
    );
    out.print(indent(renderBackedUpVolumes(backup.volumes, color)));

    const status = await readRpoStatus(demo);
    heading(4, 'Check the RPO', '(lifeboat status)');
    out.print(
      indent(
        `${rpoVerdict(status, color)} (${formatSeconds(status.rpoTargetMinutes * 60)} target): latest complete ${describePoint(status.latestComplete)}\n`,
      ),
    );

    const plan = await out.step(stepLabel(5, `Planning the failover to ${drRegion}`), () =>
      planFailover(demo, { recoveryPoint: manifest.id }),
    );
    heading(5, 'Plan the failover', '(lifeboat plan)');
    out.print(indent(renderPlanCompact(plan, color)));

    const loss = await out.step(stepLabel(6, `Simulating the loss of ${primaryRegion}`), () =>
      simulatePrimaryRegionLoss(clients, { primaryRegion }),
    );
    const lostAt = new Date();
    heading(6, `Lose the primary region ${primaryRegion}`);
    out.print(
      indent(
        `${formatTimestamp(lostAt)}: ${plural(loss.deletedServices.length, 'service')} scaled to 0 and deleted. ` +
          'From here on only the DR catalog can bring the fleet back.\n',
      ),
    );

    const blocked = blockedViews(plan);
    if (plan.totals.restorable === 0) {
      out.error('The plan blocks every service; there is nothing to fail over (see the findings above).');
      return ExitCode.Failed;
    }
    const failover = await failOver(
      demo,
      {
        recoveryPoint: manifest.id,
        exclude: blocked.map((b) => b.service),
        desiredCountPercent: 100,
        yes: true,
      },
      plan,
    );
    const { report } = failover;
    heading(7, `Fail over to ${drRegion}`, '(lifeboat failover --yes)');
    out.print(indent(renderRestoredServices(failover.services, color)));
    out.print(`\n${indent(`EBS volumes\n${renderRestoredVolumes(report.volumes, color)}`)}`);
    if (report.volumes.some((v) => v.kind === 'managed' && v.outcome === 'skipped')) {
      out.print(
        indent(
          "The emulator's ECS does not keep a service's volumeConfigurations, so a managed volume has no configuration to be attached through here; on AWS, ECS creates each task's volume from the DR snapshot.",
        ),
      );
    }

    await out.step(stepLabel(8, 'Stopping the emulator'), () => emulator?.stop() ?? Promise.resolve());
    heading(8, 'Stop the emulator');

    const rpoSeconds = (lostAt.getTime() - Date.parse(manifest.completedAt)) / 1000;
    const views = [...failover.services, ...blocked];
    const restored = views.filter(isRestored);
    const notRestored = views.filter((v) => !isRestored(v));
    const ok = failover.allRestored;
    const volumesRestored = report.volumes.filter((v) =>
      ['created', 'existing', 'attached-by-ecs'].includes(v.outcome),
    ).length;
    const fields: [string, string][] = [
      [
        'Restored',
        paint(
          `${restored.length} of ${plural(views.length, 'protected service')} running in ${drRegion}`,
          notRestored.length === 0 ? 'green' : 'yellow',
          color,
        ),
      ],
      [
        'RPO (measured)',
        `${formatSeconds(rpoSeconds)}: the recovery point completed ${formatSeconds(rpoSeconds)} before the primary region was lost`,
      ],
      [
        'RTO (measured)',
        `${formatSeconds(report.rtoSeconds)}: from the start of the failover until every restored service was steady`,
      ],
      [
        'EBS volumes',
        `${volumesRestored} of ${plural(report.volumes.length, 'volume')} back in ${drRegion} (created from their DR snapshots, or attached by ECS to the restored tasks)`,
      ],
      [
        'Load balancing',
        attachmentsText(
          plan,
          restored.map((v) => v.service),
          drRegion,
        ),
      ],
      [
        'Service discovery',
        discoveryText(
          plan,
          restored.map((v) => v.service),
        ),
      ],
      ['Recovery point', manifest.id],
      ['Restore report', failover.reportLocation ?? '-'],
      ['Demo took', formatSeconds((Date.now() - startedAt) / 1000)],
    ];
    out.result(
      {
        emulator: { endpoint, motoVersion: MOTO_VERSION },
        account: fleet.account,
        primaryRegion,
        drRegion,
        fleet: { selected: fleet.selectedServiceKeys, unselected: fleet.unselectedServiceKeys },
        recoveryPoint: recoveryPointHeader(manifest),
        counts,
        backup: { execution: backup.execution, volumes: backup.volumes, retention: backup.retention ?? null },
        status,
        plan: {
          totals: plan.totals,
          blocked: blocked.map((b) => ({ service: b.service, findings: b.findings })),
        },
        primaryLoss: { at: lostAt.toISOString(), deletedServices: loss.deletedServices },
        failover: failoverDocument(failover),
        summary: {
          restored: restored.map((v) => v.service),
          notRestored: notRestored.map((v) => ({
            service: v.service,
            status: v.status,
            ...(v.error ? { error: v.error } : {}),
            ...(v.findings ? { findings: v.findings } : {}),
          })),
          rpoSeconds,
          rtoSeconds: report.rtoSeconds,
          loadBalancing: attachmentsText(
            plan,
            restored.map((v) => v.service),
            drRegion,
          ),
          serviceDiscovery: discoveryText(
            plan,
            restored.map((v) => v.service),
          ),
          allRestorableRestored: ok,
        },
      },
      () => {
        const why =
          notRestored.length > 0
            ? `\n${paint('Not restored', 'bold', color)}\n${indent(renderNotRestored(notRestored, color), 2)}`
            : '';
        return `\n${paint('Summary', 'bold', color)}\n${renderFields(fields, { color, indent: 2 })}${why}`;
      },
    );
    if (!ok) {
      out.error(
        'Some services the plan did not block were not restored (see "Not restored"); the demo exits 1.',
      );
    }
    return ok ? ExitCode.Ok : ExitCode.Failed;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    local?.dispose();
    seedClients?.destroy();
    await emulator?.stop();
  }
}

/** The target groups the restored services were attached to in DR, as the plan mapped them. */
function attachmentsText(plan: RestorePlan, restored: readonly string[], drRegion: string): string {
  const keys = new Set(restored);
  const created = new Set(plan.targetGroups.map((g) => g.sourceTargetGroupArn));
  const lines = plan.services
    .filter((s) => keys.has(s.key))
    .flatMap((s) => {
      const lbs = Array.isArray(s.createServiceInput.loadBalancers) ? s.createServiceInput.loadBalancers : [];
      return lbs.flatMap((lb) => {
        const arn = (lb as { targetGroupArn?: unknown }).targetGroupArn;
        if (typeof arn !== 'string') return [];
        const how = created.has(arn) ? 'created by the restore' : `in ${drRegion}`;
        return [`${s.key} → target group ${targetGroupNameOf(arn)} (${how})`];
      });
    });
  return lines.length > 0 ? lines.join('; ') : 'no restored service has a load balancer';
}

/** The Cloud Map services the restored services register in, in DR. */
function discoveryText(plan: RestorePlan, restored: readonly string[]): string {
  const keys = new Set(restored);
  const lines = plan.cloudMapServices.flatMap((c) =>
    c.services
      .filter((k) => keys.has(k))
      .map((k) => `${k} → ${c.name}.${c.namespaceName} (Cloud Map service created by the restore)`),
  );
  const mapped = plan.services.filter(
    (s) =>
      keys.has(s.key) &&
      s.pendingRegistries.length === 0 &&
      Array.isArray(s.createServiceInput.serviceRegistries),
  );
  lines.push(...mapped.map((s) => `${s.key} → its DR Cloud Map service`));
  return lines.length > 0 ? lines.join('; ') : 'no restored service registers in Cloud Map';
}
