import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT } from '../../src/model/index.js';
import { LabelIndex } from '../../src/index/index.js';
import { ls, matcher, tempDir } from './helpers.js';

/**
 * Damaged entries of the label index (issue 21 item 5): each value ends in a CRC-32 over key and
 * payload; one that fails is quarantined (never decoded, never served) and recorded with its
 * table and key, and writes route around it.
 */
const DAY = 20_000;
let work: { dir: string; cleanup: () => void };
let idx: LabelIndex | null = null;

beforeEach(() => {
  work = tempDir('index-damage');
});
afterEach(() => {
  idx?.close();
  idx = null;
  work.cleanup();
});

const sets = Array.from({ length: 100 }, (_, i) => ls('up', { job: `j${i % 4}`, instance: `h${i}` }));

function fill(): number[] {
  const i = LabelIndex.open(work.dir);
  const ids = i.resolve(DEFAULT_TENANT, sets, DAY);
  i.close();
  return ids;
}

/** Flips one byte of the stored value of the first entry of `table` whose key passes `pick`. */
async function damage(table: string, pick: (key: Buffer) => boolean = () => true): Promise<Buffer> {
  const env = open({ path: work.dir, maxDbs: 12 });
  const db = env.openDB<Buffer, Buffer>({ name: table, keyEncoding: 'binary', encoding: 'binary' });
  let hit: Buffer | undefined;
  for (const { key, value } of db.getRange()) {
    if (!pick(key)) continue;
    const v = Buffer.from(value);
    v[0] ^= 0x40;
    hit = Buffer.from(key);
    db.putSync(hit, v);
    break;
  }
  await env.close();
  if (!hit) throw new Error(`no entry in ${table}`);
  return hit;
}

describe('a damaged entry', () => {
  it('in label_blocks: its series are not served, the damage names the table and key, and the rest answers', async () => {
    const ids = fill();
    const key = await damage('label_blocks');
    idx = LabelIndex.open(work.dir);
    expect(idx.labelsIfKnown(ids[0]!)).toBeUndefined();
    const e = idx.damage.all();
    expect(e).toEqual([expect.objectContaining({ table: 'label_blocks', key: key.toString('hex'), reason: 'checksum mismatch' })]);
    expect(idx.damage.warning()).toMatch(/label index is damaged \(1 in label_blocks\)/);
    expect(idx.damage.reason()).toMatch(/run `strata index rebuild`/);
    expect(idx.labelsIfKnown(ids[99]!)).toEqual(sets[99]);
  });

  it('in label_blocks: writing one of its series again succeeds', async () => {
    fill();
    await damage('label_blocks');
    idx = LabelIndex.open(work.dir);
    const [id] = idx.resolve(DEFAULT_TENANT, [sets[0]!], DAY + 1);
    expect(idx.labelsOf(id!)).toEqual(sets[0]);
  });

  it('in series: a write of that label set keeps its id (found again through the postings)', async () => {
    const ids = fill();
    await damage('series');
    idx = LabelIndex.open(work.dir);
    const again = idx.resolve(DEFAULT_TENANT, sets, DAY);
    expect(again).toEqual(ids);
    expect(idx.damage.counts().get('series')).toBe(1);
    expect(idx.checkConsistency()).toEqual([]);
  });

  it('in block_postings: a selection skips the block and the index counts as damaged', async () => {
    fill();
    await damage('block_postings', (key) => key.includes(Buffer.from('up')));
    idx = LabelIndex.open(work.dir);
    idx.select(DEFAULT_TENANT, [matcher('__name__', '=', 'up')], -Infinity, Infinity);
    expect(idx.damage.damaged).toBe(true);
    expect(idx.damage.counts().get('block_postings')).toBe(1);
  });

  it('is found by the deep check on open', async () => {
    fill();
    await damage('block_day_series');
    idx = LabelIndex.open(work.dir, { verify: 'deep' });
    expect(idx.damage.counts().get('block_day_series')).toBe(1);
  });
});

describe('index format versions', () => {
  it('upgrades an index written without checksums (format 1) on open', async () => {
    const ids = fill();
    const env = open({ path: work.dir, maxDbs: 12 });
    for (const name of ['series', 'label_blocks', 'block_postings', 'block_day_postings', 'block_day_series', 'deleted', 'meta']) {
      const db = env.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' });
      const all = [...db.getRange()].map(({ key, value }) => [Buffer.from(key), Buffer.from(value)] as const);
      for (const [k, v] of all) db.putSync(k, v.subarray(0, v.length - 4));
      if (name === 'meta') db.removeSync(Buffer.from('format'));
    }
    await env.close();
    idx = LabelIndex.open(work.dir);
    expect(idx.damage.damaged).toBe(false);
    expect(idx.labelsOf(ids[5]!)).toEqual(sets[5]);
    expect(idx.resolve(DEFAULT_TENANT, sets, DAY)).toEqual(ids);
    expect(idx.checkConsistency()).toEqual([]);
  });

  it('refuses a newer format than it knows', async () => {
    fill();
    const env = open({ path: work.dir, maxDbs: 12 });
    const meta = env.openDB<Buffer, Buffer>({ name: 'meta', keyEncoding: 'binary', encoding: 'binary' });
    const { sealValue } = await import('../../src/index/checked-db.js');
    const v = Buffer.alloc(8);
    v.writeUInt32BE(9, 4);
    meta.putSync(Buffer.from('format'), sealValue(Buffer.from('format'), v));
    await env.close();
    expect(() => LabelIndex.open(work.dir)).toThrow(/format version 9, newer than this Strata understands/);
  });
});

describe('a structurally damaged file', () => {
  it('is salvaged before LMDB opens it: the index opens, counts as damaged, and serves what survived', () => {
    const ids = fill();
    const path = join(work.dir, 'data.mdb');
    const b = readFileSync(path);
    // The newest meta page's transaction id: LMDB would take the older snapshot for the current one.
    const newest = b.readBigUInt64LE(24 + 128) > b.readBigUInt64LE(4096 + 24 + 128) ? 0 : 1;
    b[newest * 4096 + 24 + 128 + 6] ^= 0x10;
    writeFileSync(path, b);
    idx = LabelIndex.open(work.dir);
    expect(idx.damage.damaged).toBe(true);
    expect(ids.map((id) => idx!.labelsIfKnown(id))).toEqual(sets);
    idx.close();
    // The damage is remembered across restarts until a rebuild.
    idx = LabelIndex.open(work.dir);
    expect(idx.damage.reason()).toMatch(/salvaged/);
  });
});
