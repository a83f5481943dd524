import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import { mapConcurrent } from '../../kernel/concurrency';
import type { RolePoliciesRead, RolePolicyDocument } from '../role-policy-lint';

/** Roles read at once (IAM's control plane throttles early). */
const ROLE_CONCURRENCY = 4;

/**
 * Reads the policies of the roles (IAM is global): per role ListRolePolicies and GetRolePolicy
 * per inline policy, ListAttachedRolePolicies and, per customer managed policy (once for all the
 * roles), GetPolicy and GetPolicyVersion of its default version. AWS managed policies
 * (`arn:aws:iam::aws:policy/…`) are not read: they name no resource of the account. A role that
 * cannot be read (AccessDenied, NoSuchEntity) is listed in `unread`, never thrown.
 */
export async function readRolePolicies(
  iam: IAMClient,
  roleArns: readonly string[],
): Promise<RolePoliciesRead> {
  const policies: RolePolicyDocument[] = [];
  const unread: { roleArn: string; code: string; message: string }[] = [];
  const managed = new Map<string, Promise<unknown>>();
  await mapConcurrent([...new Set(roleArns)].sort(), ROLE_CONCURRENCY, async (roleArn) => {
    const RoleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    try {
      const found: RolePolicyDocument[] = [];
      let marker: string | undefined;
      do {
        const res = await iam.send(new ListRolePoliciesCommand({ RoleName, Marker: marker }));
        for (const PolicyName of res.PolicyNames ?? []) {
          const policy = await iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }));
          found.push({
            roleArn,
            policyName: PolicyName,
            kind: 'inline',
            document: parseDocument(policy.PolicyDocument),
          });
        }
        marker = res.IsTruncated ? res.Marker : undefined;
      } while (marker);
      do {
        const res = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName, Marker: marker }));
        for (const attached of res.AttachedPolicies ?? []) {
          const arn = attached.PolicyArn;
          if (!arn || /^arn:aws[\w-]*:iam::aws:policy\//.test(arn)) continue;
          let document = managed.get(arn);
          if (!document) {
            document = managedDocument(iam, arn);
            managed.set(arn, document);
          }
          found.push({ roleArn, policyName: arn, kind: 'managed', document: await document });
        }
        marker = res.IsTruncated ? res.Marker : undefined;
      } while (marker);
      policies.push(...found);
    } catch (error) {
      unread.push({ roleArn, code: awsErrorCode(error), message: awsErrorMessage(error) });
    }
  });
  return { policies, unread: unread.sort((a, b) => (a.roleArn < b.roleArn ? -1 : 1)) };
}

async function managedDocument(iam: IAMClient, PolicyArn: string): Promise<unknown> {
  const policy = await iam.send(new GetPolicyCommand({ PolicyArn }));
  const VersionId = policy.Policy?.DefaultVersionId;
  if (!VersionId) return {};
  const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId }));
  return parseDocument(version.PolicyVersion?.Document);
}

/** IAM returns policy documents URL-encoded (RFC 3986); an emulator may not. Unparseable: `{}`. */
function parseDocument(text: string | undefined): unknown {
  if (!text) return {};
  for (const candidate of [text, safeDecode(text)]) {
    try {
      return JSON.parse(candidate);
    } catch {
      // next candidate
    }
  }
  return {};
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
