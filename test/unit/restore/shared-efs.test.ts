import {
  CreateAccessPointCommand,
  DeleteReplicationConfigurationCommand,
  DescribeAccessPointsCommand,
  DescribeReplicationConfigurationsCommand,
  EFSClient,
} from '@aws-sdk/client-efs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../src/aws/clients';
import { parseConfig } from '../../../src/config/schema';
import { restoreConfigOf } from '../../../src/config/settings';
import { SOURCE_ID_TAG } from '../../../src/fleet/inventory';
import { createRestoreContext } from '../../../src/restore/context';
import type { RestorePlan } from '../../../src/restore/plan';
import type { RestoreRun, SharedResources } from '../../../src/restore/runs';
import { prepareShared } from '../../../src/restore/shared';
import { replicationTo } from '../../support/efs-replication';

const DR = 'us-west-2';
const SOURCE_FS = 'fs-0123456789abcdef0';
const DR_FS = 'fs-0fedcba9876543210';
const SOURCE_AP = 'fsap-0123456789abcdef0';
const DR_AP = 'fsap-0fedcba9876543210';

const efsMock = mockClient(EFSClient);
const s3Mock = mockClient(S3Client);
const clients = new AwsClients({ credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const config = parseConfig({ account: '123456789012', primaryRegion: 'us-east-1', drRegion: DR });

afterAll(() => {
  efsMock.restore();
  s3Mock.restore();
  clients.destroy();
});

/** A plan that promotes one replica and recreates one access point on it. */
const plan = {
  input: { promoteFileSystems: true },
  clusters: [],
  logGroups: [],
  efsFileSystems: [{ sourceFileSystemId: SOURCE_FS, drFileSystemId: DR_FS, services: ['shop/worker'] }],
  efsAccessPoints: [
    {
      sourceAccessPointId: SOURCE_AP,
      sourceFileSystemId: SOURCE_FS,
      drFileSystemId: DR_FS,
      rootDirectory: {
        Path: '/shop/uploads',
        CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: '0750' },
      },
      posixUser: { Uid: 1000, Gid: 1000 },
      tags: [
        { key: 'Name', value: 'shop-uploads' },
        { key: SOURCE_ID_TAG, value: SOURCE_AP },
      ],
      services: ['shop/worker'],
    },
  ],
} as unknown as RestorePlan;

function storedRun(): void {
  const run: RestoreRun = { executionName: 'x', startedAt: '2026-03-01T00:00:00Z', plan, allowedRoles: [] };
  // RunStore reads the body with transformToString, as the SDK's stream mixin provides it.
  const Body = { transformToString: async () => JSON.stringify(run) };
  s3Mock.on(GetObjectCommand).resolves({ Body } as never);
  s3Mock.on(PutObjectCommand).resolves({});
}

function sharedWritten(): SharedResources {
  const body = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input.Body;
  return JSON.parse(String(body)) as SharedResources;
}

const replicating = replicationTo(SOURCE_FS, 'us-east-1', {
  Region: DR,
  FileSystemId: DR_FS,
  Status: 'ENABLED',
});

beforeEach(() => {
  efsMock.reset();
  s3Mock.reset();
  storedRun();
});

describe('prepareShared, EFS part (aws-sdk-client-mock: the emulator has no EFS replication APIs)', () => {
  it('deletes the replica’s replication configuration, then recreates the access point on it', async () => {
    efsMock.on(DescribeReplicationConfigurationsCommand, { FileSystemId: DR_FS }).resolves(replicating);
    efsMock.on(DeleteReplicationConfigurationCommand).resolves({});
    efsMock.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });
    efsMock.on(CreateAccessPointCommand).resolves({ AccessPointId: DR_AP });
    const ctx = createRestoreContext(clients, { config: restoreConfigOf(config), bucket: 'catalog' });

    const result = await prepareShared(ctx, { executionName: 'efs-1' });

    expect(result).toMatchObject({ accessPointsCreated: 1, failures: [] });
    expect(result.fileSystems.promoted).toEqual([DR_FS]);
    expect(efsMock.commandCalls(DeleteReplicationConfigurationCommand)[0]?.args[0].input).toEqual({
      SourceFileSystemId: DR_FS,
    });
    expect(efsMock.commandCalls(CreateAccessPointCommand)[0]?.args[0].input).toMatchObject({
      FileSystemId: DR_FS,
      RootDirectory: {
        Path: '/shop/uploads',
        CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: '0750' },
      },
      PosixUser: { Uid: 1000, Gid: 1000 },
      Tags: [
        { Key: 'Name', Value: 'shop-uploads' },
        { Key: SOURCE_ID_TAG, Value: SOURCE_AP },
      ],
    });
    expect(sharedWritten().accessPoints).toEqual({ [SOURCE_AP]: DR_AP });
  });

  it('on a re-run, deletes nothing and reuses the access point tagged with the source id', async () => {
    efsMock
      .on(DescribeReplicationConfigurationsCommand)
      .rejects(Object.assign(new Error('no replication'), { name: 'ReplicationNotFound' }));
    efsMock.on(DescribeAccessPointsCommand).resolves({
      AccessPoints: [
        { AccessPointId: DR_AP, FileSystemId: DR_FS, Tags: [{ Key: SOURCE_ID_TAG, Value: SOURCE_AP }] },
      ],
    });
    const ctx = createRestoreContext(clients, { config: restoreConfigOf(config), bucket: 'catalog' });

    const result = await prepareShared(ctx, { executionName: 'efs-2' });

    expect(result).toMatchObject({ accessPointsCreated: 1, failures: [] });
    expect(result.fileSystems.notReplicating).toEqual([DR_FS]);
    expect(efsMock.commandCalls(DeleteReplicationConfigurationCommand)).toHaveLength(0);
    expect(efsMock.commandCalls(CreateAccessPointCommand)).toHaveLength(0);
    expect(sharedWritten().accessPoints).toEqual({ [SOURCE_AP]: DR_AP });
  });

  it('records the file system and its access point as failed when the replica cannot be failed over', async () => {
    efsMock.on(DescribeReplicationConfigurationsCommand).resolves(replicating);
    efsMock
      .on(DeleteReplicationConfigurationCommand)
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    const ctx = createRestoreContext(clients, { config: restoreConfigOf(config), bucket: 'catalog' });

    const result = await prepareShared(ctx, { executionName: 'efs-3' });

    expect(result.failures).toEqual([`accessPoint:${SOURCE_AP}`, `fileSystem:${DR_FS}`]);
    expect(efsMock.commandCalls(CreateAccessPointCommand)).toHaveLength(0);
    expect(sharedWritten().failures[`fileSystem:${DR_FS}`]).toContain('DeleteReplicationConfiguration');
    expect(result.fileSystems.failed).toEqual([DR_FS]);
    // The primary answered (denied), so nothing was deleted on the DR side only.
    expect(efsMock.commandCalls(DeleteReplicationConfigurationCommand).map((c) => c.args[0].input)).toEqual([
      { SourceFileSystemId: DR_FS },
    ]);
  });
});
