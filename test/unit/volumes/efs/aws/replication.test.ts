import {
  CreateReplicationConfigurationCommand,
  DeleteReplicationConfigurationCommand,
  DescribeAccessPointsCommand,
  DescribeReplicationConfigurationsCommand,
  EFSClient,
  EFSServiceException,
} from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../../../src/aws/clients';
import { isEmulatorMissingApi } from '../../../../../src/aws/errors';
import type { TaskDefinitionRecord } from '../../../../../src/catalog/manifest';
import { captureEfs } from '../../../../../src/volumes/efs/aws/capture';
import { describeReplication, failOverReplica } from '../../../../../src/volumes/efs/aws/replication';
import { EfsReplicationError } from '../../../../../src/volumes/efs/errors';
import { replicationTo } from '../../../../support/efs-replication';

const PRIMARY = 'us-east-1';
const DR = 'us-west-2';
const ACCOUNT = '123456789012';
const SOURCE_FS = 'fs-0123456789abcdef0';
const DR_FS = 'fs-0fedcba9876543210';
const ACCESS_POINT = 'fsap-0123456789abcdef0';
const NOW = new Date('2026-03-01T12:00:00.000Z');
const SYNCED = new Date('2026-03-01T11:52:00.000Z');

const efsMock = mockClient(EFSClient);
const clients = new AwsClients({ credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

afterAll(() => {
  efsMock.restore();
  clients.destroy();
});

beforeEach(() => {
  efsMock.reset();
});

function serviceError(name: string, status = 400): EFSServiceException {
  return new EFSServiceException({
    name,
    $fault: 'client',
    message: `${name} (test)`,
    $metadata: { httpStatusCode: status },
  });
}

function taskDefinition(volumes: unknown[]): TaskDefinitionRecord {
  return {
    sourceArn: `arn:aws:ecs:${PRIMARY}:${ACCOUNT}:task-definition/worker:3`,
    family: 'worker',
    revision: 3,
    registerInput: { family: 'worker', containerDefinitions: [{ name: 'app', image: 'busybox' }], volumes },
    tags: [],
  };
}

const WORKER = taskDefinition([
  { name: 'scratch' },
  {
    name: 'uploads',
    efsVolumeConfiguration: {
      fileSystemId: SOURCE_FS,
      transitEncryption: 'ENABLED',
      authorizationConfig: { accessPointId: ACCESS_POINT, iam: 'ENABLED' },
    },
  },
]);

function mockAccessPoint(): void {
  efsMock.on(DescribeAccessPointsCommand, { AccessPointId: ACCESS_POINT }).resolves({
    AccessPoints: [
      {
        AccessPointId: ACCESS_POINT,
        FileSystemId: SOURCE_FS,
        PosixUser: { Uid: 1000, Gid: 1000 },
        RootDirectory: {
          Path: '/shop/uploads',
          CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: '0750' },
        },
        Tags: [
          { Key: 'Name', Value: 'shop-uploads' },
          { Key: 'aws:cloudformation:stack-name', Value: 'shop' },
        ],
      },
    ],
  });
}

function capture(opts: { allowCreateReplication?: boolean } = {}) {
  return captureEfs(clients, {
    primaryRegion: PRIMARY,
    drRegion: DR,
    account: ACCOUNT,
    taskDefinitions: [WORKER],
    allowCreateReplication: opts.allowCreateReplication ?? false,
    now: () => NOW,
  });
}

describe('captureEfs (aws-sdk-client-mock: the emulator has no EFS replication APIs)', () => {
  it('records the DR replica and its last sync time as lastSyncAt', async () => {
    mockAccessPoint();
    efsMock.on(DescribeReplicationConfigurationsCommand, { FileSystemId: SOURCE_FS }).resolves({
      Replications: [
        {
          SourceFileSystemId: SOURCE_FS,
          SourceFileSystemRegion: PRIMARY,
          SourceFileSystemArn: `arn:aws:elasticfilesystem:${PRIMARY}:${ACCOUNT}:file-system/${SOURCE_FS}`,
          OriginalSourceFileSystemArn: `arn:aws:elasticfilesystem:${PRIMARY}:${ACCOUNT}:file-system/${SOURCE_FS}`,
          CreationTime: new Date('2026-01-01T00:00:00Z'),
          Destinations: [
            { Region: DR, FileSystemId: DR_FS, Status: 'ENABLED', LastReplicatedTimestamp: SYNCED },
          ],
        },
      ],
    });

    const result = await capture();

    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.records).toEqual([
      {
        sourceFileSystemId: SOURCE_FS,
        drFileSystemId: DR_FS,
        lastSyncAt: SYNCED.toISOString(),
        accessPoints: [
          {
            sourceAccessPointId: ACCESS_POINT,
            rootDirectory: {
              Path: '/shop/uploads',
              CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: '0750' },
            },
            posixUser: { Uid: 1000, Gid: 1000 },
            tags: [{ key: 'Name', value: 'shop-uploads' }],
          },
        ],
      },
    ]);
    expect(efsMock.commandCalls(CreateReplicationConfigurationCommand)).toHaveLength(0);
  });

  it('records an EfsNotReplicated error with the fix, and no DR id, when replication is missing and creating it is not allowed', async () => {
    mockAccessPoint();
    efsMock.on(DescribeReplicationConfigurationsCommand).rejects(serviceError('ReplicationNotFound', 404));

    const result = await capture();

    expect(result.records).toHaveLength(1);
    expect(result.records[0]?.drFileSystemId).toBeUndefined();
    expect(result.records[0]?.accessPoints).toHaveLength(1);
    expect(result.errors).toEqual([
      expect.objectContaining({
        resourceType: 'fileSystem',
        resourceId: SOURCE_FS,
        code: 'EfsNotReplicated',
        at: NOW.toISOString(),
      }),
    ]);
    expect(result.errors[0]?.message).toContain('Enable volumes.efs.createReplication');
    expect(result.errors[0]?.message).toContain(`create replication to ${DR} yourself`);
    expect(efsMock.commandCalls(CreateReplicationConfigurationCommand)).toHaveLength(0);
  });

  it('creates the replication to the DR region when allowed and records the new replica without a sync time', async () => {
    mockAccessPoint();
    efsMock.on(DescribeReplicationConfigurationsCommand).rejects(serviceError('ReplicationNotFound', 404));
    efsMock.on(CreateReplicationConfigurationCommand).resolves({
      SourceFileSystemId: SOURCE_FS,
      Destinations: [{ Region: DR, FileSystemId: DR_FS, Status: 'ENABLING' }],
    });

    const result = await capture({ allowCreateReplication: true });

    expect(efsMock.commandCalls(CreateReplicationConfigurationCommand)[0]?.args[0].input).toEqual({
      SourceFileSystemId: SOURCE_FS,
      Destinations: [{ Region: DR }],
    });
    expect(result.errors).toEqual([]);
    expect(result.records[0]).toMatchObject({ sourceFileSystemId: SOURCE_FS, drFileSystemId: DR_FS });
    expect(result.records[0]?.lastSyncAt).toBeUndefined();
    expect(result.warnings.map((w) => w.code)).toEqual(['EfsReplicationCreated']);
  });

  it('records an error when the file system replicates to another region', async () => {
    mockAccessPoint();
    efsMock
      .on(DescribeReplicationConfigurationsCommand)
      .resolves(
        replicationTo(SOURCE_FS, PRIMARY, { Region: 'eu-west-1', FileSystemId: DR_FS, Status: 'ENABLED' }),
      );

    const result = await capture({ allowCreateReplication: true });

    expect(result.errors.map((e) => e.code)).toEqual(['EfsReplicatedElsewhere']);
    expect(result.errors[0]?.message).toContain('eu-west-1');
    expect(result.records[0]?.drFileSystemId).toBeUndefined();
    expect(efsMock.commandCalls(CreateReplicationConfigurationCommand)).toHaveLength(0);
  });

  it('records an error for a replication in ERROR and does not record its replica', async () => {
    mockAccessPoint();
    efsMock.on(DescribeReplicationConfigurationsCommand).resolves(
      replicationTo(SOURCE_FS, PRIMARY, {
        Region: DR,
        FileSystemId: DR_FS,
        Status: 'ERROR',
        StatusMessage: 'KMS key disabled',
      }),
    );

    const result = await capture();

    expect(result.errors.map((e) => e.code)).toEqual(['EfsReplicationError']);
    expect(result.errors[0]?.message).toContain('KMS key disabled');
    expect(result.records[0]?.drFileSystemId).toBeUndefined();
  });

  it('warns when the replica has not finished its first sync', async () => {
    mockAccessPoint();
    efsMock
      .on(DescribeReplicationConfigurationsCommand)
      .resolves(replicationTo(SOURCE_FS, PRIMARY, { Region: DR, FileSystemId: DR_FS, Status: 'ENABLING' }));

    const result = await capture();

    expect(result.errors).toEqual([]);
    expect(result.records[0]?.drFileSystemId).toBe(DR_FS);
    expect(result.warnings.map((w) => w.code)).toEqual(['EfsReplicaNotSynced']);
  });

  it('checks no replication for a file system mapped explicitly in the config', async () => {
    mockAccessPoint();

    const result = await captureEfs(clients, {
      primaryRegion: PRIMARY,
      drRegion: DR,
      account: ACCOUNT,
      taskDefinitions: [WORKER],
      allowCreateReplication: true,
      mappings: { [SOURCE_FS]: DR_FS },
      now: () => NOW,
    });

    expect(result.errors).toEqual([]);
    expect(result.records[0]?.drFileSystemId).toBe(DR_FS);
    expect(efsMock.commandCalls(DescribeReplicationConfigurationsCommand)).toHaveLength(0);
  });
});

describe('describeReplication (aws-sdk-client-mock: the emulator has no EFS replication APIs)', () => {
  it('tells a replica (destination) from a source', async () => {
    efsMock
      .on(DescribeReplicationConfigurationsCommand, { FileSystemId: DR_FS })
      .resolves(replicationTo(SOURCE_FS, PRIMARY, { Region: DR, FileSystemId: DR_FS, Status: 'ENABLED' }));

    const lookup = await describeReplication(new EFSClient({ region: DR }), DR_FS, PRIMARY);

    expect(lookup).toEqual({ kind: 'destination', sourceFileSystemId: SOURCE_FS, sourceRegion: PRIMARY });
  });
});

describe('failOverReplica (aws-sdk-client-mock: the emulator has no EFS replication APIs)', () => {
  const efs = new EFSClient({
    region: DR,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
  const replicating = replicationTo(SOURCE_FS, PRIMARY, {
    Region: DR,
    FileSystemId: DR_FS,
    Status: 'ENABLED',
  });

  it('deletes the replication configuration of the replica to make it writable', async () => {
    efsMock.on(DescribeReplicationConfigurationsCommand).resolves(replicating);
    efsMock.on(DeleteReplicationConfigurationCommand).resolves({});

    expect(await failOverReplica(efs, DR_FS)).toBe('deleted');
    expect(efsMock.commandCalls(DeleteReplicationConfigurationCommand).map((c) => c.args[0].input)).toEqual([
      { SourceFileSystemId: DR_FS },
    ]);
  });

  it('is idempotent: a replica without a replication configuration is already failed over', async () => {
    efsMock.on(DescribeReplicationConfigurationsCommand).rejects(serviceError('ReplicationNotFound', 404));

    expect(await failOverReplica(efs, DR_FS)).toBe('not-replicating');
    expect(efsMock.commandCalls(DeleteReplicationConfigurationCommand)).toHaveLength(0);
  });

  it('treats ReplicationNotFound from the delete (a concurrent fail-over) as done', async () => {
    efsMock.on(DescribeReplicationConfigurationsCommand).resolves(replicating);
    efsMock.on(DeleteReplicationConfigurationCommand).rejects(serviceError('ReplicationNotFound', 404));

    expect(await failOverReplica(efs, DR_FS)).toBe('not-replicating');
  });

  it('leaves a file system that is itself a replication source alone', async () => {
    efsMock.on(DescribeReplicationConfigurationsCommand).resolves({
      Replications: [{ ...replicating.Replications[0], SourceFileSystemId: DR_FS } as never],
    });

    expect(await failOverReplica(efs, DR_FS)).toBe('not-replicating');
    expect(efsMock.commandCalls(DeleteReplicationConfigurationCommand)).toHaveLength(0);
  });

  it('deletes on the DR side only (LOCAL_CONFIGURATION_ONLY) when the primary region cannot take part', async () => {
    efsMock.on(DescribeReplicationConfigurationsCommand).resolves(replicating);
    efsMock
      .on(DeleteReplicationConfigurationCommand, {
        SourceFileSystemId: DR_FS,
        DeletionMode: 'LOCAL_CONFIGURATION_ONLY',
      })
      .resolves({})
      .on(DeleteReplicationConfigurationCommand, { SourceFileSystemId: DR_FS }, true)
      .rejects(serviceError('InternalServerError', 500));

    expect(await failOverReplica(efs, DR_FS)).toBe('deleted-locally');
    expect(efsMock.commandCalls(DeleteReplicationConfigurationCommand).map((c) => c.args[0].input)).toEqual([
      { SourceFileSystemId: DR_FS },
      { SourceFileSystemId: DR_FS, DeletionMode: 'LOCAL_CONFIGURATION_ONLY' },
    ]);
  });

  it.each([
    ['AccessDeniedException', 403],
    ['BadRequest', 400],
    ['ValidationException', 400],
    ['FileSystemNotFound', 404],
    ['ThrottlingException', 429],
  ])(
    'throws %s from a source region that answered, and deletes nothing on the DR side only',
    async (code, status) => {
      efsMock.on(DescribeReplicationConfigurationsCommand).resolves(replicating);
      efsMock.on(DeleteReplicationConfigurationCommand).rejects(serviceError(code, status));

      const error = await failOverReplica(efs, DR_FS).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EfsReplicationError);
      expect((error as EfsReplicationError).code).toBe(code);
      expect((error as Error).message).toContain('elasticfilesystem:DeleteReplicationConfiguration');
      expect(efsMock.commandCalls(DeleteReplicationConfigurationCommand).map((c) => c.args[0].input)).toEqual(
        [{ SourceFileSystemId: DR_FS }],
      );
    },
  );

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['a 503 after the retries', serviceError('ServiceUnavailableException', 503)],
  ])('falls back to the DR side only after %s, telling the caller why', async (_, primaryError) => {
    efsMock.on(DescribeReplicationConfigurationsCommand).resolves(replicating);
    efsMock
      .on(DeleteReplicationConfigurationCommand, { DeletionMode: 'LOCAL_CONFIGURATION_ONLY' })
      .resolves({})
      .on(DeleteReplicationConfigurationCommand, { SourceFileSystemId: DR_FS }, true)
      .rejects(primaryError);
    const seen: unknown[] = [];

    expect(await failOverReplica(efs, DR_FS, { onSourceUnreachable: (e) => seen.push(e) })).toBe(
      'deleted-locally',
    );
    expect(seen).toEqual([primaryError]);
  });

  it('throws naming both errors when the DR-side-only delete fails too', async () => {
    efsMock.on(DescribeReplicationConfigurationsCommand).resolves(replicating);
    efsMock
      .on(DeleteReplicationConfigurationCommand, { DeletionMode: 'LOCAL_CONFIGURATION_ONLY' })
      .rejects(serviceError('AccessDeniedException', 403))
      .on(DeleteReplicationConfigurationCommand, { SourceFileSystemId: DR_FS }, true)
      .rejects(serviceError('InternalServerError', 500));

    const error = await failOverReplica(efs, DR_FS).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EfsReplicationError);
    expect((error as Error).message).toContain('InternalServerError');
    expect((error as Error).message).toContain('on the DR side only: AccessDeniedException');
  });

  it('propagates a failure to describe the replication on AWS (no endpoint override)', async () => {
    const html = Object.assign(serviceError('SyntaxError', 500), {
      $response: { statusCode: 500, headers: { 'content-type': 'text/html; charset=utf-8' } },
    });
    efsMock.on(DescribeReplicationConfigurationsCommand).rejects(html);

    await expect(failOverReplica(efs, DR_FS)).rejects.toBe(html);
    expect(await failOverReplica(efs, DR_FS, { emulated: true })).toBe('emulator-no-replication');
  });
});

describe('isEmulatorMissingApi', () => {
  const page = (status: number, contentType: string) =>
    Object.assign(serviceError('SyntaxError', status), {
      $response: { statusCode: status, headers: { 'content-type': contentType } },
    });

  it("recognises the emulator's HTML answer (500 or 404) only with an endpoint override", () => {
    expect(isEmulatorMissingApi(page(500, 'text/html; charset=utf-8'), true)).toBe(true);
    expect(isEmulatorMissingApi(page(404, 'text/html; charset=utf-8'), true)).toBe(true);
    expect(isEmulatorMissingApi(page(500, 'text/html; charset=utf-8'), false)).toBe(false);
    expect(isEmulatorMissingApi(page(404, 'application/json'), true)).toBe(false);
    expect(isEmulatorMissingApi(page(400, 'text/html'), true)).toBe(false);
  });
});
