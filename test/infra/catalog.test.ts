import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { Catalog, type CatalogProps } from '../../lib/constructs/catalog';
import { InfrastructureError } from '../../lib/errors';
import { newApp, removeTestApps } from './support/synth';

afterAll(removeTestApps);

const REQUIRED: CatalogProps = { bucketName: 'catalog-under-test', keyAlias: 'alias/catalog-under-test' };

function catalogTemplate(props: Partial<CatalogProps> = {}): Template {
  const stack = new Stack(newApp(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  new Catalog(stack, 'Catalog', { ...REQUIRED, ...props });
  return Template.fromStack(stack);
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

  it('defaults to GOVERNANCE mode, 35 days of Object Lock and 365 days of access logs', () => {
    const template = catalogTemplate();
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'catalog-under-test',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 35 } } },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 365 }] },
    });
  });

  it('expires staging objects after a week and removes versions hidden by a delete (after their lock)', () => {
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
            Id: 'remove-deleted-versions',
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            ExpiredObjectDeleteMarker: true,
            Status: 'Enabled',
          },
        ],
      },
    });
  });

  it('honours objectLockMode, objectLockRetention and accessLogsRetention', () => {
    const template = catalogTemplate({
      objectLockMode: 'COMPLIANCE',
      objectLockRetention: Duration.days(7),
      accessLogsRetention: Duration.days(30),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'catalog-under-test',
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 7 } } },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 30 }] },
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
