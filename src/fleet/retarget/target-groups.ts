import type { Tag, TargetGroupRecord } from '../../catalog/manifest';
import type { LifeboatConfig } from '../../config/schema';
import { parseArn } from '../../kernel/arns';
import { compareText, type Finding } from '../../kernel/findings';
import type { DrInventory, DrLoadBalancer, DrTargetGroup, Provenance } from '../inventory';
import { SOURCE_ID_TAG } from '../inventory';
import { provenanceTags } from './provenance';
import { isRecord, lookup, replacePending } from './refs';

type FindingInput = Omit<Finding, 'service'>;

export type TargetGroupResolution =
  | { drId: string; finding?: FindingInput }
  | { drId?: undefined; finding: FindingInput };

/** The target group ARNs a CreateService input's `loadBalancers` name (Classic Load Balancers have none). */
export function targetGroupArnsOf(createInput: Readonly<Record<string, unknown>>): string[] {
  const lbs = createInput.loadBalancers;
  if (!Array.isArray(lbs)) return [];
  return lbs.flatMap((lb) => {
    const arn = isRecord(lb) ? lb.targetGroupArn : undefined;
    return typeof arn === 'string' ? [arn] : [];
  });
}

/** The name in a target group ARN (`…:targetgroup/<name>/<id>`), or the text itself. */
export function targetGroupNameOf(arnOrName: string): string {
  const arn = parseArn(arnOrName);
  return arn ? (arn.resource.split('/')[1] ?? arnOrName) : arnOrName;
}

/** The name in a load balancer ARN (`…:loadbalancer/app/<name>/<id>`), or the text itself. */
function loadBalancerNameOf(arnOrName: string): string {
  const arn = parseArn(arnOrName);
  return arn ? (arn.resource.split('/')[2] ?? arnOrName) : arnOrName;
}

/**
 * Maps a primary target group (ARN) to its DR counterpart: the explicit mapping
 * (`mappings.targetGroups`, by ARN or name, to a DR ARN or name), else the DR group tagged
 * `lifeboat:source-id=<primary ARN>` (what a restore created for it, or what an operator
 * tagged), else the DR group of the same name. A mapping to nothing is an error, not a fallback.
 */
export function resolveTargetGroup(
  source: string,
  drGroups: readonly DrTargetGroup[],
  mapping: Readonly<Record<string, string>>,
  drRegion: string,
): TargetGroupResolution {
  const find = (arnOrName: string): DrTargetGroup | undefined =>
    arnOrName.startsWith('arn:')
      ? drGroups.find((g) => g.targetGroupArn === arnOrName)
      : drGroups.find((g) => g.targetGroupName === arnOrName);
  const name = targetGroupNameOf(source);
  const explicit = lookup(mapping, source) ?? lookup(mapping, name);
  if (explicit !== undefined) {
    const found = find(explicit);
    if (found) return { drId: found.targetGroupArn };
    return {
      finding: {
        severity: 'error',
        code: 'TARGET_GROUP_MAPPING_INVALID',
        resource: source,
        message: `mappings.targetGroups maps ${source} to ${explicit}, which does not exist in ${drRegion}.`,
        fix: `Set mappings.targetGroups["${source}"] to the ARN of an existing target group in ${drRegion}.`,
      },
    };
  }
  const tagged = drGroups.filter((g) => g.sourceTargetGroupArn === source).map((g) => g.targetGroupArn);
  const [onlyTagged] = tagged;
  if (tagged.length === 1 && onlyTagged) return { drId: onlyTagged };
  if (tagged.length > 1) {
    return {
      finding: {
        severity: 'error',
        code: 'TARGET_GROUP_AMBIGUOUS',
        resource: source,
        message: `${tagged.length} target groups in ${drRegion} are tagged ${SOURCE_ID_TAG}=${source} (${tagged.sort(compareText).join(', ')}).`,
        fix: `Remove the tag from all but one of them, or add mappings.targetGroups["${source}"] = "<DR target group ARN>" to the Lifeboat config.`,
      },
    };
  }
  const found = drGroups.find((g) => g.targetGroupArn === source) ?? find(name);
  if (found) {
    return found.targetGroupArn === source
      ? { drId: found.targetGroupArn }
      : {
          drId: found.targetGroupArn,
          finding: {
            severity: 'info',
            code: 'TARGET_GROUP_MATCHED_BY_NAME',
            resource: source,
            message: `Target group ${source} is mapped to ${found.targetGroupArn} in ${drRegion} by its name "${name}".`,
            fix: `If that is wrong, add mappings.targetGroups["${source}"] = "<DR target group ARN>" to the Lifeboat config.`,
          },
        };
  }
  return {
    finding: {
      severity: 'error',
      code: 'TARGET_GROUP_NOT_MAPPED',
      resource: source,
      message: `Target group ${source} has no counterpart in ${drRegion}: no mapping, no target group tagged ${SOURCE_ID_TAG}=${source} and none named "${name}".`,
      fix: `Create target group "${name}" (behind its load balancer) in ${drRegion} and tag it ${SOURCE_ID_TAG}=${source}, add mappings.targetGroups["${source}"] = "<DR target group ARN>" to the Lifeboat config, or set restore.createTargetGroups to true to have the restore create it behind the DR load balancer.`,
    },
  };
}

/** A target group the restore creates in the DR region (`restore.createTargetGroups`). */
export interface TargetGroupCreationPlan {
  readonly sourceTargetGroupArn: string;
  readonly targetGroupName: string;
  /** The DR load balancers it goes behind (their VPC is its VPC). */
  readonly loadBalancerArns: string[];
  readonly vpcId: string;
  readonly protocol?: string;
  readonly protocolVersion?: string;
  readonly port?: number;
  readonly targetType?: string;
  readonly ipAddressType?: string;
  /** CreateTargetGroup's health check fields, as captured. */
  readonly healthCheck: Record<string, unknown>;
  readonly attributes: { key: string; value: string }[];
  /** `lifeboat:source-id=<primary ARN>` (a re-run finds it), the source tags, then provenance. */
  readonly tags: Tag[];
  /** The captured listener rules, on the DR listener of the same port and protocol. */
  readonly rules: { listenerArn: string; priority: number; conditions: Record<string, unknown>[] }[];
  /** Keys of the services that register with it. */
  readonly services: string[];
}

/** What planning a target group creation needs. */
export interface TargetGroupCreationContext {
  readonly drRegion: string;
  readonly mappings: Pick<LifeboatConfig['mappings'], 'loadBalancers'>;
  readonly inventory: Pick<DrInventory, 'loadBalancers' | 'listeners'>;
  readonly provenance: Provenance;
}

function resolveLoadBalancer(
  sourceArn: string,
  sourceName: string,
  ctx: TargetGroupCreationContext,
): DrLoadBalancer | undefined {
  const all = ctx.inventory.loadBalancers;
  const explicit =
    lookup(ctx.mappings.loadBalancers, sourceArn) ?? lookup(ctx.mappings.loadBalancers, sourceName);
  if (explicit !== undefined) {
    return all.find((lb) => lb.loadBalancerArn === explicit || lb.loadBalancerName === explicit);
  }
  const tagged = all.filter((lb) => lb.sourceLoadBalancerArn === sourceArn);
  if (tagged.length === 1) return tagged[0];
  return all.find((lb) => lb.loadBalancerName === sourceName);
}

/**
 * Plans the creation of a captured target group behind the DR counterparts of its load
 * balancers (mapped by `mappings.loadBalancers`, the `lifeboat:source-id` tag, or the same name),
 * each captured listener rule on the DR listener of the same port and protocol. A missing load
 * balancer or listener is an error finding with the fix; a listener default action that forwards
 * to the group is a warning: the restore does not change a DR listener's default action.
 */
export function planTargetGroupCreation(
  record: TargetGroupRecord,
  ctx: TargetGroupCreationContext,
): { creation?: Omit<TargetGroupCreationPlan, 'services'>; findings: FindingInput[] } {
  const findings: FindingInput[] = [];
  const source = record.targetGroupArn;
  const balancers = new Map<string, DrLoadBalancer>();
  const names = new Map(record.rules.map((r) => [r.loadBalancerArn, r.loadBalancerName]));
  for (const lbArn of record.loadBalancerArns) {
    const name = names.get(lbArn) ?? loadBalancerNameOf(lbArn);
    const dr = resolveLoadBalancer(lbArn, name, ctx);
    if (dr) {
      balancers.set(lbArn, dr);
      continue;
    }
    findings.push({
      severity: 'error',
      code: 'LOAD_BALANCER_NOT_MAPPED',
      resource: lbArn,
      message: `Target group ${record.targetGroupName} cannot be created in ${ctx.drRegion}: its load balancer "${name}" has no counterpart there (no mapping, no load balancer tagged ${SOURCE_ID_TAG}=${lbArn} and none named "${name}").`,
      fix: `Create load balancer "${name}" in ${ctx.drRegion}, or add mappings.loadBalancers["${lbArn}"] = "<DR load balancer ARN>" to the Lifeboat config.`,
    });
  }
  if (record.loadBalancerArns.length === 0) {
    findings.push({
      severity: 'error',
      code: 'TARGET_GROUP_WITHOUT_LOAD_BALANCER',
      resource: source,
      message: `Target group ${record.targetGroupName} is behind no load balancer in the primary region, so the restore does not know where to create it in ${ctx.drRegion}.`,
      fix: `Create it in ${ctx.drRegion} and add mappings.targetGroups["${source}"] = "<DR target group ARN>" to the Lifeboat config.`,
    });
  }
  const vpcs = [...new Set([...balancers.values()].flatMap((lb) => (lb.vpcId ? [lb.vpcId] : [])))].sort(
    compareText,
  );
  if (vpcs.length > 1) {
    findings.push({
      severity: 'error',
      code: 'NETWORK_VPC_MISMATCH',
      resource: source,
      message: `The DR load balancers of target group ${record.targetGroupName} are in different VPCs (${vpcs.join(', ')}); a target group has one.`,
      fix: 'Map the load balancers to ones of one DR VPC (mappings.loadBalancers).',
    });
  }
  const rules: TargetGroupCreationPlan['rules'] = [];
  for (const rule of record.rules) {
    const lb = balancers.get(rule.loadBalancerArn);
    if (!lb) continue;
    const listener = ctx.inventory.listeners.find(
      (l) =>
        l.loadBalancerArn === lb.loadBalancerArn &&
        l.port === rule.listenerPort &&
        (rule.listenerProtocol === undefined || l.protocol === rule.listenerProtocol),
    );
    const where = `${rule.listenerProtocol ?? ''}:${rule.listenerPort ?? '?'}`;
    if (!listener) {
      findings.push({
        severity: 'error',
        code: 'LISTENER_NOT_FOUND',
        resource: rule.listenerArn,
        message: `Load balancer ${lb.loadBalancerName} in ${ctx.drRegion} has no ${where} listener for the rule forwarding to target group ${record.targetGroupName}.`,
        fix: `Add a ${where} listener to ${lb.loadBalancerName} in ${ctx.drRegion} (its landing zone), then plan again.`,
      });
      continue;
    }
    if (rule.priority === 'default') {
      findings.push({
        severity: 'warning',
        code: 'LISTENER_DEFAULT_ACTION_NOT_CHANGED',
        resource: listener.listenerArn,
        message: `In the primary region the default action of the ${where} listener of ${rule.loadBalancerName} forwards to ${record.targetGroupName}; the restore creates the target group but does not change the default action of ${lb.loadBalancerName}'s listener in ${ctx.drRegion}.`,
        fix: `After the restore, point the listener's default action at the new group: aws elbv2 modify-listener --region ${ctx.drRegion} --listener-arn ${listener.listenerArn} --default-actions Type=forward,TargetGroupArn=<the restored ${record.targetGroupName} ARN>.`,
      });
      continue;
    }
    rules.push({ listenerArn: listener.listenerArn, priority: rule.priority, conditions: rule.conditions });
  }
  const [vpcId] = vpcs;
  if (findings.some((f) => f.severity === 'error') || !vpcId) {
    return { findings };
  }
  const sourceTags = record.tags.filter((t) => t.key !== SOURCE_ID_TAG && !t.key.startsWith('aws:'));
  const tagged = provenanceTags(
    [{ key: SOURCE_ID_TAG, value: source }, ...sourceTags],
    ctx.provenance,
    source,
    `Target group ${record.targetGroupName}`,
  );
  if (tagged.finding) findings.push(tagged.finding);
  findings.push({
    severity: 'info',
    code: 'TARGET_GROUP_CREATED',
    resource: source,
    message: `Target group ${record.targetGroupName} is created in ${ctx.drRegion} behind ${[
      ...balancers.values(),
    ]
      .map((lb) => lb.loadBalancerName)
      .sort(compareText)
      .join(
        ', ',
      )} (${vpcId}) with its captured settings${rules.length > 0 ? ` and ${rules.length} listener rule(s)` : ''} (restore.createTargetGroups).`,
    fix: 'Nothing to do; to use a target group of your own instead, add mappings.targetGroups.',
  });
  return {
    creation: {
      sourceTargetGroupArn: source,
      targetGroupName: record.targetGroupName,
      loadBalancerArns: [...balancers.values()].map((lb) => lb.loadBalancerArn).sort(compareText),
      vpcId,
      ...(record.protocol ? { protocol: record.protocol } : {}),
      ...(record.protocolVersion ? { protocolVersion: record.protocolVersion } : {}),
      ...(record.port !== undefined ? { port: record.port } : {}),
      ...(record.targetType ? { targetType: record.targetType } : {}),
      ...(record.ipAddressType ? { ipAddressType: record.ipAddressType } : {}),
      healthCheck: record.healthCheck,
      attributes: record.attributes,
      tags: tagged.tags,
      rules,
    },
    findings,
  };
}

/**
 * `input` with each pending primary target group ARN of its `loadBalancers` replaced by the DR
 * target group created for it (`created`: primary ARN → DR ARN). Returns the ARNs it had no DR
 * group for, which the caller reports; `input` is not modified.
 */
export function applyTargetGroupArns<T extends Record<string, unknown>>(
  input: T,
  pending: readonly string[],
  created: Readonly<Record<string, string>>,
): { input: T; missing: string[] } {
  return replacePending(input, 'loadBalancers', 'targetGroupArn', pending, created);
}
