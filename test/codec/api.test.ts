import { describe, expect, it, vi } from 'vitest';
import {
  CodecError,
  codecBackend,
  decodeBlockRange,
  decodeTimestamps,
  decodeValues,
  encodeTimestamps,
  encodeValues,
  referenceCodec,
} from '../../src/codec/index.js';
import { sameBits, staleBits } from './helpers.js';

function scrapeBlock(n: number): { ts: Float64Array; vals: Float64Array } {
  const ts = new Float64Array(n);
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = 1_700_000_000_000 + i * 15_000 + (i % 7) - 3;
    vals[i] = i * 1.5;
  }
  vals.set(staleBits(), n - 1);
  return { ts, vals };
}

describe('codec public API', () => {
  it('uses the WASM backend when the module is built', () => {
    expect(codecBackend()).toBe('wasm');
  });

  it('round-trips a block of timestamps and values', () => {
    const { ts, vals } = scrapeBlock(8192);
    const outTs = new Float64Array(8192);
    const outVals = new Float64Array(8192);
    decodeTimestamps(encodeTimestamps(ts, 8192), 8192, outTs);
    decodeValues(encodeValues(vals, 8192), 8192, outVals);
    expect(sameBits(outTs, ts)).toBe(true);
    expect(sameBits(outVals, vals)).toBe(true);
  });

  it('encodes only the first count samples of a longer array', () => {
    const { ts } = scrapeBlock(100);
    const block = encodeTimestamps(ts, 10);
    const out = new Float64Array(10);
    decodeTimestamps(block, 10, out);
    expect(sameBits(out, ts.subarray(0, 10))).toBe(true);
  });

  it('writes blocks the reference codec reads, and reads blocks it writes', () => {
    const { ts, vals } = scrapeBlock(500);
    const out = new Float64Array(500);
    referenceCodec.decodeValues(encodeValues(vals, 500), 500, out);
    expect(sameBits(out, vals)).toBe(true);
    decodeTimestamps(referenceCodec.encodeTimestamps(ts, 500), 500, out);
    expect(sameBits(out, ts)).toBe(true);
  });

  it('range-decodes [t1, t2] inclusive at both ends, keeping the staleness marker', () => {
    const { ts, vals } = scrapeBlock(1000);
    const outTs = new Float64Array(1000);
    const outVals = new Float64Array(1000);
    const n = decodeBlockRange(encodeTimestamps(ts, 1000), encodeValues(vals, 1000), 1000, ts[990]!, ts[999]!, outTs, outVals);
    expect(n).toBe(10);
    expect(sameBits(outTs, ts.subarray(990), 10)).toBe(true);
    expect(sameBits(outVals, vals.subarray(990), 10)).toBe(true);
  });

  it('refuses a range decode whose matches do not fit the output arrays', () => {
    const { ts, vals } = scrapeBlock(100);
    expect(() =>
      decodeBlockRange(encodeTimestamps(ts, 100), encodeValues(vals, 100), 100, -Infinity, Infinity, new Float64Array(50), new Float64Array(50)),
    ).toThrow(CodecError);
  });

  it('throws CodecError, never a TypeError, on a block of the wrong column', () => {
    const { ts } = scrapeBlock(100);
    const block = encodeValues(
      new Float64Array(100).map(() => Math.random()),
      100,
    );
    expect(() => decodeTimestamps(block, 100, ts)).toThrow(CodecError);
  });
});

describe('codec backend selection', () => {
  it('uses the TypeScript reference when STRATA_CODEC=ts', async () => {
    vi.resetModules();
    process.env['STRATA_CODEC'] = 'ts';
    try {
      const fresh = await import('../../src/codec/index.js');
      expect(fresh.codecBackend()).toBe('ts');
      const out = new Float64Array(3);
      fresh.decodeValues(fresh.encodeValues(Float64Array.of(1, 2, 3), 3), 3, out);
      expect(Array.from(out)).toEqual([1, 2, 3]);
    } finally {
      delete process.env['STRATA_CODEC'];
      vi.resetModules();
    }
  });
});

describe('range decode of an unsorted block', () => {
  it('returns the matching samples in block order', () => {
    const ts = Float64Array.of(50, 10, 40, 20, 30, 60);
    const vals = Float64Array.of(5, 1, 4, 2, 3, 6);
    const outTs = new Float64Array(6);
    const outVals = new Float64Array(6);
    for (const decode of [decodeBlockRange, referenceCodec.decodeBlockRange.bind(referenceCodec)]) {
      const n = decode(encodeTimestamps(ts, 6), encodeValues(vals, 6), 6, 20, 40, outTs, outVals);
      expect(n).toBe(3);
      expect(Array.from(outTs.subarray(0, 3))).toEqual([40, 20, 30]);
      expect(Array.from(outVals.subarray(0, 3))).toEqual([4, 2, 3]);
    }
  });
});
