import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  PutRetentionPolicyCommand,
  paginateDescribeLogGroups,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  ReplicateSecretToRegionsCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetParametersCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { partitionOf } from '../kernel/arns';
import { sleep } from '../kernel/sleep';
import { SeedError } from './errors';
import { required, type SeedLedger } from './seed-support';

export interface SecretSpec {
  readonly name: string;
  readonly description: string;
  /** Demo-only value (JSON for key/value secrets). */
  readonly value: string;
  readonly team: string;
}

export interface ParameterSpec {
  readonly name: string;
  readonly description: string;
  readonly value: string;
  readonly team: string;
}

/** A Secrets Manager secret and its DR replica (same name; the ARN differs only by region). */
export interface SeededSecret {
  readonly name: string;
  readonly primaryArn: string;
  readonly drArn: string;
}

/** An SSM SecureString parameter written under the same name in both regions. */
export interface SeededParameter {
  readonly name: string;
  readonly primaryArn: string;
  readonly drArn: string;
}

async function describeSecret(
  client: SecretsManagerClient,
  secretId: string,
): Promise<DescribeSecretCommandOutput | undefined> {
  try {
    return await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** Replication is asynchronous in AWS (immediate in moto): wait up to 30 s for the replica. */
async function waitForReplica(
  dr: SecretsManagerClient,
  name: string,
): Promise<DescribeSecretCommandOutput | undefined> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const replica = await describeSecret(dr, name);
    if (replica || Date.now() > deadline) return replica;
    await sleep(1_000);
  }
}

/**
 * Creates the secret in the primary region with a replica in the DR region, or adds the
 * replica to an existing secret that lacks one.
 */
export async function ensureSecret(
  primary: SecretsManagerClient,
  dr: SecretsManagerClient,
  regions: { primaryRegion: string; drRegion: string },
  spec: SecretSpec,
  ledger: SeedLedger,
): Promise<SeededSecret> {
  const { primaryRegion, drRegion } = regions;
  let primaryArn: string;
  const existing = await describeSecret(primary, spec.name);
  if (!existing) {
    const created = await primary.send(
      new CreateSecretCommand({
        Name: spec.name,
        Description: spec.description,
        SecretString: spec.value,
        AddReplicaRegions: [{ Region: drRegion }],
        Tags: [
          { Key: 'team', Value: spec.team },
          { Key: 'lifeboat:demo', Value: 'true' },
        ],
      }),
    );
    primaryArn = required(created.ARN, 'created secret ARN', primaryRegion);
    ledger.created(`secretsmanager:secret:${primaryRegion}:${spec.name}`);
    ledger.created(`secretsmanager:replica:${drRegion}:${spec.name}`);
  } else {
    primaryArn = required(existing.ARN, 'secret ARN', primaryRegion);
    if (!existing.ReplicationStatus?.some((r) => r.Region === drRegion)) {
      await primary.send(
        new ReplicateSecretToRegionsCommand({
          SecretId: primaryArn,
          AddReplicaRegions: [{ Region: drRegion }],
        }),
      );
      ledger.created(`secretsmanager:replica:${drRegion}:${spec.name}`);
    }
  }
  const replica = await waitForReplica(dr, spec.name);
  if (!replica || replica.PrimaryRegion !== primaryRegion) {
    throw new SeedError(
      `Secret ${spec.name} in ${drRegion} is not a replica of the one in ${primaryRegion}` +
        (replica ? ` (its primary region is ${replica.PrimaryRegion ?? 'itself'})` : '') +
        `; delete the ${drRegion} secret and seed again.`,
      drRegion,
    );
  }
  return { name: spec.name, primaryArn, drArn: required(replica.ARN, 'replica ARN', drRegion) };
}

function parameterArn(account: string, region: string, name: string): string {
  return `arn:${partitionOf(region)}:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
}

/** Writes the SecureString parameters that do not exist yet in `region` (one read, then puts). */
export async function ensureParameters(
  ssm: SSMClient,
  region: string,
  account: string,
  specs: readonly ParameterSpec[],
  ledger: SeedLedger,
): Promise<Map<string, string>> {
  const arns = new Map<string, string>();
  for (let i = 0; i < specs.length; i += 10) {
    const batch = specs.slice(i, i + 10);
    const res = await ssm.send(new GetParametersCommand({ Names: batch.map((p) => p.name) }));
    const found = new Set((res.Parameters ?? []).map((p) => p.Name));
    for (const spec of batch) {
      if (!found.has(spec.name)) {
        await ssm.send(
          new PutParameterCommand({
            Name: spec.name,
            Description: spec.description,
            Value: spec.value,
            Type: 'SecureString',
            Tags: [
              { Key: 'team', Value: spec.team },
              { Key: 'lifeboat:demo', Value: 'true' },
            ],
          }),
        );
        ledger.created(`ssm:parameter:${region}:${spec.name}`);
      }
      arns.set(spec.name, parameterArn(account, region, spec.name));
    }
  }
  return arns;
}

/** Creates the missing log groups (30-day retention, team tag); all are named `<prefix>…`. */
export async function ensureLogGroups(
  logs: CloudWatchLogsClient,
  region: string,
  prefix: string,
  groups: readonly { name: string; team: string }[],
  ledger: SeedLedger,
): Promise<void> {
  const outside = groups.find((g) => !g.name.startsWith(prefix));
  if (outside) throw new SeedError(`Log group ${outside.name} is not under ${prefix}.`, region);
  const existing = new Set<string>();
  for await (const page of paginateDescribeLogGroups({ client: logs }, { logGroupNamePrefix: prefix })) {
    for (const g of page.logGroups ?? []) if (g.logGroupName) existing.add(g.logGroupName);
  }
  for (const group of groups) {
    if (existing.has(group.name)) continue;
    await logs.send(
      new CreateLogGroupCommand({
        logGroupName: group.name,
        tags: { team: group.team, 'lifeboat:demo': 'true' },
      }),
    );
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: group.name, retentionInDays: 30 }));
    ledger.created(`logs:log-group:${region}:${group.name}`);
  }
}
