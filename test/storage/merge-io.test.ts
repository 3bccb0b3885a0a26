import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 as zlibCrc32, inflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/storage/crc32.js';
import { RawDeflater } from '../../src/storage/raw-deflater.js';
import { mergeParts } from '../../src/storage/merge.js';
import { Part } from '../../src/storage/part.js';
import { PartWriter } from '../../src/storage/part-writer.js';
import { readLabelsFile, type SeriesLabels } from '../../src/storage/labels-table.js';
import type { MergeJob } from '../../src/storage/jobs.js';
import { SampleBuffer } from '../../src/storage/samples.js';
import { T0, tempDir } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function dir(): string {
  const d = tempDir('strata-merge-io-');
  cleanups.push(d.cleanup);
  return d.path;
}

const nameOf = (n: number): string => n.toString(16).padStart(16, '0');

function labelsOf(id: number): SeriesLabels {
  return {
    id,
    accountID: 0,
    projectID: 0,
    labels: [
      { name: '__name__', value: `m${id % 7}` },
      { name: 'i', value: String(id) },
    ],
  };
}

/** A part of `ids`, `n` samples each from `from` (values from `value`), with a series table when `labels`. */
function writePart(
  root: string,
  seq: number,
  ids: number[],
  n: number,
  from: number,
  opts: { labels?: number[]; value?: (id: number, i: number) => number } = {},
): string {
  const final = join(root, nameOf(seq));
  const w = new PartWriter(join(root, `tmp_${nameOf(seq)}`), final, 'small', 0);
  const value = opts.value ?? ((id, i) => id * 1000 + from + i);
  for (const id of ids) {
    const ts = Float64Array.from({ length: n }, (_, i) => T0 + (from + i) * 10_000);
    const vs = Float64Array.from({ length: n }, (_, i) => value(id, i));
    w.addSeries(id, ts, vs, n);
  }
  w.finish(undefined, opts.labels?.map(labelsOf));
  return final;
}

function job(root: string, inputs: string[], seq: number, extra: Partial<MergeJob> = {}): MergeJob {
  return {
    kind: 'merge',
    partitionDir: root,
    inputs,
    partName: nameOf(seq),
    dedupIntervalMs: 0,
    minValidT: -Infinity,
    deletedIds: new Float64Array(0),
    deflate: true,
    tombstones: [],
    rules: null,
    ...extra,
  };
}

function readSeries(path: string, id: number): SampleBuffer {
  const part = Part.open(path, 'p', { verifyData: true });
  const out = new SampleBuffer();
  part.collect([id], -Infinity, Infinity, () => out, [new Float64Array(8192), new Float64Array(8192)]);
  part.retire();
  return out;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('CRC-32 of short inputs in JavaScript', () => {
  it('equals zlib for every length up to past the JavaScript limit, from any starting CRC', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let n = 0; n <= 300; n++) {
      const b = bytes.subarray(0, n);
      expect(crc32(b)).toBe(zlibCrc32(b));
      expect(crc32(b, 0xdeadbeef)).toBe(zlibCrc32(b, 0xdeadbeef));
    }
  });
});

describe('RawDeflater', () => {
  it('gives raw DEFLATE streams that inflate to the input, call after call', () => {
    const d = new RawDeflater({ level: 6, windowBits: 14, memLevel: 7 });
    for (let k = 0; k < 50; k++) {
      const input = Uint8Array.from({ length: 100 + k * 97 }, (_, i) => (i % (k + 3)) * 5);
      const z = d.deflate(input)!;
      expect(Buffer.from(inflateRawSync(z)).equals(Buffer.from(input))).toBe(true);
    }
  });

  it('answers null when the stream would pass the limit', () => {
    const d = new RawDeflater({ level: 6 });
    let x = 2463534242;
    const noise = Uint8Array.from({ length: 2000 }, () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x & 0xff;
    });
    expect(d.deflate(noise, noise.length - 64)).toBeNull();
    const after = d.deflate(new Uint8Array(1000))!;
    expect(inflateRawSync(after).length).toBe(1000);
  });
});

describe('merge input and output', () => {
  it('copies the only series table that lists series, byte for byte', () => {
    const root = dir();
    const a = writePart(root, 1, range(1, 50), 10, 0, { labels: range(1, 50) });
    const b = writePart(root, 2, range(1, 50), 10, 10, { labels: [] });
    mergeParts(job(root, [a, b], 3));
    expect(readFileSync(join(root, nameOf(3), 'labels.bin')).equals(readFileSync(join(a, 'labels.bin')))).toBe(true);
  });

  it('unions the series tables of several inputs, keeping the series written', () => {
    const root = dir();
    const a = writePart(root, 1, [1, 2, 3], 10, 0, { labels: [1, 2, 3] });
    const b = writePart(root, 2, [2, 4], 10, 10, { labels: [4] });
    const r = mergeParts(job(root, [a, b], 3));
    expect(readLabelsFile(join(root, nameOf(3)))).toEqual([1, 2, 3, 4].map(labelsOf));
    expect(r.seriesTablesIncomplete).toBeUndefined();
  });

  it('does not copy a table listing a series the merge dropped, and says the listings are incomplete', () => {
    const root = dir();
    const a = writePart(root, 1, [1, 2, 3], 10, 0, { labels: [1, 2, 3] });
    const b = writePart(root, 2, [1, 3], 10, 10, { labels: [] });
    const r = mergeParts(job(root, [a, b], 3, { deletedIds: Float64Array.from([2]) }));
    expect(readLabelsFile(join(root, nameOf(3)))!.map((e) => e.id)).toEqual([1, 3]);
    expect(r.seriesTablesIncomplete).toBe(true);
  });

  it('reads columns shared from far back in a big part (past the read-ahead window)', () => {
    const root = dir();
    // Constant series repeat one value column; the noisy ones between them push the writer far
    // past the first copy, so the merge reads it back from before its read-ahead window.
    const ids = range(1, 2001);
    const value = (id: number, i: number): number => (id % 10 === 0 ? 42 : Math.sin(id * 7.1 + i) * 1e6 + id);
    const big = join(root, nameOf(1));
    const w = new PartWriter(join(root, 'tmp_big'), big, 'big', 0, false);
    for (const id of ids) {
      const ts = Float64Array.from({ length: 100 }, (_, i) => T0 + i * 10_000);
      w.addSeries(
        id,
        ts,
        Float64Array.from({ length: 100 }, (_, i) => value(id, i)),
        100,
      );
    }
    w.finish();
    expect(readFileSync(join(big, 'values.bin')).length).toBeGreaterThan(512 * 1024);
    const later = writePart(root, 2, ids, 5, 100, { value: (id) => (id % 10 === 0 ? 42 : id) });
    const r = mergeParts(job(root, [big, later], 3));
    expect(r.lostBlocks).toEqual([]);
    for (const id of [10, 1990, 2000, 1999]) {
      const s = readSeries(join(root, nameOf(3)), id);
      expect(s.length).toBe(105);
      expect(s.values[50]).toBe(value(id, 50));
      expect(s.values[104]).toBe(id % 10 === 0 ? 42 : id);
    }
  });

  it('finds a damaged shared column in every block that points at it', () => {
    const root = dir();
    const ids = range(1, 101);
    const p = writePart(root, 1, ids, 20, 0, { value: () => 7 });
    // Every series has the same timestamps: one shared timestamp column at offset 0.
    const ts = join(p, 'timestamps.bin');
    const bytes = readFileSync(ts);
    bytes[1] = bytes[1]! ^ 0x10;
    writeFileSync(ts, bytes);
    const other = writePart(root, 2, ids, 5, 20);
    const r = mergeParts(job(root, [p, other], 3));
    expect(r.lostBlocks!.map((b) => b.seriesId)).toEqual(ids);
    expect(readSeries(join(root, nameOf(3)), 50).length).toBe(5);
  });

  it('stops a cancelled merge without leaving a part behind', () => {
    const root = dir();
    const a = writePart(root, 1, range(1, 3000), 3, 0);
    const b = writePart(root, 2, range(1, 3000), 3, 3);
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(cancel, 0, 1);
    const r = mergeParts(job(root, [a, b], 3, { cancel }));
    expect(r.cancelled).toBe(true);
    expect(r.parts).toEqual([]);
    expect(readdirSync(root).sort()).toEqual([nameOf(1), nameOf(2)]);
    expect(existsSync(join(a, 'metadata.json'))).toBe(true);
  });
});
