/**
 * The byte format shared by the TypeScript reference codecs and the WASM module (native/codec.ts),
 * described in docs/format/codec.md. Both must produce identical bytes; test/codec/golden.test.ts
 * pins them. Every block names its format version, kind and sample count up front, so a reader
 * never guesses and can check the count its caller expects. Decimal values decode with one
 * correctly rounded operation on exact operands, so decoding is exact and identical everywhere.
 */
export const FORMAT_VERSION = 1;

export const TS_KIND_CONST = 1; // zz first, zz delta: every interval equal; size independent of count
export const TS_KIND_DOD = 2; // integer sequence (intseq.ts) as delta-of-deltas
export const TS_KIND_RAW = 3; // count × float64 LE: anything the integer paths cannot hold exactly
export const TS_KIND_DELTA = 4; // integer sequence as deltas

export const VAL_KIND_CONST = 1; // one float64 bit pattern repeated count times
export const VAL_KIND_DECIMAL_DELTA = 2; // exp byte, exceptions, then the mantissas as a delta sequence
export const VAL_KIND_DECIMAL_DOD = 3; // exp byte, exceptions, then the mantissas as a delta-of-delta sequence
export const VAL_KIND_GORILLA = 4; // XOR of consecutive bit patterns, Gorilla control bits

/** Values per bit-packed chunk; each chunk has its own width byte so one outlier widens only 128 values. */
export const CHUNK = 128;
/** Widest packed field: a chunk's spread (max − min of values within ±2^52) needs up to 54 bits. */
export const MAX_WIDTH = 54;

/**
 * Timestamps and mantissas on the integer paths are bounded by 2^50 so that every delta (≤ 2^51),
 * delta-of-delta (≤ 2^52) and zig-zag (≤ 2^53) is an exact float64 integer in the TS reference.
 */
export const MAX_INT = 2 ** 50;

/** Decimal exponents live in [-MAX_EXP, MAX_EXP]: 10^22 is the largest power of ten exact in float64. */
export const MAX_EXP = 22;

/** A decimal block tolerates at most count/8 values (NaN, ±Inf, -0, non-decimal) stored raw as exceptions. */
export const EXCEPTION_SHIFT = 3;

export const POW10: Float64Array = (() => {
  const p = new Float64Array(MAX_EXP + 1);
  let x = 1;
  for (let i = 0; i <= MAX_EXP; i++) {
    p[i] = x;
    x *= 10;
  }
  return p;
})();

/** An upper bound on any encoded block of count samples (Gorilla worst case is ~9.7 bytes a sample). */
export function maxEncodedSize(count: number): number {
  return 64 + count * 10;
}

export const header = (kind: number): number => (FORMAT_VERSION << 4) | kind;
