import type { SecretReplicationRecord } from '../catalog/manifest';
import { secretNameOf } from '../kernel/arns';

/** Where the DR copy of one secret a recovery point references comes from. */
export interface SecretSourcePlan {
  /** The primary secret's ARN. */
  readonly sourceArn: string;
  /** The DR secret the restore points the task definitions at (the region rewrite when `missing`). */
  readonly drArn: string;
  /**
   * `mapping`: `mappings.secrets` names it; `replica`: its Secrets Manager replica (in the DR
   * inventory, or recorded by the backup when the inventory did not read secrets); `same-name`:
   * a DR secret of the same name that is no replica (a copy made by hand); `missing`: none.
   */
  readonly source: 'replica' | 'mapping' | 'same-name' | 'missing';
}

/**
 * Each secret the backup recorded (`manifest.secrets`) with where its DR copy comes from, from
 * the mappings and the DR inventory's secret ARNs (`undefined`: not read). Pure.
 */
export function planSecretSources(
  records: readonly SecretReplicationRecord[],
  mappings: Readonly<Record<string, string>>,
  drSecretArns: readonly string[] | undefined,
): SecretSourcePlan[] {
  const inDr = drSecretArns === undefined ? undefined : new Set(drSecretArns);
  return records.map((record): SecretSourcePlan => {
    const sourceArn = record.arn;
    const mapped = mappings[sourceArn];
    if (mapped !== undefined) return { sourceArn, drArn: mapped, source: 'mapping' };
    const recordedReplica = record.replication === 'replica-exists' || record.replication === 'replicated';
    if (inDr === undefined ? recordedReplica : inDr.has(record.drArn))
      return { sourceArn, drArn: record.drArn, source: 'replica' };
    const name = secretNameOf(sourceArn);
    const sameName = [...(inDr ?? [])].find((arn) => name !== undefined && secretNameOf(arn) === name);
    if (sameName !== undefined) return { sourceArn, drArn: sameName, source: 'same-name' };
    return { sourceArn, drArn: record.drArn, source: 'missing' };
  });
}
