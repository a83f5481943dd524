import * as z from 'zod';
import { recoveryPointIdSchema } from './manifest';

/**
 * Retention's record of a recovery point it deleted (`retired/<id>.json`): the snapshots the
 * point's manifest named, written before the manifest is deleted. Retention deletes those
 * snapshots through this record, on this run or a later one (a snapshot in use, or a delete
 * that failed, is tried again next time), and removes the record once none is left. Without it,
 * a snapshot whose delete failed would outlive the only record that says it is Lifeboat's.
 */
export const retiredRecordSchema = z
  .object({
    recoveryPointId: recoveryPointIdSchema,
    retiredAt: z.iso.datetime({ offset: true }),
    snapshots: z.array(z.object({ region: z.string().min(1), snapshotId: z.string().min(1) }).strict()),
  })
  .strict();
export type RetiredRecord = z.infer<typeof retiredRecordSchema>;
