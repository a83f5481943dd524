import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogKey } from '../../lib/constructs/log-key';
import { expectEncryptedLogs } from './support/log-encryption';
import {
  onlyResource,
  removeTestApps,
  type SynthesisedLifeboat,
  sampleConfig,
  synthLifeboat,
} from './support/synth';
import { expectFailedExecutionsRule } from './support/workflow';

afterAll(removeTestApps);

describe('BackupStack', () => {
  let synth: SynthesisedLifeboat;
  let template: Template;
  let machineId: string;
  let queueId: string;
  let scheduleRoleId: string;

  beforeAll(() => {
    const config = sampleConfig({ schedule: 'cron(15 */2 * * ? *)', logRetentionDays: 30 });
    // The one synthesis in the suite that really bundles the backup Lambdas with esbuild.
    synth = synthLifeboat(config, { bundle: true });
    template = synth.backup;
    const stack = synth.stacks.backup;
    machineId = stack.getLogicalId(stack.backup.stateMachine.node.defaultChild as CfnElement);
    queueId = onlyResource(template, 'AWS::SQS::Queue').id;
    scheduleRoleId = stack.getLogicalId(
      stack.node.findChild('BackupScheduleRole').node.defaultChild as CfnElement,
    );
  }, 300_000);

  it('deploys to the configured account and primary region, after the RecoveryStack', () => {
    expect(synth.stacks.backup.account).toBe('123456789012');
    expect(synth.stacks.backup.region).toBe('us-east-1');
    expect(synth.stacks.backup.dependencies).toEqual([synth.stacks.recovery]);
  });

  it('bundles each backup Lambda into a minified asset with a source map and the SDK inside', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, string> } };
    }[];
    expect(fns.map((f) => f.Properties.Environment.Variables.LIFEBOAT_FUNCTION).sort()).toEqual([
      'backup-commit',
      'backup-retention',
      'backup-volumes',
      'capture',
    ]);
    const assets = new Set<string>();
    for (const fn of fns) {
      const assetHash = fn.Properties.Code.S3Key.replace(/\.zip$/, '');
      assets.add(assetHash);
      const assetDir = path.join(synth.app.outdir, `asset.${assetHash}`);
      expect(existsSync(path.join(assetDir, 'index.js'))).toBe(true);
      expect(existsSync(path.join(assetDir, 'index.js.map'))).toBe(true);
      const bundle = readFileSync(path.join(assetDir, 'index.js'), 'utf8');
      // The SDK is bundled (the S3 client's protocol target is in the code), not taken from the runtime.
      expect(bundle).toContain('AmazonS3');
      expect(bundle).not.toMatch(/require\("@aws-sdk\/client-/);
      // Minified: lines are long (newlines survive only inside template literals).
      expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000);
    }
    expect(assets.size).toBe(4);
  });

  it('starts the backup state machine on the configured schedule, through its own role', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 */2 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: { Ref: machineId },
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
          { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: machineId } },
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        ],
      },
    });
  });

  it('retries runs that cannot start for an hour, then sends them to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      }),
    });
  });

  it('records failed, timed-out and aborted backup executions in the dead-letter queue', () => {
    expectFailedExecutionsRule(template, machineId, queueId);
  });

  it('raises an alarm while the dead-letter queue holds a run', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
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

  it('keeps its Lambdas and state machine logs for lifeboat.logRetentionDays', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as {
      Properties: { RetentionInDays: number };
    }[];
    expect(groups).toHaveLength(5);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('encrypts every log group with its log key (the stack has no other key) and logs errors only, without execution data', () => {
    const stack = synth.stacks.backup;
    const keyId = stack.getLogicalId(LogKey.of(stack).node.defaultChild as CfnElement);
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual([keyId]);
    expectEncryptedLogs(template, keyId, { account: '123456789012', region: 'us-east-1', count: 5 });
  });

  it('invokes the functions only from the state machine (no asynchronous invocation, no retries outside it)', () => {
    expect(template.findResources('AWS::Lambda::EventInvokeConfig')).toEqual({});
    expect(template.findResources('AWS::Lambda::Permission')).toEqual({});
  });

  it('outputs the state machine ARN', () => {
    template.hasOutput('BackupStateMachineArn', { Value: { Ref: machineId } });
  });
});
