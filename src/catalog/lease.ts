import { z } from 'zod';

/**
 * The failover lease (DR catalog bucket):
 *
 *   leases/failover.json   who may change the DR region now
 *
 * A restore execution takes the lease before it creates anything and gives it back in its
 * Report step; a second execution that finds it held (and not expired) is refused at once, so
 * two failovers never create two DR copies of a volume or interleave task definition revisions.
 * Every change of the record is a conditional write (If-None-Match / If-Match), so two
 * executions racing for a free lease cannot both win. A run that ended without giving the lease
 * back (stopped, or its Report could not reach the catalog) holds it only while it still runs
 * (Step Functions says), and a run nobody can ask about only until `expiresAt`; the next run
 * then takes it over and resumes (each step is idempotent).
 */
export const LEASE_PREFIX = 'leases/';
export const FAILOVER_LEASE_KEY = `${LEASE_PREFIX}failover.json`;

/** Time a wave may take besides its steady-state wait: volumes, task definitions, services. */
const WAVE_WORK_MS = 10 * 60_000;
/** Prepare, PrepareShared and Report together, with room for Lambda retries. */
const FIXED_WORK_MS = 30 * 60_000;

export const leaseRecordSchema = z
  .object({
    /** The restore execution holding (or that last held) the lease. */
    execution: z.string().min(1).max(256),
    /** Its ARN, so a later execution can ask Step Functions whether it still runs. */
    executionArn: z.string().min(1).max(2048).optional(),
    recoveryPointId: z.string().min(1),
    acquiredAt: z.iso.datetime({ offset: true }),
    /** After this instant the lease is free even if never released (the holder crashed). */
    expiresAt: z.iso.datetime({ offset: true }),
    /** Set when the holder gave the lease back. */
    releasedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export type LeaseRecord = z.infer<typeof leaseRecordSchema>;

/**
 * How long an execution may hold the lease: each wave's steady-state wait plus its work, plus
 * the fixed steps. Past it the run is taken for crashed (a Standard execution that is still
 * running then is waiting far longer than it asked to).
 */
export function leaseDurationMs(waves: number, steadyStateTimeoutSeconds: number): number {
  return FIXED_WORK_MS + Math.max(1, waves) * (steadyStateTimeoutSeconds * 1000 + WAVE_WORK_MS);
}

/** Parses a stored lease; a record that does not parse is `damaged` (taken over like an expired one, with a warning). */
export function parseLease(text: string): LeaseRecord | 'damaged' {
  try {
    const parsed = leaseRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'damaged';
  } catch {
    return 'damaged';
  }
}

export type LeaseDecision =
  /** Nobody holds it: take it. */
  | { readonly action: 'take'; readonly previous?: LeaseRecord | 'damaged'; readonly reason: string }
  /** This execution holds it already (a retried Prepare): keep it, extend the expiry. */
  | { readonly action: 'renew' }
  /** Another execution holds it until `holder.expiresAt`. */
  | { readonly action: 'refuse'; readonly holder: LeaseRecord };

/**
 * What an execution does with the lease as stored (`undefined`: no record); `holderEnded` when
 * the holding execution is known to have ended. Pure.
 */
export function decideLease(
  stored: LeaseRecord | 'damaged' | undefined,
  execution: string,
  now: Date,
  holderEnded = false,
): LeaseDecision {
  if (stored === undefined) return { action: 'take', reason: 'free' };
  if (stored === 'damaged') return { action: 'take', previous: stored, reason: 'damaged record' };
  if (stored.execution === execution) return { action: 'renew' };
  if (stored.releasedAt !== undefined) return { action: 'take', previous: stored, reason: 'released' };
  if (Date.parse(stored.expiresAt) <= now.getTime()) {
    return { action: 'take', previous: stored, reason: `expired (held by ${stored.execution})` };
  }
  if (holderEnded) {
    return {
      action: 'take',
      previous: stored,
      reason: `its holder ${stored.execution} ended without giving it back`,
    };
  }
  return { action: 'refuse', holder: stored };
}
