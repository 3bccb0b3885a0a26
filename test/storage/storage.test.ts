import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidRowsError, type Storage } from '../../src/storage/index.js';
import { isStaleNaNAt } from '../../src/model/index.js';
import { T0, asPairs, openStorage, rows, staleAt, tempDir } from './helpers.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function fresh(extra: Parameters<typeof openStorage>[1] = {}): Promise<{ s: Storage; path: string }> {
  const d = tempDir();
  const s = await openStorage(d.path, extra);
  cleanups.push(d.cleanup, () => s.close());
  return { s, path: d.path };
}

describe('Storage', () => {
  it('returns appended samples as soon as append resolves, before any flush', async () => {
    const { s } = await fresh();
    await s.append(
      ...rows([
        [1, T0, 1.5],
        [2, T0, 7],
        [1, T0 + 1000, 2.5],
      ]),
    );
    const got = await s.read([1, 2], T0, T0 + 1000);
    expect(asPairs(got.get(1))).toEqual([
      [T0, 1.5],
      [T0 + 1000, 2.5],
    ]);
    expect(asPairs(got.get(2))).toEqual([[T0, 7]]);
  });

  it('sorts out-of-order and backfilled samples by time', async () => {
    const { s } = await fresh();
    await s.append(
      ...rows([
        [1, T0 + 3000, 3],
        [1, T0 + 1000, 1],
      ]),
    );
    await s.forceFlush();
    await s.append(
      ...rows([
        [1, T0 + 2000, 2],
        [1, T0 - 86_400_000, 0],
      ]),
    );
    const got = await s.read([1], T0 - 86_400_000, T0 + 3000);
    expect(asPairs(got.get(1))).toEqual([
      [T0 - 86_400_000, 0],
      [T0 + 1000, 1],
      [T0 + 2000, 2],
      [T0 + 3000, 3],
    ]);
  });

  it('keeps the last written sample for an equal timestamp when dedup is off, across memtable and parts', async () => {
    const { s } = await fresh();
    await s.append(...rows([[1, T0, 1]]));
    await s.forceFlush();
    await s.append(...rows([[1, T0, 2]]));
    expect(asPairs((await s.read([1], T0, T0)).get(1))).toEqual([[T0, 2]]);
    await s.forceFlush();
    await s.append(
      ...rows([
        [1, T0, 3],
        [1, T0, 4],
      ]),
    );
    await s.forceFlush();
    await s.forceMerge();
    expect(asPairs((await s.read([1], T0, T0)).get(1))).toEqual([[T0, 4]]);
  });

  it('limits reads to [minT, maxT] inclusive and to the requested ids', async () => {
    const { s } = await fresh();
    await s.append(
      ...rows([
        [1, T0, 1],
        [1, T0 + 1, 2],
        [1, T0 + 2, 3],
        [2, T0 + 1, 9],
      ]),
    );
    await s.forceFlush();
    const got = await s.read([1], T0 + 1, T0 + 1);
    expect([...got.keys()]).toEqual([1]);
    expect(asPairs(got.get(1))).toEqual([[T0 + 1, 2]]);
  });

  it('keeps staleness markers bit for bit through WAL, parts and merges', async () => {
    const { path, s } = await fresh();
    const vs = staleAt([1, 0, 3], 1);
    await s.append(new Float64Array([5, 5, 5]), new Float64Array([T0, T0 + 1, T0 + 2]), vs, 3);
    const check = async (st: Storage): Promise<void> => {
      const got = (await st.read([5], T0, T0 + 2)).get(5)!;
      expect(got.values.length).toBe(3);
      expect(isStaleNaNAt(got.values, 1)).toBe(true);
    };
    await check(s);
    await s.forceMerge();
    await check(s);
    await s.close();
    const again = await openStorage(path);
    cleanups.push(() => again.close());
    await check(again);
  });

  it('replays the WAL on open so unflushed samples survive a restart', async () => {
    const d = tempDir();
    cleanups.push(d.cleanup);
    const s = await openStorage(d.path);
    await s.append(
      ...rows([
        [1, T0, 1],
        [2, T0 + 5, 2],
      ]),
    );
    // Simulate a crash: no close(), so nothing is flushed to parts.
    const again = await openStorage(d.path);
    cleanups.push(() => again.close());
    expect(again.stats().walReplayedRows).toBe(2);
    const got = await again.read([1, 2], T0, T0 + 5);
    expect(asPairs(got.get(1))).toEqual([[T0, 1]]);
    expect(asPairs(got.get(2))).toEqual([[T0 + 5, 2]]);
  });

  it('writes a part per calendar month and drops WAL segments once rows are in parts', async () => {
    const { path, s } = await fresh();
    const oct = Date.UTC(2026, 9, 31, 23, 59, 59);
    await s.append(
      ...rows([
        [1, oct, 1],
        [1, oct + 2000, 2],
      ]),
    );
    expect(s.stats().walBytes).toBeGreaterThan(0);
    await s.forceFlush();
    expect(
      readdirSync(join(path, 'data'))
        .filter((n) => /^\d{4}_\d{2}$/.test(n))
        .sort(),
    ).toEqual(['2026_10', '2026_11']);
    expect(s.stats().walBytes).toBe(0);
    expect(s.stats().pendingRows).toBe(0);
    expect(s.stats().partsByType.small).toBe(2);
    expect(asPairs((await s.read([1], oct, oct + 2000)).get(1))).toEqual([
      [oct, 1],
      [oct + 2000, 2],
    ]);
  });

  it('splits series longer than 8192 samples into several blocks and reads them all back', async () => {
    const { s } = await fresh();
    const n = 20_000;
    const ids = new Float64Array(n).fill(3);
    const ts = Float64Array.from({ length: n }, (_, i) => T0 + i * 15_000);
    const vs = Float64Array.from({ length: n }, (_, i) => i * 0.5);
    await s.append(ids, ts, vs, n);
    await s.forceFlush();
    const got = (await s.read([3], -Infinity, Infinity)).get(3)!;
    expect(got.timestamps).toEqual(ts);
    expect(got.values).toEqual(vs);
    const mid = (await s.read([3], ts[9000]!, ts[9002]!)).get(3)!;
    expect(Array.from(mid.values)).toEqual([4500, 4500.5, 4501]);
  });

  it('rejects and counts samples older than the retention period', async () => {
    const now = T0 + 10 * 86_400_000;
    const { s } = await fresh({ retentionMs: 86_400_000, now: () => now });
    const r = await s.append(
      ...rows([
        [1, now - 2 * 86_400_000, 1],
        [1, now - 1000, 2],
      ]),
    );
    expect(r).toEqual({ stored: 1, droppedOutOfRetention: 1, droppedOutOfBounds: 0 });
    expect(s.stats().rowsDroppedOutOfRetention).toBe(1);
    expect(asPairs((await s.read([1], 0, now)).get(1))).toEqual([[now - 1000, 2]]);
  });

  it('drops whole partitions and trims partition edges past retention', async () => {
    let now = Date.UTC(2026, 9, 20);
    const d = tempDir();
    cleanups.push(d.cleanup);
    const s = await openStorage(d.path, { retentionMs: 30 * 86_400_000, now: () => now, flushIntervalMs: 20 });
    cleanups.push(() => s.close());
    await s.append(
      ...rows([
        [1, Date.UTC(2026, 8, 25), 1],
        [1, Date.UTC(2026, 9, 1), 2],
        [1, Date.UTC(2026, 9, 15), 3],
      ]),
    );
    await s.forceFlush();
    expect(existsSync(join(d.path, 'data', '2026_09'))).toBe(true);
    now = Date.UTC(2026, 10, 5); // boundary: 2026-10-06 minus... 30 days before Nov 5 = Oct 6
    await s.forceMerge();
    expect(asPairs((await s.read([1], 0, now)).get(1))).toEqual([[Date.UTC(2026, 9, 15), 3]]);
    await new Promise((r) => setTimeout(r, 100)); // a flush tick applies partition retention
    expect(existsSync(join(d.path, 'data', '2026_09'))).toBe(false);
    expect(s.stats().rowsByPartType.big).toBe(1);
  });

  it('deduplicates an HA pair to one sample per interval, VictoriaMetrics style', async () => {
    const { s } = await fresh({ dedupIntervalMs: 15_000 });
    const base = Math.ceil(T0 / 15_000) * 15_000;
    // Replica A scrapes at +1s, replica B at +4s of every 15 s interval.
    const list: [number, number, number][] = [];
    for (let i = 0; i < 4; i++) {
      list.push([1, base + i * 15_000 + 1000, i]);
      list.push([1, base + i * 15_000 + 4000, i + 0.5]);
    }
    await s.append(...rows(list));
    const expected = [0, 1, 2, 3].map((i) => [base + i * 15_000 + 4000, i + 0.5]);
    expect(asPairs((await s.read([1], 0, Infinity)).get(1))).toEqual(expected);
    await s.forceMerge();
    const st = s.stats();
    expect(st.rowsByPartType.small + st.rowsByPartType.big).toBe(4);
    expect(asPairs((await s.read([1], 0, Infinity)).get(1))).toEqual(expected);
  });

  it('drops deleted series during merges', async () => {
    const deleted = new Set<number>();
    const { s } = await fresh({ isDeleted: (id) => deleted.has(id) });
    await s.append(
      ...rows([
        [1, T0, 1],
        [2, T0, 2],
        [3, T0, 3],
      ]),
    );
    await s.forceFlush();
    deleted.add(2);
    await s.forceMerge();
    expect(s.stats().rowsByPartType.big).toBe(2);
    expect([...(await s.read([1, 2, 3], 0, Infinity)).keys()]).toEqual([1, 3]);
  });

  it('force_merge leaves a lone merged part alone when nothing is deleted, and rewrites a lone flush part', async () => {
    const deleted = new Set<number>();
    const { s } = await fresh({ isDeleted: (id) => deleted.has(id), anyDeleted: () => deleted.size > 0 });
    await s.append(
      ...rows([
        [1, T0, 1],
        [2, T0, 2],
      ]),
    );
    await s.forceFlush();
    expect(s.stats().partsByType.small).toBe(1);
    await s.forceMerge();
    expect(s.stats().partsByType.big).toBe(1);
    const merges = s.stats().mergesTotal;
    await s.forceMerge();
    expect(s.stats().mergesTotal).toBe(merges);
    deleted.add(2);
    await s.forceMerge();
    expect(s.stats().mergesTotal).toBe(merges + 1);
    expect([...(await s.read([1, 2], 0, Infinity)).keys()]).toEqual([1]);
  });

  it('merges many small parts into fewer, keeping every sample', async () => {
    const { s } = await fresh();
    for (let i = 0; i < 12; i++) {
      await s.append(
        ...rows([
          [1, T0 + i, i],
          [2, T0 + i, -i],
        ]),
      );
      await s.forceFlush();
    }
    await new Promise((r) => setTimeout(r, 50));
    await s.forceMerge();
    const st = s.stats();
    expect(st.partsByType.small + st.partsByType.big).toBe(1);
    expect(st.mergesTotal).toBeGreaterThan(0);
    const got = await s.read([1, 2], 0, Infinity);
    expect(Array.from(got.get(1)!.values)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(got.get(2)!.values.length).toBe(12);
  });

  it('answers which series have samples in a time range', async () => {
    const { s } = await fresh();
    await s.append(
      ...rows([
        [1, T0, 1],
        [7, T0 + 100, 1],
      ]),
    );
    await s.forceFlush();
    await s.append(...rows([[4, T0 + 50, 1]]));
    expect(await s.seriesIdsInRange(T0, T0 + 60)).toEqual([1, 4]);
    expect(await s.seriesIdsInRange(T0, T0 + 100)).toEqual([1, 4, 7]);
  });

  it('rejects malformed rows with a clear error and stores nothing of the batch', async () => {
    const { s } = await fresh();
    await expect(
      s.append(
        ...rows([
          [1, T0, 1],
          [1, NaN, 2],
        ]),
      ),
    ).rejects.toThrow(InvalidRowsError);
    await expect(s.append(...rows([[-1, T0, 1]]))).rejects.toThrow(/series id -1/);
    await expect(s.append(new Float64Array(1), new Float64Array(1), new Float64Array(1), 2)).rejects.toThrow(/count 2/);
    expect(s.stats().rowsIngested).toBe(0);
  });

  it('reports ingestion, parts and WAL numbers in stats()', async () => {
    const { s } = await fresh();
    await s.append(
      ...rows([
        [1, T0, 1],
        [2, T0, 2],
      ]),
    );
    let st = s.stats();
    expect(st.rowsIngested).toBe(2);
    expect(st.pendingRows).toBe(2);
    expect(st.walBytes).toBeGreaterThan(48);
    await s.forceFlush();
    st = s.stats();
    expect(st.pendingRows).toBe(0);
    expect(st.rowsByPartType.small).toBe(2);
    expect(st.partsByType.small).toBe(1);
    expect(st.flushesTotal).toBe(1);
    expect(st.diskBytes).toBeGreaterThan(0);
  });

  it('flushes on its own every flushInterval', async () => {
    const { s } = await fresh({ flushIntervalMs: 30 });
    await s.append(...rows([[1, T0, 1]]));
    await new Promise((r) => setTimeout(r, 200));
    expect(s.stats().pendingRows).toBe(0);
    expect(s.stats().partsByType.small).toBe(1);
  });
});

describe('Storage options and reads', () => {
  it('refuses bad options with a message naming the option', async () => {
    const d = tempDir();
    cleanups.push(d.cleanup);
    await expect(openStorage(d.path, { walFsync: 'sometimes' as 'always' })).rejects.toThrow(/walFsync must be always, interval or never/);
    await expect(openStorage(d.path, { flushIntervalMs: 0 })).rejects.toThrow(/flushIntervalMs/);
    await expect(openStorage(d.path, { dedupIntervalMs: -5 })).rejects.toThrow(/dedupIntervalMs/);
  });

  it('accepts ids in any order and with repeats', async () => {
    const { s } = await fresh();
    await s.append(
      ...rows([
        [1, T0, 1],
        [2, T0, 2],
      ]),
    );
    const got = await s.read([2, 1, 2], T0, T0);
    expect([...got.keys()].sort()).toEqual([1, 2]);
  });

  it('fails operations after close with a clear error', async () => {
    const d = tempDir();
    cleanups.push(d.cleanup);
    const s = await openStorage(d.path);
    await s.close();
    await expect(s.append(...rows([[1, T0, 1]]))).rejects.toThrow(/closed/);
    await expect(s.read([1], 0, 1)).rejects.toThrow(/closed/);
  });

  it('close() writes the memtable to a part, so a reopen replays nothing', async () => {
    const d = tempDir();
    cleanups.push(d.cleanup);
    const s = await openStorage(d.path);
    await s.append(...rows([[1, T0, 1]]));
    await s.close();
    const again = await openStorage(d.path);
    cleanups.push(() => again.close());
    expect(again.stats().walReplayedRows).toBe(0);
    expect(asPairs((await again.read([1], 0, Infinity)).get(1))).toEqual([[T0, 1]]);
  });
});

describe('Storage durability modes and backpressure', () => {
  it('acknowledges appends in every fsync mode and replays them after a crash', async () => {
    for (const walFsync of ['always', 'interval', 'never'] as const) {
      const d = tempDir();
      cleanups.push(d.cleanup);
      const s = await openStorage(d.path, { walFsync, walFsyncIntervalMs: 5 });
      const acks = await Promise.all([1, 2, 3].map((i) => s.append(...rows([[i, T0 + i, i]]))));
      expect(acks.map((a) => a.stored)).toEqual([1, 1, 1]);
      const again = await openStorage(d.path); // no close(): a crash
      cleanups.push(() => again.close());
      expect([...(await again.read([1, 2, 3], 0, Infinity)).keys()]).toEqual([1, 2, 3]);
    }
  });

  it('reuses a flushed memtable for later rows without losing or mixing any', async () => {
    const { s } = await fresh();
    const batch = (round: number): [number, number, number][] => Array.from({ length: 300 }, (_, i) => [i + 1, T0 + round * 1000, round * 1000 + i]);
    for (let round = 0; round < 4; round++) {
      const reading = s.read([1, 300], T0, T0 + 10_000);
      await s.append(...rows(batch(round)));
      await Promise.all([s.forceFlush(), reading]);
    }
    await s.append(...rows(batch(4)));
    const got = await s.read([1, 300], T0, T0 + 10_000);
    expect(asPairs(got.get(1))).toEqual([0, 1, 2, 3, 4].map((r) => [T0 + r * 1000, r * 1000]));
    expect(asPairs(got.get(300))).toEqual([0, 1, 2, 3, 4].map((r) => [T0 + r * 1000, r * 1000 + 299]));
    expect(s.stats().pendingRows).toBe(300);
  });

  it('keeps pending rows bounded by flushing at maxPendingRows', async () => {
    const { s } = await fresh({ maxPendingRows: 1000 });
    let peak = 0;
    for (let b = 0; b < 50; b++) {
      const list: [number, number, number][] = Array.from({ length: 100 }, (_, i) => [i, T0 + b * 1000, b]);
      await s.append(...rows(list));
      peak = Math.max(peak, s.stats().pendingRows);
    }
    await s.whenIdle();
    expect(peak).toBeLessThanOrEqual(2100);
    expect(s.stats().flushesTotal).toBeGreaterThanOrEqual(4);
    expect((await s.read([7], 0, Infinity)).get(7)!.values.length).toBe(50);
  });

  it('gives the columns of a write burst back once a flush finds no new rows', async () => {
    const { s } = await fresh({ maxPendingRows: 1 << 16 });
    const idle = s.stats().memtableBytes;
    for (let b = 0; b < 40; b++) {
      const list: [number, number, number][] = Array.from({ length: 2000 }, (_, i) => [i, T0 + b * 1000, b]);
      await s.append(...rows(list));
    }
    expect(s.stats().memtableBytes).toBeGreaterThan(16 * idle);
    await s.forceFlush();
    await s.whenIdle();
    expect(s.stats().memtableBytes).toBe(idle);
    expect((await s.read([7], 0, Infinity)).get(7)!.values.length).toBe(40);
  });
});
