import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionFamiliesCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogStoreFor } from '../../src/catalog/aws/store';
import type { Manifest, TaskDefinitionRecord } from '../../src/catalog/manifest';
import { CATALOG_KEY_ALIAS } from '../../src/catalog/names';
import { ensureLocalKey } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { parseConfig } from '../../src/config/schema';
import { sealEnvironment, unsealEnvironment } from '../../src/fleet/aws/secrets';
import { EnvironmentUnsealError } from '../../src/fleet/errors';
import { secretTest } from '../../src/fleet/secrets';
import type { RestorePlan } from '../../src/restore/plan';
import { useCliWorkspace } from '../support/cli';
import { ACCOUNT, BUCKET, DR, PRIMARY } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

/**
 * Finding 7 of issue 14: plain-text environment values that look secret never reach the
 * catalog, the plan, the report or the CLI's output, and the restore still registers them.
 */

const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
const { lifeboat, onEmulator } = useCliWorkspace(ctx, {
  prefix: 'lifeboat-secret-env-',
  timeoutMs: 90_000,
});

const PASSWORD = 'hunter2-Zq7vK4pX';
const URL_PASSWORD = 'pw-0xDEADBEEF';
const DATABASE_URL = `postgres://app:${URL_PASSWORD}@db/x`;
const SECRETS = [PASSWORD, URL_PASSWORD];
const ENVIRONMENT = [
  { name: 'NODE_ENV', value: 'production' },
  { name: 'DB_PASSWORD', value: PASSWORD },
  { name: 'LOG_LEVEL', value: 'info' },
  { name: 'DATABASE_URL', value: DATABASE_URL },
];
const KEY = 'vault/api';

let recoveryPointId: string;

/** Every object in the catalog bucket (every version's current body), as text. */
async function catalogBytes(): Promise<string> {
  const s3 = ctx.clients.s3(DR);
  const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map(
    (o) => o.Key ?? '',
  );
  expect(keys.length).toBeGreaterThan(0);
  const bodies = await Promise.all(
    keys.map(async (Key) =>
      (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body?.transformToString(),
    ),
  );
  return bodies.join('\n');
}

function expectNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) expect(text, `${where} shows a secret value`).not.toContain(secret);
}

function manifestOf(id: string): Promise<Manifest> {
  return catalogStoreFor(ctx.clients, { region: DR, bucket: BUCKET }).get(id);
}

beforeAll(async () => {
  const ecs = ctx.clients.ecs(PRIMARY);
  await ecs.send(
    new CreateClusterCommand({ clusterName: 'vault', tags: [{ key: 'lifeboat:backup', value: 'true' }] }),
  );
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'vault-api',
      requiresCompatibilities: ['EC2'],
      containerDefinitions: [
        { name: 'api', image: 'public.ecr.aws/nginx/nginx:1.27', memory: 256, environment: ENVIRONMENT },
      ],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster: 'vault',
      serviceName: 'api',
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
      desiredCount: 1,
      launchType: 'EC2',
      tags: [{ key: 'lifeboat:backup', value: 'true' }],
    }),
  );
  const backup = await lifeboat(onEmulator('backup', '--json'));
  expect(backup.code, backup.stderr).toBe(0);
  expectNoSecret(backup.stdout + backup.stderr, 'backup --json');
  recoveryPointId = JSON.parse(backup.stdout).recoveryPoint.id;
}, 180_000);

describe('a task definition with secrets in plain environment variables', () => {
  it('is backed up with the values sealed: no catalog object holds them, the manifest names them', async () => {
    expectNoSecret(await catalogBytes(), 'the catalog bucket');

    const manifest = await manifestOf(recoveryPointId);
    const record = manifest.taskDefinitions.find((t) => t.family === 'vault-api') as TaskDefinitionRecord;
    expect(record.registerInput.containerDefinitions[0]?.environment).toEqual([
      { name: 'NODE_ENV', value: 'production' },
      { name: 'LOG_LEVEL', value: 'info' },
    ]);
    expect(
      record.sealedEnvironment?.map(({ container, name, index }) => ({ container, name, index })),
    ).toEqual([
      { container: 'api', name: 'DB_PASSWORD', index: 1 },
      { container: 'api', name: 'DATABASE_URL', index: 3 },
    ]);
  });

  it('is planned with *** and a SECRET_IN_ENVIRONMENT warning naming the variables (plan --json and plan)', async () => {
    const json = await lifeboat(onEmulator('plan', '--json', '--services', KEY));
    expectNoSecret(json.stdout + json.stderr, 'plan --json');
    const plan = JSON.parse(json.stdout) as RestorePlan;
    const service = plan.services.find((s) => s.key === KEY);
    expect(
      service?.taskDefinition?.sealedEnvironment?.map(({ container, name, value }) => ({
        container,
        name,
        value,
      })),
    ).toEqual([
      { container: 'api', name: 'DB_PASSWORD', value: '***' },
      { container: 'api', name: 'DATABASE_URL', value: '***' },
    ]);
    const finding = plan.findings.find((f) => f.code === 'SECRET_IN_ENVIRONMENT');
    expect(finding).toMatchObject({ severity: 'warning', service: KEY });
    expect(finding?.message).toContain('DB_PASSWORD=*** (container api), DATABASE_URL=*** (container api)');
    expect(finding?.fix).toMatch(/Secrets Manager/);

    const human = await lifeboat(onEmulator('plan', '--services', KEY));
    expectNoSecret(human.stdout + human.stderr, 'plan');
    expect(human.stdout).toContain('SECRET_IN_ENVIRONMENT');
    expect(human.stdout).toContain('DB_PASSWORD=***');

    const shown = await lifeboat(onEmulator('recovery-points', 'show', recoveryPointId));
    expectNoSecret(shown.stdout + shown.stderr, 'recovery-points show');
  });

  it('fails the service by name, registering nothing, when a ciphertext does not decrypt for this deployment', async () => {
    const config = parseConfig({
      account: ACCOUNT,
      primaryRegion: PRIMARY,
      drRegion: DR,
      deploymentId: 'another-one',
    });

    const result = await runLocalRestore({
      clients: ctx.clients,
      config,
      bucket: BUCKET,
      kmsKeyId: await ensureLocalKey(ctx.clients.kms(DR), CATALOG_KEY_ALIAS),
      input: { recoveryPoint: recoveryPointId, services: [KEY], dryRun: false },
      waitTimeScale: 0,
    });

    const text = JSON.stringify(result);
    expectNoSecret(text, 'the failed restore');
    const failed = result.report?.report.services.find((s) => s.service === KEY);
    expect(failed).toMatchObject({ status: 'failed', error: { name: 'EnvironmentUnsealError' } });
    expect(failed?.error?.message).toMatch(
      /DB_PASSWORD of container api \(task definition family vault-api\)/,
    );
    expect(failed?.error?.message).toMatch(/kms:Decrypt.*lifeboat:purpose=environment/);
    const families = await ctx.clients.ecs(DR).send(new ListTaskDefinitionFamiliesCommand({}));
    expect(families.families ?? []).not.toContain('vault-api');
  });

  it('is restored with the original values in their original order, and nothing the failover prints or stores shows them', async () => {
    const { code, stdout, stderr } = await lifeboat(
      onEmulator('failover', '--yes', '--json', '--services', KEY),
    );

    expect(code, stderr).toBe(0);
    expectNoSecret(stdout + stderr, 'failover --json');
    const doc = JSON.parse(stdout);
    const restored = (doc.services as { service: string; taskDefinitionArn: string }[]).find(
      (s) => s.service === KEY,
    );
    const td = await ctx.clients
      .ecs(DR)
      .send(new DescribeTaskDefinitionCommand({ taskDefinition: restored?.taskDefinitionArn }));
    expect(td.taskDefinition?.containerDefinitions?.[0]?.environment).toEqual(ENVIRONMENT);
    expectNoSecret(await catalogBytes(), 'the catalog bucket after the failover (run documents, report)');
  });
});

describe('sealEnvironment and unsealEnvironment on the emulator', () => {
  const record: TaskDefinitionRecord = {
    sourceArn: `arn:aws:ecs:${PRIMARY}:${ACCOUNT}:task-definition/vault-api:1`,
    family: 'vault-api',
    revision: 1,
    tags: [],
    registerInput: {
      family: 'vault-api',
      containerDefinitions: [{ name: 'api', image: 'nginx', environment: ENVIRONMENT }],
    },
  };
  const isSecret = secretTest(
    parseConfig({ account: ACCOUNT, primaryRegion: PRIMARY, drRegion: DR }).capture.secretEnvironment,
  );

  it('binds each ciphertext to its variable: swapped between two variables, it does not decrypt', async () => {
    const kms = ctx.clients.kms(DR);
    const keyId = await ensureLocalKey(kms, CATALOG_KEY_ALIAS);
    const sealed = await sealEnvironment(record, isSecret, { kms, keyId, deploymentId: 'd1' });
    const [a, b] = sealed.sealedEnvironment ?? [];
    if (!a || !b) throw new Error('expected two sealed variables');

    await expect(
      unsealEnvironment(sealed.registerInput, 'vault-api', sealed.sealedEnvironment ?? [], {
        kms,
        keyId,
        deploymentId: 'd1',
      }),
    ).resolves.toEqual(record.registerInput);
    const swapped = [
      { ...a, ciphertext: b.ciphertext },
      { ...b, ciphertext: a.ciphertext },
    ];
    const run = unsealEnvironment(sealed.registerInput, 'vault-api', swapped, {
      kms,
      keyId,
      deploymentId: 'd1',
    });
    await expect(run).rejects.toBeInstanceOf(EnvironmentUnsealError);
    await expect(run).rejects.toThrow(/DB_PASSWORD of container api/);
    await expect(
      unsealEnvironment(sealed.registerInput, 'other-family', sealed.sealedEnvironment ?? [], {
        kms,
        keyId,
        deploymentId: 'd1',
      }),
    ).rejects.toThrow(/lifeboat:variable=other-family\/api\/DB_PASSWORD/);
  });

  it('does not capture a task definition it cannot seal, naming the variable and the permission', async () => {
    const kms = ctx.clients.kms(DR);

    const run = sealEnvironment(record, isSecret, { kms, keyId: 'alias/does-not-exist', deploymentId: 'd1' });

    await expect(run).rejects.toThrow(
      /Could not seal the variable DB_PASSWORD of container api \(task definition family vault-api\) with KMS key alias\/does-not-exist .*kms:Encrypt .*lifeboat:purpose=environment/,
    );
  });
});
