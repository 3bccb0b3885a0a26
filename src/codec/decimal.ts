import { MAX_EXP, MAX_INT, POW10 } from './format.js';

/** Marks a value that the decimal path stores raw (NaN, ±Inf, -0, too large, not a short decimal). */
export const EXCEPTION = -128;

/** Round half up, written out so the WASM port rounds identically. */
function roundHalfUp(x: number): number {
  const f = Math.floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

/** The value that mantissa m and exponent e decode to: one correctly rounded operation on exact operands. */
export function fromDecimal(m: number, e: number): number {
  return e >= 0 ? m * POW10[e]! : m / POW10[-e]!;
}

/**
 * Finds the shortest (m, e) with fromDecimal(m, e) === v and |m| ≤ MAX_INT. Returns e (m in
 * mant[i]) or EXCEPTION. Zero returns MAX_EXP: it fits any exponent, so it never forces one.
 */
export function toDecimal(v: number, mant: Float64Array, i: number): number {
  if (v === 0) {
    if (1 / v < 0) return EXCEPTION; // -0 has no mantissa
    mant[i] = 0;
    return MAX_EXP;
  }
  if (!(v >= -MAX_INT && v <= MAX_INT)) return EXCEPTION; // NaN, ±Inf, too large
  if (Number.isInteger(v)) {
    let m = v;
    let e = 0;
    while (e < MAX_EXP && m % 10 === 0) {
      m /= 10;
      e++;
    }
    mant[i] = m;
    return e;
  }
  for (let k = 1; k <= MAX_EXP; k++) {
    const x = v * POW10[k]!;
    if (!(x >= -MAX_INT && x <= MAX_INT)) return EXCEPTION;
    const m = roundHalfUp(x);
    if (m / POW10[k]! === v) {
      mant[i] = m;
      return -k;
    }
  }
  return EXCEPTION;
}
