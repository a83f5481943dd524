import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { LifeboatConfig } from '../../src/config/schema';
import { restoreConfigOf, VOLUME_KEY_ALIAS, WAVE_GATE_ERROR } from '../../src/config/settings';
import { InfrastructureError } from '../errors';
import { type RegionArns, regionArns } from '../grants/arns';
import { CatalogGrants } from '../grants/catalog-grants';
import {
  grantDrInventoryRead,
  grantPassRoleToEcs,
  grantRolePolicyRead,
  grantServiceDeploy,
  grantServiceDescribe,
  grantSharedResourcesPrepare,
  managedPoliciesArn,
} from '../grants/fleet-grants';
import { addStatements, allow } from '../grants/statements';
import { grantVolumeRestore } from '../grants/volume-grants';
import { partitionOf } from '../names';
import { acknowledgeWildcards, workflowEnv, workflowFunctions, workflowStateMachine } from './workflow-parts';

/** The restore Lambdas: `LIFEBOAT_FUNCTION` value (the handler module `lambda/<name>.ts`) by role. */
export const RESTORE_FUNCTIONS = {
  prepare: 'restore-prepare',
  shared: 'restore-shared',
  service: 'restore-service',
  check: 'restore-check',
  report: 'restore-report',
} as const;
export type RestoreFunctionRole = keyof typeof RESTORE_FUNCTIONS;

/** Error name of the Fail state when the Report step itself failed (after the topic was told). */
export const REPORT_FAILED_ERROR = 'ReportFailed';

/**
 * The states of the restore workflow by role: their names in the definition, which progress views
 * and the history of an execution refer to.
 */
export const RESTORE_STATES = {
  prepare: 'Prepare',
  /** Pass: Prepare failed; its error becomes the execution's `failure`. */
  prepareFailed: 'PrepareFailed',
  isDryRun: 'IsDryRun?',
  dryRunPlan: 'DryRunPlan',
  prepareShared: 'PrepareShared',
  prepareSharedFailed: 'PrepareSharedFailed',
  /** Map: one iteration a wave, in order; a wave that is not steady stops it (unless continueOnWaveFailure). */
  waves: 'RestoreWaves',
  /** Pass: the waves stopped (a wave gate, or a step inside failed). */
  wavesStopped: 'WavesStopped',
  /** Map inside a wave's iteration: one iteration a service of the wave. */
  services: 'RestoreServices',
  restoreService: 'RestoreService',
  /** Pass: the failed-service record when RestoreService itself failed. */
  serviceCrashed: 'ServiceCrashed',
  checkWave: 'CheckWave',
  waveSettled: 'WaveSettled?',
  waitBeforeCheck: 'WaitBeforeCheck',
  /** Choice: may the next wave start? */
  waveGate: 'WaveGate?',
  waveDone: 'WaveDone',
  /** Fail (inside the wave iteration): the wave is not steady; the waves Map stops. */
  waveStopped: 'WaveNotSteady',
  report: 'Report',
  /** Task (sns:Publish): Report failed; the topic is told so directly. */
  notifyReportFailed: 'NotifyReportFailed',
  reportFailed: 'ReportFailed',
  allRestored: 'AllRestored?',
  restored: 'Restored',
  notAllRestored: 'NotAllRestored',
} as const;

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
    const { region, account } = workflowEnv(this, 'restore', props.config, 'DR');
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

    const volumeKeyAlias = props.volumeKeyAlias ?? VOLUME_KEY_ALIAS;
    if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(volumeKeyAlias) || volumeKeyAlias.startsWith('alias/aws/')) {
      throw new InfrastructureError(
        `volumeKeyAlias must be the alias of a customer managed KMS key such as "${VOLUME_KEY_ALIAS}" (got "${volumeKeyAlias}")`,
        this.node.path,
      );
    }
    const dr = regionArns(account, region);
    const executionsArn = `arn:${partitionOf(region)}:states:${region}:${account}:execution:*`;
    const catalog = new CatalogGrants(
      { bucketName: props.catalogBucketName, keyAlias: props.catalogKeyAlias, region },
      account,
    );
    const passRoles = props.passRoleArns ?? [dr.roles];
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
    const grants: Record<RestoreFunctionRole, (role: iam.Role) => void> = {
      prepare: (role) => {
        catalog.grantRestoreStart(role);
        grantDrInventoryRead(role, dr);
        grantRolePolicyRead(role, dr);
        // A lease left by an execution that ended (stopped, or its Report lost the catalog) is free.
        addStatements(role, [allow('DescribeLeaseHolder', ['states:DescribeExecution'], [executionsArn])]);
      },
      shared: (role) => {
        catalog.grantRestoreRun(role, 'read-write');
        grantSharedResourcesPrepare(role, dr);
      },
      service: (role) => {
        catalog.grantRestoreRun(role, 'read-write');
        catalog.grantUnsealEnvironment(role);
        grantServiceDeploy(role, dr);
        grantVolumeRestore(role, dr, volumeKeyAlias);
        grantPassRoleToEcs(role, passRoles);
      },
      check: (role) => {
        catalog.grantRestoreRun(role, 'read-write');
        grantServiceDescribe(role, dr);
      },
      report: (role) => catalog.grantReport(role, props.reportTopic),
    };
    const { functions, roles } = workflowFunctions(
      this,
      RESTORE_FUNCTIONS,
      (role, moduleName) => ({
        description: `Lifeboat restore: ${moduleName}`,
        roleDescription: `Lifeboat restore: ${moduleName}`,
        memorySize: 512,
        timeout: timeouts[role],
        environment: { ...environment, LIFEBOAT_FUNCTION: moduleName },
        grant: grants[role],
        logRetention: props.logRetention,
      }),
      {
        ...restoreWildcardReasons(dr, catalog, passRoles),
        [executionsArn]:
          'Prepare asks whether the execution named by the failover lease still runs (states:DescribeExecution only); the state machine is named by CloudFormation, so its executions are addressed in this region and account.',
      },
    );
    this.functions = functions;
    this.roles = roles;

    const machine = workflowStateMachine(this, {
      comment: 'Lifeboat restore: relaunch ECS services in the DR region from a recovery point',
      definition: restoreDefinition(this, functions, {
        concurrency,
        interval,
        reportTopic: props.reportTopic,
      }),
      logRetention: props.logRetention,
      functions: Object.values(functions),
      workflow: 'restore',
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
    catalog.grantReportFailureNotice(this.stateMachine.role, props.reportTopic);
    acknowledgeWildcards(this.stateMachine.role, {
      [dr.keys]:
        'The state machine publishes to the report topic when the Report step failed; the topic is encrypted with the catalog key, addressed by alias only (kms:ResourceAliases) and only through SNS (kms:ViaService).',
    });
  }
}

/**
 * Errors a restore step is retried on (three attempts, 2 s doubling, full jitter): Lambda's own
 * service errors, a function that timed out, AWS errors that outlived the SDK's retries
 * (throttling, 5xx, lost connections) and the catalog errors that wrap them. Every step is
 * idempotent, so a retry repeats nothing.
 */
export const TRANSIENT_STEP_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
  'Sandbox.Timedout',
  'States.Timeout',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServerException',
  'RequestTimeout',
  'TimeoutError',
  // The catalog adapters wrap the AWS error they met (transient or not) in these; retrying one
  // that is permanent (access denied) costs a few seconds before the Catch reports it.
  'CatalogError',
  'LeaseError',
  'PinError',
  'RestoreError',
] as const;

/** The Amazon States Language of the restore workflow, as CDK chainables. */
function restoreDefinition(
  scope: Construct,
  fns: Record<RestoreFunctionRole, lambda.IFunction>,
  opts: { concurrency: number; interval: Duration; reportTopic: sns.ITopic },
): sfn.IChainable {
  const invoke = (id: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath?: string) =>
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      // Our own Retry below covers Lambda's service errors too.
      retryOnServiceExceptions: false,
      ...(resultPath ? { resultPath } : {}),
    }).addRetry({
      errors: [...TRANSIENT_STEP_ERRORS],
      interval: Duration.seconds(2),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });

  // Every execution ends in Report: a step that fails after its retries is caught, labelled with
  // the state that failed, and reported (what was done, what was not and why).
  const report = invoke(
    RESTORE_STATES.report,
    fns.report,
    { 'executionName.$': '$$.Execution.Name', 'startedAt.$': '$$.Execution.StartTime', 'state.$': '$' },
    '$.report',
  );
  const failedStep = (id: string, failedState: string) =>
    new sfn.Pass(scope, id, {
      comment: `${failedState} failed after its retries: report what was done and why it stopped.`,
      parameters: { state: failedState, 'error.$': '$.caught.Error', 'cause.$': '$.caught.Cause' },
      resultPath: '$.failure',
    }).next(report);

  const prepare = invoke(RESTORE_STATES.prepare, fns.prepare, {
    'input.$': '$',
    'executionName.$': '$$.Execution.Name',
    'executionArn.$': '$$.Execution.Id',
    'startedAt.$': '$$.Execution.StartTime',
  });
  // The execution input may be anything (even not an object), so Prepare's error replaces it.
  prepare.addCatch(
    new sfn.Pass(scope, RESTORE_STATES.prepareFailed, {
      comment:
        'Prepare failed (bad input, unusable recovery point, another failover running…): nothing was changed.',
      parameters: { failure: { state: RESTORE_STATES.prepare, 'error.$': '$.Error', 'cause.$': '$.Cause' } },
    }).next(report),
    // No ResultPath: the error output replaces the state (ResultPath "$", the default).
    { errors: [sfn.Errors.ALL] },
  );
  const dryRunPlan = new sfn.Succeed(scope, RESTORE_STATES.dryRunPlan, {
    comment: 'The plan is the output; nothing was changed.',
  });
  const prepareShared = invoke(
    RESTORE_STATES.prepareShared,
    fns.shared,
    { 'executionName.$': '$.executionName' },
    '$.shared',
  );
  prepareShared.addCatch(failedStep(RESTORE_STATES.prepareSharedFailed, RESTORE_STATES.prepareShared), {
    errors: [sfn.Errors.ALL],
    resultPath: '$.caught',
  });

  const restoreService = invoke(RESTORE_STATES.restoreService, fns.service, {
    'executionName.$': '$.executionName',
    'key.$': '$.key',
  });
  const serviceCrashed = new sfn.Pass(scope, RESTORE_STATES.serviceCrashed, {
    comment: 'The function failed or timed out: record the service as failed, the others carry on.',
    parameters: {
      'service.$': '$.key',
      status: 'failed',
      error: { 'name.$': '$.error.Error', 'message.$': '$.error.Cause' },
    },
  });
  restoreService.addCatch(serviceCrashed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  const restoreServices = new sfn.Map(scope, RESTORE_STATES.services, {
    itemsPath: '$.services',
    maxConcurrency: opts.concurrency,
    itemSelector: { 'key.$': '$$.Map.Item.Value', 'executionName.$': '$.executionName' },
    resultPath: '$.results',
  });
  restoreServices.itemProcessor(restoreService);

  const checkWave = invoke(
    RESTORE_STATES.checkWave,
    fns.check,
    {
      'executionName.$': '$.executionName',
      'wave.$': '$.wave',
      'results.$': '$.results',
      'previous.$': '$.check',
      'waitForSteadyState.$': '$.waitForSteadyState',
      'steadyStateTimeoutSeconds.$': '$.steadyStateTimeoutSeconds',
      'continueOnWaveFailure.$': '$.continueOnWaveFailure',
    },
    '$.check',
  );
  const waveDone = new sfn.Succeed(scope, RESTORE_STATES.waveDone, { outputPath: '$.check.proceed' });
  const waveStopped = new sfn.Fail(scope, RESTORE_STATES.waveStopped, {
    comment: 'The wave did not become steady: later waves do not start (continueOnWaveFailure is false).',
    error: WAVE_GATE_ERROR,
    causePath: '$.check.reason',
  });
  const waveGate = new sfn.Choice(scope, RESTORE_STATES.waveGate)
    .when(sfn.Condition.booleanEquals('$.check.proceed', true), waveDone)
    .otherwise(waveStopped);
  const waitBeforeCheck = new sfn.Wait(scope, RESTORE_STATES.waitBeforeCheck, {
    time: sfn.WaitTime.duration(opts.interval),
  });
  const waveSettled = new sfn.Choice(scope, RESTORE_STATES.waveSettled)
    .when(sfn.Condition.booleanEquals('$.check.settled', true), waveGate)
    .otherwise(waitBeforeCheck.next(checkWave));
  const restoreWaves = new sfn.Map(scope, RESTORE_STATES.waves, {
    comment:
      'Waves in order, each only after the one before it is steady; the services of a wave in parallel. Results are in the catalog.',
    itemsPath: '$.waves',
    maxConcurrency: 1,
    itemSelector: {
      'wave.$': '$$.Map.Item.Value.wave',
      'services.$': '$$.Map.Item.Value.services',
      'executionName.$': '$.executionName',
      'waitForSteadyState.$': '$.waitForSteadyState',
      'steadyStateTimeoutSeconds.$': '$.steadyStateTimeoutSeconds',
      'continueOnWaveFailure.$': '$.continueOnWaveFailure',
      check: { attempts: 0 },
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  restoreWaves.itemProcessor(restoreServices.next(checkWave).next(waveSettled));
  restoreWaves.addCatch(failedStep(RESTORE_STATES.wavesStopped, RESTORE_STATES.waves), {
    errors: [sfn.Errors.ALL],
    resultPath: '$.caught',
  });

  // Report itself failed after its retries: no report could be written, so the state machine
  // tells the report topic directly, then fails.
  const reportFailed = new sfn.Fail(scope, RESTORE_STATES.reportFailed, {
    error: REPORT_FAILED_ERROR,
    causePath: '$.caught.Cause',
  });
  const notifyReportFailed = new tasks.CallAwsService(scope, RESTORE_STATES.notifyReportFailed, {
    comment: 'The Report step failed: publish that to the report topic, with the execution name.',
    service: 'sns',
    action: 'publish',
    parameters: {
      TopicArn: opts.reportTopic.topicArn,
      Subject: 'Lifeboat restore FAILED: no report could be written',
      Message: sfn.JsonPath.format(
        'Lifeboat restore execution {} failed and its Report step failed too ({}: {}), so no restore report was written. See the execution history in Step Functions.',
        sfn.JsonPath.executionName,
        sfn.JsonPath.stringAt('$.caught.Error'),
        sfn.JsonPath.stringAt('$.caught.Cause'),
      ),
    },
    iamResources: [opts.reportTopic.topicArn],
    resultPath: sfn.JsonPath.DISCARD,
  });
  notifyReportFailed.addRetry({
    errors: [sfn.Errors.ALL],
    interval: Duration.seconds(2),
    maxAttempts: 3,
    backoffRate: 2,
  });
  notifyReportFailed.addCatch(reportFailed, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  report.addCatch(notifyReportFailed.next(reportFailed), {
    errors: [sfn.Errors.ALL],
    resultPath: '$.caught',
  });

  const restored = new sfn.Succeed(scope, RESTORE_STATES.restored, { outputPath: '$.report' });
  const incomplete = new sfn.Fail(scope, RESTORE_STATES.notAllRestored, {
    comment:
      "RestoreIncomplete when the restore ran and not every service was restored; else the failed step's error.",
    errorPath: '$.report.error',
    causePath: '$.report.cause',
  });
  const allRestored = new sfn.Choice(scope, RESTORE_STATES.allRestored)
    .when(sfn.Condition.booleanEquals('$.report.allRestored', true), restored)
    .otherwise(incomplete);
  report.next(allRestored);

  return prepare.next(
    new sfn.Choice(scope, RESTORE_STATES.isDryRun)
      .when(sfn.Condition.booleanEquals('$.dryRun', true), dryRunPlan)
      .otherwise(prepareShared.next(restoreWaves).next(report)),
  );
}

/** The reason for each cdk-nag IAM5 finding of the literal wildcard ARNs the restore is granted. */
function restoreWildcardReasons(
  dr: RegionArns,
  catalog: CatalogGrants,
  passRoles: readonly string[],
): Record<string, string> {
  const reasons: Record<string, string> = {
    '*': 'ECS/EC2/Secrets Manager/SSM/Logs/EFS list and describe calls (ec2:DescribeVolumes and ec2:DescribeAvailabilityZones included) and ecs:RegisterTaskDefinition support no resource-level permissions; each such statement is limited to the DR region by aws:RequestedRegion.',
    [dr.ecsClusters]:
      'The restore creates and describes the clusters the recovery point names, which are only known at run time; limited to the DR region and account.',
    [dr.ecsServices]:
      'The restore creates, updates and describes the services the recovery point names, known at run time; limited to the DR region and account.',
    [dr.ecsTaskDefinitions]:
      'Registered task definition families come from the recovery point; tagging is limited to the DR region and account.',
    [dr.logGroups]: 'Log groups the restored task definitions write to are named by the recovery point.',
    [dr.roles]:
      'The plan reads the inline and attached policies of the task and execution roles the recovery point names (read-only; role names are only known at run time; IAM is global).',
    [managedPoliciesArn(dr)]:
      'The plan reads the customer managed policies attached to the task and execution roles the recovery point names (GetPolicy, GetPolicyVersion; read-only).',
    [dr.efsFileSystems]: 'The DR EFS replicas to fail over are named by the recovery point.',
    [dr.efsAccessPoints]: 'Access points are created on the DR replicas the recovery point names.',
    [dr.targetGroups]:
      'With restore.createTargetGroups, the target groups the recovery point names are created (and tagged, and their attributes set) in the DR region; their names and ARNs are only known at run time.',
    ...Object.fromEntries(
      dr.cloudMap.map((arn) => [
        arn,
        'The plan reads, and PrepareShared creates, the Cloud Map services the recovery point names in the DR namespaces it maps to, known at run time.',
      ]),
    ),
    ...Object.fromEntries(
      dr.listeners.map((arn) => [
        arn,
        'With restore.createTargetGroups, the captured listener rules are added to the DR listeners of the load balancers the plan maps, known at run time.',
      ]),
    ),
    [catalog.recoveryPointsArn]:
      'Any recovery point may be restored (and is pinned by an Object Lock legal hold while a restore uses it); access is limited to this prefix of the catalog.',
    [catalog.restoreRunsArn]:
      'Restore run documents are keyed by execution name; access is limited to this prefix.',
    [catalog.reportsArn]: 'Report keys are generated per execution; access is limited to this prefix.',
    [catalog.pinsArn]:
      'Pin records are keyed by the recovery point a restore uses, known at run time; access is limited to this prefix of the catalog.',
    [dr.keys]:
      'The catalog, signing and volume keys are addressed by alias only; each statement is limited by kms:ResourceAliases to its alias, the catalog and volume key statements also by kms:ViaService to the service that uses the key (kms:VerifyMac on the signing key is called directly).',
    [dr.volumes]:
      'Standalone EBS volumes are created from the DR snapshots the recovery point names; CreateVolume requires the lifeboat:role=restored-volume request tag and CreateTags is limited to CreateVolume, in the DR region and account.',
    [dr.snapshots]:
      'The DR snapshots to create volumes from are named by the recovery point, known at run time; limited to the DR region.',
    [dr.scalableTargets]:
      'The restore registers the scalable targets of the services the recovery point names, with their policies and scheduled actions; their ARNs are generated at run time; limited to the DR region and account.',
    [dr.alarms]:
      'The restore puts (and tags) the CloudWatch alarms of the step scaling policies the recovery point names, known at run time; limited to the DR region and account.',
    [dr.targetTrackingAlarms]:
      "Application Auto Scaling describes and deletes the alarms of target tracking policies (always named TargetTracking-…) with the caller's permissions when it puts such a policy; limited to those alarms in the DR region and account.",
  };
  for (const passRole of passRoles) {
    const passReason =
      'The task and execution roles are named by the recovery point; iam:PassRole is limited by iam:PassedToService to ECS, and the restore refuses roles the recovery point does not name.';
    reasons[passRole] = passRole === dr.roles ? `${reasons[passRole]} ${passReason}` : passReason;
  }
  return reasons;
}
