import { describe, expect, it } from 'vitest';
import { CodecError, referenceCodec as ref } from '../../src/codec/index.js';
import { bitsHex, f64, fromBits, rng, staleBits } from './helpers.js';

function roundTripTs(ts: Float64Array): Uint8Array {
  const block = ref.encodeTimestamps(ts, ts.length);
  const out = new Float64Array(ts.length);
  ref.decodeTimestamps(block, ts.length, out);
  expect(bitsHex(out)).toEqual(bitsHex(ts));
  return block;
}

function roundTripVals(v: Float64Array): Uint8Array {
  const block = ref.encodeValues(v, v.length);
  const out = new Float64Array(v.length);
  ref.decodeValues(block, v.length, out);
  expect(bitsHex(out)).toEqual(bitsHex(v));
  return block;
}

function scrape(n: number, start: number, interval: number, jitter: number, seed = 1): Float64Array {
  const r = rng(seed);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) ts[i] = start + i * interval + Math.round((r() - 0.5) * 2 * jitter);
  return ts;
}

describe('reference timestamp codec', () => {
  it('stores a block of equal intervals in the same number of bytes whatever its length', () => {
    const a = roundTripTs(scrape(10, 1_700_000_000_000, 15_000, 0));
    const b = roundTripTs(scrape(8192, 1_700_000_000_000, 15_000, 0));
    expect(b.length).toBe(a.length + 1); // only the count varint grows (10 → 8192)
    expect(b.length).toBeLessThan(16);
  });

  it('keeps jittered 15 s scrapes under one byte per sample', () => {
    const b = roundTripTs(scrape(8192, 1_700_000_000_000, 15_000, 20));
    expect(b.length / 8192).toBeLessThan(1);
  });

  it('round-trips empty, single and two-sample blocks', () => {
    roundTripTs(new Float64Array(0));
    roundTripTs(f64(1_700_000_000_000));
    roundTripTs(f64(5, 3));
  });

  it('round-trips descending timestamps and huge jumps', () => {
    roundTripTs(f64(2 ** 50, -(2 ** 50), 0, 2 ** 50, 1, 2, 3, -5));
  });

  it('falls back to raw float64 for timestamps outside the integer path', () => {
    roundTripTs(f64(1.5, 2, 3));
    roundTripTs(f64(2 ** 53, 1, 2));
    roundTripTs(f64(NaN, Infinity, -0));
  });

  it('rejects a block whose sample count differs from the caller’s', () => {
    const block = ref.encodeTimestamps(f64(1, 2, 4), 3);
    expect(() => ref.decodeTimestamps(block, 4, new Float64Array(4))).toThrow(CodecError);
    expect(() => ref.decodeTimestamps(block, 4, new Float64Array(4))).toThrow(/holds 3 samples, caller expected 4/);
  });
});

describe('reference value codec', () => {
  it('stores a constant block in the same number of bytes whatever its length', () => {
    const a = roundTripVals(new Float64Array(10).fill(42.5));
    const b = roundTripVals(new Float64Array(8192).fill(42.5));
    expect(b.length).toBe(a.length + 1);
  });

  it('stores a counter with integer increments as small packed deltas', () => {
    const r = rng(7);
    const v = new Float64Array(8192);
    let c = 1_000_000;
    for (let i = 0; i < v.length; i++) v[i] = c += Math.floor(r() * 200);
    const b = roundTripVals(v);
    expect(b.length / v.length).toBeLessThan(1.2); // 9 zig-zag bits for increments < 200
  });

  it('stores a gauge with two decimals exactly', () => {
    const r = rng(8);
    const v = new Float64Array(1000);
    for (let i = 0; i < v.length; i++) v[i] = Math.round(r() * 10000) / 100;
    const b = roundTripVals(v);
    expect(b.length / v.length).toBeLessThan(2.5);
  });

  it('round-trips -0, ±Inf, NaN payloads and the staleness marker', () => {
    roundTripVals(f64(-0, 0, Infinity, -Infinity, NaN, fromBits(0x7ff80000, 1), fromBits(0xfff00000, 0xdeadbeef), staleBits()));
  });

  it('keeps a counter decimal when it ends with a staleness marker', () => {
    const v = new Float64Array(100);
    for (let i = 0; i < 99; i++) v[i] = i * 3;
    v.set(staleBits(), 99);
    const b = roundTripVals(v);
    expect([2, 3]).toContain(b[0]! & 15); // a decimal kind, not Gorilla
  });

  it('round-trips values that are not short decimals with Gorilla XOR', () => {
    const r = rng(9);
    const v = new Float64Array(500);
    for (let i = 0; i < v.length; i++) v[i] = r() * 1e6;
    const b = roundTripVals(v);
    expect(b[0]! & 15).toBe(4);
  });

  it('round-trips extreme magnitudes and subnormals', () => {
    roundTripVals(f64(Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE, 5e-324, 1e300, 1e-300, 2 ** 53, 2 ** 50, 0.1, 0.2));
    roundTripVals(f64(1e-22, 1e22, 123456789012345, 0.30000000000000004));
  });

  it('round-trips empty and single-value blocks', () => {
    roundTripVals(new Float64Array(0));
    roundTripVals(f64(3.14));
    roundTripVals(f64(-0));
  });
});

describe('reference range decode', () => {
  it('returns exactly the samples inside [t1, t2]', () => {
    const ts = scrape(1000, 1_000_000, 1000, 0);
    const v = new Float64Array(1000).map((_, i) => i * 0.5);
    const tsb = ref.encodeTimestamps(ts, 1000);
    const vb = ref.encodeValues(v, 1000);
    const ot = new Float64Array(1000);
    const ov = new Float64Array(1000);
    const n = ref.decodeBlockRange(tsb, vb, 1000, 1_100_000, 1_200_500, ot, ov);
    expect(n).toBe(101);
    expect(ot[0]).toBe(1_100_000);
    expect(ot[100]).toBe(1_200_000);
    expect(ov[0]).toBe(50);
    expect(ov[100]).toBe(100);
  });

  it('returns 0 for a range outside the block', () => {
    const ts = scrape(10, 1000, 1000, 0);
    const n = ref.decodeBlockRange(ref.encodeTimestamps(ts, 10), ref.encodeValues(ts, 10), 10, 0, 999, new Float64Array(10), new Float64Array(10));
    expect(n).toBe(0);
  });
});
