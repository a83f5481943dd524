import {
  type Action,
  AddTagsCommand,
  CreateRuleCommand,
  type CreateRuleCommandInput,
  CreateTargetGroupCommand,
  type CreateTargetGroupCommandInput,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type Listener,
  type LoadBalancer,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  type Rule,
  type RuleCondition,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import type { ListenerRuleRecord, Tag, TargetGroupRecord } from '../../catalog/manifest';
import { chunk, mapConcurrent } from '../../kernel/concurrency';
import { allPages } from '../../kernel/pages';
import { TargetGroupNotCreatedError } from '../errors';
import { type DrListener, type DrLoadBalancer, type DrTargetGroup, SOURCE_ID_TAG } from '../inventory';
import type { TargetGroupCreationPlan } from '../retarget/target-groups';
import type { NetworkFailure } from './network';

/** ARNs per DescribeTargetGroups / DescribeLoadBalancers / DescribeTags call (DescribeTags' limit). */
export const ELB_ARNS_PER_CALL = 20;

/** Target groups, listeners and rules read at once (Describe* calls in flight). */
const CONCURRENCY = 4;

function tagsOf(list: { Key?: string; Value?: string }[] | undefined): Tag[] {
  return (list ?? []).flatMap((t) => (t.Key ? [{ key: t.Key, value: t.Value ?? '' }] : []));
}

/** Whether an action sends traffic to `targetGroupArn` (plain or weighted forward). */
function forwardsTo(action: Action, targetGroupArn: string): boolean {
  if (action.Type !== 'forward') return false;
  return (
    action.TargetGroupArn === targetGroupArn ||
    (action.ForwardConfig?.TargetGroups ?? []).some((t) => t.TargetGroupArn === targetGroupArn)
  );
}

/**
 * A condition as CreateRule takes it: DescribeRules gives both the legacy `Values` and the typed
 * `…Config` of a host-header or path-pattern condition, and CreateRule refuses both at once.
 */
function creatableCondition(condition: RuleCondition): Record<string, unknown> {
  const { Values, ...rest } = condition;
  const typed = Object.keys(rest).some((k) => k.endsWith('Config'));
  return typed || Values === undefined ? { ...rest } : { ...rest, Values };
}

async function describeGroups(elbv2: ElasticLoadBalancingV2Client, arns: string[]): Promise<TargetGroup[]> {
  const res = await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: arns }));
  return res.TargetGroups ?? [];
}

/**
 * Describes the target groups the captured services name, with their attributes, tags, and the
 * listener rules (of every load balancer they are attached to) that forward to them: one
 * DescribeTargetGroups and one DescribeTags per 20 groups, one DescribeTargetGroupAttributes per
 * group, one DescribeLoadBalancers per 20 load balancers, one DescribeListeners per load balancer
 * and one DescribeRules per listener (plus pages). A group that no longer exists, or whose call
 * fails, is a failure of its own; the others are still described.
 */
export async function describeTargetGroups(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArns: readonly string[],
): Promise<{ targetGroups: TargetGroupRecord[]; failures: NetworkFailure[] }> {
  const failures: NetworkFailure[] = [];
  const fail = (resourceId: string, error: unknown) =>
    failures.push({ resourceId, code: awsErrorCode(error), message: awsErrorMessage(error) });
  const wanted = [...new Set(targetGroupArns)].sort();
  const groups: TargetGroup[] = [];
  for (const batch of chunk(wanted, ELB_ARNS_PER_CALL)) {
    try {
      groups.push(...(await describeGroups(elbv2, batch)));
    } catch {
      // One missing ARN fails the whole call: describe them one by one to name it.
      for (const arn of batch) {
        try {
          groups.push(...(await describeGroups(elbv2, [arn])));
        } catch (error) {
          fail(arn, error);
        }
      }
    }
  }
  const tags = new Map<string, Tag[]>();
  for (const batch of chunk(
    groups.flatMap((g) => g.TargetGroupArn ?? []),
    ELB_ARNS_PER_CALL,
  )) {
    try {
      const res = await elbv2.send(new DescribeTagsCommand({ ResourceArns: batch }));
      for (const d of res.TagDescriptions ?? []) if (d.ResourceArn) tags.set(d.ResourceArn, tagsOf(d.Tags));
    } catch (error) {
      for (const arn of batch) fail(arn, error);
    }
  }
  const loadBalancerArns = [...new Set(groups.flatMap((g) => g.LoadBalancerArns ?? []))].sort();
  const rulesByLoadBalancer = new Map<string, { listener: Listener; rules: Rule[] }[]>();
  const names = new Map<string, string>();
  for (const batch of chunk(loadBalancerArns, ELB_ARNS_PER_CALL)) {
    try {
      const res = await elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: batch }));
      for (const lb of res.LoadBalancers ?? [])
        if (lb.LoadBalancerArn && lb.LoadBalancerName) names.set(lb.LoadBalancerArn, lb.LoadBalancerName);
    } catch (error) {
      for (const arn of batch) fail(arn, error);
    }
  }
  await mapConcurrent(loadBalancerArns, CONCURRENCY, async (lbArn) => {
    try {
      const listeners = await allPages(async (Marker) => {
        const res = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn, Marker }));
        return { items: res.Listeners ?? [], next: res.NextMarker };
      });
      const withRules = await mapConcurrent(listeners, CONCURRENCY, async (listener) => ({
        listener,
        rules: await allPages(async (Marker) => {
          const res = await elbv2.send(
            new DescribeRulesCommand({ ListenerArn: listener.ListenerArn, Marker }),
          );
          return { items: res.Rules ?? [], next: res.NextMarker };
        }),
      }));
      rulesByLoadBalancer.set(lbArn, withRules);
    } catch (error) {
      fail(lbArn, error);
    }
  });

  const targetGroups = await mapConcurrent(
    groups,
    CONCURRENCY,
    async (g): Promise<TargetGroupRecord | undefined> => {
      const arn = g.TargetGroupArn;
      if (!arn || !g.TargetGroupName) return undefined;
      let attributes: { key: string; value: string }[] = [];
      try {
        const res = await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
        attributes = (res.Attributes ?? [])
          .flatMap((a) => (a.Key ? [{ key: a.Key, value: a.Value ?? '' }] : []))
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      } catch (error) {
        fail(arn, error);
        return undefined;
      }
      const rules: ListenerRuleRecord[] = [];
      for (const lbArn of g.LoadBalancerArns ?? []) {
        for (const { listener, rules: listenerRules } of rulesByLoadBalancer.get(lbArn) ?? []) {
          for (const rule of listenerRules) {
            if (!rule.RuleArn || !(rule.Actions ?? []).some((a) => forwardsTo(a, arn))) continue;
            const priority =
              rule.IsDefault || rule.Priority === 'default' ? 'default' : Number(rule.Priority);
            if (priority !== 'default' && !Number.isInteger(priority)) continue;
            rules.push({
              ruleArn: rule.RuleArn,
              priority,
              conditions: (rule.Conditions ?? []).map(creatableCondition),
              listenerArn: listener.ListenerArn ?? '',
              ...(listener.Port !== undefined ? { listenerPort: listener.Port } : {}),
              ...(listener.Protocol ? { listenerProtocol: listener.Protocol } : {}),
              loadBalancerArn: lbArn,
              loadBalancerName: names.get(lbArn) ?? lbArn.split('/')[2] ?? lbArn,
            });
          }
        }
      }
      return {
        targetGroupArn: arn,
        targetGroupName: g.TargetGroupName,
        ...(g.Protocol ? { protocol: g.Protocol } : {}),
        ...(g.ProtocolVersion ? { protocolVersion: g.ProtocolVersion } : {}),
        ...(g.Port !== undefined ? { port: g.Port } : {}),
        ...(g.TargetType ? { targetType: g.TargetType } : {}),
        ...(g.IpAddressType ? { ipAddressType: g.IpAddressType } : {}),
        ...(g.VpcId ? { vpcId: g.VpcId } : {}),
        healthCheck: healthCheckOf(g),
        attributes,
        tags: tags.get(arn) ?? [],
        loadBalancerArns: [...(g.LoadBalancerArns ?? [])].sort(),
        rules: rules.sort((a, b) => (a.ruleArn < b.ruleArn ? -1 : a.ruleArn > b.ruleArn ? 1 : 0)),
      };
    },
  );
  return {
    targetGroups: targetGroups
      .flatMap((g) => (g ? [g] : []))
      .sort((a, b) => (a.targetGroupArn < b.targetGroupArn ? -1 : 1)),
    failures,
  };
}

/** The health check settings of a target group as CreateTargetGroup takes them. */
function healthCheckOf(g: TargetGroup): Record<string, unknown> {
  const fields = {
    HealthCheckProtocol: g.HealthCheckProtocol,
    HealthCheckPort: g.HealthCheckPort,
    HealthCheckEnabled: g.HealthCheckEnabled,
    HealthCheckPath: g.HealthCheckPath,
    HealthCheckIntervalSeconds: g.HealthCheckIntervalSeconds,
    HealthCheckTimeoutSeconds: g.HealthCheckTimeoutSeconds,
    HealthyThresholdCount: g.HealthyThresholdCount,
    UnhealthyThresholdCount: g.UnhealthyThresholdCount,
    Matcher: g.Matcher,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
}

/**
 * The DR region's load balancing as the restore planner reads it: every target group (with the
 * `lifeboat:source-id` tag of those a restore created or an operator tagged), every load balancer
 * and its listeners. DescribeTargetGroups and DescribeLoadBalancers pages, one DescribeTags per 20
 * ARNs, one DescribeListeners per load balancer.
 */
export async function readDrLoadBalancing(elbv2: ElasticLoadBalancingV2Client): Promise<{
  targetGroups: DrTargetGroup[];
  loadBalancers: DrLoadBalancer[];
  listeners: DrListener[];
}> {
  const groups = await allPages(async (Marker) => {
    const res = await elbv2.send(new DescribeTargetGroupsCommand({ Marker }));
    return { items: res.TargetGroups ?? [], next: res.NextMarker };
  });
  const balancers = await allPages(async (Marker) => {
    const res = await elbv2.send(new DescribeLoadBalancersCommand({ Marker }));
    return { items: res.LoadBalancers ?? [], next: res.NextMarker };
  });
  const tags = new Map<string, Tag[]>();
  const arns = [...groups.map((g) => g.TargetGroupArn), ...balancers.map((b) => b.LoadBalancerArn)].flatMap(
    (a) => a ?? [],
  );
  for (const batch of chunk(arns, ELB_ARNS_PER_CALL)) {
    const res = await elbv2.send(new DescribeTagsCommand({ ResourceArns: batch }));
    for (const d of res.TagDescriptions ?? []) if (d.ResourceArn) tags.set(d.ResourceArn, tagsOf(d.Tags));
  }
  const sourceOf = (arn: string) => tags.get(arn)?.find((t) => t.key === SOURCE_ID_TAG)?.value;
  const listeners = (
    await mapConcurrent(balancers, CONCURRENCY, (lb: LoadBalancer) =>
      allPages(async (Marker) => {
        const res = await elbv2.send(
          new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn, Marker }),
        );
        return { items: res.Listeners ?? [], next: res.NextMarker };
      }),
    )
  ).flat();
  return {
    targetGroups: groups.flatMap((g) => {
      if (!g.TargetGroupArn || !g.TargetGroupName) return [];
      const source = sourceOf(g.TargetGroupArn);
      return [
        {
          targetGroupArn: g.TargetGroupArn,
          targetGroupName: g.TargetGroupName,
          ...(g.VpcId ? { vpcId: g.VpcId } : {}),
          ...(source ? { sourceTargetGroupArn: source } : {}),
        },
      ];
    }),
    loadBalancers: balancers.flatMap((b) => {
      if (!b.LoadBalancerArn || !b.LoadBalancerName) return [];
      const source = sourceOf(b.LoadBalancerArn);
      return [
        {
          loadBalancerArn: b.LoadBalancerArn,
          loadBalancerName: b.LoadBalancerName,
          ...(b.VpcId ? { vpcId: b.VpcId } : {}),
          ...(source ? { sourceLoadBalancerArn: source } : {}),
        },
      ];
    }),
    listeners: listeners.flatMap((l) =>
      l.ListenerArn && l.LoadBalancerArn
        ? [
            {
              listenerArn: l.ListenerArn,
              loadBalancerArn: l.LoadBalancerArn,
              ...(l.Port !== undefined ? { port: l.Port } : {}),
              ...(l.Protocol ? { protocol: l.Protocol } : {}),
            },
          ]
        : [],
    ),
  };
}

/**
 * CreateTargetGroup; AWS answers a repeated create with the same settings with the existing group,
 * other implementations (the emulator) refuse it as a duplicate name: the group of that name is
 * then the one made by the earlier attempt.
 */
async function createOrFindTargetGroup(
  elbv2: ElasticLoadBalancingV2Client,
  input: CreateTargetGroupCommandInput & { Name: string },
): Promise<string | undefined> {
  try {
    const created = await elbv2.send(new CreateTargetGroupCommand(input));
    return created.TargetGroups?.[0]?.TargetGroupArn;
  } catch (error) {
    if (!/^DuplicateTargetGroupName(Exception)?$/.test(awsErrorCode(error))) throw error;
    const found = await elbv2.send(new DescribeTargetGroupsCommand({ Names: [input.Name] }));
    return found.TargetGroups?.[0]?.TargetGroupArn;
  }
}

/**
 * Creates (or finds, on a re-run: CreateTargetGroup with the same settings returns the existing
 * group, and a group tagged with the same `lifeboat:source-id` is taken as it is) the target
 * group, sets its attributes and adds each listener rule that does not already forward to it.
 * Returns the DR target group ARN.
 */
export async function ensureTargetGroup(
  elbv2: ElasticLoadBalancingV2Client,
  creation: TargetGroupCreationPlan,
): Promise<string> {
  const tags = creation.tags.map((t) => ({ Key: t.key, Value: t.value }));
  const input: CreateTargetGroupCommandInput & { Name: string } = {
    ...creation.healthCheck,
    Name: creation.targetGroupName,
    VpcId: creation.vpcId,
    ...(creation.protocol
      ? { Protocol: creation.protocol as CreateTargetGroupCommandInput['Protocol'] }
      : {}),
    ...(creation.protocolVersion ? { ProtocolVersion: creation.protocolVersion } : {}),
    ...(creation.port !== undefined ? { Port: creation.port } : {}),
    ...(creation.targetType
      ? { TargetType: creation.targetType as CreateTargetGroupCommandInput['TargetType'] }
      : {}),
    ...(creation.ipAddressType
      ? { IpAddressType: creation.ipAddressType as CreateTargetGroupCommandInput['IpAddressType'] }
      : {}),
    Tags: tags,
  };
  const arn = await createOrFindTargetGroup(elbv2, input);
  if (!arn) throw new TargetGroupNotCreatedError(creation.sourceTargetGroupArn, creation.targetGroupName);
  // CreateTargetGroup returns an existing group of the same name without tagging it again.
  await elbv2.send(new AddTagsCommand({ ResourceArns: [arn], Tags: tags }));
  if (creation.attributes.length > 0) {
    await elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: arn,
        Attributes: creation.attributes.map((a) => ({ Key: a.key, Value: a.value })),
      }),
    );
  }
  for (const rule of creation.rules) {
    const existing = await allPages(async (Marker) => {
      const res = await elbv2.send(new DescribeRulesCommand({ ListenerArn: rule.listenerArn, Marker }));
      return { items: res.Rules ?? [], next: res.NextMarker };
    });
    if (existing.some((r) => (r.Actions ?? []).some((a) => forwardsTo(a, arn)))) continue;
    const input: CreateRuleCommandInput = {
      ListenerArn: rule.listenerArn,
      Priority: rule.priority,
      Conditions: rule.conditions as RuleCondition[],
      Actions: [{ Type: 'forward', TargetGroupArn: arn }],
      Tags: tags,
    };
    await elbv2.send(new CreateRuleCommand(input));
  }
  return arn;
}

/** How many targets of a target group are registered, and how many of them are healthy. */
export interface TargetHealthCount {
  readonly registered: number;
  readonly healthy: number;
}

/** DescribeTargetHealth of each target group (one call each). */
export async function targetHealth(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArns: readonly string[],
): Promise<Map<string, TargetHealthCount>> {
  const counts = new Map<string, TargetHealthCount>();
  await mapConcurrent([...new Set(targetGroupArns)], CONCURRENCY, async (arn) => {
    const res = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    const targets = res.TargetHealthDescriptions ?? [];
    counts.set(arn, {
      registered: targets.length,
      healthy: targets.filter((t) => t.TargetHealth?.State === 'healthy').length,
    });
  });
  return counts;
}

/**
 * For an emulator only, whose ECS registers no task with its target groups: registers `count`
 * stand-in IP targets (10.255.0.1…) in the group, as ECS would register the running tasks, so a
 * restore waits for target health as it does in AWS. Never called against AWS.
 */
export async function registerEmulatorTargets(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  count: number,
  port: number | undefined,
): Promise<void> {
  if (count <= 0) return;
  const targets = Array.from({ length: count }, (_, i) => ({
    Id: `10.255.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1}`,
    ...(port !== undefined ? { Port: port } : {}),
  }));
  await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: targets }));
}
