import { createHash } from 'node:crypto';
import { BlockIntegrityError } from './errors';
import type { AggregateState } from './resume-state';

/**
 * Block checksums of the EBS block replication engine: per-block SHA-256, zero-block
 * detection, the check of a read against the service's checksum, and the LINEAR aggregate
 * (resumable). No AWS SDK and no I/O here; the adapter is `src/volumes/ebs/aws/block-engine.ts`.
 */

/** Every EBS direct API block is 512 KiB. */
export const EBS_BLOCK_SIZE_BYTES = 524_288;
/** Most entries ListSnapshotBlocks / ListChangedBlocks return in one page. */
export const EBS_MAX_LIST_RESULTS = 10_000;

const ZERO_BLOCK = new Uint8Array(EBS_BLOCK_SIZE_BYTES);

/** A block of zeros, shared and never written to. */
export function zeroBlock(): Uint8Array {
  return ZERO_BLOCK;
}

/** Raw SHA-256 of a block (32 bytes). */
export function blockDigest(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** SHA-256 of a 512 KiB block of zeros, raw; what an unwritten block reads as. */
export const ZERO_BLOCK_DIGEST: Buffer = blockDigest(ZERO_BLOCK);

/** True when every byte of the block is zero (such blocks are not written to a new snapshot). */
export function isZeroBlock(data: Uint8Array): boolean {
  if (data.length === EBS_BLOCK_SIZE_BYTES) {
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(ZERO_BLOCK);
  }
  return data.every((byte) => byte === 0);
}

/**
 * Whether a listed block must be written to the new snapshot. A zero block may be left out
 * only where the new snapshot already reads zeros: always without a parent; with a parent
 * (an incremental copy) only when the previous source snapshot had no block there, because
 * the parent, its replica, then reads zeros too. Otherwise the zeros are written, so the
 * parent's old data does not show through.
 */
export function mustWriteBlock(
  block: { readonly zero: boolean; readonly inPrevious: boolean },
  skipZeroBlocks: boolean,
): boolean {
  return !(block.zero && skipZeroBlocks && !block.inPrevious);
}

/**
 * Checks a block read with GetSnapshotBlock against the checksum the service sent with it
 * and returns its raw digest. Throws BlockIntegrityError (retryable) on a short block or a
 * mismatch.
 */
export function verifiedBlockDigest(
  snapshotId: string,
  blockIndex: number,
  data: Uint8Array,
  checksumBase64: string,
): Buffer {
  if (data.length !== EBS_BLOCK_SIZE_BYTES) {
    throw new BlockIntegrityError(
      snapshotId,
      blockIndex,
      `received ${data.length} bytes, expected ${EBS_BLOCK_SIZE_BYTES}`,
    );
  }
  const digest = blockDigest(data);
  const actual = digest.toString('base64');
  if (actual !== checksumBase64) {
    throw new BlockIntegrityError(
      snapshotId,
      blockIndex,
      `data hashes to ${actual} but the service sent checksum ${checksumBase64}`,
    );
  }
  return digest;
}

/**
 * Reference LINEAR aggregate: SHA-256 over the concatenated raw per-block digests, in block
 * index order, base64. Holds nothing but the hash; the engine uses LinearAggregate, which can
 * also be persisted and resumed.
 */
export function linearAggregateChecksum(digestsInIndexOrder: Iterable<Uint8Array>): string {
  const hash = createHash('sha256');
  for (const digest of digestsInIndexOrder) hash.update(digest);
  return hash.digest('base64');
}

// ---------------------------------------------------------------------------------------
// Resumable SHA-256 over a sequence of 32-byte digests.
//
// node:crypto cannot export a running hash, and keeping every block's digest to hash at the
// end would make the resume state grow with the volume (32 bytes a block: 64 MiB for 1 TiB).
// So the aggregate is a small SHA-256 whose state (eight words, at most one pending digest
// and a count) is part of the resume state. Inputs are 32 bytes, half a SHA-256 block, so
// the state is always "n whole blocks compressed, 0 or 32 bytes pending".

const K = sha256Constants(64, 3);
const H0 = sha256Constants(8, 2);

/** First 32 bits of the fractional parts of the square (2) / cube (3) roots of the first primes. */
function sha256Constants(count: number, root: 2 | 3): Uint32Array {
  const out = new Uint32Array(count);
  let n = 0;
  for (let candidate = 2; n < count; candidate++) {
    let prime = true;
    for (let f = 2; f * f <= candidate; f++) {
      if (candidate % f === 0) {
        prime = false;
        break;
      }
    }
    if (!prime) continue;
    const r = root === 2 ? Math.sqrt(candidate) : Math.cbrt(candidate);
    out[n++] = ((r - Math.floor(r)) * 2 ** 32) >>> 0;
  }
  return out;
}

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

function compress(h: Uint32Array, block: Uint8Array, w: Uint32Array): void {
  for (let t = 0; t < 16; t++) {
    const o = t * 4;
    w[t] =
      (((block[o] as number) << 24) |
        ((block[o + 1] as number) << 16) |
        ((block[o + 2] as number) << 8) |
        (block[o + 3] as number)) >>>
      0;
  }
  for (let t = 16; t < 64; t++) {
    const w15 = w[t - 15] as number;
    const w2 = w[t - 2] as number;
    const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
    w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) >>> 0;
  }
  let a = h[0] as number;
  let b = h[1] as number;
  let c = h[2] as number;
  let d = h[3] as number;
  let e = h[4] as number;
  let f = h[5] as number;
  let g = h[6] as number;
  let hh = h[7] as number;
  for (let t = 0; t < 64; t++) {
    const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + s1 + ch + (K[t] as number) + (w[t] as number)) >>> 0;
    const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (s0 + maj) >>> 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) >>> 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) >>> 0;
  }
  h[0] = ((h[0] as number) + a) >>> 0;
  h[1] = ((h[1] as number) + b) >>> 0;
  h[2] = ((h[2] as number) + c) >>> 0;
  h[3] = ((h[3] as number) + d) >>> 0;
  h[4] = ((h[4] as number) + e) >>> 0;
  h[5] = ((h[5] as number) + f) >>> 0;
  h[6] = ((h[6] as number) + g) >>> 0;
  h[7] = ((h[7] as number) + hh) >>> 0;
}

/**
 * The LINEAR aggregate of CompleteSnapshot, computed incrementally: add each written block's
 * raw digest in ascending block index order, then read `checksum()`. Its state can be saved
 * (`toState`) and continued later (`new LinearAggregate(state)`).
 */
export class LinearAggregate {
  private readonly h: Uint32Array;
  private readonly w = new Uint32Array(64);
  private readonly buffer = new Uint8Array(64);
  private pending: boolean;
  private count: number;

  constructor(state?: AggregateState) {
    this.h = new Uint32Array(8);
    if (state) {
      const words = Buffer.from(state.state, 'base64');
      for (let i = 0; i < 8; i++) this.h[i] = words.readUInt32BE(i * 4);
      this.count = state.digests;
      this.pending = state.pending !== undefined;
      if (state.pending !== undefined) this.buffer.set(Buffer.from(state.pending, 'base64'), 0);
    } else {
      this.h.set(H0);
      this.count = 0;
      this.pending = false;
    }
  }

  /** Digests added so far. */
  get digests(): number {
    return this.count;
  }

  add(digest: Uint8Array): void {
    if (digest.length !== 32) throw new RangeError(`a block digest is 32 bytes (got ${digest.length})`);
    if (this.pending) {
      this.buffer.set(digest, 32);
      compress(this.h, this.buffer, this.w);
      this.pending = false;
    } else {
      this.buffer.set(digest, 0);
      this.pending = true;
    }
    this.count++;
  }

  /** The base64 aggregate of the digests added so far; the aggregate can keep growing after. */
  checksum(): string {
    const h = Uint32Array.from(this.h);
    const block = new Uint8Array(64);
    let offset = 0;
    if (this.pending) {
      block.set(this.buffer.subarray(0, 32), 0);
      offset = 32;
    }
    block[offset] = 0x80;
    const bits = this.count * 256;
    const view = new DataView(block.buffer);
    view.setUint32(56, Math.floor(bits / 2 ** 32));
    view.setUint32(60, bits >>> 0);
    compress(h, block, new Uint32Array(64));
    const out = Buffer.alloc(32);
    for (let i = 0; i < 8; i++) out.writeUInt32BE(h[i] as number, i * 4);
    return out.toString('base64');
  }

  toState(): AggregateState {
    const words = Buffer.alloc(32);
    for (let i = 0; i < 8; i++) words.writeUInt32BE(this.h[i] as number, i * 4);
    return {
      state: words.toString('base64'),
      ...(this.pending ? { pending: Buffer.from(this.buffer.subarray(0, 32)).toString('base64') } : {}),
      digests: this.count,
    };
  }
}
