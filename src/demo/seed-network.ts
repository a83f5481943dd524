import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type Tag as Ec2Tag,
} from '@aws-sdk/client-ec2';
import {
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  type EFSClient,
  type FileSystemDescription,
} from '@aws-sdk/client-efs';
import { SOURCE_ID_TAG } from '../fleet/inventory';
import { sleep } from '../kernel/sleep';
import { SeedError } from './errors';
import { required, type SeedLedger } from './seed-support';

const DEMO_TAG: Ec2Tag = { Key: 'lifeboat:demo', Value: 'true' };

export interface NetworkSpec {
  readonly vpcName: string;
  readonly cidrBlock: string;
  /** Subnets by name; `zoneIndex` picks the region's n-th availability zone (by name). */
  readonly subnets: readonly { name: string; cidrBlock: string; zoneIndex: number }[];
  readonly securityGroups: readonly { name: string; description: string }[];
}

export interface SeededSubnet {
  readonly name: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly cidrBlock: string;
}

export interface SeededSecurityGroup {
  readonly name: string;
  readonly groupId: string;
}

export interface SeededNetwork {
  readonly region: string;
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly subnets: readonly SeededSubnet[];
  readonly securityGroups: readonly SeededSecurityGroup[];
}

/** For the DR copy: the primary id each named object stands in for (tagged `lifeboat:source-id`). */
export interface SourceIds {
  readonly vpc: string;
  readonly byName: ReadonlyMap<string, string>;
}

function tags(name: string, sourceId: string | undefined, extra: readonly Ec2Tag[] = []): Ec2Tag[] {
  return [
    { Key: 'Name', Value: name },
    DEMO_TAG,
    ...(sourceId ? [{ Key: SOURCE_ID_TAG, Value: sourceId }] : []),
    ...extra,
  ];
}

/** Re-tags an existing DR object whose source id is missing or stale (a re-seeded primary). */
async function ensureSourceTag(
  ec2: EC2Client,
  resourceId: string,
  current: readonly Ec2Tag[] | undefined,
  sourceId: string | undefined,
  region: string,
  ledger: SeedLedger,
): Promise<void> {
  if (!sourceId) return;
  if (current?.some((t) => t.Key === SOURCE_ID_TAG && t.Value === sourceId)) return;
  await ec2.send(
    new CreateTagsCommand({ Resources: [resourceId], Tags: [{ Key: SOURCE_ID_TAG, Value: sourceId }] }),
  );
  ledger.created(`ec2:tag:${region}:${resourceId}:${SOURCE_ID_TAG}`);
}

async function zones(ec2: EC2Client, region: string, count: number): Promise<string[]> {
  const res = await ec2.send(
    new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }] }),
  );
  const names = (res.AvailabilityZones ?? [])
    .filter((z) => z.ZoneType === undefined || z.ZoneType === 'availability-zone')
    .map((z) => z.ZoneName)
    .filter((n): n is string => Boolean(n))
    .sort();
  if (names.length < count) {
    throw new SeedError(
      `The demo network needs ${count} availability zones; ${region} offers ${names.length}.`,
      region,
    );
  }
  return names;
}

/**
 * Makes the VPC, its subnets (one per named zone) and security groups exist in `region`,
 * found by their `Name` tags. With `source`, every object is also tagged with the id of the
 * primary object it corresponds to.
 */
export async function ensureNetwork(
  ec2: EC2Client,
  region: string,
  spec: NetworkSpec,
  ledger: SeedLedger,
  source?: SourceIds,
): Promise<SeededNetwork> {
  const azs = await zones(ec2, region, Math.max(...spec.subnets.map((s) => s.zoneIndex)) + 1);

  const vpcs = await ec2.send(
    new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: [spec.vpcName] }] }),
  );
  let vpc = vpcs.Vpcs?.[0];
  if (vpc) {
    await ensureSourceTag(ec2, required(vpc.VpcId, 'VPC id', region), vpc.Tags, source?.vpc, region, ledger);
  } else {
    const created = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: spec.cidrBlock,
        TagSpecifications: [{ ResourceType: 'vpc', Tags: tags(spec.vpcName, source?.vpc) }],
      }),
    );
    vpc = required(created.Vpc, 'created VPC', region);
    ledger.created(`ec2:vpc:${region}:${spec.vpcName}`);
  }
  const vpcId = required(vpc.VpcId, 'VPC id', region);

  const existingSubnets = await ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
  );
  const subnets: SeededSubnet[] = [];
  for (const want of spec.subnets) {
    const sourceId = source?.byName.get(want.name);
    const found = existingSubnets.Subnets?.find((s) =>
      s.Tags?.some((t) => t.Key === 'Name' && t.Value === want.name),
    );
    const availabilityZone = azs[want.zoneIndex];
    if (found) {
      const subnetId = required(found.SubnetId, 'subnet id', region);
      await ensureSourceTag(ec2, subnetId, found.Tags, sourceId, region, ledger);
      subnets.push({
        name: want.name,
        subnetId,
        availabilityZone: found.AvailabilityZone ?? availabilityZone,
        cidrBlock: found.CidrBlock ?? want.cidrBlock,
      });
      continue;
    }
    const created = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: want.cidrBlock,
        AvailabilityZone: availabilityZone,
        TagSpecifications: [
          { ResourceType: 'subnet', Tags: tags(want.name, sourceId, [{ Key: 'tier', Value: 'private' }]) },
        ],
      }),
    );
    ledger.created(`ec2:subnet:${region}:${want.name}`);
    subnets.push({
      name: want.name,
      subnetId: required(created.Subnet?.SubnetId, 'created subnet id', region),
      availabilityZone,
      cidrBlock: want.cidrBlock,
    });
  }

  const existingGroups = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
  );
  const securityGroups: SeededSecurityGroup[] = [];
  for (const want of spec.securityGroups) {
    const sourceId = source?.byName.get(want.name);
    const found = existingGroups.SecurityGroups?.find((g) => g.GroupName === want.name);
    if (found) {
      const groupId = required(found.GroupId, 'security group id', region);
      await ensureSourceTag(ec2, groupId, found.Tags, sourceId, region, ledger);
      securityGroups.push({ name: want.name, groupId });
      continue;
    }
    const created = await ec2.send(
      new CreateSecurityGroupCommand({
        VpcId: vpcId,
        GroupName: want.name,
        Description: want.description,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: tags(want.name, sourceId) }],
      }),
    );
    ledger.created(`ec2:security-group:${region}:${want.name}`);
    securityGroups.push({ name: want.name, groupId: required(created.GroupId, 'created group id', region) });
  }

  return { region, vpcId, cidrBlock: vpc.CidrBlock ?? spec.cidrBlock, subnets, securityGroups };
}

/** The primary ids the DR copy of `network` points back to. */
export function sourceIdsOf(network: SeededNetwork): SourceIds {
  const byName = new Map<string, string>();
  for (const s of network.subnets) byName.set(s.name, s.subnetId);
  for (const g of network.securityGroups) byName.set(g.name, g.groupId);
  return { vpc: network.vpcId, byName };
}

export interface EfsSpec {
  readonly creationToken: string;
  readonly name: string;
  readonly accessPoint: {
    readonly name: string;
    readonly path: string;
    readonly uid: number;
    readonly gid: number;
  };
  readonly securityGroupName: string;
  readonly tags: readonly { key: string; value: string }[];
}

export interface SeededFileSystem {
  readonly fileSystemId: string;
  readonly fileSystemArn: string;
  readonly accessPointId: string;
  readonly accessPointArn: string;
  readonly mountTargetIds: readonly string[];
}

async function waitAvailable(efs: EFSClient, fileSystemId: string, region: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId }));
    const state = res.FileSystems?.[0]?.LifeCycleState;
    if (state === 'available') return;
    if (state !== 'creating' || Date.now() > deadline) {
      throw new SeedError(`EFS file system ${fileSystemId} is ${state ?? 'gone'}, not available.`, region);
    }
    await sleep(2_000);
  }
}

/** An encrypted EFS file system with a mount target per subnet and one access point. */
export async function ensureFileSystem(
  efs: EFSClient,
  region: string,
  spec: EfsSpec,
  network: SeededNetwork,
  ledger: SeedLedger,
): Promise<SeededFileSystem> {
  const existing = await efs.send(new DescribeFileSystemsCommand({ CreationToken: spec.creationToken }));
  let fs: FileSystemDescription | undefined = existing.FileSystems?.[0];
  if (!fs) {
    fs = await efs.send(
      new CreateFileSystemCommand({
        CreationToken: spec.creationToken,
        PerformanceMode: 'generalPurpose',
        ThroughputMode: 'elastic',
        Encrypted: true,
        Tags: [{ Key: 'Name', Value: spec.name }, ...spec.tags.map((t) => ({ Key: t.key, Value: t.value }))],
      }),
    );
    ledger.created(`efs:file-system:${region}:${spec.name}`);
  }
  const fileSystemId = required(fs.FileSystemId, 'file system id', region);
  if (fs.LifeCycleState !== 'available') await waitAvailable(efs, fileSystemId, region);

  const group = network.securityGroups.find((g) => g.name === spec.securityGroupName);
  if (!group)
    throw new SeedError(`Security group ${spec.securityGroupName} is not in the demo network.`, region);
  const targets = await efs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }));
  const mountTargetIds = (targets.MountTargets ?? []).map((t) =>
    required(t.MountTargetId, 'mount target id'),
  );
  for (const subnet of network.subnets) {
    if (targets.MountTargets?.some((t) => t.SubnetId === subnet.subnetId)) continue;
    const created = await efs.send(
      new CreateMountTargetCommand({
        FileSystemId: fileSystemId,
        SubnetId: subnet.subnetId,
        SecurityGroups: [group.groupId],
      }),
    );
    mountTargetIds.push(required(created.MountTargetId, 'created mount target id', region));
    ledger.created(`efs:mount-target:${region}:${spec.name}/${subnet.name}`);
  }

  const points = await efs.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId }));
  let point = points.AccessPoints?.find((p) =>
    p.Tags?.some((t) => t.Key === 'Name' && t.Value === spec.accessPoint.name),
  );
  if (!point) {
    const { name, path, uid, gid } = spec.accessPoint;
    point = await efs.send(
      new CreateAccessPointCommand({
        FileSystemId: fileSystemId,
        ClientToken: `${spec.creationToken}-${name}`,
        PosixUser: { Uid: uid, Gid: gid },
        RootDirectory: { Path: path, CreationInfo: { OwnerUid: uid, OwnerGid: gid, Permissions: '0750' } },
        Tags: [{ Key: 'Name', Value: name }, ...spec.tags.map((t) => ({ Key: t.key, Value: t.value }))],
      }),
    );
    ledger.created(`efs:access-point:${region}:${spec.name}/${name}`);
  }
  return {
    fileSystemId,
    fileSystemArn: required(fs.FileSystemArn, 'file system ARN', region),
    accessPointId: required(point.AccessPointId, 'access point id', region),
    accessPointArn: required(point.AccessPointArn, 'access point ARN', region),
    mountTargetIds,
  };
}

export interface VolumeSpec {
  readonly name: string;
  readonly sizeGiB: number;
  readonly zoneIndex: number;
  readonly tags: readonly { key: string; value: string }[];
}

export interface SeededVolume {
  readonly volumeId: string;
  readonly sizeGiB: number;
  readonly availabilityZone: string;
}

/** An encrypted gp3 volume found by its `Name` tag (volumes being deleted do not count). */
export async function ensureVolume(
  ec2: EC2Client,
  region: string,
  spec: VolumeSpec,
  ledger: SeedLedger,
): Promise<SeededVolume> {
  const existing = await ec2.send(
    new DescribeVolumesCommand({
      Filters: [
        { Name: 'tag:Name', Values: [spec.name] },
        { Name: 'status', Values: ['creating', 'available', 'in-use'] },
      ],
    }),
  );
  const found = existing.Volumes?.[0];
  if (found) {
    return {
      volumeId: required(found.VolumeId, 'volume id', region),
      sizeGiB: found.Size ?? spec.sizeGiB,
      availabilityZone: required(found.AvailabilityZone, 'volume availability zone', region),
    };
  }
  const availabilityZone = (await zones(ec2, region, spec.zoneIndex + 1))[spec.zoneIndex];
  const created = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: availabilityZone,
      Size: spec.sizeGiB,
      VolumeType: 'gp3',
      Iops: 3000,
      Throughput: 125,
      Encrypted: true,
      TagSpecifications: [
        {
          ResourceType: 'volume',
          Tags: tags(
            spec.name,
            undefined,
            spec.tags.map((t) => ({ Key: t.key, Value: t.value })),
          ),
        },
      ],
    }),
  );
  ledger.created(`ec2:volume:${region}:${spec.name}`);
  return {
    volumeId: required(created.VolumeId, 'created volume id', region),
    sizeGiB: spec.sizeGiB,
    availabilityZone,
  };
}
