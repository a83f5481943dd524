import {
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type Tag as Ec2Tag,
  type SecurityGroup,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import type { NetworkRecord, Tag } from '../../catalog/manifest';
import { chunk } from '../../kernel/concurrency';

/** Values per EC2 filter in one call (EC2 rejects longer filter value lists). */
export const EC2_FILTER_VALUES_MAX = 200;

export interface NetworkFailure {
  /** The subnet or security group id. */
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export interface NetworkCapture {
  readonly network: NetworkRecord;
  readonly failures: NetworkFailure[];
}

/**
 * Describes the given subnets and security groups: one DescribeSubnets and one
 * DescribeSecurityGroups call (per 200 ids, plus pages). Ids are matched with `subnet-id` /
 * `group-id` filters, so one missing id is reported on its own and the others are still
 * described; a failed call is reported for each id it covered.
 */
export async function describeNetwork(
  ec2: EC2Client,
  subnetIds: readonly string[],
  securityGroupIds: readonly string[],
): Promise<NetworkCapture> {
  const failures: NetworkFailure[] = [];
  const subnets = await describeAll<Subnet>(
    [...new Set(subnetIds)].sort(),
    async (ids, token) => {
      const res = await ec2.send(
        new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: ids }], NextToken: token }),
      );
      return { items: res.Subnets ?? [], next: res.NextToken };
    },
    (s) => s.SubnetId,
    'subnet',
    'InvalidSubnetID.NotFound',
    failures,
  );
  const groups = await describeAll<SecurityGroup>(
    [...new Set(securityGroupIds)].sort(),
    async (ids, token) => {
      const res = await ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: ids }], NextToken: token }),
      );
      return { items: res.SecurityGroups ?? [], next: res.NextToken };
    },
    (g) => g.GroupId,
    'security group',
    'InvalidGroup.NotFound',
    failures,
  );
  return {
    network: {
      subnets: subnets.map((s) => ({
        subnetId: s.SubnetId ?? '',
        ...(s.VpcId ? { vpcId: s.VpcId } : {}),
        ...(s.AvailabilityZone ? { availabilityZone: s.AvailabilityZone } : {}),
        ...(s.CidrBlock ? { cidrBlock: s.CidrBlock } : {}),
        tags: toTags(s.Tags),
      })),
      securityGroups: groups.map((g) => ({
        groupId: g.GroupId ?? '',
        ...(g.GroupName ? { groupName: g.GroupName } : {}),
        ...(g.VpcId ? { vpcId: g.VpcId } : {}),
        tags: toTags(g.Tags),
      })),
    },
    failures,
  };
}

async function describeAll<T>(
  ids: readonly string[],
  call: (ids: string[], token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
  idOf: (item: T) => string | undefined,
  kind: string,
  notFoundCode: string,
  failures: NetworkFailure[],
): Promise<T[]> {
  const found = new Map<string, T>();
  for (const batch of chunk(ids, EC2_FILTER_VALUES_MAX)) {
    try {
      let token: string | undefined;
      do {
        const page = await call(batch, token);
        for (const item of page.items) {
          const id = idOf(item);
          if (id) found.set(id, item);
        }
        token = page.next;
      } while (token);
    } catch (error) {
      for (const id of batch) {
        failures.push({
          resourceId: id,
          code: awsErrorCode(error),
          message: `Could not describe ${kind} ${id}: ${awsErrorMessage(error)}; the restore cannot map it by tag or name without this record.`,
        });
      }
      continue;
    }
    for (const id of batch) {
      if (found.has(id)) continue;
      failures.push({
        resourceId: id,
        code: notFoundCode,
        message: `The ${kind} ${id} that a captured service uses does not exist; update the service's network configuration, then run a backup.`,
      });
    }
  }
  return ids.flatMap((id) => {
    const item = found.get(id);
    return item ? [item] : [];
  });
}

function toTags(tags: readonly Ec2Tag[] | undefined): Tag[] {
  return (tags ?? [])
    .flatMap((t) => (t.Key ? [{ key: t.Key, value: t.Value ?? '' }] : []))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
