import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_ENCRYPTION_SID, LogKey } from '../../lib/constructs/log-key';
import { InfrastructureError } from '../../lib/errors';
import { newApp, removeTestApps } from './support/synth';

afterAll(removeTestApps);

const ENV = { account: '123456789012', region: 'eu-west-1' };

function stack(): Stack {
  return new Stack(newApp(), 'Test', { env: ENV });
}

type Statement = { Sid?: string; Principal?: unknown; Condition?: unknown };
function keyStatements(template: Template, keyId: string): Statement[] {
  const key = template.toJSON().Resources[keyId] as { Properties: { KeyPolicy: { Statement: Statement[] } } };
  return key.Properties.KeyPolicy.Statement;
}

describe('LogKey', () => {
  it('creates one rotated, retained key per stack on first use and hands the same key to every caller', () => {
    const s = stack();
    const inner = new Construct(s, 'Workflow');
    const first = LogKey.of(inner);
    expect(LogKey.of(s)).toBe(first);
    const template = Template.fromStack(s);
    const keyId = s.getLogicalId(first.node.defaultChild as CfnElement);
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual([keyId]);
    expect(template.toJSON().Resources[keyId]).toMatchObject({
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
    });
    expect(keyStatements(template, keyId).find((st) => st.Sid === LOG_ENCRYPTION_SID)).toMatchObject({
      Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
      Condition: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:123456789012:log-group:*' },
      },
    });
  });

  it('uses the key it is given, adding the CloudWatch Logs statement to that key’s policy and creating none', () => {
    const s = stack();
    const existing = new kms.Key(s, 'CatalogKey', { enableKeyRotation: true });
    new LogKey(s, 'LogKey', { key: existing });
    const group = new logs.LogGroup(new Construct(s, 'Workflow'), 'Logs', { encryptionKey: LogKey.of(s) });
    const template = Template.fromStack(s);
    const keyId = s.getLogicalId(existing.node.defaultChild as CfnElement);
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual([keyId]);
    expect(template.toJSON().Resources[s.getLogicalId(group.node.defaultChild as CfnElement)]).toMatchObject({
      Properties: { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });
    expect(keyStatements(template, keyId).map((st) => st.Sid)).toContain(LOG_ENCRYPTION_SID);
  });

  it('fails when the stack already has a log key (created by LogKey.of before it)', () => {
    const s = stack();
    LogKey.of(s);
    expect(() => new LogKey(s, 'Another', { key: new kms.Key(s, 'Key') })).toThrow(
      /the stack already has a log key \(Test\/LogKey\).*create the LogKey before the workflows/,
    );
  });

  it('fails when it is not created directly in a stack (LogKey.of would not find it)', () => {
    const s = stack();
    expect(() => new LogKey(new Construct(s, 'Nested'), 'LogKey')).toThrow(InfrastructureError);
    expect(() => new LogKey(new Construct(s, 'Nested2'), 'LogKey')).toThrow(
      /create it with the stack as scope/,
    );
  });

  it('fails when given an imported key, whose policy it cannot extend', () => {
    const s = stack();
    const imported = kms.Key.fromKeyArn(s, 'Imported', 'arn:aws:kms:eu-west-1:123456789012:key/abc');
    expect(() => new LogKey(s, 'LogKey', { key: imported })).toThrow(
      /key must be a customer managed key defined in this stack/,
    );
  });

  it('fails in a stack without an explicit account and region', () => {
    expect(() => LogKey.of(new Stack(newApp(), 'Test'))).toThrow(
      /the log key needs a stack with an explicit env/,
    );
  });
});
