import { describe, expect, it } from 'vitest';
import { encodeHistogramRow, readHistogramRow, type HistogramRows } from '../../src/codec/histogram-row.js';
import { decodeHistogramsRef, encodeHistogramsRef } from '../../src/codec/histograms.js';
import { CodecError } from '../../src/codec/index.js';
import { HistogramWasm } from '../../src/codec/histogram-wasm.js';
import type { FloatHistogram } from '../../src/model/histogram.js';

function h(over: Partial<FloatHistogram>): FloatHistogram {
  return {
    schema: 0,
    counterResetHint: 0,
    zeroThreshold: 1e-128,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    positiveBuckets: new Float64Array(0),
    negativeSpans: [],
    negativeBuckets: new Float64Array(0),
    customValues: new Float64Array(0),
    ...over,
  };
}

function rowsOf(hs: readonly FloatHistogram[]): HistogramRows {
  const enc = hs.map(encodeHistogramRow);
  const offsets = new Uint32Array(hs.length + 1);
  let n = 0;
  enc.forEach((e, i) => (offsets[i + 1] = n += e.length));
  const bytes = new Uint8Array(n);
  enc.forEach((e, i) => bytes.set(e, offsets[i]!));
  return { count: hs.length, offsets, bytes };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A growing integer histogram, schema 3, two positive spans, one negative. */
function intSeries(n: number): FloatHistogram[] {
  return Array.from({ length: n }, (_, i) =>
    h({
      schema: 3,
      zeroCount: i,
      count: 10 * i + i + 6 * i,
      sum: 1.5 * i,
      positiveSpans: [
        { offset: -2, length: 2 },
        { offset: 3, length: 2 },
      ],
      positiveBuckets: Float64Array.from([i, 2 * i, 3 * i, 4 * i]),
      negativeSpans: [{ offset: 1, length: 3 }],
      negativeBuckets: Float64Array.from([i, 2 * i, 3 * i]),
      counterResetHint: i === 0 ? 1 : 2,
    }),
  );
}

describe('histogram column (TypeScript reference)', () => {
  it('round-trips integer histograms exactly', () => {
    const hs = intSeries(50);
    const rows = rowsOf(hs);
    const enc = encodeHistogramsRef(rows, hs.length);
    const dec = decodeHistogramsRef(enc, hs.length);
    expect(Buffer.from(dec.bytes).equals(Buffer.from(rows.bytes))).toBe(true);
    expect([...dec.offsets]).toEqual([...rows.offsets]);
  });

  it('packs a steadily growing integer histogram into a few bytes per sample', () => {
    const hs = intSeries(1000);
    const enc = encodeHistogramsRef(rowsOf(hs), hs.length);
    // 7 buckets + count + zero count + sum + hint; delta-of-deltas are 0 after the second sample.
    expect(enc.length / hs.length).toBeLessThan(16);
  });

  it('round-trips float counts, NaN sums and -53 custom buckets bit for bit', () => {
    const hs = [
      h({
        schema: -53,
        zeroThreshold: 0,
        count: 3.5,
        sum: NaN,
        positiveSpans: [{ offset: 0, length: 3 }],
        positiveBuckets: Float64Array.from([0.5, 1, 2]),
        customValues: Float64Array.from([0.1, 1, 10]),
      }),
      h({
        schema: -53,
        zeroThreshold: 0,
        count: 4.25,
        sum: 7.125,
        positiveSpans: [{ offset: 0, length: 3 }],
        positiveBuckets: Float64Array.from([0.75, 1.5, 2]),
        customValues: Float64Array.from([0.1, 1, 10]),
      }),
      h({
        schema: 0,
        count: 1 / 3,
        sum: -0,
        zeroCount: 1e-300,
        positiveSpans: [{ offset: 0, length: 1 }],
        positiveBuckets: Float64Array.from([1 / 3]),
        counterResetHint: 3,
      }),
    ];
    const rows = rowsOf(hs);
    const dec = decodeHistogramsRef(encodeHistogramsRef(rows, hs.length), hs.length);
    expect(Buffer.from(dec.bytes).equals(Buffer.from(rows.bytes))).toBe(true);
    const back = readHistogramRow(dec.bytes, dec.offsets[0]!, dec.offsets[1]!);
    expect(back.customValues).toEqual(Float64Array.from([0.1, 1, 10]));
    expect(Number.isNaN(back.sum)).toBe(true);
  });

  it('starts a new run when the layout changes (schema, spans or zero threshold)', () => {
    const a = intSeries(3);
    const b = intSeries(3).map((x) => ({ ...x, schema: 2 }));
    const enc = encodeHistogramsRef(rowsOf([...a, ...b]), 6);
    // header, count, then the first run's length
    expect(enc[0]).toBe(0x18);
    expect(enc[1]).toBe(6);
    expect(enc[2]).toBe(3);
    expect(decodeHistogramsRef(enc, 6).count).toBe(6);
  });

  it('writes fixed bytes for a fixed input (the on-disk format; change means a new version)', () => {
    const enc = encodeHistogramsRef(rowsOf(intSeries(3)), 3);
    expect(hex(enc)).toBe(GOLDEN);
  });

  it('rejects a wrong count, a truncated block and trailing bytes with a CodecError', () => {
    const enc = encodeHistogramsRef(rowsOf(intSeries(4)), 4);
    expect(() => decodeHistogramsRef(enc, 5)).toThrow(CodecError);
    expect(() => decodeHistogramsRef(enc.subarray(0, enc.length - 3), 4)).toThrow(CodecError);
    const longer = new Uint8Array(enc.length + 1);
    longer.set(enc);
    expect(() => decodeHistogramsRef(longer, 4)).toThrow(CodecError);
  });
});

const GOLDEN = '180303069d978ccf08ba5b25020103020602020304030000020001010022000002000062f83f62f07f000200000400000600000800000200000400000600';

describe('histogram column: WASM and TypeScript write the same bytes', () => {
  const loaded = HistogramWasm.load();
  it('has the WASM build (run `node scripts/build.mjs` first)', () => {
    expect(typeof loaded).not.toBe('string');
  });
  const wasm = loaded as HistogramWasm;

  /** Deterministic pseudo-random series of histograms: layout changes, integer and float runs, odd floats. */
  function randomSeries(seed: number, n: number): FloatHistogram[] {
    let x = seed >>> 0 || 1;
    const rnd = (): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
    const odd = [NaN, -0, Infinity, 1e308, 5e-324, 0.1, 2 ** 50, 2 ** 50 + 1];
    const out: FloatHistogram[] = [];
    let layout = 0;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      if (rnd() < 0.1) layout++;
      const nb = 1 + (layout % 5);
      const ints = layout % 3 !== 2;
      acc += ints ? Math.floor(rnd() * 1000) : rnd() * 10;
      const buckets = Float64Array.from({ length: nb }, (_, k) =>
        rnd() < 0.02 ? odd[Math.floor(rnd() * odd.length)]! : ints ? Math.floor(acc) + k : acc * (k + 1),
      );
      const custom = layout % 4 === 3;
      out.push(
        h({
          schema: custom ? -53 : (layout % 13) - 4,
          zeroThreshold: custom ? 0 : layout % 2 ? 0.001 : 1e-128,
          zeroCount: ints ? Math.floor(acc / 2) : acc / 3,
          count: ints ? Math.floor(acc) * nb : acc * nb,
          sum: rnd() < 0.05 ? NaN : acc * 1.5,
          counterResetHint: Math.floor(rnd() * 4),
          positiveSpans: [{ offset: custom ? 0 : -(layout % 3), length: nb }],
          positiveBuckets: buckets,
          negativeSpans: custom || layout % 2 ? [] : [{ offset: 2, length: 1 }],
          negativeBuckets: custom || layout % 2 ? new Float64Array(0) : Float64Array.from([Math.floor(acc)]),
          customValues: custom ? Float64Array.from({ length: nb - 1 }, (_, k) => (k + 1) * 0.5) : new Float64Array(0),
        }),
      );
    }
    return out;
  }

  for (const seed of [1, 2, 3, 42, 1234, 99999]) {
    it(`encodes and decodes random block ${seed} identically`, () => {
      const hs = randomSeries(seed, 1 + (seed % 700));
      const rows = rowsOf(hs);
      const ref = encodeHistogramsRef(rows, hs.length);
      const got = wasm.encode(rows, hs.length);
      expect(hex(got)).toBe(hex(ref));
      const a = decodeHistogramsRef(ref, hs.length);
      const b = wasm.decode(ref, hs.length);
      expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
      expect([...b.offsets]).toEqual([...a.offsets]);
      expect(Buffer.from(a.bytes).equals(Buffer.from(rows.bytes))).toBe(true);
    });
  }

  it('writes the golden bytes', () => {
    expect(hex(wasm.encode(rowsOf(intSeries(3)), 3))).toBe(GOLDEN);
  });

  it('rejects what the reference rejects: wrong count, truncation, trailing bytes', () => {
    const enc = encodeHistogramsRef(rowsOf(intSeries(4)), 4);
    expect(() => wasm.decode(enc, 5)).toThrow(CodecError);
    for (let cut = 0; cut < enc.length; cut++) expect(() => wasm.decode(enc.subarray(0, cut), 4)).toThrow(CodecError);
    const longer = new Uint8Array(enc.length + 1);
    longer.set(enc);
    expect(() => wasm.decode(longer, 4)).toThrow(CodecError);
  });
});
