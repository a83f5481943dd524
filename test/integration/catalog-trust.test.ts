import { CreateKeyCommand, GenerateMacCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { type CatalogStore, catalogStoreFor, type SkippedRecoveryPoint } from '../../src/catalog/aws/store';
import { canonicalJson, sealManifest } from '../../src/catalog/checksum';
import { SignatureMismatchError, UnsignedManifestError } from '../../src/catalog/errors';
import { newRecoveryPointId, RECOVERY_POINT_PREFIX, recoveryPointKey } from '../../src/catalog/keys';
import type { Manifest } from '../../src/catalog/manifest';
import { signingPayload } from '../../src/catalog/signature';
import { ensureTestCatalog } from '../support/catalog';
import { useEmulator } from '../support/emulator';
import { DR, ManifestBuilder } from '../support/manifest-builder';

/**
 * The catalog as an attacker with write access to the bucket (but not to the signing key) and a
 * careless operator would try it: every manifest is signed at commit and verified on read, and
 * "latest" is the newest one that verifies.
 */
const ctx = useEmulator();

const ADMIN_ROLE = 'arn:aws:iam::123456789012:role/Admin';
const FORGED_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web@sha256:'.concat('f'.repeat(64));

let sequence = 0;
function manifestDaysAgo(days: number): Manifest {
  const at = new Date(Date.UTC(2026, 5, 30) - days * 86_400_000);
  sequence += 1;
  return new ManifestBuilder()
    .service('shop/web')
    .edit((body) => {
      body.id = newRecoveryPointId(at, () => sequence.toString(16).padStart(6, '0'));
      body.startedAt = at.toISOString();
      body.completedAt = at.toISOString();
    })
    .build();
}

let buckets = 0;
async function freshCatalog(): Promise<CatalogStore> {
  buckets += 1;
  const bucket = `lifeboat-catalog-trust-${buckets}`;
  await ensureTestCatalog(ctx.clients, DR, bucket);
  return catalogStoreFor(ctx.clients, { region: DR, bucket });
}

async function putRaw(store: CatalogStore, key: string, body: string): Promise<void> {
  await ctx.clients.s3(DR).send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: body }));
}

async function readRaw(store: CatalogStore, key: string): Promise<string> {
  const res = await ctx.clients.s3(DR).send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
  return (await res.Body?.transformToString()) ?? '';
}

/** The genuine manifest with another image and an admin task role, re-sealed with a fresh checksum. */
function forge(genuine: Manifest): Manifest {
  const { checksum: _checksum, signature: _signature, ...body } = structuredClone(genuine);
  const [definition] = body.taskDefinitions;
  if (!definition) throw new Error('fixture has no task definition');
  definition.registerInput.taskRoleArn = ADMIN_ROLE;
  const [container] = definition.registerInput.containerDefinitions;
  if (container) container.image = FORGED_IMAGE;
  return sealManifest(body);
}

describe('signed recovery points', () => {
  it('refuses a re-sealed manifest with another image and an admin task role, and "latest" uses the genuine one before it', async () => {
    const store = await freshCatalog();
    const older = manifestDaysAgo(2);
    const newest = manifestDaysAgo(1);
    await store.commit(older);
    const key = await store.commit(newest);
    const genuine = JSON.parse(await readRaw(store, key)) as Manifest;
    // The attacker keeps the genuine signature: it does not cover the forged content.
    await putRaw(store, key, canonicalJson({ ...forge(genuine), signature: genuine.signature }));

    await expect(store.get(newest.id)).rejects.toBeInstanceOf(SignatureMismatchError);
    const skipped: SkippedRecoveryPoint[] = [];
    const latest = await store.get('latest', { onSkipped: (s) => skipped.push(s) });
    expect(latest.id).toBe(older.id);
    expect(JSON.stringify(latest)).not.toContain(ADMIN_ROLE);
    expect(skipped).toEqual([expect.objectContaining({ id: newest.id, code: 'SignatureMismatchError' })]);
  });

  it('refuses a manifest signed with another deployment’s key', async () => {
    const store = await freshCatalog();
    const manifest = manifestDaysAgo(1);
    const kms = ctx.clients.kms(DR);
    const other = await kms.send(
      new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
    );
    const mac = await kms.send(
      new GenerateMacCommand({
        KeyId: other.KeyMetadata?.KeyId,
        MacAlgorithm: 'HMAC_SHA_256',
        Message: Buffer.from(signingPayload(manifest), 'utf8'),
      }),
    );
    const signature = {
      algorithm: 'HMAC_SHA_256' as const,
      keyId: other.KeyMetadata?.Arn ?? 'other',
      value: Buffer.from(mac.Mac ?? new Uint8Array()).toString('base64'),
    };
    await putRaw(store, recoveryPointKey(manifest.id, 'complete'), canonicalJson({ ...manifest, signature }));

    await expect(store.get(manifest.id)).rejects.toBeInstanceOf(SignatureMismatchError);
  });

  it('refuses an unsigned manifest, however well sealed', async () => {
    const store = await freshCatalog();
    const manifest = manifestDaysAgo(1);
    await putRaw(store, recoveryPointKey(manifest.id, 'complete'), canonicalJson(manifest));

    const read = store.get(manifest.id);
    await expect(read).rejects.toBeInstanceOf(UnsignedManifestError);
    await expect(read).rejects.toThrow(/not signed/);
  });

  it('does not roll "latest" back when an old genuine manifest is copied under a key that lists first', async () => {
    const store = await freshCatalog();
    const old = manifestDaysAgo(20);
    const newest = manifestDaysAgo(1);
    const oldKey = await store.commit(old);
    await store.commit(newest);
    const oldBytes = await readRaw(store, oldKey);
    // Smaller order prefix: listed before every genuine key.
    await putRaw(store, `${RECOVERY_POINT_PREFIX}0000000000001_${old.id}.complete.json`, oldBytes);
    // The genuine old bytes under the key of a newer, made-up recovery point id.
    const madeUp = newRecoveryPointId(new Date(Date.UTC(2026, 5, 30)), () => 'ffffff');
    await putRaw(store, recoveryPointKey(madeUp, 'complete'), oldBytes);

    const skipped: SkippedRecoveryPoint[] = [];
    expect((await store.get('latest', { onSkipped: (s) => skipped.push(s) })).id).toBe(newest.id);
    expect(skipped.map((s) => s.id)).toEqual([madeUp]);
    expect((await store.list()).map((s) => s.id)).toEqual([madeUp, newest.id, old.id]);
  });

  it('falls back past a corrupted newest manifest to the previous good one, saying so', async () => {
    const store = await freshCatalog();
    const good = manifestDaysAgo(3);
    const newest = manifestDaysAgo(1);
    await store.commit(good);
    const key = await store.commit(newest);
    await putRaw(store, key, (await readRaw(store, key)).slice(0, 200));

    const skipped: SkippedRecoveryPoint[] = [];
    expect((await store.get('latest', { onSkipped: (s) => skipped.push(s) })).id).toBe(good.id);
    expect(skipped).toEqual([
      expect.objectContaining({
        id: newest.id,
        code: 'ManifestError',
        message: expect.stringMatching(/not valid JSON/),
      }),
    ]);
  });
});
