/**
 * Samples are (timestamp, value) with timestamps as integer milliseconds held in float64
 * (exact up to 2^53, i.e. ±285,000 years) so that hot loops use Float64Array, never BigInt.
 */

/** Prometheus's staleness marker: a NaN with this exact bit pattern. */
export const STALE_NAN_BITS_HI = 0x7ff00000;
export const STALE_NAN_BITS_LO = 0x00000002;

const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);
scratchBits[0] = STALE_NAN_BITS_LO; // little-endian: low word first
scratchBits[1] = STALE_NAN_BITS_HI;
/**
 * The staleness marker as a JS number. V8 keeps NaN payloads when a number is written to a
 * Float64Array, but the spec does not promise it: test with isStaleNaN on the array, not by value.
 */
export const STALE_NAN: number = scratch[0]!;

/** True when element i of the array holds the staleness marker bit pattern. */
export function isStaleNaNAt(values: Float64Array, i: number): boolean {
  const v = values[i]!;
  if (v === v) return false; // not NaN: the common case costs one comparison
  const bits = new Uint32Array(values.buffer, values.byteOffset + i * 8, 2);
  return bits[0] === STALE_NAN_BITS_LO && bits[1] === STALE_NAN_BITS_HI;
}

/** True when a number carries the staleness marker bit pattern. */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  scratch[0] = v;
  return scratchBits[0] === STALE_NAN_BITS_LO && scratchBits[1] === STALE_NAN_BITS_HI;
}

/** Rows for one series as handed from ingestion to storage and from storage to queries. */
export interface SeriesSamples {
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}
