import type { LifeboatConfig } from '../../src/config/schema';
import { type LifeboatRole, MANAGED_TAG, ROLE_TAG } from '../../src/volumes/ebs/tags';
import { viaService } from '../names';
import type { RegionArns } from './arns';
import { grantKeyToAwsResources, keyUse } from './key-grants';
import {
  addStatements,
  allow,
  type GrantTarget,
  inRegions,
  onlyOnCreate,
  taggedOnCreate,
  taggedWith,
} from './statements';

/**
 * EBS snapshots and volumes, by intent. Every snapshot Lifeboat creates is tagged
 * `lifeboat:managed=true` as it is created (tagging is allowed only then), and only what carries
 * that tag may be deleted. A volume the restore creates is tagged `lifeboat:role=restored-volume`
 * instead (never `lifeboat:managed`), so no snapshot grant applies to it.
 */

/** The role tag of a volume the restore creates. */
const RESTORED_VOLUME_ROLE: LifeboatRole = 'restored-volume';

/** What EBS needs of a key to read a snapshot encrypted with it (and re-encrypt its data). */
const DECRYPT_FOR_EBS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

/** How the backup copies the snapshots to the DR region (`volumes.ebs.engine`). */
export type SnapshotCopyEngine = LifeboatConfig['volumes']['ebs']['engine'];

/** Capture finds the volumes to back up and snapshots them in `primary`. */
export function grantSnapshotCreate(target: GrantTarget, primary: RegionArns): void {
  addStatements(target, [
    allow(
      'DescribeVolumesAndSnapshots',
      ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'],
      ['*'],
      inRegions(primary.region),
    ),
    allow('SnapshotVolumes', ['ec2:CreateSnapshot'], [primary.volumes]),
    allow('CreateManagedSnapshots', ['ec2:CreateSnapshot'], [primary.snapshots], taggedOnCreate(MANAGED_TAG)),
    allow('TagNewSnapshots', ['ec2:CreateTags'], [primary.snapshots], onlyOnCreate('CreateSnapshot')),
  ]);
}

/** What `grantSnapshotCopy` copies, from where to where, and how. */
export interface SnapshotCopyProps {
  /** The primary region: the snapshots to copy, and the keys of their (encrypted) volumes. */
  readonly source: RegionArns;

  /** The DR region: the copies, and the volume key they are encrypted with. */
  readonly destination: RegionArns;

  /** Alias of the volume key in `destination`, e.g. `alias/lifeboat-volumes`. */
  readonly volumeKeyAlias: string;

  /**
   * `block` copies through the EBS direct APIs too: it reads the source snapshots' blocks and
   * writes the copies' blocks, so the keys are also used through EBS.
   */
  readonly engine: SnapshotCopyEngine;
}

/**
 * The backup copies the snapshots from `source` to `destination`: it watches both regions'
 * snapshots, creates the copies (tagged as managed), encrypts them with the volume key
 * (addressed by alias) and decrypts the sources with their own keys, both only through EC2/EBS.
 */
export function grantSnapshotCopy(target: GrantTarget, props: SnapshotCopyProps): void {
  const { source, destination, volumeKeyAlias } = props;
  const block = props.engine === 'block';
  const via = (region: string) =>
    block ? [viaService('ec2', region), viaService('ebs', region)] : viaService('ec2', region);
  addStatements(target, [
    describeSnapshots(source, destination),
    allow('CopyPrimarySnapshots', ['ec2:CopySnapshot'], [source.snapshots]),
    allow(
      'CreateManagedDrCopies',
      ['ec2:CopySnapshot'],
      [destination.snapshots],
      taggedOnCreate(MANAGED_TAG),
    ),
    allow('TagDrCopies', ['ec2:CreateTags'], [destination.snapshots], onlyOnCreate('CopySnapshot')),
  ]);
  grantKeyToAwsResources(
    target,
    {
      sid: 'UseVolumeKey',
      // The copies are encrypted with it: EBS also generates their data keys.
      actions: [...DECRYPT_FOR_EBS, 'kms:GenerateDataKey'],
      keys: destination.keys,
      alias: volumeKeyAlias,
      via: via(destination.region),
    },
    'GrantVolumeKeyToEbs',
  );
  // Encrypted source volumes: their snapshots are decrypted with the source key for the copy.
  grantKeyToAwsResources(
    target,
    { sid: 'DecryptSourceSnapshots', actions: DECRYPT_FOR_EBS, keys: source.keys, via: via(source.region) },
    'GrantSourceKeysToEbs',
  );
  if (!block) return;
  addStatements(target, [
    allow(
      'ReadPrimarySnapshotBlocks',
      ['ebs:ListSnapshotBlocks', 'ebs:ListChangedBlocks', 'ebs:GetSnapshotBlock'],
      [source.snapshots],
    ),
    allow(
      'StartManagedDrSnapshots',
      ['ebs:StartSnapshot'],
      [destination.snapshots],
      taggedOnCreate(MANAGED_TAG),
    ),
    allow('WriteDrSnapshotBlocks', ['ebs:PutSnapshotBlock', 'ebs:CompleteSnapshot'], [destination.snapshots]),
    // StartSnapshot takes a key ARN: the handler resolves the alias itself (DescribeKey).
    keyUse({
      sid: 'ResolveVolumeKeyArn',
      actions: ['kms:DescribeKey'],
      keys: destination.keys,
      alias: volumeKeyAlias,
    }),
  ]);
}

/**
 * Retention deletes the managed snapshots (and DR copies) of the recovery points it expires. It
 * finds them through its own records; the `lifeboat:managed` tag condition is a guard on top.
 */
export function grantSnapshotRetention(target: GrantTarget, primary: RegionArns, dr: RegionArns): void {
  addStatements(target, [
    describeSnapshots(primary, dr),
    allow(
      'DeleteManagedSnapshots',
      ['ec2:DeleteSnapshot'],
      [primary.snapshots, dr.snapshots],
      taggedWith(MANAGED_TAG),
    ),
  ]);
}

/**
 * The restore creates standalone volumes (tagged `lifeboat:role=restored-volume`) from the DR snapshots in `dr`,
 * finds them again, and has EC2 decrypt the snapshots and encrypt the volumes with the volume
 * key (addressed by alias).
 */
export function grantVolumeRestore(target: GrantTarget, dr: RegionArns, volumeKeyAlias: string): void {
  addStatements(target, [
    allow(
      'CreateRestoredVolumes',
      ['ec2:CreateVolume'],
      [dr.volumes],
      taggedOnCreate(ROLE_TAG, RESTORED_VOLUME_ROLE),
    ),
    allow('CreateVolumesFromDrSnapshots', ['ec2:CreateVolume'], [dr.snapshots]),
    allow('TagRestoredVolumes', ['ec2:CreateTags'], [dr.volumes], onlyOnCreate('CreateVolume')),
    allow('FindRestoredVolumes', ['ec2:DescribeVolumes'], ['*'], inRegions(dr.region)),
  ]);
  grantKeyToAwsResources(
    target,
    {
      sid: 'UseVolumeKeyViaEc2',
      actions: DECRYPT_FOR_EBS,
      keys: dr.keys,
      alias: volumeKeyAlias,
      via: viaService('ec2', dr.region),
    },
    'GrantVolumeKeyToEc2',
  );
}

/** Both regions' snapshots, to follow the snapshots and their copies. */
function describeSnapshots(primary: RegionArns, dr: RegionArns) {
  return allow('DescribeSnapshots', ['ec2:DescribeSnapshots'], ['*'], inRegions(primary.region, dr.region));
}
