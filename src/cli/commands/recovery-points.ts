import { ManifestError } from '../../catalog/errors';
import { mapConcurrent } from '../../kernel/concurrency';
import { ExitCode } from '../errors';
import type { Session } from '../session';
import {
  manifestCounts,
  type RecoveryPointRow,
  recoveryPointHeader,
  recoveryPointRow,
  renderRecoveryPoint,
  renderRecoveryPointList,
  serviceViews,
} from '../views';

/** Manifests read at once when `list` fetches their counts. */
const READ_CONCURRENCY = 8;

export interface ListOptions {
  readonly limit: number;
  readonly status?: 'complete' | 'partial';
}

/**
 * `lifeboat recovery-points list`: newest first, with counts read from each manifest
 * (checksum verified; a manifest that fails verification is listed as `unreadable`).
 */
export async function runListCommand(session: Session, opts: ListOptions): Promise<number> {
  const catalog = await session.catalog();
  const summaries = await catalog.list({
    limit: opts.limit,
    ...(opts.status ? { status: opts.status } : {}),
  });
  const now = new Date();
  const rows: RecoveryPointRow[] = await mapConcurrent(summaries, READ_CONCURRENCY, async (summary) => {
    try {
      const manifest = await catalog.get(summary.id, { allowPartial: true });
      return recoveryPointRow(summary, manifest, now);
    } catch (error) {
      if (error instanceof ManifestError) return recoveryPointRow(summary, { problem: error.message }, now);
      throw error;
    }
  });
  session.out.result(
    { catalog: { bucket: catalog.bucket, region: session.config.drRegion }, recoveryPoints: rows },
    () => renderRecoveryPointList(rows, catalog.bucket, session.out.color),
  );
  return rows.some((r) => r.status === 'unreadable') ? ExitCode.Failed : ExitCode.Ok;
}

export interface ShowOptions {
  readonly allowPartial?: boolean;
  readonly raw?: boolean;
}

/** `lifeboat recovery-points show <id|latest>`: the verified manifest, summarised per service. */
export async function runShowCommand(session: Session, ref: string, opts: ShowOptions): Promise<number> {
  const catalog = await session.catalog();
  const manifest = await catalog.get(ref, { allowPartial: opts.allowPartial === true });
  if (opts.raw === true) {
    session.out.result(manifest, () => `${JSON.stringify(manifest, null, 2)}\n`);
    return ExitCode.Ok;
  }
  session.out.result(
    {
      recoveryPoint: recoveryPointHeader(manifest),
      counts: manifestCounts(manifest),
      services: serviceViews(manifest),
      errors: manifest.errors,
    },
    () => renderRecoveryPoint(manifest, session.out.color),
  );
  return ExitCode.Ok;
}
