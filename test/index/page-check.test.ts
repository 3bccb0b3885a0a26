import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT } from '../../src/model/index.js';
import { LabelIndex } from '../../src/index/index.js';
import { checkIndexFile } from '../../src/index/page-check.js';
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
  idx.resolve(DEFAULT_TENANT, [ls('big', { blob: 'x'.repeat(1890) })], 20_000);
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
    for (let page = 0; page * 4096 < good.length; page++) {
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
    expect(tried).toBeGreaterThan(100);
    expect(found).toBeGreaterThan(tried / 4);
  });
});
