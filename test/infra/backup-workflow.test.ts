import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogKey } from '../../lib/constructs/log-key';
import { InfrastructureError } from '../../lib/errors';
import { BackupWorkflow, type BackupWorkflowProps } from '../../lib/workflows/backup-workflow';
import type { LifeboatConfig } from '../../src/config/schema';
import { validateDefinition } from '../../src/emulator/step-functions/engine';
import { expectEncryptedLogs } from './support/log-encryption';
import { newApp, removeTestApps, sampleConfig } from './support/synth';
import { definitionOf, expectFailedExecutionsRule, type Statement, statementsOf } from './support/workflow';

afterAll(removeTestApps);

type States = Record<string, Record<string, unknown>>;

const CATALOG = {
  bucketName: 'lifeboat-catalog-123456789012-us-west-2',
  keyAlias: 'alias/lifeboat-catalog',
  region: 'us-west-2',
};

function props(config: LifeboatConfig, overrides: Partial<BackupWorkflowProps> = {}): BackupWorkflowProps {
  return {
    config,
    catalog: CATALOG,
    volumeKeyAlias: 'alias/lifeboat-volumes',
    logRetention: logs.RetentionDays.ONE_MONTH,
    ...overrides,
  };
}

interface Built {
  readonly stack: Stack;
  readonly workflow: BackupWorkflow;
  readonly template: Template;
}

function build(
  configOverrides: Record<string, unknown> = {},
  overrides: Partial<BackupWorkflowProps> = {},
  env = { account: '123456789012', region: 'us-east-1' },
): Built {
  const config = sampleConfig(configOverrides);
  const stack = new Stack(newApp(), 'Test', { env });
  const workflow = new BackupWorkflow(stack, 'Backup', props(config, overrides));
  return { stack, workflow, template: Template.fromStack(stack) };
}

describe('BackupWorkflow', () => {
  let built: Built;
  let states: States;
  let definition: Record<string, unknown>;

  beforeAll(() => {
    built = build();
    definition = definitionOf(built.template, built.workflow.stateMachine);
    states = definition.States as States;
  }, 120_000);

  describe('state machine', () => {
    it('renders a valid ASL definition: Capture, then wait-and-tick until the copies are done, then Commit, then ApplyRetention', () => {
      expect(() => validateDefinition(definition)).not.toThrow();
      expect(definition.StartAt).toBe('Capture');
      expect(Object.keys(states).sort()).toEqual(
        [
          'ApplyRetention',
          'Capture',
          'Commit',
          'CopyVolumes',
          'RetentionFailed',
          'VolumesCopied?',
          'WaitForCopies',
        ].sort(),
      );
      expect(states.Capture?.Next).toBe('VolumesCopied?');
      expect(states['VolumesCopied?']).toMatchObject({
        Type: 'Choice',
        Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'Commit' }],
        Default: 'WaitForCopies',
      });
      expect(states.WaitForCopies).toMatchObject({ Type: 'Wait', Next: 'CopyVolumes' });
      expect(states.CopyVolumes?.Next).toBe('VolumesCopied?');
      expect(states.Commit?.Next).toBe('ApplyRetention');
      expect(states.Commit?.End).toBeUndefined();
      expect(states.ApplyRetention?.End).toBe(true);
    });

    it('hands CopyVolumes, Commit and ApplyRetention only the recovery point id, and Capture nothing', () => {
      expect(states.Capture?.Parameters).toEqual({});
      expect(states.CopyVolumes?.Parameters).toEqual({ 'recoveryPointId.$': '$.recoveryPointId' });
      expect(states.Commit?.Parameters).toEqual({ 'recoveryPointId.$': '$.recoveryPointId' });
      expect(states.ApplyRetention?.Parameters).toEqual({ 'recoveryPointId.$': '$.recoveryPointId' });
      for (const name of ['Capture', 'CopyVolumes', 'Commit', 'ApplyRetention']) {
        expect(states[name]?.Resource).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:/);
      }
    });

    it("keeps Commit's result as the state and puts ApplyRetention's at $.retention (the execution output)", () => {
      expect(states.Commit?.ResultPath).toBeUndefined();
      expect(states.Commit?.ResultSelector).toBeUndefined();
      expect(states.ApplyRetention?.ResultPath).toBe('$.retention');
      expect(states.ApplyRetention?.OutputPath).toBeUndefined();
    });

    it('ends successfully at RetentionFailed, with the error at $.retentionError, when ApplyRetention fails', () => {
      expect(states.ApplyRetention?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.retentionError', Next: 'RetentionFailed' },
      ]);
      expect(states.RetentionFailed).toMatchObject({ Type: 'Pass', End: true });
      expect(states.RetentionFailed?.Parameters).toBeUndefined();
      expect(states.RetentionFailed?.Result).toBeUndefined();
      expect(states.RetentionFailed?.ResultPath).toBeUndefined();
      expect(states.Commit?.Catch).toBeUndefined();
    });

    it('retries Lambda service errors and throttling on every task, with backoff and jitter', () => {
      for (const name of ['Capture', 'CopyVolumes', 'Commit', 'ApplyRetention']) {
        const [first] = (states[name]?.Retry ?? []) as Record<string, unknown>[];
        expect(first).toEqual({
          ErrorEquals: [
            'Lambda.ServiceException',
            'Lambda.AWSLambdaException',
            'Lambda.SdkClientException',
            'Lambda.ClientExecutionTimeoutException',
            'Lambda.TooManyRequestsException',
          ],
          IntervalSeconds: 2,
          MaxAttempts: 6,
          BackoffRate: 2,
          MaxDelaySeconds: 60,
          JitterStrategy: 'FULL',
        });
      }
    });

    it('runs a failed copy tick again (a tick resumes from the staged copy state), but not Capture or Commit', () => {
      expect(((states.CopyVolumes?.Retry ?? []) as unknown[])[1]).toEqual({
        ErrorEquals: ['States.TaskFailed', 'States.Timeout'],
        IntervalSeconds: 30,
        MaxAttempts: 2,
        BackoffRate: 2,
      });
      expect(states.Capture?.Retry).toHaveLength(1);
      expect(states.Commit?.Retry).toHaveLength(1);
      expect(states.ApplyRetention?.Retry).toHaveLength(1);
    });

    it('waits lifeboat.volumes.ebs.pollSeconds (default 60) between two ticks, as a fixed Seconds', () => {
      expect(states.WaitForCopies?.Seconds).toBe(60);
      const quick = build({ volumes: { ebs: { pollSeconds: 15 } } });
      expect(
        (definitionOf(quick.template, quick.workflow.stateMachine).States as States).WaitForCopies?.Seconds,
      ).toBe(15);
    });

    it('is a Standard state machine named lifeboat-backup that may run 24 hours', () => {
      expect(definition.TimeoutSeconds).toBe(86_400);
      built.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'lifeboat-backup',
        StateMachineType: 'STANDARD',
      });
    });

    it('logs errors without execution data to its own log group and traces with X-Ray', () => {
      const logGroupId = built.stack.getLogicalId(built.workflow.logGroup.node.defaultChild as CfnElement);
      built.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ERROR',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
        },
      });
      built.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });

    it('encrypts the state machine and Lambda log groups with one log key of the stack, rotated, for CloudWatch Logs of this account', () => {
      const keyId = built.stack.getLogicalId(LogKey.of(built.stack).node.defaultChild as CfnElement);
      expectEncryptedLogs(built.template, keyId, { account: '123456789012', region: 'us-east-1', count: 5 });
      expect(Object.keys(built.template.findResources('AWS::KMS::Key'))).toEqual([keyId]);
      expect(built.template.toJSON().Resources[keyId]).toMatchObject({
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: 'Retain',
      });
    });
  });

  describe('functions', () => {
    it('bundles lambda/capture.ts, lambda/backup-volumes.ts, lambda/backup-commit.ts and lambda/backup-retention.ts, each with its LIFEBOAT_FUNCTION', () => {
      const fns = built.template.findResources('AWS::Lambda::Function');
      const variables = Object.values(fns).map(
        (f) =>
          (f as { Properties: { Environment: { Variables: Record<string, string> } } }).Properties.Environment
            .Variables,
      );
      expect(variables.map((v) => v.LIFEBOAT_FUNCTION).sort()).toEqual([
        'backup-commit',
        'backup-retention',
        'backup-volumes',
        'capture',
      ]);
      for (const v of variables) {
        expect(v).toEqual({
          LIFEBOAT_CONFIG: expect.any(String),
          CATALOG_BUCKET: 'lifeboat-catalog-123456789012-us-west-2',
          CATALOG_KMS_KEY_ID: 'alias/lifeboat-catalog',
          VOLUME_KMS_KEY_ID: 'alias/lifeboat-volumes',
          LIFEBOAT_FUNCTION: expect.any(String),
          POWERTOOLS_SERVICE_NAME: `lifeboat-${v.LIFEBOAT_FUNCTION}`,
          POWERTOOLS_METRICS_NAMESPACE: 'Lifeboat',
          NODE_OPTIONS: '--enable-source-maps',
        });
        expect(JSON.parse(v.LIFEBOAT_CONFIG as string)).toEqual(sampleConfig());
      }
    });

    it('runs on Node.js 22, ARM64, 15 minutes; the copy tick with 1024 MB, the others with 512 MB', () => {
      const fns = Object.values(built.template.findResources('AWS::Lambda::Function')) as {
        Properties: Record<string, unknown> & { Environment: { Variables: Record<string, string> } };
      }[];
      const memory = Object.fromEntries(
        fns.map((f) => [f.Properties.Environment.Variables.LIFEBOAT_FUNCTION, f.Properties.MemorySize]),
      );
      expect(memory).toEqual({
        capture: 512,
        'backup-volumes': 1024,
        'backup-commit': 512,
        'backup-retention': 512,
      });
      for (const f of fns) {
        expect(f.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 900 });
      }
    });

    it('gives each function its own log group and role, with no managed policies', () => {
      expect(Object.keys(built.template.findResources('AWS::Logs::LogGroup'))).toHaveLength(5);
      for (const name of ['capture', 'backup-volumes', 'backup-commit', 'backup-retention']) {
        expect(statementsOf(built.template, name).WriteOwnLogs).toMatchObject({
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/Logs/), 'Arn'] },
        });
      }
      for (const role of Object.values(built.template.findResources('AWS::IAM::Role')) as {
        Properties: Record<string, unknown>;
      }[]) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });
  });

  describe('capture role', () => {
    let capture: Record<string, Statement>;
    beforeAll(() => {
      capture = statementsOf(built.template, 'capture');
    });

    it('has exactly the expected statements', () => {
      expect(Object.keys(capture)).toEqual([
        'WriteOwnLogs',
        'ListEcsClustersAndServices',
        'DescribeEcsClustersAndServices',
        'DescribeEcsTaskDefinitions',
        'ListServiceTasks',
        'DescribeServiceTasks',
        'ResolveEcrImageDigests',
        'DescribeServiceNetworks',
        'DescribeServiceLogGroups',
        'DescribeServiceDiscovery',
        'DescribeServiceLoadBalancing',
        'DescribeServiceScaling',
        'DescribeStepScalingAlarms',
        'ReplicateReferencedSecrets',
        'DecryptPrimarySecretsForReplica',
        'EncryptSecretReplicas',
        'DescribeVolumesAndSnapshots',
        'SnapshotVolumes',
        'CreateManagedSnapshots',
        'TagNewSnapshots',
        'ReadWriteStaging',
        'ListCatalog',
        'UseCatalogKeyThroughS3',
        'SealEnvironmentValues',
        'StartEcrReplicationBackfill',
        'ReadEcrImagesToCopy',
        'VerifyAndCopyImagesInDrRegistry',
      ]);
      for (const s of Object.values(capture)) expect(s.Effect).toBe('Allow');
    });

    it("reads the primary region's log groups (retention, KMS key, tags) and nothing else of CloudWatch Logs", () => {
      expect(capture.DescribeServiceLogGroups).toMatchObject({
        Action: ['logs:DescribeLogGroups', 'logs:ListTagsForResource'],
        Resource: 'arn:aws:logs:us-east-1:123456789012:log-group:*',
      });
    });

    it("reads the services' Application Auto Scaling in the primary region, and alarms only with DescribeAlarms", () => {
      expect(capture.DescribeServiceScaling).toMatchObject({
        Action: [
          'application-autoscaling:DescribeScalableTargets',
          'application-autoscaling:DescribeScalingPolicies',
          'application-autoscaling:DescribeScheduledActions',
        ],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
      });
      expect(capture.DescribeStepScalingAlarms).toMatchObject({
        Action: 'cloudwatch:DescribeAlarms',
        Resource: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*',
      });
    });

    it('replicates the referenced primary secrets, using keys only through Secrets Manager', () => {
      expect(capture.ReplicateReferencedSecrets).toEqual({
        Sid: 'ReplicateReferencedSecrets',
        Effect: 'Allow',
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:ReplicateSecretToRegions'],
        Resource: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:*',
      });
      expect(capture.DecryptPrimarySecretsForReplica).toMatchObject({
        Action: 'kms:Decrypt',
        Resource: 'arn:aws:kms:us-east-1:123456789012:key/*',
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
      });
      expect(capture.EncryptSecretReplicas).toMatchObject({
        Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-west-2.amazonaws.com' } },
      });
    });

    it('lists the tasks of the account clusters in the primary region and describes them', () => {
      expect(capture.ListServiceTasks).toMatchObject({
        Action: 'ecs:ListTasks',
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:RequestedRegion': 'us-east-1' },
          ArnLike: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/*' },
        },
      });
      expect(capture.DescribeServiceTasks).toMatchObject({
        Action: 'ecs:DescribeTasks',
        Resource: 'arn:aws:ecs:us-east-1:123456789012:task/*',
      });
    });

    it('describes volumes and snapshots in the primary region only (Describe* has no resource scope)', () => {
      expect(capture.DescribeVolumesAndSnapshots).toMatchObject({
        Action: ['ec2:DescribeSnapshots', 'ec2:DescribeVolumes'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
      });
    });

    it('snapshots volumes of the account only into snapshots tagged lifeboat:managed=true, tagged at creation', () => {
      expect(capture.SnapshotVolumes).toMatchObject({
        Action: 'ec2:CreateSnapshot',
        Resource: 'arn:aws:ec2:us-east-1:123456789012:volume/*',
      });
      expect(capture.SnapshotVolumes?.Condition).toBeUndefined();
      expect(capture.CreateManagedSnapshots).toMatchObject({
        Action: 'ec2:CreateSnapshot',
        Resource: 'arn:aws:ec2:us-east-1::snapshot/*',
        Condition: { StringEquals: { 'aws:RequestTag/lifeboat:managed': 'true' } },
      });
      expect(capture.TagNewSnapshots).toMatchObject({
        Action: 'ec2:CreateTags',
        Resource: 'arn:aws:ec2:us-east-1::snapshot/*',
        Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } },
      });
    });

    it('reads and writes only the staging/ prefix of the catalog, through the catalog key', () => {
      expect(capture.ReadWriteStaging).toMatchObject({
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: 'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/staging/*',
      });
      expect(capture.UseCatalogKeyThroughS3).toMatchObject({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
        Condition: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-catalog' },
          StringEquals: { 'kms:ViaService': 's3.us-west-2.amazonaws.com' },
        },
      });
    });

    it('cannot copy, delete or touch DR snapshots', () => {
      const text = JSON.stringify(capture);
      for (const action of ['ec2:CopySnapshot', 'ec2:DeleteSnapshot', 'ebs:', 'us-west-2::snapshot']) {
        expect(text).not.toContain(action);
      }
    });
  });

  describe('backup-volumes role', () => {
    let volumes: Record<string, Statement>;
    beforeAll(() => {
      volumes = statementsOf(built.template, 'backup-volumes');
    });

    it('has exactly the expected statements for the native copy (no EBS direct APIs)', () => {
      expect(Object.keys(volumes)).toEqual([
        'WriteOwnLogs',
        'DescribeSnapshots',
        'CopyPrimarySnapshots',
        'CreateManagedDrCopies',
        'TagDrCopies',
        'UseVolumeKey',
        'GrantVolumeKeyToEbs',
        'DecryptSourceSnapshots',
        'GrantSourceKeysToEbs',
        'ReadWriteStaging',
        'ListCatalog',
        'UseCatalogKeyThroughS3',
      ]);
      expect(JSON.stringify(volumes)).not.toContain('"ebs:');
    });

    it('copies primary snapshots into DR snapshots tagged lifeboat:managed=true, tagged at creation', () => {
      expect(volumes.DescribeSnapshots).toMatchObject({
        Action: 'ec2:DescribeSnapshots',
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'us-west-2'] } },
      });
      expect(volumes.CopyPrimarySnapshots).toMatchObject({
        Action: 'ec2:CopySnapshot',
        Resource: 'arn:aws:ec2:us-east-1::snapshot/*',
      });
      expect(volumes.CreateManagedDrCopies).toMatchObject({
        Action: 'ec2:CopySnapshot',
        Resource: 'arn:aws:ec2:us-west-2::snapshot/*',
        Condition: { StringEquals: { 'aws:RequestTag/lifeboat:managed': 'true' } },
      });
      expect(volumes.TagDrCopies).toMatchObject({
        Action: 'ec2:CreateTags',
        Resource: 'arn:aws:ec2:us-west-2::snapshot/*',
        Condition: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } },
      });
    });

    it('uses the volume key only by its alias, through EC2 in the DR region; grants only for AWS resources', () => {
      const onVolumeKey = {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-volumes' },
        StringEquals: { 'kms:ViaService': 'ec2.us-west-2.amazonaws.com' },
      };
      expect(volumes.UseVolumeKey).toEqual({
        Sid: 'UseVolumeKey',
        Effect: 'Allow',
        Action: [
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
        Condition: onVolumeKey,
      });
      expect(volumes.GrantVolumeKeyToEbs).toEqual({
        Sid: 'GrantVolumeKeyToEbs',
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
        Condition: { ...onVolumeKey, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      });
    });

    it('decrypts encrypted source snapshots with any key of the account, through EC2 in the primary region only', () => {
      expect(volumes.DecryptSourceSnapshots).toMatchObject({
        Action: [
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        Resource: 'arn:aws:kms:us-east-1:123456789012:key/*',
        Condition: { StringEquals: { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' } },
      });
      expect(volumes.GrantSourceKeysToEbs).toMatchObject({
        Action: 'kms:CreateGrant',
        Resource: 'arn:aws:kms:us-east-1:123456789012:key/*',
        Condition: {
          StringEquals: { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' },
          Bool: { 'kms:GrantIsForAWSResource': 'true' },
        },
      });
    });

    it('reads and writes only the staging/ prefix of the catalog', () => {
      expect(volumes.ReadWriteStaging).toMatchObject({
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: 'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/staging/*',
      });
    });

    it('with volumes.ebs.engine "block", also reads primary snapshot blocks, writes DR snapshots through the EBS direct APIs and resolves the volume key ARN', () => {
      const block = statementsOf(build({ volumes: { ebs: { engine: 'block' } } }).template, 'backup-volumes');
      expect(block.ReadPrimarySnapshotBlocks).toMatchObject({
        Action: ['ebs:GetSnapshotBlock', 'ebs:ListChangedBlocks', 'ebs:ListSnapshotBlocks'],
        Resource: 'arn:aws:ec2:us-east-1::snapshot/*',
      });
      expect(block.StartManagedDrSnapshots).toMatchObject({
        Action: 'ebs:StartSnapshot',
        Resource: 'arn:aws:ec2:us-west-2::snapshot/*',
        Condition: { StringEquals: { 'aws:RequestTag/lifeboat:managed': 'true' } },
      });
      expect(block.WriteDrSnapshotBlocks).toMatchObject({
        Action: ['ebs:CompleteSnapshot', 'ebs:PutSnapshotBlock'],
        Resource: 'arn:aws:ec2:us-west-2::snapshot/*',
      });
      expect(block.ResolveVolumeKeyArn).toMatchObject({
        Action: 'kms:DescribeKey',
        Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
        Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-volumes' } },
      });
      expect(block.UseVolumeKey?.Condition).toMatchObject({
        StringEquals: { 'kms:ViaService': ['ec2.us-west-2.amazonaws.com', 'ebs.us-west-2.amazonaws.com'] },
      });
      expect(block.DecryptSourceSnapshots?.Condition).toMatchObject({
        StringEquals: { 'kms:ViaService': ['ec2.us-east-1.amazonaws.com', 'ebs.us-east-1.amazonaws.com'] },
      });
    });
  });

  describe('backup-commit role', () => {
    let commit: Record<string, Statement>;
    beforeAll(() => {
      commit = statementsOf(built.template, 'backup-commit');
    });

    it('has exactly the expected statements', () => {
      expect(Object.keys(commit)).toEqual([
        'WriteOwnLogs',
        'ReadStagedBackupAndRecoveryPoints',
        'CommitRecoveryPoints',
        'ListCatalog',
        'UseCatalogKeyThroughS3',
        'SignRecoveryPoints',
      ]);
    });

    it('reads the staged backup and the recovery points, adds recovery points, and lists the catalog', () => {
      expect(commit.ReadStagedBackupAndRecoveryPoints).toMatchObject({
        Action: 's3:GetObject',
        Resource: [
          'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/recovery-points/*',
          'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/staging/*',
        ],
      });
      expect(commit.CommitRecoveryPoints).toEqual({
        Sid: 'CommitRecoveryPoints',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/recovery-points/*',
      });
      expect(commit.ListCatalog).toMatchObject({
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2',
      });
    });

    it('cannot delete, tag or re-lock recovery points, nor delete snapshots (that is retention)', () => {
      const text = JSON.stringify(commit);
      for (const action of [
        's3:DeleteObject',
        's3:PutObjectTagging',
        's3:PutObjectRetention',
        'ec2:DeleteSnapshot',
      ]) {
        expect(text).not.toContain(action);
      }
    });

    it('signs with the signing key by its alias, directly (no kms:ViaService)', () => {
      expect(commit.SignRecoveryPoints).toEqual({
        Sid: 'SignRecoveryPoints',
        Effect: 'Allow',
        Action: ['kms:GenerateMac', 'kms:VerifyMac'],
        Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
        Condition: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-catalog-signing' },
        },
      });
    });
  });

  describe('backup-retention role', () => {
    let retention: Record<string, Statement>;
    const catalogArn = 'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2';
    beforeAll(() => {
      retention = statementsOf(built.template, 'backup-retention');
    });

    it('has the fixed name lifeboat-retention-<deploymentId> (the catalog bucket policy names it)', () => {
      const roleId = built.stack.getLogicalId(built.workflow.roles.retention.node.defaultChild as CfnElement);
      expect(built.template.toJSON().Resources[roleId]).toMatchObject({
        Type: 'AWS::IAM::Role',
        Properties: { RoleName: 'lifeboat-retention-us-east-1-us-west-2' },
      });
      built.template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
        Environment: { Variables: Match.objectLike({ LIFEBOAT_FUNCTION: 'backup-retention' }) },
      });
      const named = build({ deploymentId: 'prod' });
      named.template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'lifeboat-retention-prod' });
    });

    it('is the only backup role with a fixed name', () => {
      const named = Object.values(built.template.findResources('AWS::IAM::Role')).filter(
        (r) => (r as { Properties: Record<string, unknown> }).Properties.RoleName !== undefined,
      );
      expect(named).toHaveLength(1);
    });

    it('has exactly the expected statements', () => {
      expect(Object.keys(retention)).toEqual([
        'WriteOwnLogs',
        'ListCatalog',
        'ReadCatalogRecords',
        'RetireAndLockRecoveryPoints',
        'RecordRetiredRecoveryPoints',
        'DeleteOrphanedStaging',
        'UseCatalogKeyThroughS3',
        'VerifyRecoveryPointSignatures',
        'DescribeSnapshots',
        'DeleteManagedSnapshots',
      ]);
      for (const s of Object.values(retention)) expect(s.Effect).toBe('Allow');
    });

    it('reads recovery points, staging, pins and its records; retires and re-locks recovery points only', () => {
      expect(retention.ReadCatalogRecords).toMatchObject({
        Action: 's3:GetObject',
        Resource: [
          `${catalogArn}/pins/*`,
          `${catalogArn}/recovery-points/*`,
          `${catalogArn}/retired/*`,
          `${catalogArn}/staging/*`,
        ],
      });
      expect(retention.RetireAndLockRecoveryPoints).toMatchObject({
        Action: ['s3:DeleteObject', 's3:PutObjectRetention', 's3:PutObjectTagging'],
        Resource: `${catalogArn}/recovery-points/*`,
      });
      expect(retention.RecordRetiredRecoveryPoints).toMatchObject({
        Action: ['s3:DeleteObject', 's3:PutObject'],
        Resource: `${catalogArn}/retired/*`,
      });
      expect(retention.DeleteOrphanedStaging).toMatchObject({
        Action: 's3:DeleteObject',
        Resource: `${catalogArn}/staging/*`,
      });
      expect(retention.ListCatalog).toMatchObject({ Action: 's3:ListBucket', Resource: catalogArn });
      const text = JSON.stringify(retention);
      for (const action of ['s3:DeleteObjectVersion', 's3:BypassGovernanceRetention', 'kms:GenerateMac']) {
        expect(text).not.toContain(action);
      }
    });

    it('verifies signatures with the signing key by its alias, and uses the catalog key through S3', () => {
      expect(retention.VerifyRecoveryPointSignatures).toEqual({
        Sid: 'VerifyRecoveryPointSignatures',
        Effect: 'Allow',
        Action: 'kms:VerifyMac',
        Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
        Condition: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-catalog-signing' },
        },
      });
      expect(retention.UseCatalogKeyThroughS3?.Condition).toEqual({
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-catalog' },
        StringEquals: { 'kms:ViaService': 's3.us-west-2.amazonaws.com' },
      });
    });

    it('deletes only snapshots tagged lifeboat:managed=true, in both regions', () => {
      expect(retention.DeleteManagedSnapshots).toEqual({
        Sid: 'DeleteManagedSnapshots',
        Effect: 'Allow',
        Action: 'ec2:DeleteSnapshot',
        Resource: ['arn:aws:ec2:us-east-1::snapshot/*', 'arn:aws:ec2:us-west-2::snapshot/*'],
        Condition: { StringEquals: { 'aws:ResourceTag/lifeboat:managed': 'true' } },
      });
      expect(retention.DescribeSnapshots).toMatchObject({
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'us-west-2'] } },
      });
    });
  });

  describe('props', () => {
    it('honours volumeKeyAlias in the environment and in the key conditions', () => {
      const { template } = build({}, { volumeKeyAlias: 'alias/other-volumes' });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ VOLUME_KMS_KEY_ID: 'alias/other-volumes' }) },
      });
      expect(statementsOf(template, 'backup-volumes').UseVolumeKey?.Condition).toMatchObject({
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/other-volumes' },
      });
    });

    it('honours catalog and logRetention', () => {
      const { template } = build(
        {},
        {
          catalog: { ...CATALOG, bucketName: 'catalog-under-test', keyAlias: 'alias/catalog-under-test' },
          logRetention: logs.RetentionDays.ONE_WEEK,
        },
      );
      const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup')) as {
        Properties: { RetentionInDays: number };
      }[];
      expect(logGroups.map((g) => g.Properties.RetentionInDays)).toEqual([7, 7, 7, 7, 7]);
      const commit = statementsOf(template, 'backup-commit');
      expect(commit.ListCatalog?.Resource).toBe('arn:aws:s3:::catalog-under-test');
      expect(commit.UseCatalogKeyThroughS3?.Condition).toMatchObject({
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/catalog-under-test' },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            CATALOG_BUCKET: 'catalog-under-test',
            CATALOG_KMS_KEY_ID: 'alias/catalog-under-test',
          }),
        },
      });
    });

    it('sends failed, timed-out and aborted executions to failureQueue through EventBridge when one is given', () => {
      const stack = new Stack(newApp(), 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
      const queue = new sqs.Queue(stack, 'Failures');
      const workflow = new BackupWorkflow(stack, 'Backup', props(sampleConfig(), { failureQueue: queue }));
      const template = Template.fromStack(stack);
      const machineId = stack.getLogicalId(workflow.stateMachine.node.defaultChild as CfnElement);
      const queueId = stack.getLogicalId(queue.node.defaultChild as CfnElement);
      expectFailedExecutionsRule(template, machineId, queueId);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } },
            }),
          ]),
        },
      });
    });

    it('creates no EventBridge rule without failureQueue', () => {
      expect(built.template.findResources('AWS::Events::Rule')).toEqual({});
    });

    it('builds ARNs in the partition of the regions (aws-cn)', () => {
      const { template } = build(
        { primaryRegion: 'cn-north-1', drRegion: 'cn-northwest-1' },
        { catalog: { ...CATALOG, region: 'cn-northwest-1' } },
        { account: '123456789012', region: 'cn-north-1' },
      );
      const capture = statementsOf(template, 'capture');
      expect(capture.CreateManagedSnapshots?.Resource).toBe('arn:aws-cn:ec2:cn-north-1::snapshot/*');
      expect(capture.UseCatalogKeyThroughS3?.Condition).toMatchObject({
        StringEquals: { 'kms:ViaService': 's3.cn-northwest-1.amazonaws.com.cn' },
      });
      const volumes = statementsOf(template, 'backup-volumes');
      expect(volumes.CreateManagedDrCopies?.Resource).toBe('arn:aws-cn:ec2:cn-northwest-1::snapshot/*');
      expect(volumes.UseVolumeKey?.Condition).toMatchObject({
        StringEquals: { 'kms:ViaService': 'ec2.cn-northwest-1.amazonaws.com.cn' },
      });
    });
  });

  describe('validation', () => {
    it('fails when its stack has no explicit account and region', () => {
      const create = () =>
        new BackupWorkflow(new Stack(newApp(), 'Agnostic'), 'Backup', props(sampleConfig()));
      expect(create).toThrow(InfrastructureError);
      expect(create).toThrow(/Agnostic\/Backup: the backup workflow needs a stack with an explicit env/);
    });

    it('fails when its stack is not in the primary region of the configured account', () => {
      const create = () =>
        new BackupWorkflow(
          new Stack(newApp(), 'Elsewhere', { env: { account: '123456789012', region: 'us-west-2' } }),
          'Backup',
          props(sampleConfig()),
        );
      expect(create).toThrow(/must deploy to the primary region us-east-1 of account 123456789012/);
    });

    it('fails when the catalog is not in the DR region', () => {
      expect(() => build({}, { catalog: { ...CATALOG, region: 'eu-west-1' } })).toThrow(
        /catalog\.region must be the DR region us-west-2 \(got eu-west-1\)/,
      );
    });

    it('fails when the configuration does not fit in the 4 KB Lambda environment', () => {
      const subnets = Object.fromEntries(
        Array.from({ length: 80 }, (_, i) => [
          `subnet-${String(i).padStart(17, '0')}`,
          `subnet-${String(i).padStart(17, '1')}`,
        ]),
      );
      const create = () => build({ mappings: { subnets } });
      expect(create).toThrow(InfrastructureError);
      expect(create).toThrow(
        /Test\/Backup: the capture function's environment is \d+ bytes, over Lambda's 4096-byte limit.*lifeboat\.mappings/,
      );
    });
  });
});
