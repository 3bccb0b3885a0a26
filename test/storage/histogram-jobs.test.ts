/**
 * Histogram flushes and merges run as jobs on the storage worker threads (the float path's
 * runners): appends and reads of histograms keep going, with their answers unchanged, while a
 * large merge runs.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeHistogramRow, type HistogramRows } from '../../src/codec/index.js';
import type { FloatHistogram } from '../../src/model/index.js';
import type { Storage } from '../../src/storage/index.js';
import { openStorage, tempDir } from './helpers.js';

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

const SERIES = 1000;
const PER_PART = 30;
const T0 = Math.floor((Date.now() - 6 * 3_600_000) / 60_000) * 60_000;

function hist(k: number, series: number): FloatHistogram {
  const b = Float64Array.from({ length: 12 }, (_, j) => k * (j + 1) + series);
  let count = 0;
  for (const v of b) count += v;
  return {
    schema: 2,
    counterResetHint: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count,
    sum: count * 1.5,
    positiveSpans: [{ offset: -3, length: 12 }],
    positiveBuckets: b,
    negativeSpans: [],
    negativeBuckets: new Float64Array(0),
    customValues: new Float64Array(0),
  };
}

function rowsOf(hs: readonly FloatHistogram[]): HistogramRows {
  const enc = hs.map(encodeHistogramRow);
  const offsets = new Uint32Array(hs.length + 1);
  enc.forEach((e, i) => (offsets[i + 1] = offsets[i]! + e.length));
  const bytes = new Uint8Array(offsets[hs.length]!);
  enc.forEach((e, i) => bytes.set(e, offsets[i]!));
  return { count: hs.length, offsets, bytes };
}

/** Writes `parts` flushed parts, each holding PER_PART histograms of every series. */
async function fill(s: Storage, parts: number): Promise<void> {
  for (let p = 0; p < parts; p++) {
    const n = SERIES * PER_PART;
    const ids = new Float64Array(n);
    const ts = new Float64Array(n);
    const hs: FloatHistogram[] = [];
    for (let i = 0; i < n; i++) {
      const series = i % SERIES;
      const k = p * PER_PART + Math.floor(i / SERIES);
      ids[i] = series + 1;
      ts[i] = T0 + k * 15_000;
      hs.push(hist(k, series));
    }
    await s.appendHistograms(
      ids,
      ts,
      Float64Array.from({ length: n }, (_, i) => i),
      n,
      rowsOf(hs),
    );
    await s.forceFlush();
  }
}

describe('histogram flushes and merges on the storage worker', () => {
  it('keep appends and reads going, and the answers whole, while a merge runs', async () => {
    const d = tempDir('strata-hist-jobs-');
    cleanups.push(d.cleanup);
    const s = await openStorage(d.path, { workerUrl: pathToFileURL(workerPath) });
    cleanups.push(() => s.close());
    expect(s.stats().mergesInWorker).toBe(true);
    await fill(s, 3);
    expect(s.histogramStats().histogramParts).toBe(3);
    const ids = [1, 500, SERIES];
    const merge = s.forceMerge();
    let done = false;
    void merge.then(() => (done = true));
    let rounds = 0;
    const latencies: number[] = [];
    while (!done) {
      const got = s.readHistograms(ids, -Infinity, T0 + 3 * PER_PART * 15_000 - 1);
      for (const id of ids) expect(got.get(id)!.timestamps.length).toBe(3 * PER_PART);
      const t = performance.now();
      const k = 3 * PER_PART + rounds;
      await s.appendHistograms(Float64Array.of(SERIES + 1), Float64Array.of(T0 + k * 15_000), Float64Array.of(0), 1, rowsOf([hist(k, 0)]));
      latencies.push(performance.now() - t);
      rounds++;
      await new Promise((r) => setTimeout(r, 1));
    }
    await merge;
    expect(rounds).toBeGreaterThan(1);
    expect(Math.max(...latencies)).toBeLessThan(200);
    expect(s.histogramStats().histogramParts).toBe(1);
    const after = s.readHistograms([1, SERIES, SERIES + 1], -Infinity, Infinity);
    expect(after.get(1)!.timestamps.length).toBe(3 * PER_PART);
    expect(after.get(SERIES)!.histograms[5]).toEqual(hist(5, SERIES - 1));
    expect(after.get(SERIES + 1)!.timestamps.length).toBe(rounds);
  });
});
