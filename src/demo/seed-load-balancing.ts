import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsErrorCode } from '../aws/errors';
import type { SeededNetwork } from './seed-network';
import { required, type SeedLedger } from './seed-support';

/** An Application Load Balancer with one HTTP listener and, optionally, one target group behind a path rule. */
export interface LoadBalancingSpec {
  readonly loadBalancerName: string;
  /** Security group (by name in the seeded network) of the load balancer. */
  readonly securityGroup: string;
  readonly listenerPort: number;
  readonly targetGroup: {
    readonly name: string;
    readonly port: number;
    readonly healthCheckPath: string;
    readonly rulePriority: number;
    readonly pathPattern: string;
  };
}

export interface SeededLoadBalancing {
  readonly loadBalancerArn: string;
  readonly listenerArn: string;
  /** Absent when the target group was not asked for (a DR landing zone without it). */
  readonly targetGroupArn?: string;
}

const DEMO_TAGS = [{ Key: 'lifeboat:demo', Value: 'true' }];

async function findLoadBalancer(
  elbv2: ElasticLoadBalancingV2Client,
  name: string,
): Promise<string | undefined> {
  try {
    const res = await elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] }));
    return res.LoadBalancers?.[0]?.LoadBalancerArn;
  } catch (error) {
    if (/^LoadBalancerNotFound(Exception)?$/.test(awsErrorCode(error))) return undefined;
    throw error;
  }
}

async function findTargetGroup(
  elbv2: ElasticLoadBalancingV2Client,
  name: string,
): Promise<string | undefined> {
  try {
    const res = await elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] }));
    return res.TargetGroups?.[0]?.TargetGroupArn;
  } catch (error) {
    if (/^TargetGroupNotFound(Exception)?$/.test(awsErrorCode(error))) return undefined;
    throw error;
  }
}

/**
 * Makes the load balancer, its listener (default action: a fixed 404) and, with `targetGroup`,
 * the IP target group and the listener rule forwarding `pathPattern` to it exist in the seeded
 * network, found by name on a re-run.
 */
export async function ensureLoadBalancing(
  elbv2: ElasticLoadBalancingV2Client,
  region: string,
  network: SeededNetwork,
  spec: LoadBalancingSpec,
  opts: { targetGroup: boolean },
  ledger: SeedLedger,
): Promise<SeededLoadBalancing> {
  const group = required(
    network.securityGroups.find((g) => g.name === spec.securityGroup),
    `security group ${spec.securityGroup}`,
    region,
  );
  let loadBalancerArn = await findLoadBalancer(elbv2, spec.loadBalancerName);
  if (!loadBalancerArn) {
    const res = await elbv2.send(
      new CreateLoadBalancerCommand({
        Name: spec.loadBalancerName,
        Type: 'application',
        Scheme: 'internal',
        Subnets: network.subnets.map((s) => s.subnetId),
        SecurityGroups: [group.groupId],
        Tags: DEMO_TAGS,
      }),
    );
    loadBalancerArn = required(res.LoadBalancers?.[0]?.LoadBalancerArn, 'load balancer ARN', region);
    ledger.created(`elbv2:loadbalancer:${region}:${spec.loadBalancerName}`);
  }
  const listeners = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }));
  let listenerArn = listeners.Listeners?.find((l) => l.Port === spec.listenerPort)?.ListenerArn;
  if (!listenerArn) {
    const res = await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: loadBalancerArn,
        Protocol: 'HTTP',
        Port: spec.listenerPort,
        DefaultActions: [
          { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain' } },
        ],
        Tags: DEMO_TAGS,
      }),
    );
    listenerArn = required(res.Listeners?.[0]?.ListenerArn, 'listener ARN', region);
    ledger.created(`elbv2:listener:${region}:${spec.loadBalancerName}:${spec.listenerPort}`);
  }
  if (!opts.targetGroup) return { loadBalancerArn, listenerArn };

  const tg = spec.targetGroup;
  let targetGroupArn = await findTargetGroup(elbv2, tg.name);
  if (!targetGroupArn) {
    const res = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: tg.name,
        Protocol: 'HTTP',
        Port: tg.port,
        TargetType: 'ip',
        VpcId: network.vpcId,
        HealthCheckPath: tg.healthCheckPath,
        HealthCheckIntervalSeconds: 15,
        HealthyThresholdCount: 3,
        Matcher: { HttpCode: '200-299' },
        Tags: [...DEMO_TAGS, { Key: 'team', Value: 'shop' }],
      }),
    );
    targetGroupArn = required(res.TargetGroups?.[0]?.TargetGroupArn, 'target group ARN', region);
    ledger.created(`elbv2:targetgroup:${region}:${tg.name}`);
  }
  const rules = await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }));
  const forwards = rules.Rules?.some((r) => r.Actions?.some((a) => a.TargetGroupArn === targetGroupArn));
  if (!forwards) {
    await elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: tg.rulePriority,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [tg.pathPattern] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
      }),
    );
    ledger.created(`elbv2:rule:${region}:${spec.loadBalancerName}:${tg.rulePriority}`);
  }
  return { loadBalancerArn, listenerArn, targetGroupArn };
}
