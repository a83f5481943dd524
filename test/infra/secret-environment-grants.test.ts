import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestApps, type SynthesisedLifeboat, sampleConfig, synthLifeboat } from './support/synth';
import { type Statement, statementsOf } from './support/workflow';

afterAll(removeTestApps);

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Every statement of every IAM policy in `template`, with the logical id of its policy. */
function allStatements(template: Template): { policy: string; statement: Statement }[] {
  const resources = (template.toJSON() as { Resources: Resources }).Resources;
  return Object.entries(resources).flatMap(([policy, r]) =>
    r.Type === 'AWS::IAM::Policy'
      ? (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map((statement) => ({
          policy,
          statement,
        }))
      : [],
  );
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The statement leaves KMS to be called directly: it names no `kms:ViaService`. */
function direct(statement: Statement): boolean {
  return !JSON.stringify(statement.Condition ?? {}).includes('kms:ViaService');
}

const ENVIRONMENT_ONLY = {
  'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/lifeboat-catalog' },
  StringEquals: { 'kms:EncryptionContext:lifeboat:purpose': 'environment' },
};

describe('grants on sealed environment values', () => {
  let synth: SynthesisedLifeboat;

  beforeAll(() => {
    synth = synthLifeboat(sampleConfig());
  }, 120_000);

  it('lets the capture role encrypt with the catalog key, directly, only for environment values', () => {
    expect(statementsOf(synth.backup, 'capture').SealEnvironmentValues).toEqual({
      Sid: 'SealEnvironmentValues',
      Effect: 'Allow',
      Action: 'kms:Encrypt',
      Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
      Condition: ENVIRONMENT_ONLY,
    });
  });

  it('lets the restore service role decrypt them with the catalog key, directly, only for environment values', () => {
    expect(statementsOf(synth.recovery, 'restore-service').UnsealEnvironmentValues).toEqual({
      Sid: 'UnsealEnvironmentValues',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: 'arn:aws:kms:us-west-2:123456789012:key/*',
      Condition: ENVIRONMENT_ONLY,
    });
  });

  it('gives no other statement of either stack kms:Decrypt or kms:Encrypt without kms:ViaService', () => {
    const unsealer = statementsOf(synth.recovery, 'restore-service').UnsealEnvironmentValues;
    const sealer = statementsOf(synth.backup, 'capture').SealEnvironmentValues;
    const directUse = [...allStatements(synth.backup), ...allStatements(synth.recovery)].filter(
      ({ statement }) =>
        actionsOf(statement).some((a) => a === 'kms:Decrypt' || a === 'kms:Encrypt' || a === 'kms:*') &&
        direct(statement),
    );

    expect(directUse.map((d) => d.statement)).toEqual(expect.arrayContaining([sealer, unsealer]));
    expect(directUse.map((d) => d.statement.Sid).sort()).toEqual([
      'SealEnvironmentValues',
      'UnsealEnvironmentValues',
    ]);
  });
});
