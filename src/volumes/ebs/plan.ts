import type { EbsVolumeRecord, Tag } from '../../catalog/manifest';
import { isRecord, lookup, recordsAt } from '../../fleet/retarget/refs';
import { compareText, type Finding } from '../../kernel/findings';
import { restoredTags } from './model';
import { SOURCE_VOLUME_TAG } from './tags';

type FindingInput = Omit<Finding, 'service'>;

/** A volume ECS creates for the service's tasks from `volumeConfigurations[].managedEBSVolume`. */
export interface ManagedVolumePlan {
  readonly kind: 'managed';
  /** Name of the service's volume configuration (and of the task definition volume). */
  readonly volumeName?: string;
  readonly sourceVolumeId: string;
  /** `attach`: ECS creates the volume from `drSnapshotId` when it starts the tasks; `skip`: it does not (see the findings). */
  readonly action: 'attach' | 'skip';
  readonly drSnapshotId?: string;
  /** KMS key ECS encrypts the volume with (the DR copy's key), when the service names one. */
  readonly kmsKeyId?: string;
  readonly sizeGiB: number;
}

/** A volume Lifeboat creates itself (CreateVolume) before the service; it does not attach it. */
export interface StandaloneVolumePlan {
  readonly kind: 'standalone';
  readonly volumeName?: string;
  readonly sourceVolumeId: string;
  /**
   * `create`: from `drSnapshotId` in `availabilityZone` (or found from an earlier run by its tags);
   * `skip`: no DR snapshot, or no usable DR zone (see the findings).
   */
  readonly action: 'create' | 'skip';
  readonly drSnapshotId?: string;
  readonly sourceAvailabilityZone?: string;
  /** The DR zone the volume is created in. */
  readonly availabilityZone?: string;
  readonly sizeGiB: number;
  readonly volumeType?: string;
  /** Only for types that take it (gp3, io1, io2). */
  readonly iops?: number;
  /** Only for gp3. */
  readonly throughput?: number;
  /** Tags the restored volume carries (see `restoredVolumeTags`). */
  readonly tags: Tag[];
}

export type VolumePlan = ManagedVolumePlan | StandaloneVolumePlan;

/** Where a source availability zone goes in the DR region. */
export interface ZoneContext {
  readonly sourceRegion: string;
  readonly drRegion: string;
  /** `mappings.availabilityZones`: primary zone → DR zone. */
  readonly mapping: Readonly<Record<string, string>>;
  /** The DR region's zones, from the inventory; absent when they were not read (then nothing is checked). */
  readonly zones?: readonly string[];
}

export type ZoneResolution =
  | { readonly zone: string; readonly finding?: FindingInput }
  | { readonly zone?: undefined; readonly finding: FindingInput };

const IOPS_TYPES: ReadonlySet<string> = new Set(['gp3', 'io1', 'io2']);
const THROUGHPUT_TYPES: ReadonlySet<string> = new Set(['gp3']);

function zoneList(zones: readonly string[]): string {
  return [...zones].sort(compareText).join(', ');
}

/**
 * The DR zone for a volume of `sourceZone`: `mappings.availabilityZones[sourceZone]`, else the zone
 * with the same letter in the DR region (`us-east-1a` → `us-west-2a`). An error finding when the
 * mapping names no zone of the DR region, or when the zone has no same-letter counterpart there
 * (a Local Zone, or a letter the DR region lacks). A zone the recovery point does not record
 * becomes the DR region's first zone, with a warning.
 */
export function drAvailabilityZone(
  sourceZone: string | undefined,
  volumeId: string,
  ctx: ZoneContext,
): ZoneResolution {
  const known = ctx.zones;
  const exists = (zone: string) =>
    zone.startsWith(ctx.drRegion) && (known === undefined || known.includes(zone));
  const choices = known && known.length > 0 ? ` (zones there: ${zoneList(known)})` : '';
  if (sourceZone === undefined) {
    const zone = known && known.length > 0 ? ([...known].sort(compareText)[0] as string) : `${ctx.drRegion}a`;
    return {
      zone,
      finding: {
        severity: 'warning',
        code: 'EBS_VOLUME_ZONE_UNKNOWN',
        resource: volumeId,
        message: `The recovery point does not record the availability zone of volume ${volumeId}; it is created in ${zone}.`,
        fix: `If the volume is needed in another zone, create a snapshot of the restored volume and a volume from it there; a new backup records the zone.`,
      },
    };
  }
  const fix = `Add mappings.availabilityZones["${sourceZone}"] = "<zone of ${ctx.drRegion}>" to the Lifeboat config${choices}.`;
  const mapped = lookup(ctx.mapping, sourceZone);
  if (mapped !== undefined) {
    if (exists(mapped)) return { zone: mapped };
    return {
      finding: {
        severity: 'error',
        code: 'AVAILABILITY_ZONE_MAPPING_INVALID',
        resource: sourceZone,
        message: `mappings.availabilityZones["${sourceZone}"] is ${mapped}, which is not an availability zone of ${ctx.drRegion}${choices}; volume ${volumeId} cannot be created there.`,
        fix: `Set mappings.availabilityZones["${sourceZone}"] to a zone of ${ctx.drRegion}${choices}.`,
      },
    };
  }
  const letter = sourceZone.startsWith(ctx.sourceRegion) ? sourceZone.slice(ctx.sourceRegion.length) : '';
  if (!/^[a-z]$/.test(letter)) {
    return {
      finding: {
        severity: 'error',
        code: 'AVAILABILITY_ZONE_NOT_MAPPED',
        resource: sourceZone,
        message: `Volume ${volumeId} is in ${sourceZone}, which has no same-letter zone in ${ctx.drRegion} and no mapping.`,
        fix,
      },
    };
  }
  const zone = `${ctx.drRegion}${letter}`;
  if (exists(zone)) return { zone };
  return {
    finding: {
      severity: 'error',
      code: 'AVAILABILITY_ZONE_NOT_IN_DR',
      resource: sourceZone,
      message: `Volume ${volumeId} is in ${sourceZone}; its same-letter zone ${zone} does not exist in ${ctx.drRegion}${choices}.`,
      fix,
    },
  };
}

/**
 * Tags of a volume the restore creates (`restoredTags`): its provenance
 * (`lifeboat:recovery-point`, `lifeboat:role=restored-volume`, the deployment), the source
 * volume, the service, then the source volume's own tags; a re-run finds it by the recovery
 * point and the source volume.
 */
export function restoredVolumeTags(
  record: EbsVolumeRecord,
  recoveryPointId: string,
  deploymentId?: string,
): Tag[] {
  return restoredTags({
    recoveryPointId,
    ...(deploymentId ? { deploymentId } : {}),
    serviceKey: `${record.clusterName}/${record.serviceName}`,
    sourceVolumeId: record.sourceVolumeId,
    volumeTags: record.tags,
  });
}

/** What planning one service's volumes needs. */
export interface ServiceVolumeContext extends ZoneContext {
  readonly recoveryPointId: string;
  /** The deployment restoring (tagged on the volumes it creates). @default - not tagged */
  readonly deploymentId?: string;
  /** "cluster/service" */
  readonly service: string;
}

function describeSize(record: EbsVolumeRecord): string {
  return [`${record.sizeGiB} GiB`, record.volumeType].filter((p) => p !== undefined).join(' ');
}

function planManaged(
  record: EbsVolumeRecord,
  configurations: readonly Record<string, unknown>[],
  findings: FindingInput[],
  drRegion: string,
): ManagedVolumePlan {
  const base = {
    kind: 'managed' as const,
    ...(record.volumeName !== undefined ? { volumeName: record.volumeName } : {}),
    sourceVolumeId: record.sourceVolumeId,
    sizeGiB: record.sizeGiB,
  };
  const configuration = configurations.find((c) => c.name === record.volumeName);
  const ebs = configuration?.managedEBSVolume;
  if (!isRecord(ebs)) {
    findings.push({
      severity: 'warning',
      code: 'EBS_VOLUME_NOT_CONFIGURED',
      resource: record.sourceVolumeId,
      message: `The recovery point holds managed volume ${record.sourceVolumeId} ("${record.volumeName ?? ''}"), but the service's volume configurations name no such volume; it is not restored.`,
      fix: `If the service needs that data, create a volume from ${record.drSnapshotId ?? 'its DR snapshot'} in ${drRegion} by hand.`,
    });
    return { ...base, action: 'skip', ...(record.drSnapshotId ? { drSnapshotId: record.drSnapshotId } : {}) };
  }
  const snapshotId = typeof ebs.snapshotId === 'string' ? ebs.snapshotId : undefined;
  const attached = record.drSnapshotId !== undefined && snapshotId === record.drSnapshotId;
  return {
    ...base,
    action: attached ? 'attach' : 'skip',
    ...(record.drSnapshotId ? { drSnapshotId: record.drSnapshotId } : {}),
    ...(typeof ebs.kmsKeyId === 'string' ? { kmsKeyId: ebs.kmsKeyId } : {}),
  };
}

function planStandalone(
  record: EbsVolumeRecord,
  ctx: ServiceVolumeContext,
  findings: FindingInput[],
): StandaloneVolumePlan {
  const volumeType = record.volumeType;
  const base = {
    kind: 'standalone' as const,
    ...(record.volumeName !== undefined ? { volumeName: record.volumeName } : {}),
    sourceVolumeId: record.sourceVolumeId,
    ...(record.drSnapshotId ? { drSnapshotId: record.drSnapshotId } : {}),
    ...(record.availabilityZone ? { sourceAvailabilityZone: record.availabilityZone } : {}),
    sizeGiB: record.sizeGiB,
    ...(volumeType ? { volumeType } : {}),
    ...(volumeType && IOPS_TYPES.has(volumeType) && record.iops ? { iops: record.iops } : {}),
    ...(volumeType && THROUGHPUT_TYPES.has(volumeType) && record.throughput
      ? { throughput: record.throughput }
      : {}),
    tags: restoredVolumeTags(record, ctx.recoveryPointId, ctx.deploymentId),
  };
  if (!record.drSnapshotId) {
    findings.push({
      severity: 'warning',
      code: 'EBS_SNAPSHOT_NOT_IN_DR',
      resource: record.sourceVolumeId,
      message: `Volume ${record.sourceVolumeId} (${describeSize(record)}) of the service has no snapshot in ${ctx.drRegion} in the recovery point; the service is restored without its data.`,
      fix: "Restore from a recovery point whose backup copied the volume's snapshot (`lifeboat recovery-points list`), or restore the data by hand after the failover.",
    });
    return { ...base, action: 'skip' };
  }
  const resolved = drAvailabilityZone(record.availabilityZone, record.sourceVolumeId, ctx);
  if (resolved.finding) findings.push(resolved.finding);
  if (resolved.zone === undefined) return { ...base, action: 'skip' };
  findings.push({
    severity: 'info',
    code: 'EBS_VOLUME_TO_CREATE',
    resource: record.sourceVolumeId,
    message: `Volume ${record.sourceVolumeId} (${describeSize(record)}) of the service is created from DR snapshot ${record.drSnapshotId} in ${resolved.zone}, tagged ${SOURCE_VOLUME_TAG}=${record.sourceVolumeId}; Lifeboat creates standalone volumes but does not attach them.`,
    fix: `Attach the volume where the service expects it (an instance in ${resolved.zone}), e.g. from the user data of its container instances.`,
  });
  return { ...base, action: 'create', availabilityZone: resolved.zone };
}

/**
 * Plans the EBS volumes of one service from its recovery point records and its retargeted
 * CreateService input: managed volumes are attached by ECS from the DR snapshot the retargeted
 * `volumeConfigurations` name; standalone volumes are created by the restore in the mapped DR
 * zone. Sorted by kind, volume name and source volume. Pure.
 */
export function planServiceVolumes(
  records: readonly EbsVolumeRecord[],
  createServiceInput: Record<string, unknown>,
  ctx: ServiceVolumeContext,
): { volumes: VolumePlan[]; findings: FindingInput[] } {
  const findings: FindingInput[] = [];
  const configurations = recordsAt(createServiceInput, 'volumeConfigurations');
  const sorted = [...records].sort(
    (a, b) =>
      compareText(a.kind, b.kind) ||
      compareText(a.volumeName ?? '', b.volumeName ?? '') ||
      compareText(a.sourceVolumeId, b.sourceVolumeId),
  );
  const volumes = sorted.map(
    (record): VolumePlan =>
      record.kind === 'managed'
        ? planManaged(record, configurations, findings, ctx.drRegion)
        : planStandalone(record, ctx, findings),
  );
  return { volumes, findings };
}
