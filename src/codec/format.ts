/**
 * The byte format shared by the TypeScript reference codecs and the WASM module (native/codec.ts).
 * Both must produce identical bytes; test/codec/golden.test.ts pins them.
 *
 * Every column block starts with one header byte (high nibble = format version, low nibble = kind)
 * and the sample count as an unsigned LEB128 varint, so a reader never guesses and can check the
 * count its caller expects. "zz" below is a zig-zag LEB128 varint of a signed integer.
 *
 * Timestamps (integer ms):
 *   CONST  zz first, zz interval                       every interval equal: size independent of count
 *   DELTA  integer sequence of deltas                  (below)
 *   DOD    integer sequence of delta-of-deltas         (below)
 *   RAW    count × float64 little-endian               anything else: fractions, -0, NaN, |t| > 2^50
 * Values (float64, bit-exact):
 *   CONST            the 8 bytes of the one bit pattern
 *   DECIMAL_DELTA    exp (int8), uvarint #exceptions, exceptions, integer sequence of mantissa deltas
 *   DECIMAL_DOD      same, mantissa delta-of-deltas
 *   GORILLA          XOR bit stream (gorilla.ts) to the end of the block
 * Decimal: value = mantissa × 10^exp (exp ≥ 0) or mantissa / 10^−exp (exp < 0), one correctly
 * rounded operation on exact operands, so decoding is exact and identical everywhere. Exceptions
 * (NaN payloads, ±Inf, -0, staleness markers, values with no short decimal form; at most count/8)
 * are stored as (uvarint gap since the previous exception index, 8 raw bytes); their mantissa slot
 * repeats its neighbour so they cost nothing in the sequence.
 * Integer sequence (intseq.ts): zz first, [DOD: zz first delta], then the deltas or delta-of-deltas in
 * chunks of 128 (chunks.ts): zz chunk minimum, width byte, ceil(width × n / 8) bytes of
 * (value − minimum) packed LSB-first. The encoder picks delta or delta-of-delta by packed size.
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
