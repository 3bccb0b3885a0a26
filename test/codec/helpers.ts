import { STALE_NAN_BITS_HI, STALE_NAN_BITS_LO } from '../../src/model/index.js';

/** The float64 whose bit pattern is hi:lo (kept in an array so no NaN passes through a JS number). */
export function fromBits(hi: number, lo: number): Float64Array {
  const a = new Float64Array(1);
  const w = new Uint32Array(a.buffer);
  w[0] = lo;
  w[1] = hi;
  return a;
}

export function staleBits(): Float64Array {
  return fromBits(STALE_NAN_BITS_HI, STALE_NAN_BITS_LO);
}

/** Concatenates values and bit-pattern arrays into one Float64Array without going through numbers. */
export function f64(...parts: (number | Float64Array)[]): Float64Array {
  let n = 0;
  for (const p of parts) n += typeof p === 'number' ? 1 : p.length;
  const out = new Float64Array(n);
  let i = 0;
  for (const p of parts) {
    if (typeof p === 'number') out[i++] = p;
    else {
      out.set(p, i); // TypedArray.set copies bytes for same-type arrays
      i += p.length;
    }
  }
  return out;
}

/** Hex of the bit patterns, for exact comparisons in expect(). */
export function bitsHex(a: Float64Array, n = a.length): string[] {
  const b = new Uint8Array(a.buffer, a.byteOffset, n * 8);
  const out: string[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      Buffer.from(b.subarray(i * 8, i * 8 + 8))
        .reverse()
        .toString('hex'),
    );
  return out;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** A deterministic PRNG so generated series are the same on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** True when the first n elements of a and b have identical bit patterns. */
export function sameBits(a: Float64Array, b: Float64Array, n = a.length): boolean {
  return Buffer.from(a.buffer, a.byteOffset, n * 8).equals(Buffer.from(b.buffer, b.byteOffset, n * 8));
}
