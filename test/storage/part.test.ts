import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PartCorruptError } from '../../src/storage/index.js';
import { Part } from '../../src/storage/part.js';
import { PartWriter } from '../../src/storage/part-writer.js';
import { HEADER_SIZE, METAINDEX_ENTRY_SIZE, writeHeader } from '../../src/storage/part-format.js';
import { crc32 } from 'node:zlib';
import { SampleBuffer } from '../../src/storage/samples.js';
import { T0, asPairs, openStorage, rows, tempDir } from './helpers.js';

let cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function dir(): string {
  const d = tempDir('strata-part-');
  cleanups.push(d.cleanup);
  return d.path;
}

function writePart(root: string, series: Record<number, number>): string {
  const final = join(root, '0000000000000001');
  const w = new PartWriter(join(root, 'tmp'), final, 'small', 0);
  for (const [id, n] of Object.entries(series)) {
    const ts = Float64Array.from({ length: n }, (_, i) => T0 + i * 10_000);
    const vs = Float64Array.from({ length: n }, (_, i) => Number(id) * 1e6 + i);
    w.addSeries(Number(id), ts, vs, n);
  }
  w.finish();
  return final;
}

function readAll(part: Part, ids: number[], minT = -Infinity, maxT = Infinity): Map<number, SampleBuffer> {
  const out = new Map<number, SampleBuffer>();
  part.collect(ids, minT, maxT, (id) => out.get(id) ?? out.set(id, new SampleBuffer()).get(id)!, [new Float64Array(8192), new Float64Array(8192)]);
  return out;
}

describe('part writer and reader', () => {
  it('round-trips many series through column files, index and metaindex', () => {
    const root = dir();
    const series: Record<number, number> = {};
    for (let id = 1; id <= 600; id++) series[id * 3] = id % 7 === 0 ? 9000 : 5; // > 256 headers: several header groups
    const path = writePart(root, series);
    expect(readdirSync(path).sort()).toEqual(['index.bin', 'metadata.json', 'metaindex.bin', 'timestamps.bin', 'values.bin']);
    const part = Part.open(path, '0000000000000001', { verifyData: true });
    expect(part.meta.rows).toBe(Object.values(series).reduce((a, b) => a + b, 0));
    expect(part.meta.series).toBe(600);
    expect(part.headerGroups).toBeGreaterThan(2);
    const got = readAll(part, [3, 21, 1500, 1800, 1801]);
    expect(got.get(3)!.length).toBe(5);
    expect(got.get(21)!.length).toBe(9000);
    expect(got.get(21)!.values[8999]).toBe(21e6 + 8999);
    expect(got.get(1800)!.length).toBe(5);
    expect(got.has(1801)).toBe(false);
    part.retire();
  });

  it('writes a timestamp column shared by many series once, and reads each series back through it', () => {
    const path = writePart(dir(), Object.fromEntries(Array.from({ length: 300 }, (_, i) => [i + 1, 360])));
    const single = writePart(dir(), { 1: 360 });
    // 300 series with the same timestamps take no more room for them than one series does.
    expect(statSync(join(path, 'timestamps.bin')).size).toBe(statSync(join(single, 'timestamps.bin')).size);
    const part = Part.open(path, 'p', { verifyData: true });
    for (let pass = 0; pass < 2; pass++) {
      // The second pass is served from the block cache, which must not confuse blocks sharing a column.
      const got = readAll(part, [1, 2, 150, 300]);
      for (const id of [1, 2, 150, 300]) {
        expect(got.get(id)!.length).toBe(360);
        expect(got.get(id)!.values[359]).toBe(id * 1e6 + 359);
        expect(got.get(id)!.timestamps[359]).toBe(T0 + 359 * 10_000);
      }
    }
    part.retire();
  });

  it('writes a values column repeated by other series once, and reads it back for each', () => {
    const root = dir();
    const final = join(root, 'p');
    const w = new PartWriter(join(root, 'tmp'), final, 'big', 0);
    const ts = Float64Array.from({ length: 500 }, (_, i) => T0 + i * 15_000);
    const ramp = Float64Array.from({ length: 500 }, (_, i) => i * 3.5);
    const other = Float64Array.from({ length: 500 }, (_, i) => i * 7);
    for (let id = 1; id <= 40; id++) w.addSeries(id, ts, id % 2 ? ramp : other, 500);
    w.finish();
    const part = Part.open(final, 'p', { verifyData: true });
    const got = readAll(part, [1, 2, 39, 40]);
    expect(Array.from(got.get(39)!.values.subarray(0, 500))).toEqual(Array.from(ramp));
    expect(Array.from(got.get(40)!.values.subarray(0, 500))).toEqual(Array.from(other));
    expect(got.get(2)!.timestamps[499]).toBe(T0 + 499 * 15_000);
    expect(part.meta.files['values.bin'].size).toBeLessThan(2 * 1000);
    part.retire();
  });

  it('deflates column blocks only when asked to, and records that in the metadata', () => {
    // Gauges rounded to one decimal that repeat their steps: deflate finds plenty here.
    const ts = Float64Array.from({ length: 2000 }, (_, i) => T0 + i * 15_000);
    const vs = Float64Array.from({ length: 2000 }, (_, i) => Math.round((50 + 10 * Math.sin(i / 7)) * 10) / 10);
    const sizes: number[] = [];
    for (const deflate of [true, false]) {
      const root = dir();
      const final = join(root, 'p');
      const w = new PartWriter(join(root, 'tmp'), final, 'big', 0, deflate);
      for (let id = 1; id <= 20; id++)
        w.addSeries(
          id,
          ts,
          vs.map((v) => v + id),
          2000,
        );
      w.finish();
      const part = Part.open(final, 'p', { verifyData: true });
      expect(part.meta.deflated).toBe(deflate);
      expect(Array.from(readAll(part, [7]).get(7)!.values.subarray(0, 2000))).toEqual(Array.from(vs.map((v) => v + 7)));
      sizes.push(part.meta.files['values.bin'].size);
      part.retire();
    }
    expect(sizes[0]!).toBeLessThan(sizes[1]!);
  });

  it('reads version 1 parts, whose header groups are plain 64-byte headers', () => {
    const path = writePart(dir(), Object.fromEntries(Array.from({ length: 300 }, (_, i) => [i + 1, i % 5 === 0 ? 9000 : 20])));
    // Rewrite the part as version 1 wrote it: raw headers, metaindex without stored sizes.
    const v2 = Part.open(path, 'p', { verifyData: false });
    const headers: Buffer[] = [];
    const metaindex = readFileSync(join(path, 'metaindex.bin'));
    let offset = 0;
    for (let b = 0; b < v2.headerGroups; b++) {
      const group = v2.readHeaderGroup(b);
      const raw = Buffer.alloc(group.length * HEADER_SIZE);
      group.forEach((h, k) => writeHeader(raw, k * HEADER_SIZE, h));
      headers.push(raw);
      metaindex.writeDoubleLE(offset, b * METAINDEX_ENTRY_SIZE + 32);
      metaindex.writeUInt32LE(0, b * METAINDEX_ENTRY_SIZE + 44);
      offset += raw.length;
    }
    v2.retire();
    const index = Buffer.concat(headers);
    writeFileSync(join(path, 'index.bin'), index);
    writeFileSync(join(path, 'metaindex.bin'), metaindex);
    const meta = JSON.parse(readFileSync(join(path, 'metadata.json'), 'utf8'));
    meta.formatVersion = 1;
    meta.files['index.bin'] = { size: index.length, crc32: crc32(index) };
    meta.files['metaindex.bin'] = { size: metaindex.length, crc32: crc32(metaindex) };
    writeFileSync(join(path, 'metadata.json'), JSON.stringify(meta));
    const part = Part.open(path, 'p', { verifyData: true });
    const got = readAll(part, [1, 2, 300]);
    expect(got.get(1)!.length).toBe(9000);
    expect(got.get(300)!.values[19]).toBe(300e6 + 19);
    part.retire();
  });

  it('reads only the requested time range', () => {
    const part = Part.open(writePart(dir(), { 5: 100 }), 'p', { verifyData: true });
    const got = readAll(part, [5], T0 + 20_000, T0 + 40_000);
    expect(Array.from(got.get(5)!.timestamps.subarray(0, 3))).toEqual([T0 + 20_000, T0 + 30_000, T0 + 40_000]);
    expect(got.get(5)!.length).toBe(3);
    part.retire();
  });

  it('records format version, rows, time range and per-file checksums in metadata.json', () => {
    const meta = JSON.parse(readFileSync(join(writePart(dir(), { 1: 10 }), 'metadata.json'), 'utf8'));
    // A flush part keeps plain 64-byte headers: version 1's index layout.
    expect(meta.formatVersion).toBe(1);
    expect(meta.rows).toBe(10);
    expect(meta.minT).toBe(T0);
    expect(meta.maxT).toBe(T0 + 90_000);
    expect(Object.keys(meta.files).sort()).toEqual(['index.bin', 'metaindex.bin', 'timestamps.bin', 'values.bin']);
    expect(typeof meta.files['values.bin'].crc32).toBe('number');
  });

  it('writes merged parts as format version 2 (compressed header groups), readable like flush parts', () => {
    const root = dir();
    const final = join(root, '0000000000000002');
    const w = new PartWriter(join(root, 'tmp'), final, 'big', 0);
    for (let id = 1; id <= 300; id++) {
      w.addSeries(
        id,
        Float64Array.from({ length: 20 }, (_, i) => T0 + i * 10_000),
        Float64Array.from({ length: 20 }, (_, i) => id * 1e6 + i),
        20,
      );
    }
    w.finish();
    expect(JSON.parse(readFileSync(join(final, 'metadata.json'), 'utf8')).formatVersion).toBe(2);
    expect(statSync(join(final, 'index.bin')).size).toBeLessThan((300 * HEADER_SIZE) / 4);
    const part = Part.open(final, 'p', { verifyData: true });
    const got = readAll(part, [1, 299]);
    expect(got.get(299)!.values[19]).toBe(299e6 + 19);
    part.retire();
  });

  it('rejects a part whose column file was altered, saying which file', () => {
    const path = writePart(dir(), { 1: 50 });
    const f = join(path, 'values.bin');
    const bytes = readFileSync(f);
    bytes[3] ^= 0x40;
    writeFileSync(f, bytes);
    expect(() => Part.open(path, 'p', { verifyData: true })).toThrow(PartCorruptError);
    expect(() => Part.open(path, 'p', { verifyData: true })).toThrow(/values\.bin checksum mismatch/);
  });

  it('detects a corrupted block at read time through its block checksum', () => {
    const path = writePart(dir(), { 1: 50 });
    const part = Part.open(path, 'p', { verifyData: false });
    const f = join(path, 'timestamps.bin');
    const bytes = readFileSync(f);
    bytes[1] ^= 0x01;
    writeFileSync(f, bytes); // same inode: the open descriptor sees the change
    expect(() => readAll(part, [1])).toThrow(/block checksum mismatch for series 1/);
    part.retire();
  });

  it('rejects truncated files and unreadable metadata with clear messages', () => {
    const a = writePart(dir(), { 1: 50 });
    writeFileSync(join(a, 'index.bin'), Buffer.alloc(3));
    expect(() => Part.open(a, 'p', { verifyData: false })).toThrow(/index\.bin is 3 bytes, metadata says \d+/);
    const b = writePart(dir(), { 1: 50 });
    writeFileSync(join(b, 'metadata.json'), '{"formatVersion": 1, "ro');
    expect(() => Part.open(b, 'p', { verifyData: false })).toThrow(/metadata\.json is missing or not JSON/);
    const c = writePart(dir(), { 1: 50 });
    const meta = JSON.parse(readFileSync(join(c, 'metadata.json'), 'utf8'));
    writeFileSync(join(c, 'metadata.json'), JSON.stringify({ ...meta, formatVersion: 99 }));
    expect(() => Part.open(c, 'p', { verifyData: false })).toThrow(/format version 99/);
  });
});

describe('corrupt parts in a storage', () => {
  async function storageWithTwoParts(): Promise<{ path: string; parts: string[] }> {
    const path = dir();
    const s = await openStorage(path);
    await s.append(...rows([[1, T0, 1]]));
    await s.forceFlush();
    await s.append(...rows([[1, T0 + 1000, 2]]));
    await s.close();
    const pdir = join(path, 'data', '2026_11');
    return { path, parts: JSON.parse(readFileSync(join(pdir, 'manifest.json'), 'utf8')).parts as string[] };
  }

  it('with full verification on open, quarantines a part that fails its checksum, reports it and serves the rest', async () => {
    const { path, parts } = await storageWithTwoParts();
    const bad = join(path, 'data', '2026_11', parts[0]!, 'values.bin');
    const bytes = readFileSync(bad);
    bytes[0] ^= 0xff;
    writeFileSync(bad, bytes);
    const errors: Error[] = [];
    const s = await openStorage(path, { onError: (e) => errors.push(e), verifyPartsOnOpen: true });
    cleanups.push(() => s.close());
    expect(errors.length).toBe(1);
    expect(errors[0]!.message).toMatch(/values\.bin checksum mismatch.*quarantined/);
    expect(s.stats().quarantinedParts).toBe(1);
    expect(asPairs((await s.read([1], 0, Infinity)).get(1))).toEqual([[T0 + 1000, 2]]);
    expect(readdirSync(join(path, 'data', 'quarantine')).length).toBe(1);
    expect(JSON.parse(readFileSync(join(path, 'data', '2026_11', 'manifest.json'), 'utf8')).parts).toEqual([parts[1]]);
  });

  it('skips a block that turns out corrupt during a read, reports it once and keeps serving the part', async () => {
    const { path, parts } = await storageWithTwoParts();
    const errors: Error[] = [];
    const s = await openStorage(path, { onError: (e) => errors.push(e) });
    cleanups.push(() => s.close());
    const f = join(path, 'data', '2026_11', parts[1]!, 'timestamps.bin');
    const bytes = readFileSync(f);
    bytes[0] ^= 0xff;
    writeFileSync(f, bytes);
    expect(asPairs((await s.read([1], 0, Infinity)).get(1))).toEqual([[T0, 1]]);
    expect(asPairs((await s.read([1], 0, Infinity)).get(1))).toEqual([[T0, 1]]);
    expect(s.stats().quarantinedParts).toBe(0);
    expect(s.stats().damagedBlocks).toBe(1);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/block checksum mismatch/)]);
    expect(s.damageIn(T0, T0 + 1000).map((d) => [d.kind, d.seriesId])).toEqual([['block', 1]]);
    expect(existsSync(join(path, 'data', '2026_11', parts[1]!))).toBe(true);
  });

  it('always quarantines a part whose index fails its checksum at open', async () => {
    const { path, parts } = await storageWithTwoParts();
    const bad = join(path, 'data', '2026_11', parts[1]!, 'index.bin');
    const bytes = readFileSync(bad);
    bytes[0] ^= 0x01;
    writeFileSync(bad, bytes);
    const errors: Error[] = [];
    const s = await openStorage(path, { onError: (e) => errors.push(e) });
    cleanups.push(() => s.close());
    expect(errors[0]!.message).toMatch(/index\.bin checksum mismatch/);
    expect(asPairs((await s.read([1], 0, Infinity)).get(1))).toEqual([[T0, 1]]);
  });

  it('verifyParts() rechecks every file and takes corrupt parts out of service', async () => {
    const { path, parts } = await storageWithTwoParts();
    const errors: Error[] = [];
    const s = await openStorage(path, { onError: (e) => errors.push(e) });
    cleanups.push(() => s.close());
    const bad = join(path, 'data', '2026_11', parts[0]!, 'values.bin');
    const bytes = readFileSync(bad);
    bytes[bytes.length - 1] ^= 0x10;
    writeFileSync(bad, bytes);
    const report = await s.verifyParts();
    expect(report.checked).toBe(2);
    expect(report.quarantined).toEqual([join(path, 'data', '2026_11', parts[0]!)]);
    expect(s.stats().quarantinedParts).toBe(1);
    expect(asPairs((await s.read([1], 0, Infinity)).get(1))).toEqual([[T0 + 1000, 2]]);
  });
});
