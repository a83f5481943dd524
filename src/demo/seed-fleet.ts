import type {
  ContainerDefinition,
  CreateClusterCommandInput,
  CreateServiceCommandInput,
  LogConfiguration,
  RegisterTaskDefinitionCommandInput,
  Tag,
} from '@aws-sdk/client-ecs';
import { ecrImageUri } from '../images/references';
import { SeedError } from './errors';
import type { CloudMapSpec } from './seed-cloud-map';
import type { LoadBalancingSpec } from './seed-load-balancing';
import type { EfsSpec, NetworkSpec, VolumeSpec } from './seed-network';
import type { ParameterSpec, SecretSpec } from './seed-secrets';

/**
 * The demo fleet, as data: two clusters and seven services of a small shop and its payments
 * back end. Everything here is pure; `seed.ts` resolves the ids and makes it exist.
 */

export const DEMO_VPC_NAME = 'lifeboat-demo';

export const PRIMARY_NETWORK: NetworkSpec = {
  vpcName: DEMO_VPC_NAME,
  cidrBlock: '10.40.0.0/16',
  subnets: [
    { name: 'lifeboat-demo-private-a', cidrBlock: '10.40.1.0/24', zoneIndex: 0 },
    { name: 'lifeboat-demo-private-b', cidrBlock: '10.40.2.0/24', zoneIndex: 1 },
  ],
  securityGroups: [
    { name: 'lifeboat-demo-web', description: 'shop web tier: HTTP from the load balancer' },
    { name: 'lifeboat-demo-api', description: 'shop API: HTTP from the web tier' },
    { name: 'lifeboat-demo-worker', description: 'shop background workers: egress only' },
    { name: 'lifeboat-demo-data', description: 'payments ledger and reconciler' },
    { name: 'lifeboat-demo-efs', description: 'NFS from the workers to the shared file system' },
  ],
};

/** The DR network: same names, its own address range (so the two could be peered). */
export const DR_NETWORK: NetworkSpec = {
  ...PRIMARY_NETWORK,
  cidrBlock: '10.140.0.0/16',
  subnets: [
    { name: 'lifeboat-demo-private-a', cidrBlock: '10.140.1.0/24', zoneIndex: 0 },
    { name: 'lifeboat-demo-private-b', cidrBlock: '10.140.2.0/24', zoneIndex: 1 },
  ],
};

/**
 * The shop's internal Application Load Balancer: `/*` on HTTP:80 goes to the web tier's target
 * group. The DR landing zone has the same load balancer, listener and target group (by name).
 */
export const SHOP_LOAD_BALANCING: LoadBalancingSpec = {
  loadBalancerName: 'lifeboat-demo-shop',
  securityGroup: 'lifeboat-demo-web',
  listenerPort: 80,
  targetGroup: {
    name: 'lifeboat-demo-shop-web',
    port: 8080,
    healthCheckPath: '/healthz',
    rulePriority: 10,
    pathPattern: '/*',
  },
};

/**
 * The shop's private DNS namespace: shop/api registers `api.shop.local` there. The DR landing zone
 * has the namespace, not the service: the restore creates it.
 */
export const SHOP_CLOUD_MAP: CloudMapSpec = { namespace: 'shop.local', services: ['api'] };

export const SHARED_FILE_SYSTEM: EfsSpec = {
  creationToken: 'lifeboat-demo-shop-shared',
  name: 'shop-shared',
  accessPoint: { name: 'shop-uploads', path: '/shop/uploads', uid: 1000, gid: 1000 },
  securityGroupName: 'lifeboat-demo-efs',
  tags: [
    { key: 'team', value: 'shop' },
    { key: 'lifeboat:backup', value: 'true' },
  ],
};

export const RECONCILER_SERVICE_KEY = 'payments/reconciler';

/** A standalone volume the reconciler's EC2 host mounts at /mnt/reconciler-archive. */
export const ARCHIVE_VOLUME: VolumeSpec = {
  name: 'lifeboat-demo-reconciler-archive',
  sizeGiB: 20,
  zoneIndex: 0,
  tags: [
    { key: 'team', value: 'payments' },
    { key: 'lifeboat:backup', value: 'true' },
    { key: 'lifeboat:service', value: RECONCILER_SERVICE_KEY },
  ],
};

export const LEDGER_SERVICE_KEY = 'payments/ledger';

/** The ledger's managed EBS volume, as its service's `volumeConfigurations` and task definition name it. */
export const LEDGER_VOLUME_NAME = 'ledger-data';

/**
 * Stand-in for the volume ECS creates for the ledger's task from its managed EBS volume
 * configuration: the emulator runs no tasks, so the seed creates it with the tags ECS would
 * give it (`AmazonECSManaged`, and the service's tag specification: `lifeboat:backup`,
 * `lifeboat:service`).
 */
export const LEDGER_DATA_VOLUME: VolumeSpec = {
  name: 'lifeboat-demo-ledger-data',
  sizeGiB: 50,
  zoneIndex: 0,
  tags: [
    { key: 'AmazonECSManaged', value: 'true' },
    { key: 'team', value: 'payments' },
    { key: 'lifeboat:backup', value: 'true' },
    { key: 'lifeboat:service', value: LEDGER_SERVICE_KEY },
  ],
};

const DEMO_ONLY = 'demo-only-not-a-real-secret';

export const SECRETS: readonly SecretSpec[] = [
  {
    name: 'shop/db-credentials',
    description: 'Shop database login (demo)',
    value: JSON.stringify({ username: 'shop_app', password: `${DEMO_ONLY}-shop-db`, port: 5432 }),
    team: 'shop',
  },
  {
    name: 'payments/ledger-db',
    description: 'Ledger database login (demo)',
    value: JSON.stringify({ username: 'ledger', password: `${DEMO_ONLY}-ledger-db` }),
    team: 'payments',
  },
];

export const PARAMETERS: readonly ParameterSpec[] = [
  {
    name: '/shop/web/session-key',
    description: 'Cookie signing key (demo)',
    value: `${DEMO_ONLY}-session`,
    team: 'shop',
  },
  {
    name: '/shop/api/stripe-api-key',
    description: 'Card processor API key (demo)',
    value: `${DEMO_ONLY}-stripe`,
    team: 'shop',
  },
  {
    name: '/payments/reconciler/sftp-password',
    description: 'Bank SFTP password (demo)',
    value: `${DEMO_ONLY}-sftp`,
    team: 'payments',
  },
];

export const LOG_GROUP_PREFIX = '/ecs/';

export const CLUSTERS: readonly (CreateClusterCommandInput & { clusterName: string })[] = [
  {
    clusterName: 'shop',
    settings: [{ name: 'containerInsights', value: 'enabled' }],
    capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    defaultCapacityProviderStrategy: [
      { capacityProvider: 'FARGATE', base: 1, weight: 1 },
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
    ],
    configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } },
    serviceConnectDefaults: { namespace: 'shop.local' },
    tags: [
      { key: 'team', value: 'shop' },
      { key: 'environment', value: 'production' },
      { key: 'lifeboat:demo', value: 'true' },
    ],
  },
  {
    clusterName: 'payments',
    settings: [{ name: 'containerInsights', value: 'enhanced' }],
    capacityProviders: ['FARGATE'],
    defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
    tags: [
      { key: 'team', value: 'payments' },
      { key: 'environment', value: 'production' },
      { key: 'lifeboat:demo', value: 'true' },
    ],
  },
];

/** Ids the service definitions reference, resolved by the seed before ECS is touched. */
export interface FleetIds {
  readonly account: string;
  readonly region: string;
  /** Digest by `repository:tag`, for images pinned by digest. */
  readonly digests: ReadonlyMap<string, string>;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: ReadonlyMap<string, string>;
  readonly secretArns: ReadonlyMap<string, string>;
  readonly parameterArns: ReadonlyMap<string, string>;
  readonly fileSystemId: string;
  readonly accessPointId: string;
  /** Zone of the reconciler's archive volume; its tasks are constrained to it. */
  readonly archiveAvailabilityZone: string;
  /** The shop web tier's target group (SHOP_LOAD_BALANCING). */
  readonly webTargetGroupArn: string;
  /** The Cloud Map service shop/api registers in (SHOP_CLOUD_MAP). */
  readonly apiRegistryArn: string;
}

export interface ServiceSpec {
  readonly clusterName: string;
  readonly serviceName: string;
  /** Tagged `lifeboat:backup=true`, so the default selection captures it. */
  readonly protected: boolean;
  readonly wave: number;
  readonly team: string;
  readonly registerInput: RegisterTaskDefinitionCommandInput & { family: string };
  /** Sent to CreateService with the registered task definition's ARN added. */
  readonly createInput: Omit<CreateServiceCommandInput, 'taskDefinition'> & {
    cluster: string;
    serviceName: string;
  };
}

function lookup(map: ReadonlyMap<string, string>, key: string, what: string): string {
  const value = map.get(key);
  if (value === undefined)
    throw new SeedError(`The demo fleet definition references an unknown ${what} "${key}".`);
  return value;
}

function awslogs(ids: FleetIds, group: string, streamPrefix: string): LogConfiguration {
  return {
    logDriver: 'awslogs',
    options: {
      'awslogs-group': group,
      'awslogs-region': ids.region,
      'awslogs-stream-prefix': streamPrefix,
    },
  };
}

function ecrImage(ids: FleetIds, repository: string, tag: string): string {
  return ecrImageUri(ids.account, ids.region, repository, { tag });
}

function pinnedEcrImage(ids: FleetIds, repository: string, tag: string): string {
  const digest = lookup(ids.digests, `${repository}:${tag}`, 'image');
  return ecrImageUri(ids.account, ids.region, repository, { digest });
}

function role(ids: FleetIds, name: string): string {
  return `arn:aws:iam::${ids.account}:role/${name}`;
}

function envoy(ids: FleetIds, logGroup: string): ContainerDefinition {
  return {
    name: 'envoy',
    image: pinnedEcrImage(ids, 'platform/envoy', 'v1.29.1'),
    essential: true,
    memoryReservation: 128,
    user: '1337',
    portMappings: [{ containerPort: 9901, protocol: 'tcp', name: 'envoy-admin' }],
    environment: [{ name: 'ENVOY_LOG_LEVEL', value: 'info' }],
    healthCheck: {
      command: ['CMD-SHELL', 'curl -s http://localhost:9901/server_info | grep state | grep -q LIVE'],
      interval: 5,
      timeout: 2,
      retries: 3,
      startPeriod: 10,
    },
    ulimits: [{ name: 'nofile', softLimit: 15000, hardLimit: 15000 }],
    logConfiguration: awslogs(ids, logGroup, 'envoy'),
  };
}

function logRouter(ids: FleetIds, logGroup: string): ContainerDefinition {
  return {
    name: 'log-router',
    image: ecrImage(ids, 'platform/log-router', '2.32.0'),
    essential: true,
    memoryReservation: 51,
    user: '0',
    firelensConfiguration: {
      type: 'fluentbit',
      options: {
        'enable-ecs-log-metadata': 'true',
        'config-file-type': 'file',
        'config-file-value': '/fluent-bit/configs/parse-json.conf',
      },
    },
    logConfiguration: awslogs(ids, logGroup, 'firelens'),
  };
}

function serviceTags(team: string, wave: number, isProtected: boolean): Tag[] {
  return [
    { key: 'team', value: team },
    { key: 'lifeboat:wave', value: String(wave) },
    ...(isProtected ? [{ key: 'lifeboat:backup', value: 'true' }] : []),
  ];
}

function awsvpc(ids: FleetIds, group: string, assignPublicIp?: 'DISABLED') {
  return {
    awsvpcConfiguration: {
      subnets: [...ids.subnetIds],
      securityGroups: [lookup(ids.securityGroupIds, group, 'security group')],
      ...(assignPublicIp ? { assignPublicIp } : {}),
    },
  };
}

function secretRef(ids: FleetIds, name: string, jsonKey: string): string {
  return `${lookup(ids.secretArns, name, 'secret')}:${jsonKey}::`;
}

const CIRCUIT_BREAKER = { deploymentCircuitBreaker: { enable: true, rollback: true } };

/** The seven demo services with their task definitions. */
export function demoServices(ids: FleetIds): ServiceSpec[] {
  const team = (t: string) => [
    { key: 'team', value: t },
    { key: 'lifeboat:demo', value: 'true' },
  ];
  return [
    {
      clusterName: 'shop',
      serviceName: 'web',
      protected: true,
      wave: 3,
      team: 'shop',
      registerInput: {
        family: 'shop-web',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '512',
        memory: '1024',
        runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
        executionRoleArn: role(ids, 'lifeboat-demo-ecs-task-execution'),
        taskRoleArn: role(ids, 'lifeboat-demo-shop-web'),
        containerDefinitions: [
          {
            name: 'web',
            image: ecrImage(ids, 'shop/web', 'stable'),
            essential: true,
            cpu: 256,
            memory: 512,
            portMappings: [{ containerPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }],
            environment: [
              { name: 'NODE_ENV', value: 'production' },
              { name: 'API_URL', value: 'http://api.shop.local:8080' },
            ],
            // Same-region parameter referenced by name, as many task definitions do.
            secrets: [{ name: 'SESSION_KEY', valueFrom: '/shop/web/session-key' }],
            dependsOn: [
              { containerName: 'log-router', condition: 'START' },
              { containerName: 'envoy', condition: 'HEALTHY' },
            ],
            healthCheck: {
              command: ['CMD-SHELL', 'curl -fs http://localhost:8080/healthz || exit 1'],
              interval: 15,
              timeout: 5,
              retries: 3,
              startPeriod: 20,
            },
            logConfiguration: {
              logDriver: 'awsfirelens',
              options: {
                Name: 'cloudwatch_logs',
                region: ids.region,
                log_group_name: '/ecs/shop/web',
                log_stream_prefix: 'web/',
                auto_create_group: 'false',
              },
            },
          },
          logRouter(ids, '/ecs/shop/web'),
          envoy(ids, '/ecs/shop/web'),
        ],
        tags: team('shop'),
      },
      createInput: {
        cluster: 'shop',
        serviceName: 'web',
        desiredCount: 3,
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        networkConfiguration: awsvpc(ids, 'lifeboat-demo-web', 'DISABLED'),
        loadBalancers: [{ targetGroupArn: ids.webTargetGroupArn, containerName: 'web', containerPort: 8080 }],
        healthCheckGracePeriodSeconds: 30,
        deploymentConfiguration: { ...CIRCUIT_BREAKER, maximumPercent: 200, minimumHealthyPercent: 100 },
        enableExecuteCommand: true,
        enableECSManagedTags: true,
        propagateTags: 'SERVICE',
        tags: serviceTags('shop', 3, true),
      },
    },
    {
      clusterName: 'shop',
      serviceName: 'api',
      protected: true,
      wave: 2,
      team: 'shop',
      registerInput: {
        family: 'shop-api',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '1024',
        memory: '2048',
        runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
        executionRoleArn: role(ids, 'lifeboat-demo-ecs-task-execution'),
        taskRoleArn: role(ids, 'lifeboat-demo-shop-api'),
        containerDefinitions: [
          {
            name: 'api',
            image: ecrImage(ids, 'shop/api', '2.3.1'),
            essential: true,
            memory: 1536,
            portMappings: [{ containerPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }],
            environment: [
              { name: 'SPRING_PROFILES_ACTIVE', value: 'production' },
              { name: 'DB_HOST', value: 'shop-db.internal' },
              { name: 'JAVA_TOOL_OPTIONS', value: '-XX:MaxRAMPercentage=75' },
            ],
            secrets: [
              { name: 'DB_USERNAME', valueFrom: secretRef(ids, 'shop/db-credentials', 'username') },
              { name: 'DB_PASSWORD', valueFrom: secretRef(ids, 'shop/db-credentials', 'password') },
              {
                name: 'STRIPE_API_KEY',
                valueFrom: lookup(ids.parameterArns, '/shop/api/stripe-api-key', 'parameter'),
              },
            ],
            dependsOn: [{ containerName: 'envoy', condition: 'HEALTHY' }],
            healthCheck: {
              command: ['CMD-SHELL', 'curl -fs http://localhost:8080/actuator/health || exit 1'],
              interval: 30,
              timeout: 5,
              retries: 3,
              startPeriod: 60,
            },
            logConfiguration: awslogs(ids, '/ecs/shop/api', 'api'),
          },
          envoy(ids, '/ecs/shop/api'),
        ],
        tags: team('shop'),
      },
      createInput: {
        cluster: 'shop',
        serviceName: 'api',
        desiredCount: 2,
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        networkConfiguration: awsvpc(ids, 'lifeboat-demo-api', 'DISABLED'),
        deploymentConfiguration: { ...CIRCUIT_BREAKER, maximumPercent: 200, minimumHealthyPercent: 50 },
        // DNS discovery (api.shop.local) besides Service Connect.
        serviceRegistries: [{ registryArn: ids.apiRegistryArn }],
        serviceConnectConfiguration: {
          enabled: true,
          namespace: 'shop.local',
          services: [
            {
              portName: 'http',
              discoveryName: 'api',
              clientAliases: [{ port: 8080, dnsName: 'api.shop.local' }],
            },
          ],
        },
        enableECSManagedTags: true,
        propagateTags: 'SERVICE',
        tags: serviceTags('shop', 2, true),
      },
    },
    {
      clusterName: 'shop',
      serviceName: 'worker',
      protected: true,
      wave: 2,
      team: 'shop',
      registerInput: {
        family: 'shop-worker',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '512',
        memory: '1024',
        executionRoleArn: role(ids, 'lifeboat-demo-ecs-task-execution'),
        taskRoleArn: role(ids, 'lifeboat-demo-shop-worker'),
        volumes: [
          {
            name: 'uploads',
            efsVolumeConfiguration: {
              fileSystemId: ids.fileSystemId,
              transitEncryption: 'ENABLED',
              authorizationConfig: { accessPointId: ids.accessPointId, iam: 'ENABLED' },
            },
          },
        ],
        containerDefinitions: [
          {
            name: 'worker',
            image: ecrImage(ids, 'shop/worker', '1.8.0'),
            essential: true,
            memoryReservation: 768,
            command: ['node', 'dist/worker.js'],
            environment: [
              { name: 'UPLOAD_DIR', value: '/var/lib/worker/uploads' },
              { name: 'CONCURRENCY', value: '4' },
            ],
            secrets: [{ name: 'DB_PASSWORD', valueFrom: secretRef(ids, 'shop/db-credentials', 'password') }],
            mountPoints: [
              { sourceVolume: 'uploads', containerPath: '/var/lib/worker/uploads', readOnly: false },
            ],
            stopTimeout: 120,
            logConfiguration: awslogs(ids, '/ecs/shop/worker', 'worker'),
          },
        ],
        tags: team('shop'),
      },
      createInput: {
        cluster: 'shop',
        serviceName: 'worker',
        desiredCount: 2,
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE', base: 1, weight: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 3 },
        ],
        platformVersion: 'LATEST',
        networkConfiguration: awsvpc(ids, 'lifeboat-demo-worker', 'DISABLED'),
        deploymentConfiguration: { ...CIRCUIT_BREAKER, maximumPercent: 200, minimumHealthyPercent: 50 },
        propagateTags: 'TASK_DEFINITION',
        tags: serviceTags('shop', 2, true),
      },
    },
    {
      clusterName: 'shop',
      serviceName: 'cache',
      protected: true,
      wave: 1,
      team: 'shop',
      registerInput: {
        family: 'shop-cache',
        requiresCompatibilities: ['EC2'],
        networkMode: 'bridge',
        containerDefinitions: [
          {
            name: 'redis',
            image: 'docker.io/library/redis:7.2',
            essential: true,
            memory: 512,
            command: ['redis-server', '--save', '', '--appendonly', 'no'],
            portMappings: [{ containerPort: 6379, hostPort: 0, protocol: 'tcp' }],
            healthCheck: { command: ['CMD', 'redis-cli', 'ping'], interval: 10, timeout: 3, retries: 3 },
            logConfiguration: awslogs(ids, '/ecs/shop/cache', 'redis'),
          },
        ],
        tags: team('shop'),
      },
      createInput: {
        cluster: 'shop',
        serviceName: 'cache',
        desiredCount: 1,
        launchType: 'EC2',
        placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
        deploymentConfiguration: { maximumPercent: 100, minimumHealthyPercent: 0 },
        tags: serviceTags('shop', 1, true),
      },
    },
    {
      clusterName: 'shop',
      serviceName: 'admin-preview',
      protected: false,
      wave: 3,
      team: 'shop',
      registerInput: {
        family: 'shop-admin-preview',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        executionRoleArn: role(ids, 'lifeboat-demo-ecs-task-execution'),
        containerDefinitions: [
          {
            name: 'web',
            image: ecrImage(ids, 'shop/web', '1.4.0'),
            essential: true,
            portMappings: [{ containerPort: 8080, protocol: 'tcp', name: 'http' }],
            environment: [{ name: 'PREVIEW', value: 'true' }],
            logConfiguration: awslogs(ids, '/ecs/shop/admin-preview', 'web'),
          },
        ],
        tags: team('shop'),
      },
      createInput: {
        cluster: 'shop',
        serviceName: 'admin-preview',
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: awsvpc(ids, 'lifeboat-demo-web', 'DISABLED'),
        tags: serviceTags('shop', 3, false),
      },
    },
    {
      clusterName: 'payments',
      serviceName: 'ledger',
      protected: true,
      wave: 1,
      team: 'payments',
      registerInput: {
        family: 'payments-ledger',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '1024',
        memory: '2048',
        executionRoleArn: role(ids, 'lifeboat-demo-ecs-task-execution'),
        taskRoleArn: role(ids, 'lifeboat-demo-payments-ledger'),
        volumes: [{ name: LEDGER_VOLUME_NAME, configuredAtLaunch: true }],
        containerDefinitions: [
          {
            name: 'ledger',
            image: ecrImage(ids, 'payments/ledger', '4.2.0'),
            essential: true,
            memory: 1536,
            portMappings: [{ containerPort: 5000, protocol: 'tcp', name: 'grpc', appProtocol: 'grpc' }],
            environment: [{ name: 'LEDGER_DATA_DIR', value: '/var/lib/ledger' }],
            secrets: [
              { name: 'LEDGER_DB_USER', valueFrom: secretRef(ids, 'payments/ledger-db', 'username') },
              { name: 'LEDGER_DB_PASSWORD', valueFrom: secretRef(ids, 'payments/ledger-db', 'password') },
            ],
            mountPoints: [
              { sourceVolume: LEDGER_VOLUME_NAME, containerPath: '/var/lib/ledger', readOnly: false },
            ],
            dependsOn: [{ containerName: 'otel-collector', condition: 'START' }],
            healthCheck: {
              command: ['CMD', '/bin/grpc_health_probe', '-addr=:5000'],
              interval: 15,
              timeout: 5,
              retries: 3,
              startPeriod: 30,
            },
            stopTimeout: 60,
            logConfiguration: awslogs(ids, '/ecs/payments/ledger', 'ledger'),
          },
          {
            name: 'otel-collector',
            image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.41.1',
            essential: false,
            memoryReservation: 128,
            command: ['--config=/etc/ecs/ecs-default-config.yaml'],
            logConfiguration: awslogs(ids, '/ecs/payments/ledger', 'otel'),
          },
        ],
        tags: team('payments'),
      },
      createInput: {
        cluster: 'payments',
        serviceName: 'ledger',
        desiredCount: 1,
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        networkConfiguration: awsvpc(ids, 'lifeboat-demo-data', 'DISABLED'),
        // A single writer: stop the old task before starting the new one.
        deploymentConfiguration: { maximumPercent: 100, minimumHealthyPercent: 0 },
        volumeConfigurations: [
          {
            name: LEDGER_VOLUME_NAME,
            managedEBSVolume: {
              roleArn: role(ids, 'lifeboat-demo-ecs-infrastructure'),
              encrypted: true,
              sizeInGiB: 50,
              volumeType: 'gp3',
              iops: 3000,
              throughput: 125,
              filesystemType: 'ext4',
              tagSpecifications: [
                {
                  resourceType: 'volume',
                  tags: [
                    { key: 'lifeboat:backup', value: 'true' },
                    { key: 'lifeboat:service', value: LEDGER_SERVICE_KEY },
                  ],
                  propagateTags: 'SERVICE',
                },
              ],
            },
          },
        ],
        enableECSManagedTags: true,
        propagateTags: 'SERVICE',
        tags: serviceTags('payments', 1, true),
      },
    },
    {
      clusterName: 'payments',
      serviceName: 'reconciler',
      protected: true,
      wave: 2,
      team: 'payments',
      registerInput: {
        family: 'payments-reconciler',
        requiresCompatibilities: ['EC2'],
        networkMode: 'awsvpc',
        cpu: '512',
        memory: '1024',
        executionRoleArn: role(ids, 'lifeboat-demo-ecs-task-execution'),
        taskRoleArn: role(ids, 'lifeboat-demo-payments-reconciler'),
        volumes: [{ name: 'archive', host: { sourcePath: '/mnt/reconciler-archive' } }],
        // The archive volume lives in one zone; tasks must run beside it.
        placementConstraints: [
          {
            type: 'memberOf',
            expression: `attribute:ecs.availability-zone == ${ids.archiveAvailabilityZone}`,
          },
        ],
        containerDefinitions: [
          {
            name: 'reconciler',
            image: ecrImage(ids, 'payments/reconciler', '1.0.3'),
            essential: true,
            environment: [
              { name: 'ARCHIVE_DIR', value: '/archive' },
              { name: 'SCHEDULE', value: '*/15 * * * *' },
            ],
            secrets: [
              {
                name: 'SFTP_PASSWORD',
                valueFrom: lookup(ids.parameterArns, '/payments/reconciler/sftp-password', 'parameter'),
              },
              { name: 'LEDGER_DB_PASSWORD', valueFrom: secretRef(ids, 'payments/ledger-db', 'password') },
            ],
            mountPoints: [{ sourceVolume: 'archive', containerPath: '/archive', readOnly: false }],
            logConfiguration: awslogs(ids, '/ecs/payments/reconciler', 'reconciler'),
          },
        ],
        tags: team('payments'),
      },
      createInput: {
        cluster: 'payments',
        serviceName: 'reconciler',
        desiredCount: 1,
        launchType: 'EC2',
        networkConfiguration: awsvpc(ids, 'lifeboat-demo-data'),
        deploymentConfiguration: { maximumPercent: 100, minimumHealthyPercent: 0 },
        tags: serviceTags('payments', 2, true),
      },
    },
  ];
}

/** One log group per service, named after it. */
export function logGroupsFor(services: readonly ServiceSpec[]): { name: string; team: string }[] {
  return services.map((s) => ({
    name: `${LOG_GROUP_PREFIX}${s.clusterName}/${s.serviceName}`,
    team: s.team,
  }));
}
