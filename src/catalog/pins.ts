import { z } from 'zod';
import { ManifestError } from './errors';
import { recoveryPointIdSchema } from './manifest';

/**
 * Pins of recovery points in use (DR catalog bucket):
 *
 *   pins/<recoveryPointId>.json   one record per pinned recovery point
 *
 * A recovery point is pinned while a restore uses it, and stays pinned while the services it
 * restored still reference its snapshots: retention keeps a pinned recovery point and its
 * snapshots. A pin ends with `lifeboat recovery-points unpin <id>`, or when a later restore
 * that restored every service the pin names replaces them.
 */
export const PIN_PREFIX = 'pins/';

/** `cluster/service`, as restores name the services they restore. */
const serviceKeySchema = z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'must look like "cluster/service"');

export const pinRecordSchema = z
  .object({
    recoveryPointId: recoveryPointIdSchema,
    /** When the recovery point was first pinned (ISO 8601). */
    pinnedAt: z.iso.datetime({ offset: true }),
    /** Names of the restore executions that used the recovery point. */
    executions: z.array(z.string().min(1).max(256)),
    /** `cluster/service` of each service restored from it. */
    services: z.array(serviceKeySchema),
  })
  .strict();

export type PinRecord = z.infer<typeof pinRecordSchema>;

/** A pin as read from the catalog. A damaged record still pins its recovery point. */
export interface Pin extends PinRecord {
  /** The record does not parse: the point stays pinned (with no services known) until unpinned. */
  readonly damaged?: true;
  /** Why the record was found damaged. */
  readonly problem?: string;
}

export interface PinInput {
  /** The restore execution that uses the recovery point. @default - none (pinned by hand) */
  readonly execution?: string;
  /** `cluster/service` of the services restored (or to be restored) from it. @default [] */
  readonly services?: readonly string[];
  /** @default - now */
  readonly at?: Date;
}

/** Object key of the pin of a recovery point. */
export function pinKey(recoveryPointId: string): string {
  if (!recoveryPointIdSchema.safeParse(recoveryPointId).success) {
    throw new ManifestError(
      `"${recoveryPointId}" is not a recovery point id (expected rp-20260101T000000000Z-abc123).`,
      recoveryPointId,
    );
  }
  return `${PIN_PREFIX}${recoveryPointId}.json`;
}

/** The recovery point id a pin key names; undefined for keys that are not pins. */
export function parsePinKey(key: string): string | undefined {
  const m = /^pins\/(rp-\d{8}T\d{9}Z-[a-f0-9]{6})\.json$/.exec(key);
  return m?.[1];
}

/**
 * Reads a stored pin record. A record that is not JSON, fails the schema or names another
 * recovery point is returned `damaged` (no executions or services known): it still pins.
 */
export function parsePin(text: string, recoveryPointId: string, storedAt?: Date): Pin {
  const damaged = (problem: string): Pin => ({
    recoveryPointId,
    pinnedAt: (storedAt ?? new Date(0)).toISOString(),
    executions: [],
    services: [],
    damaged: true,
    problem,
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return damaged('the record is not valid JSON');
  }
  const parsed = pinRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return damaged(`the record fails its schema (${issue?.path.join('.') || 'record'}: ${issue?.message})`);
  }
  if (parsed.data.recoveryPointId !== recoveryPointId) {
    return damaged(`the record names recovery point ${parsed.data.recoveryPointId}`);
  }
  return parsed.data;
}

function sortedUnion(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/**
 * The record after pinning `recoveryPointId` again with `input`: executions and services are
 * the union of both (sorted), the first pin time is kept. A damaged record is replaced.
 */
export function mergePin(existing: Pin | undefined, recoveryPointId: string, input: PinInput): PinRecord {
  const base = existing && !existing.damaged ? existing : undefined;
  const record: PinRecord = {
    recoveryPointId,
    pinnedAt: base?.pinnedAt ?? (input.at ?? new Date()).toISOString(),
    executions: sortedUnion(base?.executions ?? [], input.execution ? [input.execution] : []),
    services: sortedUnion(base?.services ?? [], input.services ?? []),
  };
  return pinRecordSchema.parse(record);
}

/** True when `record` holds every execution and service of `next` (re-writing it changes nothing). */
export function samePin(record: Pin | undefined, next: PinRecord): boolean {
  if (!record || record.damaged) return false;
  return (
    record.pinnedAt === next.pinnedAt &&
    record.executions.join('\n') === next.executions.join('\n') &&
    record.services.join('\n') === next.services.join('\n')
  );
}

/**
 * The pins a finished restore replaces: those of other recovery points whose services it
 * restored, every one. Never `justUsed`, never a damaged pin, never a pin naming no service
 * (pinned by hand): those stay until `unpin`.
 */
export function replacedPins(
  pins: readonly Pin[],
  restoredServices: readonly string[],
  justUsed: string,
): string[] {
  const restored = new Set(restoredServices);
  return pins
    .filter(
      (p) =>
        p.recoveryPointId !== justUsed &&
        p.damaged !== true &&
        p.services.length > 0 &&
        p.services.every((s) => restored.has(s)),
    )
    .map((p) => p.recoveryPointId)
    .sort();
}
