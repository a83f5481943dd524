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

describe('RecoveryStack', () => {
  let synth: SynthesisedLifeboat;
  let template: Template;
  let keyId: string;
  let volumeKeyId: string;
  let bucketId: string;
  let logsBucketId: string;

  beforeAll(() => {
    synth = synthLifeboat(sampleConfig());
    template = synth.recovery;
    const stack = synth.stacks.recovery;
    keyId = stack.getLogicalId(stack.catalog.key.node.defaultChild as CfnElement);
    volumeKeyId = stack.getLogicalId(stack.volumeKey.key.node.defaultChild as CfnElement);
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

    it('is a second customer managed key with rotation, aliased alias/lifeboat-volumes, retained on delete', () => {
      expect(Object.keys(template.findResources('AWS::KMS::Key'))).toHaveLength(2);
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
      expect(statements.slice(1)).toEqual([
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

  it('locks every object version in GOVERNANCE mode for retention.days by default', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 35 } },
      },
    });
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

  it('outputs the bucket name, the key ARN and the topic ARN', () => {
    const topicId = onlyResource(template, 'AWS::SNS::Topic').id;
    template.hasOutput('CatalogBucketName', { Value: { Ref: bucketId } });
    template.hasOutput('CatalogKeyArn', { Value: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasOutput('ReportTopicArn', { Value: { Ref: topicId } });
  });

  it('depends on nothing in the primary region', () => {
    expect(synth.stacks.recovery.dependencies).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('us-east-1');
  });
});

describe('RecoveryStack with catalog settings', () => {
  it('applies lifeboat.catalog.objectLockMode COMPLIANCE and objectLockDays', () => {
    const synth = synthLifeboat(
      sampleConfig({ catalog: { objectLockMode: 'COMPLIANCE', objectLockDays: 400 } }),
    );
    synth.recovery.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } } },
    });
  });

  it('locks objects for lifeboat.retention.days when objectLockDays is not set', () => {
    const synth = synthLifeboat(sampleConfig({ retention: { days: 14, minRecoveryPoints: 3 } }));
    synth.recovery.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lifeboat-catalog-123456789012-us-west-2',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 14 } } },
    });
  });

  it('keeps the access logs for lifeboat.logRetentionDays', () => {
    const synth = synthLifeboat(sampleConfig({ logRetentionDays: 365 }));
    synth.recovery.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 365 }] },
    });
  });
});
