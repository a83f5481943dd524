import * as z from 'zod';

/**
 * The resume state of a block replication, as it is stored (checkpoints, the backup's copy
 * state, an interrupted run's error): the running LINEAR aggregate and where the copy stands.
 * The ledger (`ledger.ts`) produces it and reads it back.
 */

const base64Digest = z
  .string()
  .refine((s) => Buffer.from(s, 'base64').length === 32 && /^[A-Za-z0-9+/]{43}=$/.test(s), {
    message: 'must be a base64 SHA-256 digest (32 bytes)',
  });

export const aggregateStateSchema = z
  .object({
    /** The eight SHA-256 state words, big-endian, base64. */
    state: base64Digest,
    /** A digest added after the last whole 64-byte block, waiting for its pair. */
    pending: base64Digest.optional(),
    /** Digests added so far (the number of blocks written and folded). */
    digests: z.number().int().nonnegative(),
  })
  .strict()
  .refine((s) => (s.digests % 2 === 1) === (s.pending !== undefined), {
    message: 'pending must be present exactly when the digest count is odd',
  });
export type AggregateState = z.infer<typeof aggregateStateSchema>;

/**
 * Where an interrupted replication stands, small enough for a Step Functions payload
 * whatever the volume size: blocks below `nextBlockIndex` are all done and folded into
 * `aggregate`; `ahead` lists the few done blocks above it (at most the engine's window),
 * with the digest of each one that was written (none for a skipped zero block).
 */
export const resumeStateSchema = z
  .object({
    version: z.literal(1),
    sourceSnapshotId: z.string().min(1),
    previousSourceSnapshotId: z.string().min(1).optional(),
    targetSnapshotId: z.string().min(1),
    parentSnapshotId: z.string().min(1).optional(),
    progress: z
      .object({
        nextBlockIndex: z.number().int().nonnegative(),
        aggregate: aggregateStateSchema,
        ahead: z.array(
          z.object({ index: z.number().int().nonnegative(), checksum: base64Digest.optional() }).strict(),
        ),
      })
      .strict(),
  })
  .strict();
export type ResumeState = z.infer<typeof resumeStateSchema>;
export type LedgerState = ResumeState['progress'];
