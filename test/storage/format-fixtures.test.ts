import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Part } from '../../src/storage/part.js';
import { COMPRESSED } from '../../src/storage/block-codec.js';
import { HEADER_SIZE } from '../../src/storage/part-format.js';
import { SampleBuffer } from '../../src/storage/samples.js';
import { Wal } from '../../src/storage/wal.js';
import { tempDir } from './helpers.js';

// Files written once by scripts/make-format-fixtures.mjs and committed (see testdata/README.md):
// these tests read them with today's reader, so a reader that stops understanding bytes already
// on users' disks fails here. Never regenerate the fixtures to make a test pass.
const TESTDATA = join(fileURLToPath(new URL('.', import.meta.url)), 'testdata');
const T0 = 1767225600000; // 2026-01-01T00:00:00Z
/** Bit pattern of Prometheus's staleness marker, a NaN the reader must hand back unchanged. */
const STALE = '7ff0000000000002';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

const every15s = (n: number): number[] => Array.from({ length: n }, (_, i) => T0 + i * 15_000);

/** The samples the fixture script wrote into both parts; value `'7ff0…'` strings are bit patterns. */
const SERIES: Record<number, { ts: number[]; vs: (number | string)[] }> = {
  1: { ts: every15s(8), vs: [100, 103, 110, 110, 118, 125, 131, 140] },
  2: {
    ts: [T0, T0 + 15_001, T0 + 29_998, T0 + 45_003, T0 + 60_000, T0 + 74_999, T0 + 90_002, T0 + 105_000],
    vs: [0.1, 0.25, 1.5, -3.75, 2.125, 0.5, 7, STALE],
  },
  3: { ts: every15s(8), vs: [1, 2, 3, 4, 5, 6, 7, 8].map((k) => Math.PI * k) },
  4: { ts: every15s(100), vs: Array.from({ length: 100 }, (_, i) => [1.5, 2.5, 7.25, 3][i % 4]!) },
  7: { ts: every15s(8), vs: Array(8).fill(42) },
};

/**
 * Values as numbers, except NaNs, which are compared by bit pattern (read from the column's own
 * bytes: a signalling NaN can lose its payload's quiet bit on its way through a JavaScript number).
 */
function comparable(vs: Float64Array): (number | string)[] {
  const words = new BigUint64Array(vs.buffer, vs.byteOffset, vs.length);
  return Array.from(vs, (v, i) => (Number.isNaN(v) ? words[i]!.toString(16).padStart(16, '0') : v));
}

function openFixture(name: string): Part {
  const part = Part.open(join(TESTDATA, name), name, { verifyData: true });
  cleanups.push(() => part.retire());
  return part;
}

function readAll(part: Part, ids: number[]): Map<number, SampleBuffer> {
  const out = new Map<number, SampleBuffer>();
  part.collect(ids, -Infinity, Infinity, (id) => out.get(id) ?? out.set(id, new SampleBuffer()).get(id)!, [new Float64Array(8192), new Float64Array(8192)]);
  return out;
}

function expectSeries(got: Map<number, SampleBuffer>, id: number, ts: number[], vs: (number | string)[]): void {
  const b = got.get(id);
  expect(b, `series ${id}`).toBeDefined();
  expect(Array.from(b!.timestamps.subarray(0, b!.length))).toEqual(ts);
  expect(comparable(b!.values.subarray(0, b!.length))).toEqual(vs);
}

describe('committed format fixtures (test/storage/testdata)', () => {
  it('a version-1 part stores its header group as plain 64-byte headers', () => {
    const part = openFixture('part-v1');
    expect(part.meta.formatVersion).toBe(1);
    expect(part.meta.deflated).toBeUndefined();
    expect(statSync(join(TESTDATA, 'part-v1', 'index.bin')).size).toBe(part.meta.blocks * HEADER_SIZE);
    // Version 1 left the metaindex entry's last u32 zero: the stored size is implied by the count.
    expect(readFileSync(join(TESTDATA, 'part-v1', 'metaindex.bin')).readUInt32LE(44)).toBe(0);
  });

  it('a version-1 part reads back every sample written, deflated columns and staleness marker included', () => {
    const part = openFixture('part-v1');
    const headers = part.readHeaderGroup(0);
    expect(headers.map((h) => h.seriesId)).toEqual([1, 2, 3, 4, 7]);
    expect(headers.some((h) => (h.valCodec & COMPRESSED) !== 0)).toBe(true);
    const got = readAll(part, [1, 2, 3, 4, 5, 7]);
    expect([...got.keys()]).toEqual([1, 2, 3, 4, 7]);
    for (const [id, s] of Object.entries(SERIES)) expectSeries(got, Number(id), s.ts, s.vs);
  });

  it('a version-2 part stores compressed header groups, split over two of them', () => {
    const part = openFixture('part-v2');
    expect(part.meta.formatVersion).toBe(2);
    expect(part.meta.deflated).toBe(true);
    expect(part.meta.policy).toEqual({ at: T0 + 86_400_000, signature: 'fixture' });
    expect(part.meta.blocks).toBe(266);
    expect(part.headerGroups).toBe(2);
    expect(statSync(join(TESTDATA, 'part-v2', 'index.bin')).size).toBeLessThan(part.meta.blocks * 8);
    expect(part.readHeaderGroup(0)).toHaveLength(256);
    expect(part.readHeaderGroup(1).map((h) => h.seriesId)).toEqual([261, 262, 263, 264, 265, 266, 267, 268, 269, 270]);
  });

  it('a version-2 part shares repeated columns between headers', () => {
    const part = openFixture('part-v2');
    const headers = [...part.readHeaderGroup(0), ...part.readHeaderGroup(1)];
    const scrape = headers.filter((h) => h.count === 8 && h.seriesId !== 2);
    expect(new Set(scrape.map((h) => h.tsOffset))).toEqual(new Set([0]));
    const bulk = headers.filter((h) => h.seriesId >= 10);
    expect(new Set(bulk.map((h) => h.valOffset)).size).toBe(3);
  });

  it('a version-2 part reads back every sample written', () => {
    const part = openFixture('part-v2');
    const bulk = Array.from({ length: 261 }, (_, k) => 10 + k);
    const got = readAll(part, [1, 2, 3, 4, 5, 7, ...bulk, 271]);
    expect(got.size).toBe(5 + bulk.length);
    for (const [id, s] of Object.entries(SERIES)) expectSeries(got, Number(id), s.ts, s.vs);
    for (const id of bulk) expectSeries(got, id, every15s(8), Array(8).fill(id % 3));
  });

  it('a flush part (version 1 index) stores plain 64-byte headers and shares timestamp columns', () => {
    const part = openFixture('part-v1-flush');
    expect(part.meta.formatVersion).toBe(1);
    expect(part.meta.type).toBe('small');
    expect(part.meta.deflated).toBe(false);
    expect(statSync(join(TESTDATA, 'part-v1-flush', 'index.bin')).size).toBe(266 * HEADER_SIZE);
    const headers = [...part.readHeaderGroup(0), ...part.readHeaderGroup(1)];
    expect(new Set(headers.filter((h) => h.count === 8 && h.seriesId !== 2).map((h) => h.tsOffset))).toEqual(new Set([0]));
    expect(headers.every((h) => (h.valCodec & COMPRESSED) === 0)).toBe(true);
  });

  it('a flush part (version 1 index) reads back every sample written', () => {
    const part = openFixture('part-v1-flush');
    const bulk = Array.from({ length: 261 }, (_, k) => 10 + k);
    const got = readAll(part, [1, 2, 3, 4, 5, 7, ...bulk, 271]);
    expect(got.size).toBe(5 + bulk.length);
    for (const [id, s] of Object.entries(SERIES)) expectSeries(got, Number(id), s.ts, s.vs);
    for (const id of bulk) expectSeries(got, id, every15s(8), Array(8).fill(id % 3));
  });

  it('the WAL segments replay to the rows written, cutting the torn frame at the end', async () => {
    const d = tempDir('strata-wal-fixture-');
    cleanups.push(d.cleanup);
    const dir = join(d.path, 'wal');
    cpSync(join(TESTDATA, 'wal'), dir, { recursive: true });
    const rows: (number | string)[][] = [];
    const { wal, replay } = Wal.open({ dir, fsync: 'never', fsyncIntervalMs: 1000 }, (ids, ts, vs, n) => {
      for (let i = 0; i < n; i++) rows.push([ids[i]!, ts[i]!, ...comparable(vs.subarray(i, i + 1))]);
    });
    await wal.close();
    expect(rows).toEqual([
      [1, T0, 100],
      [2, T0, 0.1],
      [1, T0 + 15_000, 103],
      [3, T0 + 15_000, STALE],
      [2, T0 + 15_001, 0.25],
      [7, T0 + 30_000, 42],
    ]);
    expect(replay).toEqual({ segments: 2, records: 3, rows: 6, truncatedBytes: 20 });
    expect(statSync(join(dir, '0000000000000002.wal')).size).toBe(40);
  });
});
