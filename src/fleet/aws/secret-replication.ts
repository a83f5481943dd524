import {
  DescribeSecretCommand,
  ReplicateSecretToRegionsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import type { SecretReplicationRecord } from '../../catalog/manifest';
import { mapConcurrent } from '../../kernel/concurrency';
import { drSecretArn, replicaKeyOf } from '../secret-references';

/**
 * Makes the referenced Secrets Manager secrets exist in the DR region at backup: one
 * DescribeSecret each (its `ReplicationStatus`; never its value), and, when the DR region is not a
 * replica yet and `replicate` is on, one ReplicateSecretToRegions. A failure (AccessDenied, a DR
 * secret of the same name → `ResourceExistsException` or a `Failed` replica status) is returned
 * as a warning with the record `failed`, never an error: the restore still checks the DR secret.
 */
export interface ReplicateSecretsOptions {
  /** Secrets Manager client in the primary region. */
  readonly secrets: SecretsManagerClient;
  readonly primaryRegion: string;
  readonly drRegion: string;
  /** Secret ARNs of the primary region (complete or partial). */
  readonly secretArns: readonly string[];
  /** `backup.replicateSecrets`. */
  readonly replicate: boolean;
  /** `mappings.kmsKeys`: primary → DR key ARNs. */
  readonly kmsKeys: Readonly<Record<string, string>>;
  readonly concurrency: number;
}

export interface SecretReplicationWarning {
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export async function replicateSecrets(
  opts: ReplicateSecretsOptions,
): Promise<{ records: SecretReplicationRecord[]; warnings: SecretReplicationWarning[] }> {
  const records: SecretReplicationRecord[] = [];
  const warnings: SecretReplicationWarning[] = [];
  await mapConcurrent([...opts.secretArns], opts.concurrency, async (referenced) => {
    // A partial ARN (no `-AbCdEf` suffix) is described too; the record keeps the complete ARN.
    let arn = referenced;
    let drArn = drSecretArn(arn, opts.primaryRegion, opts.drRegion);
    const failed = (code: string, message: string, kmsKeyId?: string): void => {
      records.push({ arn, drArn, replication: 'failed', ...(kmsKeyId ? { kmsKeyId } : {}) });
      warnings.push({ resourceId: arn, code, message });
    };
    let described: {
      ARN?: string;
      KmsKeyId?: string;
      ReplicationStatus?: { Region?: string; Status?: string }[];
    };
    try {
      described = await opts.secrets.send(new DescribeSecretCommand({ SecretId: arn }));
    } catch (error) {
      failed(
        awsErrorCode(error),
        `Secret ${arn} could not be described (${awsErrorMessage(error)}); whether it has a replica in ${opts.drRegion} is unknown (the restore checks).`,
      );
      return;
    }
    if (described.ARN) {
      arn = described.ARN;
      drArn = drSecretArn(arn, opts.primaryRegion, opts.drRegion);
    }
    const replica = (described.ReplicationStatus ?? []).find((r) => r.Region === opts.drRegion);
    if (replica && replica.Status !== 'Failed') {
      records.push({ arn, drArn, replication: 'replica-exists' });
      return;
    }
    if (!opts.replicate) {
      records.push({ arn, drArn, replication: 'not-replicated' });
      return;
    }
    const key = replicaKeyOf(described.KmsKeyId, opts.kmsKeys, opts.drRegion);
    if (key.unmapped)
      warnings.push({
        resourceId: arn,
        code: 'SecretReplicaKeyNotMapped',
        message: `Secret ${arn} is encrypted with ${described.KmsKeyId}, which has no DR key: its replica in ${opts.drRegion} uses aws/secretsmanager. Add mappings.kmsKeys["${described.KmsKeyId}"] = "<DR key ARN>" to choose one.`,
      });
    try {
      const out = await opts.secrets.send(
        new ReplicateSecretToRegionsCommand({
          SecretId: arn,
          AddReplicaRegions: [{ Region: opts.drRegion, ...(key.kmsKeyId ? { KmsKeyId: key.kmsKeyId } : {}) }],
        }),
      );
      const status = (out.ReplicationStatus ?? []).find((r) => r.Region === opts.drRegion);
      if (status?.Status === 'Failed') {
        failed(
          'SecretReplicationFailed',
          `Secret ${arn} could not be replicated to ${opts.drRegion}: ${status.StatusMessage ?? 'Failed'}`,
          key.kmsKeyId,
        );
        return;
      }
    } catch (error) {
      failed(
        awsErrorCode(error),
        `Secret ${arn} could not be replicated to ${opts.drRegion} (${awsErrorMessage(error)}).`,
        key.kmsKeyId,
      );
      return;
    }
    records.push({
      arn,
      drArn,
      replication: 'replicated',
      ...(key.kmsKeyId ? { kmsKeyId: key.kmsKeyId } : {}),
    });
  });
  return { records: records.sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0)), warnings };
}
