import type { RecoveryPointCounts, RecoveryPointStatus } from '../catalog/keys';
import { type ImageRecord, type Manifest, type ResourceError, serviceKey } from '../catalog/manifest';
import type { RestorePlan } from '../restore/plan';
import type { ReportedVolume, VolumeOutcome } from '../restore/report';
import type { VolumePlan } from '../volumes/ebs/plan';
import {
  type Column,
  formatDuration,
  formatTimestamp,
  paint,
  plural,
  renderFields,
  renderTable,
  type Style,
  shortDigest,
} from './format';

/** Counts that describe a recovery point at a glance. */
export interface ManifestCounts {
  readonly clusters: number;
  readonly services: number;
  readonly taskDefinitions: number;
  readonly images: { readonly total: number; readonly byPresence: Record<string, number> };
  readonly volumes: { readonly ebs: number; readonly efs: number };
  readonly errors: number;
}

export function manifestCounts(m: Manifest): ManifestCounts {
  const byPresence: Record<string, number> = {};
  for (const image of m.images) byPresence[image.presence] = (byPresence[image.presence] ?? 0) + 1;
  return {
    clusters: m.clusters.length,
    services: m.services.length,
    taskDefinitions: m.taskDefinitions.length,
    images: { total: m.images.length, byPresence },
    volumes: { ebs: m.volumes.ebs.length, efs: m.volumes.efs.length },
    errors: m.errors.length,
  };
}

/** The identifying fields of a recovery point, as printed in JSON output. */
export function recoveryPointHeader(m: Manifest) {
  return {
    id: m.id,
    status: m.status,
    startedAt: m.startedAt,
    completedAt: m.completedAt,
    source: m.source,
    target: m.target,
    checksum: m.checksum,
  };
}

export interface ContainerView {
  readonly container: string;
  /** The image as the task definition names it. */
  readonly image: string;
  readonly digest?: string;
  readonly presence?: ImageRecord['presence'];
  readonly drUri?: string;
}

export interface ServiceView {
  /** "cluster/service". */
  readonly service: string;
  /** "family:revision", or the source ARN when the task definition was not captured. */
  readonly taskDefinition: string;
  readonly desiredCount?: number;
  readonly wave: number;
  readonly containers: readonly ContainerView[];
}

/** Per-service view of a recovery point: task definition, desired count, wave and pinned images. */
export function serviceViews(m: Manifest): ServiceView[] {
  const taskDefinitions = new Map(m.taskDefinitions.map((td) => [td.sourceArn, td]));
  const images = new Map(m.images.map((image) => [image.sourceUri, image]));
  return [...m.services]
    .sort((a, b) => a.wave - b.wave || serviceKey(a).localeCompare(serviceKey(b)))
    .map((service) => {
      const td = taskDefinitions.get(service.taskDefinitionArn);
      const desired = service.createInput.desiredCount;
      const containers = (td?.registerInput.containerDefinitions ?? []).map((c): ContainerView => {
        const image = images.get(c.image);
        return {
          container: c.name,
          image: c.image,
          ...(image?.digest !== undefined ? { digest: image.digest } : {}),
          ...(image !== undefined ? { presence: image.presence } : {}),
          ...(image?.drUri !== undefined ? { drUri: image.drUri } : {}),
        };
      });
      return {
        service: serviceKey(service),
        taskDefinition: td ? `${td.family}:${td.revision}` : service.taskDefinitionArn,
        ...(typeof desired === 'number' ? { desiredCount: desired } : {}),
        wave: service.wave,
        containers,
      };
    });
}

const PRESENCE_STYLE: Record<ImageRecord['presence'], Style | undefined> = {
  unverified: 'yellow',
  replicated: 'green',
  backfilled: 'green',
  copied: 'green',
  'already-present': 'green',
  missing: 'red',
  external: 'dim',
};

function statusStyle(status: string): Style | undefined {
  if (status === 'complete') return 'green';
  if (status === 'partial') return 'yellow';
  return 'red';
}

/** "shop/web@sha256:0123456789ab" for an ECR image, the reference as written otherwise. */
export function imageLabel(view: ContainerView): string {
  if (view.digest === undefined) return view.image;
  const name = view.image.replace(/^[^/]+\.amazonaws\.com(\.cn)?\//, '').replace(/[@:][^/]*$/, '');
  return `${name}@${shortDigest(view.digest)}`;
}

interface ContainerRow {
  readonly first: boolean;
  readonly service: ServiceView;
  readonly container?: ContainerView;
}

function containerRows(services: readonly ServiceView[]): ContainerRow[] {
  return services.flatMap((service): ContainerRow[] =>
    service.containers.length === 0
      ? [{ first: true, service }]
      : service.containers.map((container, i) => ({ first: i === 0, service, container })),
  );
}

export function renderServices(services: readonly ServiceView[], color: boolean): string {
  const columns: Column<ContainerRow>[] = [
    { header: 'SERVICE', value: (r) => (r.first ? r.service.service : '') },
    { header: 'TASK DEFINITION', value: (r) => (r.first ? r.service.taskDefinition : '') },
    {
      header: 'DESIRED',
      align: 'right',
      value: (r) => (r.first ? (r.service.desiredCount?.toString() ?? '-') : ''),
    },
    { header: 'WAVE', align: 'right', value: (r) => (r.first ? String(r.service.wave) : '') },
    { header: 'CONTAINER', value: (r) => r.container?.container ?? '-' },
    { header: 'IMAGE', value: (r) => (r.container ? imageLabel(r.container) : '-') },
    {
      header: 'PRESENCE',
      value: (r) => r.container?.presence ?? '-',
      style: (r) => (r.container?.presence ? PRESENCE_STYLE[r.container.presence] : undefined),
    },
  ];
  return renderTable(columns, containerRows(services), { color, empty: '(no services captured)' });
}

export function renderErrors(errors: readonly ResourceError[], color: boolean): string {
  const columns: Column<ResourceError>[] = [
    { header: 'TYPE', value: (e) => e.resourceType },
    { header: 'RESOURCE', value: (e) => e.resourceId },
    { header: 'CODE', value: (e) => e.code, style: () => 'red' },
    { header: 'MESSAGE', value: (e) => e.message },
  ];
  return renderTable(columns, errors, { color, empty: '(no errors)' });
}

function presenceSummary(counts: ManifestCounts): string {
  const parts = Object.entries(counts.images.byPresence)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([presence, n]) => `${n} ${presence}`);
  return parts.length > 0 ? `${counts.images.total} (${parts.join(', ')})` : '0';
}

function summaryFields(m: Manifest, counts: ManifestCounts, color: boolean): [string, string][] {
  return [
    ['Recovery point', paint(m.id, 'bold', color)],
    ['Status', paint(m.status, statusStyle(m.status), color)],
    ['Captured', `${formatTimestamp(m.startedAt)} → ${formatTimestamp(m.completedAt)}`],
    ['Source', `${m.source.account} ${m.source.region}`],
    ['DR region', m.target.region],
    ['Clusters', String(counts.clusters)],
    ['Services', String(counts.services)],
    ['Task definitions', String(counts.taskDefinitions)],
    ['Images', presenceSummary(counts)],
    [
      'Volumes',
      `${plural(counts.volumes.ebs, 'EBS volume')}, ${plural(counts.volumes.efs, 'EFS file system')}`,
    ],
    ['Errors', paint(String(counts.errors), counts.errors > 0 ? 'red' : undefined, color)],
  ];
}

/** Human output of `lifeboat backup`. */
export function renderBackup(m: Manifest, key: string, bucket: string, color: boolean): string {
  const counts = manifestCounts(m);
  const fields = summaryFields(m, counts, color);
  fields.splice(1, 0, ['Stored at', `s3://${bucket}/${key}`]);
  const errors = m.errors.length > 0 ? `\nErrors\n${renderErrors(m.errors, color)}` : '';
  return `${renderFields(fields, { color })}${errors}`;
}

/** Human output of `lifeboat recovery-points show`. */
export function renderRecoveryPoint(m: Manifest, color: boolean): string {
  const counts = manifestCounts(m);
  return [
    renderFields(
      [...summaryFields(m, counts, color), ['Checksum', `SHA-256 ${m.checksum.value} (verified)`]],
      {
        color,
      },
    ),
    `\nServices\n${renderServices(serviceViews(m), color)}`,
    `\nErrors\n${renderErrors(m.errors, color)}`,
  ].join('');
}

/** One line of `lifeboat recovery-points list`. */
export interface RecoveryPointRow {
  readonly id: string;
  /** `complete` / `partial` from the catalog key, or `unreadable` when the manifest failed verification. */
  readonly status: RecoveryPointStatus | 'unreadable';
  readonly createdAt: string;
  readonly ageSeconds: number;
  readonly key: string;
  readonly services?: number;
  readonly taskDefinitions?: number;
  readonly images?: number;
  readonly errors?: number;
  /** Why the manifest could not be read, for `unreadable`. */
  readonly problem?: string;
  /**
   * Where the counts come from: the point's summary object, as listed (not verified; `show`
   * verifies it), or its manifest, read and verified (a point committed without a summary).
   */
  readonly countsFrom: 'summary' | 'manifest';
}

export function recoveryPointRow(
  summary: { id: string; status: RecoveryPointStatus; createdAt: string; key: string },
  manifest: Manifest | { problem: string },
  now: Date,
): RecoveryPointRow {
  const ageSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(summary.createdAt)) / 1000));
  const base = {
    id: summary.id,
    createdAt: summary.createdAt,
    ageSeconds,
    key: summary.key,
    countsFrom: 'manifest' as const,
  };
  if ('problem' in manifest) return { ...base, status: 'unreadable', problem: manifest.problem };
  const counts = manifestCounts(manifest);
  return {
    ...base,
    status: summary.status,
    services: counts.services,
    taskDefinitions: counts.taskDefinitions,
    images: counts.images.total,
    errors: counts.errors,
  };
}

/** A `recovery-points list` line whose counts come from the point's summary object (no manifest read). */
export function recoveryPointRowFromSummary(
  summary: { id: string; status: RecoveryPointStatus; createdAt: string; key: string },
  counts: RecoveryPointCounts,
  now: Date,
): RecoveryPointRow {
  const ageSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(summary.createdAt)) / 1000));
  return {
    id: summary.id,
    createdAt: summary.createdAt,
    ageSeconds,
    key: summary.key,
    countsFrom: 'summary',
    status: summary.status,
    services: counts.services,
    taskDefinitions: counts.taskDefinitions,
    images: counts.images,
    errors: counts.errors,
  };
}

export function renderRecoveryPointList(
  rows: readonly RecoveryPointRow[],
  bucket: string,
  color: boolean,
): string {
  const count = (n: number | undefined) => (n === undefined ? '?' : String(n));
  const columns: Column<RecoveryPointRow>[] = [
    { header: 'ID', value: (r) => r.id },
    { header: 'CREATED', value: (r) => formatTimestamp(r.createdAt) },
    { header: 'STATUS', value: (r) => r.status, style: (r) => statusStyle(r.status) },
    { header: 'SERVICES', align: 'right', value: (r) => count(r.services) },
    { header: 'IMAGES', align: 'right', value: (r) => count(r.images) },
    {
      header: 'ERRORS',
      align: 'right',
      value: (r) => count(r.errors),
      style: (r) => ((r.errors ?? 0) > 0 ? 'red' : undefined),
    },
    { header: 'AGE', align: 'right', value: (r) => formatDuration(r.ageSeconds * 1000) },
  ];
  const table = renderTable(columns, rows, {
    color,
    empty: `No recovery points in s3://${bucket} yet. Run \`lifeboat backup\` to create one.`,
  });
  const problems = rows
    .filter((r) => r.problem !== undefined)
    .map((r) => `${paint('unreadable', 'red', color)} ${r.id}: ${r.problem}\n`)
    .join('');
  const fromSummaries = rows.filter((r) => r.countsFrom === 'summary').length;
  const footer =
    fromSummaries > 0
      ? `Counts ${fromSummaries === rows.length ? 'come' : `of ${fromSummaries} of ${rows.length} recovery points come`} ` +
        'from the catalog summaries, unverified; `lifeboat recovery-points show <id>` verifies them against the signed manifest.\n'
      : '';
  return `${table}${problems ? `\n${problems}` : ''}${footer}`;
}

/** One EBS volume of a restore plan and what the restore will do with it. */
export interface PlannedVolumeView {
  /** "cluster/service" */
  readonly service: string;
  readonly kind: VolumePlan['kind'];
  readonly volumeName?: string;
  readonly sourceVolumeId: string;
  readonly drSnapshotId?: string;
  /** DR zone a standalone volume is created in. */
  readonly availabilityZone?: string;
  /** `attach` (ECS, managed), `create` (the restore, standalone) or `skip`. */
  readonly action: VolumePlan['action'];
  /** The service is blocked: nothing of it is restored, its volumes included. */
  readonly serviceBlocked: boolean;
}

/** Every EBS volume of the plan's services, by service. */
export function planVolumeViews(plan: RestorePlan): PlannedVolumeView[] {
  return plan.services.flatMap((s) =>
    s.volumes.map(
      (v): PlannedVolumeView => ({
        service: s.key,
        kind: v.kind,
        ...(v.volumeName !== undefined ? { volumeName: v.volumeName } : {}),
        sourceVolumeId: v.sourceVolumeId,
        ...(v.drSnapshotId ? { drSnapshotId: v.drSnapshotId } : {}),
        ...(v.kind === 'standalone' && v.availabilityZone ? { availabilityZone: v.availabilityZone } : {}),
        action: v.action,
        serviceBlocked: s.blocked,
      }),
    ),
  );
}

function plannedAction(v: PlannedVolumeView): string {
  if (v.serviceBlocked) return 'skip (service blocked)';
  if (v.action === 'attach') return 'attached by ECS';
  if (v.action === 'create') return `create in ${v.availabilityZone ?? '?'}`;
  return 'skip (see findings)';
}

/** The plan's EBS volumes: source volume → DR snapshot, and whether ECS attaches it or the restore creates it. */
export function renderPlanVolumes(views: readonly PlannedVolumeView[], color: boolean): string {
  const columns: Column<PlannedVolumeView>[] = [
    { header: 'SERVICE', value: (v) => v.service },
    { header: 'KIND', value: (v) => v.kind },
    { header: 'VOLUME', value: (v) => v.volumeName ?? '-' },
    { header: 'SOURCE VOLUME', value: (v) => v.sourceVolumeId },
    { header: 'DR SNAPSHOT', value: (v) => v.drSnapshotId ?? '-' },
    {
      header: 'RESTORE',
      value: plannedAction,
      style: (v) => (v.serviceBlocked || v.action === 'skip' ? 'yellow' : undefined),
    },
  ];
  return renderTable(columns, views, { color, empty: '(no EBS volumes)' });
}

const VOLUME_OUTCOME_STYLE: Record<VolumeOutcome, Style> = {
  created: 'green',
  existing: 'green',
  'attached-by-ecs': 'green',
  skipped: 'yellow',
  failed: 'red',
};

/** The EBS volumes of a restore report: DR volume (standalone) or "attached by ECS" (managed), outcome, and why any was not restored. */
export function renderRestoredVolumes(volumes: readonly ReportedVolume[], color: boolean): string {
  const columns: Column<ReportedVolume>[] = [
    { header: 'SERVICE', value: (v) => v.service },
    { header: 'KIND', value: (v) => v.kind },
    { header: 'VOLUME', value: (v) => v.volumeName ?? '-' },
    { header: 'SOURCE VOLUME', value: (v) => v.sourceVolumeId },
    { header: 'DR SNAPSHOT', value: (v) => v.drSnapshotId ?? '-' },
    {
      header: 'DR VOLUME',
      value: (v) => (v.outcome === 'attached-by-ecs' ? 'attached by ECS' : (v.drVolumeId ?? '-')),
    },
    { header: 'ZONE', value: (v) => v.availabilityZone ?? '-' },
    { header: 'OUTCOME', value: (v) => v.outcome, style: (v) => VOLUME_OUTCOME_STYLE[v.outcome] },
  ];
  const table = renderTable(columns, volumes, { color, empty: '(no EBS volumes)' });
  const notes = volumes
    .filter((v) => v.error !== undefined)
    .map(
      (v) =>
        `${paint(v.sourceVolumeId, 'bold', color)} (${v.service}) ${paint(v.outcome, VOLUME_OUTCOME_STYLE[v.outcome], color)}: ${v.error?.name}: ${v.error?.message}\n`,
    )
    .join('');
  return notes ? `${table}${notes}` : table;
}
