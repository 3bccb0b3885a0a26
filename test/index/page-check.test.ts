import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT } from '../../src/model/index.js';
import { LabelIndex } from '../../src/index/index.js';
import { checkIndexFile } from '../../src/index/page-check.js';
import { verifyIndexFile } from '../../src/index/verify-file.js';
import { ls, tempDir } from './helpers.js';

/** An index with branch pages (thousands of series), leaves, and an overflow value (a huge label). */
let work: { dir: string; cleanup: () => void };
let file: string;

beforeAll(() => {
  work = tempDir('page-check');
  const idx = LabelIndex.open(join(work.dir, 'index'));
  const sets = [];
  for (let i = 0; i < 3000; i++) sets.push(ls('up', { job: `job-${i % 7}`, instance: `host-${i}:9100` }));
  idx.resolve(DEFAULT_TENANT, sets, 20_000);
  // Incompressible, past half a page: its label block goes to an overflow page.
  const noise = (seed: number): string =>
    randomBytes(900)
      .toString('hex')
      .slice(0, 1800 + seed);
  idx.resolve(DEFAULT_TENANT, [ls('big', { blob1: noise(0), blob2: noise(1), blob3: noise(2) })], 20_000);
  idx.close();
  file = join(work.dir, 'index', 'data.mdb');
});
afterAll(() => work.cleanup());

describe('checkIndexFile', () => {
  it('finds nothing wrong in a healthy index, and counts its pages', () => {
    const r = checkIndexFile(file);
    expect(r.problems).toEqual([]);
    expect(r.pageSize).toBe(4096);
    expect(r.pages).toBeGreaterThan(20);
  });

  it('reports a flipped byte in a page header, a node offset or a branch key, and never throws', () => {
    const good = readFileSync(file);
    const copy = join(work.dir, 'flipped.mdb');
    let found = 0;
    let tried = 0;
    for (let page = 0; page * 4096 < good.length; page += 3) {
      // Header (flags, bounds), the node pointer array, and the first node's header.
      for (const off of [18, 20, 22, 24, 25, 4096 - 40]) {
        const b = Buffer.from(good);
        b[page * 4096 + off] ^= 0x55;
        writeFileSync(copy, b);
        const r = checkIndexFile(copy);
        tried++;
        if (r.problems.length > 0) found++;
      }
    }
    copyFileSync(file, copy);
    expect(tried).toBeGreaterThan(40);
    expect(found).toBeGreaterThan(tried / 4);
  });

  it('with checksums (verifyIndexFile) names the database and key of a value whose bytes changed', () => {
    const b = readFileSync(file);
    // A byte inside the big label set's value, on its overflow page.
    let page = -1;
    for (let p = 2; (p + 1) * 4096 <= b.length && page < 0; p++) if (b.readUInt32LE(p * 4096) === p && b.readUInt16LE(p * 4096 + 18) === 4) page = p;
    expect(page).toBeGreaterThan(1);
    b[page * 4096 + 200] ^= 1;
    const copy = join(work.dir, 'value-flipped.mdb');
    writeFileSync(copy, b);
    expect(checkIndexFile(copy).problems).toEqual([]);
    expect(verifyIndexFile(copy)).toEqual([expect.stringMatching(/^database label_blocks, key [0-9a-f]{16}: checksum mismatch$/)]);
  });
});
