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
import { deploymentIdOf, type LifeboatConfig } from '../../src/config/schema';
import { InfrastructureError } from '../errors';
import { type RegionArns, regionArns } from '../grants/arns';
import { CatalogGrants, type CatalogLocation } from '../grants/catalog-grants';
import { grantFleetCapture, grantSecretReplication } from '../grants/fleet-grants';
import { grantImageCopy } from '../grants/image-grants';
import { grantSnapshotCopy, grantSnapshotCreate, grantSnapshotRetention } from '../grants/volume-grants';
import { BACKUP_STATE_MACHINE_NAME, retentionRoleName } from '../names';
import { acknowledgeWildcards, workflowEnv, workflowFunctions, workflowStateMachine } from './workflow-parts';

/** The backup Lambdas: `LIFEBOAT_FUNCTION` value (the handler module `lambda/<name>.ts`) by role. */
export const BACKUP_FUNCTIONS = {
  capture: 'capture',
  volumes: 'backup-volumes',
  commit: 'backup-commit',
  retention: 'backup-retention',
} as const;
export type BackupFunctionRole = keyof typeof BACKUP_FUNCTIONS;

/**
 * The states of the backup workflow by role: their names in the definition, which progress views
 * and the history of an execution refer to.
 */
export const BACKUP_STATES = {
  capture: 'Capture',
  copiesDone: 'VolumesCopied?',
  waitForCopies: 'WaitForCopies',
  copyVolumes: 'CopyVolumes',
  commit: 'Commit',
  /** Task after Commit: `{ recoveryPointId }` in, its result at `$.retention` of the execution output. */
  retention: 'ApplyRetention',
  /** Pass (ends the execution successfully) when ApplyRetention failed: the error at `$.retentionError`. */
  retentionFailed: 'RetentionFailed',
} as const;

/**
 * Where the backup execution's output carries each result: the Commit result is the output
 * itself (`$`, a `CommitBackupResult`), ApplyRetention's result is at `$.retention`; when
 * ApplyRetention failed (after its retries) the output has no `retention` from this run and
 * `$.retentionError` holds the Step Functions error (`{ Error, Cause }`) instead. The recovery
 * point is committed either way; the next backup's retention tries again.
 */
export const BACKUP_OUTPUT_PATHS = {
  retention: '$.retention',
  retentionError: '$.retentionError',
} as const;

/** How long one backup execution may run: copying a large volume across regions can take hours. */
export const BACKUP_TIMEOUT = Duration.hours(24);

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
 * The backup workflow (primary region): a Standard Step Functions state machine and its four
 * Lambdas.
 *
 * Capture (ECS configuration, images, EBS snapshots started; staged in the catalog) → copies done?
 * → Commit (seal, sign, commit) → ApplyRetention (its own role, the only one allowed to retire
 * recovery points; a failure there ends the execution successfully at RetentionFailed); otherwise
 * Wait `volumes.ebs.pollSeconds` → CopyVolumes (one tick of the DR copies) → copies done? … The
 * retention role has a fixed name (`retentionRoleName`), which the catalog's bucket policy in the
 * DR region names. Each execution takes its own recovery point, so two
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
    const { account } = workflowEnv(this, 'backup', config, 'primary');
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

    const primary = regionArns(account, config.primaryRegion);
    const dr = regionArns(account, config.drRegion);
    const catalogGrants = new CatalogGrants(catalog, account);
    const settings: Record<
      BackupFunctionRole,
      {
        description: string;
        memorySize: number;
        timeout: Duration;
        grant: (role: iam.Role) => void;
        roleName?: string;
      }
    > = {
      capture: {
        description:
          'ECS fleet configuration and images to a staged recovery point; starts the EBS snapshots',
        memorySize: 512,
        timeout: Duration.minutes(15),
        grant: (role) => {
          grantFleetCapture(role, primary);
          grantSecretReplication(role, primary, dr);
          grantSnapshotCreate(role, primary);
          catalogGrants.grantStaging(role);
          catalogGrants.grantSealEnvironment(role);
        },
      },
      volumes: {
        // The block engine moves 512 KiB blocks through memory; more memory also means more CPU.
        description: 'one tick of the EBS snapshot copies to the DR region (resumable)',
        memorySize: 1024,
        timeout: Duration.minutes(15),
        grant: (role) => {
          grantSnapshotCopy(role, {
            source: primary,
            destination: dr,
            volumeKeyAlias: props.volumeKeyAlias,
            engine: config.volumes.ebs.engine,
          });
          catalogGrants.grantStaging(role);
        },
      },
      commit: {
        description: 'seals, signs and commits the recovery point',
        memorySize: 512,
        timeout: Duration.minutes(15),
        grant: (role) => catalogGrants.grantCommit(role),
      },
      retention: {
        description: 'applies retention: retires expired recovery points and their snapshots',
        memorySize: 512,
        timeout: Duration.minutes(15),
        grant: (role) => {
          catalogGrants.grantRetention(role);
          grantSnapshotRetention(role, primary, dr);
        },
        // The catalog bucket policy lets only this role retire recovery points, by this name.
        roleName: retentionRoleName(deploymentIdOf(config)),
      },
    };

    const wildcardReasons = backupWildcardReasons(primary, dr, catalogGrants);
    const { functions, roles } = workflowFunctions(
      this,
      BACKUP_FUNCTIONS,
      (role, moduleName) => ({
        description: `Lifeboat ${moduleName}: ${settings[role].description}`,
        roleDescription: `Lifeboat backup: ${moduleName}`,
        ...(settings[role].roleName ? { roleName: settings[role].roleName } : {}),
        memorySize: settings[role].memorySize,
        timeout: settings[role].timeout,
        environment: {
          ...environment,
          POWERTOOLS_SERVICE_NAME: `lifeboat-${moduleName}`,
          LIFEBOAT_FUNCTION: moduleName,
        },
        grant: settings[role].grant,
        logRetention: props.logRetention,
      }),
      wildcardReasons,
    );
    // What the backup needs to make images present in the DR registry, in a policy of its own
    // (the capture role's default policy is already long).
    const imagePolicy = new iam.Policy(this, 'CaptureImagePolicy', { roles: [roles.capture] });
    grantImageCopy(imagePolicy, primary, dr);
    acknowledgeWildcards(imagePolicy, wildcardReasons);
    this.functions = functions;
    this.roles = roles;

    const machine = workflowStateMachine(this, {
      stateMachineName: BACKUP_STATE_MACHINE_NAME,
      comment:
        'Lifeboat backup: capture the ECS fleet, copy its EBS snapshots to the DR region, commit, apply retention',
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
  const invoke = (
    id: string,
    fn: lambda.IFunction,
    payload: Record<string, unknown>,
    comment: string,
    resultPath?: string,
  ) => {
    const task = new tasks.LambdaInvoke(scope, id, {
      comment,
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      ...(resultPath ? { resultPath } : {}),
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
    BACKUP_STATES.capture,
    fns.capture,
    {},
    'Captures the fleet, stages the recovery point and starts the EBS snapshots; returns { recoveryPointId, done, … }.',
  );
  const copyVolumes = invoke(
    BACKUP_STATES.copyVolumes,
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
    BACKUP_STATES.commit,
    fns.commit,
    byId,
    'Seals, signs and commits the recovery point (partial if a volume failed); returns { recoveryPointId, key, status, … }.',
  );
  // Commit's result stays the state (and the execution output); retention's goes beside it.
  const applyRetention = invoke(
    BACKUP_STATES.retention,
    fns.retention,
    byId,
    'Retires expired recovery points and their snapshots (its own role); its result goes to $.retention.',
    BACKUP_OUTPUT_PATHS.retention,
  );
  const retentionFailed = new sfn.Pass(scope, BACKUP_STATES.retentionFailed, {
    comment:
      'The recovery point is committed: a retention failure does not fail the backup ($.retentionError); the next backup applies retention again.',
  });
  applyRetention.addCatch(retentionFailed, {
    errors: [sfn.Errors.ALL],
    resultPath: BACKUP_OUTPUT_PATHS.retentionError,
  });
  commit.next(applyRetention);
  const wait = new sfn.Wait(scope, BACKUP_STATES.waitForCopies, {
    comment: 'lifeboat.volumes.ebs.pollSeconds between two ticks',
    time: sfn.WaitTime.duration(pollInterval),
  });
  const copiesDone = new sfn.Choice(scope, BACKUP_STATES.copiesDone, {
    comment: 'Commit once no volume is being snapshotted, queued or copied.',
  });
  // The wait comes before each tick: the snapshots get time to progress, and the tick that
  // finds the last copy done goes straight to Commit.
  copiesDone.when(sfn.Condition.booleanEquals('$.done', true), commit).otherwise(wait);
  wait.next(copyVolumes).next(copiesDone);
  return capture.next(copiesDone);
}

/** The reason for each cdk-nag IAM5 finding of the literal wildcard ARNs the backup is granted. */
function backupWildcardReasons(
  primary: RegionArns,
  dr: RegionArns,
  catalog: CatalogGrants,
): Record<string, string> {
  return {
    '*': 'ecs:ListClusters, ecs:ListServices, ecs:ListTasks, ecs:DescribeTaskDefinition, ec2:Describe*, application-autoscaling:Describe*, ecr:DescribeRegistry and ecr:StartReplicationBackfill support no resource-level permissions (the last two act on the registry); each such statement is limited to the primary (or DR) region by aws:RequestedRegion, ecs:ListTasks also to the clusters of the account by ecs:cluster.',
    [primary.ecsClusters]:
      'Capture describes every cluster of the account in the primary region; which ones are backed up is decided by the selection in the configuration, at run time.',
    [primary.ecsServices]:
      'Capture describes every service of the listed clusters; the selection is applied at run time.',
    [primary.ecsTasks]:
      'Capture describes the running tasks of the selected services to find their ECS-managed EBS volumes; task ids are only known at run time.',
    ...Object.fromEntries(
      primary.cloudMap.map((arn) => [
        arn,
        'The capture reads the Cloud Map namespaces and services the selected services register in, known at run time; read-only.',
      ]),
    ),
    [primary.ecrRepositories]:
      'Task definitions may reference any repository of the account; capture resolves each referenced tag to a digest (read-only).',
    [primary.alarms]:
      "Capture reads the CloudWatch alarms that trigger the selected services' step scaling policies (cloudwatch:DescribeAlarms only), named by the policies at run time; limited to the primary region and account.",
    [primary.logGroups]:
      'Task definitions may write to any log group of the account; capture reads the retention, KMS key and tags of those they name (read-only), only known at run time.',
    [dr.ecrRepositories]:
      'The backup makes every image the fleet runs present in the DR registry: it checks, creates (same name as the source) and copies into any repository of the account in the DR region; no other region.',
    [primary.volumes]:
      'The volumes to snapshot (ECS-managed ones and those tagged lifeboat:backup=true) are found at run time; a snapshot can only be created tagged lifeboat:managed=true.',
    [primary.snapshots]:
      'Snapshot ids are generated per run; creating requires the lifeboat:managed=true request tag, tagging only at creation, deleting only snapshots tagged lifeboat:managed=true. Snapshot ARNs carry no account.',
    [dr.snapshots]:
      'DR copies are created per run; creating requires the lifeboat:managed=true request tag, tagging only at creation, deleting only snapshots tagged lifeboat:managed=true. Snapshot ARNs carry no account.',
    [primary.keys]:
      'Source volumes may be encrypted with any key of the account; the key is only used through EC2/EBS in the primary region (kms:ViaService), grants only for AWS resources. Capture also decrypts, only through Secrets Manager in the primary region (kms:ViaService), the referenced secrets it replicates to the DR region (any customer key of the account, known at run time).',
    [primary.secrets]:
      'Capture reads the replication status of, and replicates to the DR region, the secrets the selected task definitions reference (secretsmanager:DescribeSecret and ReplicateSecretToRegions only, never the value), known at run time; limited to the primary region and account.',
    [dr.keys]:
      'The catalog, signing and volume keys live in the DR region stack and are addressed by alias only (no cross-region reference); each statement is limited by kms:ResourceAliases to one alias, the catalog and volume key statements also by kms:ViaService to S3, or EC2/EBS, in the DR region (GenerateMac/VerifyMac on the signing key are called directly). Secret replicas are encrypted with the DR key the configuration maps (or a multi-Region replica), known at run time, only through Secrets Manager in the DR region (kms:ViaService).',
    [catalog.recoveryPointsArn]:
      'Recovery point keys are generated per run (inverted timestamp and id); access is limited to this prefix of the catalog bucket.',
    [catalog.stagingArn]:
      'Staging keys are generated per run; access is limited to this prefix of the catalog bucket.',
    [catalog.pinsArn]:
      'Retention reads the pin records restores write, keyed by recovery point (known at run time); read-only, limited to this prefix.',
    [catalog.retiredArn]:
      'Retention keeps its records of retired recovery points under this prefix, keyed by recovery point id (known at run time); access is limited to this prefix.',
  };
}
