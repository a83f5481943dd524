import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { deploymentIdOf, type LifeboatConfig } from '../../src/config/schema';
import { Catalog } from '../constructs/catalog';
import { LogKey } from '../constructs/log-key';
import { VolumeKey } from '../constructs/volume-key';
import {
  CATALOG_KEY_ALIAS,
  CATALOG_SIGNING_KEY_ALIAS,
  catalogBucketName,
  partitionOf,
  retentionRoleName,
  VOLUME_KEY_ALIAS,
} from '../names';
import { RestoreWorkflow } from '../workflows/restore-workflow';

export interface RecoveryStackProps extends Omit<StackProps, 'env'> {
  /** Validated Lifeboat configuration; the stack deploys to `account` / `drRegion`. */
  readonly config: LifeboatConfig;
}

/**
 * Everything fail-over needs, in the DR region, depending on nothing in the primary region:
 * the recovery point catalog (KMS key, signing key, bucket), the key of the DR snapshot copies
 * and restored volumes, the restore workflow and the topic restore reports are sent to. The
 * catalog's bucket policy names the backup's retention role by its fixed name
 * (`retentionRoleName`), not by a reference to the BackupStack.
 */
export class RecoveryStack extends Stack {
  public readonly catalog: Catalog;

  /** Restore reports and drill results are published here (KMS-encrypted). */
  public readonly reportTopic: sns.Topic;

  /** The restore state machine (Step Functions) and its Lambdas. */
  public readonly restore: RestoreWorkflow;

  /** Encrypts the DR copies of the EBS snapshots and the volumes restored from them. */
  public readonly volumeKey: VolumeKey;

  constructor(scope: Construct, id: string, props: RecoveryStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, {
      description:
        'Lifeboat recovery (DR region): recovery point catalog, restore workflow and restore reports',
      ...stackProps,
      env: { account: config.account, region: config.drRegion },
    });

    const breakGlass = config.catalog.breakGlassPrincipalArn;
    this.catalog = new Catalog(this, 'Catalog', {
      bucketName: catalogBucketName(config.account, config.drRegion),
      keyAlias: CATALOG_KEY_ALIAS,
      signingKeyAlias: CATALOG_SIGNING_KEY_ALIAS,
      retentionPrincipalArn: `arn:${partitionOf(config.drRegion)}:iam::${config.account}:role/${retentionRoleName(deploymentIdOf(config))}`,
      ...(breakGlass ? { breakGlassPrincipalArn: breakGlass } : {}),
      objectLockMode: config.catalog.objectLockMode,
      objectLockRetention: Duration.days(config.catalog.objectLockDays ?? config.retention.days),
      accessLogsRetention: Duration.days(config.logRetentionDays),
    });

    // The catalog key also encrypts the log groups of the restore workflow (found by LogKey.of):
    // what a restore logs is about the recovery points that key already protects.
    new LogKey(this, 'LogKey', { key: this.catalog.key });

    this.volumeKey = new VolumeKey(this, 'VolumeKey', {
      alias: VOLUME_KEY_ALIAS,
      ...(breakGlass ? { breakGlassPrincipalArn: breakGlass } : {}),
    });

    this.reportTopic = new sns.Topic(this, 'ReportTopic', {
      displayName: 'Lifeboat restore reports',
      masterKey: this.catalog.key,
      enforceSSL: true,
    });

    if (config.images.replication.manage) {
      // Repositories that ECR replication creates here do not inherit the source's settings;
      // this template gives them encryption at rest and scan-free, mutable tags like a plain
      // repository (tags must stay movable so a tag re-pointed in the source replicates).
      new ecr.CfnRepositoryCreationTemplate(this, 'ReplicatedRepositories', {
        prefix: 'ROOT',
        appliedFor: ['REPLICATION'],
        description: 'Lifeboat: settings of repositories created by replication into the DR region',
        imageTagMutability: 'MUTABLE',
        encryptionConfiguration: { encryptionType: 'AES256' },
      });
    }

    this.restore = new RestoreWorkflow(this, 'Restore', {
      config,
      catalogBucketName: catalogBucketName(config.account, config.drRegion),
      catalogKeyAlias: CATALOG_KEY_ALIAS,
      reportTopic: this.reportTopic,
      ...(config.restore.passRoleArns.length > 0 ? { passRoleArns: config.restore.passRoleArns } : {}),
      logRetention: config.logRetentionDays as logs.RetentionDays,
    });

    new CfnOutput(this, 'CatalogBucketName', {
      description: 'Catalog bucket holding the recovery points',
      value: this.catalog.bucket.bucketName,
    });
    new CfnOutput(this, 'CatalogKeyArn', {
      description: 'KMS key encrypting the catalog, the report topic and the restore workflow log groups',
      value: this.catalog.key.keyArn,
    });
    new CfnOutput(this, 'CatalogSigningKeyArn', {
      description: `HMAC key (${CATALOG_SIGNING_KEY_ALIAS}) signing the recovery point manifests (kms:GenerateMac by the backup, kms:VerifyMac by readers)`,
      value: this.catalog.signingKey.keyArn,
    });
    new CfnOutput(this, 'VolumeKeyArn', {
      description:
        `KMS key (${VOLUME_KEY_ALIAS}) of the DR snapshot copies and restored volumes; usable through EC2 by this account. ` +
        'An ECS infrastructure role whose IAM policy restricts KMS needs kms:CreateGrant, kms:Decrypt, kms:DescribeKey, ' +
        'kms:GenerateDataKeyWithoutPlaintext and kms:ReEncrypt* on it',
      value: this.volumeKey.key.keyArn,
    });
    new CfnOutput(this, 'ReportTopicArn', {
      description: 'SNS topic receiving restore reports; subscribe to be notified',
      value: this.reportTopic.topicArn,
    });
    new CfnOutput(this, 'RestoreStateMachineArn', {
      description: 'Restore workflow: start an execution to fail over (or to plan, with "dryRun": true)',
      value: this.restore.stateMachine.stateMachineArn,
    });
  }
}
