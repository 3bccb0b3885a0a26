import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TENANT, type LabelMatcher, type Labels } from '../../src/model/index.js';
import { LabelIndex } from '../../src/index/index.js';
import { ls, tempDir } from './helpers.js';

const T = DEFAULT_TENANT;
const D0 = 20000;

let dir: string;
let cleanup: () => void;
let idx: LabelIndex;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('compact'));
  idx = LabelIndex.open(dir);
});
afterEach(() => {
  idx.close();
  cleanup();
});

const m = (name: string, type: LabelMatcher['type'], value: string): LabelMatcher => ({ name, type, value });
const fileBytes = (): number => statSync(join(dir, 'data.mdb')).size;

/** Series of node_exporter-like shape, created `perBatch` at a time (small batches leave free pages behind). */
function createSeries(n: number, perBatch: number, from = 0): number[] {
  const ids: number[] = [];
  for (let i = from; i < from + n; i += perBatch) {
    const sets: Labels[] = [];
    for (let k = i; k < Math.min(i + perBatch, from + n); k++)
      sets.push(ls('node_cpu_seconds_total', { instance: `host-${k % 97}:9100`, cpu: String(k), mode: 'idle' }));
    ids.push(...idx.resolve(T, sets, D0 + (i % 3)));
  }
  return ids;
}

function expectIntact(ids: readonly number[]): void {
  expect(idx.checkConsistency()).toEqual([]);
  expect(idx.select(T, [m('__name__', '=', 'node_cpu_seconds_total')], -Infinity, Infinity)).toEqual([...ids].sort((a, b) => a - b));
  expect(idx.labelsOf(ids[ids.length - 1]!).length).toBe(4);
}

describe('index compaction', () => {
  it('shrinks an index written in many small transactions and keeps every series, id and posting', async () => {
    const ids = createSeries(3000, 20);
    const before = fileBytes();
    const byDay = idx.select(T, [m('mode', '=', 'idle')], D0 * 86_400_000, D0 * 86_400_000 + 1000);
    expect(await idx.compact()).toBe(true);
    expect(fileBytes()).toBeLessThan(before * 0.7);
    expectIntact(ids);
    expect(idx.select(T, [m('mode', '=', 'idle')], D0 * 86_400_000, D0 * 86_400_000 + 1000)).toEqual(byDay);
    // The same label sets resolve to the same ids; a new one gets the next id.
    expect(idx.resolve(T, [ls('node_cpu_seconds_total', { instance: 'host-5:9100', cpu: '5', mode: 'idle' })], D0)).toEqual([ids[5]]);
    const [next] = idx.resolve(T, [ls('up')], D0);
    expect(next).toBe(Math.max(...ids) + 1);
  });

  it('reports the file size and the bytes in use, which compaction brings together', async () => {
    createSeries(2000, 10);
    const before = idx.spaceStats();
    expect(before.fileBytes).toBe(fileBytes());
    expect(before.usedBytes).toBeLessThan(before.fileBytes * 0.7);
    await idx.compact();
    const after = idx.spaceStats();
    expect(after.fileBytes).toBeLessThan(before.fileBytes);
    expect(after.usedBytes).toBeGreaterThan(after.fileBytes * 0.9);
    expect(after.usedBytes).toBeLessThanOrEqual(after.fileBytes);
  });

  it('survives a restart after compacting', async () => {
    const ids = createSeries(500, 50);
    await idx.compact();
    idx.close();
    idx = LabelIndex.open(dir);
    expectIntact(ids);
    expect(idx.resolve(T, [ls('up')], D0)[0]).toBe(Math.max(...ids) + 1);
  });

  it('loses no write made while the copy is being built', async () => {
    const ids = createSeries(400, 100);
    let done = false;
    // Small chunks so the copy yields many times; a new series is created at every turn.
    const compaction = idx.compact({ chunkEntries: 16 }).then(() => {
      done = true;
    });
    let extra = 0;
    while (!done) {
      ids.push(...createSeries(1, 1, 10_000 + extra++));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await compaction;
    expect(extra).toBeGreaterThan(2);
    expectIntact(ids);
    idx.close();
    idx = LabelIndex.open(dir);
    expectIntact(ids);
  });

  it('gives up without blocking when writes keep interrupting and mustFinish is false', async () => {
    const ids = createSeries(400, 100);
    const before = fileBytes();
    let done = false;
    const compaction = idx.compact({ chunkEntries: 16, mustFinish: false }).then((replaced) => {
      done = true;
      return replaced;
    });
    let extra = 0;
    while (!done) {
      ids.push(...createSeries(1, 1, 20_000 + extra++));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(await compaction).toBe(false);
    expect(fileBytes()).toBeGreaterThanOrEqual(before);
    expectIntact(ids);
    expect(existsSync(join(dir, 'compacting'))).toBe(false);
  });

  it('compacts when asked only if free pages pass the thresholds', async () => {
    createSeries(2000, 10);
    const { fileBytes: size, usedBytes } = idx.spaceStats();
    expect(await idx.compactIfWasteful(0.5, size)).toBe(false); // not that many free bytes
    expect(await idx.compactIfWasteful(0.99, 0)).toBe(false); // not that large a fraction
    expect(await idx.compactIfWasteful(0.2, 0)).toBe(true);
    expect(fileBytes()).toBeLessThan(size);
    expect(idx.spaceStats().usedBytes).toBeLessThanOrEqual(usedBytes);
    expect(await idx.compactIfWasteful(0.2, 0)).toBe(false); // nothing left to gain
  });

  it('serves reads and writes issued right after compact() is called', async () => {
    const ids = createSeries(200, 200);
    const compaction = idx.compact({ chunkEntries: 8 });
    ids.push(...createSeries(10, 10, 5000));
    expect(idx.seriesCount()).toBe(210);
    await compaction;
    expectIntact(ids);
  });

  it('runs a backup asked for during a compaction after it, on the compacted index', async () => {
    const ids = createSeries(300, 30);
    const copy = tempDir('compact-backup');
    try {
      const compaction = idx.compact({ chunkEntries: 8 });
      const backup = idx.backup(copy.dir);
      await Promise.all([compaction, backup]);
      const restored = LabelIndex.open(copy.dir);
      try {
        expect(restored.select(T, [], -Infinity, Infinity)).toEqual(ids);
        expect(restored.checkConsistency()).toEqual([]);
      } finally {
        restored.close();
      }
    } finally {
      copy.cleanup();
    }
  });

  it('removes the leftovers of an interrupted compaction on open, keeping the live data', () => {
    const ids = createSeries(100, 100);
    idx.close();
    mkdirSync(join(dir, 'compacting'));
    writeFileSync(join(dir, 'compacting', 'data.mdb'), 'half a copy');
    idx = LabelIndex.open(dir);
    expect(existsSync(join(dir, 'compacting'))).toBe(false);
    expectIntact(ids);
  });

  it('refuses to compact a closed index', () => {
    idx.close();
    expect(() => idx.compact()).toThrow(/closed/);
  });
});
