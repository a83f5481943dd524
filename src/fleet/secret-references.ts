import type { TaskDefinitionRecord } from '../catalog/manifest';
import { parseArn, splitSecretArn } from '../kernel/arns';

/**
 * The Secrets Manager secrets of the fleet's account in the primary region that task
 * definitions reference (`containerDefinitions[].secrets[].valueFrom`), for the backup to
 * replicate them to the DR region. Pure: see `aws/secret-replication.ts` for the calls.
 */
export interface SecretReferences {
  /** Distinct secret ARNs (without the `:json-key:…` selector), sorted. */
  readonly secretArns: string[];
  /**
   * References by bare name other than a parameter path: an SSM parameter or a secret, which
   * the backup cannot tell apart and skips (the capture warns).
   */
  readonly names: { readonly taskDefinitionArn: string; readonly valueFrom: string }[];
}

export function secretReferencesOf(
  taskDefinitions: readonly TaskDefinitionRecord[],
  scope: { readonly account: string; readonly region: string },
): SecretReferences {
  const arns = new Set<string>();
  const names: SecretReferences['names'] = [];
  for (const td of taskDefinitions) {
    const containers = (td.registerInput as { containerDefinitions?: unknown }).containerDefinitions;
    for (const container of Array.isArray(containers) ? containers : []) {
      const secrets = (container as { secrets?: unknown } | null)?.secrets;
      for (const secret of Array.isArray(secrets) ? secrets : []) {
        const valueFrom = (secret as { valueFrom?: unknown } | null)?.valueFrom;
        if (typeof valueFrom !== 'string' || valueFrom === '') continue;
        const arn = parseArn(valueFrom);
        if (!arn) {
          // A path (`/shop/web/key`) is an SSM parameter of the task's region, never a secret.
          if (valueFrom.startsWith('/')) continue;
          names.push({ taskDefinitionArn: td.sourceArn, valueFrom });
          continue;
        }
        if (arn.service !== 'secretsmanager' || arn.account !== scope.account || arn.region !== scope.region)
          continue;
        arns.add(splitSecretArn(arn).secretArn);
      }
    }
  }
  return { secretArns: [...arns].sort(), names };
}

/** The secret's ARN in the DR region (a replica keeps its name and suffix). */
export function drSecretArn(secretArn: string, primaryRegion: string, drRegion: string): string {
  const arn = parseArn(secretArn);
  if (!arn || arn.region !== primaryRegion) return secretArn;
  return `arn:${arn.partition}:${arn.service}:${drRegion}:${arn.account}:${arn.resource}`;
}

/** A complete secret ARN ends with the six random characters Secrets Manager appends (`-AbCdEf`). */
export function isCompleteSecretArn(secretArn: string): boolean {
  return /-[A-Za-z0-9]{6}$/.test(parseArn(secretArn)?.resource ?? '');
}

/**
 * The DR key a replica of a secret encrypted with `primaryKeyId` needs: the configured mapping,
 * else the DR replica of a multi-Region key (`mrk-…`), else none (Secrets Manager then uses the
 * DR region's `aws/secretsmanager`, which the caller warns about). An AWS managed key
 * (`alias/aws/secretsmanager`, or no key) needs none and no warning.
 */
export function replicaKeyOf(
  primaryKeyId: string | undefined,
  kmsKeys: Readonly<Record<string, string>>,
  drRegion: string,
): { kmsKeyId?: string; unmapped: boolean } {
  if (primaryKeyId === undefined || primaryKeyId === '' || primaryKeyId.endsWith('alias/aws/secretsmanager'))
    return { unmapped: false };
  const mapped = kmsKeys[primaryKeyId];
  if (mapped !== undefined) return { kmsKeyId: mapped, unmapped: false };
  const arn = parseArn(primaryKeyId);
  if (arn?.service === 'kms' && /^key\/mrk-/.test(arn.resource))
    return {
      kmsKeyId: `arn:${arn.partition}:kms:${drRegion}:${arn.account}:${arn.resource}`,
      unmapped: false,
    };
  return { unmapped: true };
}
