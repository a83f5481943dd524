import { Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { LifeboatConfig } from '../src/core/config';
import { CaptureFunction } from './capture-function';
import { EcrReplication } from './ecr-replication';
import { CATALOG_KEY_ALIAS, catalogBucketName } from './names';

export interface BackupStackProps extends Omit<StackProps, 'env'> {
  /** Validated Lifeboat configuration; the stack deploys to `account` / `primaryRegion`. */
  readonly config: LifeboatConfig;
}

/**
 * The backup side, in the primary region: the capture Lambda and the EventBridge Scheduler
 * schedule that runs it. It writes to the catalog in the DR region by its deterministic name.
 */
export class BackupStack extends Stack {
  public readonly capture: CaptureFunction;
  public readonly schedule: scheduler.Schedule;

  /** The registry's replication to the DR region, when `images.replication.manage` is true. */
  public readonly ecrReplication?: EcrReplication;

  /** Scheduled runs that could not be delivered, and runs that failed. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: BackupStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, {
      description: 'Lifeboat backup (primary region): scheduled capture of the ECS fleet',
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
        'This queue is itself the dead-letter queue of the capture schedule and of the capture function.',
    });

    this.capture = new CaptureFunction(this, 'Capture', {
      config,
      catalog: {
        bucketName: catalogBucketName(config.account, config.drRegion),
        keyAlias: CATALOG_KEY_ALIAS,
        region: config.drRegion,
      },
      logRetention: config.logRetentionDays as logs.RetentionDays,
      failureQueue: this.deadLetterQueue,
    });

    if (config.images.replication.manage) {
      this.ecrReplication = new EcrReplication(this, 'EcrReplication', {
        destinationRegion: config.drRegion,
        repositoryPrefixes: config.images.replication.repositoryPrefixes,
      });
    }

    const scheduleRole = new iam.Role(this, 'CaptureScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': config.account } },
      }),
      description: 'Lifeboat: lets EventBridge Scheduler invoke the capture function',
    });
    const target = new schedulerTargets.LambdaInvoke(this.capture.function, {
      role: scheduleRole,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 3,
      maxEventAge: Duration.hours(1),
    });
    this.schedule = new scheduler.Schedule(this, 'CaptureSchedule', {
      description: 'Lifeboat: take a recovery point of the ECS fleet',
      schedule: scheduler.ScheduleExpression.expression(config.schedule),
      target,
    });
    Validations.of(scheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.capture.function.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason:
        'The scheduler target grants lambda:InvokeFunction on the capture function and its versions (ARN:*); it can invoke nothing else.',
    });
  }
}
