import { CreateFileSystemCommand } from '@aws-sdk/client-efs';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCapture } from '../../src/backup/steps';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { type LifeboatConfig, parseConfig } from '../../src/config/schema';
import type { DemoFleet } from '../../src/demo/seed';
import type { RestorePlan } from '../../src/restore/plan';
import { ACCOUNT, BUCKET, DR, PRIMARY, seedFleetWithCatalog } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

const ctx = useEmulator();
/** The task role of shop/api in the demo fleet (the demo names it; the emulator has no such role until created here). */
const TASK_ROLE = 'lifeboat-demo-shop-api';
const SECRET = `arn:aws:secretsmanager:${PRIMARY}:${ACCOUNT}:secret:shop/api-db-AbCdEf`;
const KEY = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

let fleet: DemoFleet;
let config: LifeboatConfig;
let topicArn: string;

const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
});

beforeAll(async () => {
  fleet = await seedFleetWithCatalog(ctx.clients);
  topicArn = await ensureLocalReportTopic(ctx.clients, DR);
  const iam = ctx.clients.iam(PRIMARY);
  await iam.send(new CreateRoleCommand({ RoleName: TASK_ROLE, AssumeRolePolicyDocument: trust }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: TASK_ROLE,
      PolicyName: 'read-db-secret',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRET },
          // Region-less and wildcard-region resources are fine.
          { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::shop-assets/*' },
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:*:${ACCOUNT}:jobs` },
        ],
      }),
    }),
  );
  const managed = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'shop-api-kms',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [KEY] }],
      }),
    }),
  );
  await iam.send(new AttachRolePolicyCommand({ RoleName: TASK_ROLE, PolicyArn: managed.Policy?.Arn }));
  const drFs = await ctx.clients
    .efs(DR)
    .send(new CreateFileSystemCommand({ CreationToken: 'lifeboat-dr-iam' }));
  config = parseConfig({
    account: ACCOUNT,
    primaryRegion: PRIMARY,
    drRegion: DR,
    mappings: { efsFileSystems: { [fleet.efs.fileSystemId]: drFs.FileSystemId as string } },
  });
  await runCapture({ clients: ctx.clients, config, bucket: BUCKET });
}, 300_000);

describe('IAM region lint in the plan', () => {
  it('names the DR ARN a task role needs beside its primary-region secret and key, and notes the roles it could not read', async () => {
    const result = await runLocalRestore({
      clients: ctx.clients,
      config,
      bucket: BUCKET,
      topicArn,
      input: { dryRun: true },
      waitTimeScale: 0,
      executionName: 'role-lint-plan',
    });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const { plan } = result.output as { plan: RestorePlan };

    const primaryOnly = plan.findings.filter((f) => f.code === 'ROLE_POLICY_PRIMARY_ONLY');
    expect(primaryOnly.map((f) => [f.severity, f.resource])).toEqual([
      ['warning', KEY],
      ['warning', SECRET],
    ]);
    const secret = primaryOnly.find((f) => f.resource === SECRET);
    expect(secret?.message).toContain(TASK_ROLE);
    expect(secret?.message).toContain('read-db-secret');
    expect(secret?.fix).toContain(SECRET.replace(`:${PRIMARY}:`, `:${DR}:`));
    expect(primaryOnly.find((f) => f.resource === KEY)?.message).toContain('shop-api-kms');

    // The other roles the demo names do not exist in the emulator: one info, and nothing blocked by it.
    const notChecked = plan.findings.filter((f) => f.code === 'ROLE_POLICIES_NOT_CHECKED');
    expect(notChecked.map((f) => f.severity)).toEqual(['info']);
    expect(plan.services.filter((s) => s.blockedBy.includes('ROLE_POLICIES_NOT_CHECKED'))).toEqual([]);
  });
});
