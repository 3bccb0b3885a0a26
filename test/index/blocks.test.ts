import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { open, type RootDatabase } from 'lmdb';
import { CheckedDb } from '../../src/index/checked-db.js';
import { IndexDamage } from '../../src/index/index-damage.js';
import { BLOCK_BYTES, blockCount, blockIds, encodeBlocks } from '../../src/index/blocks.js';
import { addToList, listCount, listHas, missingFromList, readList, removeFromList } from '../../src/index/posting-lists.js';
import { labelKey } from '../../src/index/keys.js';
import type { BinDb } from '../../src/index/stores.js';
import { tempDir } from './helpers.js';

const ascending = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

describe('packed postings blocks', () => {
  it('round-trip ascending ids, gaps up to 2^53 included', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 53 }), { minLength: 1, maxLength: 600 }), (raw) => {
        const ids = ascending(raw);
        const blocks = encodeBlocks(ids);
        const back = blocks.flatMap((b) => blockIds(b.first, b.value));
        expect(back).toEqual(ids);
        expect(blocks.reduce((n, b) => n + blockCount(b.value), 0)).toBe(ids.length);
      }),
      { numRuns: 200 },
    );
  });

  it('pack consecutive ids at about one byte each and stay under the block size', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => 1000 + i);
    const blocks = encodeBlocks(ids);
    const bytes = blocks.reduce((n, b) => n + b.value.length, 0);
    expect(bytes).toBeLessThan(ids.length * 1.05);
    for (const b of blocks) expect(b.value.length).toBeLessThanOrEqual(BLOCK_BYTES + 16);
  });
});

describe('postings lists in LMDB', () => {
  let work: { dir: string; cleanup: () => void };
  let env: RootDatabase;
  let db: BinDb;
  beforeEach(() => {
    work = tempDir('blocks');
    env = open({ path: work.dir });
    db = new CheckedDb(env.openDB<Buffer, Buffer>({ name: 'lists', keyEncoding: 'binary', encoding: 'binary' }), 'lists', new IndexDamage());
  });
  afterEach(async () => {
    await env.close();
    work.cleanup();
  });

  const read = (key: Buffer): number[] => {
    const out: number[] = [];
    readList(db, key, (id) => out.push(id));
    return out;
  };

  it('behave as sets under any mix of additions and removals', () => {
    const key = labelKey(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 1]), 'job', 'node');
    const neighbour = labelKey(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 1]), 'job', 'node\u0000x');
    const op = fc.record({
      add: fc.boolean(),
      ids: fc.array(fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 2 ** 53 })), { maxLength: 400 }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        env.transactionSync(() => {
          for (const k of [key, neighbour])
            for (const { key: bk } of db.getRange({ start: k, end: Buffer.concat([k, Buffer.from([0xff])]) })) db.removeSync(bk);
          addToList(db, neighbour, [5, 7]);
        });
        const model = new Set<number>();
        for (const { add, ids } of ops) {
          const sorted = ascending(ids);
          env.transactionSync(() => (add ? addToList : removeFromList)(db, key, sorted));
          for (const id of sorted) add ? model.add(id) : model.delete(id);
          const want = [...model].sort((a, b) => a - b);
          expect(read(key)).toEqual(want);
          expect(listCount(db, key)).toBe(want.length);
          for (const id of sorted.slice(0, 20)) expect(listHas(db, key, id)).toBe(model.has(id));
          const probe = ascending([...sorted, ...want.filter((_, k) => k % 3 === 0)]);
          expect(missingFromList(db, key, probe)).toEqual(probe.filter((id) => !model.has(id)));
        }
        expect(read(neighbour)).toEqual([5, 7]);
      }),
      { numRuns: 40 },
    );
  });

  it('write a few values, not one row per id, for a big batch of new series', () => {
    const key = labelKey(Buffer.alloc(9), 'job', 'node');
    const ids = Array.from({ length: 10_000 }, (_, i) => i + 1);
    env.transactionSync(() => addToList(db, key, ids));
    expect([...db.getKeys()].length).toBeLessThanOrEqual(30);
    env.transactionSync(() => addToList(db, key, [10_001, 10_002]));
    expect(read(key)).toEqual([...ids, 10_001, 10_002]);
  });
});
