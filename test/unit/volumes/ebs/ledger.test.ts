import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinearAggregate, linearAggregateChecksum } from '../../../../src/volumes/ebs/checksums';
import { ResumeStateError } from '../../../../src/volumes/ebs/errors';
import { parseResumeState, ReplicationLedger, writtenBlocks } from '../../../../src/volumes/ebs/ledger';
import type { ResumeState } from '../../../../src/volumes/ebs/resume-state';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const digestOf = (n: number) => sha256(Buffer.from(`block-${n}`));
const tick = () => new Promise((r) => setImmediate(r));

describe('ReplicationLedger', () => {
  it('folds digests in block index order whatever order blocks finish in', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 5000 }), { minLength: 1, maxLength: 60 }),
        fc.infiniteStream(fc.boolean()),
        (rawIndexes, skips) => {
          const indexes = [...rawIndexes].sort((a, b) => a - b);
          const written = indexes.map(() => skips.next().value as boolean);
          const ledger = new ReplicationLedger(1000);
          for (const index of indexes) expect(ledger.admit(index)).toBe('todo');
          const order = [...indexes.keys()].reverse();
          for (const i of order) {
            ledger.complete(indexes[i] as number, written[i] ? digestOf(indexes[i] as number) : undefined);
          }
          const expected = indexes.filter((_, i) => written[i]).map(digestOf);
          const result = ledger.finish();
          return (
            result.checksum === linearAggregateChecksum(expected) && result.writtenCount === expected.length
          );
        },
      ),
    );
  });

  it('records done blocks above the first unfinished one in the resume state', () => {
    const ledger = new ReplicationLedger(10);
    for (const i of [2, 5, 9, 12]) ledger.admit(i);
    ledger.complete(2, digestOf(2));
    ledger.complete(9, undefined);
    ledger.complete(12, digestOf(12));
    const state = ledger.state();
    expect(state.nextBlockIndex).toBe(3);
    expect(state.aggregate.digests).toBe(1);
    expect(state.ahead).toEqual([{ index: 9 }, { index: 12, checksum: digestOf(12).toString('base64') }]);
    expect(ledger.writtenCount).toBe(2);
  });

  it('resumes without redoing finished blocks and ends with the same aggregate as one run', () => {
    const indexes = [0, 1, 3, 4, 8, 9, 10, 15];
    const zero = new Set([4, 10]);
    const digestFor = (i: number) => (zero.has(i) ? undefined : digestOf(i));
    const first = new ReplicationLedger(10);
    for (const i of indexes) first.admit(i);
    for (const i of [0, 1, 4, 9, 15]) first.complete(i, digestFor(i));
    const state = JSON.parse(JSON.stringify(first.state()));

    const second = new ReplicationLedger(10, state);
    const redo: number[] = [];
    for (const i of indexes) if (second.admit(i) === 'todo') redo.push(i);
    expect(redo).toEqual([3, 8, 10]);
    for (const i of redo) second.complete(i, digestFor(i));
    const expected = indexes.filter((i) => !zero.has(i)).map(digestOf);
    expect(second.finish()).toEqual({
      checksum: linearAggregateChecksum(expected),
      writtenCount: expected.length,
    });
  });

  it('holds the producer back while `window` blocks are unfolded', async () => {
    const ledger = new ReplicationLedger(2);
    ledger.admit(0);
    ledger.admit(1);
    let roomy = false;
    const room = ledger.whenRoom().then(() => {
      roomy = true;
    });
    ledger.complete(1, digestOf(1));
    await tick();
    expect(roomy).toBe(false);
    ledger.complete(0, digestOf(0));
    await room;
    expect(roomy).toBe(true);
  });

  it('stops waiting for room when the signal aborts', async () => {
    const ledger = new ReplicationLedger(1);
    ledger.admit(0);
    const controller = new AbortController();
    const waiting = ledger.whenRoom(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });

  it('refuses indexes that do not ascend', () => {
    const ledger = new ReplicationLedger(10);
    ledger.admit(4);
    expect(() => ledger.admit(4)).toThrow(/must ascend/);
    expect(() => ledger.admit(2)).toThrow(/must ascend/);
  });

  it('fails at the end when resumed blocks never showed up in the listing', () => {
    const first = new ReplicationLedger(10);
    first.admit(0);
    first.admit(7);
    first.complete(7, digestOf(7));
    const second = new ReplicationLedger(10, first.state());
    second.admit(0);
    second.complete(0, digestOf(0));
    expect(() => second.finish()).toThrow(ResumeStateError);
  });

  it('refuses to finish with blocks outstanding', () => {
    const ledger = new ReplicationLedger(10);
    ledger.admit(0);
    expect(() => ledger.finish()).toThrow(/not done/);
  });
});

describe('parseResumeState', () => {
  const valid: ResumeState = {
    version: 1,
    sourceSnapshotId: 'snap-src',
    targetSnapshotId: 'snap-dst',
    progress: {
      nextBlockIndex: 3,
      aggregate: new LinearAggregate().toState(),
      ahead: [{ index: 5, checksum: digestOf(5).toString('base64') }, { index: 6 }],
    },
  };

  it('accepts a state produced by the ledger and counts its written blocks', () => {
    expect(parseResumeState(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
    expect(writtenBlocks(valid)).toBe(1);
  });

  it('rejects a damaged state, naming where, with what to do', () => {
    const damaged = { ...valid, progress: { ...valid.progress, nextBlockIndex: -1 } };
    expect(() => parseResumeState(damaged)).toThrow(ResumeStateError);
    expect(() => parseResumeState(damaged)).toThrow(/progress\.nextBlockIndex/);
    expect(() => parseResumeState({ ...valid, extra: 1 })).toThrow(/start a new replication/);
  });
});
