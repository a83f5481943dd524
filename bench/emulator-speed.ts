import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from '../src/aws/clients';
import { mapConcurrent } from '../src/kernel/concurrency';
import { median, percentile, round, timed } from './stats';

export interface EmulatorSpeed {
  /** Median latency of one sequential ECS ListClusters (empty account), ms. */
  readonly listClustersMedianMs: number;
  readonly listClustersP95Ms: number;
  /** Median latency of one sequential STS GetCallerIdentity, ms. */
  readonly getCallerIdentityMedianMs: number;
  /** ListClusters calls per second, one at a time and `concurrency` at a time. */
  readonly sequentialCallsPerSecond: number;
  readonly concurrentCallsPerSecond: number;
  readonly concurrency: number;
}

/** The emulator's own speed: the floor under every wall time measured against it. */
export async function measureEmulatorSpeed(
  clients: AwsClients,
  region: string,
  opts: { calls: number; concurrency: number },
): Promise<EmulatorSpeed> {
  const ecs = clients.ecs(region);
  const sts = clients.sts(region);
  await ecs.send(new ListClustersCommand({}));
  await sts.send(new GetCallerIdentityCommand({}));

  const ecsSamples: number[] = [];
  const stsSamples: number[] = [];
  const sequential = await timed(async () => {
    for (let i = 0; i < opts.calls; i += 1) {
      const one = await timed(() => ecs.send(new ListClustersCommand({})));
      ecsSamples.push(one.ms);
    }
  });
  for (let i = 0; i < Math.min(opts.calls, 50); i += 1) {
    const one = await timed(() => sts.send(new GetCallerIdentityCommand({})));
    stsSamples.push(one.ms);
  }
  const concurrent = await timed(() =>
    mapConcurrent(
      Array.from({ length: opts.calls }, (_, i) => i),
      opts.concurrency,
      () => ecs.send(new ListClustersCommand({})),
    ),
  );
  return {
    listClustersMedianMs: round(median(ecsSamples)),
    listClustersP95Ms: round(percentile(ecsSamples, 95)),
    getCallerIdentityMedianMs: round(median(stsSamples)),
    sequentialCallsPerSecond: round((opts.calls / sequential.ms) * 1000, 0),
    concurrentCallsPerSecond: round((opts.calls / concurrent.ms) * 1000, 0),
    concurrency: opts.concurrency,
  };
}
