import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImageRecord, RegisterTaskDefinitionInputRecord } from '../../../../src/catalog/manifest';
import { registerTaskDefinitionInputSchema } from '../../../../src/catalog/manifest';
import {
  applyAccessPointIds,
  type RetargetResult,
  retargetTaskDefinition,
} from '../../../../src/fleet/retarget/task-definition';
import type { RetargetContext } from '../../../../src/fleet/retarget/task-definition/rule';
import { parseImageReference } from '../../../../src/images/references';
import { mentionsRegion, parseArn } from '../../../../src/kernel/arns';
import {
  ACCOUNT,
  DR,
  digestOf,
  ecrUri,
  PRIMARY,
  replicatedImage,
  shopFleetManifest,
} from '../../../support/manifest-builder';

const OTHER_ACCOUNT = '999999999999';
const secretArn = (region: string, name: string, account = ACCOUNT) =>
  `arn:aws:secretsmanager:${region}:${account}:secret:${name}`;
const parameterArn = (region: string, name: string) => `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${name}`;

function context(overrides: Partial<RetargetContext> = {}): RetargetContext {
  return {
    account: ACCOUNT,
    primaryRegion: PRIMARY,
    drRegion: DR,
    secretMappings: {},
    images: [],
    efsFileSystems: {},
    efsAccessPoints: {},
    ...overrides,
  };
}

/** A one-container task definition; its default image is already in the DR registry (no finding). */
function taskDefinition(container: Record<string, unknown>, rest: Record<string, unknown> = {}) {
  return registerTaskDefinitionInputSchema.parse({
    family: 'web',
    containerDefinitions: [{ name: 'web', image: ecrUri(DR, 'shop/web', digestOf('web')), ...container }],
    ...rest,
  });
}

function container(result: RetargetResult, index = 0): Record<string, unknown> {
  const c = result.registerInput.containerDefinitions[index];
  if (!c) throw new Error(`no container ${index}`);
  return c;
}

function codes(result: RetargetResult): string[] {
  return result.findings.map((f) => `${f.severity}:${f.code}`);
}

describe('retargetTaskDefinition', () => {
  describe('images', () => {
    it('rewrites ECR images to the DR registry by digest', () => {
      const image = replicatedImage('shop/web', '1.42.0');
      const result = retargetTaskDefinition(
        taskDefinition({ image: image.sourceUri }),
        context({ images: [image] }),
      );
      expect(container(result).image).toBe(ecrUri(DR, 'shop/web', digestOf('shop/web:1.42.0')));
      expect(result.images).toEqual([image.drUri]);
      expect(result.findings).toEqual([]);
      expect(result.changes).toEqual([
        { path: 'containerDefinitions[0].image', from: image.sourceUri, to: image.drUri },
      ]);
    });

    it('reports an image missing from the DR registry as an error and still points at the DR registry', () => {
      const image = replicatedImage('shop/worker', '2.0.1', 'missing');
      const result = retargetTaskDefinition(
        taskDefinition({ image: image.sourceUri }),
        context({ images: [image] }),
      );
      expect(container(result).image).toBe(ecrUri(DR, 'shop/worker', digestOf('shop/worker:2.0.1')));
      expect(result.findings).toMatchObject([
        { severity: 'error', code: 'IMAGE_MISSING', resource: image.sourceUri },
      ]);
    });

    it('warns about an image whose presence in the DR region was not verified', () => {
      const image = replicatedImage('platform/log-router', '2.32.2', 'unverified');
      const result = retargetTaskDefinition(
        taskDefinition({ image: image.sourceUri }),
        context({ images: [image] }),
      );
      expect(container(result).image).toBe(image.drUri);
      expect(codes(result)).toEqual(['warning:IMAGE_UNVERIFIED']);
    });

    it('leaves an external image as it is and suggests an ECR pull-through cache rule', () => {
      const external: ImageRecord = {
        sourceUri: 'docker.io/library/redis:7',
        presence: 'external',
        usedBy: [],
      };
      const result = retargetTaskDefinition(
        taskDefinition({ image: external.sourceUri }),
        context({ images: [external] }),
      );
      expect(container(result).image).toBe('docker.io/library/redis:7');
      expect(result.findings).toHaveLength(1);
      expect(result.findings[0]).toMatchObject({ severity: 'warning', code: 'IMAGE_EXTERNAL' });
      expect(result.findings[0]?.fix).toContain('pull-through cache rule');
    });

    it('points an image of the primary registry with no record at the DR registry and blocks it', () => {
      const uri = ecrUri(PRIMARY, 'shop/admin', '3.1.0');
      const result = retargetTaskDefinition(taskDefinition({ image: uri }), context());
      expect(container(result).image).toBe(ecrUri(DR, 'shop/admin', '3.1.0'));
      expect(codes(result)).toEqual(['error:IMAGE_NOT_IN_RECOVERY_POINT']);
    });

    it('leaves an image of another account in the primary region and warns', () => {
      const uri = `840364872350.dkr.ecr.${PRIMARY}.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod`;
      const result = retargetTaskDefinition(taskDefinition({ image: uri }), context());
      expect(container(result).image).toBe(uri);
      expect(codes(result)).toEqual(['warning:IMAGE_IN_OTHER_REGISTRY']);
    });

    it('keeps an image that is already in the DR registry without a finding', () => {
      const uri = ecrUri(DR, 'shop/web', digestOf('x'));
      const result = retargetTaskDefinition(taskDefinition({ image: uri }), context());
      expect(container(result).image).toBe(uri);
      expect(result.findings).toEqual([]);
    });
  });

  describe('logs', () => {
    it('moves awslogs-region to the DR region and collects the log group', () => {
      const result = retargetTaskDefinition(
        taskDefinition({
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': '/ecs/web',
              'awslogs-region': PRIMARY,
              'awslogs-stream-prefix': 'web',
            },
          },
        }),
        context(),
      );
      expect(container(result).logConfiguration).toEqual({
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/ecs/web', 'awslogs-region': DR, 'awslogs-stream-prefix': 'web' },
      });
      expect(result.logGroups).toEqual(['/ecs/web']);
    });

    it('leaves logs sent to a third region alone and does not collect their group', () => {
      const logConfiguration = {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/central/web', 'awslogs-region': 'eu-west-1' },
      };
      const result = retargetTaskDefinition(taskDefinition({ logConfiguration }), context());
      expect(container(result).logConfiguration).toEqual(logConfiguration);
      expect(result.logGroups).toEqual([]);
      expect(result.findings).toEqual([]);
    });

    it('moves the FireLens CloudWatch output region and collects its log group', () => {
      const result = retargetTaskDefinition(
        taskDefinition({
          logConfiguration: {
            logDriver: 'awsfirelens',
            options: { Name: 'cloudwatch_logs', region: PRIMARY, log_group_name: '/ecs/web/app' },
          },
        }),
        context(),
      );
      expect(container(result).logConfiguration).toMatchObject({ options: { region: DR } });
      expect(result.logGroups).toEqual(['/ecs/web/app']);
    });

    it('rewrites the log driver secret options like container secrets', () => {
      const result = retargetTaskDefinition(
        taskDefinition({
          logConfiguration: {
            logDriver: 'splunk',
            options: { 'splunk-url': 'https://splunk.example.com:8088' },
            secretOptions: [{ name: 'splunk-token', valueFrom: secretArn(PRIMARY, 'splunk-AbCdEf') }],
          },
        }),
        context(),
      );
      expect(container(result).logConfiguration).toMatchObject({
        secretOptions: [{ name: 'splunk-token', valueFrom: secretArn(DR, 'splunk-AbCdEf') }],
      });
    });
  });

  describe('secrets and parameters', () => {
    const secrets = [
      { name: 'DB_PASSWORD', valueFrom: secretArn(PRIMARY, 'shop/db-AbCdEf') },
      { name: 'STRIPE_KEY', valueFrom: `${secretArn(PRIMARY, 'shop/payments-Gh1Jk2')}:stripe_api_key::` },
      { name: 'FLAGS', valueFrom: parameterArn(PRIMARY, 'shop/flags') },
      { name: 'SMTP', valueFrom: '/shop/smtp' },
    ];

    it('moves Secrets Manager and SSM ARNs to the DR region, keeping JSON-key selectors, and leaves parameter names', () => {
      const result = retargetTaskDefinition(taskDefinition({ secrets }), context());
      expect(container(result).secrets).toEqual([
        { name: 'DB_PASSWORD', valueFrom: secretArn(DR, 'shop/db-AbCdEf') },
        { name: 'STRIPE_KEY', valueFrom: `${secretArn(DR, 'shop/payments-Gh1Jk2')}:stripe_api_key::` },
        { name: 'FLAGS', valueFrom: parameterArn(DR, 'shop/flags') },
        { name: 'SMTP', valueFrom: '/shop/smtp' },
      ]);
    });

    it('records replica presence as not checked (info) when the DR inventory has no secret list', () => {
      const result = retargetTaskDefinition(taskDefinition({ secrets }), context());
      expect(codes(result).sort()).toEqual([
        'info:PARAMETER_UNVERIFIED',
        'info:PARAMETER_UNVERIFIED',
        'info:SECRET_REPLICA_UNVERIFIED',
        'info:SECRET_REPLICA_UNVERIFIED',
      ]);
    });

    it('passes secrets whose replicas exist and blocks on those that do not', () => {
      const result = retargetTaskDefinition(
        taskDefinition({ secrets }),
        context({
          drSecretArns: [secretArn(DR, 'shop/db-AbCdEf')],
          drParameterArns: [parameterArn(DR, 'shop/flags')],
        }),
      );
      expect(result.findings).toMatchObject([
        {
          severity: 'error',
          code: 'SECRET_REPLICA_MISSING',
          resource: secretArn(DR, 'shop/payments-Gh1Jk2'),
        },
        { severity: 'error', code: 'PARAMETER_MISSING', resource: '/shop/smtp' },
      ]);
      expect(result.findings[0]?.fix).toContain('Replicate the secret');
    });

    it('uses the one DR secret with the same name when the replica has another ARN suffix', () => {
      const result = retargetTaskDefinition(
        taskDefinition({ secrets: [secrets[1]] }),
        context({ drSecretArns: [secretArn(DR, 'shop/payments-Zz9Yy8')] }),
      );
      expect(container(result).secrets).toEqual([
        { name: 'STRIPE_KEY', valueFrom: `${secretArn(DR, 'shop/payments-Zz9Yy8')}:stripe_api_key::` },
      ]);
      expect(codes(result)).toEqual(['info:SECRET_RESOLVED_BY_NAME']);
    });

    it('lets an explicit mapping win over the region rule, for the secret or the exact reference', () => {
      const result = retargetTaskDefinition(
        taskDefinition({ secrets: secrets.slice(0, 2) }),
        context({
          secretMappings: {
            [secretArn(PRIMARY, 'shop/db-AbCdEf')]: secretArn(DR, 'shop-dr/db-QqWwEe'),
            [`${secretArn(PRIMARY, 'shop/payments-Gh1Jk2')}:stripe_api_key::`]: secretArn(
              DR,
              'stripe-PpOoIi',
            ),
          },
        }),
      );
      expect(container(result).secrets).toEqual([
        { name: 'DB_PASSWORD', valueFrom: secretArn(DR, 'shop-dr/db-QqWwEe') },
        { name: 'STRIPE_KEY', valueFrom: secretArn(DR, 'stripe-PpOoIi') },
      ]);
    });

    it('moves repository credentials to the DR replica of their secret', () => {
      const result = retargetTaskDefinition(
        taskDefinition({
          repositoryCredentials: { credentialsParameter: secretArn(PRIMARY, 'registry-Xy9Zz1') },
        }),
        context({ drSecretArns: [secretArn(DR, 'registry-Xy9Zz1')] }),
      );
      expect(container(result).repositoryCredentials).toEqual({
        credentialsParameter: secretArn(DR, 'registry-Xy9Zz1'),
      });
      expect(result.findings).toEqual([]);
    });

    it("leaves another account's primary-region secret and warns that it needs a mapping", () => {
      const foreign = secretArn(PRIMARY, 'shared/token-AbCdEf', OTHER_ACCOUNT);
      const result = retargetTaskDefinition(
        taskDefinition({ secrets: [{ name: 'TOKEN', valueFrom: foreign }] }),
        context(),
      );
      expect(container(result).secrets).toEqual([{ name: 'TOKEN', valueFrom: foreign }]);
      expect(result.findings).toMatchObject([
        { severity: 'warning', code: 'CROSS_ACCOUNT_PRIMARY_REFERENCE' },
      ]);
      expect(result.findings[0]?.fix).toContain(`mappings.secrets["${foreign}"]`);
    });
  });

  describe('environment', () => {
    it('rewrites environment files through a bucket mapping and warns about unmapped ones', () => {
      const result = retargetTaskDefinition(
        taskDefinition({
          environmentFiles: [
            { value: 'arn:aws:s3:::shop-config/web.env', type: 's3' },
            { value: 'arn:aws:s3:::other-config/web.env', type: 's3' },
          ],
        }),
        context({ secretMappings: { 'arn:aws:s3:::shop-config': 'arn:aws:s3:::shop-config-dr' } }),
      );
      expect(container(result).environmentFiles).toEqual([
        { value: 'arn:aws:s3:::shop-config-dr/web.env', type: 's3' },
        { value: 'arn:aws:s3:::other-config/web.env', type: 's3' },
      ]);
      expect(result.findings).toMatchObject([
        { severity: 'warning', code: 'S3_OBJECT_NOT_MAPPED', resource: 'arn:aws:s3:::other-config/web.env' },
      ]);
      expect(result.findings[0]?.fix).toContain('mappings.secrets["arn:aws:s3:::other-config"]');
    });

    it('sets AWS_REGION and AWS_DEFAULT_REGION to the DR region', () => {
      const result = retargetTaskDefinition(
        taskDefinition({
          environment: [
            { name: 'AWS_REGION', value: PRIMARY },
            { name: 'AWS_DEFAULT_REGION', value: PRIMARY },
          ],
        }),
        context(),
      );
      expect(container(result).environment).toEqual([
        { name: 'AWS_REGION', value: DR },
        { name: 'AWS_DEFAULT_REGION', value: DR },
      ]);
      expect(result.findings).toEqual([]);
    });

    it('moves an environment value that is a primary-region ARN of the account, with a warning to check it', () => {
      const table = `arn:aws:dynamodb:${PRIMARY}:${ACCOUNT}:table/orders`;
      const result = retargetTaskDefinition(
        taskDefinition({ environment: [{ name: 'ORDERS_TABLE_ARN', value: table }] }),
        context(),
      );
      expect(container(result).environment).toEqual([
        { name: 'ORDERS_TABLE_ARN', value: `arn:aws:dynamodb:${DR}:${ACCOUNT}:table/orders` },
      ]);
      expect(result.findings).toMatchObject([
        { severity: 'warning', code: 'ARN_MOVED_TO_DR_REGION', resource: table },
      ]);
    });

    it('reports free-form values naming the primary region without rewriting them', () => {
      const queue = `https://sqs.${PRIMARY}.amazonaws.com/${ACCOUNT}/orders`;
      const result = retargetTaskDefinition(
        taskDefinition({ environment: [{ name: 'QUEUE_URL', value: queue }] }),
        context(),
      );
      expect(container(result).environment).toEqual([{ name: 'QUEUE_URL', value: queue }]);
      expect(result.findings).toMatchObject([
        {
          severity: 'warning',
          code: 'PRIMARY_REGION_REFERENCE',
          resource: 'containerDefinitions[0].environment[0].value',
        },
      ]);
    });
  });

  describe('EFS volumes', () => {
    const volumes = [
      {
        name: 'uploads',
        efsVolumeConfiguration: {
          fileSystemId: 'fs-source',
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: 'fsap-source', iam: 'ENABLED' },
        },
      },
    ];

    it('moves the file system to its DR replica and lists the access point to create', () => {
      const result = retargetTaskDefinition(
        taskDefinition({}, { volumes }),
        context({ efsFileSystems: { 'fs-source': 'fs-replica' } }),
      );
      expect(result.registerInput.volumes).toEqual([
        {
          name: 'uploads',
          efsVolumeConfiguration: {
            fileSystemId: 'fs-replica',
            transitEncryption: 'ENABLED',
            authorizationConfig: { accessPointId: 'fsap-source', iam: 'ENABLED' },
          },
        },
      ]);
      expect(result.efsFileSystems).toEqual([
        { sourceFileSystemId: 'fs-source', drFileSystemId: 'fs-replica' },
      ]);
      expect(result.pendingAccessPoints).toEqual([
        { sourceAccessPointId: 'fsap-source', sourceFileSystemId: 'fs-source', drFileSystemId: 'fs-replica' },
      ]);
    });

    it('uses an access point a previous restore already made in the DR region', () => {
      const result = retargetTaskDefinition(
        taskDefinition({}, { volumes }),
        context({
          efsFileSystems: { 'fs-source': 'fs-replica' },
          efsAccessPoints: { 'fsap-source': 'fsap-dr' },
        }),
      );
      expect(result.registerInput.volumes).toMatchObject([
        { efsVolumeConfiguration: { authorizationConfig: { accessPointId: 'fsap-dr' } } },
      ]);
      expect(result.pendingAccessPoints).toEqual([]);
    });

    it('blocks a file system that has no DR replica, naming the mapping to add', () => {
      const result = retargetTaskDefinition(taskDefinition({}, { volumes }), context());
      expect(result.findings).toMatchObject([
        { severity: 'error', code: 'EFS_NOT_REPLICATED', resource: 'fs-source' },
      ]);
      expect(result.findings[0]?.fix).toContain('mappings.efsFileSystems["fs-source"]');
    });

    it('substitutes the access points once they exist (applyAccessPointIds)', () => {
      const retargeted = retargetTaskDefinition(
        taskDefinition({}, { volumes }),
        context({ efsFileSystems: { 'fs-source': 'fs-replica' } }),
      );
      const ready = applyAccessPointIds(retargeted.registerInput, { 'fsap-source': 'fsap-new' });
      expect(ready.volumes).toMatchObject([
        {
          efsVolumeConfiguration: {
            fileSystemId: 'fs-replica',
            authorizationConfig: { accessPointId: 'fsap-new' },
          },
        },
      ]);
      expect(retargeted.registerInput.volumes).toMatchObject([
        { efsVolumeConfiguration: { authorizationConfig: { accessPointId: 'fsap-source' } } },
      ]);
    });
  });

  it('keeps the execution and task roles and collects them, bare role names as ARNs', () => {
    const result = retargetTaskDefinition(
      taskDefinition(
        {},
        { executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/web-execution`, taskRoleArn: 'web-task' },
      ),
      context(),
    );
    expect(result.registerInput.executionRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/web-execution`);
    expect(result.registerInput.taskRoleArn).toBe('web-task');
    expect(result.roles).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/web-execution`,
      `arn:aws:iam::${ACCOUNT}:role/web-task`,
    ]);
  });

  it('does not change its input', () => {
    const input = taskDefinition({
      image: ecrUri(PRIMARY, 'shop/web', '1.0.0'),
      secrets: [{ name: 'A', valueFrom: secretArn(PRIMARY, 'a-AbCdEf') }],
    });
    const copy = structuredClone(input);
    retargetTaskDefinition(input, context());
    expect(input).toEqual(copy);
  });

  it('retargets the shop web task definition of a realistic recovery point', () => {
    const manifest = shopFleetManifest();
    const web = manifest.taskDefinitions.find((td) => td.family === 'shop-web');
    if (!web) throw new Error('fixture lacks shop-web');
    const result = retargetTaskDefinition(
      web.registerInput,
      context({
        images: manifest.images,
        efsFileSystems: { 'fs-0123456789abcdef0': 'fs-0fedcba9876543210' },
        drSecretArns: [secretArn(DR, 'shop/db-password-AbCdEf'), secretArn(DR, 'shop/payments-Gh1Jk2')],
        drParameterArns: [parameterArn(DR, 'shop/feature-flags'), parameterArn(DR, 'shop/smtp-password')],
      }),
    );
    expect(result.changes.map((c) => c.path)).toEqual([
      'containerDefinitions[0].image',
      'containerDefinitions[0].secrets[0].valueFrom',
      'containerDefinitions[0].secrets[1].valueFrom',
      'containerDefinitions[0].secrets[2].valueFrom',
      'containerDefinitions[0].environment[1].value',
      'containerDefinitions[0].logConfiguration.options.region',
      'containerDefinitions[1].image',
      'containerDefinitions[1].logConfiguration.options.awslogs-region',
      'containerDefinitions[2].image',
      'containerDefinitions[2].logConfiguration.options.awslogs-region',
      'volumes[0].efsVolumeConfiguration.fileSystemId',
    ]);
    expect(codes(result).sort()).toEqual([
      'warning:IMAGE_UNVERIFIED',
      'warning:PRIMARY_REGION_REFERENCE',
      'warning:S3_OBJECT_NOT_MAPPED',
    ]);
    expect(result.logGroups).toEqual(['/ecs/shop-web', '/ecs/shop-web/app']);
    expect(result.roles).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/shop-web-execution`,
      `arn:aws:iam::${ACCOUNT}:role/shop-web-task`,
    ]);
    expect(JSON.stringify(result.registerInput)).not.toContain(`${ACCOUNT}.dkr.ecr.${PRIMARY}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over arbitrary task definitions

const MAPPED_FS = 'fs-mapped';
const KNOWN_AP = 'fsap-known';
const MAPPED_BUCKET = 'arn:aws:s3:::mapped-bucket';
const regions = fc.constantFrom(PRIMARY, DR, 'eu-west-1');
const accounts = fc.constantFrom(ACCOUNT, ACCOUNT, OTHER_ACCOUNT);
const repositories = fc.constantFrom('shop/web', 'shop/api', 'platform/envoy', 'worker');
const tags = fc.constantFrom('1.0.0', 'latest', 'v2');
const presences = fc.constantFrom<ImageRecord['presence']>(
  'replicated',
  'missing',
  'unverified',
  'already-present',
  'copied',
);

const imageRecords = fc
  .uniqueArray(fc.record({ repository: repositories, tag: tags, presence: presences }), {
    selector: (r) => `${r.repository}:${r.tag}`,
    maxLength: 6,
  })
  .map((records) => records.map((r) => replicatedImage(r.repository, r.tag, r.presence)));

const images = fc.oneof(
  fc.tuple(regions, repositories, tags).map(([region, repository, tag]) => ecrUri(region, repository, tag)),
  fc
    .tuple(repositories, tags)
    .map(([repository, tag]) => `${OTHER_ACCOUNT}.dkr.ecr.${PRIMARY}.amazonaws.com/${repository}:${tag}`),
  fc.constantFrom('docker.io/library/redis:7', 'public.ecr.aws/xray/aws-xray-daemon:3.3.12', 'nginx'),
);

const secretReferences = fc.oneof(
  fc
    .tuple(
      regions,
      accounts,
      fc.constantFrom('db-AbCdEf', 'shop/api-key-Zz9Yy8'),
      fc.constantFrom('', ':password::'),
    )
    .map(([region, account, name, selector]) => `${secretArn(region, name, account)}${selector}`),
  fc
    .tuple(regions, fc.constantFrom('app/db-url', 'flags'))
    .map(([region, name]) => parameterArn(region, name)),
  fc.constantFrom('/app/db-url', 'plain-parameter'),
  fc.string(),
);

const awsArns = fc
  .tuple(
    regions,
    accounts,
    fc.constantFrom('dynamodb', 'sqs', 'sns', 'kinesis'),
    fc.constantFrom('orders', 'table/t1'),
  )
  .map(([region, account, service, resource]) => `arn:aws:${service}:${region}:${account}:${resource}`);

const logConfigurations = fc.oneof(
  fc.record({
    logDriver: fc.constant('awslogs'),
    options: fc.record({ 'awslogs-group': fc.constantFrom('/ecs/a', '/ecs/b'), 'awslogs-region': regions }),
  }),
  fc.record({
    logDriver: fc.constant('awsfirelens'),
    options: fc.record({
      Name: fc.constant('cloudwatch_logs'),
      region: regions,
      log_group_name: fc.constant('/fl'),
    }),
    secretOptions: fc.array(fc.record({ name: fc.constant('token'), valueFrom: secretReferences }), {
      maxLength: 2,
    }),
  }),
  fc.jsonValue(),
);

const sometimes = <T>(arb: fc.Arbitrary<T>) =>
  fc.option(fc.oneof({ weight: 4, arbitrary: arb }, fc.jsonValue()), { nil: undefined });

const containers = fc
  .record(
    {
      name: fc.string({ minLength: 1, maxLength: 8 }),
      image: images,
      secrets: sometimes(
        fc.array(fc.record({ name: fc.string(), valueFrom: secretReferences }), { maxLength: 4 }),
      ),
      environment: sometimes(
        fc.array(
          fc.record({
            name: fc.constantFrom('AWS_REGION', 'AWS_DEFAULT_REGION', 'TABLE', 'OTHER'),
            value: fc.oneof(regions, awsArns, fc.string()),
          }),
          { maxLength: 4 },
        ),
      ),
      environmentFiles: sometimes(
        fc.array(
          fc.record({
            value: fc.constantFrom(`${MAPPED_BUCKET}/a.env`, 'arn:aws:s3:::unmapped/b.env'),
            type: fc.constant('s3'),
          }),
          { maxLength: 2 },
        ),
      ),
      repositoryCredentials: sometimes(fc.record({ credentialsParameter: secretReferences })),
      logConfiguration: sometimes(logConfigurations),
      dockerLabels: sometimes(fc.dictionary(fc.string(), fc.oneof(fc.string(), awsArns))),
      cpu: fc.option(fc.integer({ min: 0, max: 4096 }), { nil: undefined }),
    },
    { requiredKeys: ['name', 'image'] },
  )
  .map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)));

const volumes = fc.array(
  fc.oneof(
    fc.record({
      name: fc.string(),
      efsVolumeConfiguration: fc.record(
        {
          fileSystemId: fc.constantFrom(MAPPED_FS, 'fs-unmapped'),
          authorizationConfig: fc.record({ accessPointId: fc.constantFrom(KNOWN_AP, 'fsap-new') }),
        },
        { requiredKeys: ['fileSystemId'] },
      ),
    }),
    fc.jsonValue(),
  ),
  { maxLength: 3 },
);

const taskDefinitions = fc
  .record(
    {
      family: fc.string({ minLength: 1, maxLength: 12 }),
      containerDefinitions: fc.array(containers, { minLength: 1, maxLength: 4 }),
      volumes: volumes,
      executionRoleArn: fc.constantFrom(`arn:aws:iam::${ACCOUNT}:role/exec`, 'exec-role'),
      taskRoleArn: awsArns,
      extra: fc.jsonValue(),
    },
    { requiredKeys: ['family', 'containerDefinitions'] },
  )
  .map((td) => registerTaskDefinitionInputSchema.parse(td));

const contexts = fc
  .record({
    images: imageRecords,
    knownSecrets: fc.option(fc.constant([secretArn(DR, 'db-AbCdEf'), secretArn(DR, 'shop/api-key-Qq1Ww2')]), {
      nil: undefined,
    }),
    knownParameters: fc.option(fc.constant([parameterArn(DR, 'flags')]), { nil: undefined }),
    mapped: fc.boolean(),
  })
  .map(
    ({ images: records, knownSecrets, knownParameters, mapped }): RetargetContext =>
      context({
        images: records,
        drSecretArns: knownSecrets,
        drParameterArns: knownParameters,
        efsFileSystems: { [MAPPED_FS]: 'fs-replica' },
        efsAccessPoints: { [KNOWN_AP]: 'fsap-dr' },
        secretMappings: {
          [MAPPED_BUCKET]: 'arn:aws:s3:::mapped-bucket-dr',
          ...(mapped ? { [secretArn(PRIMARY, 'db-AbCdEf')]: secretArn(DR, 'db-mapped-QqWwEe') } : {}),
        },
      }),
  );

function leaves(value: unknown, path = ''): { path: string; value: string }[] {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, path === '' ? k : `${path}.${k}`));
  }
  return [];
}

function isPrimaryArnOfAccount(value: string): boolean {
  const arn = parseArn(value);
  return arn?.region === PRIMARY && arn.account === ACCOUNT;
}

function isPrimaryImageOfAccount(value: string): boolean {
  try {
    const ref = parseImageReference(value);
    return ref.kind === 'ecr' && ref.registryId === ACCOUNT && ref.region === PRIMARY;
  } catch {
    return false;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The task definition with every member retargeting may rewrite taken out, and ARNs of the
 * account made region-blind: what must be identical before and after.
 */
function withoutRetargetedMembers(td: RegisterTaskDefinitionInputRecord): unknown {
  const copy = structuredClone(td) as Record<string, unknown>;
  const records = (v: unknown) => (Array.isArray(v) ? v.filter(isObject) : []);
  for (const c of records(copy.containerDefinitions)) {
    delete c.image;
    for (const s of records(c.secrets)) delete s.valueFrom;
    for (const f of records(c.environmentFiles)) delete f.value;
    for (const e of records(c.environment))
      if (e.name === 'AWS_REGION' || e.name === 'AWS_DEFAULT_REGION') delete e.value;
    if (isObject(c.repositoryCredentials)) delete c.repositoryCredentials.credentialsParameter;
    if (isObject(c.logConfiguration)) {
      if (isObject(c.logConfiguration.options)) {
        delete c.logConfiguration.options['awslogs-region'];
        delete c.logConfiguration.options.region;
      }
      for (const s of records(c.logConfiguration.secretOptions)) delete s.valueFrom;
    }
  }
  for (const v of records(copy.volumes)) {
    if (!isObject(v.efsVolumeConfiguration)) continue;
    delete v.efsVolumeConfiguration.fileSystemId;
    if (isObject(v.efsVolumeConfiguration.authorizationConfig)) {
      delete v.efsVolumeConfiguration.authorizationConfig.accessPointId;
    }
  }
  return JSON.parse(
    JSON.stringify(copy, (_key, value) => {
      const arn = typeof value === 'string' ? parseArn(value) : undefined;
      return arn && arn.account === ACCOUNT && (arn.region === PRIMARY || arn.region === DR)
        ? `arn:${arn.partition}:${arn.service}:*:${arn.account}:${arn.resource}`
        : value;
    }),
  );
}

describe('retargetTaskDefinition properties', () => {
  it('leaves no primary-region ARN or primary ECR image of the account, and reports every other primary-region mention', () => {
    fc.assert(
      fc.property(taskDefinitions, contexts, (td, ctx) => {
        const result = retargetTaskDefinition(td, ctx);
        for (const leaf of leaves(result.registerInput)) {
          expect(isPrimaryArnOfAccount(leaf.value), leaf.path).toBe(false);
          if (/^containerDefinitions\[\d+\]\.image$/.test(leaf.path)) {
            expect(isPrimaryImageOfAccount(leaf.value), leaf.path).toBe(false);
          }
          if (mentionsRegion(leaf.value, PRIMARY)) {
            const reported = result.findings.some(
              (f) => f.resource === leaf.value || f.resource === leaf.path,
            );
            expect(reported, `${leaf.path} = ${leaf.value}`).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('changes nothing but the members it retargets', () => {
    fc.assert(
      fc.property(taskDefinitions, contexts, (td, ctx) => {
        const result = retargetTaskDefinition(td, ctx);
        expect(withoutRetargetedMembers(result.registerInput)).toEqual(withoutRetargetedMembers(td));
      }),
      { numRuns: 300 },
    );
  });

  it('records every change it makes: undoing the changes gives back the input', () => {
    fc.assert(
      fc.property(taskDefinitions, contexts, (td, ctx) => {
        const result = retargetTaskDefinition(td, ctx);
        const changed = new Map(result.changes.map((c) => [c.path, c]));
        for (const leaf of leaves(result.registerInput)) {
          const change = changed.get(leaf.path);
          if (change) expect(change.to).toBe(leaf.value);
        }
        const before = new Map(leaves(td).map((l) => [l.path, l.value]));
        for (const leaf of leaves(result.registerInput)) {
          expect(changed.get(leaf.path)?.from ?? leaf.value, leaf.path).toBe(before.get(leaf.path));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent: retargeting twice gives what retargeting once gives', () => {
    fc.assert(
      fc.property(taskDefinitions, contexts, (td, ctx) => {
        const once = retargetTaskDefinition(td, ctx).registerInput;
        const twice = retargetTaskDefinition(once, ctx).registerInput;
        expect(twice).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary shapes that pass the manifest schema', () => {
    const loose = fc
      .record({
        family: fc.string({ minLength: 1 }),
        containerDefinitions: fc.array(
          fc
            .tuple(
              fc.string({ minLength: 1 }),
              fc.string({ minLength: 1 }),
              fc.dictionary(fc.string(), fc.jsonValue()),
            )
            .map(([name, image, rest]) => ({ ...rest, name, image })),
          { minLength: 1, maxLength: 3 },
        ),
        rest: fc.dictionary(fc.string(), fc.jsonValue()),
      })
      .map(({ rest, ...td }) => ({ ...rest, ...td }))
      .filter((td) => registerTaskDefinitionInputSchema.safeParse(td).success)
      .map((td) => registerTaskDefinitionInputSchema.parse(td));
    fc.assert(
      fc.property(loose, contexts, (td, ctx) => {
        expect(() => retargetTaskDefinition(td, ctx)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
