import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open, type RootDatabase } from 'lmdb';
import { labelBlocks, lastLabelledId, readLabelBlock, writeLabelSets } from '../../src/index/label-blocks.js';
import type { BinDb } from '../../src/index/stores.js';
import type { Labels } from '../../src/model/index.js';
import { ls, tempDir } from './helpers.js';

describe('label sets stored in blocks', () => {
  let work: { dir: string; cleanup: () => void };
  let env: RootDatabase;
  let db: BinDb;
  beforeEach(() => {
    work = tempDir('label-blocks');
    env = open({ path: work.dir });
    db = env.openDB<Buffer, Buffer>({ name: 'labels', keyEncoding: 'binary', encoding: 'binary' });
  });
  afterEach(async () => {
    await env.close();
    work.cleanup();
  });

  const tenant = Buffer.from([0, 0, 0, 7, 0, 0, 0, 3]);

  it('give back every set of a batch by id, whatever the labels share', () => {
    const sets: Labels[] = [];
    for (let i = 0; i < 100; i++) sets.push(ls(`m${i % 3}`, i % 4 === 0 ? { a: String(i) } : { job: 'node', instance: `h${i >> 3}`, z: '' + i }));
    sets.push([{ name: 'nul', value: 'a\u0000b' }, { name: 'x', value: '\u{1F600}' }]);
    env.transactionSync(() => writeLabelSets(db, tenant, 1000, sets));
    for (let i = 0; i < sets.length; i++) {
      const b = readLabelBlock(db, 1000 + i)!;
      expect(b.sets[1000 + i - b.first]).toEqual(sets[i]);
      expect(b.tenant).toEqual(tenant);
    }
    expect(readLabelBlock(db, 999)).toBeUndefined();
    expect(readLabelBlock(db, 1000 + sets.length)).toBeUndefined();
    expect(lastLabelledId(db)).toBe(1000 + sets.length - 1);
    expect([...labelBlocks(db)].flatMap((b) => b.sets)).toEqual(sets);
  });

  it('store series that repeat their neighbours’ labels in a few bytes each', () => {
    const sets: Labels[] = [];
    for (let i = 0; i < 3200; i++) sets.push(ls('node_cpu_seconds_total', { cpu: String(i % 32), instance: `host-${i >> 5}.example.com:9100`, job: 'node', mode: 'idle' }));
    env.transactionSync(() => writeLabelSets(db, tenant, 1, sets));
    let bytes = 0;
    for (const { value } of db.getRange()) bytes += value.length;
    const raw = sets.reduce((n, set) => n + set.reduce((m, l) => m + l.name.length + l.value.length, 0), 0);
    expect(bytes).toBeLessThan(raw / 5);
  });
});
