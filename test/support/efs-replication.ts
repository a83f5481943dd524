import type { Destination, ReplicationConfigurationDescription } from '@aws-sdk/client-efs';

/**
 * A DescribeReplicationConfigurations answer for aws-sdk-client-mock (the emulator has no EFS
 * replication APIs): `sourceFileSystemId` in `sourceRegion` replicating to one destination.
 */
export function replicationTo(
  sourceFileSystemId: string,
  sourceRegion: string,
  destination: Destination,
): { Replications: ReplicationConfigurationDescription[] } {
  return {
    Replications: [
      {
        SourceFileSystemId: sourceFileSystemId,
        SourceFileSystemRegion: sourceRegion,
        SourceFileSystemArn: 'arn',
        OriginalSourceFileSystemArn: 'arn',
        CreationTime: new Date(),
        Destinations: [destination],
      },
    ],
  };
}
