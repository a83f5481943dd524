import type { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { LOG_ENCRYPTION_SID } from '../../../lib/constructs/log-key';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/**
 * Every log group of `template` (at least `count`) is encrypted with the KMS key `keyId` (logical
 * id), whose policy lets the CloudWatch Logs service of `region` use it for the log groups of
 * `account` only; every state machine logs errors only, without execution data.
 */
export function expectEncryptedLogs(
  template: Template,
  keyId: string,
  opts: { readonly account: string; readonly region: string; readonly count: number },
): void {
  const resources = (template.toJSON() as { Resources: Resources }).Resources;
  const groups = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
  expect(groups).toHaveLength(opts.count);
  for (const group of groups) expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });

  const key = resources[keyId];
  if (!key) throw new Error(`no resource ${keyId} in the template`);
  const policy = (key.Properties.KeyPolicy as { Statement: { Sid?: string }[] }).Statement;
  expect(policy.find((s) => s.Sid === LOG_ENCRYPTION_SID)).toEqual({
    Sid: LOG_ENCRYPTION_SID,
    Effect: 'Allow',
    Principal: { Service: `logs.${opts.region}.amazonaws.com` },
    // CDK sorts the actions.
    Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
    Resource: '*',
    Condition: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${opts.region}:${opts.account}:log-group:*`,
      },
    },
  });

  const machines = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  expect(machines.length).toBeGreaterThan(0);
  for (const machine of machines) {
    expect(machine.Properties.LoggingConfiguration).toMatchObject({
      Level: 'ERROR',
      IncludeExecutionData: false,
    });
  }
}
