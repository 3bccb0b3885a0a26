import { checkRangeArgs } from './check.js';
import { CodecError } from './errors.js';

/** The primitives a range decode is built from; both the reference and the WASM backend provide them. */
export interface BlockDecoder {
  decodeTimestamps(src: Uint8Array, count: number, out: Float64Array): void;
  decodeValuesPrefix(src: Uint8Array, count: number, n: number, out: Float64Array): void;
}

let tsScratch = new Float64Array(0);
let valScratch = new Float64Array(0);

/**
 * Decodes the samples of one block whose timestamps lie in [t1, t2] into outTs/outVals from index 0
 * and returns how many there are. Values after the last match are never decoded.
 */
export function decodeRangeWith(
  dec: BlockDecoder,
  tsSrc: Uint8Array,
  valSrc: Uint8Array,
  count: number,
  t1: number,
  t2: number,
  outTs: Float64Array,
  outVals: Float64Array,
): number {
  checkRangeArgs(count, t1, t2);
  if (tsScratch.length < count) tsScratch = new Float64Array(Math.max(count, tsScratch.length * 2));
  const ts = tsScratch;
  dec.decodeTimestamps(tsSrc, count, ts);
  let first = -1;
  let last = -1;
  let matches = 0;
  for (let i = 0; i < count; i++) {
    const t = ts[i]!;
    if (t >= t1 && t <= t2) {
      if (first < 0) first = i;
      last = i;
      matches++;
    }
  }
  if (matches > outTs.length || matches > outVals.length) {
    throw new CodecError(`decodeBlockRange: ${matches} samples match but the output arrays hold ${Math.min(outTs.length, outVals.length)}`);
  }
  if (matches === 0) return 0;
  if (valScratch.length < count) valScratch = new Float64Array(Math.max(count, valScratch.length * 2));
  const vals = valScratch;
  dec.decodeValuesPrefix(valSrc, count, last + 1, vals);
  if (matches === last + 1 - first) {
    // Sorted block: the matches are one run, copied without touching each sample as a number.
    outTs.set(ts.subarray(first, last + 1));
    outVals.set(vals.subarray(first, last + 1));
    return matches;
  }
  const srcBytes = new Uint8Array(vals.buffer, vals.byteOffset, count * 8);
  const dstBytes = new Uint8Array(outVals.buffer, outVals.byteOffset, outVals.length * 8);
  let k = 0;
  for (let i = first; i <= last; i++) {
    const t = ts[i]!;
    if (t >= t1 && t <= t2) {
      outTs[k] = t;
      // Byte copy keeps NaN payloads (staleness markers) intact.
      dstBytes.set(srcBytes.subarray(i * 8, i * 8 + 8), k * 8);
      k++;
    }
  }
  return k;
}
