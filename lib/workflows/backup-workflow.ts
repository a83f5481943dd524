import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RECOVERY_POINT_PREFIX, STAGING_PREFIX } from '../../src/catalog/keys';
import type { LifeboatConfig } from '../../src/config/schema';
import { MANAGED_TAG } from '../../src/volumes/ebs/tags';
import { explicitEnv, InfrastructureError } from '../errors';
import { BACKUP_STATE_MACHINE_NAME, partitionOf, viaService } from '../names';
import { acknowledgeWildcards, workflowFunctions, workflowStateMachine } from './workflow-parts';

/** The backup Lambdas: `LIFEBOAT_FUNCTION` value (the handler module `lambda/<name>.ts`) by role. */
export const BACKUP_FUNCTIONS = {
  capture: 'capture',
  volumes: 'backup-volumes',
  commit: 'backup-commit',
} as const;
export type BackupFunctionRole = keyof typeof BACKUP_FUNCTIONS;

/** How long one backup execution may run: copying a large volume across regions can take hours. */
export const BACKUP_TIMEOUT = Duration.hours(24);

/** Where the backup stages its work and commits the recovery points. */
export interface CatalogLocation {
  /** Name of the catalog bucket (in `region`). */
  readonly bucketName: string;

  /** Alias of the KMS key the catalog bucket is encrypted with, e.g. `alias/lifeboat-catalog`. */
  readonly keyAlias: string;

  /** Region of the catalog (the DR region). */
  readonly region: string;
}

export interface BackupWorkflowProps {
  /** Validated configuration; passed to the handlers as `LIFEBOAT_CONFIG`. */
  readonly config: LifeboatConfig;

  /** The catalog the recovery points are staged in and committed to. */
  readonly catalog: CatalogLocation;

  /**
   * Alias of the KMS key in the DR region (`catalog.region`) that the DR copies of the EBS
   * snapshots are encrypted with, e.g. `alias/lifeboat-volumes` (the RecoveryStack creates it).
   */
  readonly volumeKeyAlias: string;

  /** Retention of the Lambda and state machine log groups. */
  readonly logRetention: logs.RetentionDays;

  /**
   * Receives an EventBridge event for every backup execution that failed, timed out or was
   * aborted (no recovery point was committed by it).
   *
   * @default - failures are only visible in the state machine's metrics and logs
   */
  readonly failureQueue?: sqs.IQueue;
}

/**
 * The backup workflow (primary region): a Standard Step Functions state machine and its three
 * Lambdas.
 *
 * Capture (ECS configuration, images, EBS snapshots started; staged in the catalog) → copies done?
 * → Commit (seal, commit, retention); otherwise Wait `volumes.ebs.pollSeconds` → CopyVolumes (one
 * tick of the DR copies) → copies done? … Each execution takes its own recovery point, so two
 * overlapping executions do not interfere (EventBridge Scheduler cannot skip a run while one is
 * still going; a run that takes longer than the schedule interval overlaps the next one).
 */
export class BackupWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly functions: Readonly<Record<BackupFunctionRole, lambdaNodejs.NodejsFunction>>;
  public readonly roles: Readonly<Record<BackupFunctionRole, iam.Role>>;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BackupWorkflowProps) {
    super(scope, id);
    const { config, catalog } = props;
    const { region, account } = explicitEnv(
      this,
      'the backup workflow',
      'its permissions are literal ARNs of that account and region',
    );
    if (region !== config.primaryRegion || account !== config.account) {
      throw new InfrastructureError(
        `the backup workflow must deploy to the primary region ${config.primaryRegion} of account ${config.account} (the stack is ${account}/${region})`,
        this.node.path,
      );
    }
    if (catalog.region !== config.drRegion) {
      throw new InfrastructureError(
        `catalog.region must be the DR region ${config.drRegion} (got ${catalog.region}): the catalog and the volume key live there`,
        this.node.path,
      );
    }

    const environment: Record<string, string> = {
      LIFEBOAT_CONFIG: JSON.stringify(config),
      CATALOG_BUCKET: catalog.bucketName,
      CATALOG_KMS_KEY_ID: catalog.keyAlias,
      VOLUME_KMS_KEY_ID: props.volumeKeyAlias,
      POWERTOOLS_METRICS_NAMESPACE: 'Lifeboat',
      // The bundle ships a source map; this makes stack traces in the logs point at the TypeScript.
      NODE_OPTIONS: '--enable-source-maps',
    };

    const arns = backupArns(account, props);
    const statements = backupStatements(arns, props);
    const settings: Record<
      BackupFunctionRole,
      { description: string; memorySize: number; timeout: Duration }
    > = {
      capture: {
        description:
          'ECS fleet configuration and images to a staged recovery point; starts the EBS snapshots',
        memorySize: 512,
        timeout: Duration.minutes(15),
      },
      volumes: {
        // The block engine moves 512 KiB blocks through memory; more memory also means more CPU.
        description: 'one tick of the EBS snapshot copies to the DR region (resumable)',
        memorySize: 1024,
        timeout: Duration.minutes(15),
      },
      commit: {
        description: 'seals and commits the recovery point, then applies retention',
        memorySize: 512,
        timeout: Duration.minutes(15),
      },
    };

    const wildcardReasons = backupWildcardReasons(arns);
    const { functions, roles } = workflowFunctions(
      this,
      BACKUP_FUNCTIONS,
      (role, moduleName) => ({
        description: `Lifeboat ${moduleName}: ${settings[role].description}`,
        roleDescription: `Lifeboat backup: ${moduleName}`,
        memorySize: settings[role].memorySize,
        timeout: settings[role].timeout,
        environment: {
          ...environment,
          POWERTOOLS_SERVICE_NAME: `lifeboat-${moduleName}`,
          LIFEBOAT_FUNCTION: moduleName,
        },
        statements: statements[role],
        logRetention: props.logRetention,
      }),
      wildcardReasons,
    );
    // What the backup needs to make images present in the DR registry, in a policy of its own
    // (the capture role's default policy is already long).
    const imagePolicy = new iam.Policy(this, 'CaptureImagePolicy', {
      roles: [roles.capture],
      statements: imageStatements(arns, config.primaryRegion),
    });
    acknowledgeWildcards(imagePolicy, wildcardReasons);
    this.functions = functions;
    this.roles = roles;

    const machine = workflowStateMachine(this, {
      stateMachineName: BACKUP_STATE_MACHINE_NAME,
      comment: 'Lifeboat backup: capture the ECS fleet, copy its EBS snapshots to the DR region, commit',
      definition: backupDefinition(this, functions, Duration.seconds(config.volumes.ebs.pollSeconds)),
      timeout: BACKUP_TIMEOUT,
      logRetention: props.logRetention,
      functions: Object.values(functions),
      workflow: 'backup',
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;

    if (props.failureQueue) {
      new events.Rule(this, 'FailedExecutions', {
        description:
          'Lifeboat: a backup execution failed, timed out or was aborted (no recovery point from it)',
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          detail: {
            status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
            stateMachineArn: [this.stateMachine.stateMachineArn],
          },
        },
        targets: [new eventsTargets.SqsQueue(props.failureQueue)],
      });
    }
  }
}

/** Lambda service errors worth retrying (the function did not run, or its result was lost). */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];

/** The Amazon States Language of the backup workflow, as CDK chainables. */
function backupDefinition(
  scope: Construct,
  fns: Record<BackupFunctionRole, lambda.IFunction>,
  pollInterval: Duration,
): sfn.IChainable {
  const invoke = (id: string, fn: lambda.IFunction, payload: Record<string, unknown>, comment: string) => {
    const task = new tasks.LambdaInvoke(scope, id, {
      comment,
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    task.addRetry({
      errors: LAMBDA_SERVICE_ERRORS,
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
      maxDelay: Duration.minutes(1),
      jitterStrategy: sfn.JitterType.FULL,
    });
    return task;
  };
  const byId = { 'recoveryPointId.$': '$.recoveryPointId' };

  const capture = invoke(
    'Capture',
    fns.capture,
    {},
    'Captures the fleet, stages the recovery point and starts the EBS snapshots; returns { recoveryPointId, done, … }.',
  );
  const copyVolumes = invoke(
    'CopyVolumes',
    fns.volumes,
    byId,
    'One tick: starts queued DR copies, records finished ones; returns { recoveryPointId, done, counts }.',
  );
  // A tick keeps its state in the catalog (staging) and is safe to run again.
  copyVolumes.addRetry({
    errors: ['States.TaskFailed', 'States.Timeout'],
    interval: Duration.seconds(30),
    maxAttempts: 2,
    backoffRate: 2,
  });
  const commit = invoke(
    'Commit',
    fns.commit,
    byId,
    'Seals and commits the recovery point (partial if a volume failed), then applies retention.',
  );
  const wait = new sfn.Wait(scope, 'WaitForCopies', {
    comment: 'lifeboat.volumes.ebs.pollSeconds between two ticks',
    time: sfn.WaitTime.duration(pollInterval),
  });
  const copiesDone = new sfn.Choice(scope, 'VolumesCopied?', {
    comment: 'Commit once no volume is being snapshotted, queued or copied.',
  });
  // The wait comes before each tick: the snapshots get time to progress, and the tick that
  // finds the last copy done goes straight to Commit.
  copiesDone.when(sfn.Condition.booleanEquals('$.done', true), commit).otherwise(wait);
  wait.next(copyVolumes).next(copiesDone);
  return capture.next(copiesDone);
}

/** The resources the backup roles are granted, as literal ARNs. */
interface BackupArns {
  readonly ecsClusters: string;
  readonly ecsServices: string;
  readonly ecsTasks: string;
  readonly ecrRepositories: string;
  readonly ecrDrRepositories: string;
  readonly primaryVolumes: string;
  /** EC2 snapshot ARNs have no account: `arn:<partition>:ec2:<region>::snapshot/<id>`. */
  readonly primarySnapshots: string;
  readonly drSnapshots: string;
  readonly primaryKeys: string;
  readonly drKeys: string;
  readonly bucket: string;
  readonly recoveryPoints: string;
  readonly staging: string;
}

function backupArns(account: string, props: BackupWorkflowProps): BackupArns {
  const { primaryRegion, drRegion } = props.config;
  const p = partitionOf(primaryRegion);
  const d = partitionOf(drRegion);
  const bucket = `arn:${d}:s3:::${props.catalog.bucketName}`;
  return {
    ecsClusters: `arn:${p}:ecs:${primaryRegion}:${account}:cluster/*`,
    ecsServices: `arn:${p}:ecs:${primaryRegion}:${account}:service/*`,
    ecsTasks: `arn:${p}:ecs:${primaryRegion}:${account}:task/*`,
    ecrRepositories: `arn:${p}:ecr:${primaryRegion}:${account}:repository/*`,
    ecrDrRepositories: `arn:${d}:ecr:${drRegion}:${account}:repository/*`,
    primaryVolumes: `arn:${p}:ec2:${primaryRegion}:${account}:volume/*`,
    primarySnapshots: `arn:${p}:ec2:${primaryRegion}::snapshot/*`,
    drSnapshots: `arn:${d}:ec2:${drRegion}::snapshot/*`,
    primaryKeys: `arn:${p}:kms:${primaryRegion}:${account}:key/*`,
    drKeys: `arn:${d}:kms:${drRegion}:${account}:key/*`,
    bucket,
    recoveryPoints: `${bucket}/${RECOVERY_POINT_PREFIX}*`,
    staging: `${bucket}/${STAGING_PREFIX}*`,
  };
}

/** Each backup function's permissions, statement by statement. No action wildcards. */
function backupStatements(
  arns: BackupArns,
  props: BackupWorkflowProps,
): Record<BackupFunctionRole, iam.PolicyStatement[]> {
  const { config, catalog } = props;
  const { primaryRegion, drRegion } = config;
  const inPrimaryRegion = { StringEquals: { 'aws:RequestedRegion': primaryRegion } };
  const inBothRegions = { StringEquals: { 'aws:RequestedRegion': [primaryRegion, drRegion] } };
  const managedOnCreate = { StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' } };
  const block = config.volumes.ebs.engine === 'block';

  const stagingObjects = new iam.PolicyStatement({
    sid: 'ReadWriteStaging',
    actions: ['s3:GetObject', 's3:PutObject'],
    resources: [arns.staging],
  });
  const listCatalog = new iam.PolicyStatement({
    sid: 'ListCatalog',
    actions: ['s3:ListBucket'],
    resources: [arns.bucket],
  });
  const catalogKey = new iam.PolicyStatement({
    sid: 'UseCatalogKeyThroughS3',
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resources: [arns.drKeys],
    conditions: {
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': catalog.keyAlias },
      StringEquals: { 'kms:ViaService': viaService('s3', catalog.region) },
    },
  });
  const describeSnapshots = (sid: string, conditions: Record<string, unknown>) =>
    new iam.PolicyStatement({ sid, actions: ['ec2:DescribeSnapshots'], resources: ['*'], conditions });

  // Snapshot copies (and, with the block engine, EBS direct writes) use the volume key in the
  // DR region, addressed by alias: an alias ARN does not authorise, so `key/*` + ResourceAliases.
  const drVia = block
    ? [viaService('ec2', drRegion), viaService('ebs', drRegion)]
    : viaService('ec2', drRegion);
  const primaryVia = block
    ? [viaService('ec2', primaryRegion), viaService('ebs', primaryRegion)]
    : viaService('ec2', primaryRegion);
  const volumeKeyConditions = {
    'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.volumeKeyAlias },
    StringEquals: { 'kms:ViaService': drVia },
  };
  const volumes: iam.PolicyStatement[] = [
    describeSnapshots('DescribeSnapshots', inBothRegions),
    new iam.PolicyStatement({
      sid: 'CopyPrimarySnapshots',
      actions: ['ec2:CopySnapshot'],
      resources: [arns.primarySnapshots],
    }),
    new iam.PolicyStatement({
      sid: 'CreateManagedDrCopies',
      actions: ['ec2:CopySnapshot'],
      resources: [arns.drSnapshots],
      conditions: managedOnCreate,
    }),
    new iam.PolicyStatement({
      sid: 'TagDrCopies',
      actions: ['ec2:CreateTags'],
      resources: [arns.drSnapshots],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } },
    }),
    new iam.PolicyStatement({
      sid: 'UseVolumeKey',
      actions: [
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:GenerateDataKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
      ],
      resources: [arns.drKeys],
      conditions: volumeKeyConditions,
    }),
    new iam.PolicyStatement({
      sid: 'GrantVolumeKeyToEbs',
      actions: ['kms:CreateGrant'],
      resources: [arns.drKeys],
      conditions: { ...volumeKeyConditions, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
    // Encrypted source volumes: their snapshots are decrypted with the source key for the copy.
    new iam.PolicyStatement({
      sid: 'DecryptSourceSnapshots',
      actions: [
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
      ],
      resources: [arns.primaryKeys],
      conditions: { StringEquals: { 'kms:ViaService': primaryVia } },
    }),
    new iam.PolicyStatement({
      sid: 'GrantSourceKeysToEbs',
      actions: ['kms:CreateGrant'],
      resources: [arns.primaryKeys],
      conditions: {
        StringEquals: { 'kms:ViaService': primaryVia },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    }),
    ...(block
      ? [
          new iam.PolicyStatement({
            sid: 'ReadPrimarySnapshotBlocks',
            actions: ['ebs:ListSnapshotBlocks', 'ebs:ListChangedBlocks', 'ebs:GetSnapshotBlock'],
            resources: [arns.primarySnapshots],
          }),
          new iam.PolicyStatement({
            sid: 'StartManagedDrSnapshots',
            actions: ['ebs:StartSnapshot'],
            resources: [arns.drSnapshots],
            conditions: managedOnCreate,
          }),
          new iam.PolicyStatement({
            sid: 'WriteDrSnapshotBlocks',
            actions: ['ebs:PutSnapshotBlock', 'ebs:CompleteSnapshot'],
            resources: [arns.drSnapshots],
          }),
          // StartSnapshot takes a key ARN: the handler resolves the alias itself (DescribeKey).
          new iam.PolicyStatement({
            sid: 'ResolveVolumeKeyArn',
            actions: ['kms:DescribeKey'],
            resources: [arns.drKeys],
            conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.volumeKeyAlias } },
          }),
        ]
      : []),
    stagingObjects,
    listCatalog,
    catalogKey,
  ];

  return {
    capture: [
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
        sid: 'ListServiceTasks',
        actions: ['ecs:ListTasks'],
        resources: ['*'],
        conditions: { ...inPrimaryRegion, ArnLike: { 'ecs:cluster': arns.ecsClusters } },
      }),
      new iam.PolicyStatement({
        sid: 'DescribeServiceTasks',
        actions: ['ecs:DescribeTasks'],
        resources: [arns.ecsTasks],
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
        sid: 'DescribeVolumesAndSnapshots',
        actions: ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'],
        resources: ['*'],
        conditions: inPrimaryRegion,
      }),
      new iam.PolicyStatement({
        sid: 'SnapshotVolumes',
        actions: ['ec2:CreateSnapshot'],
        resources: [arns.primaryVolumes],
      }),
      new iam.PolicyStatement({
        sid: 'CreateManagedSnapshots',
        actions: ['ec2:CreateSnapshot'],
        resources: [arns.primarySnapshots],
        conditions: managedOnCreate,
      }),
      new iam.PolicyStatement({
        sid: 'TagNewSnapshots',
        actions: ['ec2:CreateTags'],
        resources: [arns.primarySnapshots],
        conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } },
      }),
      stagingObjects,
      listCatalog,
      catalogKey,
    ],
    volumes,
    commit: [
      new iam.PolicyStatement({
        sid: 'ReadStagedBackupAndRecoveryPoints',
        actions: ['s3:GetObject'],
        resources: [arns.recoveryPoints, arns.staging],
      }),
      new iam.PolicyStatement({
        sid: 'CommitAndExpireRecoveryPoints',
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [arns.recoveryPoints],
      }),
      listCatalog,
      catalogKey,
      describeSnapshots('DescribeSnapshots', inBothRegions),
      new iam.PolicyStatement({
        sid: 'DeleteManagedSnapshots',
        actions: ['ec2:DeleteSnapshot'],
        resources: [arns.primarySnapshots, arns.drSnapshots],
        conditions: { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } },
      }),
    ],
  };
}

/**
 * Copying images: read in the primary registry; check, create and write in the DR registry.
 * (Without ecr:DescribeRegistry / ecr:StartReplicationBackfill the backup notes that it could
 * not read the replication rules and copies instead.)
 */
function imageStatements(arns: BackupArns, primaryRegion: string): iam.PolicyStatement[] {
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

/** The reason for each cdk-nag IAM5 finding of the literal wildcard ARNs above. */
function backupWildcardReasons(arns: BackupArns): Record<string, string> {
  return {
    '*': 'ecs:ListClusters, ecs:ListServices, ecs:ListTasks, ecs:DescribeTaskDefinition, ec2:Describe*, ecr:DescribeRegistry and ecr:StartReplicationBackfill support no resource-level permissions (the last two act on the registry); each such statement is limited to the primary (or DR) region by aws:RequestedRegion, ecs:ListTasks also to the clusters of the account by ecs:cluster.',
    [arns.ecsClusters]:
      'Capture describes every cluster of the account in the primary region; which ones are backed up is decided by the selection in the configuration, at run time.',
    [arns.ecsServices]:
      'Capture describes every service of the listed clusters; the selection is applied at run time.',
    [arns.ecsTasks]:
      'Capture describes the running tasks of the selected services to find their ECS-managed EBS volumes; task ids are only known at run time.',
    [arns.ecrRepositories]:
      'Task definitions may reference any repository of the account; capture resolves each referenced tag to a digest (read-only).',
    [arns.ecrDrRepositories]:
      'The backup makes every image the fleet runs present in the DR registry: it checks, creates (same name as the source) and copies into any repository of the account in the DR region; no other region.',
    [arns.primaryVolumes]:
      'The volumes to snapshot (ECS-managed ones and those tagged lifeboat:backup=true) are found at run time; a snapshot can only be created tagged lifeboat:managed=true.',
    [arns.primarySnapshots]:
      'Snapshot ids are generated per run; creating requires the lifeboat:managed=true request tag, tagging only at creation, deleting only snapshots tagged lifeboat:managed=true. Snapshot ARNs carry no account.',
    [arns.drSnapshots]:
      'DR copies are created per run; creating requires the lifeboat:managed=true request tag, tagging only at creation, deleting only snapshots tagged lifeboat:managed=true. Snapshot ARNs carry no account.',
    [arns.primaryKeys]:
      'Source volumes may be encrypted with any key of the account; the key is only used through EC2/EBS in the primary region (kms:ViaService), grants only for AWS resources.',
    [arns.drKeys]:
      'The catalog and volume keys live in the DR region stack and are addressed by alias only (no cross-region reference); each statement is limited by kms:ResourceAliases to one alias and by kms:ViaService to S3, or EC2/EBS, in the DR region.',
    [arns.recoveryPoints]:
      'Recovery point keys are generated per run (inverted timestamp and id); access is limited to this prefix of the catalog bucket.',
    [arns.staging]:
      'Staging keys are generated per run; access is limited to this prefix of the catalog bucket.',
  };
}
