import type { SkippedRecoveryPoint } from '../catalog/aws/store';
import { restoreRunKey } from '../catalog/keys';
import { leaseDurationMs } from '../catalog/lease';
import type { Manifest } from '../catalog/manifest';
import { serviceKey } from '../catalog/manifest';
import { readDrInventory } from '../fleet/aws/inventory';
import { readRolePolicies } from '../fleet/aws/role-policies';
import { targetGroupArnsOf } from '../fleet/retarget/target-groups';
import { taskDefinitionRoles } from '../fleet/role-policy-lint';
import { partitionOf, roleArnsIn } from '../kernel/arns';
import type { RestoreContext } from './context';
import { isServiceSelected, parseRestoreInput, type RestoreInput } from './input';
import type { PlanTotals, RestorePlan } from './plan';
import { planRestore } from './plan';
import type { RestoreRun } from './runs';

/** Input of the Prepare step: the execution input and the execution's identity. */
export interface PrepareEvent {
  readonly input?: unknown;
  readonly executionName: string;
  /** `$$.Execution.Id`: stored with the lease, so a later execution can ask whether this one still runs. */
  readonly executionArn?: string;
  /** `$$.Execution.StartTime` (ISO 8601). */
  readonly startedAt: string;
}

export interface PreparedWave {
  readonly wave: number;
  /** Keys of the restorable services of the wave (blocked ones are reported, not restored). */
  readonly services: string[];
}

export interface PrepareResult {
  readonly dryRun: boolean;
  readonly executionName: string;
  readonly startedAt: string;
  readonly recoveryPointId: string;
  /** Where the full plan is stored (execution only; a dry run stores nothing unless the plan is too big to return). */
  readonly planKey?: string;
  readonly waves: PreparedWave[];
  readonly waitForSteadyState: boolean;
  readonly steadyStateTimeoutSeconds: number;
  /** A wave starts only when the one before it is steady, unless this is true. */
  readonly continueOnWaveFailure: boolean;
  readonly summary: PlanTotals;
  /** The plan itself (dry run only, when it fits in the state payload). */
  readonly plan?: RestorePlan;
  /**
   * The recovery point, pinned for this execution and the services it restores (execution
   * only): retention keeps it and its snapshots while they are in use.
   */
  readonly pinned?: string;
}

/** Largest plan returned inline: Step Functions payloads are limited to 256 KiB; leave room for the rest. */
export const INLINE_PLAN_LIMIT_BYTES = 200_000;

/** Every IAM role ARN the recovery point's task definitions and services name. */
export function rolesNamedBy(manifest: Manifest): string[] {
  return roleArnsIn(
    ...manifest.taskDefinitions.map((td) => td.registerInput),
    ...manifest.services.map((s) => s.createInput),
  );
}

/**
 * Whether the plan must read DR Cloud Map: a selected service registers in Cloud Map, or its
 * Service Connect (or its cluster's default) names a namespace by ARN.
 */
function usesCloudMap(manifest: Manifest, selected: readonly Manifest['services'][number][]): boolean {
  const isArn = (v: unknown) => typeof v === 'string' && v.startsWith('arn:');
  const clusters = new Set(selected.map((s) => s.clusterName));
  return (
    selected.some((s) => {
      const registries = s.createInput.serviceRegistries;
      const connect = s.createInput.serviceConnectConfiguration as { namespace?: unknown } | undefined;
      return (Array.isArray(registries) && registries.length > 0) || isArn(connect?.namespace);
    }) || manifest.clusters.some((c) => clusters.has(c.clusterName) && isArn(c.serviceConnectNamespace))
  );
}

/**
 * Loads and verifies the recovery point, reads the DR region and the policies of the selected
 * services' task and execution roles (IAM region lint; a role that cannot be read is an info
 * finding, never a failure), and plans the restore (no change made).
 */
export async function loadPlan(
  ctx: RestoreContext,
  input: RestoreInput,
): Promise<{ manifest: Manifest; plan: RestorePlan }> {
  const passedOver: SkippedRecoveryPoint[] = [];
  const manifest = await ctx.catalog.get(input.recoveryPoint, {
    allowPartial: input.allowPartial,
    onSkipped: (skipped) => passedOver.push(skipped),
  });
  for (const skipped of passedOver) {
    ctx.log?.warn('A newer recovery point did not verify; using the one before it', { ...skipped });
  }
  const selected = manifest.services.filter((s) => isServiceSelected(serviceKey(s), input));
  const selectedKeys = new Set(selected.map(serviceKey));
  const createsVolumes = manifest.volumes.ebs.some(
    (v) => v.kind === 'standalone' && v.drSnapshotId !== undefined && selectedKeys.has(serviceKey(v)),
  );
  const { inventory, gaps } = await readDrInventory(ctx.clients, ctx.region, {
    account: ctx.config.account,
    serviceClusters: selected.map((s) => s.clusterName),
    availabilityZones: createsVolumes,
    loadBalancing: selected.some((s) => targetGroupArnsOf(s.createInput).length > 0),
    ...(usesCloudMap(manifest, selected)
      ? { cloudMapServiceNames: (manifest.network.cloudMap?.services ?? []).map((s) => s.name) }
      : {}),
  });
  if (gaps.length > 0) ctx.log?.warn('Parts of the DR inventory could not be read', { gaps });
  const rolePolicies = await readRolePolicies(
    ctx.clients.iam(ctx.region),
    taskDefinitionRoles(
      manifest.taskDefinitions
        .filter((td) => selected.some((s) => s.taskDefinitionArn === td.sourceArn))
        .map((td) => td.registerInput),
      ctx.config.account,
      partitionOf(ctx.region),
    ),
  );
  const plan = planRestore(manifest, input, {
    drRegion: ctx.region,
    account: ctx.config.account,
    mappings: ctx.config.mappings,
    inventory,
    deploymentId: ctx.config.deploymentId,
    passedOver,
    rolePolicies,
    createTargetGroups: ctx.config.restore.createTargetGroups,
  });
  return { manifest, plan };
}

/**
 * The restore workflow's first step: validates the input, loads and verifies the recovery point,
 * reads the DR inventory and plans. Any problem throws before anything in the DR region changes
 * (InvalidRestoreInputError, RecoveryPointNotFoundError, PartialRecoveryPointError,
 * ChecksumMismatchError, ManifestError, RecoveryPointUnusableError, NoServicesSelectedError).
 * For an execution the failover lease is taken first (FailoverInProgressError when another
 * execution holds it: nothing changed), then the plan is stored at `restore-runs/<execution>/plan.json`, then the
 * recovery point is pinned with the execution and the services it restores (`pins/<id>.json`,
 * see PinStore), before any later step changes anything: a pin that cannot be written fails the
 * step (PinError) with nothing changed in the DR region. A dry run pins nothing.
 */
export async function prepareRestore(ctx: RestoreContext, event: PrepareEvent): Promise<PrepareResult> {
  const input = parseRestoreInput(event.input);
  const { manifest, plan } = await loadPlan(ctx, input);
  const restorable = new Set(plan.services.filter((s) => !s.blocked).map((s) => s.key));
  const waves = plan.waves
    .map((w) => ({ wave: w.wave, services: w.services.filter((k) => restorable.has(k)) }))
    .filter((w) => w.services.length > 0);
  const base = {
    dryRun: input.dryRun,
    executionName: event.executionName,
    startedAt: event.startedAt,
    recoveryPointId: manifest.id,
    waves,
    waitForSteadyState: input.waitForSteadyState,
    steadyStateTimeoutSeconds: input.steadyStateTimeoutMinutes * 60,
    continueOnWaveFailure: input.continueOnWaveFailure,
    summary: plan.totals,
  };
  const planKey = restoreRunKey(event.executionName, 'plan');
  const run: RestoreRun = {
    executionName: event.executionName,
    startedAt: event.startedAt,
    plan,
    allowedRoles: rolesNamedBy(manifest),
  };
  ctx.log?.info('Planned restore', { recoveryPointId: manifest.id, dryRun: input.dryRun, ...plan.totals });
  if (input.dryRun) {
    if (Buffer.byteLength(JSON.stringify(plan)) <= INLINE_PLAN_LIMIT_BYTES) return { ...base, plan };
    await ctx.runs.put(planKey, run);
    return { ...base, planKey };
  }
  const lease = await ctx.lease.acquire(
    event.executionName,
    manifest.id,
    leaseDurationMs(waves.length, base.steadyStateTimeoutSeconds),
    ctx.now(),
    { ...(event.executionArn ? { executionArn: event.executionArn } : {}), holderEnded: ctx.holderEnded },
  );
  ctx.log?.info('Took the failover lease', { how: lease.how, expiresAt: lease.record.expiresAt });
  await ctx.runs.put(planKey, run);
  const services = waves.flatMap((w) => w.services).sort();
  if (services.length === 0) return { ...base, planKey };
  const pin = await ctx.pins.pin(manifest.id, { execution: event.executionName, services, at: ctx.now() });
  ctx.log?.info('Pinned the recovery point for the restore', {
    recoveryPointId: manifest.id,
    services: services.length,
    created: pin.created,
    legalHold: pin.legalHold,
  });
  return { ...base, planKey, pinned: manifest.id };
}
