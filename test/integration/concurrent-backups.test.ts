import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { runCapture } from '../../src/backup/steps';
import { type CatalogStore, catalogStoreFor } from '../../src/catalog/aws/store';
import { RECOVERY_POINT_PREFIX, STAGING_PREFIX } from '../../src/catalog/keys';
import { parseConfig } from '../../src/config/schema';
import { BUCKET, CONFIG_INPUT, DR, seedFleetWithCatalog } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { manifestContent } from '../support/manifest-content';

const config = parseConfig(CONFIG_INPUT);

const ctx = useEmulator();

beforeAll(async () => {
  await seedFleetWithCatalog(ctx.clients);
}, 300_000);

function store(): CatalogStore {
  return catalogStoreFor(ctx.clients, { region: DR, bucket: BUCKET });
}

async function keysUnder(prefix: string): Promise<string[]> {
  const res = await ctx.clients.s3(DR).send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (res.Contents ?? []).flatMap((o) => o.Key ?? []);
}

/** Every committed recovery point reads back verified (checksum, schema, status in the key). */
async function expectCatalogConsistent(): Promise<void> {
  const listed = await store().list();
  for (const rp of listed) {
    const manifest = await store().get(rp.id, { allowPartial: true });
    expect(manifest.status).toBe(rp.status);
  }
  expect(new Set(listed.map((rp) => rp.id)).size).toBe(listed.length);
  // A manifest and its summary object per recovery point, nothing else.
  expect(await keysUnder(RECOVERY_POINT_PREFIX)).toHaveLength(2 * listed.length);
  expect(listed.every((rp) => rp.counts !== undefined)).toBe(true);
  expect(await keysUnder(STAGING_PREFIX)).toEqual([]);
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('overlapping backups', () => {
  it('commits two distinct verified recovery points when a capture starts while another is running', async () => {
    // Slow every call down so the first capture is still describing when the second starts.
    const proxy: FaultProxy = await startFaultProxy({
      target: ctx.endpoint,
      seed: 1,
      rules: [{ match: '*', latencyMs: [20, 40] }],
    });
    const clients = new AwsClients({ endpoint: proxy.endpoint });
    try {
      const before = await store().list();

      const first = runCapture({ clients, config, bucket: BUCKET, efsEmulatorFallback: true });
      await until(() => proxy.stats().totalCalls >= 3);
      const second = runCapture({ clients, config, bucket: BUCKET, efsEmulatorFallback: true });
      const [a, b] = await Promise.all([first, second]);

      expect(Date.parse(b.manifest.startedAt)).toBeLessThan(Date.parse(a.manifest.completedAt));
      expect(a.manifest.id).not.toBe(b.manifest.id);
      expect(a.key).not.toBe(b.key);
      expect(await store().get(a.manifest.id)).toEqual(a.manifest);
      expect(await store().get(b.manifest.id)).toEqual(b.manifest);
      expect(manifestContent(b.manifest)).toEqual(manifestContent(a.manifest));
      const after = await store().list();
      expect(after.map((rp) => rp.id).sort()).toEqual(
        [...before.map((rp) => rp.id), a.manifest.id, b.manifest.id].sort(),
      );
      // "latest" is the capture that started last, whichever committed last.
      expect((await store().get('latest')).id).toBe(b.manifest.id);
      await expectCatalogConsistent();
    } finally {
      clients.destroy();
      await proxy.stop();
    }
  });

  it('commits two recovery points when two captures start in the same millisecond', async () => {
    const startedAt = new Date();
    const now = () => startedAt;

    const [a, b] = await Promise.all([
      runCapture({ clients: ctx.clients, config, bucket: BUCKET, now, efsEmulatorFallback: true }),
      runCapture({ clients: ctx.clients, config, bucket: BUCKET, now, efsEmulatorFallback: true }),
    ]);

    // Same creation time in the id and key; the random suffix keeps them apart.
    expect(a.manifest.startedAt).toBe(b.manifest.startedAt);
    expect(a.manifest.id).not.toBe(b.manifest.id);
    expect(a.key).not.toBe(b.key);
    expect(await store().get(a.manifest.id)).toEqual(a.manifest);
    expect(await store().get(b.manifest.id)).toEqual(b.manifest);
    expect([a.manifest.id, b.manifest.id]).toContain((await store().get('latest')).id);
    await expectCatalogConsistent();
  });
});
