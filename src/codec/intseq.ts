import type { Reader, Writer } from './bits.js';
import { varintSize } from '../varint.js';
import { chunksSize, readChunks, writeChunks } from './chunks.js';
import { zigzag } from './bits.js';
import { scratchA, scratchB, scratchC } from './scratch.js';

/**
 * An integer sequence (timestamps, or decimal mantissas) is stored as its first element and then
 * either its deltas or its delta-of-deltas (after the first delta), whichever packs smaller:
 * delta-of-delta wins for regular intervals and steady counters, delta for gauges and bursty counters.
 * Every element must be an integer with |x| ≤ 2^50 so all differences stay exact.
 */

let deltas: Float64Array = new Float64Array(0);
let dods: Float64Array = new Float64Array(0);

/** Computes both difference sequences of ints[0..count) (count ≥ 1) and picks the smaller. */
export function planSequence(ints: Float64Array, count: number): boolean {
  deltas = scratchB(count);
  dods = scratchC(count);
  for (let i = 1; i < count; i++) deltas[i - 1] = ints[i]! - ints[i - 1]!;
  for (let i = 2; i < count; i++) dods[i - 2] = deltas[i - 1]! - deltas[i - 2]!;
  return count >= 3 && varintSize(zigzag(deltas[0]!)) + chunksSize(dods, count - 2) < chunksSize(deltas, count - 1);
}

/** Writes the sequence planned by the last planSequence call. */
export function writeSequence(w: Writer, ints: Float64Array, count: number, useDod: boolean): void {
  w.zvarint(ints[0]!);
  if (useDod) {
    w.zvarint(deltas[0]!);
    writeChunks(w, dods, count - 2);
  } else {
    writeChunks(w, deltas, count - 1);
  }
}

/** Reads a sequence of count integers, writing the first n (≤ count) to out; all of it is validated. */
export function readSequence(r: Reader, count: number, n: number, useDod: boolean, out: Float64Array): void {
  const packed = scratchA(count);
  let x = r.zvarint();
  if (useDod) {
    let d = r.zvarint();
    readChunks(r, count - 2, packed);
    if (n > 0) out[0] = x;
    x += d;
    if (n > 1) out[1] = x;
    for (let i = 2; i < n; i++) {
      d += packed[i - 2]!;
      x += d;
      out[i] = x;
    }
  } else {
    readChunks(r, count - 1, packed);
    if (n > 0) out[0] = x;
    for (let i = 1; i < n; i++) {
      x += packed[i - 1]!;
      out[i] = x;
    }
  }
}
