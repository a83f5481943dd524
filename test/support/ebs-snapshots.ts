import { createHash } from 'node:crypto';
import {
  CompleteSnapshotCommand,
  type EBSClient,
  PutSnapshotBlockCommand,
  StartSnapshotCommand,
} from '@aws-sdk/client-ebs';

/** SHA-256 digest of a block, as the EBS direct APIs checksum it. */
export const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/**
 * Writes a 1 GiB snapshot the way a volume snapshot holds data (the emulator's CreateSnapshot
 * has no blocks): `blocks` by block index, optionally on top of `parentSnapshotId`.
 */
export async function seedSnapshot(
  ebs: EBSClient,
  blocks: ReadonlyMap<number, Buffer>,
  parentSnapshotId?: string,
): Promise<string> {
  const started = await ebs.send(
    new StartSnapshotCommand({
      VolumeSize: 1,
      ...(parentSnapshotId ? { ParentSnapshotId: parentSnapshotId } : {}),
    }),
  );
  const id = started.SnapshotId as string;
  for (const [index, data] of blocks) {
    await ebs.send(
      new PutSnapshotBlockCommand({
        SnapshotId: id,
        BlockIndex: index,
        BlockData: data,
        DataLength: data.length,
        Checksum: sha256(data).toString('base64'),
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  }
  await ebs.send(new CompleteSnapshotCommand({ SnapshotId: id, ChangedBlocksCount: blocks.size }));
  return id;
}
