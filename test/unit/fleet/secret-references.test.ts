import { describe, expect, it } from 'vitest';
import type { TaskDefinitionRecord } from '../../../src/catalog/manifest';
import { drSecretArn, replicaKeyOf, secretReferencesOf } from '../../../src/fleet/secret-references';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db-AbCdEf';
const SCOPE = { account: '123456789012', region: 'us-east-1' };

function td(secrets: { name: string; valueFrom: string }[]): TaskDefinitionRecord {
  return {
    sourceArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:1',
    registerInput: { containerDefinitions: [{ name: 'api', secrets }] },
  } as unknown as TaskDefinitionRecord;
}

describe('secretReferencesOf', () => {
  it('collects each distinct secret ARN once, without its JSON key selector', () => {
    const refs = secretReferencesOf(
      [
        td([
          { name: 'A', valueFrom: `${SECRET}:username::` },
          { name: 'B', valueFrom: `${SECRET}:password:AWSCURRENT:` },
          { name: 'C', valueFrom: SECRET },
        ]),
      ],
      SCOPE,
    );
    expect(refs).toEqual({ secretArns: [SECRET], names: [] });
  });

  it('keeps partial ARNs and skips SSM parameters, other accounts and other regions', () => {
    const partial = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/partial';
    const refs = secretReferencesOf(
      [
        td([
          { name: 'P', valueFrom: partial },
          { name: 'S', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/x' },
          { name: 'O', valueFrom: 'arn:aws:secretsmanager:us-east-1:999999999999:secret:o-AbCdEf' },
          { name: 'R', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:r-AbCdEf' },
          { name: 'Q', valueFrom: '/shop/web/session-key' },
        ]),
      ],
      SCOPE,
    );
    expect(refs.secretArns).toEqual([partial]);
    expect(refs.names).toEqual([]);
  });

  it('reports a reference by bare name so the capture can warn', () => {
    const refs = secretReferencesOf([td([{ name: 'N', valueFrom: 'shop-db' }])], SCOPE);
    expect(refs.names).toEqual([{ taskDefinitionArn: expect.any(String), valueFrom: 'shop-db' }]);
  });
});

describe('drSecretArn', () => {
  it('moves the ARN to the DR region and keeps the suffix', () => {
    expect(drSecretArn(SECRET, 'us-east-1', 'us-west-2')).toBe(
      'arn:aws:secretsmanager:us-west-2:123456789012:secret:shop/db-AbCdEf',
    );
  });
});

describe('replicaKeyOf', () => {
  const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const drKey = 'arn:aws:kms:us-west-2:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321';

  it('needs no key for the AWS managed key', () => {
    expect(replicaKeyOf(undefined, {}, 'us-west-2')).toEqual({ unmapped: false });
    expect(replicaKeyOf('alias/aws/secretsmanager', {}, 'us-west-2')).toEqual({ unmapped: false });
  });

  it('uses mappings.kmsKeys first', () => {
    expect(replicaKeyOf(key, { [key]: drKey }, 'us-west-2')).toEqual({ kmsKeyId: drKey, unmapped: false });
  });

  it('uses the DR replica of a multi-Region key', () => {
    const mrk = 'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab';
    expect(replicaKeyOf(mrk, {}, 'us-west-2')).toEqual({
      kmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      unmapped: false,
    });
  });

  it('reports any other customer managed key as unmapped', () => {
    expect(replicaKeyOf(key, {}, 'us-west-2')).toEqual({ unmapped: true });
  });
});
