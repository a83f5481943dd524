import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { RECOVERY_POINT_PREFIX, RETIRED_PREFIX, RETIRED_TAG, STAGING_PREFIX } from '../../src/catalog/keys';
import { LEASE_PREFIX } from '../../src/catalog/lease';
import { InfrastructureError } from '../errors';
import { guardKeyDeletion } from './key-guard';

/** Object Lock mode of the catalog's default retention. */
export type ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';

const MAX_OBJECT_LOCK_DAYS = 36_500;

/** Days a backup's staging objects are kept (a backup workflow times out after one). */
const STAGING_DAYS = 7;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KEY_ALIAS = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

export interface CatalogProps {
  /**
   * Name of the catalog bucket. Deterministic (see `catalogBucketName`) so writers in another
   * region can address it without a cross-region reference.
   */
  readonly bucketName: string;

  /** Alias given to the catalog's KMS key, e.g. `alias/lifeboat-catalog`. */
  readonly keyAlias: string;

  /**
   * Alias given to the catalog's signing key (HMAC_256), e.g. `alias/lifeboat-catalog-signing`:
   * the backup's commit signs each manifest with it (GenerateMac), readers verify (VerifyMac).
   */
  readonly signingKeyAlias: string;

  /**
   * ARN of the only principal that may retire recovery points: delete a manifest (a delete
   * marker), tag it (`lifeboat:retired=true`, which lets lifecycle remove its version once its
   * lock ends) and extend its Object Lock retention. The backup's retention role, by its fixed
   * name (`retentionRoleName`), so no cross-region reference is needed.
   */
  readonly retentionPrincipalArn: string;

  /**
   * The only principal that may schedule the deletion of, or disable, the catalog's keys, delete
   * object versions of recovery points (or bypass GOVERNANCE retention on them) and change the
   * bucket's Object Lock configuration or versioning.
   *
   * @default - nobody
   */
  readonly breakGlassPrincipalArn?: string;

  /**
   * Object Lock mode of the bucket's default retention. COMPLIANCE lets nobody, not even the
   * account root, delete a version before its lock ends; GOVERNANCE lets principals holding
   * `s3:BypassGovernanceRetention` do so (the bucket policy denies that on recovery points to
   * everyone but the break-glass principal).
   *
   * @default 'COMPLIANCE'
   */
  readonly objectLockMode?: ObjectLockMode;

  /**
   * How long every object version written to the catalog stays locked (whole days).
   *
   * @default Duration.days(35)
   */
  readonly objectLockRetention?: Duration;

  /**
   * How long S3 server access logs of the catalog are kept (whole days).
   *
   * @default Duration.days(365)
   */
  readonly accessLogsRetention?: Duration;
}

/**
 * The recovery point catalog: a customer managed KMS key (rotated), an HMAC signing key, the
 * catalog bucket (versioned, SSE-KMS with a bucket key, Block Public Access, TLS-only, Object
 * Lock with a default retention) and the bucket receiving its server access logs. The keys and
 * both buckets are retained when the stack is deleted: they hold the only copy of the recovery
 * points.
 *
 * Recovery points cannot be lost, forged or rolled back:
 * - every object version is locked (COMPLIANCE by default) for the lock retention;
 * - the bucket policy refuses manifest writes without `If-None-Match` (no overwrite), and every
 *   delete, tag change or retention change of a manifest by anyone but the retention principal;
 *   nobody but the break-glass principal (if any) may delete a version, bypass GOVERNANCE
 *   retention or change the bucket's Object Lock configuration or versioning;
 * - lifecycle removes a manifest's version only once retention tagged it `lifeboat:retired=true`
 *   and deleted it (and only after its lock ended): a delete marker by anyone else hides nothing
 *   for good;
 * - manifests are signed with the HMAC key (GenerateMac by the backup, VerifyMac by readers);
 * - nobody but the break-glass principal (if any) may schedule the deletion of, or disable, the
 *   keys (`guardKeyDeletion`).
 *
 * Changing the Object Lock configuration or versioning of a deployed catalog is refused to
 * everyone but the break-glass principal, CloudFormation's deployment role included: a change of
 * `objectLockMode` or of the lock days then fails to deploy unless the break-glass principal
 * deploys it (or the statement is lifted first).
 */
export class Catalog extends Construct {
  /** Encrypts the catalog objects (and the report topic). */
  public readonly key: kms.Key;

  /** HMAC_256 key signing the recovery point manifests (GenerateMac / VerifyMac). */
  public readonly signingKey: kms.Key;

  /** The catalog bucket. */
  public readonly bucket: s3.Bucket;

  /** Receives the catalog bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);

    if (!BUCKET_NAME.test(props.bucketName)) {
      throw new InfrastructureError(
        `bucketName "${props.bucketName}" is not a valid S3 bucket name: use 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit`,
        this.node.path,
      );
    }
    for (const [prop, alias] of [
      ['keyAlias', props.keyAlias],
      ['signingKeyAlias', props.signingKeyAlias],
    ] as const) {
      if (!KEY_ALIAS.test(alias) || alias.startsWith('alias/aws/')) {
        throw new InfrastructureError(
          `${prop} "${alias}" is not a valid KMS alias: use "alias/" followed by letters, digits, "/", "_" or "-" (the "alias/aws/" prefix is reserved for AWS managed keys)`,
          this.node.path,
        );
      }
    }
    if (props.signingKeyAlias === props.keyAlias) {
      throw new InfrastructureError(
        `signingKeyAlias and keyAlias are both "${props.keyAlias}": the signing key and the encryption key need aliases of their own`,
        this.node.path,
      );
    }
    const lockDays = wholeDays(this, 'objectLockRetention', props.objectLockRetention ?? Duration.days(35));
    const accessLogsDays = wholeDays(
      this,
      'accessLogsRetention',
      props.accessLogsRetention ?? Duration.days(365),
    );
    if (lockDays > MAX_OBJECT_LOCK_DAYS) {
      throw new InfrastructureError(
        `objectLockRetention is ${lockDays} days; S3 Object Lock allows at most ${MAX_OBJECT_LOCK_DAYS} days`,
        this.node.path,
      );
    }

    // Grant S3 log delivery through the bucket policy (ACLs are disabled on both buckets),
    // whatever the app's feature flags say.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    this.key = new kms.Key(this, 'Key', {
      alias: props.keyAlias,
      description: 'Lifeboat: encrypts the recovery point catalog and the restore report topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    guardKeyDeletion(this.key, props.breakGlassPrincipalArn);

    // HMAC keys have no automatic rotation (KMS supports it for symmetric encryption keys only).
    this.signingKey = new kms.Key(this, 'SigningKey', {
      alias: props.signingKeyAlias,
      description: 'Lifeboat: signs the recovery point manifests of the catalog (HMAC)',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    guardKeyDeletion(this.signingKey, props.breakGlassPrincipalArn);

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // Server access log delivery supports SSE-S3 only on the target bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(accessLogsDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the destination of the catalog bucket server access logs; logging its own access would recurse.',
    });

    const lockDuration = Duration.days(lockDays);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        (props.objectLockMode ?? 'COMPLIANCE') === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(lockDuration)
          : s3.ObjectLockRetention.governance(lockDuration),
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: `${props.bucketName}/`,
      // S3 lifecycle never removes a version before its Object Lock retention ends.
      lifecycleRules: [
        {
          // A backup's work in progress; a backup workflow runs for at most a day.
          id: 'expire-staging',
          prefix: STAGING_PREFIX,
          expiration: Duration.days(STAGING_DAYS),
          noncurrentVersionExpiration: Duration.days(1),
        },
        {
          // Recovery points retention retired: it tags the manifest, then deletes it (a delete
          // marker). Only those versions go; a delete marker put by anyone else removes nothing.
          id: 'remove-retired-recovery-points',
          prefix: RECOVERY_POINT_PREFIX,
          tagFilters: { [RETIRED_TAG.key]: RETIRED_TAG.value },
          noncurrentVersionExpiration: Duration.days(1),
        },
        {
          // S3 takes no tag filter with expiredObjectDeleteMarker: this rule removes only delete
          // markers with no version left behind them (once the retired version above is gone).
          id: 'remove-expired-recovery-point-delete-markers',
          prefix: RECOVERY_POINT_PREFIX,
          expiredObjectDeleteMarker: true,
        },
        {
          // Retention's records of the points it retired (written before the manifest is deleted,
          // removed once their snapshots are): their old versions and delete markers go.
          id: 'remove-old-retired-records',
          prefix: RETIRED_PREFIX,
          noncurrentVersionExpiration: Duration.days(1),
          expiredObjectDeleteMarker: true,
        },
        {
          // The failover lease is rewritten by every failover (taken, then given back): only its
          // current version means anything.
          id: 'remove-old-lease-versions',
          prefix: LEASE_PREFIX,
          noncurrentVersionExpiration: Duration.days(1),
        },
        // Pin records (pins/), restore runs and reports have no lifecycle.
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.denyRecoveryPointTampering(props);
  }

  /** The bucket policy statements that keep recovery points from being lost, forged or rolled back. */
  private denyRecoveryPointTampering(props: CatalogProps): void {
    const recoveryPoints = this.bucket.arnForObjects(`${RECOVERY_POINT_PREFIX}*`);
    const allBut = (arn: string | undefined) =>
      arn ? { conditions: { ArnNotEquals: { 'aws:PrincipalArn': arn } } } : {};
    const deny = (sid: string, actions: string[], resource: string, extra: { conditions?: iam.Conditions }) =>
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions,
          resources: [resource],
          ...extra,
        }),
      );
    // A commit sends `If-None-Match: *`: a manifest is written once and never overwritten (this
    // also refuses CopyObject and multipart uploads into the prefix, which Lifeboat never uses).
    deny('DenyRecoveryPointWritesWithoutIfNoneMatch', ['s3:PutObject'], recoveryPoints, {
      conditions: { Null: { 's3:if-none-match': 'true' } },
    });
    // Deleting a manifest, or tagging it (the retired tag lets lifecycle remove its version):
    // retention only.
    deny(
      'DenyRecoveryPointDeletesButRetention',
      [
        's3:DeleteObject',
        's3:PutObjectTagging',
        's3:DeleteObjectTagging',
        's3:PutObjectVersionTagging',
        's3:DeleteObjectVersionTagging',
      ],
      recoveryPoints,
      allBut(props.retentionPrincipalArn),
    );
    // Removing a version for good (or early, in GOVERNANCE mode): the break-glass principal only.
    deny(
      'DenyRecoveryPointVersionDeletes',
      ['s3:DeleteObjectVersion', 's3:BypassGovernanceRetention'],
      recoveryPoints,
      allBut(props.breakGlassPrincipalArn),
    );
    // Retention extends the lock of the points it keeps; nobody else changes a lock.
    deny(
      'DenyRecoveryPointRetentionChangesButRetention',
      ['s3:PutObjectRetention'],
      recoveryPoints,
      allBut(props.retentionPrincipalArn),
    );
  }
}

function wholeDays(scope: Construct, prop: string, duration: Duration): number {
  const days = duration.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1) {
    throw new InfrastructureError(
      `${prop} must be a whole number of days, at least 1 (got ${duration.toHumanString()})`,
      scope.node.path,
    );
  }
  return days;
}
