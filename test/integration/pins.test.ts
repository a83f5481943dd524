import { CreateFileSystemCommand } from '@aws-sdk/client-efs';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { runCapture } from '../../src/backup/steps';
import { PinStore } from '../../src/catalog/aws/pins';
import { ensureCatalogBucket } from '../../src/catalog/aws/store';
import { RecoveryPointNotFoundError } from '../../src/catalog/errors';
import { newRecoveryPointId, recoveryPointKey } from '../../src/catalog/keys';
import type { Manifest } from '../../src/catalog/manifest';
import { pinKey } from '../../src/catalog/pins';
import { ensureLocalKey, ensureLocalReportTopic } from '../../src/cli/aws/local-resources';
import { runLocalRestore } from '../../src/cli/runners/local-restore';
import { type LifeboatConfig, parseConfig } from '../../src/config/schema';
import type { PrepareResult } from '../../src/restore/prepare';
import type { ReportResult } from '../../src/restore/report';
import { useCliWorkspace } from '../support/cli';
import { ACCOUNT, BUCKET, DR, PRIMARY, seedFleetWithCatalog } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { startFaultProxy } from '../support/fault-proxy';

const ctx = useEmulator({ MOTO_ECS_SERVICE_RUNNING: '10' });
const cli = useCliWorkspace(ctx, { prefix: 'lifeboat-pins-', timeoutMs: 90_000 });

let bucketCount = 0;
let idCount = 0;

/** A recovery point id created `daysAgo` days ago, unique per call. */
function recoveryPointId(daysAgo = 0): string {
  idCount += 1;
  return newRecoveryPointId(new Date(Date.now() - daysAgo * 86_400_000), () =>
    idCount.toString(16).padStart(6, '0'),
  );
}

/** A manifest object under the recovery point's key: all PinStore looks for (it never reads it). */
async function putManifestObject(s3: S3Client, bucket: string, id: string): Promise<string> {
  const key = recoveryPointKey(id, 'complete');
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{}' }));
  return key;
}

async function freshBucket(opts: { objectLock?: boolean } = {}): Promise<string> {
  bucketCount += 1;
  const bucket = `lifeboat-pins-test-${bucketCount}`;
  const s3 = ctx.clients.s3(DR);
  if (opts.objectLock) {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ObjectLockEnabledForBucket: true,
        CreateBucketConfiguration: { LocationConstraint: DR },
      }),
    );
  } else {
    await ensureCatalogBucket(s3, bucket, DR);
  }
  return bucket;
}

async function legalHoldOf(bucket: string, key: string): Promise<string | undefined> {
  const res = await ctx.clients.s3(DR).send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: key }));
  return res.LegalHold?.Status;
}

describe('PinStore on the emulator', () => {
  it('pins, reads, lists and unpins a recovery point (round trip)', async () => {
    const bucket = await freshBucket();
    const s3 = ctx.clients.s3(DR);
    const pins = new PinStore(s3, bucket);
    const [older, newer] = [recoveryPointId(2), recoveryPointId(1)];
    for (const id of [older, newer]) await putManifestObject(s3, bucket, id);
    const at = new Date('2026-02-01T10:00:00.000Z');

    expect(await pins.get(older)).toBeUndefined();
    expect(await pins.list()).toEqual([]);
    const result = await pins.pin(older, { execution: 'failover-1', services: ['shop/web', 'shop/api'], at });
    expect(result).toMatchObject({ created: true, changed: true, legalHold: 'no-object-lock' });
    expect(result.manifestKey).toBe(recoveryPointKey(older, 'complete'));
    const record = {
      recoveryPointId: older,
      pinnedAt: at.toISOString(),
      executions: ['failover-1'],
      services: ['shop/api', 'shop/web'],
    };
    expect(result.record).toEqual(record);
    expect(await pins.get(older)).toEqual(record);
    await pins.pin(newer, { at });
    expect((await pins.list()).map((p) => p.recoveryPointId)).toEqual([newer, older]);

    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: pinKey(older) }));
    expect(JSON.parse((await stored.Body?.transformToString()) ?? '')).toEqual(record);

    expect(await pins.unpin(older)).toBe(true);
    expect(await pins.unpin(older)).toBe(false);
    expect(await pins.get(older)).toBeUndefined();
    expect((await pins.list()).map((p) => p.recoveryPointId)).toEqual([newer]);
  });

  it('merges a second pin into the first (union) and writes nothing for the same pin again', async () => {
    const bucket = await freshBucket();
    const s3 = ctx.clients.s3(DR);
    const pins = new PinStore(s3, bucket);
    const id = recoveryPointId();
    await putManifestObject(s3, bucket, id);
    const first = new Date('2026-02-01T10:00:00.000Z');
    await pins.pin(id, { execution: 'e1', services: ['shop/web'], at: first });
    const second = await pins.pin(id, {
      execution: 'e2',
      services: ['shop/api', 'shop/web'],
      at: new Date('2026-02-02T10:00:00.000Z'),
    });
    expect(second).toMatchObject({ created: false, changed: true });
    expect(second.record).toEqual({
      recoveryPointId: id,
      pinnedAt: first.toISOString(),
      executions: ['e1', 'e2'],
      services: ['shop/api', 'shop/web'],
    });
    const etag = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: pinKey(id) }))).ETag;
    const again = await pins.pin(id, { execution: 'e2', services: ['shop/web'] });
    expect(again).toMatchObject({ created: false, changed: false, record: second.record });
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: pinKey(id) }))).ETag).toBe(etag);
  });

  it('loses no execution when restores pin one recovery point at once (conditional writes)', async () => {
    const bucket = await freshBucket();
    const s3 = ctx.clients.s3(DR);
    const pins = new PinStore(s3, bucket);
    const id = recoveryPointId();
    await putManifestObject(s3, bucket, id);
    const executions = ['c1', 'c2', 'c3', 'c4'];
    await Promise.all(executions.map((e) => pins.pin(id, { execution: e, services: [`shop/${e}`] })));
    expect((await pins.get(id))?.executions).toEqual(executions);
    expect((await pins.get(id))?.services).toEqual(executions.map((e) => `shop/${e}`));
  });

  it('lists a record that does not parse as damaged, still pinned; pinning again repairs it', async () => {
    const bucket = await freshBucket();
    const s3 = ctx.clients.s3(DR);
    const pins = new PinStore(s3, bucket);
    const [broken, foreign] = [recoveryPointId(), recoveryPointId()];
    for (const id of [broken, foreign]) await putManifestObject(s3, bucket, id);
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: pinKey(broken), Body: '{"recoveryPointId": "rp-' }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: pinKey(foreign),
        Body: JSON.stringify({
          recoveryPointId: foreign,
          pinnedAt: 'yesterday',
          executions: [],
          services: [],
        }),
      }),
    );
    // Not a pin key: ignored.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'pins/notes.txt', Body: 'x' }));

    const listed = await pins.list();
    expect(listed.map((p) => [p.recoveryPointId, p.damaged, p.services])).toEqual(
      [
        [broken, true, []],
        [foreign, true, []],
      ].sort((a, b) => (String(a[0]) < String(b[0]) ? 1 : -1)),
    );
    for (const pin of listed) {
      expect(pin.problem).toBeTruthy();
      expect(Number.isNaN(Date.parse(pin.pinnedAt))).toBe(false);
    }
    expect(await pins.get(broken)).toMatchObject({ damaged: true });

    const repaired = await pins.pin(broken, { execution: 'e1', services: ['shop/web'] });
    expect(repaired.created).toBe(false);
    expect(await pins.get(broken)).toEqual(repaired.record);
    expect(await pins.unpin(foreign)).toBe(true);
  });

  it('refuses to pin a recovery point that is not committed, and writes nothing', async () => {
    const bucket = await freshBucket();
    const pins = new PinStore(ctx.clients.s3(DR), bucket);
    const id = recoveryPointId();
    await expect(pins.pin(id, { execution: 'e1' })).rejects.toBeInstanceOf(RecoveryPointNotFoundError);
    expect(await pins.list()).toEqual([]);
    await expect(pins.pin('rp-nope')).rejects.toThrow(/not a recovery point id/);
  });

  it('puts a legal hold on the manifest on a bucket with Object Lock, and releases it on unpin', async () => {
    const bucket = await freshBucket({ objectLock: true });
    const s3 = ctx.clients.s3(DR);
    const pins = new PinStore(s3, bucket);
    const id = recoveryPointId();
    const key = await putManifestObject(s3, bucket, id);

    const result = await pins.pin(id, { execution: 'e1', services: ['shop/web'] });
    expect(result.legalHold).toBe('on');
    expect(await legalHoldOf(bucket, key)).toBe('ON');
    expect(await pins.unpin(id)).toBe(true);
    expect(await legalHoldOf(bucket, key)).toBe('OFF');
    expect(await pins.get(id)).toBeUndefined();
  });

  it('skips the legal hold on a bucket without Object Lock (the pin record alone protects)', async () => {
    const bucket = await freshBucket();
    const s3 = ctx.clients.s3(DR);
    const pins = new PinStore(s3, bucket);
    const id = recoveryPointId();
    await putManifestObject(s3, bucket, id);
    expect((await pins.pin(id, { execution: 'e1' })).legalHold).toBe('no-object-lock');
    expect(await pins.unpin(id)).toBe(true);
  });

  it('writes pins with SSE-KMS when given a key', async () => {
    const bucket = await freshBucket();
    const s3 = ctx.clients.s3(DR);
    const kmsKeyId = await ensureLocalKey(ctx.clients.kms(DR), 'alias/lifeboat-pins-test');
    const pins = new PinStore(s3, bucket, { kmsKeyId });
    const id = recoveryPointId();
    await putManifestObject(s3, bucket, id);
    await pins.pin(id, { execution: 'e1' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: pinKey(id) }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
  });

  it('reads a pin again when the connection is cut mid-body', async () => {
    const bucket = await freshBucket();
    const s3 = ctx.clients.s3(DR);
    const id = recoveryPointId();
    await putManifestObject(s3, bucket, id);
    await new PinStore(s3, bucket).pin(id, { execution: 'e1', services: ['shop/web', 'shop/api'] });
    const proxy = await startFaultProxy({
      target: ctx.endpoint,
      seed: 7,
      rules: [{ match: 'S3.GetObject', drop: 1, dropPhases: ['mid-body'], maxFaultsPerRequest: 1 }],
    });
    const clients = new AwsClients({ endpoint: proxy.endpoint });
    try {
      const pins = new PinStore(clients.s3(DR), bucket);
      expect((await pins.get(id))?.services).toEqual(['shop/api', 'shop/web']);
      expect(proxy.stats().faults['drop-mid-body']).toBe(1);
    } finally {
      clients.destroy();
      await proxy.stop();
    }
  });
});

describe('restores pin the recovery point they use', () => {
  let config: LifeboatConfig;
  let topicArn: string;
  let first: Manifest;
  let second: Manifest;
  let pins: PinStore;
  /** A committed recovery point pinned for a service the restores below never restore. */
  let elsewhere: string;
  /** A committed recovery point pinned by hand (no service). */
  let byHand: string;

  const run = (input: unknown, executionName: string) =>
    runLocalRestore({
      clients: ctx.clients,
      config,
      bucket: BUCKET,
      topicArn,
      input,
      waitTimeScale: 0,
      executionName,
    });

  beforeAll(async () => {
    const fleet = await seedFleetWithCatalog(ctx.clients);
    topicArn = await ensureLocalReportTopic(ctx.clients, DR);
    // EFS replication is missing from the emulator: the DR file system is mapped explicitly.
    const drFs = await ctx.clients
      .efs(DR)
      .send(new CreateFileSystemCommand({ CreationToken: 'lifeboat-pins-dr' }));
    config = parseConfig({
      account: ACCOUNT,
      primaryRegion: PRIMARY,
      drRegion: DR,
      mappings: { efsFileSystems: { [fleet.efs.fileSystemId]: drFs.FileSystemId as string } },
    });
    first = (await runCapture({ clients: ctx.clients, config, bucket: BUCKET })).manifest;
    second = (await runCapture({ clients: ctx.clients, config, bucket: BUCKET })).manifest;
    expect([first.status, second.status], JSON.stringify(first.errors)).toEqual(['complete', 'complete']);
    expect(second.id > first.id).toBe(true);
    pins = new PinStore(ctx.clients.s3(DR), BUCKET);
    elsewhere = recoveryPointId(400);
    byHand = recoveryPointId(401);
    for (const id of [elsewhere, byHand]) await putManifestObject(ctx.clients.s3(DR), BUCKET, id);
    await pins.pin(elsewhere, { execution: 'old-failover', services: ['shop/cache', 'payments/ledger'] });
    await pins.pin(byHand, {});
  }, 300_000);

  it('a dry run pins nothing', async () => {
    const result = await run({ dryRun: true, recoveryPoint: first.id }, 'pins-dry-run');
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as PrepareResult).pinned).toBeUndefined();
    expect(await pins.get(first.id)).toBeUndefined();
  });

  it('a restore pins its recovery point with its execution and services before changing anything', async () => {
    let pinAtShared: Promise<unknown> | undefined;
    const result = await runLocalRestore({
      clients: ctx.clients,
      config,
      bucket: BUCKET,
      topicArn,
      input: { dryRun: false, recoveryPoint: first.id, services: ['shop/cache', 'shop/api'] },
      waitTimeScale: 0,
      executionName: 'pins-failover-1',
      onEvent: (event) => {
        // Read the pin as the first step that changes the DR region starts.
        if (pinAtShared === undefined && JSON.stringify(event).includes('PrepareShared')) {
          pinAtShared = pins.get(first.id);
        }
      },
    });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(await pinAtShared).toMatchObject({ executions: ['pins-failover-1'] });
    expect(await pins.get(first.id)).toMatchObject({
      recoveryPointId: first.id,
      executions: ['pins-failover-1'],
      services: ['shop/api', 'shop/cache'],
    });
    const report = (result.output as ReportResult).report;
    expect(report.outcome).toBe('RESTORED');
    expect(report.pinned).toBe(first.id);
    expect(report.unpinned).toEqual([]);
    const stored = await ctx.clients
      .s3(DR)
      .send(new GetObjectCommand({ Bucket: BUCKET, Key: (result.output as ReportResult).reportKey }));
    expect(JSON.parse((await stored.Body?.transformToString()) ?? '{}')).toMatchObject({
      pinned: first.id,
      unpinned: [],
    });
  });

  it('restoring the same recovery point again keeps it pinned and adds the execution', async () => {
    const result = await run(
      { dryRun: false, recoveryPoint: first.id, services: ['shop/cache', 'shop/api'] },
      'pins-failover-2',
    );
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const report = (result.output as ReportResult).report;
    expect(report.pinned).toBe(first.id);
    expect(report.unpinned).toEqual([]);
    expect((await pins.get(first.id))?.executions).toEqual(['pins-failover-1', 'pins-failover-2']);
  });

  it('a later restore of every service a pin names unpins that recovery point, and only that one', async () => {
    const result = await run(
      { dryRun: false, recoveryPoint: second.id, services: ['shop/cache', 'shop/api', 'shop/web'] },
      'pins-failover-3',
    );
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const report = (result.output as ReportResult).report;
    expect(report.outcome).toBe('RESTORED');
    expect(report.pinned).toBe(second.id);
    expect(report.unpinned).toEqual([first.id]);
    expect(await pins.get(first.id)).toBeUndefined();
    expect(await pins.get(second.id)).toMatchObject({
      executions: ['pins-failover-3'],
      services: ['shop/api', 'shop/cache', 'shop/web'],
    });
    // payments/ledger was not restored: that pin stays; a pin by hand stays until unpinned.
    expect(await pins.get(elsewhere)).toMatchObject({ services: ['payments/ledger', 'shop/cache'] });
    expect(await pins.get(byHand)).toMatchObject({ services: [] });
  });

  describe('lifeboat recovery-points pin / unpin / pins (the binary)', () => {
    it('pins lists every pin as JSON', async () => {
      const { code, stdout, stderr } = await cli.lifeboat(
        cli.onEmulator('recovery-points', 'pins', '--json'),
      );
      expect(code, stderr).toBe(0);
      const doc = JSON.parse(stdout);
      expect(doc.catalog).toEqual({ bucket: BUCKET, region: DR });
      expect(doc.pins.map((p: { recoveryPointId: string }) => p.recoveryPointId)).toEqual([
        second.id,
        elsewhere,
        byHand,
      ]);
    });

    it('pin pins a recovery point by hand; pinning it again changes nothing', async () => {
      const once = await cli.lifeboat(cli.onEmulator('recovery-points', 'pin', first.id, '--json'));
      expect(once.code, once.stderr).toBe(0);
      expect(JSON.parse(once.stdout)).toMatchObject({
        created: true,
        legalHold: 'no-object-lock',
        pin: { recoveryPointId: first.id, executions: [], services: [] },
      });
      const twice = await cli.lifeboat(cli.onEmulator('recovery-points', 'pin', first.id));
      expect(twice.code, twice.stderr).toBe(0);
      expect(twice.stdout).toContain(`${first.id} was already pinned`);
    });

    it('unpin removes the pin and says retention still keeps a young recovery point', async () => {
      const { code, stdout, stderr } = await cli.lifeboat(
        cli.onEmulator('recovery-points', 'unpin', first.id),
      );
      expect(code, stderr).toBe(0);
      expect(stdout).toContain(`Unpinned ${first.id}`);
      expect(stdout).toContain('Retention still keeps it for now');
      expect(await pins.get(first.id)).toBeUndefined();
    });

    it('unpin of an old recovery point says retention may now delete it (JSON)', async () => {
      const { code, stdout, stderr } = await cli.lifeboat(
        cli.onEmulator('recovery-points', 'unpin', byHand, '--json'),
      );
      expect(code, stderr).toBe(0);
      const doc = JSON.parse(stdout);
      expect(doc).toMatchObject({ recoveryPointId: byHand, unpinned: true, retention: { mayDelete: true } });
      expect(doc.retention.keptBy).toEqual([]);
    });

    it('unpin of a recovery point that is not pinned changes nothing (exit 0)', async () => {
      const { code, stdout } = await cli.lifeboat(
        cli.onEmulator('recovery-points', 'unpin', first.id, '--json'),
      );
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ recoveryPointId: first.id, unpinned: false });
    });

    it('pin and unpin of an unknown recovery point exit 3; a malformed id exits 2', async () => {
      const unknown = 'rp-20200101T000000000Z-000000';
      for (const command of ['pin', 'unpin']) {
        const { code, stdout, stderr } = await cli.lifeboat(
          cli.onEmulator('recovery-points', command, unknown, '--json'),
        );
        expect(code, stderr).toBe(3);
        expect(JSON.parse(stdout).error).toMatchObject({ name: 'RecoveryPointNotFoundError', exitCode: 3 });
      }
      const bad = await cli.lifeboatInProcess(cli.onEmulator('recovery-points', 'pin', 'latest'));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('must be a recovery point id');
    });

    it('pins exits 1 and names a damaged pin, which still pins its recovery point', async () => {
      await ctx.clients
        .s3(DR)
        .send(new PutObjectCommand({ Bucket: BUCKET, Key: pinKey(elsewhere), Body: 'not json' }));
      const { code, stdout } = await cli.lifeboat(cli.onEmulator('recovery-points', 'pins'));
      expect(code).toBe(1);
      expect(stdout).toMatch(new RegExp(`${elsewhere}\\s.*damaged`));
      expect(stdout).toContain(`damaged ${elsewhere}: the record is not valid JSON; it stays pinned`);
      const listed = await ctx.clients
        .s3(DR)
        .send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'pins/' }));
      expect(listed.Contents?.map((o) => o.Key)).toContain(pinKey(elsewhere));
    });

    it('prune --dry-run shows what retention keeps and why, and changes nothing', async () => {
      const before = await ctx.clients
        .s3(DR)
        .send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'recovery-points/' }));
      const { code, stdout, stderr } = await cli.lifeboat(
        cli.onEmulator('recovery-points', 'prune', '--dry-run', '--json'),
      );
      const doc = JSON.parse(stdout);
      // Exit 1 exactly when some recovery point does not verify (this catalog holds unsigned placeholders).
      expect(code, stderr).toBe(doc.unverified.length > 0 ? 1 : 0);
      expect(doc.dryRun).toBe(true);
      expect(doc.keep.map((d: { id: string }) => d.id)).toContain(second.id);
      expect(doc.keep.find((d: { id: string }) => d.id === elsewhere)?.reasons).toContain('pinned');
      expect(doc.result).toBeUndefined();
      const after = await ctx.clients
        .s3(DR)
        .send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'recovery-points/' }));
      expect(after.Contents?.map((o) => o.Key)).toEqual(before.Contents?.map((o) => o.Key));
    });

    it('prune without --dry-run against AWS is refused (exit 2): only the retention role may delete', async () => {
      const { code, stderr } = await cli.lifeboatInProcess([
        'recovery-points',
        'prune',
        '--config',
        'lifeboat.json',
      ]);
      expect(code).toBe(2);
      expect(stderr).toContain('retention role');
    });
  });
});
