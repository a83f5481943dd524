import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { STAGING_PREFIX } from '../../src/catalog/keys';
import { InfrastructureError } from '../errors';

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
   * Object Lock mode of the bucket's default retention. GOVERNANCE lets principals holding
   * `s3:BypassGovernanceRetention` delete a version early; COMPLIANCE lets nobody.
   *
   * @default 'GOVERNANCE'
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
 * The recovery point catalog: a customer managed KMS key (rotated), the catalog bucket
 * (versioned, SSE-KMS with a bucket key, Block Public Access, TLS-only, Object Lock with a
 * default retention) and the bucket receiving its server access logs. The key and both buckets
 * are retained when the stack is deleted: they hold the only copy of the recovery points.
 */
export class Catalog extends Construct {
  /** Encrypts the catalog objects (and the report topic). */
  public readonly key: kms.Key;

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
    if (!KEY_ALIAS.test(props.keyAlias) || props.keyAlias.startsWith('alias/aws/')) {
      throw new InfrastructureError(
        `keyAlias "${props.keyAlias}" is not a valid KMS alias: use "alias/" followed by letters, digits, "/", "_" or "-" (the "alias/aws/" prefix is reserved for AWS managed keys)`,
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
        (props.objectLockMode ?? 'GOVERNANCE') === 'COMPLIANCE'
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
          // Recovery points deleted by retention (a delete marker hides each one at once).
          id: 'remove-deleted-versions',
          noncurrentVersionExpiration: Duration.days(1),
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
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
