// Strata's column codecs compiled to WebAssembly. JavaScript owns the arena layout: it copies a
// block's samples or bytes into linear memory once per block, calls one batch function and copies
// the result out. Nothing here allocates; everything works on pointers into the arena.
import { clearError, err, errA, errB } from './io';
import { decodeTs, encodeTs } from './timestamps';
import { decodeVals, encodeVals } from './values';

/** First byte of the arena (free memory after static data), 16-byte aligned. */
export function arenaBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

export function errorDetailA(): f64 {
  return errA;
}

export function errorDetailB(): f64 {
  return errB;
}

/** Returns the block length in bytes at out. scratch: count × 8 bytes. */
export function encodeTimestamps(ts: usize, count: i32, out: usize, scratch: usize): i32 {
  clearError();
  return encodeTs(ts, count, out, scratch);
}

/** Returns 0, or a negative error code (details via errorDetailA/B). scratch: count × 8 bytes. */
export function decodeTimestamps(src: usize, len: usize, count: i32, out: usize, scratch: usize): i32 {
  clearError();
  return decodeTs(src, len, count, out, scratch);
}

/** Returns the block length in bytes at out. scratch: count × 25 bytes. */
export function encodeValues(vals: usize, count: i32, out: usize, scratch: usize): i32 {
  clearError();
  return encodeVals(vals, count, out, scratch);
}

/** Decodes the first n of count values. Returns 0 or a negative error code. scratch: count × 8 bytes. */
export function decodeValues(src: usize, len: usize, count: i32, n: i32, out: usize, scratch: usize): i32 {
  clearError();
  return decodeVals(src, len, count, n, out, scratch);
}

/**
 * Decodes the samples with t1 ≤ t ≤ t2 of one block, compacted to the front of outTs/outVals
 * (each count × 8 bytes). Values after the last match are never decoded. Returns the number of
 * matches or a negative error code.
 */
export function decodeRange(
  tsSrc: usize, tsLen: usize, valSrc: usize, valLen: usize, count: i32,
  t1: f64, t2: f64, outTs: usize, outVals: usize, scratch: usize,
): i32 {
  clearError();
  const r = decodeTs(tsSrc, tsLen, count, outTs, scratch);
  if (r < 0) return r;
  let first = -1;
  let last = -1;
  let matches = 0;
  for (let i = 0; i < count; i++) {
    const t = load<f64>(outTs + (<usize>i << 3));
    if (t >= t1 && t <= t2) {
      if (first < 0) first = i;
      last = i;
      matches++;
    }
  }
  if (matches == 0) return 0;
  const rv = decodeVals(valSrc, valLen, count, last + 1, outVals, scratch);
  if (rv < 0) return rv;
  if (matches == last + 1 - first) {
    if (first > 0) {
      const n = <usize>matches << 3;
      memory.copy(outTs, outTs + (<usize>first << 3), n);
      memory.copy(outVals, outVals + (<usize>first << 3), n);
    }
    return matches;
  }
  let k = 0;
  for (let i = first; i <= last; i++) {
    const t = load<f64>(outTs + (<usize>i << 3));
    if (t >= t1 && t <= t2) {
      store<f64>(outTs + (<usize>k << 3), t);
      store<u64>(outVals + (<usize>k << 3), load<u64>(outVals + (<usize>i << 3)));
      k++;
    }
  }
  return k;
}

export function lastError(): i32 {
  return err;
}

// ---- histogram column (native/histograms.ts)
import { decodeHist, encodeHist, hErrA, hErrB } from './histograms';

/** Returns the column length at out, or a negative error code. prev: 8 bytes per bucket. */
export function encodeHistograms(rows: usize, offsets: usize, count: i32, out: usize, prev: usize): i32 {
  return encodeHist(rows, offsets, count, out, prev);
}

/** Returns the decoded rows' byte length, or a negative error code (10: out too small, need histErrorDetailA). */
export function decodeHistograms(src: usize, len: usize, count: i32, out: usize, outCap: usize, outOffsets: usize, scratch: usize): i32 {
  return decodeHist(src, len, count, out, outCap, outOffsets, scratch);
}

export function histErrorDetailA(): f64 {
  return hErrA;
}

export function histErrorDetailB(): f64 {
  return hErrB;
}
