import { CreateFileSystemCommand, DescribeAccessPointsCommand } from '@aws-sdk/client-efs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { restoreRunKey } from '../../src/catalog/keys';
import { parseConfig } from '../../src/config/schema';
import { restoreConfigOf } from '../../src/config/settings';
import { SOURCE_ID_TAG } from '../../src/fleet/inventory';
import { createRestoreContext } from '../../src/restore/context';
import { parseRestoreInput } from '../../src/restore/input';
import type { RestorePlan } from '../../src/restore/plan';
import type { RestoreRun } from '../../src/restore/runs';
import { type PrepareSharedResult, prepareShared } from '../../src/restore/shared';
import { ensureTestCatalog } from '../support/catalog';
import { ACCOUNT, BUCKET, DR, PRIMARY } from '../support/demo-fleet';
import {
  type ReplicationStandIn,
  type ReplicationStandInOptions,
  replicationTo,
  startReplicationStandIn,
} from '../support/efs-replication';
import { useEmulator } from '../support/emulator';

/**
 * PrepareShared on the emulator, with test/support/efs-replication.ts standing in over the wire
 * for the EFS replication APIs moto lacks (every other call, S3 and the access points included,
 * goes to the emulator): replication is deleted only when the input promotes file systems, and a
 * failed delete is reported, not retried on the DR side only, unless the source region did not answer.
 */
const ctx = useEmulator();
const SOURCE_FS = 'fs-0123456789abcdef0';
const SOURCE_AP = 'fsap-0123456789abcdef0';
let replica: string;
let standIn: ReplicationStandIn | undefined;
let clients: AwsClients | undefined;
let executions = 0;

const config = restoreConfigOf(parseConfig({ account: ACCOUNT, primaryRegion: PRIMARY, drRegion: DR }));

beforeAll(async () => {
  await ensureTestCatalog(ctx.clients, DR, BUCKET);
  const fs = await ctx.clients
    .efs(DR)
    .send(new CreateFileSystemCommand({ CreationToken: 'replica-of-shared' }));
  replica = fs.FileSystemId as string;
}, 60_000);

afterEach(async () => {
  clients?.destroy();
  await standIn?.stop();
  clients = undefined;
  standIn = undefined;
});

/** The plan of a restore of shop/worker, which mounts an access point on the replica. */
function planFor(input: Record<string, unknown>): RestorePlan {
  const parsed = parseRestoreInput(input);
  return {
    input: parsed,
    clusters: [],
    logGroups: [],
    efsFileSystems: [
      {
        sourceFileSystemId: SOURCE_FS,
        drFileSystemId: replica,
        services: ['shop/worker'],
        promote: parsed.promoteFileSystems,
      },
    ],
    efsAccessPoints: [
      {
        sourceAccessPointId: SOURCE_AP,
        sourceFileSystemId: SOURCE_FS,
        drFileSystemId: replica,
        rootDirectory: { Path: '/shop/uploads' },
        posixUser: { Uid: 1000, Gid: 1000 },
        tags: [{ key: SOURCE_ID_TAG, value: SOURCE_AP }],
        services: ['shop/worker'],
      },
    ],
  } as unknown as RestorePlan;
}

interface Prepared {
  readonly result: PrepareSharedResult;
  readonly warnings: { message: string; attributes: Record<string, unknown> }[];
}

/** Stores the plan of `input` and runs PrepareShared through the stand-in. */
async function prepare(
  input: Record<string, unknown>,
  onDelete?: ReplicationStandInOptions['onDelete'],
): Promise<Prepared> {
  standIn = await startReplicationStandIn({
    target: ctx.endpoint,
    replications: {
      [replica]: replicationTo(SOURCE_FS, PRIMARY, { Region: DR, FileSystemId: replica, Status: 'ENABLED' })
        .Replications[0] as NonNullable<ReturnType<typeof replicationTo>['Replications'][number]>,
    },
    ...(onDelete ? { onDelete } : {}),
  });
  // Three attempts keep the retried no-answer case short; the classification is the same at eight.
  clients = new AwsClients({ endpoint: standIn.endpoint, maxAttempts: 3 });
  const warnings: Prepared['warnings'] = [];
  const restore = createRestoreContext(
    clients,
    { config, bucket: BUCKET },
    { log: { info: () => {}, warn: (message, attributes) => warnings.push({ message, attributes }) } },
  );
  executions += 1;
  const executionName = `efs-promotion-${executions}`;
  const run: RestoreRun = {
    executionName,
    startedAt: '2026-03-01T00:00:00Z',
    plan: planFor(input),
    allowedRoles: [],
  };
  await restore.runs.put(restoreRunKey(executionName, 'plan'), run);
  return { result: await prepareShared(restore, { executionName }), warnings };
}

async function accessPointsOnReplica(): Promise<string[]> {
  const res = await ctx.clients.efs(DR).send(new DescribeAccessPointsCommand({ FileSystemId: replica }));
  return (res.AccessPoints ?? []).map((ap) => ap.AccessPointId ?? '');
}

describe('PrepareShared promotes EFS replicas only when asked (emulator + replication stand-in)', () => {
  it('leaves replication in place on a real failover without promoteFileSystems, and still mounts the replica', async () => {
    const { result } = await prepare({ dryRun: false });

    expect(standIn?.deletes).toEqual([]);
    expect(Object.keys(standIn?.replications() ?? {})).toEqual([replica]);
    expect(result.fileSystems).toEqual({
      promoted: [],
      leftReplicating: [replica],
      notReplicating: [],
      failed: [],
    });
    expect(result.failures).toEqual([]);
    expect(result.accessPointsCreated).toBe(1);
    expect(await accessPointsOnReplica()).toHaveLength(1);
  });

  it('never deletes replication in a drill (desiredCountPercent 0)', async () => {
    const { result } = await prepare({ dryRun: false, desiredCountPercent: 0 });

    expect(standIn?.deletes).toEqual([]);
    expect(Object.keys(standIn?.replications() ?? {})).toEqual([replica]);
    expect(result.fileSystems.leftReplicating).toEqual([replica]);
  });

  it('deletes the replication in both regions with promoteFileSystems, making the replica writable', async () => {
    const { result, warnings } = await prepare({ dryRun: false, promoteFileSystems: true });

    expect(standIn?.deletes).toEqual([{ fileSystemId: replica, mode: 'ALL_CONFIGURATIONS' }]);
    expect(standIn?.replications()).toEqual({});
    expect(result.fileSystems).toEqual({
      promoted: [replica],
      leftReplicating: [],
      notReplicating: [],
      failed: [],
    });
    expect(result.failures).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it.each([
    ['AccessDenied', { status: 403, code: 'AccessDeniedException' }],
    ['a validation error', { status: 400, code: 'BadRequest' }],
    ['throttling that outlived the retries', { status: 429, code: 'ThrottlingException' }],
  ] as const)(
    'reports %s on the delete as the file system’s failure and attempts no DR-side-only delete',
    async (_, answer) => {
      const { result, warnings } = await prepare(
        { dryRun: false, promoteFileSystems: true },
        { ALL_CONFIGURATIONS: answer, LOCAL_CONFIGURATION_ONLY: 'delete' },
      );

      expect(standIn?.deletes.length).toBeGreaterThan(0);
      expect(standIn?.deletes.every((d) => d.mode === 'ALL_CONFIGURATIONS')).toBe(true);
      expect(Object.keys(standIn?.replications() ?? {})).toEqual([replica]);
      expect(result.fileSystems).toEqual({
        promoted: [],
        leftReplicating: [],
        notReplicating: [],
        failed: [replica],
      });
      expect(result.failures).toEqual([`accessPoint:${SOURCE_AP}`, `fileSystem:${replica}`]);
      const failure = warnings.find((w) => w.attributes.resource === `fileSystem:${replica}`);
      expect(String(failure?.attributes.error)).toContain(`${answer.code}: `);
      expect(String(failure?.attributes.error)).toContain('not deleted on the DR side only');
    },
  );

  it('deletes on the DR side only, and logs why, when the source region does not answer the delete', async () => {
    const { result, warnings } = await prepare(
      { dryRun: false, promoteFileSystems: true },
      { ALL_CONFIGURATIONS: 'no-answer', LOCAL_CONFIGURATION_ONLY: 'delete' },
    );

    // The SDK retried the unanswered delete (three attempts), then the DR side only was deleted.
    expect(standIn?.deletes).toEqual([
      { fileSystemId: replica, mode: 'ALL_CONFIGURATIONS' },
      { fileSystemId: replica, mode: 'ALL_CONFIGURATIONS' },
      { fileSystemId: replica, mode: 'ALL_CONFIGURATIONS' },
      { fileSystemId: replica, mode: 'LOCAL_CONFIGURATION_ONLY' },
    ]);
    expect(standIn?.replications()).toEqual({});
    expect(result.fileSystems.promoted).toEqual([replica]);
    expect(result.failures).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([
      'The primary region did not answer the delete; deleting on the DR side only',
      'Replication deleted on the DR side only (the primary region did not answer)',
    ]);
    expect(String(warnings[0]?.attributes.error)).toMatch(/ECONNRESET|socket hang up/);
  });
});
