import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Cluster,
  CreateServiceCommand,
  type CreateServiceCommandInput,
  ECSClient,
  type Tag as EcsTag,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/catalog/checksum';
import {
  clusterRecordSchema,
  createServiceInputSchema,
  registerTaskDefinitionInputSchema,
} from '../../../src/catalog/manifest';
import { DescribeShapeError } from '../../../src/fleet/errors';
import {
  clusterRecordFromDescribe,
  describeServiceForRestore,
  readWave,
  restorableTags,
  sanitiseService,
  sanitiseTaskDefinition,
  stripNulls,
  TASK_DEFINITION_READ_ONLY_FIELDS,
  waveFromTags,
} from '../../../src/fleet/sanitise';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'task-definitions');
const FIXTURE_NAMES = ['fargate-multi-container', 'every-option', 'ec2-bridge'] as const;
const TIMESTAMPS = ['registeredAt', 'deregisteredAt', 'deleteRequestedAt'] as const;

/** A DescribeTaskDefinition response as the SDK returns it (timestamps as Date). */
function loadFixture(name: (typeof FIXTURE_NAMES)[number]): {
  taskDefinition: TaskDefinition;
  tags: EcsTag[];
} {
  const raw = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as {
    taskDefinition: Record<string, unknown>;
    tags: EcsTag[];
  };
  const td = { ...raw.taskDefinition };
  for (const field of TIMESTAMPS) {
    if (typeof td[field] === 'string') td[field] = new Date(td[field]);
  }
  return { taskDefinition: td as TaskDefinition, tags: raw.tags };
}

class CapturedRequest extends Error {
  constructor(readonly body: unknown) {
    super('request captured before signing');
  }
}

/**
 * The JSON body the SDK would put on the wire for a command. The SDK serialises only members
 * its model knows, so a field missing from the body is one the ECS API does not accept.
 * The request is captured after serialisation and never signed or sent.
 */
async function wireBody(command: RegisterTaskDefinitionCommand | CreateServiceCommand): Promise<unknown> {
  const client = new ECSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
  });
  client.middlewareStack.add(
    () => async (args) => {
      const body = (args.request as { body?: unknown }).body;
      throw new CapturedRequest(
        JSON.parse(body instanceof Uint8Array ? new TextDecoder().decode(body) : String(body)),
      );
    },
    { step: 'build', name: 'captureWireBody' },
  );
  try {
    await client.send(command as RegisterTaskDefinitionCommand);
  } catch (error) {
    if (error instanceof CapturedRequest) return error.body;
    throw error;
  } finally {
    client.destroy();
  }
  throw new Error('the request was not captured');
}

/** Paths of every null in a value, for readable failures. */
function nullPaths(value: unknown, path = '$'): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nullPaths(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== undefined && !(value instanceof Date)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => nullPaths(v, `${path}.${k}`));
  }
  return [];
}

/** Copy of `value` with null members and null array elements added where `decide` says so. */
function withNulls(value: unknown, decide: () => number): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => withNulls(v, decide));
    const at = decide() % (items.length + 3);
    return at <= items.length ? [...items.slice(0, at), null, ...items.slice(at)] : items;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const entries = Object.entries(value).map(([k, v]) => [k, withNulls(v, decide)] as const);
    return Object.fromEntries(decide() % 2 === 0 ? [...entries, [`nullMember${decide()}`, null]] : entries);
  }
  return value;
}

describe('sanitiseTaskDefinition', () => {
  it.each(FIXTURE_NAMES)('strips every read-only field from %s', (name) => {
    const { taskDefinition, tags } = loadFixture(name);

    const input = sanitiseTaskDefinition(taskDefinition, tags);

    for (const field of TASK_DEFINITION_READ_ONLY_FIELDS) expect(input).not.toHaveProperty(field);
  });

  it.each(FIXTURE_NAMES)('keeps every other setting of %s exactly as described', (name) => {
    const { taskDefinition } = loadFixture(name);
    const readOnly = new Set<string>(TASK_DEFINITION_READ_ONLY_FIELDS);
    const expected = Object.fromEntries(Object.entries(taskDefinition).filter(([k]) => !readOnly.has(k)));

    const input = sanitiseTaskDefinition(taskDefinition, []);

    expect(input).toEqual(expected);
  });

  it('strips read-only fields even when a task definition is being deleted', () => {
    const { taskDefinition } = loadFixture('every-option');
    expect(taskDefinition.status).toBe('DELETE_IN_PROGRESS');
    expect(taskDefinition.deleteRequestedAt).toBeInstanceOf(Date);

    const input = sanitiseTaskDefinition(taskDefinition);

    expect(Object.keys(input)).not.toContain('deleteRequestedAt');
    expect(Object.keys(input)).not.toContain('deregisteredAt');
  });

  it.each(FIXTURE_NAMES)(
    'produces from %s a RegisterTaskDefinition input the SDK sends in full',
    async (name) => {
      const { taskDefinition, tags } = loadFixture(name);
      const input = sanitiseTaskDefinition(taskDefinition, tags);

      // Type-level: the sanitised record is accepted where the SDK expects its input.
      const commandInput: RegisterTaskDefinitionCommandInput = input;
      const body = await wireBody(new RegisterTaskDefinitionCommand(commandInput));

      expect(body).toEqual(JSON.parse(JSON.stringify(input)));
    },
  );

  it.each(FIXTURE_NAMES)('produces from %s a register input that the manifest schema accepts', (name) => {
    const { taskDefinition, tags } = loadFixture(name);

    const input = sanitiseTaskDefinition(taskDefinition, tags);

    expect(registerTaskDefinitionInputSchema.parse(input)).toEqual(input);
  });

  it('keeps the response tags as the register input tags, without reserved aws: tags', () => {
    const { taskDefinition, tags } = loadFixture('fargate-multi-container');

    const input = sanitiseTaskDefinition(taskDefinition, tags);

    expect(input.tags).toEqual([
      { key: 'lifeboat:backup', value: 'true' },
      { key: 'lifeboat:wave', value: '3' },
      { key: 'team', value: 'shop' },
    ]);
  });

  it('keeps a tag whose value is empty', () => {
    const { taskDefinition, tags } = loadFixture('every-option');

    const input = sanitiseTaskDefinition(taskDefinition, tags);

    expect(input.tags).toContainEqual({ key: 'cost-center', value: '' });
  });

  it('leaves tags out when there are none to restore', () => {
    const { taskDefinition } = loadFixture('ec2-bridge');

    expect(sanitiseTaskDefinition(taskDefinition, [])).not.toHaveProperty('tags');
    expect(
      sanitiseTaskDefinition(taskDefinition, [{ key: 'aws:cloudformation:stack-id', value: 'x' }]),
    ).not.toHaveProperty('tags');
  });

  it('strips nulls deeply, inside container definitions and volumes too', () => {
    const { taskDefinition } = loadFixture('fargate-multi-container');
    const withHoles = {
      ...taskDefinition,
      pidMode: null,
      containerDefinitions: taskDefinition.containerDefinitions?.map((c) => ({
        ...c,
        linuxParameters: null,
        healthCheck: c.healthCheck ? { ...c.healthCheck, startPeriod: null } : null,
        environment: [...(c.environment ?? []), null],
      })),
      volumes: [
        {
          name: 'uploads',
          host: null,
          efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: null },
        },
      ],
    };

    const input = sanitiseTaskDefinition(withHoles);

    expect(nullPaths(input)).toEqual([]);
    expect(input.containerDefinitions[0]).not.toHaveProperty('linuxParameters');
    expect(input.containerDefinitions[0]?.healthCheck).toEqual({
      command: ['CMD-SHELL', 'curl -fsS http://localhost:8080/healthz || exit 1'],
      interval: 15,
      timeout: 5,
      retries: 3,
    });
    expect(input.volumes).toEqual([{ name: 'uploads', efsVolumeConfiguration: { fileSystemId: 'fs-1' } }]);
  });

  it('gives the same input whatever nulls the description carries (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURE_NAMES),
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 64 }),
        (name, decisions) => {
          const { taskDefinition, tags } = loadFixture(name);
          let i = 0;
          const decide = () => decisions[i++ % decisions.length] ?? 0;
          const holey = withNulls(taskDefinition, decide) as Record<string, unknown>;
          const clean = sanitiseTaskDefinition(taskDefinition, tags);
          const unclean = sanitiseTaskDefinition(holey, tags);
          // The injected members were null, so only their names could differ: none may remain.
          expect(canonicalJson(unclean)).toBe(canonicalJson(clean));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('turns any Date that remains into an ISO string', () => {
    const { taskDefinition } = loadFixture('ec2-bridge');
    const at = new Date('2026-01-02T03:04:05.678Z');

    const input = sanitiseTaskDefinition({
      ...taskDefinition,
      containerDefinitions: [{ ...taskDefinition.containerDefinitions?.[0], dockerLabels: { at } }],
    });

    expect(input.containerDefinitions[0]?.dockerLabels).toEqual({ at: '2026-01-02T03:04:05.678Z' });
  });

  it('does not change the description it is given', () => {
    const { taskDefinition, tags } = loadFixture('every-option');
    const before = structuredClone(taskDefinition);

    sanitiseTaskDefinition(taskDefinition, tags);

    expect(taskDefinition).toEqual(before);
  });

  it('is idempotent: sanitising a register input again changes nothing', () => {
    for (const name of FIXTURE_NAMES) {
      const { taskDefinition, tags } = loadFixture(name);
      const once = sanitiseTaskDefinition(taskDefinition, tags);

      expect(sanitiseTaskDefinition(once)).toEqual(once);
    }
  });

  it('does not let a member named __proto__ change any prototype', () => {
    const { taskDefinition } = loadFixture('ec2-bridge');
    const hostile = JSON.parse(
      JSON.stringify({ ...taskDefinition, x: 1 }).replace('"x":1', '"__proto__":{"polluted":true}'),
    ) as Record<string, unknown>;

    const input = sanitiseTaskDefinition(hostile);

    expect(Object.getPrototypeOf(input)).toBe(Object.prototype);
    expect((input as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('fails with DescribeShapeError naming the task definition when containerDefinitions is missing', () => {
    const { taskDefinition } = loadFixture('ec2-bridge');
    const { containerDefinitions: _dropped, ...broken } = taskDefinition;

    expect(() => sanitiseTaskDefinition(broken)).toThrow(DescribeShapeError);
    expect(() => sanitiseTaskDefinition(broken)).toThrow(
      /legacy-billing:113: containerDefinitions .*DescribeTaskDefinition/,
    );
  });

  it('fails with DescribeShapeError when the family is missing', () => {
    const { taskDefinition } = loadFixture('ec2-bridge');

    const error = (() => {
      try {
        sanitiseTaskDefinition({ ...taskDefinition, family: undefined });
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(DescribeShapeError);
    expect(error).toMatchObject({
      name: 'DescribeShapeError',
      resourceType: 'taskDefinition',
      resourceId: 'arn:aws:ecs:us-east-1:123456789012:task-definition/legacy-billing:113',
    });
  });
});

describe('stripNulls', () => {
  const json = fc.jsonValue();

  it('leaves no null anywhere (property)', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(nullPaths(stripNulls(value))).toEqual([]);
      }),
    );
  });

  it('keeps a member named __proto__ as an own data member', () => {
    const stripped = stripNulls(JSON.parse('{"__proto__":{"polluted":true},"gone":null}')) as object;

    expect(Object.hasOwn(stripped, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(stripped)).toBe(Object.prototype);
    expect(Object.keys(stripped)).toEqual(['__proto__']);
  });

  it('is idempotent and keeps JSON without nulls unchanged (property)', () => {
    fc.assert(
      fc.property(json, (value) => {
        const once = stripNulls(value);
        expect(stripNulls(once)).toEqual(once);
        if (nullPaths(value).length === 0) expect(once).toEqual(value);
      }),
    );
  });

  it('drops invalid dates like nulls', () => {
    expect(stripNulls({ at: new Date(Number.NaN), ok: 1 })).toEqual({ ok: 1 });
  });
});

describe('restorableTags', () => {
  it('drops tags with the reserved aws: prefix in any case and tags without a key', () => {
    expect(
      restorableTags([
        { key: 'aws:cloudformation:stack-name', value: 'a' },
        { key: 'AWS:Other', value: 'b' },
        { value: 'no key' },
        { key: 'team', value: 'shop' },
        { key: 'awsome', value: 'kept' },
        { key: 'empty' },
      ]),
    ).toEqual([
      { key: 'team', value: 'shop' },
      { key: 'awsome', value: 'kept' },
      { key: 'empty', value: '' },
    ]);
  });
});

/** A Fargate service on capacity providers behind an ALB, mid-deployment, as DescribeServices returns it. */
function describedService(): Service {
  const created = new Date('2025-10-01T10:00:00.000Z');
  return {
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop/web',
    serviceName: 'web',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop',
    loadBalancers: [
      {
        targetGroupArn:
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-web/0123456789abcdef',
        containerName: 'web',
        containerPort: 8080,
      },
    ],
    serviceRegistries: [
      {
        registryArn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-abcdefghijklmnop',
        containerName: 'web',
        containerPort: 8080,
      },
    ],
    status: 'ACTIVE',
    desiredCount: 4,
    runningCount: 3,
    pendingCount: 1,
    capacityProviderStrategy: [
      { capacityProvider: 'FARGATE', weight: 1, base: 2 },
      { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
    ],
    platformVersion: 'LATEST',
    platformFamily: 'Linux',
    taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:42',
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      alarms: { alarmNames: ['shop-web-5xx'], rollback: true, enable: true },
      strategy: 'ROLLING',
    },
    deployments: [
      {
        id: 'ecs-svc/1111111111111111111',
        status: 'PRIMARY',
        taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:42',
        desiredCount: 4,
        pendingCount: 1,
        runningCount: 3,
        failedTasks: 0,
        createdAt: created,
        updatedAt: created,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 2 }],
        platformVersion: '1.4.0',
        platformFamily: 'Linux',
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: ['subnet-0aaa'],
            securityGroups: ['sg-0aaa'],
            assignPublicIp: 'DISABLED',
          },
        },
        rolloutState: 'IN_PROGRESS',
        rolloutStateReason: 'ECS deployment ecs-svc/1111111111111111111 in progress.',
        serviceConnectConfiguration: {
          enabled: true,
          namespace: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-new',
          services: [
            {
              portName: 'web-8080-tcp',
              discoveryName: 'web',
              clientAliases: [{ port: 80, dnsName: 'web.shop' }],
            },
          ],
        },
        serviceConnectResources: [
          {
            discoveryName: 'web',
            discoveryArn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-sc',
          },
        ],
        volumeConfigurations: [
          {
            name: 'cache',
            managedEBSVolume: {
              roleArn: 'arn:aws:iam::123456789012:role/ecsInfrastructureRole',
              sizeInGiB: 50,
              volumeType: 'gp3',
              encrypted: true,
              filesystemType: 'ext4',
              tagSpecifications: [
                {
                  resourceType: 'volume',
                  tags: [{ key: 'lifeboat:backup', value: 'true' }],
                  propagateTags: 'SERVICE',
                },
              ],
            },
          },
        ],
        fargateEphemeralStorage: { kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/abc' },
      },
      {
        id: 'ecs-svc/2222222222222222222',
        status: 'ACTIVE',
        taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:41',
        desiredCount: 0,
        runningCount: 1,
        createdAt: created,
        serviceConnectConfiguration: {
          enabled: true,
          namespace: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-old',
        },
        volumeConfigurations: [],
      },
    ],
    roleArn: 'arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS',
    events: [{ id: 'e1', createdAt: created, message: '(service web) has reached a steady state.' }],
    createdAt: created,
    currentServiceDeployment: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/shop/web/abc',
    currentServiceRevisions: [
      { arn: 'arn:aws:ecs:us-east-1:123456789012:service-revision/shop/web/1', requestedTaskCount: 4 },
    ],
    placementConstraints: [],
    placementStrategy: [],
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: ['subnet-0aaa', 'subnet-0bbb'],
        securityGroups: ['sg-0aaa'],
        assignPublicIp: 'DISABLED',
      },
    },
    healthCheckGracePeriodSeconds: 60,
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    tags: [
      { key: 'lifeboat:backup', value: 'true' },
      { key: 'lifeboat:wave', value: '3' },
      { key: 'aws:cloudformation:stack-name', value: 'shop-prod' },
    ],
    createdBy: 'arn:aws:iam::123456789012:role/shop-deploy',
    enableECSManagedTags: true,
    propagateTags: 'SERVICE',
    enableExecuteCommand: true,
    availabilityZoneRebalancing: 'ENABLED',
    resourceManagementType: 'CUSTOMER',
  };
}

describe('sanitiseService', () => {
  it('turns a described service into the CreateService input that recreates it', () => {
    const input = sanitiseService(describedService());

    expect(input).toEqual({
      serviceName: 'web',
      desiredCount: 4,
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE', weight: 1, base: 2 },
        { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
      ],
      platformVersion: 'LATEST',
      loadBalancers: [
        {
          targetGroupArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-web/0123456789abcdef',
          containerName: 'web',
          containerPort: 8080,
        },
      ],
      serviceRegistries: [
        {
          registryArn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-abcdefghijklmnop',
          containerName: 'web',
          containerPort: 8080,
        },
      ],
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        alarms: { alarmNames: ['shop-web-5xx'], rollback: true, enable: true },
        strategy: 'ROLLING',
      },
      deploymentController: { type: 'ECS' },
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0aaa', 'subnet-0bbb'],
          securityGroups: ['sg-0aaa'],
          assignPublicIp: 'DISABLED',
        },
      },
      healthCheckGracePeriodSeconds: 60,
      schedulingStrategy: 'REPLICA',
      enableECSManagedTags: true,
      propagateTags: 'SERVICE',
      enableExecuteCommand: true,
      availabilityZoneRebalancing: 'ENABLED',
      serviceConnectConfiguration: {
        enabled: true,
        namespace: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-new',
        services: [
          {
            portName: 'web-8080-tcp',
            discoveryName: 'web',
            clientAliases: [{ port: 80, dnsName: 'web.shop' }],
          },
        ],
      },
      volumeConfigurations: [
        {
          name: 'cache',
          managedEBSVolume: {
            roleArn: 'arn:aws:iam::123456789012:role/ecsInfrastructureRole',
            sizeInGiB: 50,
            volumeType: 'gp3',
            encrypted: true,
            filesystemType: 'ext4',
            tagSpecifications: [
              {
                resourceType: 'volume',
                tags: [{ key: 'lifeboat:backup', value: 'true' }],
                propagateTags: 'SERVICE',
              },
            ],
          },
        },
      ],
      tags: [
        { key: 'lifeboat:backup', value: 'true' },
        { key: 'lifeboat:wave', value: '3' },
      ],
    });
  });

  it('carries no runtime-only field', () => {
    const input = sanitiseService(describedService());

    for (const field of [
      'status',
      'runningCount',
      'pendingCount',
      'events',
      'deployments',
      'createdAt',
      'createdBy',
      'taskSets',
      'serviceArn',
      'clusterArn',
      'taskDefinition',
      'platformFamily',
      'currentServiceDeployment',
      'currentServiceRevisions',
      'resourceManagementType',
      'roleArn',
      'cluster',
    ]) {
      expect(input).not.toHaveProperty(field);
    }
  });

  it('produces an input the SDK sends in full once cluster and task definition are set', async () => {
    const input = sanitiseService(describedService());
    const commandInput: CreateServiceCommandInput = {
      ...input,
      cluster: 'shop',
      taskDefinition: 'arn:aws:ecs:us-west-2:123456789012:task-definition/shop-web:1',
    };

    const body = await wireBody(new CreateServiceCommand(commandInput));

    expect(body).toEqual(JSON.parse(JSON.stringify(commandInput)));
    expect(createServiceInputSchema.parse(input)).toEqual(input);
  });

  it('takes Service Connect and volume configurations from the PRIMARY deployment only', () => {
    const service = describedService();
    const [primary, active] = service.deployments ?? [];
    // Order must not matter: DescribeServices lists deployments newest first, but do not rely on it.
    const input = sanitiseService({ ...service, deployments: [active, primary] });

    expect(input.serviceConnectConfiguration).toMatchObject({
      namespace: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-new',
    });
    expect(input.volumeConfigurations).toHaveLength(1);
  });

  it('keeps launchType and drops the empty strategy when the service was created with a launch type', () => {
    const input = sanitiseService({
      ...describedService(),
      capacityProviderStrategy: [],
      launchType: 'FARGATE',
    });

    expect(input.launchType).toBe('FARGATE');
    expect(input).not.toHaveProperty('capacityProviderStrategy');
    expect(input.platformVersion).toBe('LATEST');
  });

  it('drops launchType when a capacity provider strategy is present (the two are mutually exclusive)', () => {
    const input = sanitiseService({ ...describedService(), launchType: 'FARGATE' });

    expect(input).not.toHaveProperty('launchType');
    expect(input.capacityProviderStrategy).toHaveLength(2);
  });

  it('drops platformVersion for the EC2 launch type and for EC2 capacity providers', () => {
    const ec2 = sanitiseService({
      ...describedService(),
      capacityProviderStrategy: undefined,
      launchType: 'EC2',
      platformVersion: '1.4.0',
    });
    const asg = sanitiseService({
      ...describedService(),
      capacityProviderStrategy: [{ capacityProvider: 'shop-asg', weight: 1 }],
    });

    expect(ec2).not.toHaveProperty('platformVersion');
    expect(asg).not.toHaveProperty('platformVersion');
  });

  it('keeps platformVersion for a FARGATE_SPOT-only strategy', () => {
    const input = sanitiseService({
      ...describedService(),
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    });

    expect(input.platformVersion).toBe('LATEST');
  });

  it('passes a custom role as role for a classic load-balanced service outside awsvpc', () => {
    const role = 'arn:aws:iam::123456789012:role/ecs-elb-legacy';
    const input = sanitiseService({
      ...describedService(),
      networkConfiguration: undefined,
      roleArn: role,
    });

    expect(input.role).toBe(role);
  });

  it('leaves out the service-linked role, and any role in awsvpc mode or without a load balancer', () => {
    const custom = 'arn:aws:iam::123456789012:role/ecs-elb-legacy';
    const base = describedService();

    expect(sanitiseService({ ...base, networkConfiguration: undefined })).not.toHaveProperty('role');
    expect(sanitiseService({ ...base, roleArn: custom })).not.toHaveProperty('role');
    expect(
      sanitiseService({ ...base, networkConfiguration: undefined, loadBalancers: [], roleArn: custom }),
    ).not.toHaveProperty('role');
  });

  it('leaves out desiredCount for a DAEMON service', () => {
    const input = sanitiseService({ ...describedService(), schedulingStrategy: 'DAEMON', desiredCount: 3 });

    expect(input).not.toHaveProperty('desiredCount');
    expect(input.schedulingStrategy).toBe('DAEMON');
  });

  it('keeps a desired count of 0', () => {
    expect(sanitiseService({ ...describedService(), desiredCount: 0 }).desiredCount).toBe(0);
  });

  it('prefers the tags passed in over the described ones, and drops reserved aws: tags', () => {
    const input = sanitiseService(describedService(), [
      { key: 'team', value: 'shop' },
      { key: 'aws:ecs:serviceName', value: 'web' },
    ]);

    expect(input.tags).toEqual([{ key: 'team', value: 'shop' }]);
    expect(sanitiseService(describedService(), [])).not.toHaveProperty('tags');
  });

  it('drops empty collections such as the {} networkConfiguration moto reports', () => {
    // moto 5.2.1 DescribeServices shape for a service created without a network configuration.
    const moto = {
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop/web',
      serviceName: 'web',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop',
      loadBalancers: [],
      serviceRegistries: [],
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 0,
      pendingCount: 2,
      launchType: 'EC2',
      platformVersion: '1.4.0',
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/legacy-billing:1',
      taskSets: [],
      deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', launchType: 'EC2', platformFamily: 'EC2' }],
      events: [],
      networkConfiguration: {},
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      tags: [{ key: 'lifeboat:wave', value: '2' }],
      propagateTags: 'SERVICE',
    };

    expect(sanitiseService(moto)).toEqual({
      serviceName: 'web',
      desiredCount: 2,
      launchType: 'EC2',
      deploymentController: { type: 'ECS' },
      schedulingStrategy: 'REPLICA',
      propagateTags: 'SERVICE',
      tags: [{ key: 'lifeboat:wave', value: '2' }],
    });
  });

  it('strips nulls and turns dates into ISO strings', () => {
    const input = sanitiseService({
      ...describedService(),
      healthCheckGracePeriodSeconds: null,
      deploymentConfiguration: { maximumPercent: 150, minimumHealthyPercent: null, alarms: null },
    });

    expect(input).not.toHaveProperty('healthCheckGracePeriodSeconds');
    expect(input.deploymentConfiguration).toEqual({ maximumPercent: 150 });
    expect(nullPaths(input)).toEqual([]);
  });

  it('fails with DescribeShapeError when the service has no name', () => {
    expect(() => sanitiseService({ ...describedService(), serviceName: undefined })).toThrow(
      DescribeShapeError,
    );
    expect(() => sanitiseService({ ...describedService(), serviceName: undefined })).toThrow(
      /service arn:aws:ecs:us-east-1:123456789012:service\/shop\/web: serviceName/,
    );
  });
});

describe('describeServiceForRestore', () => {
  it('has no notes for an ordinary rolling-update service', () => {
    expect(describeServiceForRestore(describedService()).notes).toEqual([]);
  });

  it('notes that task sets are not restorable for an EXTERNAL deployment controller', () => {
    const { input, notes } = describeServiceForRestore({
      ...describedService(),
      deploymentController: { type: 'EXTERNAL' },
      deployments: [],
      taskSets: [
        {
          id: 'ecs-svc/3333',
          taskSetArn: 'arn:aws:ecs:us-east-1:123456789012:task-set/shop/web/ecs-svc/3333',
          status: 'PRIMARY',
          taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:42',
          scale: { value: 100, unit: 'PERCENT' },
        },
      ],
    });

    expect(notes.map((n) => n.code)).toEqual(['task-sets-not-restored']);
    expect(notes[0]?.message).toMatch(/task sets are not restorable/);
    expect(input).not.toHaveProperty('taskSets');
    expect(input.deploymentController).toEqual({ type: 'EXTERNAL' });
  });

  it('notes that a CODE_DEPLOY service needs its deployment group in the DR region', () => {
    const { notes } = describeServiceForRestore({
      ...describedService(),
      deploymentController: { type: 'CODE_DEPLOY' },
      taskSets: [{ id: 'ecs-svc/4444', status: 'PRIMARY' }],
    });

    expect(notes.map((n) => n.code)).toEqual(['task-sets-not-restored', 'codedeploy-deployment-group']);
  });

  it('notes a service whose deployments have no PRIMARY one', () => {
    const service = describedService();
    const { input, notes } = describeServiceForRestore({
      ...service,
      deployments: service.deployments?.filter((d) => d.status !== 'PRIMARY'),
    });

    expect(notes.map((n) => n.code)).toEqual(['no-primary-deployment']);
    expect(input).not.toHaveProperty('serviceConnectConfiguration');
  });
});

describe('clusterRecordFromDescribe', () => {
  const described: Cluster = {
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop',
    clusterName: 'shop',
    configuration: {
      executeCommandConfiguration: {
        kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        logging: 'OVERRIDE',
        logConfiguration: { cloudWatchLogGroupName: '/ecs/exec/shop', cloudWatchEncryptionEnabled: true },
      },
      managedStorageConfiguration: {
        fargateEphemeralStorageKmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/abcd',
      },
    },
    status: 'ACTIVE',
    registeredContainerInstancesCount: 0,
    runningTasksCount: 7,
    pendingTasksCount: 1,
    activeServicesCount: 3,
    statistics: [{ name: 'runningFargateTasksCount', value: '7' }],
    tags: [
      { key: 'lifeboat:backup', value: 'true' },
      { key: 'aws:cloudformation:stack-name', value: 'shop-prod' },
    ],
    settings: [{ name: 'containerInsights', value: 'enhanced' }],
    capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }],
    attachments: [{ id: 'a1', type: 'as_policy', status: 'CREATED', details: [] }],
    attachmentsStatus: 'UPDATE_COMPLETE',
    serviceConnectDefaults: {
      namespace: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-shop',
    },
  };

  it('keeps settings, configuration, capacity providers, Service Connect namespace and tags', () => {
    const record = clusterRecordFromDescribe(described);

    expect(record).toEqual({
      clusterName: 'shop',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop',
      settings: [{ name: 'containerInsights', value: 'enhanced' }],
      configuration: described.configuration,
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }],
      serviceConnectNamespace: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-shop',
      tags: [{ key: 'lifeboat:backup', value: 'true' }],
    });
    expect(clusterRecordSchema.parse(record)).toEqual(record);
  });

  it('fills defaults for a bare cluster and takes its name from the ARN when absent', () => {
    const record = clusterRecordFromDescribe({
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/payments',
    });

    expect(record).toEqual({
      clusterName: 'payments',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/payments',
      settings: [],
      capacityProviders: [],
      defaultCapacityProviderStrategy: [],
      tags: [],
    });
  });

  it('fails with DescribeShapeError when the cluster has neither name nor ARN', () => {
    expect(() => clusterRecordFromDescribe({ status: 'ACTIVE' })).toThrow(DescribeShapeError);
  });
});

describe('waveFromTags', () => {
  it('reads the lifeboat:wave tag', () => {
    expect(waveFromTags([{ key: 'lifeboat:wave', value: '3' }])).toBe(3);
    expect(waveFromTags([{ key: 'lifeboat:wave', value: '0' }])).toBe(0);
    expect(waveFromTags([{ key: 'lifeboat:wave', value: ' 12 ' }])).toBe(12);
  });

  it('defaults to wave 1 without the tag', () => {
    expect(waveFromTags([])).toBe(1);
    expect(waveFromTags([{ key: 'Lifeboat:Wave', value: '5' }])).toBe(1);
    expect(readWave([{ key: 'team', value: 'shop' }])).toEqual({ wave: 1 });
  });

  it.each(['', 'two', '-1', '1.5', '1e3', '10000', '0x10'])(
    'uses wave 1 with a reason for the value "%s"',
    (value) => {
      const { wave, problem } = readWave([{ key: 'lifeboat:wave', value }]);

      expect(wave).toBe(1);
      expect(problem).toContain(`lifeboat:wave="${value}"`);
      expect(problem).toContain('whole number from 0 to 9999');
    },
  );

  it('reads every whole number from 0 to 9999 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), (n) => {
        expect(readWave([{ key: 'lifeboat:wave', value: String(n) }])).toEqual({ wave: n });
      }),
    );
  });
});
