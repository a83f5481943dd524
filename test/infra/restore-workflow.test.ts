import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogKey } from '../../lib/constructs/log-key';
import { RestoreWorkflow } from '../../lib/workflows/restore-workflow';
import { validateDefinition } from '../../src/emulator/step-functions/engine';
import { expectEncryptedLogs } from './support/log-encryption';
import {
  newApp,
  removeTestApps,
  type SynthesisedLifeboat,
  sampleConfig,
  synthLifeboat,
} from './support/synth';
import { definitionOf, statementsOf } from './support/workflow';

afterAll(removeTestApps);

describe('RestoreWorkflow', () => {
  let synth: SynthesisedLifeboat;
  let template: Template;
  let definition: Record<string, unknown>;
  let states: Record<string, Record<string, unknown>>;

  beforeAll(() => {
    synth = synthLifeboat(sampleConfig());
    template = synth.recovery;
    definition = definitionOf(template, synth.stacks.recovery.restore.stateMachine);
    states = definition.States as Record<string, Record<string, unknown>>;
  }, 120_000);

  it('renders a valid ASL definition that starts with Prepare', () => {
    expect(() => validateDefinition(definition)).not.toThrow();
    expect(definition.StartAt).toBe('Prepare');
    expect(Object.keys(states).sort()).toEqual(
      [
        'AllRestored?',
        'DryRunPlan',
        'IsDryRun?',
        'NotAllRestored',
        'NotifyReportFailed',
        'Prepare',
        'PrepareFailed',
        'PrepareShared',
        'PrepareSharedFailed',
        'Report',
        'ReportFailed',
        'RestoreWaves',
        'Restored',
        'WavesStopped',
      ].sort(),
    );
  });

  it('restores waves one at a time and up to 10 services of a wave at once', () => {
    const waves = states.RestoreWaves as {
      MaxConcurrency: number;
      ItemProcessor: { States: Record<string, Record<string, unknown>> };
    };
    expect(waves.MaxConcurrency).toBe(1);
    const inner = waves.ItemProcessor.States;
    expect(Object.keys(inner).sort()).toEqual([
      'CheckWave',
      'RestoreServices',
      'WaitBeforeCheck',
      'WaveDone',
      'WaveGate?',
      'WaveNotSteady',
      'WaveSettled?',
    ]);
    // The gate: a wave that is not steady fails its iteration, so no later wave starts.
    expect(inner['WaveGate?']).toMatchObject({
      Choices: [{ Variable: '$.check.proceed', BooleanEquals: true, Next: 'WaveDone' }],
      Default: 'WaveNotSteady',
    });
    expect(inner.WaveNotSteady).toMatchObject({
      Type: 'Fail',
      Error: 'WaveNotSteady',
      CausePath: '$.check.reason',
    });
    expect(inner.RestoreServices?.MaxConcurrency).toBe(10);
    expect(inner.WaitBeforeCheck?.Seconds).toBe(15);
    const services = (
      inner.RestoreServices as { ItemProcessor: { States: Record<string, Record<string, unknown>> } }
    ).ItemProcessor.States;
    expect(services.RestoreService?.Catch).toMatchObject([
      {
        ErrorEquals: ['States.ALL'],
        Next: 'ServiceCrashed',
      },
    ]);
  });

  it('fails with the report error (RestoreIncomplete, or the failed step error) and cause when not every service was restored', () => {
    expect(states.NotAllRestored).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.report.error',
      CausePath: '$.report.cause',
    });
  });

  it('retries every Task on transient errors and catches every failure into the one Report step', () => {
    const tasks: [string, Record<string, unknown>][] = [];
    const walk = (all: Record<string, Record<string, unknown>>) => {
      for (const [name, state] of Object.entries(all)) {
        if (state.Type === 'Task') tasks.push([name, state]);
        const inner = (
          state.ItemProcessor as { States?: Record<string, Record<string, unknown>> } | undefined
        )?.States;
        if (inner) walk(inner);
      }
    };
    walk(states);
    expect(tasks.map(([name]) => name).sort()).toEqual(
      ['CheckWave', 'NotifyReportFailed', 'Prepare', 'PrepareShared', 'Report', 'RestoreService'].sort(),
    );
    for (const [name, state] of tasks) {
      const retry = state.Retry as { ErrorEquals: string[]; MaxAttempts: number }[] | undefined;
      expect(retry?.length, `${name} has a Retry`).toBeGreaterThan(0);
      if (name !== 'NotifyReportFailed') {
        expect(retry?.[0]?.ErrorEquals, name).toEqual(
          expect.arrayContaining(['Lambda.TooManyRequestsException', 'ThrottlingException']),
        );
      }
    }
    // Top-level failures go to Report, through a Pass that names the failed state.
    expect(states.Prepare?.Catch).toMatchObject([{ ErrorEquals: ['States.ALL'], Next: 'PrepareFailed' }]);
    expect(states.PrepareFailed?.Next).toBe('Report');
    expect(states.PrepareShared?.Catch).toMatchObject([
      { ErrorEquals: ['States.ALL'], Next: 'PrepareSharedFailed' },
    ]);
    expect(states.PrepareSharedFailed?.Next).toBe('Report');
    expect(states.RestoreWaves?.Catch).toMatchObject([{ ErrorEquals: ['States.ALL'], Next: 'WavesStopped' }]);
    expect(states.WavesStopped?.Next).toBe('Report');
    // Report failing tells the topic itself, then fails.
    expect(states.Report?.Catch).toMatchObject([{ ErrorEquals: ['States.ALL'], Next: 'NotifyReportFailed' }]);
    expect(states.NotifyReportFailed).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:sns:publish',
      Next: 'ReportFailed',
    });
    expect(states.ReportFailed).toMatchObject({ Type: 'Fail', Error: 'ReportFailed' });
  });

  it('marks every restore Lambda with LIFEBOAT_FUNCTION', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    const names = Object.values(fns)
      .map(
        (f) =>
          (f as { Properties: { Environment?: { Variables?: Record<string, string> } } }).Properties
            .Environment?.Variables?.LIFEBOAT_FUNCTION,
      )
      .filter((n) => n !== undefined)
      .sort();
    expect(names).toEqual([
      'restore-check',
      'restore-prepare',
      'restore-report',
      'restore-service',
      'restore-shared',
    ]);
  });

  it('limits iam:PassRole to lifeboat.restore.passRoleArns when they are configured', () => {
    const roles = [
      'arn:aws:iam::123456789012:role/ecs-task-*',
      'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    ];
    const scoped = synthLifeboat(sampleConfig({ restore: { passRoleArns: roles } }));
    scoped.recovery.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'PassTaskAndServiceRoles', Action: 'iam:PassRole', Resource: roles }),
        ]),
      },
    });
  });

  it('lets only the service restore pass roles, to ECS only', () => {
    const service = statementsOf(template, 'restore-service');
    expect(service.PassTaskAndServiceRoles).toMatchObject({
      Action: 'iam:PassRole',
      Resource: 'arn:aws:iam::123456789012:role/*',
      Condition: {
        StringEquals: { 'iam:PassedToService': ['ecs-tasks.amazonaws.com', 'ecs.amazonaws.com'] },
      },
    });
    expect(service.CreateOrUpdateDrServices?.Resource).toBe('arn:aws:ecs:us-west-2:123456789012:service/*');
    expect(service.RegisterTaskDefinitions?.Condition).toEqual({
      StringEquals: { 'aws:RequestedRegion': 'us-west-2' },
    });
    for (const name of ['restore-prepare', 'restore-shared', 'restore-check', 'restore-report']) {
      expect(JSON.stringify(statementsOf(template, name))).not.toContain('iam:PassRole');
    }
  });

  it("lets only the service restore put the services' scaling, its alarms and the ECS scaling service-linked role", () => {
    const service = statementsOf(template, 'restore-service');
    expect(service.RestoreServiceScaling).toMatchObject({
      Action: [
        'application-autoscaling:PutScalingPolicy',
        'application-autoscaling:PutScheduledAction',
        'application-autoscaling:RegisterScalableTarget',
        'application-autoscaling:TagResource',
      ],
      Resource: 'arn:aws:application-autoscaling:us-west-2:123456789012:scalable-target/*',
    });
    expect(service.RestoreStepScalingAlarms).toMatchObject({
      Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'],
      Resource: 'arn:aws:cloudwatch:us-west-2:123456789012:alarm:*',
    });
    expect(service.ManageTargetTrackingAlarms).toMatchObject({
      Action: ['cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms'],
      Resource: 'arn:aws:cloudwatch:us-west-2:123456789012:alarm:TargetTracking-*',
    });
    expect(service.CreateEcsAutoScalingServiceLinkedRole).toMatchObject({
      Action: 'iam:CreateServiceLinkedRole',
      Resource:
        'arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
      Condition: { StringEquals: { 'iam:AWSServiceName': 'ecs.application-autoscaling.amazonaws.com' } },
    });
    for (const name of ['restore-prepare', 'restore-shared', 'restore-check', 'restore-report']) {
      expect(JSON.stringify(statementsOf(template, name))).not.toMatch(
        /application-autoscaling|cloudwatch:Put/,
      );
    }
  });

  it('scopes S3 to catalog prefixes, KMS to the alias and SNS to the report topic', () => {
    const prepare = statementsOf(template, 'restore-prepare');
    expect(prepare.ReadRecoveryPoints?.Resource).toBe(
      'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/recovery-points/*',
    );
    expect(prepare.RestoreRunDocuments?.Resource).toBe(
      'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/restore-runs/*',
    );
    expect(prepare.UseCatalogKeyViaAlias?.Condition).toMatchObject({
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-catalog' },
    });
    const report = statementsOf(template, 'restore-report');
    expect(report.WriteReports?.Resource).toBe(
      'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/restore-reports/*',
    );
    expect(report.PublishReports?.Action).toBe('sns:Publish');
    expect(JSON.stringify(report.PublishReports?.Resource)).toContain('ReportTopic');
    const check = statementsOf(template, 'restore-check');
    // CheckWave records a settled wave in its run documents, and reads the health of the targets
    // of services behind a load balancer (DescribeTargetHealth, no resource-level permissions).
    expect(Object.keys(check).sort()).toEqual([
      'DescribeDrServices',
      'DescribeDrTargetHealth',
      'RestoreRunDocuments',
      'UseCatalogKeyViaAlias',
      'WriteOwnLogs',
    ]);
    expect(check.DescribeDrTargetHealth?.Action).toBe('elasticloadbalancing:DescribeTargetHealth');
    expect(check.DescribeDrTargetHealth?.Condition).toEqual({
      StringEquals: { 'aws:RequestedRegion': 'us-west-2' },
    });
    expect(prepare.FailoverLease?.Resource).toBe(
      'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2/leases/failover.json',
    );
    expect(report.FailoverLease?.Action).toEqual(['s3:GetObject', 's3:PutObject']);
  });

  it('lets the service restore create volumes only from DR snapshots, tagged lifeboat:role=restored-volume', () => {
    const service = statementsOf(template, 'restore-service');
    expect(service.CreateRestoredVolumes).toEqual({
      Sid: 'CreateRestoredVolumes',
      Effect: 'Allow',
      Action: 'ec2:CreateVolume',
      Resource: 'arn:aws:ec2:us-west-2:123456789012:volume/*',
      Condition: { StringEquals: { 'aws:RequestTag/lifeboat:role': 'restored-volume' } },
    });
    // A restored volume never carries lifeboat:managed (that tag marks what retention may delete).
    expect(JSON.stringify(service)).not.toContain('lifeboat:managed');
    expect(service.CreateVolumesFromDrSnapshots).toMatchObject({
      Action: 'ec2:CreateVolume',
      Resource: 'arn:aws:ec2:us-west-2::snapshot/*',
    });
    expect(service.TagRestoredVolumes).toMatchObject({
      Action: 'ec2:CreateTags',
      Resource: 'arn:aws:ec2:us-west-2:123456789012:volume/*',
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateVolume' } },
    });
    expect(service.FindRestoredVolumes).toMatchObject({
      Action: 'ec2:DescribeVolumes',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'us-west-2' } },
    });
    for (const name of ['restore-prepare', 'restore-shared', 'restore-check', 'restore-report']) {
      expect(JSON.stringify(statementsOf(template, name))).not.toContain('ec2:CreateVolume');
    }
  });

  it('lets the service restore use the volume key only by its alias and only through EC2 in the DR region', () => {
    const service = statementsOf(template, 'restore-service');
    const via = {
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-volumes' },
      StringEquals: { 'kms:ViaService': 'ec2.us-west-2.amazonaws.com' },
    };
    expect(service.UseVolumeKeyViaEc2).toEqual({
      Sid: 'UseVolumeKeyViaEc2',
      Effect: 'Allow',
      Action: [
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
      ],
      Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
      Condition: via,
    });
    expect(service.GrantVolumeKeyToEc2).toMatchObject({
      Action: 'kms:CreateGrant',
      Condition: { ...via, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    });
  });

  it('lets Prepare verify signatures, pin the recovery point it restores and hold it with a legal hold', () => {
    const prepare = statementsOf(template, 'restore-prepare');
    const catalog = 'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2';
    expect(prepare.PinRecoveryPoints).toMatchObject({
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: `${catalog}/pins/*`,
    });
    expect(prepare.HoldRecoveryPoints).toMatchObject({
      Action: 's3:PutObjectLegalHold',
      Resource: `${catalog}/recovery-points/*`,
    });
    expect(prepare.VerifyRecoveryPointSignatures).toEqual({
      Sid: 'VerifyRecoveryPointSignatures',
      Effect: 'Allow',
      Action: 'kms:VerifyMac',
      Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
      Condition: {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-catalog-signing' },
      },
    });
    const text = JSON.stringify(prepare);
    for (const action of [
      's3:DeleteObject',
      's3:PutObjectRetention',
      's3:PutObjectTagging',
      'kms:GenerateMac',
    ]) {
      expect(text).not.toContain(action);
    }
  });

  it('lets Report update (and remove) pins and release their legal holds, list the catalog and verify signatures', () => {
    const report = statementsOf(template, 'restore-report');
    const catalog = 'arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2';
    expect(report.UpdatePins).toMatchObject({
      Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      Resource: `${catalog}/pins/*`,
    });
    expect(report.ListCatalog).toMatchObject({ Action: 's3:ListBucket', Resource: catalog });
    // Unpinning releases the legal hold the pin put on the manifest; nothing else on recovery points.
    expect(report.ReleaseRecoveryPointHolds).toEqual({
      Sid: 'ReleaseRecoveryPointHolds',
      Effect: 'Allow',
      Action: 's3:PutObjectLegalHold',
      Resource: `${catalog}/recovery-points/*`,
    });
    expect(report.VerifyRecoveryPointSignatures?.Action).toBe('kms:VerifyMac');
    const others = Object.values(report).filter((st) => st.Sid !== 'ReleaseRecoveryPointHolds');
    expect(JSON.stringify(others)).not.toContain('/recovery-points/');
    expect(JSON.stringify(report)).not.toContain('kms:GenerateMac');
  });

  it('gives no restore function kms:GenerateMac (only the backup commit signs)', () => {
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('kms:GenerateMac');
  });

  it('lets Prepare read the DR availability zones', () => {
    expect(statementsOf(template, 'restore-prepare').ListDrInventory?.Action).toContain(
      'ec2:DescribeAvailabilityZones',
    );
  });

  it("lets Prepare read the task roles' inline and customer managed policies, read-only", () => {
    const prepare = statementsOf(template, 'restore-prepare');
    expect(prepare.ReadTaskRolePolicies).toMatchObject({
      Action: ['iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies'],
      Resource: 'arn:aws:iam::123456789012:role/*',
    });
    expect(prepare.ReadTaskRoleManagedPolicies).toMatchObject({
      Action: ['iam:GetPolicy', 'iam:GetPolicyVersion'],
      Resource: 'arn:aws:iam::123456789012:policy/*',
    });
  });

  it('lets PrepareShared create log groups with tags and retention, and nothing more of CloudWatch Logs', () => {
    expect(statementsOf(template, 'restore-shared').CreateDrLogGroups).toMatchObject({
      Action: [
        'logs:CreateLogGroup',
        'logs:ListTagsForResource',
        'logs:PutRetentionPolicy',
        'logs:TagResource',
      ],
      Resource: 'arn:aws:logs:us-west-2:123456789012:log-group:*',
    });
  });

  it('gives every restore function the volume key alias as VOLUME_KMS_KEY_ID', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (f) =>
        (f as { Properties: { Environment?: { Variables?: Record<string, string> } } }).Properties.Environment
          ?.Variables?.LIFEBOAT_FUNCTION !== undefined,
    );
    expect(fns).toHaveLength(5);
    for (const fn of fns) {
      expect(
        (fn as { Properties: { Environment: { Variables: Record<string, string> } } }).Properties.Environment
          .Variables.VOLUME_KMS_KEY_ID,
      ).toBe('alias/lifeboat-volumes');
    }
  });

  describe('volumeKeyAlias', () => {
    function workflow(volumeKeyAlias: string): Template {
      const config = sampleConfig();
      const stack = new Stack(newApp(), 'Dr', { env: { account: config.account, region: config.drRegion } });
      new RestoreWorkflow(stack, 'Restore', {
        config,
        catalogBucketName: 'catalog',
        catalogKeyAlias: 'alias/lifeboat-catalog',
        reportTopic: new sns.Topic(stack, 'Reports'),
        logRetention: logs.RetentionDays.ONE_WEEK,
        volumeKeyAlias,
      });
      return Template.fromStack(stack);
    }

    it('is honoured in the environment and the KMS conditions', () => {
      const custom = workflow('alias/dr-volumes');
      custom.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ VOLUME_KMS_KEY_ID: 'alias/dr-volumes' }) },
      });
      custom.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'UseVolumeKeyViaEc2',
              Condition: Match.objectLike({
                'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/dr-volumes' },
              }),
            }),
          ]),
        },
      });
    });

    it('fails when it is not a customer managed key alias', () => {
      expect(() => workflow('alias/aws/ebs')).toThrow(
        /volumeKeyAlias must be the alias of a customer managed KMS key/,
      );
      expect(() => workflow('arn:aws:kms:us-west-2:123456789012:key/abc')).toThrow(/volumeKeyAlias/);
    });
  });

  it('exports the state machine ARN for the CLI', () => {
    template.hasOutput('RestoreStateMachineArn', {});
  });

  it('logs errors without execution data, and encrypts every log group of the RecoveryStack with the catalog key', () => {
    const stack = synth.stacks.recovery;
    const catalogKeyId = stack.getLogicalId(stack.catalog.key.node.defaultChild as CfnElement);
    expect(LogKey.of(stack)).toBe(stack.catalog.key);
    expectEncryptedLogs(template, catalogKeyId, {
      account: '123456789012',
      region: 'us-west-2',
      count: Object.keys(template.findResources('AWS::Lambda::Function')).length + 1,
    });
  });
});
