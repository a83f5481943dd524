import type { Finding, FindingSeverity } from '../kernel/findings';
import type { RestorePlan, ServicePlan } from '../restore/plan';
import type { ReportedService, RestoreReport } from '../restore/report';
import {
  type Column,
  formatSeconds,
  formatTimestamp,
  paint,
  plural,
  renderFields,
  renderTable,
  type Style,
  shortDigest,
} from './format';
import { planVolumeViews, renderPlanVolumes } from './views';

const SEVERITY_STYLE: Record<FindingSeverity, Style> = { error: 'red', warning: 'yellow', info: 'dim' };

/** "shop/web@sha256:0123456789ab" for an image pinned by digest, the reference as written otherwise. */
export function imageByDigest(uri: string): string {
  const pinned = /^(.+)@(sha256:[a-f0-9]{64})$/.exec(uri);
  if (!pinned?.[1] || !pinned[2]) return uri;
  const name = pinned[1].replace(/^[^/]+\.amazonaws\.com(\.cn)?\//, '');
  return `${name}@${shortDigest(pinned[2])}`;
}

/** "family:revision" from a task definition ARN. */
export function taskDefinitionLabel(arn: string | undefined): string {
  if (arn === undefined) return '-';
  return arn.split('/').pop() ?? arn;
}

/** What happens to a service: its action, or why it is blocked. */
function actionLabel(s: ServicePlan): string {
  return s.blocked ? `blocked: ${s.blockedBy.join(', ')}` : s.action;
}

interface ImageRow<T> {
  readonly first: boolean;
  readonly item: T;
  readonly image?: string;
}

function imageRows<T>(items: readonly T[], images: (item: T) => readonly string[]): ImageRow<T>[] {
  return items.flatMap((item): ImageRow<T>[] => {
    const list = images(item);
    return list.length === 0
      ? [{ first: true, item }]
      : list.map((image, i) => ({ first: i === 0, item, image: imageByDigest(image) }));
  });
}

function orderedServices(plan: RestorePlan): ServicePlan[] {
  return [...plan.services].sort((a, b) => a.wave - b.wave || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function planServiceTable(plan: RestorePlan, color: boolean, withImages: boolean): string {
  const columns: Column<ImageRow<ServicePlan>>[] = [
    { header: 'WAVE', align: 'right', value: (r) => (r.first ? String(r.item.wave) : '') },
    { header: 'SERVICE', value: (r) => (r.first ? r.item.key : '') },
    {
      header: 'ACTION',
      value: (r) => (r.first ? actionLabel(r.item) : ''),
      style: (r) => (r.item.blocked ? 'red' : undefined),
    },
    {
      header: 'DESIRED',
      value: (r) => (r.first ? `${r.item.sourceDesiredCount} → ${r.item.desiredCount}` : ''),
    },
    { header: 'TASK DEFINITION', value: (r) => (r.first ? (r.item.taskDefinition?.family ?? '-') : '') },
  ];
  if (withImages) columns.push({ header: 'IMAGE (DR REGION)', value: (r) => r.image ?? '-' });
  const services = orderedServices(plan);
  const rows = withImages
    ? imageRows(services, (s) => s.images)
    : services.map((item) => ({ first: true, item }));
  return renderTable(columns, rows, { color, empty: '(no services selected)' });
}

function severityCounts(counts: Record<FindingSeverity, number>): string {
  return `${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${counts.info} info`;
}

function renderFinding(f: Finding, color: boolean): string {
  const head = [
    paint(f.severity.toUpperCase(), SEVERITY_STYLE[f.severity], color),
    paint(f.code, 'bold', color),
    f.service ?? '',
    f.resource,
  ]
    .filter((part) => part !== '')
    .join('  ');
  return `${head}\n    ${f.message}\n    ${paint('fix:', 'cyan', color)} ${f.fix}\n`;
}

/** Counts of the findings of one severity by code: "IMAGE_UNVERIFIED ×7, IMAGE_EXTERNAL ×2". */
function codesOf(findings: readonly Finding[], severity: FindingSeverity): string {
  const counts = new Map<string, number>();
  for (const f of findings) if (f.severity === severity) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([code, n]) => (n > 1 ? `${code} ×${n}` : code))
    .join(', ');
}

function planFields(plan: RestorePlan, now: Date, color: boolean): [string, string][] {
  const { totals, recoveryPoint: rp } = plan;
  const ageSeconds = (now.getTime() - Date.parse(rp.completedAt)) / 1000;
  return [
    [
      'Recovery point',
      `${paint(rp.id, 'bold', color)} (${rp.status}, completed ${formatTimestamp(rp.completedAt)}, ${formatSeconds(ageSeconds)} ago)`,
    ],
    ['Regions', `${rp.sourceRegion} → ${plan.target.region} (account ${plan.target.account})`],
    [
      'Services',
      `${totals.services} selected: ${totals.create} to create, ${totals.update} to update, ${totals.unchanged} unchanged, ` +
        paint(`${totals.blocked} blocked`, totals.blocked > 0 ? 'red' : undefined, color),
    ],
    ['Tasks to start', String(totals.desiredTasks)],
    [
      'Shared resources',
      `${plural(totals.clustersToCreate, 'cluster')}, ${plural(totals.logGroupsToCreate, 'log group')}, ` +
        `${plural(totals.accessPointsToCreate, 'EFS access point')}` +
        `${totals.targetGroupsToCreate > 0 ? `, ${plural(totals.targetGroupsToCreate, 'target group')}` : ''} to create`,
    ],
    ['Findings', severityCounts(totals.findings)],
  ];
}

/** Human output of `lifeboat plan`: summary, services by wave with their DR images, every finding with its fix. */
export function renderPlan(plan: RestorePlan, color: boolean, now: Date = new Date()): string {
  const findings = plan.findings.map((f) => renderFinding(f, color)).join('');
  const verdict =
    plan.totals.blocked > 0
      ? paint(
          `${plural(plan.totals.blocked, 'service')} would not be restored: fix the error findings above, or leave them out with --exclude.`,
          'red',
          color,
        )
      : paint('Every selected service can be restored.', 'green', color);
  return [
    renderFields(planFields(plan, now, color), { color }),
    `\nServices, by wave\n${planServiceTable(plan, color, true)}`,
    planVolumesSection(plan, color),
    planScalingSection(plan, color),
    `\nFindings\n${findings || `${paint('(none)', 'dim', color)}\n`}`,
    `\n${verdict}\n`,
  ].join('');
}

/**
 * The plan in a few lines, as `failover` and `demo` show it before acting: summary, services,
 * the error findings in full and the others counted by code.
 */
export function renderPlanCompact(plan: RestorePlan, color: boolean, now: Date = new Date()): string {
  const errors = plan.findings.filter((f) => f.severity === 'error');
  const others = (['warning', 'info'] as const)
    .map((severity) => [severity, codesOf(plan.findings, severity)] as const)
    .filter(([, codes]) => codes !== '')
    .map(([severity, codes]) => `  ${paint(`${severity}s:`, SEVERITY_STYLE[severity], color)} ${codes}\n`)
    .join('');
  const more = others ? `${others}  (\`lifeboat plan\` shows every finding with its fix)\n` : '';
  return [
    renderFields(planFields(plan, now, color), { color }),
    planServiceTable(plan, color, false),
    planVolumesSection(plan, color),
    errors.map((f) => renderFinding(f, color)).join(''),
    more,
  ].join('');
}

/** The "EBS volumes" section of a plan; empty when the selected services have none. */
function planVolumesSection(plan: RestorePlan, color: boolean): string {
  const views = planVolumeViews(plan);
  return views.length > 0 ? `\nEBS volumes\n${renderPlanVolumes(views, color)}` : '';
}

/**
 * The "Auto scaling" section of a plan: per service that scales, the capacities it gets (its
 * minimum scaled like the desired count) and its policies; empty when none scales.
 */
function planScalingSection(plan: RestorePlan, color: boolean): string {
  const scaled = orderedServices(plan).filter((s) => s.scaling !== undefined);
  if (scaled.length === 0) return '';
  const columns: Column<ServicePlan>[] = [
    { header: 'SERVICE', value: (s) => s.key },
    { header: 'MIN', align: 'right', value: (s) => String(s.scaling?.minCapacity ?? '-') },
    { header: 'MAX', align: 'right', value: (s) => String(s.scaling?.maxCapacity ?? '-') },
    { header: 'POLICIES', value: (s) => s.scaling?.policies.map((p) => p.policyName).join(', ') || '-' },
    { header: 'ALARMS', align: 'right', value: (s) => String(s.scaling?.alarms.length ?? 0) },
    { header: 'SCHEDULED', align: 'right', value: (s) => String(s.scaling?.scheduledActions.length ?? 0) },
  ];
  return `\nAuto scaling\n${renderTable(columns, scaled, { color })}`;
}

/** One restored (or not restored) service, as `failover` prints and returns it. */
export interface FailoverServiceView {
  readonly service: string;
  readonly wave: number;
  readonly status: ReportedService['status'];
  readonly steady?: boolean;
  /** "family:revision" in the DR region. */
  readonly taskDefinition?: string;
  readonly taskDefinitionArn?: string;
  /** DR image URIs (pinned by digest for ECR images). */
  readonly images: string[];
  readonly seconds?: number;
  readonly error?: { readonly name: string; readonly message: string };
  /** The error findings of a blocked service, with their fixes. */
  readonly findings?: Finding[];
}

const RESTORED = new Set(['created', 'updated', 'unchanged']);

/** True when the service runs in the DR region: created, updated or unchanged, and not reported unsteady. */
export function isRestored(s: Pick<ReportedService, 'status' | 'steady'>): boolean {
  return RESTORED.has(s.status) && s.steady !== false;
}

/** Joins the report with the plan: images and blocking findings per service. */
export function failoverServiceViews(report: RestoreReport, plan: RestorePlan): FailoverServiceView[] {
  const planned = new Map(plan.services.map((s) => [s.key, s]));
  return [...report.services]
    .sort((a, b) => a.wave - b.wave || (a.service < b.service ? -1 : 1))
    .map((s) => {
      const p = planned.get(s.service);
      const seconds =
        s.startedAt && s.finishedAt ? (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000 : undefined;
      const findings = plan.findings.filter((f) => f.severity === 'error' && f.service === s.service);
      return {
        service: s.service,
        wave: s.wave,
        status: s.status,
        ...(s.steady !== undefined ? { steady: s.steady } : {}),
        ...(s.taskDefinitionArn
          ? {
              taskDefinition: taskDefinitionLabel(s.taskDefinitionArn),
              taskDefinitionArn: s.taskDefinitionArn,
            }
          : {}),
        images: p?.images ?? [],
        ...(seconds !== undefined ? { seconds } : {}),
        ...(s.error ? { error: s.error } : {}),
        ...(findings.length > 0 ? { findings } : {}),
      };
    });
}

function statusLabel(s: FailoverServiceView): string {
  if (RESTORED.has(s.status) && s.steady === false) return `${s.status}, not steady`;
  return s.status;
}

/** The restored services with their task definition revisions and images by digest. */
export function renderRestoredServices(views: readonly FailoverServiceView[], color: boolean): string {
  const columns: Column<ImageRow<FailoverServiceView>>[] = [
    { header: 'WAVE', align: 'right', value: (r) => (r.first ? String(r.item.wave) : '') },
    { header: 'SERVICE', value: (r) => (r.first ? r.item.service : '') },
    {
      header: 'RESULT',
      value: (r) => (r.first ? statusLabel(r.item) : ''),
      style: (r) => (isRestored(r.item) ? 'green' : 'red'),
    },
    { header: 'TASK DEFINITION', value: (r) => (r.first ? (r.item.taskDefinition ?? '-') : '') },
    {
      header: 'TOOK',
      align: 'right',
      value: (r) => (r.first && r.item.seconds !== undefined ? formatSeconds(r.item.seconds) : ''),
    },
    { header: 'IMAGE (BY DIGEST)', value: (r) => r.image ?? '-' },
  ];
  return renderTable(
    columns,
    imageRows(views, (v) => (isRestored(v) ? v.images : [])),
    {
      color,
      empty: '(no services)',
    },
  );
}

/** Why each service that is not running in the DR region is not, with the fix when the plan knows it. */
export function renderNotRestored(views: readonly FailoverServiceView[], color: boolean): string {
  return views
    .filter((v) => !isRestored(v))
    .map((v) => {
      const head = `${paint(v.service, 'bold', color)}  ${paint(statusLabel(v), 'red', color)}`;
      const findings = v.findings ?? [];
      if (findings.length > 0) {
        return `${head}\n${findings.map((f) => `    ${f.code}: ${f.message}\n    ${paint('fix:', 'cyan', color)} ${f.fix}\n`).join('')}`;
      }
      const why = v.error ? `${v.error.name}: ${v.error.message}` : 'not steady before the timeout';
      return `${head}\n    ${why}\n`;
    })
    .join('');
}

/** Human output of `lifeboat failover`. */
export function renderFailover(
  report: RestoreReport,
  views: readonly FailoverServiceView[],
  where: { readonly execution: string; readonly reportLocation?: string },
  color: boolean,
): string {
  const restored = views.filter(isRestored).length;
  const outcome =
    report.outcome === 'RESTORED'
      ? paint(`RESTORED: all ${plural(views.length, 'service')} running in ${report.region}`, 'green', color)
      : paint(`${report.outcome}: ${restored} of ${plural(views.length, 'service')} restored`, 'red', color);
  const fields: [string, string][] = [['Outcome', outcome]];
  if (report.failure) {
    const { state, error, cause } = report.failure;
    fields.push(['Failed step', `${state}: ${error}${cause ? `: ${cause}` : ''}`]);
  }
  if (report.recoveryPoint) {
    fields.push([
      'Recovery point',
      `${report.recoveryPoint.id} (completed ${formatTimestamp(report.recoveryPoint.completedAt)})`,
    ]);
  }
  fields.push(
    ['Execution', where.execution],
    ['RTO', `${formatSeconds(report.rtoSeconds)} (failover start → every restored service steady)`],
  );
  if (report.rpoSeconds !== undefined) {
    fields.push([
      'Data loss window',
      `${formatSeconds(report.rpoSeconds)} (recovery point completed → failover start)`,
    ]);
  }
  const notRun = (report.waves ?? []).filter((w) => w.status === 'not-run');
  if (notRun.length > 0) {
    fields.push(['Waves not run', `${notRun.map((w) => w.wave).join(', ')}: ${notRun[0]?.reason ?? ''}`]);
  }
  if (where.reportLocation) fields.push(['Report', where.reportLocation]);
  const notRestored = renderNotRestored(views, color);
  return [
    renderFields(fields, { color }),
    `\nServices\n${renderRestoredServices(views, color)}`,
    notRestored ? `\nNot restored\n${notRestored}` : '',
  ].join('');
}
