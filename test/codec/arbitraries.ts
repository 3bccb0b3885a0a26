import fc from 'fast-check';
import { expect } from 'vitest';
import { referenceCodec as ref, type CodecBackend } from '../../src/codec/index.js';
import { hex, sameBits } from './helpers.js';

// Generators of blocks for the property tests (parity.test.ts, soak.test.ts).

function fromBitPairs(pairs: readonly (readonly [number, number])[]): Float64Array {
  const out = new Float64Array(pairs.length);
  const w = new Uint32Array(out.buffer);
  pairs.forEach(([hi, lo], i) => {
    w[2 * i] = lo;
    w[2 * i + 1] = hi;
  });
  return out;
}

/** One float64 bit pattern as [hi, lo]. */
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const anyBits = fc.tuple(u32, u32);
const SPECIAL_BITS: [number, number][] = [
  [0x80000000, 0], // -0
  [0, 0],
  [0x7ff00000, 0], // +Inf
  [0xfff00000, 0], // -Inf
  [0x7ff80000, 0], // canonical NaN
  [0x7ff00000, 2], // Prometheus staleness marker
  [0x7ff00000, 1], // signalling NaN
  [0xfff80000, 0xdeadbeef], // negative NaN with payload
  [0x7fefffff, 0xffffffff], // MAX_VALUE
  [0, 1], // smallest subnormal
  [0x43300000, 0], // 2^52
  [0x43400000, 0], // 2^53
  [0x43100000, 1], // just above 2^50
];
export const specialBits = fc.constantFrom(...SPECIAL_BITS);

export const randomBlocks = fc.array(anyBits, { maxLength: 300, size: 'max' }).map(fromBitPairs);
export const specialBlocks = fc.array(fc.oneof(specialBits, anyBits), { maxLength: 300, size: 'max' }).map(fromBitPairs);
export const doubleBlocks = fc.array(fc.double(), { maxLength: 300, size: 'max' }).map((a) => Float64Array.from(a));

/** Values that are exactly m × 10^e: counters and gauges as scraped. */
export const decimalBlocks = fc
  .record({
    exp: fc.integer({ min: -8, max: 8 }),
    start: fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
    steps: fc.array(fc.integer({ min: -5000, max: 5000 }), { maxLength: 400, size: 'max' }),
    monotonic: fc.boolean(),
  })
  .map(({ exp, start, steps, monotonic }) => {
    const out = new Float64Array(steps.length);
    let m = start;
    for (let i = 0; i < steps.length; i++) {
      m += monotonic ? Math.abs(steps[i]!) : steps[i]!;
      out[i] = exp >= 0 ? m * 10 ** exp : m / 10 ** -exp;
    }
    return out;
  });

/** Decimal blocks with a few raw exceptions (staleness markers, NaN payloads, -0, 1/3) dropped in. */
export const decimalWithExceptions = fc
  .tuple(decimalBlocks, fc.array(fc.tuple(fc.nat(), fc.oneof(specialBits, fc.constant<[number, number]>([0x3fd55555, 0x55555555]))), { maxLength: 40 }))
  .map(([vals, holes]) => {
    const w = new Uint32Array(vals.buffer);
    for (const [pos, [hi, lo]] of holes) {
      if (vals.length === 0) break;
      const i = pos % vals.length;
      w[2 * i] = lo;
      w[2 * i + 1] = hi;
    }
    return vals;
  });

export const nearlyConstant = fc
  .tuple(fc.oneof(specialBits, anyBits), fc.oneof(specialBits, anyBits), fc.array(fc.boolean(), { maxLength: 300, size: 'max' }))
  .map(([a, b, picks]) => fromBitPairs(picks.map((p) => (p ? a : b))));

export const scrapeTimestamps = fc
  .record({
    start: fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((x) => x * 1000),
    interval: fc.integer({ min: 1, max: 120_000 }),
    jitter: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 600, size: 'max' }),
    jitterScale: fc.constantFrom(0, 1, 10, 1000),
  })
  .map(({ start, interval, jitter, jitterScale }) => {
    const out = new Float64Array(jitter.length);
    for (let i = 0; i < jitter.length; i++) out[i] = start + i * interval + Math.round((jitter[i]! * jitterScale) / 1000);
    return out;
  });

const BIG = 2 ** 50;
export const wideIntTimestamps = fc
  .array(
    fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
      fc.maxSafeInteger().map((x) => x % (BIG + 1)),
      fc.constantFrom(BIG, -BIG, 0),
    ),
    { maxLength: 300, size: 'max' },
  )
  .map((a) => Float64Array.from(a));

export const adversarialTimestamps = fc
  .array(fc.oneof(fc.integer(), fc.constantFrom(-0, 0.5, NaN, Infinity, -Infinity, BIG + 1, -BIG - 1, 2 ** 53, Number.MAX_SAFE_INTEGER)), {
    maxLength: 200,
    size: 'max',
  })
  .map((a) => Float64Array.from(a));

/** WASM and reference write the same bytes, and both read them back bit-exactly. */
export function checkTimestamps(wasm: CodecBackend, ts: Float64Array): void {
  const refBlock = ref.encodeTimestamps(ts, ts.length);
  const wasmBlock = wasm.encodeTimestamps(ts, ts.length);
  expect(hex(wasmBlock)).toBe(hex(refBlock));
  const a = new Float64Array(ts.length);
  const b = new Float64Array(ts.length);
  ref.decodeTimestamps(refBlock, ts.length, a);
  wasm.decodeTimestamps(refBlock, ts.length, b);
  expect(sameBits(a, ts)).toBe(true);
  expect(sameBits(b, ts)).toBe(true);
}

export function checkValues(wasm: CodecBackend, vals: Float64Array): void {
  const refBlock = ref.encodeValues(vals, vals.length);
  const wasmBlock = wasm.encodeValues(vals, vals.length);
  expect(hex(wasmBlock)).toBe(hex(refBlock));
  const a = new Float64Array(vals.length);
  const b = new Float64Array(vals.length);
  ref.decodeValues(refBlock, vals.length, a);
  wasm.decodeValues(refBlock, vals.length, b);
  expect(sameBits(a, vals)).toBe(true);
  expect(sameBits(b, vals)).toBe(true);
}
