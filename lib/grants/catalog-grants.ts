import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import {
  RECOVERY_POINT_PREFIX,
  REPORT_PREFIX,
  RESTORE_RUN_PREFIX,
  RETIRED_PREFIX,
  STAGING_PREFIX,
} from '../../src/catalog/keys';
import { FAILOVER_LEASE_KEY } from '../../src/catalog/lease';
import { PIN_PREFIX } from '../../src/catalog/pins';
import { ENVIRONMENT_PURPOSE, PURPOSE_CONTEXT_KEY } from '../../src/fleet/secrets';
import { CATALOG_SIGNING_KEY_ALIAS, partitionOf, viaService } from '../names';
import { regionArns } from './arns';
import { keyUse } from './key-grants';
import { addStatements, allow, type GrantTarget } from './statements';

/** Where the catalog is: enough to address it from either region without a cross-region reference. */
export interface CatalogLocation {
  /** Name of the catalog bucket (in `region`). */
  readonly bucketName: string;

  /** Alias of the KMS key the catalog bucket is encrypted with, e.g. `alias/lifeboat-catalog`. */
  readonly keyAlias: string;

  /**
   * Alias of the HMAC key the manifests are signed with.
   *
   * @default 'alias/lifeboat-catalog-signing' (CATALOG_SIGNING_KEY_ALIAS)
   */
  readonly signingKeyAlias?: string;

  /** Region of the catalog (the DR region). */
  readonly region: string;
}

/** What a restore run does with its run document (`restore-runs/<execution>`). */
export type RestoreRunAccess = 'read' | 'read-write';

/**
 * The grants on the recovery point catalog, by intent: each names the catalog prefixes it
 * touches, lists the bucket when it must, and uses the catalog key only through S3 (and SNS for
 * the report topic it encrypts), and the signing key directly (GenerateMac / VerifyMac are
 * called on KMS itself). The catalog is addressed by name and key aliases (`CatalogLocation`), so
 * the backup stack in the other region can be granted it too.
 *
 * Only the retention role deletes, tags or re-locks recovery points (the catalog's bucket policy
 * refuses it to everyone else); the commit only adds them.
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

  /** Every pin record (`pins/*`). */
  public readonly pinsArn: string;

  /** Every record of retired recovery points (`retired/*`). */
  public readonly retiredArn: string;

  /** The failover lease (`leases/failover.json`: one object, no wildcard). */
  public readonly leaseArn: string;

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
    this.pinsArn = `${this.bucketArn}/${PIN_PREFIX}*`;
    this.retiredArn = `${this.bucketArn}/${RETIRED_PREFIX}*`;
    this.leaseArn = `${this.bucketArn}/${FAILOVER_LEASE_KEY}`;
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
   * The backup's capture seals the environment values that look secret with the catalog key: KMS
   * Encrypt, called directly (no `kms:ViaService`), only under the encryption context
   * `lifeboat:purpose=environment`. Sealed rather than refused, so such services stay restorable
   * in an outage (see `src/fleet/secrets.ts`).
   */
  public grantSealEnvironment(target: GrantTarget): void {
    addStatements(target, [this.environmentKeyUse('SealEnvironmentValues', 'kms:Encrypt')]);
  }

  /**
   * The restore's service step decrypts the sealed environment values right before it registers
   * the task definition: KMS Decrypt, called directly, only under the encryption context
   * `lifeboat:purpose=environment`. No other role may decrypt them.
   */
  public grantUnsealEnvironment(target: GrantTarget): void {
    addStatements(target, [this.environmentKeyUse('UnsealEnvironmentValues', 'kms:Decrypt')]);
  }

  /**
   * The backup's commit reads the staged recovery point and the committed ones, signs the new
   * manifest and adds it (never overwrites, never deletes: that is retention's).
   */
  public grantCommit(target: GrantTarget): void {
    addStatements(target, [
      allow('ReadStagedBackupAndRecoveryPoints', ['s3:GetObject'], [this.recoveryPointsArn, this.stagingArn]),
      allow('CommitRecoveryPoints', ['s3:PutObject'], [this.recoveryPointsArn]),
      this.listCatalog(),
      this.backupKeyUse(),
      this.signingKeyUse('SignRecoveryPoints', ['kms:GenerateMac', 'kms:VerifyMac']),
    ]);
  }

  /**
   * The backup's retention step reads the recovery points (verifying their signatures), the
   * pins, its own records and the staging of unfinished runs; it retires recovery points (tag,
   * delete marker), extends the lock of the ones it keeps, records what it retired and removes
   * orphaned staging.
   */
  public grantRetention(target: GrantTarget): void {
    addStatements(target, [
      this.listCatalog(),
      allow(
        'ReadCatalogRecords',
        ['s3:GetObject'],
        [this.recoveryPointsArn, this.stagingArn, this.pinsArn, this.retiredArn],
      ),
      allow(
        'RetireAndLockRecoveryPoints',
        ['s3:DeleteObject', 's3:PutObjectTagging', 's3:PutObjectRetention'],
        [this.recoveryPointsArn],
      ),
      allow('RecordRetiredRecoveryPoints', ['s3:PutObject', 's3:DeleteObject'], [this.retiredArn]),
      allow('DeleteOrphanedStaging', ['s3:DeleteObject'], [this.stagingArn]),
      this.backupKeyUse(),
      this.signingKeyUse('VerifyRecoveryPointSignatures', ['kms:VerifyMac']),
    ]);
  }

  /**
   * A restore lists and reads the recovery points (verifying their signatures), takes the
   * failover lease, starts its run document and pins the recovery point it restores (a pin record
   * and an Object Lock legal hold).
   */
  public grantRestoreStart(target: GrantTarget): void {
    addStatements(target, [
      allow('ReadRecoveryPoints', ['s3:GetObject'], [this.recoveryPointsArn]),
      this.listCatalog(),
      this.lease(),
      this.restoreRuns(['s3:PutObject']),
      allow('PinRecoveryPoints', ['s3:GetObject', 's3:PutObject'], [this.pinsArn]),
      allow('HoldRecoveryPoints', ['s3:PutObjectLegalHold'], [this.recoveryPointsArn]),
      this.restoreKeyUse('s3'),
      this.signingKeyUse('VerifyRecoveryPointSignatures', ['kms:VerifyMac']),
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
   * The restore's last step reads its run document, writes the report to the catalog, publishes
   * it to `topic` (encrypted with the catalog key) and, after a successful restore, unpins the
   * recovery points it replaced (their pin records, and the legal holds on their manifests).
   */
  public grantReport(target: GrantTarget, topic: sns.ITopic): void {
    addStatements(target, [
      this.restoreRuns(['s3:GetObject']),
      this.lease(),
      allow('WriteReports', ['s3:PutObject'], [this.reportsArn]),
      allow('UpdatePins', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [this.pinsArn]),
      // Unpinning releases the legal hold the pin put on the manifest.
      allow('ReleaseRecoveryPointHolds', ['s3:PutObjectLegalHold'], [this.recoveryPointsArn]),
      this.listCatalog(),
      this.restoreKeyUse('s3', 'sns'),
      this.signingKeyUse('VerifyRecoveryPointSignatures', ['kms:VerifyMac']),
      allow('PublishReports', ['sns:Publish'], [topic.topicArn]),
    ]);
  }

  /**
   * The state machine itself tells the report topic when the Report step failed (no report could
   * be written): publish, with the catalog key through SNS.
   */
  public grantReportFailureNotice(target: GrantTarget, topic: sns.ITopic): void {
    addStatements(target, [
      this.keyUse('UseCatalogKeyThroughSns', viaService('sns', this.location.region)),
      allow('PublishReportFailures', ['sns:Publish'], [topic.topicArn]),
    ]);
  }

  /** Read and conditionally write the failover lease (taken by Prepare, given back by Report). */
  private lease(): iam.PolicyStatement {
    return allow('FailoverLease', ['s3:GetObject', 's3:PutObject'], [this.leaseArn]);
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

  /** The catalog key by its alias, called directly, for sealed environment values only. */
  private environmentKeyUse(sid: string, action: string): iam.PolicyStatement {
    return keyUse({
      sid,
      actions: [action],
      keys: this.keysArn,
      alias: this.location.keyAlias,
      encryptionContext: { [PURPOSE_CONTEXT_KEY]: ENVIRONMENT_PURPOSE },
    });
  }

  /** The signing key by its alias, called directly (no `kms:ViaService`). */
  private signingKeyUse(sid: string, actions: readonly string[]): iam.PolicyStatement {
    return keyUse({
      sid,
      actions,
      keys: this.keysArn,
      alias: this.location.signingKeyAlias ?? CATALOG_SIGNING_KEY_ALIAS,
    });
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
