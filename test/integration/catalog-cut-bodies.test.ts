import { ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { PinStore } from '../../src/catalog/aws/pins';
import { RetiredRecords } from '../../src/catalog/aws/retired';
import { RunStore } from '../../src/catalog/aws/run-store';
import { catalogStoreFor } from '../../src/catalog/aws/store';
import { CatalogError, PinError, RecoveryPointExistsError, RunDocumentError } from '../../src/catalog/errors';
import { newRecoveryPointId, recoveryPointKey, restoreRunKey } from '../../src/catalog/keys';
import type { Manifest } from '../../src/catalog/manifest';
import type { RetiredRecord } from '../../src/catalog/retired';
import { ensureTestCatalog } from '../support/catalog';
import { useEmulator } from '../support/emulator';
import { type FaultProxy, type FaultRule, startFaultProxy } from '../support/fault-proxy';
import { DR, ManifestBuilder } from '../support/manifest-builder';

/**
 * Every catalog read of an object body, over the wire through the fault proxy: the SDK retries a
 * request, not a body whose connection broke after the headers, so each store reads such a body
 * again (`readObjectText`) and fails with its own error only when every read was cut. And the
 * commit of a manifest whose PUT response was lost after S3 stored it.
 */
const ctx = useEmulator();

/** Each GetObject (by its content) has its body cut halfway once; the next read goes through. */
const CUT_ONCE: FaultRule = {
  match: 'S3.GetObject',
  drop: 1,
  dropPhases: ['mid-body'],
  maxFaultsPerRequest: 1,
};
/** Every GetObject has its body cut halfway. */
const CUT_ALWAYS: FaultRule = { match: 'S3.GetObject', drop: 1, dropPhases: ['mid-body'] };

let buckets = 0;
async function freshBucket(): Promise<string> {
  buckets += 1;
  const bucket = `lifeboat-cut-bodies-${buckets}`;
  await ensureTestCatalog(ctx.clients, DR, bucket);
  return bucket;
}

/** Runs `fn` with clients that reach the emulator through a fault proxy applying `rules`. */
async function throughProxy<T>(
  rules: readonly FaultRule[],
  fn: (clients: AwsClients, proxy: FaultProxy) => Promise<T>,
): Promise<T> {
  const proxy = await startFaultProxy({ target: ctx.endpoint, seed: 14, rules });
  const clients = new AwsClients({ endpoint: proxy.endpoint });
  try {
    return await fn(clients, proxy);
  } finally {
    clients.destroy();
    await proxy.stop();
  }
}

let sequence = 0;
function manifest(edit: (body: { completedAt: string }) => void = () => {}): Manifest {
  sequence += 1;
  const at = new Date(Date.UTC(2026, 2, 1, 12, 0, 0) - sequence * 60_000);
  const id = newRecoveryPointId(at, () => sequence.toString(16).padStart(6, '0'));
  return new ManifestBuilder()
    .edit((body) => {
      body.id = id;
      body.startedAt = at.toISOString();
      body.completedAt = at.toISOString();
      edit(body);
    })
    .build();
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('RunStore.get on a cut body', () => {
  const plan = { executionName: 'failover-1', services: ['shop/web', 'shop/api'], waves: [[0], [1]] };

  it('reads plan.json again when its body is cut once, and returns the whole document', async () => {
    const bucket = await freshBucket();
    const key = restoreRunKey('failover-1', 'plan');
    await new RunStore(ctx.clients.s3(DR), bucket).put(key, plan);

    await throughProxy([CUT_ONCE], async (clients, proxy) => {
      expect(await new RunStore(clients.s3(DR), bucket).get(key)).toEqual(plan);
      expect(proxy.stats().faults['drop-mid-body']).toBe(1);
    });
  });

  it('fails with RunDocumentError (read) when every read is cut', async () => {
    const bucket = await freshBucket();
    const key = restoreRunKey('failover-2', 'plan');
    await new RunStore(ctx.clients.s3(DR), bucket).put(key, plan);

    await throughProxy([CUT_ALWAYS], async (clients, proxy) => {
      const error = await failure(() => new RunStore(clients.s3(DR), bucket).get(key));
      expect(error).toBeInstanceOf(RunDocumentError);
      expect(error).toMatchObject({ key, operation: 'read' });
      expect(proxy.stats().faults['drop-mid-body']).toBeGreaterThanOrEqual(3);
    });
  });
});

describe('CatalogStore.get on a cut manifest body', () => {
  it('reads the manifest again when its body is cut once, and returns it verified', async () => {
    const bucket = await freshBucket();
    const committed = manifest();
    await catalogStoreFor(ctx.clients, { region: DR, bucket }).commit(committed);

    await throughProxy([CUT_ONCE], async (clients, proxy) => {
      expect(await catalogStoreFor(clients, { region: DR, bucket }).get(committed.id)).toEqual(committed);
      expect(proxy.stats().faults['drop-mid-body']).toBe(1);
    });
  });

  it('fails with CatalogError naming the manifest when every read is cut', async () => {
    const bucket = await freshBucket();
    const committed = manifest();
    await catalogStoreFor(ctx.clients, { region: DR, bucket }).commit(committed);

    await throughProxy([CUT_ALWAYS], async (clients) => {
      const error = await failure(() => catalogStoreFor(clients, { region: DR, bucket }).get(committed.id));
      expect(error).toBeInstanceOf(CatalogError);
      expect((error as Error).message).toContain(
        `Could not read s3://${bucket}/${recoveryPointKey(committed.id, 'complete')}`,
      );
    });
  });
});

describe('PinStore on a cut pin body', () => {
  async function pinned(): Promise<{ bucket: string; id: string }> {
    const bucket = await freshBucket();
    const committed = manifest();
    await catalogStoreFor(ctx.clients, { region: DR, bucket }).commit(committed);
    await new PinStore(ctx.clients.s3(DR), bucket).pin(committed.id, {
      execution: 'failover-1',
      services: ['shop/web'],
    });
    return { bucket, id: committed.id };
  }

  it('reads each pin again when its body is cut once: get and list see the whole record', async () => {
    const { bucket, id } = await pinned();

    await throughProxy([CUT_ONCE], async (clients, proxy) => {
      const pins = new PinStore(clients.s3(DR), bucket);
      expect(await pins.get(id)).toMatchObject({ recoveryPointId: id, services: ['shop/web'] });
      expect((await pins.list()).map((p) => p.recoveryPointId)).toEqual([id]);
      expect(proxy.stats().faults['drop-mid-body']).toBe(1);
    });
  });

  it('fails with PinError when every read is cut', async () => {
    const { bucket, id } = await pinned();

    await throughProxy([CUT_ALWAYS], async (clients) => {
      const error = await failure(() => new PinStore(clients.s3(DR), bucket).get(id));
      expect(error).toBeInstanceOf(PinError);
      expect(error).toMatchObject({ recoveryPointId: id });
    });
  });
});

describe('RetiredRecords.list on cut bodies', () => {
  async function withRecords(count: number): Promise<{ bucket: string; records: RetiredRecord[] }> {
    const bucket = await freshBucket();
    const retired = new RetiredRecords(ctx.clients.s3(DR), bucket);
    const records: RetiredRecord[] = [];
    for (let i = 0; i < count; i += 1) {
      const record: RetiredRecord = {
        recoveryPointId: manifest().id,
        retiredAt: '2026-03-01T12:00:00.000Z',
        snapshots: [{ region: DR, snapshotId: `snap-${i.toString().padStart(17, '0')}` }],
      };
      await retired.put(record);
      records.push(record);
    }
    return { bucket, records };
  }

  it('reads every record again whose body is cut once, and lists them all, in key order', async () => {
    const { bucket, records } = await withRecords(12);

    await throughProxy([CUT_ONCE], async (clients, proxy) => {
      const listed = await new RetiredRecords(clients.s3(DR), bucket).list();
      const byKey = [...records].sort((a, b) => (a.recoveryPointId < b.recoveryPointId ? -1 : 1));
      expect(listed).toEqual({ records: byKey, damaged: [] });
      expect(proxy.stats().faults['drop-mid-body']).toBe(12);
    });
  });

  it('fails with CatalogError naming the record when every read is cut', async () => {
    const { bucket } = await withRecords(1);

    await throughProxy([CUT_ALWAYS], async (clients) => {
      const error = await failure(() => new RetiredRecords(clients.s3(DR), bucket).list());
      expect(error).toBeInstanceOf(CatalogError);
      expect((error as Error).message).toMatch(/^Could not read retired\/.+ in catalog bucket/);
    });
  });
});

describe('CatalogStore.commit when the PUT response is lost', () => {
  /**
   * The manifest's PUT reaches S3 and is stored; its response is cut, so the SDK sends it again.
   * (The zero-byte summary PUT that follows a commit has no body to match.)
   */
  const LOSE_PUT_RESPONSE: FaultRule = {
    match: 'S3.PutObject',
    bodyMatch: /"checksum"/,
    drop: 1,
    dropPhases: ['response'],
    maxFaultsPerRequest: 1,
  };

  it('recognises its own manifest on the retried PUT (412) and returns the key; one version is stored', async () => {
    const bucket = await freshBucket();
    const committed = manifest();

    const key = await throughProxy([LOSE_PUT_RESPONSE], async (clients, proxy) => {
      const stored = await catalogStoreFor(clients, { region: DR, bucket }).commit(committed);
      expect(proxy.stats().faults['drop-response']).toBe(1);
      // The manifest twice (the retry meets its own object), then its summary once.
      expect(proxy.stats().calls['S3.PutObject']).toBe(3);
      return stored;
    });

    expect(key).toBe(recoveryPointKey(committed.id, 'complete'));
    const versions = await ctx.clients
      .s3(DR)
      .send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    expect(versions.Versions).toHaveLength(1);
    const store = catalogStoreFor(ctx.clients, { region: DR, bucket });
    expect((await store.list()).map((s) => s.id)).toEqual([committed.id]);
    expect(await store.get(committed.id)).toEqual(committed);
  });

  it('refuses with RecoveryPointExistsError when another manifest sits at the key, retried PUT or not', async () => {
    const bucket = await freshBucket();
    const ours = manifest();
    const key = recoveryPointKey(ours.id, 'complete');
    const theirs = '{"id":"not this commit"}';
    await ctx.clients.s3(DR).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: theirs }));

    await throughProxy([LOSE_PUT_RESPONSE], async (clients, proxy) => {
      const error = await failure(() => catalogStoreFor(clients, { region: DR, bucket }).commit(ours));
      expect(error).toBeInstanceOf(RecoveryPointExistsError);
      // The SDK did retry (the first 412 was cut), so the store read the key back and compared.
      expect(proxy.stats().calls['S3.PutObject']).toBe(2);
      expect(proxy.stats().calls['S3.GetObject']).toBe(1);
    });
    const versions = await ctx.clients
      .s3(DR)
      .send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    expect(versions.Versions).toHaveLength(1);
  });
});
