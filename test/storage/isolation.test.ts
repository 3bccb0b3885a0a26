import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Storage } from '../../src/storage/index.js';
import { T0, openStorage, tempDir } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const workerPath = join(root, 'dist', 'storage', 'merge-worker.js');

let cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

beforeAll(() => {
  if (!existsSync(workerPath)) spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'ignore' });
});

const SERIES = 2000;
const PER_PART = 30;

/** Writes `parts` small parts, each holding PER_PART samples of every series. */
async function fill(s: Storage, parts: number): Promise<void> {
  for (let p = 0; p < parts; p++) {
    const n = SERIES * PER_PART;
    const ids = new Float64Array(n);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const series = i % SERIES;
      const k = p * PER_PART + Math.floor(i / SERIES);
      ids[i] = series + 1;
      ts[i] = T0 + k * 15_000;
      vs[i] = Math.round(Math.sin(k / 10 + series) * 1000) / 10;
    }
    await s.append(ids, ts, vs, n);
    await s.forceFlush();
  }
}

describe('merges on the worker thread', () => {
  it('run on a worker, and readers keep the part set they started with while merges replace it', async () => {
    const d = tempDir('strata-iso-');
    cleanups.push(d.cleanup);
    const s = await openStorage(d.path, { workerUrl: pathToFileURL(workerPath) });
    cleanups.push(() => s.close());
    expect(s.stats().mergesInWorker).toBe(true);
    await fill(s, 3); // below the merge fan-in: three small parts stay
    const ids = [1, 500, 1999];
    const expectedRows = 3 * PER_PART;
    const merge = s.forceMerge();
    let reads = 0;
    let done = false;
    void merge.then(() => (done = true));
    const appendLatencies: number[] = [];
    while (!done) {
      const got = await s.read(ids, -Infinity, Infinity);
      for (const id of ids) expect(got.get(id)!.timestamps.length).toBe(expectedRows);
      const t = performance.now();
      await s.append(new Float64Array([9999]), new Float64Array([T0 + reads]), new Float64Array([reads]), 1);
      appendLatencies.push(performance.now() - t);
      reads++;
      await new Promise((r) => setTimeout(r, 1));
    }
    await merge;
    expect(reads).toBeGreaterThan(1);
    // Ingestion kept going while the merge ran on the worker.
    expect(Math.max(...appendLatencies)).toBeLessThan(200);
    const st = s.stats();
    expect(st.partsByType.big).toBe(1);
    expect(st.mergesTotal).toBe(1);
    const got = await s.read(ids, -Infinity, Infinity);
    for (const id of ids) expect(got.get(id)!.timestamps.length).toBe(expectedRows);
    // Replaced parts are deleted once no reader holds them.
    const pdir = join(d.path, 'data', '2026_11');
    const manifest = JSON.parse(readFileSync(join(pdir, 'manifest.json'), 'utf8')).parts as string[];
    expect(
      readdirSync(pdir)
        .filter((f) => f !== 'manifest.json')
        .sort(),
    ).toEqual([...manifest].sort());
  });

  it('a read that started before a merge finishes against the old parts', async () => {
    const d = tempDir('strata-iso-');
    cleanups.push(d.cleanup);
    const s = await openStorage(d.path, { workerUrl: pathToFileURL(workerPath) });
    cleanups.push(() => s.close());
    await fill(s, 2);
    const ids = Array.from({ length: SERIES }, (_, i) => i + 1);
    // Start a large read and a merge together; the read's snapshot is taken synchronously.
    const reading = s.read(ids, -Infinity, Infinity);
    const merging = s.forceMerge();
    const [got] = await Promise.all([reading, merging]);
    expect(got.size).toBe(SERIES);
    for (const id of [1, 1000, SERIES]) expect(got.get(id)!.timestamps.length).toBe(2 * PER_PART);
  });
});
