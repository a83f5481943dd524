import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  onlyResource,
  removeTestApps,
  type SynthesisedLifeboat,
  sampleConfig,
  synthLifeboat,
} from './support/synth';

afterAll(removeTestApps);

const RETENTION_ROLE_ARN = 'arn:aws:iam::123456789012:role/lifeboat-retention-us-east-1-us-west-2';
const BREAK_GLASS = 'arn:aws:iam::123456789012:role/break-glass';

type KeyStatement = {
  Sid?: string;
  Effect: string;
  Principal: unknown;
  Action: unknown;
  Condition?: unknown;
};
type BucketStatement = KeyStatement & { Resource: unknown };

/** The key policy statements of the KMS key `keyId` of `template`. */
function keyPolicy(template: Template, keyId: string): KeyStatement[] {
  const key = template.toJSON().Resources[keyId] as {
    Properties: { KeyPolicy: { Statement: KeyStatement[] } };
  };
  return key.Properties.KeyPolicy.Statement;
}

/** The statements of the policy of the bucket `bucketId`, by Sid (unnamed ones dropped). */
function bucketPolicy(template: Template, bucketId: string): Record<string, BucketStatement> {
  const [policy] = Object.values(
    template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }),
  ) as { Properties: { PolicyDocument: { Statement: BucketStatement[] } } }[];
  if (!policy) throw new Error(`no policy on ${bucketId}`);
  return Object.fromEntries(
    policy.Properties.PolicyDocument.Statement.filter((st) => st.Sid).map((st) => [st.Sid as string, st]),
  );
}

/** The logical ids of the catalog key, the signing key and the volume key of a synthesised RecoveryStack. */
function keyIds(synth: SynthesisedLifeboat): { catalog: string; signing: string; volume: string } {
  const stack = synth.stacks.recovery;
  const id = (key: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(key.node.defaultChild as CfnElement);
  return {
    catalog: id(stack.catalog.key),
    signing: id(stack.catalog.signingKey),
    volume: id(stack.volumeKey.key),
  };
}

describe('RecoveryStack', () => {
  let synth: SynthesisedLifeboat;
  let template: Template;
  let keyId: string;
  let signingKeyId: string;
  let volumeKeyId: string;
  let bucketId: string;
  let logsBucketId: string;

  beforeAll(() => {
    synth = synthLifeboat(sampleConfig());
    template = synth.recovery;
    const stack = synth.stacks.recovery;
    keyId = stack.getLogicalId(stack.catalog.key.node.defaultChild as CfnElement);
    volumeKeyId = stack.getLogicalId(stack.volumeKey.key.node.defaultChild as CfnElement);
    signingKeyId = stack.getLogicalId(stack.catalog.signingKey.node.defaultChild as CfnElement);
    const buckets = template.findResources('AWS::S3::Bucket', {
      Properties: { BucketName: 'lifeboat-catalog-123456789012-us-west-2' },
    });
    bucketId = Object.keys(buckets)[0] as string;
    logsBucketId = Object.keys(template.findResources('AWS::S3::Bucket')).find(
      (id) => id !== bucketId,
    ) as string;
  }, 120_000);

  it('deploys to the configured account and DR region', () => {
    expect(synth.stacks.recovery.account).toBe('123456789012');
    expect(synth.stacks.recovery.region).toBe('us-west-2');
  });

  it('creates a customer managed key with rotation, the catalog alias, retained on delete', () => {
    expect(template.toJSON().Resources[keyId]).toMatchObject({
      Type: 'AWS::KMS::Key',
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/lifeboat-catalog',
      TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
  });

  describe('volume key', () => {
    let statements: { Sid?: string; Principal: unknown; Action: unknown; Condition?: unknown }[];

    beforeAll(() => {
      const key = template.toJSON().Resources[volumeKeyId] as {
        Properties: { KeyPolicy: { Statement: typeof statements } };
      };
      statements = key.Properties.KeyPolicy.Statement;
    });

    it('is a third customer managed key with rotation, aliased alias/lifeboat-volumes, retained on delete', () => {
      expect(Object.keys(template.findResources('AWS::KMS::Key'))).toHaveLength(3);
      expect(template.toJSON().Resources[volumeKeyId]).toMatchObject({
        Type: 'AWS::KMS::Key',
        Properties: { EnableKeyRotation: true, Description: expect.stringContaining('EBS snapshots') },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      template.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: 'alias/lifeboat-volumes',
        TargetKeyId: { 'Fn::GetAtt': [volumeKeyId, 'Arn'] },
      });
    });

    it('is administered by the account (IAM policies decide, as for the catalog key)', () => {
      expect(statements[0]).toMatchObject({
        Action: 'kms:*',
        Principal: {
          AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:root']] },
        },
      });
    });

    it('lets principals of this account use it through EC2 in the DR region only, grants only for AWS resources', () => {
      const throughEc2 = {
        'kms:CallerAccount': '123456789012',
        'kms:ViaService': 'ec2.us-west-2.amazonaws.com',
      };
      expect(statements.slice(1, 3)).toEqual([
        {
          Sid: 'UseThroughEc2ByThisAccount',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: [
            'kms:Decrypt',
            'kms:DescribeKey',
            'kms:Encrypt',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
          ],
          Resource: '*',
          Condition: { StringEquals: throughEc2 },
        },
        {
          Sid: 'GrantToEbsThroughEc2ByThisAccount',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'kms:CreateGrant',
          Resource: '*',
          Condition: { StringEquals: throughEc2, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        },
      ]);
    });

    it('is output with what an ECS infrastructure role needs on it', () => {
      template.hasOutput('VolumeKeyArn', {
        Value: { 'Fn::GetAtt': [volumeKeyId, 'Arn'] },
        Description: Match.stringLikeRegexp('ECS infrastructure role.*kms:CreateGrant'),
      });
    });
  });

  it('names the catalog bucket deterministically and retains it on delete', () => {
    expect(bucketId).toBeDefined();
    template.hasResource('AWS::S3::Bucket', {
      Properties: { BucketName: 'lifeboat-catalog-123456789012-us-west-2' },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('encrypts the catalog with the customer managed key and a bucket key', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
          },
        ],
      },
    });
  });

  it('versions the catalog, blocks public access and enforces bucket-owner object ownership', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  it('locks every object version in COMPLIANCE mode for retention.days by default', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 35 } },
      },
    });
  });

  describe('signing key', () => {
    it('is an HMAC_256 GENERATE_VERIFY_MAC key, aliased alias/lifeboat-catalog-signing, retained on delete', () => {
      const resource = template.toJSON().Resources[signingKeyId];
      expect(resource).toMatchObject({
        Type: 'AWS::KMS::Key',
        Properties: {
          KeySpec: 'HMAC_256',
          KeyUsage: 'GENERATE_VERIFY_MAC',
          Description: expect.stringContaining('signs the recovery point manifests'),
        },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      // KMS rotates symmetric encryption keys only.
      expect(resource.Properties.EnableKeyRotation).toBeUndefined();
      template.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: 'alias/lifeboat-catalog-signing',
        TargetKeyId: { 'Fn::GetAtt': [signingKeyId, 'Arn'] },
      });
    });

    it('is administered by the account (IAM policies decide who signs and verifies)', () => {
      expect(keyPolicy(template, signingKeyId)[0]).toMatchObject({
        Action: 'kms:*',
        Effect: 'Allow',
        Principal: {
          AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:root']] },
        },
      });
    });

    it('is output as CatalogSigningKeyArn', () => {
      template.hasOutput('CatalogSigningKeyArn', {
        Value: { 'Fn::GetAtt': [signingKeyId, 'Arn'] },
        Description: Match.stringLikeRegexp('alias/lifeboat-catalog-signing.*kms:GenerateMac.*kms:VerifyMac'),
      });
    });
  });

  describe('key deletion guard', () => {
    it('denies everyone scheduling the deletion of, or disabling, each of the three keys (no break-glass principal)', () => {
      for (const id of [keyId, signingKeyId, volumeKeyId]) {
        const guards = keyPolicy(template, id).filter((st) => st.Sid === 'DenyKeyDeletionAndDisabling');
        expect(guards, id).toEqual([
          {
            Sid: 'DenyKeyDeletionAndDisabling',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
            Resource: '*',
          },
        ]);
      }
    });

    it('never denies kms:PutKeyPolicy (CloudFormation manages the key policies)', () => {
      expect(JSON.stringify(template.findResources('AWS::KMS::Key'))).not.toContain('kms:PutKeyPolicy');
    });
  });

  describe('catalog bucket policy', () => {
    let statements: Record<string, BucketStatement>;
    let recoveryPoints: unknown;

    beforeAll(() => {
      statements = bucketPolicy(template, bucketId);
      recoveryPoints = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/recovery-points/*']] };
    });

    it('has exactly the TLS statements and the four recovery point statements', () => {
      expect(Object.keys(statements)).toEqual([
        'DenyRecoveryPointWritesWithoutIfNoneMatch',
        'DenyRecoveryPointDeletesButRetention',
        'DenyRecoveryPointVersionDeletes',
        'DenyRecoveryPointRetentionChangesButRetention',
      ]);
      for (const st of Object.values(statements)) {
        expect(st).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
      }
    });

    it('denies recovery point writes without If-None-Match', () => {
      expect(statements.DenyRecoveryPointWritesWithoutIfNoneMatch).toEqual({
        Sid: 'DenyRecoveryPointWritesWithoutIfNoneMatch',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Resource: recoveryPoints,
        Condition: { Null: { 's3:if-none-match': 'true' } },
      });
    });

    it('lets only the retention role (by its fixed name) delete or tag recovery points', () => {
      expect(statements.DenyRecoveryPointDeletesButRetention).toEqual({
        Sid: 'DenyRecoveryPointDeletesButRetention',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: [
          's3:DeleteObject',
          's3:DeleteObjectTagging',
          's3:DeleteObjectVersionTagging',
          's3:PutObjectTagging',
          's3:PutObjectVersionTagging',
        ],
        Resource: recoveryPoints,
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': RETENTION_ROLE_ARN } },
      });
    });

    it('lets only the retention role change (extend) the lock of recovery points', () => {
      expect(statements.DenyRecoveryPointRetentionChangesButRetention).toEqual({
        Sid: 'DenyRecoveryPointRetentionChangesButRetention',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObjectRetention',
        Resource: recoveryPoints,
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': RETENTION_ROLE_ARN } },
      });
    });

    it('lets nobody delete recovery point versions, bypass GOVERNANCE retention or change the lock or versioning (no break-glass principal)', () => {
      expect(statements.DenyRecoveryPointVersionDeletes).toEqual({
        Sid: 'DenyRecoveryPointVersionDeletes',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['s3:BypassGovernanceRetention', 's3:DeleteObjectVersion'],
        Resource: recoveryPoints,
      });
    });

    it('never denies changing the bucket policy itself (CloudFormation manages it)', () => {
      const text = JSON.stringify(statements);
      expect(text).not.toContain('s3:PutBucketPolicy');
      expect(text).not.toContain('s3:DeleteBucketPolicy');
    });
  });

  it('removes recovery point versions by lifecycle only once retention tagged them lifeboat:retired=true', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'remove-retired-recovery-points',
            Prefix: 'recovery-points/',
            TagFilters: [{ Key: 'lifeboat:retired', Value: 'true' }],
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          }),
        ]),
      },
    });
    const bucket = template.toJSON().Resources[bucketId] as {
      Properties: { LifecycleConfiguration: { Rules: { Id: string }[] } };
    };
    expect(bucket.Properties.LifecycleConfiguration.Rules.map((r) => r.Id)).toEqual([
      'expire-staging',
      'remove-retired-recovery-points',
      'remove-expired-recovery-point-delete-markers',
      'remove-old-retired-records',
      'remove-old-lease-versions',
    ]);
  });

  it('denies any request to the catalog over plain HTTP or TLS older than 1.2', () => {
    const bucketAndObjects = [
      { 'Fn::GetAtt': [bucketId, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
    ];
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: bucketAndObjects,
          },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            Resource: bucketAndObjects,
          },
        ]),
      },
    });
  });

  it('sends the catalog server access logs to a separate bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      LoggingConfiguration: {
        DestinationBucketName: { Ref: logsBucketId },
        LogFilePrefix: 'lifeboat-catalog-123456789012-us-west-2/',
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': '123456789012' },
            },
          }),
        ]),
      },
    });
  });

  it('keeps the access logs encrypted, private, TLS-only, for logRetentionDays, retained on delete', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketName: Match.absent(),
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 90, Status: 'Enabled' }],
        },
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('encrypts the report topic with the catalog key and accepts publishes over TLS only', () => {
    const topicId = onlyResource(template, 'AWS::SNS::Topic').id;
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('outputs the bucket name, the key ARNs and the topic ARN', () => {
    const topicId = onlyResource(template, 'AWS::SNS::Topic').id;
    template.hasOutput('CatalogBucketName', { Value: { Ref: bucketId } });
    template.hasOutput('CatalogKeyArn', { Value: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasOutput('CatalogSigningKeyArn', { Value: { 'Fn::GetAtt': [signingKeyId, 'Arn'] } });
    template.hasOutput('ReportTopicArn', { Value: { Ref: topicId } });
  });

  it('depends on nothing in the primary region (it names the retention role by its fixed name only)', () => {
    expect(synth.stacks.recovery.dependencies).toEqual([]);
    // The default deployment id is <primaryRegion>-<drRegion> (in the retention role's name and
    // the restore configuration): the only mentions of us-east-1.
    const text = JSON.stringify(template.toJSON());
    expect(text).toContain(RETENTION_ROLE_ARN);
    expect(text.replaceAll('us-east-1-us-west-2', '')).not.toContain('us-east-1');
  });
});

describe('RecoveryStack with catalog settings', () => {
  it('applies lifeboat.catalog.objectLockMode GOVERNANCE and objectLockDays', () => {
    const synth = synthLifeboat(
      sampleConfig({ catalog: { objectLockMode: 'GOVERNANCE', objectLockDays: 400 } }),
    );
    synth.recovery.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } } },
    });
  });

  it('applies objectLockDays in the default COMPLIANCE mode', () => {
    const synth = synthLifeboat(sampleConfig({ catalog: { objectLockDays: 90 } }));
    synth.recovery.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 90 } } },
    });
  });

  it('locks objects for lifeboat.retention.days when objectLockDays is not set', () => {
    const synth = synthLifeboat(sampleConfig({ retention: { days: 14, minRecoveryPoints: 3 } }));
    synth.recovery.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 14 } } },
    });
  });

  it('excepts lifeboat.catalog.breakGlassPrincipalArn from the key deletion guard of all three keys', () => {
    const synth = synthLifeboat(sampleConfig({ catalog: { breakGlassPrincipalArn: BREAK_GLASS } }));
    for (const id of Object.values(keyIds(synth))) {
      expect(
        keyPolicy(synth.recovery, id).filter((st) => st.Sid === 'DenyKeyDeletionAndDisabling'),
        id,
      ).toEqual([
        {
          Sid: 'DenyKeyDeletionAndDisabling',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': BREAK_GLASS } },
        },
      ]);
    }
  });

  it('excepts lifeboat.catalog.breakGlassPrincipalArn from the version, lock and versioning denies, not from the retention ones', () => {
    const synth = synthLifeboat(sampleConfig({ catalog: { breakGlassPrincipalArn: BREAK_GLASS } }));
    const stack = synth.stacks.recovery;
    const statements = bucketPolicy(
      synth.recovery,
      stack.getLogicalId(stack.catalog.bucket.node.defaultChild as CfnElement),
    );
    const breakGlass = { ArnNotEquals: { 'aws:PrincipalArn': BREAK_GLASS } };
    const retention = { ArnNotEquals: { 'aws:PrincipalArn': RETENTION_ROLE_ARN } };
    expect(statements.DenyRecoveryPointVersionDeletes?.Condition).toEqual(breakGlass);
    expect(statements.DenyRecoveryPointDeletesButRetention?.Condition).toEqual(retention);
    expect(statements.DenyRecoveryPointRetentionChangesButRetention?.Condition).toEqual(retention);
  });

  it('names the retention role of lifeboat.deploymentId in the bucket policy', () => {
    const synth = synthLifeboat(sampleConfig({ deploymentId: 'prod' }));
    const stack = synth.stacks.recovery;
    const statements = bucketPolicy(
      synth.recovery,
      stack.getLogicalId(stack.catalog.bucket.node.defaultChild as CfnElement),
    );
    expect(statements.DenyRecoveryPointDeletesButRetention?.Condition).toEqual({
      ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/lifeboat-retention-prod' },
    });
    // The same name the BackupStack gives the role.
    synth.backup.hasResourceProperties('AWS::IAM::Role', { RoleName: 'lifeboat-retention-prod' });
  });

  it('keeps the access logs for lifeboat.logRetentionDays', () => {
    const synth = synthLifeboat(sampleConfig({ logRetentionDays: 365 }));
    synth.recovery.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 365 }] },
    });
  });
});
