import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, configFromContext } from '../../lib/app';
import { ConfigError } from '../../src/config/errors';
import {
  cdkJsonContext,
  newApp,
  removeTestApps,
  type SynthesisedLifeboat,
  sampleConfig,
  synthLifeboat,
} from './support/synth';

afterAll(removeTestApps);

type PolicyStatement = { Effect: string; Action: string | string[]; Resource: unknown };

/** Every statement of every IAM policy (identity policies and inline role policies) in a template. */
function iamStatements(template: { Resources?: Record<string, { Type: string; Properties?: unknown }> }) {
  const statements: { resource: string; statement: PolicyStatement }[] = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const props = resource.Properties as {
      PolicyDocument?: { Statement: PolicyStatement[] };
      Policies?: { PolicyDocument: { Statement: PolicyStatement[] } }[];
    };
    if (resource.Type === 'AWS::IAM::Policy' && props.PolicyDocument) {
      for (const statement of props.PolicyDocument.Statement) statements.push({ resource: id, statement });
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of props.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) statements.push({ resource: id, statement });
      }
    }
  }
  return statements;
}

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** Acknowledged cdk-nag rules recorded anywhere in the construct tree: rule id → reason. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: unknown }[] {
  const found: { path: string; id: string; reason: unknown }[] = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        found.push({ path: construct.node.path, id, reason });
      }
    }
  }
  return found;
}

describe('buildApp', () => {
  let synth: SynthesisedLifeboat;

  beforeAll(() => {
    synth = synthLifeboat(sampleConfig(), { cfnValidation: true });
  }, 120_000);

  it('adds the RecoveryStack in the DR region and the BackupStack in the primary region', () => {
    const stacks = synth.app.node.children.filter((c) => 'templateFile' in c).map((c) => c.node.id);
    expect(stacks.sort()).toEqual(['LifeboatBackup', 'LifeboatRecovery']);
    expect(synth.stacks.recovery.stackName).toBe('LifeboatRecovery');
    expect(synth.stacks.backup.stackName).toBe('LifeboatBackup');
    expect(synth.stacks.recovery.environment).toBe('aws://123456789012/us-west-2');
    expect(synth.stacks.backup.environment).toBe('aws://123456789012/us-east-1');
  });

  it('uses no lookups, so it synthesises offline', () => {
    const assembly = synth.app.synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  it('synthesises with an empty validation report (cdk-nag and the CloudFormation schema check)', () => {
    const report = JSON.parse(
      readFileSync(path.join(synth.app.outdir, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: unknown[];
    };
    expect(report.pluginReports).toEqual([]);
  });

  it('has no cdk-nag AwsSolutions findings left, errors or warnings', () => {
    const result = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(synth.app);
    expect(result.violations).toEqual([]);
    expect(result.success).toBe(true);
  });

  it('gives every acknowledged cdk-nag rule a written reason', () => {
    const acknowledged = acknowledgements(synth.app);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledged) {
      expect(typeof reason, `${path} ${id}`).toBe('string');
      expect((reason as string).length, `${path} ${id}: "${String(reason)}"`).toBeGreaterThan(40);
    }
  });

  it('acknowledges no cdk-nag rule wholesale: wildcard findings are acknowledged one by one', () => {
    const ids = acknowledgements(synth.app).map((a) => a.id.replace(/^annotation::/i, ''));
    expect(ids.filter((id) => id === 'AwsSolutions-IAM5')).toEqual([]);
    expect(ids.filter((id) => id.startsWith('AwsSolutions-IAM5['))).not.toEqual([]);
  });

  it('grants no wildcard action in any IAM policy of either stack', () => {
    const statements = [...iamStatements(synth.recovery.toJSON()), ...iamStatements(synth.backup.toJSON())];
    expect(statements.length).toBeGreaterThan(0);
    for (const { resource, statement } of statements) {
      for (const action of asArray(statement.Action)) {
        expect(String(action), resource).not.toContain('*');
      }
    }
  });

  it('grants Resource "*" only to actions that support no resource-level permissions', () => {
    const unscopable = new Set([
      'ecs:ListClusters',
      'ecs:ListServices',
      'ecs:ListTasks',
      'ecs:DescribeTaskDefinition',
      'ec2:DescribeSubnets',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeVolumes',
      'ec2:DescribeSnapshots',
      'ecr:DescribeRegistry',
      'ecr:StartReplicationBackfill',
      // Capture reads the services' Application Auto Scaling (no resource-level permissions).
      'application-autoscaling:DescribeScalableTargets',
      'application-autoscaling:DescribeScalingPolicies',
      'application-autoscaling:DescribeScheduledActions',
      // Capture reads the services' target groups, load balancers, listeners and rules (ELB's
      // Describe* actions support no resource-level permissions).
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetGroupAttributes',
      'elasticloadbalancing:DescribeTags',
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeRules',
      // The backup state machine's log delivery and X-Ray tracing (as the restore state machine's).
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
    ]);
    for (const { statement } of iamStatements(synth.backup.toJSON())) {
      if (!asArray(statement.Resource).includes('*')) continue;
      for (const action of asArray(statement.Action)) expect(unscopable).toContain(action);
    }
  });

  it('scopes every literal ARN in the backup policies to the account and the primary or DR region', () => {
    for (const { statement } of iamStatements(synth.backup.toJSON())) {
      for (const resource of asArray(statement.Resource)) {
        if (typeof resource !== 'string' || resource === '*') continue;
        if (resource.startsWith('arn:aws:s3:::')) {
          expect(resource).toMatch(
            /^arn:aws:s3:::lifeboat-catalog-123456789012-us-west-2(\/(recovery-points|staging|pins|retired)\/\*)?$/,
          );
        } else if (resource.includes(':snapshot/')) {
          // EC2 snapshot ARNs carry no account; the statements on them hold tag conditions instead.
          expect(resource).toMatch(/^arn:aws:ec2:(us-east-1|us-west-2)::snapshot\/\*$/);
        } else {
          expect(resource).toMatch(/^arn:aws:[a-z0-9]+:(us-east-1|us-west-2):123456789012:/);
        }
      }
    }
  });

  it('runs cdk-nag at synth: an unencrypted, TLS-optional queue fails synthesis', () => {
    const app = newApp();
    const { backup } = buildApp(app, sampleConfig());
    new sqs.Queue(backup, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2[\s\S]*LifeboatBackup\/Careless/);
  });
});

describe('configFromContext', () => {
  function appWith(value: unknown): App {
    return newApp({ context: { lifeboat: value } });
  }

  it('reads the lifeboat object of cdk.json', () => {
    const config = configFromContext(newApp());
    expect(config).toMatchObject(cdkJsonContext().lifeboat as object);
    expect(config.catalog).toEqual({ objectLockMode: 'COMPLIANCE' });
    expect(config.logRetentionDays).toBe(90);
  });

  it('accepts the configuration as a JSON string (cdk synth -c lifeboat=…)', () => {
    const raw = { account: '210987654321', primaryRegion: 'eu-west-1', drRegion: 'eu-central-1' };
    expect(configFromContext(appWith(JSON.stringify(raw)))).toMatchObject(raw);
  });

  it('fails when the lifeboat context is missing, saying where to add it', () => {
    const app = newApp({ context: { lifeboat: undefined } });
    expect(() => configFromContext(app)).toThrow(ConfigError);
    expect(() => configFromContext(app)).toThrow(
      /lifeboat: is required; add a "lifeboat" object to "context" in cdk\.json/,
    );
  });

  it('fails when the lifeboat context is a string that is not JSON', () => {
    expect(() => configFromContext(appWith('{account: 1'))).toThrow(
      /lifeboat: the context value is not JSON/,
    );
  });

  it('fails when drRegion equals primaryRegion, naming lifeboat.drRegion', () => {
    const raw = { account: '123456789012', primaryRegion: 'us-east-1', drRegion: 'us-east-1' };
    expect(() => configFromContext(appWith(raw))).toThrow(
      /lifeboat\.drRegion: must differ from primaryRegion/,
    );
  });

  it('fails when catalog.objectLockMode is neither GOVERNANCE nor COMPLIANCE, naming the key', () => {
    const raw = { ...(cdkJsonContext().lifeboat as object), catalog: { objectLockMode: 'LEGAL_HOLD' } };
    expect(() => configFromContext(appWith(raw))).toThrow(
      /lifeboat\.catalog\.objectLockMode:.*GOVERNANCE.*COMPLIANCE/,
    );
  });

  it('fails when catalog.objectLockDays is not a positive whole number, naming the key', () => {
    const raw = { ...(cdkJsonContext().lifeboat as object), catalog: { objectLockDays: 0 } };
    expect(() => configFromContext(appWith(raw))).toThrow(/lifeboat\.catalog\.objectLockDays:/);
  });

  it('fails when catalog has an unknown setting, naming it', () => {
    const raw = {
      ...(cdkJsonContext().lifeboat as object),
      catalog: { objectLockMode: 'GOVERNANCE', lockDays: 3 },
    };
    expect(() => configFromContext(appWith(raw))).toThrow(/lifeboat\.catalog\.lockDays: unknown setting/);
  });

  it('fails when logRetentionDays is not a CloudWatch Logs retention period, listing the valid ones', () => {
    const raw = { ...(cdkJsonContext().lifeboat as object), logRetentionDays: 42 };
    expect(() => configFromContext(appWith(raw))).toThrow(
      /lifeboat\.logRetentionDays: must be a CloudWatch Logs retention period: one of 1, 3, 5, 7, 14, 30, 60, 90/,
    );
  });
});
