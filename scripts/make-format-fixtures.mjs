#!/usr/bin/env node
// Writes the on-disk format fixtures under test/storage/testdata/ (see the README there).
// Run once, after `npm run build`: `node scripts/make-format-fixtures.mjs`. The fixtures are
// committed; test/storage/format-fixtures.test.ts reads them with the current reader, so a reader
// change that breaks old files fails there. Do not regenerate them to make that test pass.
//
// The version-1 part is written byte by byte here, as the version-1 writer laid it out (raw
// 64-byte headers in index.bin, 0 in each metaindex entry's last u32, every column of a 'big'
// part deflated where that saved 1/32, no `deflated` field in metadata.json); only the column
// codecs come from the build. The version-2 part and the WAL segments come from the current writers.
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { compressColumn, encodeTimestampsColumn, encodeValuesColumn, COMPRESSED } = await import(join(root, 'dist/storage/block-codec.js'));
const { PartWriter } = await import(join(root, 'dist/storage/part-writer.js'));
const { encodeRowsRecord, KIND_HISTOGRAMS } = await import(join(root, 'dist/storage/wal.js'));
const { writeHistPart, encodeHistogramRecord } = await import(join(root, 'dist/storage/histograms/index.js'));
const { encodeHistogramRow } = await import(join(root, 'dist/codec/histogram-row.js'));

const out = join(root, 'test/storage/testdata');
const T0 = Date.UTC(2026, 0, 1); // 1767225600000
const CREATED_AT = '2026-01-01T00:00:00.000Z';

/**
 * Stands for a staleness marker, the NaN Prometheus writes when a series disappears (bits
 * 0x7ff0000000000002). It is a signalling NaN, which a JavaScript number may come out of with its
 * quiet bit set, so its bits are set straight into the column (f64s).
 */
const STALE = 'stale';

function f64s(list) {
  const out = Float64Array.from(list, (v) => (v === STALE ? 0 : v));
  const words = new Uint32Array(out.buffer);
  list.forEach((v, i) => {
    if (v !== STALE) return;
    words[2 * i] = 0x00000002;
    words[2 * i + 1] = 0x7ff00000;
  });
  return out;
}

const every15s = (n) => Array.from({ length: n }, (_, i) => T0 + i * 15_000);

/** The series both parts hold (ids ascending). The test lists the same samples. */
const SERIES = [
  // Regular timestamps (CONST) and a counter (decimal mantissas).
  { id: 1, ts: every15s(8), vs: [100, 103, 110, 110, 118, 125, 131, 140] },
  // Jittered timestamps (delta / delta-of-delta) and decimals with one exception (a staleness marker).
  {
    id: 2,
    ts: [T0, T0 + 15_001, T0 + 29_998, T0 + 45_003, T0 + 60_000, T0 + 74_999, T0 + 90_002, T0 + 105_000],
    vs: [0.1, 0.25, 1.5, -3.75, 2.125, 0.5, 7, STALE],
  },
  // Full-precision floats: Gorilla XOR.
  { id: 3, ts: every15s(8), vs: [1, 2, 3, 4, 5, 6, 7, 8].map((k) => Math.PI * k) },
  // A long repeating pattern: the encoded columns are big enough to deflate.
  { id: 4, ts: every15s(100), vs: Array.from({ length: 100 }, (_, i) => [1.5, 2.5, 7.25, 3][i % 4]) },
  // One value throughout: a constant column.
  { id: 7, ts: every15s(8), vs: Array(8).fill(42) },
];

/** Version 2 only: series 10..270 of one "scrape" (shared timestamps) with values id % 3 (shared value columns). */
const BULK = Array.from({ length: 261 }, (_, k) => 10 + k);

// ---- version 1 part --------------------------------------------------------------------------

function writeV1(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ts = [];
  const vs = [];
  const headers = [];
  let tsSize = 0;
  let vsSize = 0;
  let rows = 0;
  for (const s of SERIES) {
    const n = s.ts.length;
    const et = compressColumn(encodeTimestampsColumn(Float64Array.from(s.ts), n));
    const ev = compressColumn(encodeValuesColumn(f64s(s.vs), n));
    const h = Buffer.alloc(64);
    h.writeDoubleLE(s.id, 0);
    h.writeDoubleLE(s.ts[0], 8);
    h.writeDoubleLE(s.ts[n - 1], 16);
    h.writeUInt32LE(n, 24);
    h.writeUInt8(et.kind, 28);
    h.writeUInt8(ev.kind, 29);
    h.writeDoubleLE(tsSize, 32);
    h.writeUInt32LE(et.bytes.length, 40);
    h.writeUInt32LE(ev.bytes.length, 44);
    h.writeDoubleLE(vsSize, 48);
    h.writeUInt32LE(crc32(ev.bytes, crc32(et.bytes)), 56);
    headers.push(h);
    ts.push(Buffer.from(et.bytes));
    vs.push(Buffer.from(ev.bytes));
    tsSize += et.bytes.length;
    vsSize += ev.bytes.length;
    rows += n;
  }
  if (!headers.some((h) => h[28] & COMPRESSED || h[29] & COMPRESSED)) throw new Error('v1 fixture: no deflated column');
  const files = {
    'timestamps.bin': Buffer.concat(ts),
    'values.bin': Buffer.concat(vs),
    'index.bin': Buffer.concat(headers),
    'metaindex.bin': Buffer.alloc(48),
  };
  const mi = files['metaindex.bin'];
  const minT = Math.min(...SERIES.map((s) => s.ts[0]));
  const maxT = Math.max(...SERIES.map((s) => s.ts[s.ts.length - 1]));
  mi.writeDoubleLE(SERIES[0].id, 0);
  mi.writeDoubleLE(SERIES[SERIES.length - 1].id, 8);
  mi.writeDoubleLE(minT, 16);
  mi.writeDoubleLE(maxT, 24);
  mi.writeDoubleLE(0, 32);
  mi.writeUInt32LE(headers.length, 40);
  mi.writeUInt32LE(0, 44);
  const meta = {
    formatVersion: 1,
    type: 'big',
    rows,
    blocks: headers.length,
    series: SERIES.length,
    minT,
    maxT,
    dedupIntervalMs: 0,
    createdAt: CREATED_AT,
    files: {},
  };
  for (const [name, bytes] of Object.entries(files)) {
    writeFileSync(join(dir, name), bytes);
    meta.files[name] = { size: bytes.length, crc32: crc32(bytes) };
  }
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify(meta, null, 1) + '\n');
}

// ---- version 2 part --------------------------------------------------------------------------

function writeV2(dir) {
  const w = new PartWriter(dir + '.tmp', dir, 'big', 0, true);
  const all = [...SERIES, ...BULK.map((id) => ({ id, ts: every15s(8), vs: Array(8).fill(id % 3) }))].sort((a, b) => a.id - b.id);
  for (const s of all) w.addSeries(s.id, Float64Array.from(s.ts), f64s(s.vs), s.ts.length);
  w.finish({ at: T0 + 86_400_000, signature: 'fixture' });
  // createdAt is the one field that changes from run to run; metadata.json carries no checksum.
  const path = join(dir, 'metadata.json');
  const meta = JSON.parse(readFileSync(path, 'utf8'));
  meta.createdAt = CREATED_AT;
  writeFileSync(path, JSON.stringify(meta, null, 1) + '\n');
}

// ---- flush part: version 1 index with shared timestamp columns ---------------------------------

/** A flush part as written since the storage-cpu branch: `type: "small"`, plain 64-byte headers. */
function writeV1Flush(dir) {
  const w = new PartWriter(dir + '.tmp', dir, 'small', 0);
  const all = [...SERIES, ...BULK.map((id) => ({ id, ts: every15s(8), vs: Array(8).fill(id % 3) }))].sort((a, b) => a.id - b.id);
  for (const s of all) w.addSeries(s.id, Float64Array.from(s.ts), f64s(s.vs), s.ts.length);
  w.finish();
  const path = join(dir, 'metadata.json');
  const meta = JSON.parse(readFileSync(path, 'utf8'));
  meta.createdAt = CREATED_AT;
  writeFileSync(path, JSON.stringify(meta, null, 1) + '\n');
}

// ---- WAL segments ----------------------------------------------------------------------------

function frame(rows) {
  const ids = Float64Array.from(rows, (r) => r[0]);
  const ts = Float64Array.from(rows, (r) => r[1]);
  const vs = f64s(rows.map((r) => r[2]));
  return Buffer.from(encodeRowsRecord(ids, ts, vs, 0, rows.length));
}

function writeWal(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const first = Buffer.concat([
    frame([
      [1, T0, 100],
      [2, T0, 0.1],
    ]),
    frame([
      [1, T0 + 15_000, 103],
      [3, T0 + 15_000, STALE],
      [2, T0 + 15_001, 0.25],
    ]),
  ]);
  // The second segment ends in a torn frame: a write cut short 20 bytes into a 3-row record.
  const whole = frame([[7, T0 + 30_000, 42]]);
  const torn = frame([
    [1, T0 + 30_000, 110],
    [2, T0 + 30_000, 1.5],
    [3, T0 + 30_000, 9],
  ]).subarray(0, 20);
  writeFileSync(join(dir, '0000000000000001.wal'), first);
  writeFileSync(join(dir, '0000000000000002.wal'), Buffer.concat([whole, torn]));
}

// ---- native histograms (format version 1 of histogram parts, WAL record kind 2) -------------

/** A native histogram as the fixture test lists it too. */
function nh(schema, count, sum, pos, neg = [], custom = [], hint = 0, zeroThreshold = schema === -53 ? 0 : 0.001, zeroCount = 0) {
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

/** Series id → [timestamp, histogram][]: integer counts, float counts, custom buckets, a layout change, a NaN sum. */
const HISTOGRAMS = {
  1: [0, 1, 2, 3].map((i) => [T0 + i * 15_000, nh(0, 6 * i + 1, 2.5 * i, [i, 2 * i], [3 * i], [], i === 0 ? 1 : 2, 0.001, 1)]),
  2: [0, 1, 2].map((i) => [T0 + i * 15_000, nh(-53, 1.5 * i + 0.25, 0.125 * i, [0.25, 0.5 * i, i], [], [0.1, 1])]),
  3: [
    [T0, nh(3, 3, 4.5, [1, 2])],
    [T0 + 15_000, nh(3, 5, NaN, [2, 3])],
    [T0 + 30_000, nh(2, 7, 9.75, [3, 4, 0])],
  ],
};

function writeHistogramFixtures(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const series = Object.entries(HISTOGRAMS).map(([id, list]) => ({
    id: Number(id),
    timestamps: Float64Array.from(list, (x) => x[0]),
    rows: list.map((x) => encodeHistogramRow(x[1])),
  }));
  writeHistPart(join(dir, '2026_01'), '0000000000000001', series, 0);
  // The WAL: one histogram record of series 1's first two samples and series 2's first.
  const picked = [
    [1, ...HISTOGRAMS[1][0]],
    [2, ...HISTOGRAMS[2][0]],
    [1, ...HISTOGRAMS[1][1]],
  ];
  const rows = picked.map((p) => encodeHistogramRow(p[2]));
  const offsets = new Uint32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  const bytes = Buffer.concat(rows);
  const payload = encodeHistogramRecord(
    Float64Array.from(picked, (p) => p[0]),
    Float64Array.from(picked, (p) => p[1]),
    Float64Array.from(picked, (_, i) => i),
    picked.length,
    { count: rows.length, offsets, bytes },
  );
  if (payload[0] !== KIND_HISTOGRAMS) throw new Error('histogram record kind');
  const frame = Buffer.alloc(8 + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.set(payload, 8);
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  mkdirSync(join(dir, 'wal'), { recursive: true });
  writeFileSync(join(dir, 'wal', '0000000000000001.wal'), frame);
}

const only = process.argv[2];
if (only === undefined || only === 'floats') {
  writeV1(join(out, 'part-v1'));
  writeV2(join(out, 'part-v2'));
  writeWal(join(out, 'wal'));
}
if (only === undefined || only === 'histograms') writeHistogramFixtures(join(out, 'histograms'));
if (only === undefined || only === 'flush-v1') writeV1Flush(join(out, 'part-v1-flush'));
console.log(`fixtures written to ${out}`);
