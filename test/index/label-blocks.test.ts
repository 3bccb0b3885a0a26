import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open, type RootDatabase } from 'lmdb';
import { deflateRawSync } from 'node:zlib';
import { CheckedDb } from '../../src/index/checked-db.js';
import { IndexDamage } from '../../src/index/index-damage.js';
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
    db = new CheckedDb(env.openDB<Buffer, Buffer>({ name: 'labels', keyEncoding: 'binary', encoding: 'binary' }), 'labels', new IndexDamage());
  });
  afterEach(async () => {
    await env.close();
    work.cleanup();
  });

  const tenant = Buffer.from([0, 0, 0, 7, 0, 0, 0, 3]);

  it('give back every set of a batch by id, whatever the labels share', () => {
    const sets: Labels[] = [];
    for (let i = 0; i < 100; i++) sets.push(ls(`m${i % 3}`, i % 4 === 0 ? { a: String(i) } : { job: 'node', instance: `h${i >> 3}`, z: '' + i }));
    sets.push([
      { name: 'nul', value: 'a\u0000b' },
      { name: 'x', value: '\u{1F600}' },
    ]);
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
    for (let i = 0; i < 3200; i++)
      sets.push(ls('node_cpu_seconds_total', { cpu: String(i % 32), instance: `host-${i >> 5}.example.com:9100`, job: 'node', mode: 'idle' }));
    env.transactionSync(() => writeLabelSets(db, tenant, 1, sets));
    let bytes = 0;
    for (const { value } of db.getRange()) bytes += value.length;
    const raw = sets.reduce((n, set) => n + set.reduce((m, l) => m + l.name.length + l.value.length, 0), 0);
    expect(bytes).toBeLessThan(raw / 5);
  });
});

describe('label blocks on disk', () => {
  let work: { dir: string; cleanup: () => void };
  let env: RootDatabase;
  let db: BinDb;
  beforeEach(() => {
    work = tempDir('label-blocks-disk');
    env = open({ path: work.dir });
    db = new CheckedDb(env.openDB<Buffer, Buffer>({ name: 'labels', keyEncoding: 'binary', encoding: 'binary' }), 'labels', new IndexDamage());
  });
  afterEach(async () => {
    await env.close();
    work.cleanup();
  });

  const tenant = Buffer.alloc(8);
  const keyOf = (id: number): Buffer => {
    const k = Buffer.alloc(8);
    k.writeUInt32BE(id, 4);
    return k;
  };

  it('are deflated when that is smaller, and each fits inline in a page', () => {
    const sets: Labels[] = [];
    for (let i = 0; i < 2000; i++)
      sets.push(ls('node_network_receive_bytes_total', { device: `eth${i % 4}`, instance: `10.1.${i >> 8}.${i & 255}:9100`, job: 'node' }));
    env.transactionSync(() => writeLabelSets(db, tenant, 1, sets));
    const values = [...db.getRange()].map((e) => e.value);
    expect(values.every((v) => v[8] === 0 && v.length <= 1800)).toBe(true);
    expect([...labelBlocks(db)].flatMap((b) => b.sets)).toEqual(sets);
  });

  it('keep a single label set bigger than a page as one block', () => {
    const big: Record<string, string> = {};
    for (let i = 0; i < 10; i++) big[`l${i}`] = `${i}`.repeat(1500) + Math.random();
    const sets = [ls('a'), ls('huge', big), ls('b')];
    env.transactionSync(() => writeLabelSets(db, tenant, 10, sets));
    expect(readLabelBlock(db, 11)!.sets[11 - readLabelBlock(db, 11)!.first]).toEqual(sets[1]);
    expect([...labelBlocks(db)].flatMap((b) => b.sets)).toEqual(sets);
  });

  it('read blocks stored plain, as they were before compression', () => {
    // tenant, count 2, set 1: 1 label, tag 2 "__name__"="up"; set 2: 1 label, tag 1 value "down".
    const body = Buffer.from([2, 1, 2, 8, ...Buffer.from('__name__'), 2, ...Buffer.from('up'), 1, 1, 4, ...Buffer.from('down')]);
    env.transactionSync(() => db.putSync(keyOf(5), Buffer.concat([tenant, body])));
    expect(readLabelBlock(db, 6)!.sets).toEqual([ls('up'), ls('down')]);
  });

  it('read blocks deflated with any window size (earlier versions used zlib defaults)', () => {
    const body = Buffer.from([2, 1, 2, 8, ...Buffer.from('__name__'), 2, ...Buffer.from('up'), 1, 1, 4, ...Buffer.from('down')]);
    for (const opts of [{}, { level: 9, windowBits: 15, memLevel: 9 }, { windowBits: 9, memLevel: 1 }]) {
      env.transactionSync(() => db.putSync(keyOf(5), Buffer.concat([tenant, Buffer.from([0]), deflateRawSync(body, opts)])));
      expect(readLabelBlock(db, 6)!.sets).toEqual([ls('up'), ls('down')]);
    }
  });

  it('report a damaged block as IndexError', () => {
    env.transactionSync(() => db.putSync(keyOf(5), Buffer.concat([tenant, Buffer.from([0, 0xff, 0xff, 0x13])])));
    expect(() => readLabelBlock(db, 5)).toThrow(/corrupt label block at series 5/);
    env.transactionSync(() => db.putSync(keyOf(5), Buffer.concat([tenant, Buffer.from([3, 1, 2, 200])])));
    expect(() => readLabelBlock(db, 5)).toThrow(/corrupt label block at series 5/);
  });
});
