import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { Catalog, type CatalogProps } from '../../lib/constructs/catalog';
import { InfrastructureError } from '../../lib/errors';
import { newApp, removeTestApps } from './support/synth';

afterAll(removeTestApps);

const RETENTION_ROLE = 'arn:aws:iam::123456789012:role/retention-under-test';
const BREAK_GLASS = 'arn:aws:iam::123456789012:role/break-glass';

const REQUIRED: CatalogProps = {
  bucketName: 'catalog-under-test',
  keyAlias: 'alias/catalog-under-test',
  signingKeyAlias: 'alias/catalog-signing-under-test',
  retentionPrincipalArn: RETENTION_ROLE,
};

function catalogTemplate(props: Partial<CatalogProps> = {}): Template {
  return built(props).template;
}

function built(props: Partial<CatalogProps> = {}): { stack: Stack; catalog: Catalog; template: Template } {
  const stack = new Stack(newApp(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const catalog = new Catalog(stack, 'Catalog', { ...REQUIRED, ...props });
  return { stack, catalog, template: Template.fromStack(stack) };
}

type Statement = {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: unknown;
  Resource?: unknown;
  Condition?: unknown;
};

/** The statements of the key policy of `key` in the template of `stack`, by Sid (unnamed ones dropped). */
function keyStatements(template: Template, stack: Stack, key: Catalog['key']): Record<string, Statement> {
  const id = stack.getLogicalId(key.node.defaultChild as CfnElement);
  const resource = template.toJSON().Resources[id] as {
    Properties: { KeyPolicy: { Statement: Statement[] } };
  };
  return Object.fromEntries(
    resource.Properties.KeyPolicy.Statement.filter((s) => s.Sid).map((s) => [s.Sid as string, s]),
  );
}

/** The statements of the catalog bucket's policy, by Sid (unnamed ones dropped). */
function bucketStatements(template: Template, stack: Stack, catalog: Catalog): Record<string, Statement> {
  const bucketId = stack.getLogicalId(catalog.bucket.node.defaultChild as CfnElement);
  const policies = template.findResources('AWS::S3::BucketPolicy', {
    Properties: { Bucket: { Ref: bucketId } },
  });
  const [policy] = Object.values(policies) as {
    Properties: { PolicyDocument: { Statement: Statement[] } };
  }[];
  if (!policy) throw new Error('no policy on the catalog bucket');
  return Object.fromEntries(
    policy.Properties.PolicyDocument.Statement.filter((s) => s.Sid).map((s) => [s.Sid as string, s]),
  );
}

function buildCatalog(props: Partial<CatalogProps>): () => Catalog {
  const stack = new Stack(newApp(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  return () => new Catalog(stack, 'Catalog', { ...REQUIRED, ...props });
}

describe('Catalog', () => {
  it('uses bucketName and keyAlias as given', () => {
    const template = catalogTemplate();
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'catalog-under-test' });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/catalog-under-test' });
  });

  it('defaults to COMPLIANCE mode, 35 days of Object Lock and 365 days of access logs', () => {
    const template = catalogTemplate();
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'catalog-under-test',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 35 } } },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 365 }] },
    });
  });

  it('expires staging after a week; removes only retired recovery points (tagged), retired records and old lease versions, after their lock', () => {
    catalogTemplate().hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'catalog-under-test',
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'expire-staging',
            Prefix: 'staging/',
            ExpirationInDays: 7,
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            Status: 'Enabled',
          },
          {
            Id: 'remove-retired-recovery-points',
            Prefix: 'recovery-points/',
            TagFilters: [{ Key: 'lifeboat:retired', Value: 'true' }],
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            Status: 'Enabled',
          },
          {
            Id: 'remove-expired-recovery-point-delete-markers',
            Prefix: 'recovery-points/',
            ExpiredObjectDeleteMarker: true,
            Status: 'Enabled',
          },
          {
            Id: 'remove-old-retired-records',
            Prefix: 'retired/',
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            ExpiredObjectDeleteMarker: true,
            Status: 'Enabled',
          },
          {
            Id: 'remove-old-lease-versions',
            Prefix: 'leases/',
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            Status: 'Enabled',
          },
        ],
      },
    });
  });

  it('has no lifecycle rule that removes versions of any key outside the retired tag, staging, retired/ and leases/', () => {
    const bucket = Object.values(
      catalogTemplate().findResources('AWS::S3::Bucket', {
        Properties: { BucketName: 'catalog-under-test' },
      }),
    )[0] as { Properties: { LifecycleConfiguration: { Rules: Record<string, unknown>[] } } };
    for (const rule of bucket.Properties.LifecycleConfiguration.Rules) {
      expect(rule.Prefix, String(rule.Id)).toMatch(/^(staging|recovery-points|retired|leases)\/$/);
      if (rule.Prefix === 'recovery-points/' && rule.NoncurrentVersionExpiration) {
        expect(rule.TagFilters).toEqual([{ Key: 'lifeboat:retired', Value: 'true' }]);
      }
      if (rule.Prefix === 'recovery-points/') expect(rule.ExpirationInDays).toBeUndefined();
    }
  });

  it('honours objectLockMode GOVERNANCE, objectLockRetention and accessLogsRetention', () => {
    const template = catalogTemplate({
      objectLockMode: 'GOVERNANCE',
      objectLockRetention: Duration.days(7),
      accessLogsRetention: Duration.days(30),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'catalog-under-test',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } } },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 30 }] },
    });
  });

  describe('signing key', () => {
    it('is an HMAC_256 key for GenerateMac/VerifyMac, without rotation, aliased signingKeyAlias, retained on delete', () => {
      const { stack, catalog, template } = built();
      const id = stack.getLogicalId(catalog.signingKey.node.defaultChild as CfnElement);
      const resource = template.toJSON().Resources[id];
      expect(resource).toMatchObject({
        Type: 'AWS::KMS::Key',
        Properties: { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      expect(resource.Properties.EnableKeyRotation).not.toBe(true);
      template.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: 'alias/catalog-signing-under-test',
        TargetKeyId: { 'Fn::GetAtt': [id, 'Arn'] },
      });
    });

    it('is a key of its own, apart from the encryption key', () => {
      const { catalog } = built();
      expect(catalog.signingKey).not.toBe(catalog.key);
      expect(Object.keys(catalogTemplate().findResources('AWS::KMS::Key'))).toHaveLength(2);
    });
  });

  describe('key deletion guard', () => {
    it('denies everyone scheduling the deletion of, or disabling, either key when no break-glass principal is set', () => {
      const { stack, catalog, template } = built();
      for (const key of [catalog.key, catalog.signingKey]) {
        expect(keyStatements(template, stack, key).DenyKeyDeletionAndDisabling).toEqual({
          Sid: 'DenyKeyDeletionAndDisabling',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
          Resource: '*',
        });
      }
    });

    it('excepts only breakGlassPrincipalArn when one is set', () => {
      const { stack, catalog, template } = built({ breakGlassPrincipalArn: BREAK_GLASS });
      for (const key of [catalog.key, catalog.signingKey]) {
        expect(keyStatements(template, stack, key).DenyKeyDeletionAndDisabling).toMatchObject({
          Effect: 'Deny',
          Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': BREAK_GLASS } },
        });
      }
    });

    it('never denies kms:PutKeyPolicy (CloudFormation manages the key policy)', () => {
      const text = JSON.stringify(catalogTemplate().findResources('AWS::KMS::Key'));
      expect(text).not.toContain('kms:PutKeyPolicy');
    });
  });

  describe('bucket policy', () => {
    it('denies recovery point writes that do not send If-None-Match (no overwrite)', () => {
      const { stack, catalog, template } = built();
      const statement = bucketStatements(template, stack, catalog).DenyRecoveryPointWritesWithoutIfNoneMatch;
      expect(statement).toMatchObject({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Condition: { Null: { 's3:if-none-match': 'true' } },
      });
      expect(statement?.Resource).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/Bucket/), 'Arn'] }, '/recovery-points/*']],
      });
    });

    it('denies deleting and tagging recovery points to everyone but the retention principal', () => {
      const { stack, catalog, template } = built();
      expect(bucketStatements(template, stack, catalog).DenyRecoveryPointDeletesButRetention).toMatchObject({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: [
          's3:DeleteObject',
          's3:DeleteObjectTagging',
          's3:DeleteObjectVersionTagging',
          's3:PutObjectTagging',
          's3:PutObjectVersionTagging',
        ],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': RETENTION_ROLE } },
      });
    });

    it('denies changing the lock of recovery points to everyone but the retention principal', () => {
      const { stack, catalog, template } = built();
      expect(
        bucketStatements(template, stack, catalog).DenyRecoveryPointRetentionChangesButRetention,
      ).toMatchObject({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObjectRetention',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': RETENTION_ROLE } },
      });
    });

    it('denies deleting recovery point versions and bypassing GOVERNANCE retention to everyone without a break-glass principal', () => {
      const { stack, catalog, template } = built();
      const statements = bucketStatements(template, stack, catalog);
      expect(statements.DenyRecoveryPointVersionDeletes).toEqual({
        Sid: 'DenyRecoveryPointVersionDeletes',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['s3:BypassGovernanceRetention', 's3:DeleteObjectVersion'],
        Resource: expect.objectContaining({ 'Fn::Join': expect.any(Array) }),
      });
      // CloudFormation keeps managing the bucket's lock and versioning settings (S3 itself refuses to
      // suspend versioning on an Object Lock bucket, and a COMPLIANCE lock cannot be shortened).
      expect(statements.DenyLockAndVersioningChanges).toBeUndefined();
    });

    it('excepts breakGlassPrincipalArn from the version denies when one is set', () => {
      const { stack, catalog, template } = built({ breakGlassPrincipalArn: BREAK_GLASS });
      const statements = bucketStatements(template, stack, catalog);
      for (const sid of ['DenyRecoveryPointVersionDeletes']) {
        expect(statements[sid]?.Condition, sid).toEqual({
          ArnNotEquals: { 'aws:PrincipalArn': BREAK_GLASS },
        });
      }
      // Deletes and lock changes stay with the retention principal alone.
      expect(statements.DenyRecoveryPointDeletesButRetention?.Condition).toEqual({
        ArnNotEquals: { 'aws:PrincipalArn': RETENTION_ROLE },
      });
    });

    it('keeps the TLS-only statements and never denies changing the bucket policy itself', () => {
      const { template } = built();
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
      const text = JSON.stringify(template.findResources('AWS::S3::BucketPolicy'));
      expect(text).not.toContain('s3:PutBucketPolicy');
      expect(text).not.toContain('s3:DeleteBucketPolicy');
    });
  });

  it('accepts a retention given in another unit when it is a whole number of days', () => {
    const template = catalogTemplate({ objectLockRetention: Duration.hours(48) });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'catalog-under-test',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Days: 2 } } },
    });
  });

  it('fails when bucketName is not a valid S3 bucket name', () => {
    expect(buildCatalog({ bucketName: 'Lifeboat_Catalog' })).toThrow(InfrastructureError);
    expect(buildCatalog({ bucketName: 'Lifeboat_Catalog' })).toThrow(
      /Test\/Catalog: bucketName "Lifeboat_Catalog"/,
    );
  });

  it('fails when keyAlias does not start with alias/', () => {
    expect(buildCatalog({ keyAlias: 'lifeboat-catalog' })).toThrow(/keyAlias "lifeboat-catalog".*"alias\/"/);
  });

  it('fails when keyAlias uses the prefix reserved for AWS managed keys', () => {
    expect(buildCatalog({ keyAlias: 'alias/aws/lifeboat' })).toThrow(/"alias\/aws\/" prefix is reserved/);
  });

  it('fails when signingKeyAlias is not a customer managed key alias', () => {
    expect(buildCatalog({ signingKeyAlias: 'lifeboat-signing' })).toThrow(
      /signingKeyAlias "lifeboat-signing"/,
    );
    expect(buildCatalog({ signingKeyAlias: 'alias/aws/signing' })).toThrow(/signingKeyAlias.*reserved/);
  });

  it('fails when signingKeyAlias is the same as keyAlias', () => {
    expect(buildCatalog({ signingKeyAlias: REQUIRED.keyAlias })).toThrow(
      /signingKeyAlias and keyAlias are both "alias\/catalog-under-test"/,
    );
  });

  it('fails when objectLockRetention is not a whole number of days', () => {
    expect(buildCatalog({ objectLockRetention: Duration.hours(36) })).toThrow(
      /objectLockRetention must be a whole number of days, at least 1 \(got 1 day 12 hours\)/,
    );
  });

  it('fails when objectLockRetention is longer than S3 Object Lock allows', () => {
    expect(buildCatalog({ objectLockRetention: Duration.days(36_501) })).toThrow(/at most 36500 days/);
  });

  it('fails when accessLogsRetention is shorter than a day', () => {
    expect(buildCatalog({ accessLogsRetention: Duration.hours(12) })).toThrow(
      /accessLogsRetention must be a whole number of days/,
    );
  });
});
