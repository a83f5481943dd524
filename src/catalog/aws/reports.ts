import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/**
 * Announces a report written to the catalog on the report topic: one Publish with `subject`
 * (cut below the 100 characters SNS allows) and `summary` as indented JSON.
 */
export async function publishReport(
  sns: SNSClient,
  topicArn: string,
  subject: string,
  summary: unknown,
): Promise<void> {
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: subject.slice(0, 99),
      Message: JSON.stringify(summary, null, 2),
    }),
  );
}
