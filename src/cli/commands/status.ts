import type { RecoveryPointSummary } from '../../catalog/aws/store';
import { ExitCode } from '../errors';
import { formatDuration, formatTimestamp, paint, renderFields } from '../format';
import type { Session } from '../session';

export interface PointAge {
  readonly id: string;
  readonly status: string;
  readonly createdAt: string;
  readonly ageSeconds: number;
}

function age(summary: RecoveryPointSummary | undefined, now: Date): PointAge | null {
  if (summary === undefined) return null;
  const ageSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(summary.createdAt)) / 1000));
  return { id: summary.id, status: summary.status, createdAt: summary.createdAt, ageSeconds };
}

/** What `lifeboat status` reports: the newest recovery points and whether the RPO target is met. */
export interface RpoStatus {
  readonly configuration: string;
  readonly catalog: { readonly bucket: string; readonly region: string };
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly rpoTargetMinutes: number;
  readonly rpoMet: boolean;
  readonly latestComplete: PointAge | null;
  readonly latest: PointAge | null;
}

/** Reads the newest recovery points of the catalog and compares their age with the RPO target. */
export async function readRpoStatus(session: Session): Promise<RpoStatus> {
  const catalog = await session.catalog();
  const { rpoTargetMinutes, drRegion, primaryRegion } = session.config;
  const [newest] = await catalog.list({ limit: 1 });
  const [newestComplete] =
    newest?.status === 'complete' ? [newest] : await catalog.list({ limit: 1, status: 'complete' });
  const now = new Date();
  const latestComplete = age(newestComplete, now);
  return {
    configuration: session.configSource,
    catalog: { bucket: catalog.bucket, region: drRegion },
    primaryRegion,
    drRegion,
    rpoTargetMinutes,
    rpoMet: latestComplete !== null && latestComplete.ageSeconds <= rpoTargetMinutes * 60,
    latestComplete,
    latest: age(newest, now),
  };
}

/** "within RPO target" or why not, for people. */
export function rpoVerdict(status: RpoStatus, color: boolean): string {
  if (status.rpoMet) return paint('within RPO target', 'green', color);
  return paint(
    status.latestComplete === null ? 'RPO EXCEEDED: no complete recovery point' : 'RPO EXCEEDED',
    'red',
    color,
  );
}

/** "rp-… (2026-01-01 12:00:00Z, 5m ago)", or "none". */
export function describePoint(p: PointAge | null): string {
  return p === null
    ? 'none'
    : `${p.id} (${formatTimestamp(p.createdAt)}, ${formatDuration(p.ageSeconds * 1000)} ago)`;
}

/**
 * `lifeboat status`: is the newest complete recovery point within the RPO target? Exit 5
 * when it is older than `rpoTargetMinutes` or there is none.
 */
export async function runStatusCommand(session: Session): Promise<number> {
  const status = await readRpoStatus(session);
  const { color } = session.out;
  session.out.result(status, () => {
    const { latest, latestComplete } = status;
    const fields: [string, string][] = [
      ['Configuration', status.configuration],
      ['Regions', `${status.primaryRegion} → ${status.drRegion}`],
      ['Catalog', `s3://${status.catalog.bucket}`],
      ['RPO target', formatDuration(status.rpoTargetMinutes * 60_000)],
      ['Latest complete', describePoint(latestComplete)],
    ];
    if (latest !== null && latest.id !== latestComplete?.id) {
      fields.push(['Latest (any)', `${describePoint(latest)} ${paint(latest.status, 'yellow', color)}`]);
    }
    fields.push(['Status', rpoVerdict(status, color)]);
    return renderFields(fields, { color });
  });
  return status.rpoMet ? ExitCode.Ok : ExitCode.RpoExceeded;
}
