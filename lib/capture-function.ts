import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RECOVERY_POINT_PREFIX, STAGING_PREFIX } from '../src/core/catalog-keys';
import type { LifeboatConfig } from '../src/core/config';
import { InfrastructureError } from './errors';
import { lambdaEntry } from './lambda-defaults';
import { domainSuffixOf, partitionOf } from './names';

/** Lambda limits the environment of a function to 4 KB in total (keys and values). */
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/** Where the capture writes its recovery points. */
export interface CatalogLocation {
  /** Name of the catalog bucket (in `region`). */
  readonly bucketName: string;

  /** Alias of the KMS key the catalog bucket is encrypted with, e.g. `alias/lifeboat-catalog`. */
  readonly keyAlias: string;

  /** Region of the catalog (the DR region). */
  readonly region: string;
}

export interface CaptureFunctionProps {
  /** Validated configuration; passed to the handler as `LIFEBOAT_CONFIG`. */
  readonly config: LifeboatConfig;

  /** The catalog the recovery points are committed to. */
  readonly catalog: CatalogLocation;

  /** Retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;

  /**
   * Receives the event of every asynchronous invocation that failed (the scheduled runs are
   * asynchronous). Failed runs are not retried: the next scheduled run takes a fresh recovery point.
   *
   * @default - failures are only visible in the logs and the function's Errors metric
   */
  readonly failureQueue?: sqs.IQueue;
}

/**
 * The capture Lambda (`lambda/capture.ts`): reads the ECS fleet in the primary region and
 * commits a recovery point to the catalog. Bundled locally with esbuild (the AWS SDK included),
 * Node.js 22 on ARM64, with its own log group and a role that holds only what capture calls.
 */
export class CaptureFunction extends Construct {
  public readonly function: lambdaNodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CaptureFunctionProps) {
    super(scope, id);
    const { config, catalog } = props;
    const { region, account } = Stack.of(this);
    if (Token.isUnresolved(region) || Token.isUnresolved(account)) {
      throw new InfrastructureError(
        'the capture function needs a stack with an explicit env (account and region): its permissions are literal ARNs of that account and region',
        this.node.path,
      );
    }

    const environment: Record<string, string> = {
      LIFEBOAT_CONFIG: JSON.stringify(config),
      CATALOG_BUCKET: catalog.bucketName,
      CATALOG_KMS_KEY_ID: catalog.keyAlias,
      POWERTOOLS_SERVICE_NAME: 'lifeboat-capture',
      POWERTOOLS_METRICS_NAMESPACE: 'Lifeboat',
      // The bundle ships a source map; this makes stack traces in the logs point at the TypeScript.
      NODE_OPTIONS: '--enable-source-maps',
    };
    const environmentBytes = Object.entries(environment).reduce(
      (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
      0,
    );
    if (environmentBytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
      throw new InfrastructureError(
        `the capture function's environment is ${environmentBytes} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit; ` +
          'LIFEBOAT_CONFIG carries the whole configuration: shorten lifeboat.mappings or lifeboat.selection',
        this.node.path,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention });

    const arns = captureArns({ account, primaryRegion: region, catalog });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lifeboat capture: reads the ECS fleet and writes recovery points to the catalog',
    });
    for (const statement of captureStatements(arns, {
      primaryRegion: region,
      catalog,
      logGroupArn: this.logGroup.logGroupArn,
    })) {
      this.role.addToPrincipalPolicy(statement);
    }

    // A policy of its own: what the backup needs to make images present in the DR registry.
    const imagePolicy = new iam.Policy(this, 'ImagePolicy', {
      roles: [this.role],
      statements: imageStatements(arns, region),
    });

    this.function = new lambdaNodejs.NodejsFunction(this, 'Function', {
      description: 'Lifeboat capture: ECS fleet configuration to a recovery point',
      ...lambdaEntry('capture'),
      memorySize: 512,
      timeout: Duration.minutes(15),
      role: this.role,
      logGroup: this.logGroup,
      environment,
      retryAttempts: 0,
      onFailure: props.failureQueue ? new SqsDestination(props.failureQueue) : undefined,
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is pinned on purpose: the bundle is built for it (esbuild target node22) and the test suite runs the handler on Node.js 20/22; move to a newer runtime deliberately.',
    });

    const reasons: Record<string, string> = {
      '*': 'ecs:ListClusters, ecs:ListServices, ecs:DescribeTaskDefinition, ec2:DescribeSubnets, ec2:DescribeSecurityGroups, ecr:DescribeRegistry and ecr:StartReplicationBackfill support no resource-level permissions (the last two act on the registry); each such statement is limited to the primary region by aws:RequestedRegion.',
      [arns.ecsClusters]:
        'Capture describes every cluster of the account in the primary region; which ones are backed up is decided by the selection in the configuration, at run time.',
      [arns.ecsServices]:
        'Capture describes every service of the listed clusters; the selection is applied at run time.',
      [arns.ecrRepositories]:
        'Task definitions may reference any repository of the account; capture resolves each referenced tag to a digest (read-only).',
      [arns.ecrDrRepositories]:
        'The backup makes every image the fleet runs present in the DR registry: it checks, creates (same name as the source) and copies into any repository of the account in the DR region; no other region.',
      [arns.recoveryPoints]:
        'Recovery point keys are generated per run (inverted timestamp and id); access is limited to this prefix of the catalog bucket.',
      [arns.staging]:
        'Staging keys are generated per run; access is limited to this prefix of the catalog bucket.',
      [arns.catalogKeys]:
        'The catalog key lives in the DR region stack and is addressed by alias only (no cross-region reference); the statement is limited by kms:ResourceAliases to that alias and by kms:ViaService to S3 in the DR region.',
    };
    for (const [finding, reason] of Object.entries(reasons)) {
      Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${finding}]`, reason });
      Validations.of(imagePolicy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${finding}]`, reason });
    }
  }
}

/** The resources the capture role is granted, as literal ARNs. */
interface CaptureArns {
  readonly ecsClusters: string;
  readonly ecsServices: string;
  readonly ecrRepositories: string;
  readonly ecrDrRepositories: string;
  readonly bucket: string;
  readonly recoveryPoints: string;
  readonly staging: string;
  readonly catalogKeys: string;
}

function captureArns(inputs: {
  account: string;
  primaryRegion: string;
  catalog: CatalogLocation;
}): CaptureArns {
  const { account, primaryRegion, catalog } = inputs;
  const partition = partitionOf(primaryRegion);
  const bucket = `arn:${partitionOf(catalog.region)}:s3:::${catalog.bucketName}`;
  return {
    ecsClusters: `arn:${partition}:ecs:${primaryRegion}:${account}:cluster/*`,
    ecsServices: `arn:${partition}:ecs:${primaryRegion}:${account}:service/*`,
    ecrRepositories: `arn:${partition}:ecr:${primaryRegion}:${account}:repository/*`,
    ecrDrRepositories: `arn:${partitionOf(catalog.region)}:ecr:${catalog.region}:${account}:repository/*`,
    bucket,
    recoveryPoints: `${bucket}/${RECOVERY_POINT_PREFIX}*`,
    staging: `${bucket}/${STAGING_PREFIX}*`,
    catalogKeys: `arn:${partitionOf(catalog.region)}:kms:${catalog.region}:${account}:key/*`,
  };
}

/** The capture role's permissions, statement by statement. No action wildcards. */
function captureStatements(
  arns: CaptureArns,
  inputs: { primaryRegion: string; catalog: CatalogLocation; logGroupArn: string },
): iam.PolicyStatement[] {
  const { primaryRegion, catalog } = inputs;
  const inPrimaryRegion = { StringEquals: { 'aws:RequestedRegion': primaryRegion } };
  return [
    new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [inputs.logGroupArn],
    }),
    new iam.PolicyStatement({
      sid: 'ListEcsClustersAndServices',
      actions: ['ecs:ListClusters', 'ecs:ListServices'],
      resources: ['*'],
      conditions: inPrimaryRegion,
    }),
    new iam.PolicyStatement({
      sid: 'DescribeEcsClustersAndServices',
      actions: ['ecs:DescribeClusters', 'ecs:DescribeServices'],
      resources: [arns.ecsClusters, arns.ecsServices],
    }),
    new iam.PolicyStatement({
      sid: 'DescribeEcsTaskDefinitions',
      actions: ['ecs:DescribeTaskDefinition'],
      resources: ['*'],
      conditions: inPrimaryRegion,
    }),
    new iam.PolicyStatement({
      sid: 'ResolveEcrImageDigests',
      actions: ['ecr:BatchGetImage', 'ecr:DescribeImages'],
      resources: [arns.ecrRepositories],
    }),
    new iam.PolicyStatement({
      sid: 'DescribeServiceNetworks',
      actions: ['ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'],
      resources: ['*'],
      conditions: inPrimaryRegion,
    }),
    new iam.PolicyStatement({
      sid: 'ReadWriteCatalogObjects',
      actions: ['s3:PutObject', 's3:GetObject'],
      resources: [arns.recoveryPoints, arns.staging],
    }),
    new iam.PolicyStatement({
      sid: 'ListCatalog',
      actions: ['s3:ListBucket'],
      resources: [arns.bucket],
    }),
    new iam.PolicyStatement({
      sid: 'UseCatalogKeyThroughS3',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [arns.catalogKeys],
      conditions: {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': catalog.keyAlias },
        StringEquals: { 'kms:ViaService': `s3.${catalog.region}.${domainSuffixOf(catalog.region)}` },
      },
    }),
  ];
}

/**
 * Copying images: read in the primary registry; check, create and write in the DR registry.
 * (ecr:DescribeRegistry and ecr:StartReplicationBackfill are not granted: without them the
 * backup notes that it could not read the replication rules and copies instead.)
 */
function imageStatements(arns: CaptureArns, primaryRegion: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'StartEcrReplicationBackfill',
      actions: ['ecr:DescribeRegistry', 'ecr:StartReplicationBackfill'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': primaryRegion } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadEcrImagesToCopy',
      actions: ['ecr:GetDownloadUrlForLayer', 'ecr:DescribeRepositories'],
      resources: [arns.ecrRepositories],
    }),
    new iam.PolicyStatement({
      sid: 'VerifyAndCopyImagesInDrRegistry',
      actions: [
        'ecr:BatchGetImage',
        'ecr:DescribeImages',
        'ecr:CreateRepository',
        'ecr:TagResource',
        'ecr:BatchCheckLayerAvailability',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:PutImage',
      ],
      resources: [arns.ecrDrRepositories],
    }),
  ];
}
