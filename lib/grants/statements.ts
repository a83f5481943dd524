import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The building blocks of the grants: where a grant puts its statements, the statement itself
 * and the conditions the grants share. Every statement carries a Sid naming its intent, and a
 * policy renders its statements in the order they were added.
 */

/** What a grant adds its statements to: a principal (its default policy) or a policy of its own. */
export type GrantTarget = iam.IGrantable | iam.Policy;

/** IAM condition block: operator → condition key → value(s). */
export type Conditions = Record<string, Record<string, unknown>>;

/** Adds `statements` to `target`, in their order. */
export function addStatements(target: GrantTarget, statements: readonly iam.PolicyStatement[]): void {
  if (target instanceof iam.Policy) {
    target.addStatements(...statements);
    return;
  }
  for (const statement of statements) target.grantPrincipal.addToPrincipalPolicy(statement);
}

/** An Allow statement named `sid` (no action wildcards: name every action). */
export function allow(
  sid: string,
  actions: readonly string[],
  resources: readonly string[],
  conditions?: Conditions,
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions: [...actions],
    resources: [...resources],
    ...(conditions ? { conditions } : {}),
  });
}

/** The request goes to one of `regions` (`aws:RequestedRegion`): for actions without resource-level permissions. */
export function inRegions(...regions: readonly string[]): Conditions {
  return { StringEquals: { 'aws:RequestedRegion': regions.length === 1 ? regions[0] : [...regions] } };
}

/** The resource is tagged `tag=value` (by default `true`) as it is created (`aws:RequestTag`). */
export function taggedOnCreate(tag: string, value = 'true'): Conditions {
  return { StringEquals: { [`aws:RequestTag/${tag}`]: value } };
}

/** The resource carries `tag=true` (`aws:ResourceTag`). */
export function taggedWith(tag: string): Conditions {
  return { StringEquals: { [`aws:ResourceTag/${tag}`]: 'true' } };
}

/** EC2 tags only as part of `action` (`ec2:CreateAction`), e.g. `CreateSnapshot`: never an existing resource. */
export function onlyOnCreate(action: string): Conditions {
  return { StringEquals: { 'ec2:CreateAction': action } };
}
