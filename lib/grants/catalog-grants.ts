import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import {
  RECOVERY_POINT_PREFIX,
  REPORT_PREFIX,
  RESTORE_RUN_PREFIX,
  STAGING_PREFIX,
} from '../../src/catalog/keys';
import { partitionOf, viaService } from '../names';
import { regionArns } from './arns';
import { keyUse } from './key-grants';
import { addStatements, allow, type GrantTarget } from './statements';

/** Where the catalog is: enough to address it from either region without a cross-region reference. */
export interface CatalogLocation {
  /** Name of the catalog bucket (in `region`). */
  readonly bucketName: string;

  /** Alias of the KMS key the catalog bucket is encrypted with, e.g. `alias/lifeboat-catalog`. */
  readonly keyAlias: string;

  /** Region of the catalog (the DR region). */
  readonly region: string;
}

/** What a restore run does with its run document (`restore-runs/<execution>`). */
export type RestoreRunAccess = 'read' | 'read-write';

/**
 * The grants on the recovery point catalog, by intent: each names the catalog prefixes it
 * touches, lists the bucket when it must, and uses the catalog key only through S3 (and SNS for
 * the report topic it encrypts). The catalog is addressed by name and key alias
 * (`CatalogLocation`), so the backup stack in the other region can be granted it too.
 */
export class CatalogGrants {
  /** Every recovery point (`recovery-points/*`). */
  public readonly recoveryPointsArn: string;

  /** Every backup's work in progress (`staging/*`). */
  public readonly stagingArn: string;

  /** Every restore run document. */
  public readonly restoreRunsArn: string;

  /** Every restore report. */
  public readonly reportsArn: string;

  private readonly bucketArn: string;
  private readonly keysArn: string;

  /** The grants on the catalog at `location`, in `account`. */
  constructor(
    private readonly location: CatalogLocation,
    account: string,
  ) {
    this.bucketArn = `arn:${partitionOf(location.region)}:s3:::${location.bucketName}`;
    this.recoveryPointsArn = `${this.bucketArn}/${RECOVERY_POINT_PREFIX}*`;
    this.stagingArn = `${this.bucketArn}/${STAGING_PREFIX}*`;
    this.restoreRunsArn = `${this.bucketArn}/${RESTORE_RUN_PREFIX}*`;
    this.reportsArn = `${this.bucketArn}/${REPORT_PREFIX}*`;
    this.keysArn = regionArns(account, location.region).keys;
  }

  /** A backup step reads and writes its staged recovery point (and lists the catalog). */
  public grantStaging(target: GrantTarget): void {
    addStatements(target, [
      allow('ReadWriteStaging', ['s3:GetObject', 's3:PutObject'], [this.stagingArn]),
      this.listCatalog(),
      this.backupKeyUse(),
    ]);
  }

  /**
   * The backup's last step reads the staged recovery point and the committed ones, commits the
   * new one and deletes the ones retention expires.
   */
  public grantCommit(target: GrantTarget): void {
    addStatements(target, [
      allow('ReadStagedBackupAndRecoveryPoints', ['s3:GetObject'], [this.recoveryPointsArn, this.stagingArn]),
      allow('CommitAndExpireRecoveryPoints', ['s3:PutObject', 's3:DeleteObject'], [this.recoveryPointsArn]),
      this.listCatalog(),
      this.backupKeyUse(),
    ]);
  }

  /** A restore lists and reads the recovery points, and starts its run document. */
  public grantRestoreStart(target: GrantTarget): void {
    addStatements(target, [
      allow('ReadRecoveryPoints', ['s3:GetObject'], [this.recoveryPointsArn]),
      this.listCatalog(),
      this.restoreRuns(['s3:PutObject']),
      this.restoreKeyUse('s3'),
    ]);
  }

  /** A restore step reads (and, with `read-write`, updates) its run document. */
  public grantRestoreRun(target: GrantTarget, access: RestoreRunAccess): void {
    addStatements(target, [
      this.restoreRuns(access === 'read' ? ['s3:GetObject'] : ['s3:GetObject', 's3:PutObject']),
      this.restoreKeyUse('s3'),
    ]);
  }

  /**
   * The restore's last step reads its run document, writes the report to the catalog and
   * publishes it to `topic` (encrypted with the catalog key).
   */
  public grantReport(target: GrantTarget, topic: sns.ITopic): void {
    addStatements(target, [
      this.restoreRuns(['s3:GetObject']),
      allow('WriteReports', ['s3:PutObject'], [this.reportsArn]),
      this.restoreKeyUse('s3', 'sns'),
      allow('PublishReports', ['sns:Publish'], [topic.topicArn]),
    ]);
  }

  private listCatalog(): iam.PolicyStatement {
    return allow('ListCatalog', ['s3:ListBucket'], [this.bucketArn]);
  }

  private restoreRuns(actions: readonly string[]): iam.PolicyStatement {
    return allow('RestoreRunDocuments', actions, [this.restoreRunsArn]);
  }

  /** The catalog key through S3, as the backup grants name it. */
  private backupKeyUse(): iam.PolicyStatement {
    return this.keyUse('UseCatalogKeyThroughS3', viaService('s3', this.location.region));
  }

  /** The catalog key through each of `services`, as the restore grants name it. */
  private restoreKeyUse(...services: readonly string[]): iam.PolicyStatement {
    return this.keyUse(
      'UseCatalogKeyViaAlias',
      services.map((service) => viaService(service, this.location.region)),
    );
  }

  private keyUse(sid: string, via: string | readonly string[]): iam.PolicyStatement {
    return keyUse({
      sid,
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      keys: this.keysArn,
      alias: this.location.keyAlias,
      via,
    });
  }
}
