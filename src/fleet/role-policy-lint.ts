import { formatArn, parseArn } from '../kernel/arns';
import type { Finding } from '../kernel/findings';

/**
 * IAM region lint: IAM is global, so the restored tasks run with the very task and execution
 * roles of the primary region, and a policy whose Allow statements name a resource of the
 * primary region only (`arn:aws:secretsmanager:us-east-1:…`) will be denied on its DR
 * counterpart. Pure: the policies are read by `aws/role-policies.ts`.
 */

/** One policy document of a role, parsed from its JSON. */
export interface RolePolicyDocument {
  readonly roleArn: string;
  /** The inline policy's name, or the managed policy's ARN. */
  readonly policyName: string;
  readonly kind: 'inline' | 'managed';
  /** The policy document (parsed JSON). */
  readonly document: unknown;
}

/** What reading the roles' policies gave: the documents, and the roles that could not be read. */
export interface RolePoliciesRead {
  readonly policies: readonly RolePolicyDocument[];
  readonly unread: readonly { readonly roleArn: string; readonly code: string; readonly message: string }[];
}

export interface RoleLintContext {
  readonly primaryRegion: string;
  readonly drRegion: string;
}

interface AllowStatement {
  readonly actions: string[];
  readonly resources: string[];
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The Allow statements of a policy document with their actions and resources (NotResource ones are left out). */
export function allowStatements(document: unknown): AllowStatement[] {
  if (typeof document !== 'object' || document === null) return [];
  const raw = (document as { Statement?: unknown }).Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.flatMap((s): AllowStatement[] => {
    if (typeof s !== 'object' || s === null) return [];
    const statement = s as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    if (statement.Effect !== 'Allow') return [];
    return [{ actions: strings(statement.Action), resources: strings(statement.Resource) }];
  });
}

/** IAM's wildcard match of a Resource pattern (`*`, `?`) against an ARN. */
export function resourceMatches(pattern: string, arn: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(arn);
}

/** The DR counterpart of a resource ARN scoped to the primary region exactly; undefined for any other. */
export function drCounterpart(resource: string, ctx: RoleLintContext): string | undefined {
  const arn = parseArn(resource);
  if (arn === undefined || arn.region !== ctx.primaryRegion) return undefined;
  return formatArn({ ...arn, region: ctx.drRegion });
}

function roleName(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

/**
 * ROLE_POLICY_PRIMARY_ONLY (warning) for each Allow statement resource of a role that is scoped
 * to the primary region while no Allow statement of the same role covers its DR counterpart
 * (the ARN with the region rewritten); a wildcard region (`*`) or a region-less ARN (S3 buckets,
 * IAM) is fine. Roles that could not be read give one ROLE_POLICIES_NOT_CHECKED info. Sorted by
 * role, policy and resource; one finding per role, policy and resource.
 */
export function rolePolicyFindings(read: RolePoliciesRead, ctx: RoleLintContext): Finding[] {
  const byRole = new Map<string, RolePolicyDocument[]>();
  for (const policy of read.policies) {
    const list = byRole.get(policy.roleArn) ?? [];
    list.push(policy);
    byRole.set(policy.roleArn, list);
  }
  const findings: Finding[] = [];
  for (const [roleArn, policies] of [...byRole].sort(([a], [b]) => compare(a, b))) {
    const allowed = policies.flatMap((p) => allowStatements(p.document).flatMap((s) => s.resources));
    const seen = new Set<string>();
    for (const policy of [...policies].sort((a, b) => compare(a.policyName, b.policyName))) {
      for (const statement of allowStatements(policy.document)) {
        for (const resource of statement.resources) {
          const dr = drCounterpart(resource, ctx);
          if (dr === undefined || allowed.some((p) => resourceMatches(p, dr))) continue;
          const key = `${policy.policyName}\n${resource}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const actions =
            statement.actions.slice(0, 3).join(', ') + (statement.actions.length > 3 ? ', …' : '');
          const kind = policy.kind === 'inline' ? 'inline policy' : 'managed policy';
          findings.push({
            severity: 'warning',
            code: 'ROLE_POLICY_PRIMARY_ONLY',
            resource,
            message: `Role ${roleName(roleArn)} (${roleArn}) allows ${actions || 'its actions'} on ${resource} in ${ctx.primaryRegion} only (${kind} ${policy.policyName}); IAM is global, so the restored tasks in ${ctx.drRegion} run with this role and will be denied on ${dr}.`,
            fix: `Add ${dr} to the Resource of that statement in ${kind} ${policy.policyName} of role ${roleName(roleArn)} (or write the region as *), before the failover.`,
          });
        }
      }
    }
  }
  if (read.unread.length > 0) {
    const first = read.unread[0] as RolePoliciesRead['unread'][number];
    findings.push({
      severity: 'info',
      code: 'ROLE_POLICIES_NOT_CHECKED',
      resource: first.roleArn,
      message: `The policies of ${read.unread.length} role(s) (${read.unread.map((r) => roleName(r.roleArn)).join(', ')}) could not be read (${first.code}: ${first.message}); whether they allow the DR region's resources was not checked.`,
      fix: 'Grant the restore role iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy and iam:GetPolicyVersion on these roles and their policies, or check them by hand.',
    });
  }
  return findings;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The task and execution roles (`taskRoleArn`, `executionRoleArn`) of these task definitions as
 * role ARNs of `account` (a bare role name is one of its roles), distinct and sorted.
 */
export function taskDefinitionRoles(
  registerInputs: readonly Record<string, unknown>[],
  account: string,
  partition = 'aws',
): string[] {
  const roles = new Set<string>();
  for (const input of registerInputs) {
    for (const value of [input.taskRoleArn, input.executionRoleArn]) {
      if (typeof value !== 'string' || value === '') continue;
      roles.add(value.startsWith('arn:') ? value : `arn:${partition}:iam::${account}:role/${value}`);
    }
  }
  return [...roles].sort(compare);
}
