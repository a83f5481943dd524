import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifeboatConfig } from '../../src/core/config';
import {
  onlyResource,
  removeTestApps,
  type SynthesisedLifeboat,
  sampleConfig,
  synthLifeboat,
} from './support/synth';

afterAll(removeTestApps);

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};

describe('BackupStack', () => {
  let config: LifeboatConfig;
  let synth: SynthesisedLifeboat;
  let template: Template;
  let functionId: string;
  let queueId: string;
  let logGroupId: string;
  let captureStatements: Statement[];

  beforeAll(() => {
    config = sampleConfig({ schedule: 'cron(15 */2 * * ? *)', logRetentionDays: 30 });
    // The one synthesis in the suite that really bundles lambda/capture.ts with esbuild.
    synth = synthLifeboat(config, { bundle: true });
    template = synth.backup;
    functionId = onlyResource(template, 'AWS::Lambda::Function').id;
    queueId = onlyResource(template, 'AWS::SQS::Queue').id;
    logGroupId = onlyResource(template, 'AWS::Logs::LogGroup').id;
    const captureRoleId = synth.stacks.backup.getLogicalId(
      synth.stacks.backup.capture.role.node.defaultChild as import('aws-cdk-lib').CfnElement,
    );
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: captureRoleId }] },
    });
    const [policy] = Object.values(policies) as {
      Properties: { PolicyDocument: { Statement: Statement[] } };
    }[];
    captureStatements = policy?.Properties.PolicyDocument.Statement ?? [];
  }, 180_000);

  it('deploys to the configured account and primary region, after the RecoveryStack', () => {
    expect(synth.stacks.backup.account).toBe('123456789012');
    expect(synth.stacks.backup.region).toBe('us-east-1');
    expect(synth.stacks.backup.dependencies).toEqual([synth.stacks.recovery]);
  });

  it('bundles lambda/capture.ts into a minified asset with a source map', () => {
    const code = onlyResource(template, 'AWS::Lambda::Function').properties.Code as { S3Key: string };
    const assetHash = code.S3Key.replace(/\.zip$/, '');
    const assetDir = path.join(synth.app.outdir, `asset.${assetHash}`);
    expect(existsSync(path.join(assetDir, 'index.js'))).toBe(true);
    expect(existsSync(path.join(assetDir, 'index.js.map'))).toBe(true);
    const bundle = readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    // The SDK is bundled (the ECS client's protocol target is in the code), not taken from the runtime.
    expect(bundle).toContain('AmazonEC2ContainerServiceV20141113');
    expect(bundle).not.toMatch(/require\("@aws-sdk\/client-/);
    // Minified: lines are long (newlines survive only inside template literals).
    expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000);
  });

  it('runs the capture handler on Node.js 22, ARM64, 512 MB, 15 minutes', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 900,
    });
  });

  it('passes the validated configuration, the catalog and the Powertools settings in the environment', () => {
    const { properties } = onlyResource(template, 'AWS::Lambda::Function');
    const variables = (properties.Environment as { Variables: Record<string, string> }).Variables;
    expect(variables).toEqual({
      LIFEBOAT_CONFIG: expect.any(String),
      CATALOG_BUCKET: 'lifeboat-catalog-123456789012-us-west-2',
      CATALOG_KMS_KEY_ID: 'alias/lifeboat-catalog',
      POWERTOOLS_SERVICE_NAME: 'lifeboat-capture',
      POWERTOOLS_METRICS_NAMESPACE: 'Lifeboat',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(JSON.parse(variables.LIFEBOAT_CONFIG as string)).toEqual(config);
  });

  it('logs to its own log group kept for lifeboat.logRetentionDays', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
    });
  });

  it('runs on the configured schedule, invoking the capture function through its own role', () => {
    const scheduleRoleId = synth.stacks.backup.getLogicalId(
      synth.stacks.backup.node.findChild('CaptureScheduleRole').node
        .defaultChild as import('aws-cdk-lib').CfnElement,
    );
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 */2 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [scheduleRoleId, 'Arn'] },
      }),
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: scheduleRoleId }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: [
              { 'Fn::GetAtt': [functionId, 'Arn'] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [functionId, 'Arn'] }, ':*']] },
            ],
          },
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        ],
      },
    });
  });

  it('retries undeliverable runs for an hour, then sends them to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      }),
    });
  });

  it('does not retry a failed capture and records it in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('encrypts the dead-letter queue, keeps messages 14 days and accepts TLS only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('gives the capture role no managed policies (its log permissions are scoped to its log group)', () => {
    const roles = template.findResources('AWS::IAM::Role');
    for (const role of Object.values(roles) as { Properties: Record<string, unknown> }[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
      },
    });
  });

  describe('capture role policy', () => {
    const inPrimaryRegion = { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } };

    function statement(sid: string): Statement {
      const found = captureStatements.find((s) => s.Sid === sid);
      if (!found) throw new Error(`no statement ${sid} in ${captureStatements.map((s) => s.Sid).join(', ')}`);
      return found;
    }

    it('has exactly the expected statements', () => {
      expect(captureStatements.map((s) => s.Sid ?? `(no sid: ${JSON.stringify(s.Action)})`)).toEqual([
        'WriteOwnLogs',
        'ListEcsClustersAndServices',
        'DescribeEcsClustersAndServices',
        'DescribeEcsTaskDefinitions',
        'ResolveEcrImageDigests',
        'DescribeServiceNetworks',
        'ReadWriteCatalogObjects',
        'ListCatalog',
        'UseCatalogKeyThroughS3',
        '(no sid: ["sqs:GetQueueAttributes","sqs:GetQueueUrl","sqs:SendMessage"])',
      ]);
      for (const s of captureStatements) expect(s.Effect).toBe('Allow');
    });

    it('writes only to its own log group', () => {
      expect(statement('WriteOwnLogs')).toMatchObject({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      });
    });

    it('lists ECS clusters and services in the primary region only (List* has no resource scope)', () => {
      expect(statement('ListEcsClustersAndServices')).toEqual({
        Sid: 'ListEcsClustersAndServices',
        Effect: 'Allow',
        Action: ['ecs:ListClusters', 'ecs:ListServices'],
        Resource: '*',
        Condition: inPrimaryRegion,
      });
    });

    it('describes clusters and services of the account in the primary region', () => {
      expect(statement('DescribeEcsClustersAndServices')).toEqual({
        Sid: 'DescribeEcsClustersAndServices',
        Effect: 'Allow',
        Action: ['ecs:DescribeClusters', 'ecs:DescribeServices'],
        Resource: [
          'arn:aws:ecs:us-east-1:123456789012:cluster/*',
          'arn:aws:ecs:us-east-1:123456789012:service/*',
        ],
      });
    });

    it('describes task definitions in the primary region only (DescribeTaskDefinition has no resource scope)', () => {
      expect(statement('DescribeEcsTaskDefinitions')).toEqual({
        Sid: 'DescribeEcsTaskDefinitions',
        Effect: 'Allow',
        Action: 'ecs:DescribeTaskDefinition',
        Resource: '*',
        Condition: inPrimaryRegion,
      });
    });

    it('reads image manifests and digests from the account registry in the primary region', () => {
      expect(statement('ResolveEcrImageDigests')).toEqual({
        Sid: 'ResolveEcrImageDigests',
        Effect: 'Allow',
        Action: ['ecr:BatchGetImage', 'ecr:DescribeImages'],
        Resource: 'arn:aws:ecr:us-east-1:123456789012:repository/*',
      });
    });

    it('describes subnets and security groups in the primary region only (they have no resource scope)', () => {
      expect(statement('DescribeServiceNetworks')).toEqual({
        Sid: 'DescribeServiceNetworks',
        Effect: 'Allow',
        Action: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets'],
        Resource: '*',
        Condition: inPrimaryRegion,
      });
    });

    it('reads and writes only the recovery-points/ and staging/ prefixes of the catalog', () => {
      expect(statement('ReadWriteCatalogObjects')).toEqual({
        Sid: 'ReadWriteCatalogObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: [
          'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/recovery-points/*',
          'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/staging/*',
        ],
      });
    });

    it('lists the catalog bucket', () => {
      expect(statement('ListCatalog')).toEqual({
        Sid: 'ListCatalog',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2',
      });
    });

    it('uses only the key aliased alias/lifeboat-catalog in the DR region, through S3', () => {
      expect(statement('UseCatalogKeyThroughS3')).toEqual({
        Sid: 'UseCatalogKeyThroughS3',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
        Condition: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-catalog' },
          StringEquals: { 'kms:ViaService': 's3.us-west-2.amazonaws.com' },
        },
      });
    });

    it('sends failed runs to the dead-letter queue only', () => {
      expect(captureStatements.at(-1)).toEqual({
        Effect: 'Allow',
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      });
    });
  });
});
