import type { RecoveryPointSummary } from '../../aws/catalog-store';
import { ExitCode } from '../errors';
import { formatDuration, formatTimestamp, paint, renderFields } from '../format';
import type { Session } from '../session';

interface PointAge {
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

/**
 * `lifeboat status`: is the newest complete recovery point within the RPO target? Exit 5
 * when it is older than `rpoTargetMinutes` or there is none.
 */
export async function runStatusCommand(session: Session): Promise<number> {
  const catalog = await session.catalog();
  const { rpoTargetMinutes, drRegion, primaryRegion } = session.config;
  const [newest] = await catalog.list({ limit: 1 });
  const [newestComplete] =
    newest?.status === 'complete' ? [newest] : await catalog.list({ limit: 1, status: 'complete' });
  const now = new Date();
  const latest = age(newest, now);
  const latestComplete = age(newestComplete, now);
  const rpoMet = latestComplete !== null && latestComplete.ageSeconds <= rpoTargetMinutes * 60;
  const { color } = session.out;
  session.out.result(
    {
      configuration: session.configSource,
      catalog: { bucket: catalog.bucket, region: drRegion },
      primaryRegion,
      drRegion,
      rpoTargetMinutes,
      rpoMet,
      latestComplete,
      latest,
    },
    () => {
      const describe = (p: PointAge | null) =>
        p === null
          ? 'none'
          : `${p.id} (${formatTimestamp(p.createdAt)}, ${formatDuration(p.ageSeconds * 1000)} ago)`;
      const verdict = rpoMet
        ? paint('within RPO target', 'green', color)
        : paint(
            latestComplete === null ? 'RPO EXCEEDED: no complete recovery point' : 'RPO EXCEEDED',
            'red',
            color,
          );
      const fields: [string, string][] = [
        ['Configuration', session.configSource],
        ['Regions', `${primaryRegion} → ${drRegion}`],
        ['Catalog', `s3://${catalog.bucket}`],
        ['RPO target', formatDuration(rpoTargetMinutes * 60_000)],
        ['Latest complete', describe(latestComplete)],
      ];
      if (latest !== null && latest.id !== latestComplete?.id) {
        fields.push(['Latest (any)', `${describe(latest)} ${paint(latest.status, 'yellow', color)}`]);
      }
      fields.push(['Status', verdict]);
      return renderFields(fields, { color });
    },
  );
  return rpoMet ? ExitCode.Ok : ExitCode.RpoExceeded;
}
