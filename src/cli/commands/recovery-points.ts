import { retentionDepsOf } from '../../backup/handler-support';
import {
  applyRetention,
  previewRetention,
  type RetentionDeps,
  snapshotsNamedBy,
} from '../../backup/retention';
import { type PinResult, PinStore } from '../../catalog/aws/pins';
import type { SummaryCheck } from '../../catalog/aws/store';
import { ManifestError, RecoveryPointNotFoundError } from '../../catalog/errors';
import type { Pin } from '../../catalog/pins';
import type { KeepReason, RetentionDecision } from '../../catalog/retention';
import { mapConcurrent } from '../../kernel/concurrency';
import { ExitCode, UsageError } from '../errors';
import { type Column, formatTimestamp, paint, plural, renderFields, renderTable } from '../format';
import type { Session } from '../session';
import {
  manifestCounts,
  type RecoveryPointRow,
  recoveryPointHeader,
  recoveryPointRow,
  recoveryPointRowFromSummary,
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
 * `lifeboat recovery-points list`: newest first, with counts from each point's summary object,
 * which the listing itself returns (one ListObjectsV2 for up to 500 points; `show` verifies
 * them). A point without a summary (committed by an older version) has its manifest read and
 * verified for its counts; one that fails verification is listed as `unreadable`.
 */
export async function runListCommand(session: Session, opts: ListOptions): Promise<number> {
  const catalog = await session.catalog();
  const summaries = await catalog.list({
    limit: opts.limit,
    ...(opts.status ? { status: opts.status } : {}),
  });
  const now = new Date();
  const rows: RecoveryPointRow[] = await mapConcurrent(summaries, READ_CONCURRENCY, async (summary) => {
    if (summary.counts) return recoveryPointRowFromSummary(summary, summary.counts, now);
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

/**
 * `lifeboat recovery-points show <id|latest>`: the verified manifest, summarised per service.
 * Also verifies the point's summary object, which `list` takes its counts from: one that
 * disagrees with the manifest means the catalog was altered (a warning, `summaryMismatch` in
 * JSON, exit 1; the manifest is still shown). A point without a summary is fine.
 */
export async function runShowCommand(session: Session, ref: string, opts: ShowOptions): Promise<number> {
  const catalog = await session.catalog();
  const manifest = await catalog.get(ref, { allowPartial: opts.allowPartial === true });
  const check = await catalog.summaryCheck(manifest);
  const mismatch = check.state === 'mismatch' ? check : undefined;
  if (mismatch) session.out.warn(summaryMismatchText(manifest.id, mismatch));
  const code = mismatch ? ExitCode.Failed : ExitCode.Ok;
  if (opts.raw === true) {
    session.out.result(manifest, () => `${JSON.stringify(manifest, null, 2)}\n`);
    return code;
  }
  session.out.result(
    {
      recoveryPoint: recoveryPointHeader(manifest),
      counts: manifestCounts(manifest),
      services: serviceViews(manifest),
      errors: manifest.errors,
      ...(mismatch
        ? { summaryMismatch: { key: mismatch.key, expected: mismatch.expected, found: mismatch.found } }
        : {}),
    },
    () => renderRecoveryPoint(manifest, session.out.color),
  );
  return code;
}

function summaryMismatchText(id: string, mismatch: Extract<SummaryCheck, { state: 'mismatch' }>): string {
  const describe = (s: typeof mismatch.expected) =>
    `${s.status}, ${s.counts.services} services, ${s.counts.taskDefinitions} task definitions, ` +
    `${s.counts.images} images, ${s.counts.errors} errors, checksum ${s.checksumPrefix}…`;
  return (
    `the summary object of ${id} (s3 key ${mismatch.key}) says ${describe(mismatch.found)}, but its verified ` +
    `manifest says ${describe(mismatch.expected)}: the catalog was altered. \`recovery-points list\` shows ` +
    'wrong counts for it; the manifest above is verified and is what a restore uses. Find who wrote the key ' +
    '(S3 server access logs) and delete it.'
  );
}

/** The pins of the catalog the session works with (same bucket and KMS key). */
async function pinStore(session: Session): Promise<PinStore> {
  const [clients, { bucket, kmsKeyId }] = await Promise.all([session.clients(), session.catalogLocation()]);
  return new PinStore(clients.s3(session.config.drRegion), bucket, { kmsKeyId });
}

function catalogOf(session: Session, bucket: string) {
  return { bucket, region: session.config.drRegion };
}

const LEGAL_HOLD_TEXT: Record<PinResult['legalHold'], string> = {
  on: 'legal hold on its manifest (Object Lock)',
  off: 'legal hold released',
  'no-object-lock': 'no legal hold: the bucket has no Object Lock (the pin record alone protects it)',
  'no-manifest': 'no legal hold: the manifest is gone',
};

/**
 * `lifeboat recovery-points pin <id>`: pins a recovery point by hand. Retention keeps it and its
 * snapshots until `unpin`; a later restore never unpins a pin made by hand (it names no service).
 */
export async function runPinCommand(session: Session, id: string): Promise<number> {
  const pins = await pinStore(session);
  const result = await pins.pin(id, { at: new Date() });
  session.out.result(
    {
      catalog: catalogOf(session, pins.bucket),
      pin: result.record,
      created: result.created,
      manifestKey: result.manifestKey,
      legalHold: result.legalHold,
    },
    () => {
      const { record } = result;
      const lead = result.created
        ? `Pinned ${id}: retention keeps it and its snapshots until \`lifeboat recovery-points unpin ${id}\`.\n`
        : `${id} was already pinned (since ${formatTimestamp(record.pinnedAt)}); it stays pinned.\n`;
      return `${lead}${renderFields(
        [
          ['Pinned since', formatTimestamp(record.pinnedAt)],
          ['Executions', record.executions.join(', ') || '-'],
          ['Services', record.services.join(', ') || '- (pinned by hand)'],
          ['Legal hold', LEGAL_HOLD_TEXT[result.legalHold]],
        ],
        { color: session.out.color, indent: 2 },
      )}`;
    },
  );
  return ExitCode.Ok;
}

/** `lifeboat recovery-points pins`: every pinned recovery point, newest first. Exit 1 when a pin is damaged. */
export async function runPinsCommand(session: Session): Promise<number> {
  const pins = await pinStore(session);
  const listed = await pins.list();
  session.out.result({ catalog: catalogOf(session, pins.bucket), pins: listed }, () =>
    renderPins(listed, pins.bucket, session.out.color),
  );
  return listed.some((p) => p.damaged) ? ExitCode.Failed : ExitCode.Ok;
}

function renderPins(pins: readonly Pin[], bucket: string, color: boolean): string {
  const columns: Column<Pin>[] = [
    { header: 'RECOVERY POINT', value: (p) => p.recoveryPointId },
    { header: 'PINNED SINCE', value: (p) => (p.damaged ? '?' : formatTimestamp(p.pinnedAt)) },
    {
      header: 'STATE',
      value: (p) => (p.damaged ? 'damaged' : 'pinned'),
      style: (p) => (p.damaged ? 'red' : 'green'),
    },
    { header: 'EXECUTIONS', align: 'right', value: (p) => String(p.executions.length) },
    {
      header: 'SERVICES',
      value: (p) => (p.damaged ? '?' : p.services.join(' ') || '- (pinned by hand)'),
    },
  ];
  const table = renderTable(columns, pins, {
    color,
    empty: `No recovery point is pinned in s3://${bucket}.`,
  });
  const problems = pins
    .filter((p) => p.damaged)
    .map(
      (p) =>
        `${paint('damaged', 'red', color)} ${p.recoveryPointId}: ${p.problem ?? 'the record does not parse'}; ` +
        `it stays pinned. Pin it again to rewrite it (\`lifeboat recovery-points pin ${p.recoveryPointId}\`), or unpin it.\n`,
    )
    .join('');
  return problems ? `${table}\n${problems}` : table;
}

/** What retention's next run may do with a recovery point that is no longer pinned. */
export interface RetentionOutlook {
  /** True when no retention rule keeps it any more: the next retention run may delete it. */
  readonly mayDelete: boolean;
  /** The rules that still keep it (empty when `mayDelete`). */
  readonly keptBy: readonly KeepReason[];
  /** ISO 8601: points created before this are past `retention.days`. */
  readonly cutoff: string;
  /** Its manifest could be read and verified (retention deletes an unverified point past the cutoff). */
  readonly verified: boolean;
  /** The snapshots its manifest names: deleted with it unless a kept recovery point names them too. */
  readonly snapshots: readonly { readonly region: string; readonly snapshotId: string }[];
}

const KEEP_REASON_TEXT: Partial<Record<KeepReason, string>> = {
  'newest-complete': 'it is the newest complete recovery point',
  last: 'it is among the newest complete recovery points (retention.minRecoveryPoints)',
  'within-days': 'it is younger than retention.days',
  daily: 'it is the newest of its day (retention.daily)',
  weekly: 'it is the newest of its week (retention.weekly)',
  monthly: 'it is the newest of its month (retention.monthly)',
  yearly: 'it is the newest of its year (retention.yearly)',
  pinned: 'it is pinned',
};

/** The retention the backup applies, over the catalog the session works with. */
async function retentionDeps(session: Session): Promise<RetentionDeps> {
  const [clients, { bucket, kmsKeyId }, store] = await Promise.all([
    session.clients(),
    session.catalogLocation(),
    session.catalog(),
  ]);
  return retentionDepsOf(clients, { config: session.config, bucket, kmsKeyId }, store);
}

/** Retention's plan over the catalog as it is now (`id` already unpinned), as its next run makes it. */
async function retentionOutlook(session: Session, id: string): Promise<RetentionOutlook> {
  const deps = await retentionDeps(session);
  const [{ plan, unverified }, manifest] = await Promise.all([
    previewRetention(deps),
    deps.store.get(id, { allowPartial: true }).catch((error: unknown) => {
      if (error instanceof ManifestError || error instanceof RecoveryPointNotFoundError) return undefined;
      throw error;
    }),
  ]);
  const kept = plan.keep.find((d) => d.id === id);
  return {
    mayDelete: plan.remove.some((d) => d.id === id),
    keptBy: kept?.reasons ?? [],
    cutoff: plan.cutoff,
    verified: manifest !== undefined && !unverified.some((u) => u.id === id),
    snapshots: manifest ? snapshotsNamedBy(manifest) : [],
  };
}

function renderOutlook(id: string, outlook: RetentionOutlook, color: boolean): string {
  const snapshots = outlook.snapshots.map((s) => `  ${s.snapshotId} (${s.region})\n`).join('');
  if (outlook.mayDelete) {
    const lead =
      `${paint('Retention may now delete it', 'yellow', color)} at its next run (created before ` +
      `${formatTimestamp(outlook.cutoff)} and no retention rule keeps it`;
    if (!outlook.verified) {
      return `${lead}; its manifest does not verify, so its snapshots cannot be listed here).\n`;
    }
    return outlook.snapshots.length > 0
      ? `${lead}), with the ${plural(outlook.snapshots.length, 'snapshot')} it names that no kept recovery point names too:\n${snapshots}`
      : `${lead}); its manifest names no snapshot.\n`;
  }
  if (outlook.keptBy.length === 0)
    return `${id} is no longer in the catalog; retention has nothing left to keep.\n`;
  const why = outlook.keptBy.map((r) => KEEP_REASON_TEXT[r] ?? r).join('; ');
  const withSnapshots =
    outlook.snapshots.length > 0 ? `, with its ${plural(outlook.snapshots.length, 'snapshot')},` : '';
  return `Retention still keeps it for now (${why}); it may delete it${withSnapshots} once no rule keeps it.\n`;
}

function pinnedFor(pin: Pin | undefined): string {
  if (pin === undefined) return 'it was pinned';
  if (pin.damaged) return 'its pin record was damaged';
  if (pin.executions.length === 0 && pin.services.length === 0) return 'it was pinned by hand';
  return `it was pinned for ${plural(pin.executions.length, 'execution')} and ${plural(pin.services.length, 'service')}`;
}

/**
 * `lifeboat recovery-points unpin <id>`: removes the pin (and releases the legal hold on the
 * manifest), then shows what retention may now delete. Not pinned: nothing changes (exit 0), or
 * exit 3 when the recovery point does not exist at all.
 */
export async function runUnpinCommand(session: Session, id: string): Promise<number> {
  const pins = await pinStore(session);
  const before = await pins.get(id);
  const unpinned = await pins.unpin(id);
  const outlook = await retentionOutlook(session, id);
  const known = outlook.mayDelete || outlook.keptBy.length > 0;
  if (!unpinned && !known) throw new RecoveryPointNotFoundError(id);
  session.out.result(
    {
      catalog: catalogOf(session, pins.bucket),
      recoveryPointId: id,
      unpinned,
      ...(before ? { pin: before } : {}),
      retention: outlook,
    },
    () => {
      if (!unpinned)
        return `${id} was not pinned; nothing changed.\n${renderOutlook(id, outlook, session.out.color)}`;
      return `Unpinned ${id} (${pinnedFor(before)}).\n${renderOutlook(id, outlook, session.out.color)}`;
    },
  );
  return ExitCode.Ok;
}

export interface PruneOptions {
  /** Show the plan only. */
  readonly dryRun?: boolean;
}

const REMOVE_REASON_TEXT: Record<NonNullable<RetentionDecision['removeReason']>, string> = {
  expired: 'past retention',
  'expired-partial': 'partial, past retention.days',
  'expired-unverified': 'does not verify, past retention.days',
};

/**
 * `lifeboat recovery-points prune [--dry-run]`: retention's plan (what it keeps and why, what it
 * deletes, the points that do not verify, the uncommitted backups it cleans up), as the backup's
 * ApplyRetention step makes it. Without `--dry-run` it applies it, on `--endpoint` only: in AWS
 * the catalog's bucket policy lets only the backup's retention role delete recovery points.
 */
export async function runPruneCommand(session: Session, opts: PruneOptions): Promise<number> {
  if (opts.dryRun !== true && !session.local) {
    throw new UsageError(
      "In AWS only the backup workflow's retention role may delete recovery points (the catalog's bucket policy " +
        'refuses anyone else); it applies retention after every backup. Run `lifeboat recovery-points prune --dry-run` ' +
        'to see what it will do, or `lifeboat backup` to apply it now.',
    );
  }
  const deps = await retentionDeps(session);
  const preview = await previewRetention(deps);
  const result = opts.dryRun === true ? undefined : await applyRetention(deps);
  const { plan } = preview;
  session.out.result(
    {
      catalog: catalogOf(session, deps.store.bucket),
      dryRun: opts.dryRun === true,
      cutoff: plan.cutoff,
      ...(plan.newestComplete ? { newestComplete: plan.newestComplete } : {}),
      keep: plan.keep,
      remove: plan.remove,
      unverified: preview.unverified,
      orphanedRuns: preview.orphanedRuns,
      ...(result ? { result } : {}),
    },
    () => {
      const color = session.out.color;
      const rows = [
        ...plan.keep.map((d) => ({ d, action: 'keep', why: d.reasons.join(', ') })),
        ...plan.remove.map((d) => ({
          d,
          action: 'delete',
          why: d.removeReason ? REMOVE_REASON_TEXT[d.removeReason] : '',
        })),
      ];
      const columns: Column<(typeof rows)[number]>[] = [
        { header: 'RECOVERY POINT', value: (r) => r.d.id },
        { header: 'CREATED', value: (r) => formatTimestamp(r.d.createdAt) },
        { header: 'STATUS', value: (r) => (r.d.verified ? r.d.status : 'unverified') },
        {
          header: 'ACTION',
          value: (r) => (r.action === 'delete' ? paint('delete', 'yellow', color) : 'keep'),
        },
        { header: 'WHY', value: (r) => r.why },
      ];
      const table = renderTable(columns, rows, { color, empty: '(no recovery points)' });
      const orphans =
        preview.orphanedRuns.length > 0
          ? `Uncommitted backups to clean up (staging and snapshots): ${preview.orphanedRuns.join(', ')}\n`
          : '';
      const unverified = preview.unverified
        .map(
          (u) =>
            `${paint('Does not verify', 'red', color)}: ${u.id} (${u.code}) – never counted as a good recovery point.\n`,
        )
        .join('');
      const outcome = result
        ? `Deleted ${plural(result.recoveryPointsDeleted, 'recovery point')} and ${plural(result.snapshotsDeleted, 'snapshot')}` +
          `, cleaned up ${plural(result.orphanedRunsCleaned, 'uncommitted backup')}, extended ${plural(result.locksExtended, 'lock')}.\n`
        : `Dry run: nothing changed. Retention applies this after the next backup.\n`;
      return `${table}${orphans}${unverified}${outcome}`;
    },
  );
  return preview.unverified.length > 0 ? ExitCode.Failed : ExitCode.Ok;
}
