import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TargetGroupRecord } from '../../../../src/catalog/manifest';
import type { DrInventory } from '../../../../src/fleet/inventory';
import {
  applyTargetGroupArns,
  planTargetGroupCreation,
  resolveTargetGroup,
  type TargetGroupCreationContext,
} from '../../../../src/fleet/retarget/target-groups';

const DR = 'us-west-2';
const PRIMARY_TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/aaaa';
const PRIMARY_LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/1111';
const DR_TG = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web/bbbb';
const DR_OTHER = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web-dr/cccc';
const DR_LB = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/shop/2222';
const DR_LISTENER = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/shop/2222/l1';

describe('resolveTargetGroup', () => {
  const byName = { targetGroupArn: DR_TG, targetGroupName: 'web' };
  const tagged = { targetGroupArn: DR_OTHER, targetGroupName: 'web-dr', sourceTargetGroupArn: PRIMARY_TG };

  it('takes the explicit mapping first, by ARN or by name, to a DR ARN or name', () => {
    expect(resolveTargetGroup(PRIMARY_TG, [byName, tagged], { [PRIMARY_TG]: 'web' }, DR)).toEqual({
      drId: DR_TG,
    });
    expect(resolveTargetGroup(PRIMARY_TG, [byName, tagged], { web: DR_TG }, DR)).toEqual({ drId: DR_TG });
  });

  it('refuses a mapping to a group that does not exist, rather than falling back', () => {
    const r = resolveTargetGroup(PRIMARY_TG, [byName, tagged], { [PRIMARY_TG]: 'gone' }, DR);
    expect(r.drId).toBeUndefined();
    expect(r.finding).toMatchObject({ severity: 'error', code: 'TARGET_GROUP_MAPPING_INVALID' });
  });

  it('prefers the group tagged lifeboat:source-id with the primary ARN over one of the same name', () => {
    expect(resolveTargetGroup(PRIMARY_TG, [byName, tagged], {}, DR)).toEqual({ drId: DR_OTHER });
  });

  it('refuses two groups tagged for the same source', () => {
    const twin = { ...tagged, targetGroupArn: `${DR_OTHER}2`, targetGroupName: 'web-dr-2' };
    expect(resolveTargetGroup(PRIMARY_TG, [tagged, twin], {}, DR).finding).toMatchObject({
      severity: 'error',
      code: 'TARGET_GROUP_AMBIGUOUS',
    });
  });

  it('maps by name with an info finding, and names restore.createTargetGroups when nothing matches', () => {
    const named = resolveTargetGroup(PRIMARY_TG, [byName], {}, DR);
    expect(named).toMatchObject({
      drId: DR_TG,
      finding: { severity: 'info', code: 'TARGET_GROUP_MATCHED_BY_NAME' },
    });
    const none = resolveTargetGroup(PRIMARY_TG, [], {}, DR);
    expect(none.finding).toMatchObject({ severity: 'error', code: 'TARGET_GROUP_NOT_MAPPED' });
    expect(none.finding?.fix).toContain('restore.createTargetGroups');
  });

  it('only ever answers a DR group of the inventory (property)', () => {
    const names = fc.constantFrom('web', 'api', 'web-dr', 'other');
    const group = fc.record({
      targetGroupArn: names.map(
        (n) => `arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/${n}/x`,
      ),
      targetGroupName: names,
      sourceTargetGroupArn: fc.option(fc.constant(PRIMARY_TG), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(group, { maxLength: 5 }), fc.dictionary(names, names), (groups, mapping) => {
        const inventory = groups.map(({ sourceTargetGroupArn, ...g }) =>
          sourceTargetGroupArn ? { ...g, sourceTargetGroupArn } : g,
        );
        const r = resolveTargetGroup(PRIMARY_TG, inventory, mapping, DR);
        if (r.drId !== undefined) expect(inventory.map((g) => g.targetGroupArn)).toContain(r.drId);
        else expect(r.finding.severity).toBe('error');
      }),
    );
  });
});

function record(overrides: Partial<TargetGroupRecord> = {}): TargetGroupRecord {
  return {
    targetGroupArn: PRIMARY_TG,
    targetGroupName: 'web',
    protocol: 'HTTP',
    port: 8080,
    targetType: 'ip',
    vpcId: 'vpc-primary',
    healthCheck: { HealthCheckPath: '/healthz' },
    attributes: [{ key: 'deregistration_delay.timeout_seconds', value: '30' }],
    tags: [
      { key: 'team', value: 'shop' },
      { key: 'aws:cloudformation:stack-name', value: 'shop' },
    ],
    loadBalancerArns: [PRIMARY_LB],
    rules: [
      {
        ruleArn: 'rule-1',
        priority: 10,
        conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
        listenerArn: 'primary-listener',
        listenerPort: 80,
        listenerProtocol: 'HTTP',
        loadBalancerArn: PRIMARY_LB,
        loadBalancerName: 'shop',
      },
    ],
    ...overrides,
  };
}

function context(
  inventory: Partial<Pick<DrInventory, 'loadBalancers' | 'listeners'>> = {},
): TargetGroupCreationContext {
  return {
    drRegion: DR,
    mappings: { loadBalancers: {} },
    inventory: {
      loadBalancers: [{ loadBalancerArn: DR_LB, loadBalancerName: 'shop', vpcId: 'vpc-dr' }],
      listeners: [{ listenerArn: DR_LISTENER, loadBalancerArn: DR_LB, port: 80, protocol: 'HTTP' }],
      ...inventory,
    },
    provenance: { deploymentId: 'lifeboat-test', recoveryPointId: 'rp-20260101T000000000Z-abcdef' },
  };
}

describe('planTargetGroupCreation', () => {
  it('creates the group in the DR load balancer’s VPC with the captured settings, rule and tags', () => {
    const { creation, findings } = planTargetGroupCreation(record(), context());
    expect(creation).toMatchObject({
      targetGroupName: 'web',
      vpcId: 'vpc-dr',
      loadBalancerArns: [DR_LB],
      port: 8080,
      healthCheck: { HealthCheckPath: '/healthz' },
      rules: [{ listenerArn: DR_LISTENER, priority: 10 }],
    });
    // Its source first (a re-run finds it), the source tags without AWS-reserved ones, then provenance.
    expect(creation?.tags.map((t) => t.key)).toEqual([
      'lifeboat:source-id',
      'team',
      'lifeboat:deployment',
      'lifeboat:recovery-point',
    ]);
    expect(findings.map((f) => f.code)).toEqual(['TARGET_GROUP_CREATED']);
  });

  it('finds the DR load balancer by mapping, then by its lifeboat:source-id tag, before its name', () => {
    const tagged = {
      loadBalancerArn: `${DR_LB}-t`,
      loadBalancerName: 'shop-dr',
      vpcId: 'vpc-t',
      sourceLoadBalancerArn: PRIMARY_LB,
    };
    const listeners = [
      { listenerArn: 'l-t', loadBalancerArn: `${DR_LB}-t`, port: 80, protocol: 'HTTP' },
      { listenerArn: DR_LISTENER, loadBalancerArn: DR_LB, port: 80, protocol: 'HTTP' },
    ];
    const base = context({
      loadBalancers: [{ loadBalancerArn: DR_LB, loadBalancerName: 'shop', vpcId: 'vpc-dr' }, tagged],
      listeners,
    });
    expect(planTargetGroupCreation(record(), base).creation?.vpcId).toBe('vpc-t');
    const mapped = { ...base, mappings: { loadBalancers: { [PRIMARY_LB]: 'shop' } } };
    expect(planTargetGroupCreation(record(), mapped).creation?.vpcId).toBe('vpc-dr');
  });

  it('says what is missing when the DR load balancer or its listener is not there, and plans nothing', () => {
    const noLb = planTargetGroupCreation(record(), context({ loadBalancers: [] }));
    expect(noLb.creation).toBeUndefined();
    expect(noLb.findings).toEqual([
      expect.objectContaining({ severity: 'error', code: 'LOAD_BALANCER_NOT_MAPPED' }),
    ]);
    const noListener = planTargetGroupCreation(record(), context({ listeners: [] }));
    expect(noListener.creation).toBeUndefined();
    expect(noListener.findings[0]).toMatchObject({ severity: 'error', code: 'LISTENER_NOT_FOUND' });
    expect(noListener.findings[0]?.fix).toContain('HTTP:80');
  });

  it('creates the group but leaves a listener default action alone, with a warning naming the command', () => {
    const [rule] = record().rules;
    const { creation, findings } = planTargetGroupCreation(
      record({ rules: [{ ...(rule as NonNullable<typeof rule>), priority: 'default' }] }),
      context(),
    );
    expect(creation?.rules).toEqual([]);
    const warning = findings.find((f) => f.code === 'LISTENER_DEFAULT_ACTION_NOT_CHANGED');
    expect(warning?.severity).toBe('warning');
    expect(warning?.fix).toContain(`aws elbv2 modify-listener --region ${DR} --listener-arn ${DR_LISTENER}`);
  });
});

describe('applyTargetGroupArns', () => {
  it('replaces exactly the pending ARNs it has a DR group for, and names the others (property)', () => {
    const arn = fc.constantFrom('a', 'b', 'c', 'd').map((n) => `arn:tg/${n}`);
    fc.assert(
      fc.property(
        fc.array(arn, { maxLength: 4 }),
        fc.uniqueArray(arn, { maxLength: 4 }),
        fc.dictionary(arn, fc.constantFrom('dr/1', 'dr/2')),
        (inService, pending, created) => {
          const input = {
            serviceName: 's',
            loadBalancers: inService.map((a) => ({ targetGroupArn: a, containerPort: 80 })),
          };
          const before = structuredClone(input);
          const result = applyTargetGroupArns(input, pending, created);
          expect(input).toEqual(before);
          expect(result.missing).toEqual(pending.filter((a) => !Object.hasOwn(created, a)));
          result.input.loadBalancers.forEach((lb, i) => {
            const source = inService[i] as string;
            const to = pending.includes(source) && Object.hasOwn(created, source) ? created[source] : source;
            expect(lb).toEqual({ targetGroupArn: to, containerPort: 80 });
          });
        },
      ),
    );
  });
});
