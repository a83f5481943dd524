import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { LifeboatConfig } from '../../src/config/schema';
import { EcrReplication } from '../constructs/ecr-replication';
import { CATALOG_KEY_ALIAS, catalogBucketName, VOLUME_KEY_ALIAS } from '../names';
import { BackupWorkflow } from '../workflows/backup-workflow';

export interface BackupStackProps extends Omit<StackProps, 'env'> {
  /** Validated Lifeboat configuration; the stack deploys to `account` / `primaryRegion`. */
  readonly config: LifeboatConfig;
}

/**
 * The backup side, in the primary region: the backup workflow (state machine and its three
 * Lambdas) and the EventBridge Scheduler schedule that starts it. It writes to the catalog in
 * the DR region by its deterministic name, and copies snapshots with the DR volume key by alias.
 */
export class BackupStack extends Stack {
  public readonly backup: BackupWorkflow;
  public readonly schedule: scheduler.Schedule;

  /** The registry's replication to the DR region, when `images.replication.manage` is true. */
  public readonly ecrReplication?: EcrReplication;

  /** Scheduled runs that could not be started, and executions that failed, timed out or were aborted. */
  public readonly deadLetterQueue: sqs.Queue;

  /** In alarm while the dead-letter queue holds a run: the RPO is at risk. */
  public readonly failedRunsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BackupStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, {
      description:
        'Lifeboat backup (primary region): scheduled backup workflow of the ECS fleet and its EBS volumes',
      ...stackProps,
      env: { account: config.account, region: config.primaryRegion },
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the backup schedule and of failed backup executions.',
    });

    this.backup = new BackupWorkflow(this, 'Backup', {
      config,
      catalog: {
        bucketName: catalogBucketName(config.account, config.drRegion),
        keyAlias: CATALOG_KEY_ALIAS,
        region: config.drRegion,
      },
      volumeKeyAlias: VOLUME_KEY_ALIAS,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      failureQueue: this.deadLetterQueue,
    });

    if (config.images.replication.manage) {
      this.ecrReplication = new EcrReplication(this, 'EcrReplication', {
        destinationRegion: config.drRegion,
        repositoryPrefixes: config.images.replication.repositoryPrefixes,
      });
    }

    const scheduleRole = new iam.Role(this, 'BackupScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': config.account } },
      }),
      description: 'Lifeboat: lets EventBridge Scheduler start the backup state machine',
    });
    const target = new schedulerTargets.StepFunctionsStartExecution(this.backup.stateMachine, {
      role: scheduleRole,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 3,
      maxEventAge: Duration.hours(1),
    });
    this.schedule = new scheduler.Schedule(this, 'BackupSchedule', {
      description: 'Lifeboat: take a recovery point of the ECS fleet',
      schedule: scheduler.ScheduleExpression.expression(config.schedule),
      target,
    });

    this.failedRunsAlarm = new cloudwatch.Alarm(this, 'FailedRunsAlarm', {
      alarmDescription:
        'Lifeboat: a scheduled backup could not start, or a backup execution failed; see the messages in the dead-letter queue and the state machine history',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    new CfnOutput(this, 'BackupStateMachineArn', {
      description: 'Backup workflow: the schedule starts it; start an execution to take a recovery point now',
      value: this.backup.stateMachine.stateMachineArn,
    });
  }
}
