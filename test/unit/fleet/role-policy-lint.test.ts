import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type RolePoliciesRead,
  type RolePolicyDocument,
  resourceMatches,
  rolePolicyFindings,
  taskDefinitionRoles,
} from '../../../src/fleet/role-policy-lint';
import { parseArn } from '../../../src/kernel/arns';

const PRIMARY = 'us-east-1';
const DR = 'us-west-2';
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app/shop-api-task`;
const ctx = { primaryRegion: PRIMARY, drRegion: DR };
const SECRET = `arn:aws:secretsmanager:${PRIMARY}:${ACCOUNT}:secret:shop/db-AbCdEf`;

function inline(resources: unknown, extra: Record<string, unknown> = {}): RolePolicyDocument {
  return {
    roleArn: ROLE,
    policyName: 'secrets',
    kind: 'inline',
    document: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: resources, ...extra },
      ],
    },
  };
}

function lint(...policies: RolePolicyDocument[]) {
  return rolePolicyFindings({ policies, unread: [] }, ctx);
}

describe('rolePolicyFindings', () => {
  it('warns ROLE_POLICY_PRIMARY_ONLY for an Allow on a primary-region secret, naming the role, the policy and the DR ARN', () => {
    const [finding, ...rest] = lint(inline(SECRET));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'warning',
      code: 'ROLE_POLICY_PRIMARY_ONLY',
      resource: SECRET,
    });
    const drArn = SECRET.replace(PRIMARY, DR);
    expect(finding?.message).toContain('shop-api-task');
    expect(finding?.message).toContain('secrets');
    expect(finding?.fix).toContain(drArn);
  });

  it('accepts a wildcard region, region-less ARNs, Deny statements and a DR ARN allowed beside the primary one', () => {
    expect(lint(inline(`arn:aws:secretsmanager:*:${ACCOUNT}:secret:shop/db-*`))).toEqual([]);
    expect(lint(inline(['arn:aws:s3:::shop-assets/*', `arn:aws:iam::${ACCOUNT}:role/x`, '*']))).toEqual([]);
    expect(lint(inline(SECRET, { Effect: 'Deny' }))).toEqual([]);
    expect(lint(inline([SECRET, SECRET.replace(PRIMARY, DR)]))).toEqual([]);
  });

  it('counts a DR ARN allowed by another policy of the same role', () => {
    const other: RolePolicyDocument = {
      ...inline(`arn:aws:secretsmanager:${DR}:${ACCOUNT}:secret:*`),
      policyName: `arn:aws:iam::${ACCOUNT}:policy/dr-secrets`,
      kind: 'managed',
    };
    expect(lint(inline(SECRET), other)).toEqual([]);
  });

  it('reads a single statement object and KMS, SQS and logs ARNs', () => {
    const key = `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/1234`;
    const queue = `arn:aws:sqs:${PRIMARY}:${ACCOUNT}:jobs`;
    const findings = rolePolicyFindings(
      {
        policies: [
          {
            roleArn: ROLE,
            policyName: 'p',
            kind: 'inline',
            document: {
              Statement: {
                Effect: 'Allow',
                Action: ['kms:Decrypt', 'sqs:SendMessage'],
                Resource: [key, queue],
              },
            },
          },
        ],
        unread: [],
      },
      ctx,
    );
    expect(findings.map((f) => f.resource)).toEqual([key, queue]);
  });

  it('gives one info ROLE_POLICIES_NOT_CHECKED for the roles that could not be read', () => {
    const read: RolePoliciesRead = {
      policies: [],
      unread: [
        { roleArn: ROLE, code: 'AccessDenied', message: 'not authorized' },
        { roleArn: `${ROLE}-2`, code: 'AccessDenied', message: 'not authorized' },
      ],
    };
    const findings = rolePolicyFindings(read, ctx);
    expect(findings.map((f) => [f.severity, f.code])).toEqual([['info', 'ROLE_POLICIES_NOT_CHECKED']]);
  });

  it('is silenced by adding the DR ARNs its findings name (property)', () => {
    const services = fc.constantFrom('secretsmanager', 'kms', 'sqs', 'logs', 's3', 'iam', 'dynamodb');
    const regions = fc.constantFrom(PRIMARY, DR, '*', '', 'eu-west-1');
    const arn = fc
      .tuple(services, regions, fc.stringMatching(/^[a-z][a-z0-9/-]{0,12}$/))
      .map(([service, region, name]) => `arn:aws:${service}:${region}:${ACCOUNT}:${name}`);
    fc.assert(
      fc.property(fc.array(arn, { maxLength: 6 }), (resources) => {
        const findings = lint(inline(resources));
        for (const f of findings) expect(parseArn(f.resource)?.region).toBe(PRIMARY);
        const added = findings.map((f) => f.resource.replace(`:${PRIMARY}:`, `:${DR}:`));
        expect(lint(inline([...resources, ...added]))).toEqual([]);
      }),
    );
  });
});

describe('resourceMatches', () => {
  it("matches IAM's * and ? wildcards and nothing else", () => {
    expect(resourceMatches('arn:aws:sqs:*:1:jobs', 'arn:aws:sqs:us-west-2:1:jobs')).toBe(true);
    expect(resourceMatches('arn:aws:sqs:us-west-?:1:jobs', 'arn:aws:sqs:us-west-2:1:jobs')).toBe(true);
    expect(resourceMatches('arn:aws:sqs:us-east-1:1:jobs', 'arn:aws:sqs:us-west-2:1:jobs')).toBe(false);
    expect(resourceMatches('arn:aws:sqs:us-west-2:1:job.', 'arn:aws:sqs:us-west-2:1:jobs')).toBe(false);
  });
});

describe('taskDefinitionRoles', () => {
  it('collects task and execution roles as ARNs, a bare name as a role of the account', () => {
    expect(
      taskDefinitionRoles(
        [{ taskRoleArn: ROLE, executionRoleArn: 'ecsTaskExecutionRole' }, { taskRoleArn: ROLE }],
        ACCOUNT,
      ),
    ).toEqual([ROLE, `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`]);
  });
});
