import { cpSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeHistogramRow, readHistogramRow, type HistogramRows } from '../../src/codec/histogram-row.js';
import { Database } from '../../src/db/index.js';
import { decodeWriteRequestV1, encodeRemoteWriteV1 } from '../../src/ingest/index.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { DEFAULT_TENANT } from '../../src/model/index.js';
import { HistPart, HistogramStore, decodeHistogramRecord, type HistogramStoreOptions } from '../../src/storage/histograms/index.js';
import type { MergeRules } from '../../src/storage/index.js';
import { Wal } from '../../src/storage/wal.js';
import { openStorage, tempDir } from './helpers.js';

const TESTDATA = join(fileURLToPath(new URL('.', import.meta.url)), 'testdata');
const T0 = 1767225600000; // 2026-01-01T00:00:00Z

let cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function dir(): string {
  const d = tempDir('strata-hist-');
  cleanups.push(d.cleanup);
  return d.path;
}

/** The histograms scripts/make-format-fixtures.mjs wrote (the same function and values). */
function nh(
  schema: number,
  count: number,
  sum: number,
  pos: number[],
  neg: number[] = [],
  custom: number[] = [],
  hint = 0,
  zeroThreshold = schema === -53 ? 0 : 0.001,
  zeroCount = 0,
): FloatHistogram {
  return {
    schema,
    counterResetHint: hint,
    zeroThreshold,
    zeroCount,
    count,
    sum,
    positiveSpans: pos.length ? [{ offset: schema === -53 ? 0 : -1, length: pos.length }] : [],
    positiveBuckets: Float64Array.from(pos),
    negativeSpans: neg.length ? [{ offset: 2, length: neg.length }] : [],
    negativeBuckets: Float64Array.from(neg),
    customValues: Float64Array.from(custom),
  };
}

const FIXTURE: Record<number, [number, FloatHistogram][]> = {
  1: [0, 1, 2, 3].map((i) => [T0 + i * 15_000, nh(0, 6 * i + 1, 2.5 * i, [i, 2 * i], [3 * i], [], i === 0 ? 1 : 2, 0.001, 1)]),
  2: [0, 1, 2].map((i) => [T0 + i * 15_000, nh(-53, 1.5 * i + 0.25, 0.125 * i, [0.25, 0.5 * i, i], [], [0.1, 1])]),
  3: [
    [T0, nh(3, 3, 4.5, [1, 2])],
    [T0 + 15_000, nh(3, 5, NaN, [2, 3])],
    [T0 + 30_000, nh(2, 7, 9.75, [3, 4, 0])],
  ],
};

function rowsOf(hs: readonly FloatHistogram[]): HistogramRows {
  const enc = hs.map(encodeHistogramRow);
  const offsets = new Uint32Array(hs.length + 1);
  enc.forEach((e, i) => (offsets[i + 1] = offsets[i]! + e.length));
  const bytes = new Uint8Array(offsets[hs.length]!);
  enc.forEach((e, i) => bytes.set(e, offsets[i]!));
  return { count: hs.length, offsets, bytes };
}

function storeOptions(d: string, extra: Partial<HistogramStoreOptions> = {}): HistogramStoreOptions {
  return {
    dir: join(d, 'parts'),
    walDir: join(d, 'wal'),
    walFsync: 'never',
    walFsyncIntervalMs: 1000,
    flushIntervalMs: 3_600_000,
    dedupIntervalMs: 0,
    minValidT: () => -Infinity,
    now: () => T0 + 86_400_000,
    onError: (e) => {
      throw e;
    },
    ...extra,
  };
}

function open(d: string, extra: Partial<HistogramStoreOptions> = {}): HistogramStore {
  const s = HistogramStore.open(storeOptions(d, extra));
  cleanups.push(() => s.close());
  return s;
}

/** Appends (id, t, histogram) rows. */
function put(s: HistogramStore, list: [number, number, FloatHistogram][]): void {
  s.append(
    Float64Array.from(list, (r) => r[0]),
    Float64Array.from(list, (r) => r[1]),
    Float64Array.from(list, (_, i) => i),
    list.length,
    rowsOf(list.map((r) => r[2])),
  );
}

function timesOf(s: HistogramStore, id: number): number[] {
  return [...(s.read([id], -Infinity, Infinity).get(id)?.timestamps ?? [])];
}

describe('histogram format fixtures (committed, written by scripts/make-format-fixtures.mjs)', () => {
  it('reads every sample of the version 1 histogram part', () => {
    const partDir = join(TESTDATA, 'histograms', '2026_01', '0000000000000001');
    const part = HistPart.open(partDir, '0000000000000001');
    cleanups.push(() => part.close());
    expect(part.meta).toMatchObject({ version: 1, rows: 10, blocks: 3, series: 3, minT: T0, maxT: T0 + 45_000 });
    for (const [id, want] of Object.entries(FIXTURE)) {
      const got: [number, FloatHistogram][] = [];
      part.read(Number(id), -Infinity, Infinity, (t, row) => got.push([t, readHistogramRow(row, 0)]));
      expect(got).toEqual(want);
    }
  });

  it('replays the histogram WAL record (kind 2)', () => {
    const d = dir();
    cpSync(join(TESTDATA, 'histograms', 'wal'), d, { recursive: true });
    const seen: [number, number, FloatHistogram][] = [];
    const { wal } = Wal.open(
      {
        dir: d,
        fsync: 'never',
        fsyncIntervalMs: 1000,
        onRecord: (_kind, payload) => {
          const r = decodeHistogramRecord(payload);
          for (let i = 0; i < r.count; i++)
            seen.push([r.ids[i]!, r.timestamps[i]!, readHistogramRow(r.rows.bytes, r.rows.offsets[i]!, r.rows.offsets[i + 1]!)]);
          return r.count;
        },
      },
      () => {},
    );
    cleanups.push(() => wal.close());
    expect(seen).toEqual([
      [1, ...FIXTURE[1]![0]!],
      [2, ...FIXTURE[2]![0]!],
      [1, ...FIXTURE[1]![1]!],
    ]);
  });
});

const h = (i: number): FloatHistogram => nh(0, 3 * i, i, [i, 2 * i]);

describe('histogram store', () => {
  it('serves rows from the memtable, after a flush, and after a restart (WAL replay)', async () => {
    const d = dir();
    const s = HistogramStore.open(storeOptions(d));
    put(s, [
      [5, T0, h(1)],
      [5, T0 + 15_000, h(2)],
      [6, T0, h(3)],
    ]);
    expect(timesOf(s, 5)).toEqual([T0, T0 + 15_000]);
    await s.close();
    const again = open(d);
    expect(again.read([5, 6], -Infinity, Infinity).get(6)!.histograms).toEqual([h(3)]);
    put(again, [[5, T0 + 30_000, h(4)]]);
    await again.flush();
    // close() flushed the first two rows, flush() the third.
    expect(again.stats().histogramParts).toBe(2);
    expect(timesOf(again, 5)).toEqual([T0, T0 + 15_000, T0 + 30_000]);
  });

  it('cuts a torn WAL tail and keeps the records before it', () => {
    const d = dir();
    // Not closed: as after a kill, the rows are only in the WAL.
    const s = HistogramStore.open(storeOptions(d));
    put(s, [[1, T0, h(1)]]);
    put(s, [[1, T0 + 15_000, h(2)]]);
    const seg = readdirSync(join(d, 'wal')).filter((f) => statSync(join(d, 'wal', f)).size > 0)[0]!;
    const path = join(d, 'wal', seg);
    truncateSync(path, statSync(path).size - 7);
    expect(timesOf(open(d), 1)).toEqual([T0]);
  });

  it('lets the later write win at an equal timestamp, across parts and the memtable', async () => {
    const s = open(dir());
    put(s, [[1, T0, h(1)]]);
    await s.flush();
    put(s, [[1, T0, h(2)]]);
    expect(s.read([1], -Infinity, Infinity).get(1)!.histograms).toEqual([h(2)]);
    await s.flush();
    await s.forceMerge();
    expect(s.read([1], -Infinity, Infinity).get(1)!.histograms).toEqual([h(2)]);
  });

  it('keeps one sample per -dedup.minScrapeInterval, the last, at reads and merges', async () => {
    const s = open(dir(), { dedupIntervalMs: 60_000 });
    put(
      s,
      Array.from({ length: 8 }, (_, i): [number, number, FloatHistogram] => [1, T0 + 1 + i * 20_000, h(i)]),
    );
    const want = [T0 + 40_001, T0 + 100_001, T0 + 140_001];
    expect(timesOf(s, 1)).toEqual(want);
    await s.forceMerge();
    expect(timesOf(s, 1)).toEqual(want);
  });

  it('hides a deleted range at once and drops it in the next merge, leaving later writes alone', async () => {
    const s = open(dir());
    put(
      s,
      [0, 1, 2, 3].map((i): [number, number, FloatHistogram] => [1, T0 + i * 15_000, h(i)]),
    );
    await s.deleteRange([1], T0 + 15_000, T0 + 30_000);
    expect(timesOf(s, 1)).toEqual([T0, T0 + 45_000]);
    put(s, [[1, T0 + 15_000, h(9)]]);
    expect(timesOf(s, 1)).toEqual([T0, T0 + 15_000, T0 + 45_000]);
    await s.forceMerge();
    expect(s.read([1], -Infinity, Infinity).get(1)!.histograms).toEqual([h(0), h(9), h(3)]);
  });

  it('drops series the index deleted and samples out of retention when merging', async () => {
    let minValid = -Infinity;
    const s = open(dir(), { isDeleted: (id) => id === 2, minValidT: () => minValid });
    put(s, [
      [1, T0, h(1)],
      [1, T0 + 600_000, h(2)],
      [2, T0, h(3)],
    ]);
    await s.forceMerge();
    minValid = T0 + 1;
    expect(timesOf(s, 1)).toEqual([T0 + 600_000]);
    expect(timesOf(s, 2)).toEqual([]);
    expect(s.stats().histogramRows).toBe(2);
    await s.forceMerge();
    expect(s.stats().histogramRows).toBe(1);
  });

  it('drops whole months past retention', async () => {
    let minValid = -Infinity;
    const s = open(dir(), { minValidT: () => minValid });
    put(s, [
      [1, T0, h(1)],
      [1, T0 + 40 * 86_400_000, h(2)],
    ]);
    await s.flush();
    expect(s.stats().histogramParts).toBe(2);
    minValid = T0 + 35 * 86_400_000;
    await s.applyRetention();
    expect(s.stats().histogramParts).toBe(1);
  });

  it('downsamples old data to the last histogram of each interval (downsampling rules, pick last)', async () => {
    const rules: MergeRules = { fallback: { minValidT: -Infinity, levels: [{ beforeT: T0 + 20 * 60_000, intervalMs: 300_000 }] }, groups: [], mode: 'last' };
    const s = open(dir(), { lifecycleRules: () => rules });
    put(
      s,
      Array.from({ length: 40 }, (_, i): [number, number, FloatHistogram] => [1, T0 + i * 60_000, h(i)]),
    );
    await s.forceMerge();
    const got = s.read([1], -Infinity, Infinity).get(1)!;
    // Before the cutoff (minute 20): the last histogram of each 5 minutes; after it, every minute.
    expect([...got.timestamps].slice(0, 5)).toEqual([4, 9, 14, 19, 20].map((m) => T0 + m * 60_000));
    expect(got.histograms[1]).toEqual(h(9));
    expect(got.timestamps.length).toBe(4 + 20);
  });
});

describe('the querier fills Series.histograms (real storage, real index)', () => {
  it('returns float and histogram samples of one series side by side, across a restart', async () => {
    const d = dir();
    const now = Date.now() - 60_000;
    const openDb = () =>
      Database.open({
        dataPath: d,
        retentionMs: 0,
        dedupIntervalMs: 0,
        flushIntervalMs: 3_600_000,
        walFsync: 'never',
        walFsyncIntervalMs: 1000,
        maxSeriesPerQuery: 1000,
      });
    let db = await openDb();
    const body = encodeRemoteWriteV1(
      [
        { labels: [{ name: '__name__', value: 'm' }], timestamps: [now - 30_000], values: [1] },
        { labels: [{ name: '__name__', value: 'm' }], histograms: [{ timestamp: now, histogram: h(2), integer: true }] },
        { labels: [{ name: '__name__', value: 'only_h' }], histograms: [{ timestamp: now, histogram: h(3) }] },
      ],
      { compress: false },
    );
    const res = await db.write(DEFAULT_TENANT, decodeWriteRequestV1(body));
    expect(res).toMatchObject({ samplesWritten: 1, histogramsWritten: 2 });
    const check = async () => {
      const q = db.querier(DEFAULT_TENANT);
      const got = await q.select([{ name: '__name__', type: '=~', value: 'm|only_h' }], now - 3_600_000, now + 1);
      expect(got.map((s) => [s.labels[0]!.value, [...s.timestamps], [...(s.histograms?.timestamps ?? [])]])).toEqual([
        ['m', [now - 30_000], [now]],
        ['only_h', [], [now]],
      ]);
      expect(got[1]!.histograms!.histograms[0]).toEqual(h(3));
      expect(await db.series(DEFAULT_TENANT, [[{ name: '__name__', type: '=', value: 'only_h' }]], now - 3_600_000, now + 1)).toHaveLength(1);
    };
    await check();
    await db.close();
    db = await openDb();
    cleanups.push(() => db.close());
    await check();
    await db.forceMerge();
    await check();
  });
});

describe('storage facade', () => {
  it('keeps histogram-only series through force_merge (they count as present)', async () => {
    const d = dir();
    const s = await openStorage(d);
    cleanups.push(() => s.close());
    const t = Date.now() - 60_000;
    await s.appendHistograms(Float64Array.of(7), Float64Array.of(t), Float64Array.of(0), 1, rowsOf([h(1)]));
    await s.forceMerge();
    expect(await s.seriesIdsInRange(-Infinity, Infinity)).toEqual([7]);
    expect(s.readHistograms([7], -Infinity, Infinity).get(7)!.histograms).toEqual([h(1)]);
  });
});
