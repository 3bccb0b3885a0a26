import { maxEncodedSize } from './format.js';

// Per-thread scratch space reused across blocks so encoding allocates only its result.
let bytes = new Uint8Array(0);
let f64a = new Float64Array(0);
let f64b = new Float64Array(0);

/** A byte buffer big enough for any block of count samples (Writer assigns whole bytes, so no zeroing). */
export function scratchBytes(count: number): Uint8Array {
  const need = maxEncodedSize(count);
  if (bytes.length < need) bytes = new Uint8Array(Math.max(need, bytes.length * 2));
  return bytes;
}

export function scratchA(n: number): Float64Array {
  if (f64a.length < n) f64a = new Float64Array(Math.max(n, f64a.length * 2));
  return f64a;
}

export function scratchB(n: number): Float64Array {
  if (f64b.length < n) f64b = new Float64Array(Math.max(n, f64b.length * 2));
  return f64b;
}

let f64c = new Float64Array(0);
let i8 = new Int8Array(0);

export function scratchC(n: number): Float64Array {
  if (f64c.length < n) f64c = new Float64Array(Math.max(n, f64c.length * 2));
  return f64c;
}

export function scratchI8(n: number): Int8Array {
  if (i8.length < n) i8 = new Int8Array(Math.max(n, i8.length * 2));
  return i8;
}
