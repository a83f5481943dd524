import { CreateFileSystemCommand } from '@aws-sdk/client-efs';
import type { AwsClients } from '../../src/aws/clients';
import { catalogBucketName } from '../../src/catalog/names';
import { ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { type LifeboatConfig, type LifeboatConfigInput, parseConfig } from '../../src/config/schema';
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

/** The demo fleet as restore tests start from it. */
export interface RestoreFixture {
  readonly fleet: DemoFleet;
  /** The local report topic the restore publishes to. */
  readonly topicArn: string;
  /** The minimal configuration with the fleet's EFS file system mapped, and `extra` on top. */
  readonly config: (extra?: Partial<LifeboatConfigInput>) => LifeboatConfig;
}

/**
 * Seeds the demo fleet and its catalog, the report topic, and a DR file system (`token`) that the
 * configuration maps the fleet's EFS file system to: the emulator has no EFS replication.
 */
export async function seedFleetForRestore(clients: AwsClients, token: string): Promise<RestoreFixture> {
  const fleet = await seedFleetWithCatalog(clients);
  const topicArn = await ensureLocalReportTopic(clients, DR);
  const drFs = await clients.efs(DR).send(new CreateFileSystemCommand({ CreationToken: token }));
  const efsFileSystems = { [fleet.efs.fileSystemId]: drFs.FileSystemId as string };
  return {
    fleet,
    topicArn,
    config: (extra = {}) =>
      parseConfig({ ...CONFIG_INPUT, ...extra, mappings: { efsFileSystems, ...(extra.mappings ?? {}) } }),
  };
}
