import { randomBytes } from 'node:crypto';
import { ManifestError } from './errors';
import { type Manifest, recoveryPointIdSchema } from './manifest';

/**
 * Catalog key layout (DR region bucket):
 *
 *   recovery-points/<inverted-ms>_<id>.<status>.json   committed manifests, newest first
 *   recovery-points/<inverted-ms>_<id>.<status>.summary.…  zero-byte summary: the manifest's counts in its key
 *   staging/<id>/<part>.json                            work in progress of a running backup
 *   restore-reports/<inverted-ms>_<execution>.json      restore reports, newest first
 *   restore-runs/<execution>/<part>.json                work of one restore execution
 *   pins/<id>.json                                      recovery points a restore still uses
 *   retired/<id>.json                                   snapshots of deleted points still to delete
 *
 * S3 lists keys in ascending order; an inverted timestamp (MAX - epoch ms, zero padded)
 * makes the first page the newest recovery points, so "latest" is one List call with no scan.
 */
export const RECOVERY_POINT_PREFIX = 'recovery-points/';
export const STAGING_PREFIX = 'staging/';
export const REPORT_PREFIX = 'restore-reports/';

/**
 * Retention's records of the recovery points it deleted whose snapshots are not all deleted yet
 * (`retired/<id>.json`): written before the manifest is deleted, removed when the last snapshot is.
 */
export const RETIRED_PREFIX = 'retired/';

export function retiredKey(id: string): string {
  return `${RETIRED_PREFIX}${id}.json`;
}

/**
 * Object tag retention puts on a manifest it deletes on purpose; the bucket's lifecycle purges
 * the old versions of tagged manifests only, never those of a key deleted any other way.
 */
export const RETIRED_TAG = { key: 'lifeboat:retired', value: 'true' } as const;

/**
 * Work of one restore execution in the catalog: `restore-runs/<execution>/<part>.json`. The plan
 * travels here, not through the state machine, so state payloads stay far below 256 KB.
 */
export const RESTORE_RUN_PREFIX = 'restore-runs/';

export function restoreRunKey(executionName: string, part: 'plan' | 'shared'): string {
  return `${RESTORE_RUN_PREFIX}${executionName}/${part}.json`;
}

/**
 * What one step of a restore execution recorded of its own work, so the Report step finds it
 * however the execution ended: `services/<cluster>/<service>.json` (the service step's result),
 * `waves/<n>.json` (a wave's last steady-state check).
 */
export function restoreRunResultKey(
  executionName: string,
  result: { readonly service: string } | { readonly wave: number },
): string {
  const part = 'service' in result ? `services/${result.service}` : `waves/${result.wave}`;
  return `${RESTORE_RUN_PREFIX}${executionName}/${part}.json`;
}

const MAX_MS = 9_999_999_999_999;

export type RecoveryPointStatus = 'complete' | 'partial';

export function invertedTimestamp(epochMs: number): string {
  return String(MAX_MS - epochMs).padStart(13, '0');
}

/** `rp-<yyyymmddThhmmssmmmZ>-<6 hex>`: sortable, unique, and carries its creation time. */
export function newRecoveryPointId(
  now: Date,
  random: () => string = () => randomBytes(3).toString('hex'),
): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `rp-${stamp}-${random()}`;
}

/** Creation time encoded in a recovery point id. */
export function recoveryPointTime(id: string): Date {
  const parsed = recoveryPointIdSchema.safeParse(id);
  if (!parsed.success) {
    throw new ManifestError(
      `"${id}" is not a recovery point id (expected rp-20260101T000000000Z-abc123).`,
      id,
    );
  }
  const m = /^rp-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-/.exec(id);
  if (!m) throw new ManifestError(`"${id}" is not a recovery point id.`, id);
  const [, y, mo, d, h, mi, s, ms] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`;
  const time = new Date(iso);
  // Date parsing rolls 2026-02-30 over to March and gives NaN for month 13: require a real instant.
  if (Number.isNaN(time.getTime()) || time.toISOString() !== iso) {
    throw new ManifestError(`"${id}" is not a recovery point id: ${iso} is not a real UTC time.`, id);
  }
  return time;
}

/** Key prefix that finds one recovery point by id (its status suffix unknown). */
export function recoveryPointKeyPrefix(id: string): string {
  return `${RECOVERY_POINT_PREFIX}${invertedTimestamp(recoveryPointTime(id).getTime())}_${id}.`;
}

export function recoveryPointKey(id: string, status: RecoveryPointStatus): string {
  return `${recoveryPointKeyPrefix(id)}${status}.json`;
}

/**
 * Parses a committed manifest key; undefined for keys that are not manifests, including a key
 * whose order prefix does not encode its id's time (a copy put under a smaller prefix to list
 * first would otherwise pass for the newest recovery point).
 */
export function parseRecoveryPointKey(key: string): { id: string; status: RecoveryPointStatus } | undefined {
  const m = /^recovery-points\/(\d{13})_(rp-\d{8}T\d{9}Z-[a-f0-9]{6})\.(complete|partial)\.json$/.exec(key);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  let time: Date;
  try {
    time = recoveryPointTime(m[2]);
  } catch {
    return undefined;
  }
  if (invertedTimestamp(time.getTime()) !== m[1]) return undefined;
  return { id: m[2], status: m[3] as RecoveryPointStatus };
}

export function stagingKey(id: string, part: string): string {
  return `${STAGING_PREFIX}${id}/${part}.json`;
}

export function reportKey(startedAt: Date, executionName: string): string {
  return `${REPORT_PREFIX}${invertedTimestamp(startedAt.getTime())}_${executionName}.json`;
}

/** What the summary object beside a manifest counts of it (the columns of `recovery-points list`). */
export interface RecoveryPointCounts {
  readonly services: number;
  readonly taskDefinitions: number;
  readonly images: number;
  readonly errors: number;
}

/** What a summary key says of its recovery point. */
export interface RecoveryPointSummaryFields {
  readonly id: string;
  readonly status: RecoveryPointStatus;
  readonly counts: RecoveryPointCounts;
  /** The first SUMMARY_CHECKSUM_LENGTH hex digits of the manifest's SHA-256 checksum. */
  readonly checksumPrefix: string;
}

/** Hex digits of the manifest checksum a summary key carries. */
export const SUMMARY_CHECKSUM_LENGTH = 16;

/** The counts a summary records of a manifest. */
export function recoveryPointCountsOf(m: Manifest): RecoveryPointCounts {
  return {
    services: m.services.length,
    taskDefinitions: m.taskDefinitions.length,
    images: m.images.length,
    errors: m.errors.length,
  };
}

/**
 * Key of the zero-byte summary object committed beside a manifest:
 * `recovery-points/<inverted-ms>_<id>.<status>.summary.s<services>.t<taskDefs>.i<images>.e<errors>.c<16 hex>`.
 * It shares the manifest's key up to `<status>.` and sorts right after it (`j` < `s`), so one
 * listing yields each manifest's counts with no GET; it never parses as a manifest key (no `.json`).
 */
export function recoveryPointSummaryKey(summary: RecoveryPointSummaryFields): string {
  const { id, status, counts, checksumPrefix } = summary;
  for (const [name, n] of Object.entries(counts)) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`summary count ${name} must be a non-negative integer (got ${n})`);
    }
  }
  if (!new RegExp(`^[a-f0-9]{${SUMMARY_CHECKSUM_LENGTH}}$`).test(checksumPrefix)) {
    throw new RangeError(
      `summary checksum prefix must be ${SUMMARY_CHECKSUM_LENGTH} lowercase hex digits (got "${checksumPrefix}"); ` +
        'pass the start of the manifest checksum.',
    );
  }
  return (
    `${recoveryPointKeyPrefix(id)}${status}.summary` +
    `.s${counts.services}.t${counts.taskDefinitions}.i${counts.images}.e${counts.errors}.c${checksumPrefix}`
  );
}

const COUNT = '(0|[1-9]\\d{0,15})';
const SUMMARY_KEY = new RegExp(
  `^recovery-points\\/(\\d{13})_(rp-\\d{8}T\\d{9}Z-[a-f0-9]{6})\\.(complete|partial)\\.summary` +
    `\\.s${COUNT}\\.t${COUNT}\\.i${COUNT}\\.e${COUNT}\\.c([a-f0-9]{${SUMMARY_CHECKSUM_LENGTH}})$`,
);

/**
 * Parses a summary key (see `recoveryPointSummaryKey`); undefined for any other key, manifest
 * keys included, and for one whose order prefix does not encode its id's time.
 */
export function parseRecoveryPointSummaryKey(key: string): RecoveryPointSummaryFields | undefined {
  const m = SUMMARY_KEY.exec(key);
  if (!m) return undefined;
  const [, order, id, status, services, taskDefinitions, images, errors, checksumPrefix] = m;
  if (!order || !id || !status || !checksumPrefix) return undefined;
  let time: Date;
  try {
    time = recoveryPointTime(id);
  } catch {
    return undefined;
  }
  if (invertedTimestamp(time.getTime()) !== order) return undefined;
  const counts = {
    services: Number(services),
    taskDefinitions: Number(taskDefinitions),
    images: Number(images),
    errors: Number(errors),
  };
  if (!Object.values(counts).every(Number.isSafeInteger)) return undefined;
  return { id, status: status as RecoveryPointStatus, counts, checksumPrefix };
}
