import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadWasmCodec, referenceCodec as ref } from '../../src/codec/index.js';
import {
  adversarialTimestamps,
  checkTimestamps,
  checkValues,
  decimalBlocks,
  decimalWithExceptions,
  doubleBlocks,
  nearlyConstant,
  randomBlocks,
  scrapeTimestamps,
  specialBlocks,
  wideIntTimestamps,
} from './arbitraries.js';
import { fromBits, sameBits, staleBits } from './helpers.js';

const wasmOrNull = loadWasmCodec();
const RUNS = 250;

describe.skipIf(wasmOrNull === null)('WASM codecs match the TypeScript reference', () => {
  const wasm = wasmOrNull!;

  it('on scrape-like timestamps with jitter', () => {
    fc.assert(
      fc.property(scrapeTimestamps, (ts) => checkTimestamps(wasm, ts)),
      { numRuns: RUNS },
    );
  });

  it('on arbitrary integer timestamps up to ±2^50, unsorted, with huge jumps', () => {
    fc.assert(
      fc.property(wideIntTimestamps, (ts) => checkTimestamps(wasm, ts)),
      { numRuns: RUNS },
    );
  });

  it('on timestamps off the integer path (fractions, -0, NaN, ±Inf, beyond 2^50)', () => {
    fc.assert(
      fc.property(adversarialTimestamps, (ts) => checkTimestamps(wasm, ts)),
      { numRuns: RUNS },
    );
  });

  it('on random float64 bit patterns', () => {
    fc.assert(
      fc.property(randomBlocks, (v) => checkValues(wasm, v)),
      { numRuns: RUNS },
    );
  });

  it('on special values: -0, ±Inf, NaN payloads, staleness markers, subnormals', () => {
    fc.assert(
      fc.property(specialBlocks, (v) => checkValues(wasm, v)),
      { numRuns: RUNS },
    );
  });

  it('on arbitrary doubles', () => {
    fc.assert(
      fc.property(doubleBlocks, (v) => checkValues(wasm, v)),
      { numRuns: RUNS },
    );
  });

  it('on decimal counters and gauges', () => {
    fc.assert(
      fc.property(decimalBlocks, (v) => checkValues(wasm, v)),
      { numRuns: RUNS },
    );
  });

  it('on decimal blocks with exceptions', () => {
    fc.assert(
      fc.property(decimalWithExceptions, (v) => checkValues(wasm, v)),
      { numRuns: RUNS },
    );
  });

  it('on blocks alternating between two bit patterns', () => {
    fc.assert(
      fc.property(nearlyConstant, (v) => checkValues(wasm, v)),
      { numRuns: RUNS },
    );
  });

  it('on full 8192-sample blocks', () => {
    const big = fc.tuple(fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 0, max: 3 }), fc.integer()).map(([interval, kind, seed]) => {
      const ts = new Float64Array(8192);
      const v = new Float64Array(8192);
      let s = seed >>> 0;
      const next = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
      let c = 0;
      for (let i = 0; i < 8192; i++) {
        ts[i] = 1_700_000_000_000 + i * interval + Math.floor(next() * 10);
        v[i] =
          kind === 0 ? (c += Math.floor(next() * 100)) : kind === 1 ? Math.round(next() * 1e4) / 100 : kind === 2 ? next() : i % 50 === 0 ? staleBits()[0]! : c;
      }
      return [ts, v] as const;
    });
    fc.assert(
      fc.property(big, ([ts, v]) => {
        checkTimestamps(wasm, ts);
        checkValues(wasm, v);
      }),
      { numRuns: 12 },
    );
  });

  it('on range decodes of sorted blocks', () => {
    const arb = fc.tuple(
      scrapeTimestamps,
      fc.oneof(decimalWithExceptions, specialBlocks),
      fc.double({ noNaN: true }),
      fc.double({ noNaN: true }),
      fc.nat(),
      fc.nat(),
    );
    fc.assert(
      fc.property(arb, ([ts, vals0, x, y, i, j]) => {
        const n = Math.min(ts.length, vals0.length);
        const vals = vals0.slice(0, n);
        // Half the time pick bounds at real sample times, so edges are hit exactly.
        const t1 = n > 0 && i % 2 === 0 ? ts[i % n]! : Math.min(x, y);
        const t2 = n > 0 && j % 2 === 0 ? ts[j % n]! : Math.max(x, y);
        const tsBlock = ref.encodeTimestamps(ts, n);
        const valBlock = ref.encodeValues(vals, n);
        const expectTs: number[] = [];
        const expectIdx: number[] = [];
        for (let k = 0; k < n; k++) {
          if (ts[k]! >= t1 && ts[k]! <= t2) {
            expectTs.push(ts[k]!);
            expectIdx.push(k);
          }
        }
        const expectVals = new Float64Array(expectIdx.length);
        expectIdx.forEach((k, o) => expectVals.set(vals.subarray(k, k + 1), o));
        for (const codec of [ref, wasm]) {
          const ot = new Float64Array(n);
          const ov = new Float64Array(n);
          const got = codec.decodeBlockRange(tsBlock, valBlock, n, t1, t2, ot, ov);
          expect(got).toBe(expectTs.length);
          expect(Array.from(ot.subarray(0, got))).toEqual(expectTs);
          expect(sameBits(ov, expectVals, got)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('bit-exact special values', () => {
  it('keeps the staleness marker bit pattern through both backends', () => {
    const v = new Float64Array(3);
    v.set(staleBits(), 1);
    v.set(fromBits(0x7ff80000, 0x1234), 2);
    for (const codec of wasmOrNull ? [ref, wasmOrNull] : [ref]) {
      const out = new Float64Array(3);
      codec.decodeValues(codec.encodeValues(v, 3), 3, out);
      expect(sameBits(out, v)).toBe(true);
    }
  });
});
