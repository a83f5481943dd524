import {
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, CallCounter } from '../../src/aws/clients';
import { captureFleet } from '../../src/backup/capture';
import { parseConfig } from '../../src/config/schema';
import { useEmulator } from '../support/emulator';

/**
 * Issue 16: the backup makes the Secrets Manager secrets the captured task definitions reference
 * exist in the DR region (`backup.replicateSecrets`), and records what it found or did.
 */

const PRIMARY = 'us-east-1';
const DR = 'us-west-2';
const ACCOUNT = '123456789012';

const ctx = useEmulator();
const secretArns: Record<string, string> = {};

/** A cluster with one selected service whose task definition references secret `name` (a JSON key of it). */
async function serviceReferencing(cluster: string, name: string): Promise<void> {
  const created = await ctx.clients
    .secrets(PRIMARY)
    .send(new CreateSecretCommand({ Name: name, SecretString: '{"password":"not-read"}' }));
  secretArns[name] = created.ARN as string;
  const ecs = ctx.clients.ecs(PRIMARY);
  await ecs.send(
    new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'lifeboat:backup', value: 'true' }] }),
  );
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${cluster}-api`,
      requiresCompatibilities: ['EC2'],
      containerDefinitions: [
        {
          name: 'api',
          image: 'public.ecr.aws/nginx/nginx:1.27',
          memory: 256,
          secrets: [
            { name: 'DB_PASSWORD', valueFrom: `${created.ARN}:password::` },
            { name: 'DB_ALL', valueFrom: created.ARN },
          ],
        },
      ],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: 'api',
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
      desiredCount: 1,
      launchType: 'EC2',
      tags: [{ key: 'lifeboat:backup', value: 'true' }],
    }),
  );
}

async function capture(cluster: string, replicateSecrets: boolean) {
  const counter = new CallCounter();
  const clients = new AwsClients({ endpoint: ctx.endpoint, onCall: counter.record });
  try {
    const result = await captureFleet({
      clients,
      config: parseConfig({
        account: ACCOUNT,
        primaryRegion: PRIMARY,
        drRegion: DR,
        selection: { include: [`${cluster}/*`] },
        backup: { replicateSecrets },
      }),
    });
    return { result, calls: counter.toJSON() };
  } finally {
    clients.destroy();
  }
}

function drArnOf(arn: string): string {
  return arn.replace(`:${PRIMARY}:`, `:${DR}:`);
}

beforeAll(async () => {
  await serviceReferencing('vault', 'vault/db');
  await serviceReferencing('attic', 'attic/db');
}, 120_000);

describe('captureFleet with backup.replicateSecrets', () => {
  it('replicates a referenced secret that has no DR replica and records it replicated', async () => {
    const arn = secretArns['vault/db'] as string;

    const { result, calls } = await capture('vault', true);

    expect(result.body.status).toBe('complete');
    expect(result.body.secrets).toEqual([{ arn, drArn: drArnOf(arn), replication: 'replicated' }]);
    // One DescribeSecret for the one distinct secret (two references), one replication.
    expect(calls['SecretsManager.DescribeSecret']).toBe(1);
    expect(calls['SecretsManager.ReplicateSecretToRegions']).toBe(1);
    const replica = await ctx.clients.secrets(DR).send(new DescribeSecretCommand({ SecretId: drArnOf(arn) }));
    expect(replica.ARN).toBe(drArnOf(arn));
  });

  it('records replica-exists on the next capture and replicates no more', async () => {
    const arn = secretArns['vault/db'] as string;

    const { result, calls } = await capture('vault', true);

    expect(result.body.secrets).toEqual([{ arn, drArn: drArnOf(arn), replication: 'replica-exists' }]);
    expect(calls['SecretsManager.DescribeSecret']).toBe(1);
    expect(calls['SecretsManager.ReplicateSecretToRegions']).toBeUndefined();
  });

  it('replicates nothing with the option off and records not-replicated', async () => {
    const arn = secretArns['attic/db'] as string;

    const { result, calls } = await capture('attic', false);

    expect(result.body.status).toBe('complete');
    expect(result.body.secrets).toEqual([{ arn, drArn: drArnOf(arn), replication: 'not-replicated' }]);
    expect(calls['SecretsManager.ReplicateSecretToRegions']).toBeUndefined();
    await expect(
      ctx.clients.secrets(DR).send(new DescribeSecretCommand({ SecretId: drArnOf(arn) })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
