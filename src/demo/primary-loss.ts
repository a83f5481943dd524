import {
  DeleteServiceCommand,
  ListClustersCommand,
  ListServicesCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { AwsClients } from '../aws/clients';

export interface PrimaryLoss {
  /** "cluster/service" of every service scaled to 0 and deleted in the primary region. */
  readonly deletedServices: string[];
}

/**
 * Simulates losing the primary region on the emulator: every ECS service there is scaled to 0
 * and deleted, so only what the DR catalog holds can bring the fleet back. Real resources are
 * removed (the emulator keeps no snapshot): the demo's backup must run first. Clusters, task
 * definitions and images stay, as a region outage leaves them unreachable rather than gone; the
 * restore never reads the primary region.
 */
export async function simulatePrimaryRegionLoss(
  clients: AwsClients,
  opts: { readonly primaryRegion: string },
): Promise<PrimaryLoss> {
  const ecs = clients.ecs(opts.primaryRegion);
  const deletedServices: string[] = [];
  const clusters = (await ecs.send(new ListClustersCommand({}))).clusterArns ?? [];
  for (const cluster of clusters) {
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(new ListServicesCommand({ cluster, nextToken }));
      for (const service of page.serviceArns ?? []) {
        await ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 0 }));
        await ecs.send(new DeleteServiceCommand({ cluster, service, force: true }));
        deletedServices.push(`${cluster.split('/').pop()}/${service.split('/').pop()}`);
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return { deletedServices: deletedServices.sort() };
}
