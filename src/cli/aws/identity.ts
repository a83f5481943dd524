import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from '../../aws/clients';

/** The account the credentials in use belong to (one STS call in `region`). */
export async function callerAccount(clients: AwsClients, region: string): Promise<string | undefined> {
  const identity = await clients.sts(region).send(new GetCallerIdentityCommand({}));
  return identity.Account;
}
