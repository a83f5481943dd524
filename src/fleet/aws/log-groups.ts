import {
  type CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  type LogGroup,
} from '@aws-sdk/client-cloudwatch-logs';
import { awsErrorCode, awsErrorMessage } from '../../aws/errors';
import type { LogGroupRecord, Tag } from '../../catalog/manifest';
import { chunk, mapConcurrent } from '../../kernel/concurrency';

/** Names per DescribeLogGroups `logGroupIdentifiers` (the API takes at most 50). */
export const LOG_GROUP_IDENTIFIERS_MAX = 50;

export interface LogGroupFailure {
  /** The log group name. */
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export interface LogGroupCapture {
  /** Sorted by name; the groups that do not exist are not in it. */
  readonly logGroups: LogGroupRecord[];
  readonly failures: LogGroupFailure[];
}

/**
 * Describes the named log groups with their retention, KMS key and tags: one DescribeLogGroups
 * per 50 names (`logGroupIdentifiers`, plus pages), then one ListTagsForResource per group found.
 * Only exact names are kept (an emulator that ignores the identifiers answers with every group).
 * A name that does not exist is left out, not a failure: awslogs-create-group creates it at
 * task start. A failed call is reported for each group it covered; the others are still read.
 */
export async function describeLogGroups(
  logs: CloudWatchLogsClient,
  names: readonly string[],
  concurrency: number,
): Promise<LogGroupCapture> {
  const failures: LogGroupFailure[] = [];
  const found = new Map<string, LogGroup>();
  for (const batch of chunk([...new Set(names)].sort(), LOG_GROUP_IDENTIFIERS_MAX)) {
    const wanted = new Set(batch);
    try {
      let nextToken: string | undefined;
      do {
        const res = await logs.send(new DescribeLogGroupsCommand({ logGroupIdentifiers: batch, nextToken }));
        for (const group of res.logGroups ?? []) {
          if (group.logGroupName && wanted.has(group.logGroupName)) found.set(group.logGroupName, group);
        }
        nextToken = res.nextToken;
      } while (nextToken);
    } catch (error) {
      for (const name of batch) failures.push(failure(name, 'describe', error));
    }
  }
  const records: LogGroupRecord[] = [];
  await mapConcurrent([...found.values()], concurrency, async (group) => {
    const name = group.logGroupName as string;
    const arn = group.logGroupArn ?? group.arn?.replace(/:\*$/, '');
    let tags: Tag[] = [];
    if (arn) {
      try {
        const res = await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
        tags = Object.entries(res.tags ?? {})
          .map(([key, value]) => ({ key, value }))
          .sort((a, b) => compare(a.key, b.key));
      } catch (error) {
        failures.push(failure(name, 'list the tags of', error));
        return;
      }
    }
    records.push({
      logGroupName: name,
      ...(typeof group.retentionInDays === 'number' ? { retentionInDays: group.retentionInDays } : {}),
      ...(group.kmsKeyId ? { kmsKeyId: group.kmsKeyId } : {}),
      tags,
    });
  });
  return { logGroups: records.sort((a, b) => compare(a.logGroupName, b.logGroupName)), failures };
}

function failure(name: string, what: string, error: unknown): LogGroupFailure {
  return {
    resourceId: name,
    code: awsErrorCode(error),
    message: `Could not ${what} log group ${name}: ${awsErrorMessage(error)}; the restore creates it without its retention, KMS key and tags.`,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
