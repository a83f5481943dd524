import type { AwsClients } from '../../src/aws/clients';
import { catalogBucketName } from '../../src/catalog/names';
import type { LifeboatConfigInput } from '../../src/config/schema';
import { type DemoFleet, seedDemoFleet } from '../../src/demo/seed';
import { ensureTestCatalog } from './catalog';
import { ACCOUNT, DR, PRIMARY } from './manifest-builder';

/**
 * The setup integration tests share around the demo fleet: the account and regions (the same
 * ones the manifest fixtures use), the catalog bucket, the minimal configuration, and seeding.
 */
export { ACCOUNT, DR, PRIMARY };

/** The catalog bucket in the DR region, named as the stacks and the CLI name it. */
export const BUCKET = catalogBucketName(ACCOUNT, DR);

/** The primary region's ECR registry. */
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${PRIMARY}.amazonaws.com`;

/** The smallest configuration: account and regions, everything else defaulted. */
export const CONFIG_INPUT: LifeboatConfigInput = { account: ACCOUNT, primaryRegion: PRIMARY, drRegion: DR };

/** Seeds the demo fleet in PRIMARY (and its DR network in DR). */
export function seedFleet(clients: AwsClients): Promise<DemoFleet> {
  return seedDemoFleet(clients, { primaryRegion: PRIMARY, drRegion: DR });
}

/** Seeds the demo fleet and creates the catalog bucket a backup writes to. */
export async function seedFleetWithCatalog(clients: AwsClients): Promise<DemoFleet> {
  const fleet = await seedFleet(clients);
  await ensureTestCatalog(clients, DR, BUCKET);
  return fleet;
}
