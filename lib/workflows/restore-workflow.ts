import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RECOVERY_POINT_PREFIX, REPORT_PREFIX, RESTORE_RUN_PREFIX } from '../../src/catalog/keys';
import { VOLUME_KEY_ALIAS } from '../../src/catalog/names';
import type { LifeboatConfig } from '../../src/config/schema';
import { restoreConfigOf } from '../../src/config/settings';
import { MANAGED_TAG } from '../../src/volumes/ebs/tags';
import { explicitEnv, InfrastructureError } from '../errors';
import { partitionOf, viaService } from '../names';
import { workflowFunctions, workflowStateMachine } from './workflow-parts';

/** The restore Lambdas: `LIFEBOAT_FUNCTION` value (the handler module `lambda/<name>.ts`) by role. */
export const RESTORE_FUNCTIONS = {
  prepare: 'restore-prepare',
  shared: 'restore-shared',
  service: 'restore-service',
  check: 'restore-check',
  report: 'restore-report',
} as const;
export type RestoreFunctionRole = keyof typeof RESTORE_FUNCTIONS;

/** Error name of the Fail state when any selected service was not restored. */
export const RESTORE_INCOMPLETE_ERROR = 'RestoreIncomplete';

export interface RestoreWorkflowProps {
  /** Validated configuration; passed to the handlers as `LIFEBOAT_CONFIG`. */
  readonly config: LifeboatConfig;

  /** Name of the catalog bucket (in this stack's region). */
  readonly catalogBucketName: string;

  /** Alias of the catalog's KMS key, which also encrypts the report topic. */
  readonly catalogKeyAlias: string;

  /**
   * Alias of the DR-region KMS key the DR snapshot copies are encrypted with; the standalone EBS
   * volumes the restore creates from them are encrypted with it too (`VOLUME_KMS_KEY_ID`).
   *
   * @default 'alias/lifeboat-volumes'
   */
  readonly volumeKeyAlias?: string;

  /** Restore reports are published here. */
  readonly reportTopic: sns.ITopic;

  /** Retention of the Lambda and state machine log groups. */
  readonly logRetention: logs.RetentionDays;

  /**
   * IAM roles the restore may pass to ECS (task roles, execution roles, service roles). The
   * service restore also refuses any role the recovery point does not name.
   *
   * @default - every role of the account (`arn:<partition>:iam::<account>:role/*`), limited by `iam:PassedToService`
   */
  readonly passRoleArns?: readonly string[];

  /**
   * Services restored at once within a wave (Map MaxConcurrency). ECS registers about one task
   * definition per second sustained (burst 20), so more rarely helps.
   *
   * @default 10
   */
  readonly serviceConcurrency?: number;

  /**
   * Pause between two steady-state checks of a wave.
   *
   * @default Duration.seconds(15)
   */
  readonly steadyStateCheckInterval?: Duration;
}

/**
 * The restore workflow (DR region): a Standard Step Functions state machine and its five Lambdas.
 *
 * Prepare (validate, load + verify the recovery point, plan) → dry run? return the plan →
 * PrepareShared (clusters, log groups, EFS) → waves in order, services of a wave in parallel
 * (create its standalone EBS volumes from their DR snapshots, register task definition, create
 * or update the service; a failure is recorded, the others go on) → bounded steady-state polling → Report (catalog + SNS) → Succeed, or Fail
 * `RestoreIncomplete` naming the services not restored.
 */
export class RestoreWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly functions: Readonly<Record<RestoreFunctionRole, lambdaNodejs.NodejsFunction>>;
  public readonly roles: Readonly<Record<RestoreFunctionRole, iam.Role>>;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RestoreWorkflowProps) {
    super(scope, id);
    const { region, account } = explicitEnv(
      this,
      'the restore workflow',
      'its permissions are literal ARNs of that account and region',
    );
    const concurrency = props.serviceConcurrency ?? 10;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 40) {
      throw new InfrastructureError(
        `serviceConcurrency must be a whole number from 1 to 40 (inline Map concurrency limit); got ${concurrency}`,
        this.node.path,
      );
    }
    const interval = props.steadyStateCheckInterval ?? Duration.seconds(15);
    if (interval.toSeconds() < 1) {
      throw new InfrastructureError(
        `steadyStateCheckInterval must be at least 1 second (got ${interval.toHumanString()})`,
        this.node.path,
      );
    }
    if (region !== props.config.drRegion || account !== props.config.account) {
      throw new InfrastructureError(
        `the restore workflow must deploy to the DR region ${props.config.drRegion} of account ${props.config.account} (the stack is ${account}/${region})`,
        this.node.path,
      );
    }

    const volumeKeyAlias = props.volumeKeyAlias ?? VOLUME_KEY_ALIAS;
    if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(volumeKeyAlias) || volumeKeyAlias.startsWith('alias/aws/')) {
      throw new InfrastructureError(
        `volumeKeyAlias must be the alias of a customer managed KMS key such as "${VOLUME_KEY_ALIAS}" (got "${volumeKeyAlias}")`,
        this.node.path,
      );
    }
    const arns = restoreArns(account, region, props);
    const environment: Record<string, string> = {
      LIFEBOAT_CONFIG: JSON.stringify(restoreConfigOf(props.config)),
      CATALOG_BUCKET: props.catalogBucketName,
      CATALOG_KMS_KEY_ID: props.catalogKeyAlias,
      VOLUME_KMS_KEY_ID: volumeKeyAlias,
      REPORT_TOPIC_ARN: props.reportTopic.topicArn,
      POWERTOOLS_SERVICE_NAME: 'lifeboat-restore',
      NODE_OPTIONS: '--enable-source-maps',
    };
    const timeouts: Record<RestoreFunctionRole, Duration> = {
      prepare: Duration.minutes(5),
      shared: Duration.minutes(5),
      service: Duration.minutes(5),
      check: Duration.minutes(1),
      report: Duration.minutes(2),
    };
    const statements = restoreStatements(arns, props, volumeKeyAlias);
    const { functions, roles } = workflowFunctions(
      this,
      RESTORE_FUNCTIONS,
      (role, moduleName) => ({
        description: `Lifeboat restore: ${moduleName}`,
        roleDescription: `Lifeboat restore: ${moduleName}`,
        memorySize: 512,
        timeout: timeouts[role],
        environment: { ...environment, LIFEBOAT_FUNCTION: moduleName },
        statements: statements[role],
        logRetention: props.logRetention,
      }),
      restoreWildcardReasons(arns),
    );
    this.functions = functions;
    this.roles = roles;

    const machine = workflowStateMachine(this, {
      comment: 'Lifeboat restore: relaunch ECS services in the DR region from a recovery point',
      definition: restoreDefinition(this, functions, { concurrency, interval }),
      logRetention: props.logRetention,
      functions: Object.values(functions),
      workflow: 'restore',
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
  }
}

/** The Amazon States Language of the restore workflow, as CDK chainables. */
function restoreDefinition(
  scope: Construct,
  fns: Record<RestoreFunctionRole, lambda.IFunction>,
  opts: { concurrency: number; interval: Duration },
): sfn.IChainable {
  const invoke = (id: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath?: string) =>
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      ...(resultPath ? { resultPath } : {}),
    });

  const prepare = invoke('Prepare', fns.prepare, {
    'input.$': '$',
    'executionName.$': '$$.Execution.Name',
    'startedAt.$': '$$.Execution.StartTime',
  });
  const dryRunPlan = new sfn.Succeed(scope, 'DryRunPlan', {
    comment: 'The plan is the output; nothing was changed.',
  });
  const prepareShared = invoke(
    'PrepareShared',
    fns.shared,
    { 'executionName.$': '$.executionName' },
    '$.shared',
  );

  const restoreService = invoke('RestoreService', fns.service, {
    'executionName.$': '$.executionName',
    'key.$': '$.key',
  });
  const serviceCrashed = new sfn.Pass(scope, 'ServiceCrashed', {
    comment: 'The function failed or timed out: record the service as failed, the others carry on.',
    parameters: {
      'service.$': '$.key',
      status: 'failed',
      error: { 'name.$': '$.error.Error', 'message.$': '$.error.Cause' },
    },
  });
  restoreService.addCatch(serviceCrashed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  const restoreServices = new sfn.Map(scope, 'RestoreServices', {
    itemsPath: '$.services',
    maxConcurrency: opts.concurrency,
    itemSelector: { 'key.$': '$$.Map.Item.Value', 'executionName.$': '$.executionName' },
    resultPath: '$.results',
  });
  restoreServices.itemProcessor(restoreService);

  const checkWave = invoke(
    'CheckWave',
    fns.check,
    {
      'wave.$': '$.wave',
      'results.$': '$.results',
      'previous.$': '$.check',
      'waitForSteadyState.$': '$.waitForSteadyState',
      'steadyStateTimeoutSeconds.$': '$.steadyStateTimeoutSeconds',
    },
    '$.check',
  );
  const waveDone = new sfn.Succeed(scope, 'WaveDone', { outputPath: '$.check.services' });
  const waitBeforeCheck = new sfn.Wait(scope, 'WaitBeforeCheck', {
    time: sfn.WaitTime.duration(opts.interval),
  });
  const waveSettled = new sfn.Choice(scope, 'WaveSettled?')
    .when(sfn.Condition.booleanEquals('$.check.settled', true), waveDone)
    .otherwise(waitBeforeCheck.next(checkWave));
  const restoreWaves = new sfn.Map(scope, 'RestoreWaves', {
    comment: 'Waves in order; the services of a wave in parallel.',
    itemsPath: '$.waves',
    maxConcurrency: 1,
    itemSelector: {
      'wave.$': '$$.Map.Item.Value.wave',
      'services.$': '$$.Map.Item.Value.services',
      'executionName.$': '$.executionName',
      'waitForSteadyState.$': '$.waitForSteadyState',
      'steadyStateTimeoutSeconds.$': '$.steadyStateTimeoutSeconds',
      check: { attempts: 0 },
    },
    resultPath: '$.waveResults',
  });
  restoreWaves.itemProcessor(restoreServices.next(checkWave).next(waveSettled));

  const report = invoke(
    'Report',
    fns.report,
    { 'executionName.$': '$.executionName', 'waves.$': '$.waveResults' },
    '$.report',
  );
  const restored = new sfn.Succeed(scope, 'Restored', { outputPath: '$.report' });
  const incomplete = new sfn.Fail(scope, 'NotAllRestored', {
    error: RESTORE_INCOMPLETE_ERROR,
    causePath: '$.report.cause',
  });
  const allRestored = new sfn.Choice(scope, 'AllRestored?')
    .when(sfn.Condition.booleanEquals('$.report.allRestored', true), restored)
    .otherwise(incomplete);

  return prepare.next(
    new sfn.Choice(scope, 'IsDryRun?')
      .when(sfn.Condition.booleanEquals('$.dryRun', true), dryRunPlan)
      .otherwise(prepareShared.next(restoreWaves).next(report).next(allRestored)),
  );
}

interface RestoreArns {
  readonly partition: string;
  readonly ecsClusters: string;
  readonly ecsServices: string;
  readonly ecsTaskDefinitions: string;
  readonly logGroups: string;
  readonly efsFileSystems: string;
  readonly efsAccessPoints: string;
  readonly volumes: string;
  readonly snapshots: string;
  readonly bucket: string;
  readonly recoveryPoints: string;
  readonly runs: string;
  readonly reports: string;
  readonly keys: string;
  readonly passRoles: readonly string[];
}

function restoreArns(account: string, region: string, props: RestoreWorkflowProps): RestoreArns {
  const p = partitionOf(region);
  const bucket = `arn:${p}:s3:::${props.catalogBucketName}`;
  return {
    partition: p,
    ecsClusters: `arn:${p}:ecs:${region}:${account}:cluster/*`,
    ecsServices: `arn:${p}:ecs:${region}:${account}:service/*`,
    ecsTaskDefinitions: `arn:${p}:ecs:${region}:${account}:task-definition/*`,
    logGroups: `arn:${p}:logs:${region}:${account}:log-group:*`,
    efsFileSystems: `arn:${p}:elasticfilesystem:${region}:${account}:file-system/*`,
    efsAccessPoints: `arn:${p}:elasticfilesystem:${region}:${account}:access-point/*`,
    volumes: `arn:${p}:ec2:${region}:${account}:volume/*`,
    // Snapshot ARNs carry no account.
    snapshots: `arn:${p}:ec2:${region}::snapshot/*`,
    bucket,
    recoveryPoints: `${bucket}/${RECOVERY_POINT_PREFIX}*`,
    runs: `${bucket}/${RESTORE_RUN_PREFIX}*`,
    reports: `${bucket}/${REPORT_PREFIX}*`,
    keys: `arn:${p}:kms:${region}:${account}:key/*`,
    passRoles: props.passRoleArns ?? [`arn:${p}:iam::${account}:role/*`],
  };
}

/** Each restore function's permissions, statement by statement. No action wildcards. */
function restoreStatements(
  arns: RestoreArns,
  props: RestoreWorkflowProps,
  volumeKeyAlias: string,
): Record<RestoreFunctionRole, iam.PolicyStatement[]> {
  const region = props.config.drRegion;
  const inDrRegion = { StringEquals: { 'aws:RequestedRegion': region } };
  const keyVia = (...services: string[]) =>
    new iam.PolicyStatement({
      sid: 'UseCatalogKeyViaAlias',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [arns.keys],
      conditions: {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.catalogKeyAlias },
        StringEquals: {
          'kms:ViaService': services.map((service) => viaService(service, region)),
        },
      },
    });
  const volumeKeyVia = {
    'ForAnyValue:StringEquals': { 'kms:ResourceAliases': volumeKeyAlias },
    StringEquals: { 'kms:ViaService': viaService('ec2', region) },
  };
  const runs = (actions: string[]) =>
    new iam.PolicyStatement({ sid: 'RestoreRunDocuments', actions, resources: [arns.runs] });
  const describeServices = new iam.PolicyStatement({
    sid: 'DescribeDrServices',
    actions: ['ecs:DescribeServices'],
    resources: [arns.ecsServices],
  });
  return {
    prepare: [
      new iam.PolicyStatement({
        sid: 'ReadRecoveryPoints',
        actions: ['s3:GetObject'],
        resources: [arns.recoveryPoints],
      }),
      new iam.PolicyStatement({ sid: 'ListCatalog', actions: ['s3:ListBucket'], resources: [arns.bucket] }),
      runs(['s3:PutObject']),
      keyVia('s3'),
      new iam.PolicyStatement({
        sid: 'ListDrInventory',
        actions: [
          'ecs:ListClusters',
          'ecs:ListServices',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'secretsmanager:ListSecrets',
          'ssm:DescribeParameters',
          'logs:DescribeLogGroups',
          'elasticfilesystem:DescribeAccessPoints',
          'ec2:DescribeAvailabilityZones',
        ],
        resources: ['*'],
        conditions: inDrRegion,
      }),
      new iam.PolicyStatement({
        sid: 'DescribeDrClustersAndServices',
        actions: ['ecs:DescribeClusters', 'ecs:DescribeServices'],
        resources: [arns.ecsClusters, arns.ecsServices],
      }),
    ],
    shared: [
      runs(['s3:GetObject', 's3:PutObject']),
      keyVia('s3'),
      new iam.PolicyStatement({
        sid: 'CreateDrClusters',
        actions: ['ecs:CreateCluster', 'ecs:TagResource'],
        resources: [arns.ecsClusters],
      }),
      new iam.PolicyStatement({
        sid: 'CreateDrLogGroups',
        actions: ['logs:CreateLogGroup'],
        resources: [arns.logGroups],
      }),
      new iam.PolicyStatement({
        sid: 'FailOverEfsReplicas',
        actions: [
          'elasticfilesystem:DescribeReplicationConfigurations',
          'elasticfilesystem:DeleteReplicationConfiguration',
          'elasticfilesystem:DescribeAccessPoints',
          'elasticfilesystem:CreateAccessPoint',
          'elasticfilesystem:TagResource',
        ],
        resources: [arns.efsFileSystems, arns.efsAccessPoints],
      }),
    ],
    service: [
      runs(['s3:GetObject']),
      keyVia('s3'),
      new iam.PolicyStatement({
        sid: 'RegisterTaskDefinitions',
        actions: ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'],
        resources: ['*'],
        conditions: inDrRegion,
      }),
      new iam.PolicyStatement({
        sid: 'TagTaskDefinitions',
        actions: ['ecs:TagResource'],
        resources: [arns.ecsTaskDefinitions, arns.ecsServices],
      }),
      new iam.PolicyStatement({
        sid: 'CreateOrUpdateDrServices',
        actions: ['ecs:DescribeServices', 'ecs:CreateService', 'ecs:UpdateService'],
        resources: [arns.ecsServices],
      }),
      new iam.PolicyStatement({
        sid: 'CreateRestoredVolumes',
        actions: ['ec2:CreateVolume'],
        resources: [arns.volumes],
        conditions: { StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' } },
      }),
      new iam.PolicyStatement({
        sid: 'CreateVolumesFromDrSnapshots',
        actions: ['ec2:CreateVolume'],
        resources: [arns.snapshots],
      }),
      new iam.PolicyStatement({
        sid: 'TagRestoredVolumes',
        actions: ['ec2:CreateTags'],
        resources: [arns.volumes],
        conditions: { StringEquals: { 'ec2:CreateAction': 'CreateVolume' } },
      }),
      new iam.PolicyStatement({
        sid: 'FindRestoredVolumes',
        actions: ['ec2:DescribeVolumes'],
        resources: ['*'],
        conditions: inDrRegion,
      }),
      new iam.PolicyStatement({
        sid: 'UseVolumeKeyViaEc2',
        actions: [
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        resources: [arns.keys],
        conditions: volumeKeyVia,
      }),
      new iam.PolicyStatement({
        sid: 'GrantVolumeKeyToEc2',
        actions: ['kms:CreateGrant'],
        resources: [arns.keys],
        conditions: { ...volumeKeyVia, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
      new iam.PolicyStatement({
        sid: 'PassTaskAndServiceRoles',
        actions: ['iam:PassRole'],
        resources: [...arns.passRoles],
        conditions: {
          StringEquals: { 'iam:PassedToService': ['ecs-tasks.amazonaws.com', 'ecs.amazonaws.com'] },
        },
      }),
    ],
    check: [describeServices],
    report: [
      runs(['s3:GetObject']),
      new iam.PolicyStatement({ sid: 'WriteReports', actions: ['s3:PutObject'], resources: [arns.reports] }),
      keyVia('s3', 'sns'),
      new iam.PolicyStatement({
        sid: 'PublishReports',
        actions: ['sns:Publish'],
        resources: [props.reportTopic.topicArn],
      }),
    ],
  };
}

/** The reason for each cdk-nag IAM5 finding of the literal wildcard ARNs above. */
function restoreWildcardReasons(arns: RestoreArns): Record<string, string> {
  const reasons: Record<string, string> = {
    '*': 'ECS/EC2/Secrets Manager/SSM/Logs/EFS list and describe calls (ec2:DescribeVolumes and ec2:DescribeAvailabilityZones included) and ecs:RegisterTaskDefinition support no resource-level permissions; each such statement is limited to the DR region by aws:RequestedRegion.',
    [arns.ecsClusters]:
      'The restore creates and describes the clusters the recovery point names, which are only known at run time; limited to the DR region and account.',
    [arns.ecsServices]:
      'The restore creates, updates and describes the services the recovery point names, known at run time; limited to the DR region and account.',
    [arns.ecsTaskDefinitions]:
      'Registered task definition families come from the recovery point; tagging is limited to the DR region and account.',
    [arns.logGroups]: 'Log groups the restored task definitions write to are named by the recovery point.',
    [arns.efsFileSystems]: 'The DR EFS replicas to fail over are named by the recovery point.',
    [arns.efsAccessPoints]: 'Access points are created on the DR replicas the recovery point names.',
    [arns.recoveryPoints]:
      'Any recovery point may be restored; access is limited to this prefix of the catalog.',
    [arns.runs]: 'Restore run documents are keyed by execution name; access is limited to this prefix.',
    [arns.reports]: 'Report keys are generated per execution; access is limited to this prefix.',
    [arns.keys]:
      'The catalog and volume keys are addressed by alias only; each statement is limited by kms:ResourceAliases to its alias and by kms:ViaService to the service that uses the key.',
    [arns.volumes]:
      'Standalone EBS volumes are created from the DR snapshots the recovery point names; CreateVolume requires the lifeboat:managed=true request tag and CreateTags is limited to CreateVolume, in the DR region and account.',
    [arns.snapshots]:
      'The DR snapshots to create volumes from are named by the recovery point, known at run time; limited to the DR region.',
  };
  for (const passRole of arns.passRoles) {
    reasons[passRole] =
      'The task and execution roles are named by the recovery point; iam:PassRole is limited by iam:PassedToService to ECS, and the restore refuses roles the recovery point does not name.';
  }
  return reasons;
}
