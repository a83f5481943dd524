import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockDigest,
  EBS_BLOCK_SIZE_BYTES,
  isZeroBlock,
  LinearAggregate,
  linearAggregateChecksum,
  mustWriteBlock,
  verifiedBlockDigest,
  ZERO_BLOCK_DIGEST,
} from '../../../../src/volumes/ebs/checksums';
import { BlockIntegrityError } from '../../../../src/volumes/ebs/errors';
import { aggregateStateSchema } from '../../../../src/volumes/ebs/resume-state';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const digestOf = (n: number) => sha256(Buffer.from(`block-${n}`));
const block = (fill: number) => Buffer.alloc(EBS_BLOCK_SIZE_BYTES, fill);

describe('block checksums', () => {
  it('hashes a block with SHA-256', () => {
    const data = block(7);
    expect(blockDigest(data).equals(sha256(data))).toBe(true);
    expect(ZERO_BLOCK_DIGEST.equals(sha256(block(0)))).toBe(true);
  });

  it('detects all-zero blocks and any non-zero byte, wherever it is', () => {
    expect(isZeroBlock(block(0))).toBe(true);
    const last = block(0);
    last[EBS_BLOCK_SIZE_BYTES - 1] = 1;
    expect(isZeroBlock(last)).toBe(false);
    const first = block(0);
    first[0] = 0x80;
    expect(isZeroBlock(first)).toBe(false);
    expect(isZeroBlock(new Uint8Array(16))).toBe(true);
    expect(isZeroBlock(block(0).subarray(1024, 2048))).toBe(true);
  });

  it('accepts a block whose data matches the service checksum and returns its raw digest', () => {
    const data = block(3);
    const digest = verifiedBlockDigest('snap-1', 4, data, sha256(data).toString('base64'));
    expect(digest.equals(sha256(data))).toBe(true);
  });

  it('rejects a block whose data does not match the service checksum, naming snapshot and index', () => {
    const data = block(3);
    const wrong = sha256(block(4)).toString('base64');
    expect(() => verifiedBlockDigest('snap-1', 4, data, wrong)).toThrow(BlockIntegrityError);
    expect(() => verifiedBlockDigest('snap-1', 4, data, wrong)).toThrow(/Block 4 of snap-1/);
  });

  it('rejects a short block', () => {
    const data = Buffer.alloc(1000, 1);
    expect(() => verifiedBlockDigest('snap-1', 0, data, sha256(data).toString('base64'))).toThrow(
      /received 1000 bytes, expected 524288/,
    );
  });
});

describe('mustWriteBlock', () => {
  it('writes every block that holds data', () => {
    expect(mustWriteBlock({ zero: false, inPrevious: false }, true)).toBe(true);
    expect(mustWriteBlock({ zero: false, inPrevious: true }, true)).toBe(true);
  });

  it('leaves out a zero block where the new snapshot already reads zeros', () => {
    expect(mustWriteBlock({ zero: true, inPrevious: false }, true)).toBe(false);
  });

  it("writes zeros over a block the previous snapshot had, so the parent's data does not show through", () => {
    expect(mustWriteBlock({ zero: true, inPrevious: true }, true)).toBe(true);
  });

  it('writes zero blocks too when skipping is turned off', () => {
    expect(mustWriteBlock({ zero: true, inPrevious: false }, false)).toBe(true);
  });
});

describe('LINEAR aggregate', () => {
  it('is SHA-256 over the concatenated raw digests in index order, base64 (not over their base64 text)', () => {
    const digests = [digestOf(0), digestOf(1), digestOf(2)];
    expect(linearAggregateChecksum(digests)).toBe(sha256(Buffer.concat(digests)).toString('base64'));
    expect(linearAggregateChecksum(digests)).not.toBe(
      sha256(Buffer.from(digests.map((d) => d.toString('base64')).join(''))).toString('base64'),
    );
  });

  it('computes the same aggregate incrementally as node:crypto over the whole sequence', () => {
    for (const count of [0, 1, 2, 3, 4, 5, 31, 64, 257]) {
      const digests = Array.from({ length: count }, (_, i) => digestOf(i));
      const aggregate = new LinearAggregate();
      for (const d of digests) aggregate.add(d);
      expect(aggregate.checksum(), `${count} digests`).toBe(linearAggregateChecksum(digests));
      expect(aggregate.digests).toBe(count);
    }
  });

  it('continues from a saved state (through JSON) to the same aggregate, at any split point', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 80 }),
        fc.nat(),
        (digests, cut) => {
          const split = digests.length === 0 ? 0 : cut % (digests.length + 1);
          const first = new LinearAggregate();
          for (const d of digests.slice(0, split)) first.add(d);
          const saved = aggregateStateSchema.parse(JSON.parse(JSON.stringify(first.toState())));
          const resumed = new LinearAggregate(saved);
          for (const d of digests.slice(split)) resumed.add(d);
          return resumed.checksum() === linearAggregateChecksum(digests);
        },
      ),
    );
  });

  it('can be read and then extended', () => {
    const aggregate = new LinearAggregate();
    aggregate.add(digestOf(0));
    expect(aggregate.checksum()).toBe(linearAggregateChecksum([digestOf(0)]));
    aggregate.add(digestOf(1));
    expect(aggregate.checksum()).toBe(linearAggregateChecksum([digestOf(0), digestOf(1)]));
  });

  it('rejects a digest that is not 32 bytes', () => {
    expect(() => new LinearAggregate().add(new Uint8Array(20))).toThrow(RangeError);
  });

  it('rejects a saved state whose pending digest disagrees with its count', () => {
    const state = new LinearAggregate().toState();
    expect(aggregateStateSchema.safeParse({ ...state, digests: 1 }).success).toBe(false);
  });
});
