import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFunction, type CaptureFunctionProps } from '../../lib/capture-function';
import { InfrastructureError } from '../../lib/errors';
import { newApp, removeTestApps, sampleConfig } from './support/synth';

afterAll(removeTestApps);

const CATALOG = {
  bucketName: 'catalog-under-test',
  keyAlias: 'alias/catalog-under-test',
  region: 'eu-central-1',
};

function testStack(): Stack {
  return new Stack(newApp(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
}

function props(overrides: Partial<CaptureFunctionProps> = {}): CaptureFunctionProps {
  return {
    config: sampleConfig({ primaryRegion: 'eu-west-1', drRegion: 'eu-central-1' }),
    catalog: CATALOG,
    logRetention: logs.RetentionDays.ONE_WEEK,
    ...overrides,
  };
}

describe('CaptureFunction', () => {
  it('honours catalog and logRetention', () => {
    const stack = testStack();
    new CaptureFunction(stack, 'Capture', props());
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          CATALOG_BUCKET: 'catalog-under-test',
          CATALOG_KMS_KEY_ID: 'alias/catalog-under-test',
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'ListCatalog', Resource: 'arn:aws:s3:::catalog-under-test' }),
          Match.objectLike({
            Sid: 'UseCatalogKeyThroughS3',
            Resource: 'arn:aws:kms:eu-central-1:123456789012:key/*',
            Condition: {
              'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/catalog-under-test' },
              StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' },
            },
          }),
        ]),
      },
    });
  });

  it('sends failed asynchronous runs to failureQueue when one is given', () => {
    const stack = testStack();
    const queue = new sqs.Queue(stack, 'Failures');
    new CaptureFunction(stack, 'Capture', props({ failureQueue: queue }));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue), 'Arn'] },
        },
      },
    });
  });

  it('configures no failure destination without failureQueue (and still never retries)', () => {
    const stack = testStack();
    new CaptureFunction(stack, 'Capture', props());
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      DestinationConfig: Match.absent(),
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('sqs:SendMessage');
  });

  it('builds ARNs in the partition of the regions (aws-cn)', () => {
    const stack = new Stack(newApp(), 'China', { env: { account: '123456789012', region: 'cn-north-1' } });
    new CaptureFunction(
      stack,
      'Capture',
      props({
        catalog: {
          bucketName: 'catalog-under-test',
          keyAlias: 'alias/catalog-under-test',
          region: 'cn-northwest-1',
        },
      }),
    );
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ResolveEcrImageDigests',
            Resource: 'arn:aws-cn:ecr:cn-north-1:123456789012:repository/*',
          }),
          Match.objectLike({ Sid: 'ListCatalog', Resource: 'arn:aws-cn:s3:::catalog-under-test' }),
          Match.objectLike({
            Sid: 'UseCatalogKeyThroughS3',
            Condition: Match.objectLike({
              StringEquals: { 'kms:ViaService': 's3.cn-northwest-1.amazonaws.com.cn' },
            }),
          }),
        ]),
      },
    });
  });

  it('fails when its stack has no explicit account and region', () => {
    const build = () => new CaptureFunction(new Stack(newApp(), 'Agnostic'), 'Capture', props());
    expect(build).toThrow(InfrastructureError);
    expect(build).toThrow(/Agnostic\/Capture: the capture function needs a stack with an explicit env/);
  });

  it('fails when the configuration does not fit in the 4 KB Lambda environment', () => {
    const subnets = Object.fromEntries(
      Array.from({ length: 80 }, (_, i) => [
        `subnet-${String(i).padStart(17, '0')}`,
        `subnet-${String(i).padStart(17, '1')}`,
      ]),
    );
    const config = sampleConfig({ mappings: { subnets } });
    const build = () => new CaptureFunction(testStack(), 'Capture', props({ config }));
    expect(build).toThrow(InfrastructureError);
    expect(build).toThrow(
      /Test\/Capture: the capture function's environment is \d+ bytes, over Lambda's 4096-byte limit.*lifeboat\.mappings/,
    );
  });
});
