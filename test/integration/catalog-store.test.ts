import {
  DeleteObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, CallCounter } from '../../src/aws/clients';
import { type CatalogStore, catalogStoreFor, ensureCatalogBucket } from '../../src/catalog/aws/store';
import { canonicalJson } from '../../src/catalog/checksum';
import {
  CatalogBucketNotFoundError,
  ChecksumMismatchError,
  ManifestError,
  PartialRecoveryPointError,
  RecoveryPointExistsError,
  RecoveryPointNotFoundError,
} from '../../src/catalog/errors';
import {
  newRecoveryPointId,
  recoveryPointCountsOf,
  recoveryPointKey,
  recoveryPointSummaryKey,
  reportKey,
} from '../../src/catalog/keys';
import type { Manifest } from '../../src/catalog/manifest';
import { mapConcurrent } from '../../src/kernel/concurrency';
import { ensureTestCatalog } from '../support/catalog';
import { useEmulator } from '../support/emulator';
import { DR, ManifestBuilder } from '../support/manifest-builder';

const ctx = useEmulator();

let sequence = 0;
/** A small valid manifest created `minutesAgo` before a fixed instant; ids are unique per call. */
function manifestAt(minutesAgo: number, status: 'complete' | 'partial' = 'complete'): Manifest {
  const at = new Date(Date.UTC(2026, 0, 15, 12, 0, 0) - minutesAgo * 60_000);
  sequence += 1;
  const builder = new ManifestBuilder().edit((body) => {
    body.id = newRecoveryPointId(at, () => sequence.toString(16).padStart(6, '0'));
    body.startedAt = at.toISOString();
    body.completedAt = at.toISOString();
  });
  if (status === 'partial') {
    builder.partial([
      {
        resourceType: 'image',
        resourceId: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:gone',
        code: 'ImageNotFound',
        message: 'Requested image not found',
        at: at.toISOString(),
      },
    ]);
  }
  return builder.build();
}

let bucketCount = 0;
async function freshStore(opts: { kmsKeyId?: string } = {}): Promise<{ store: CatalogStore; s3: S3Client }> {
  bucketCount += 1;
  const bucket = `lifeboat-catalog-test-${bucketCount}`;
  const s3 = ctx.clients.s3(DR);
  await ensureTestCatalog(ctx.clients, DR, bucket);
  return { store: catalogStoreFor(ctx.clients, { region: DR, bucket, ...opts }), s3 };
}

describe('ensureCatalogBucket', () => {
  it('creates a missing bucket with versioning and default encryption, then leaves it alone', async () => {
    const s3 = ctx.clients.s3(DR);
    expect(await ensureCatalogBucket(s3, 'lifeboat-catalog-ensure', DR)).toBe(true);
    expect(await ensureCatalogBucket(s3, 'lifeboat-catalog-ensure', DR)).toBe(false);

    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: 'lifeboat-catalog-ensure' }));
    expect(versioning.Status).toBe('Enabled');
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: 'lifeboat-catalog-ensure' }));
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
        ?.SSEAlgorithm,
    ).toBe('AES256');
  });

  it('configures SSE-KMS by default when given a key', async () => {
    const s3 = ctx.clients.s3(DR);
    await ensureCatalogBucket(s3, 'lifeboat-catalog-ensure-kms', DR, { kmsKeyId: 'alias/lifeboat-catalog' });
    const encryption = await s3.send(
      new GetBucketEncryptionCommand({ Bucket: 'lifeboat-catalog-ensure-kms' }),
    );
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: 'alias/lifeboat-catalog',
    });
  });
});

describe('CatalogStore.commit', () => {
  it('writes the sealed manifest under its status key and reads it back verified', async () => {
    const { store } = await freshStore();
    const manifest = manifestAt(0);

    const key = await store.commit(manifest);

    expect(key).toBe(recoveryPointKey(manifest.id, 'complete'));
    expect(await store.get(manifest.id)).toEqual(manifest);
  });

  it('never overwrites a committed recovery point', async () => {
    const { store, s3 } = await freshStore();
    const manifest = manifestAt(0);
    const key = await store.commit(manifest);

    const first = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    const written = await first.Body?.transformToString();

    await expect(store.commit(manifest)).rejects.toBeInstanceOf(RecoveryPointExistsError);
    const stored = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    expect(await stored.Body?.transformToString()).toBe(written);
    expect(JSON.parse(written ?? '{}')).toEqual({ ...manifest, signature: expect.any(Object) });
  });

  it('refuses a manifest altered after sealing and writes nothing', async () => {
    const { store } = await freshStore();
    const manifest = manifestAt(0);
    const altered = { ...manifest, completedAt: new Date(0).toISOString() };

    await expect(store.commit(altered)).rejects.toBeInstanceOf(ChecksumMismatchError);
    expect(await store.list()).toEqual([]);
  });

  it('encrypts the manifest with the configured KMS key', async () => {
    const { store, s3 } = await freshStore({ kmsKeyId: 'alias/lifeboat-catalog' });
    const key = await store.commit(manifestAt(0));

    const head = await s3.send(new HeadObjectCommand({ Bucket: store.bucket, Key: key }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toBe('alias/lifeboat-catalog');
    expect(head.ContentType).toBe('application/json');
  });

  it('fails with CatalogBucketNotFoundError when the bucket does not exist', async () => {
    const store = catalogStoreFor(ctx.clients, { region: DR, bucket: 'lifeboat-catalog-missing' });
    await expect(store.commit(manifestAt(0))).rejects.toBeInstanceOf(CatalogBucketNotFoundError);
  });
});

describe('CatalogStore.list', () => {
  it('lists newest first, filters by status and stops at the limit with one ListObjectsV2 call', async () => {
    const { store } = await freshStore();
    const oldest = manifestAt(30);
    const middle = manifestAt(20, 'partial');
    const newest = manifestAt(10);
    for (const m of [middle, oldest, newest]) await store.commit(m);

    expect((await store.list()).map((s) => s.id)).toEqual([newest.id, middle.id, oldest.id]);
    expect((await store.list({ status: 'complete' })).map((s) => s.id)).toEqual([newest.id, oldest.id]);

    const counter = new CallCounter();
    const counted = new AwsClients({ endpoint: ctx.endpoint, onCall: counter.record });
    try {
      const [first] = await catalogStoreFor(counted, { region: DR, bucket: store.bucket }).list({ limit: 1 });
      expect(first).toMatchObject({ id: newest.id, status: 'complete', createdAt: newest.startedAt });
      expect(counter.toJSON()).toEqual({ 'S3.ListObjectsV2': 1 });
    } finally {
      counted.destroy();
    }
  });

  it('pages past 1,000 keys when the newest complete recovery point is older than a full page', async () => {
    const { store, s3 } = await freshStore();
    const complete = manifestAt(2_000);
    await store.commit(complete);
    // 1,000 newer partial recovery points fill the first page; write them directly (faster than commit).
    await mapConcurrent(
      Array.from({ length: 1_000 }, (_, i) => manifestAt(i, 'partial')),
      16,
      (m) =>
        s3.send(
          new PutObjectCommand({
            Bucket: store.bucket,
            Key: recoveryPointKey(m.id, 'partial'),
            Body: canonicalJson(m),
          }),
        ),
    );

    const latest = await store.get('latest');

    expect(latest.id).toBe(complete.id);
    expect(await store.list({ status: 'complete' })).toHaveLength(1);
    expect(await store.list()).toHaveLength(1_001);
  });
});

describe('CatalogStore recovery point summaries', () => {
  it('lists 50 recovery points with the counts of their manifests from one ListObjectsV2 call and no read', async () => {
    const { store } = await freshStore();
    const committed = await mapConcurrent(
      Array.from({ length: 50 }, (_, i) => manifestAt(i, i % 7 === 0 ? 'partial' : 'complete')),
      8,
      async (m) => {
        await store.commit(m);
        return m;
      },
    );

    const counter = new CallCounter();
    const counted = new AwsClients({ endpoint: ctx.endpoint, onCall: counter.record });
    try {
      const listed = await catalogStoreFor(counted, { region: DR, bucket: store.bucket }).list();
      expect(counter.toJSON()).toEqual({ 'S3.ListObjectsV2': 1 });
      expect(listed).toHaveLength(50);
      for (const m of committed) {
        expect(listed.find((rp) => rp.id === m.id)).toMatchObject({
          status: m.status,
          counts: recoveryPointCountsOf(m),
        });
      }
      // With a limit, the page still holds the summary of the last point found.
      const [newest] = await catalogStoreFor(counted, { region: DR, bucket: store.bucket }).list({
        limit: 1,
      });
      expect(newest?.counts).toEqual(recoveryPointCountsOf(committed[0] as Manifest));
    } finally {
      counted.destroy();
    }
  });

  it('lists a point committed without a summary with no counts, and summaryCheck calls that missing, not altered', async () => {
    const { store, s3 } = await freshStore();
    const older = manifestAt(5);
    await store.commit(older);
    const [{ key: olderSummary } = { key: '' }] = (await store.list()).map((rp) => ({
      key: rp.summaryKey ?? '',
    }));
    await s3.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: olderSummary }));

    const [listed] = await store.list();
    expect(listed?.counts).toBeUndefined();
    expect(await store.summaryCheck(await store.get(older.id))).toEqual({ state: 'missing' });
  });

  it('finds a summary that disagrees with its verified manifest, and lists neither of two summaries for one point', async () => {
    const { store, s3 } = await freshStore();
    const m = manifestAt(1);
    await store.commit(m);
    const [{ summaryKey } = { summaryKey: undefined }] = await store.list();
    expect(await store.summaryCheck(await store.get(m.id))).toEqual({ state: 'match', key: summaryKey });

    const forged = recoveryPointSummaryKey({
      id: m.id,
      status: m.status,
      counts: { ...recoveryPointCountsOf(m), errors: 0, services: 0 },
      checksumPrefix: 'ffffffffffffffff',
    });
    await s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: forged, Body: '', ContentLength: 0 }));

    expect(await store.summaryCheck(await store.get(m.id))).toMatchObject({
      state: 'mismatch',
      key: forged,
      expected: { counts: recoveryPointCountsOf(m) },
      found: { counts: { services: 0 }, checksumPrefix: 'ffffffffffffffff' },
    });
    const [listed] = await store.list();
    expect(listed?.counts).toBeUndefined();
  });

  it('retires the summary with its manifest', async () => {
    const { store, s3 } = await freshStore();
    const m = manifestAt(1);
    await store.commit(m);
    const [listed] = await store.list();
    await store.retire(listed as NonNullable<typeof listed>);

    const left = await s3.send(
      new ListObjectsV2Command({ Bucket: store.bucket, Prefix: 'recovery-points/' }),
    );
    expect(left.Contents ?? []).toEqual([]);
  });
});

describe('CatalogStore.get', () => {
  it('returns the newest complete recovery point for "latest", or the newest of any status with allowPartial', async () => {
    const { store } = await freshStore();
    const olderComplete = manifestAt(30);
    const newerComplete = manifestAt(20);
    const newestPartial = manifestAt(10, 'partial');
    for (const m of [olderComplete, newestPartial, newerComplete]) await store.commit(m);

    expect((await store.get('latest')).id).toBe(newerComplete.id);
    expect((await store.get('latest', { allowPartial: true })).id).toBe(newestPartial.id);
  });

  it('refuses a partial recovery point by id unless allowPartial, and says how to accept it', async () => {
    const { store } = await freshStore();
    const partial = manifestAt(5, 'partial');
    await store.commit(partial);

    const refused = store.get(partial.id);
    await expect(refused).rejects.toBeInstanceOf(PartialRecoveryPointError);
    await expect(refused).rejects.toThrow(/allowPartial.*--allow-partial/);
    expect(await store.get(partial.id, { allowPartial: true })).toEqual(partial);
  });

  it('throws ChecksumMismatchError when the stored manifest was tampered with', async () => {
    const { store, s3 } = await freshStore();
    const manifest = manifestAt(0);
    const key = await store.commit(manifest);
    const tampered = canonicalJson({ ...manifest, source: { ...manifest.source, region: 'eu-west-1' } });
    await s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: tampered }));

    await expect(store.get(manifest.id)).rejects.toBeInstanceOf(ChecksumMismatchError);
    // "latest" passes over it and, with nothing older, says what it passed over.
    await expect(store.get('latest')).rejects.toThrow(
      new RegExp(`None of the newest 1 complete recovery points.*${manifest.id}: ChecksumMismatchError`),
    );
  });

  it('throws ManifestError when the status in the key disagrees with the manifest', async () => {
    const { store, s3 } = await freshStore();
    const partial = manifestAt(0, 'partial');
    await s3.send(
      new PutObjectCommand({
        Bucket: store.bucket,
        Key: recoveryPointKey(partial.id, 'complete'),
        Body: canonicalJson(partial),
      }),
    );

    const read = store.get(partial.id);
    await expect(read).rejects.toBeInstanceOf(ManifestError);
    await expect(read).rejects.toThrow(/stored as complete but its manifest says partial/);
  });

  it('throws ManifestError when the stored object is not JSON', async () => {
    const { store, s3 } = await freshStore();
    const manifest = manifestAt(0);
    const key = await store.commit(manifest);
    await s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: '{"truncated": ' }));

    await expect(store.get(manifest.id)).rejects.toBeInstanceOf(ManifestError);
  });

  it('throws RecoveryPointNotFoundError for an unknown id, a malformed id and an empty catalog', async () => {
    const { store } = await freshStore();

    await expect(store.get(manifestAt(0).id)).rejects.toBeInstanceOf(RecoveryPointNotFoundError);
    await expect(store.get('yesterday')).rejects.toThrow(/not a recovery point id/);
    await expect(store.get('latest')).rejects.toThrow(/no recovery points yet/);
  });

  it('explains that only partial recovery points exist when "latest" finds no complete one', async () => {
    const { store } = await freshStore();
    const partial = manifestAt(0, 'partial');
    await store.commit(partial);

    const read = store.get('latest');
    await expect(read).rejects.toBeInstanceOf(RecoveryPointNotFoundError);
    await expect(read).rejects.toThrow(new RegExp(`${partial.id} \\(partial\\).*--allow-partial`));
  });
});

describe('CatalogStore staging and reports', () => {
  let store: CatalogStore;
  beforeAll(async () => {
    ({ store } = await freshStore());
  });

  it('round-trips a staging part and answers undefined for one never written', async () => {
    const id = manifestAt(0).id;
    await store.putStaging(id, 'services-0', { services: ['shop/web'] });

    expect(await store.getStaging(id, 'services-0')).toEqual({ services: ['shop/web'] });
    expect(await store.getStaging(id, 'services-1')).toBeUndefined();
  });

  it('writes reports under restore-reports/ and rejects other keys', async () => {
    const key = reportKey(new Date('2026-01-15T12:00:00Z'), 'drill-1');
    await store.putReport(key, { ok: true });
    await expect(store.putReport('recovery-points/evil.json', {})).rejects.toThrow(/must start with/);
  });
});
