// The common case of a remote write 1.0 WriteRequest, walked in linear memory: TimeSeries whose
// labels are contiguous {0x0a len name 0x12 len value} fields with one-byte lengths, sorted and
// valid by raw-labels.ts's quick check, and whose samples are {0x09 double, 0x10 varint}. Those
// become columns: samples (series index, timestamp, value bits) and per series its key as a range
// of the body (the label fields' bytes, as remote-write-v1.ts keys them) with its hash.
//
// Anything else — another field, an exemplar, a histogram, a label that is not in the quick
// shape, an invalid or unsorted label set, a truncated field — stops the walk before that
// TimeSeries. JavaScript then decodes that one top-level field with its full rules and messages
// and resumes the walk after it, so the outcome is the same as decoding all of it in JavaScript.

import { hashKey } from './key-hash';

/** Why the last walk stopped. */
export const WALK_END: i32 = 0;
/** The columns are full: drain them and walk on from the returned position. */
export const WALK_FULL: i32 = 1;
/** The top-level field at the returned position needs the JavaScript decoder. */
export const WALK_OTHER: i32 = 2;

export let walkStatus: i32 = 0;
export let walkSamples: i32 = 0;
export let walkSeries: i32 = 0;

/** Per byte: 1 a legacy label name's first character; 4 / 8 a legacy metric name's first / later one (colons too). */
const CHARS = memory.data(256);
let charsReady = false;

function initChars(): void {
  for (let c = 0; c < 256; c++) {
    let f: u8 = 0;
    const alpha = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x5f;
    const digit = c >= 0x30 && c <= 0x39;
    if (alpha) f |= 1 | 4;
    if (alpha || digit) f |= 8;
    if (c == 0x3a) f |= 4 | 8;
    store<u8>(CHARS + c, f);
  }
  charsReady = true;
}

@inline function isMetricName(a: usize, nl: usize): bool {
  return nl == 8 && load<u64>(a) == 0x5f5f656d616e5f5f; // "__name__"
}

/** The bits of the first n (≤ 16) lanes of a bitmask. */
@inline function lanes(n: usize): i32 {
  return n >= 16 ? 0xffff : (1 << <i32>n) - 1;
}

/**
 * [a-zA-Z0-9_]* over [a, a + n), 16 bytes at a time (reads up to 15 bytes past the end, which the
 * body or its slack provides).
 */
function legacyNameChars(a: usize, n: usize): bool {
  for (let k: usize = 0; k < n; k += 16) {
    const v = v128.load(a + k);
    const alpha = i8x16.lt_u(i8x16.sub(v128.or(v, i8x16.splat(0x20)), i8x16.splat(0x61)), i8x16.splat(26));
    const digit = i8x16.lt_u(i8x16.sub(v, i8x16.splat(0x30)), i8x16.splat(10));
    const under = i8x16.eq(v, i8x16.splat(0x5f));
    const m = lanes(n - k);
    if ((i8x16.bitmask(v128.or(v128.or(alpha, digit), under)) & m) != m) return false;
  }
  return true;
}

/** Every byte of [a, a + n) below 0x80 (same reading as legacyNameChars). */
function ascii(a: usize, n: usize): bool {
  for (let k: usize = 0; k < n; k += 16) {
    if ((i8x16.bitmask(v128.load(a + k)) & lanes(n - k)) != 0) return false;
  }
  return true;
}

/** Byte order of two names (the label set must be strictly ascending). */
@inline function lessThan(a: usize, al: usize, b: usize, bl: usize): bool {
  const n = al < bl ? al : bl;
  for (let i: usize = 0; i < n; i++) {
    const x = load<u8>(a + i);
    const y = load<u8>(b + i);
    if (x != y) return x < y;
  }
  return al < bl;
}

// Sample columns and limits of the current walk (module state: one walk at a time per instance).
let sampleSeries: usize = 0;
let sampleTs: usize = 0;
let sampleValues: usize = 0;
let maxLabels: i32 = 0;
let maxName: i32 = 0;
let maxValue: i32 = 0;
let maxPairBytes: i32 = 0;
let legacy = false;
// The key bytes of the series walked last.
let labelsStart: usize = 0;
let labelsEnd: usize = 0;

/**
 * One TimeSeries message in [q, end): writes its samples from row ns on as `series`. Returns the
 * next free row, or -1 when the series needs the JavaScript decoder (its rows are then void).
 */
function walkSeriesFields(q: usize, end: usize, series: i32, ns: i32): i32 {
  let labels: i32 = 0;
  let prevName: usize = 0;
  let prevNameLen: usize = 0;
  labelsStart = 0;
  labelsEnd = 0;
  while (q < end) {
    const tagAt = q;
    const tag = load<u8>(q++);
    if (q >= end) return -1;
    let fl = <usize>load<u8>(q++);
    if (fl >= 0x80) {
      if (q >= end) return -1;
      const c2 = <usize>load<u8>(q++);
      // Two bytes at most, and minimal (the key is these bytes only if they are canonical).
      if (c2 == 0 || c2 >= 0x80) return -1;
      fl = (fl & 0x7f) | (c2 << 7);
    }
    const fEnd = q + fl;
    if (fEnd > end) return -1;
    if (tag == 0x0a) {
      // Label {0x0a nl name 0x12 vl value}, both lengths one byte and non-zero, contiguous with the previous label.
      if (labels == 0) labelsStart = tagAt;
      else if (tagAt != labelsEnd) return -1;
      labelsEnd = fEnd;
      if (fl < 4 || load<u8>(q) != 0x0a) return -1;
      const nl = <usize>load<u8>(q + 1);
      const ne = q + 2 + nl;
      if (nl == 0 || nl >= 0x80 || ne + 2 >= fEnd || load<u8>(ne) != 0x12) return -1;
      const vl = <usize>load<u8>(ne + 1);
      if (vl == 0 || vl >= 0x80 || ne + 2 + vl != fEnd) return -1;
      const a = q + 2;
      const v = ne + 2;
      // raw-labels.ts quickValid: sorted, within limits, legacy-style names, ASCII values.
      if (labels >= maxLabels || <i32>nl > maxName || <i32>vl > maxValue || <i32>(nl + vl) > maxPairBytes) return -1;
      if (labels > 0 && !lessThan(prevName, prevNameLen, a, nl)) return -1;
      if ((load<u8>(CHARS + load<u8>(a)) & 1) == 0 || !legacyNameChars(a, nl) || !ascii(v, vl)) return -1;
      if (legacy && isMetricName(a, nl)) {
        if ((load<u8>(CHARS + load<u8>(v)) & 4) == 0) return -1;
        for (let k: usize = 1; k < vl; k++) if ((load<u8>(CHARS + load<u8>(v + k)) & 8) == 0) return -1;
      }
      prevName = a;
      prevNameLen = nl;
      labels++;
    } else if (tag == 0x12) {
      // Sample {0x09 double, 0x10 timestamp varint} and nothing else.
      if (fl < 11 || load<u8>(q) != 0x09 || load<u8>(q + 9) != 0x10) return -1;
      let t = q + 10;
      let ts: u64 = 0;
      let done = false;
      for (let shift: u64 = 0; shift < 63 && t < fEnd; shift += 7) {
        const c = <u64>load<u8>(t++);
        ts |= (c & 0x7f) << shift;
        if (c < 0x80) {
          done = true;
          break;
        }
      }
      if (!done || t != fEnd) return -1;
      store<u32>(sampleSeries + (<usize>ns << 2), <u32>series);
      store<f64>(sampleTs + (<usize>ns << 3), <f64>(<i64>ts));
      store<u64>(sampleValues + (<usize>ns << 3), load<u64>(q + 1));
      ns++;
    } else return -1;
    q = fEnd;
  }
  // No labels: JavaScript drops the series with its reason.
  return labels == 0 ? -1 : ns;
}

/**
 * Walks from base + pos up to base + len. Sample columns: u32 series index, f64 timestamp, u64
 * value bits (capSamples each); series columns: two u32 (key start, end, relative to base) and
 * four u32 hash lanes (capSeries each). Series indexes start at seriesBase. Returns the position
 * reached (relative to base); walkStatus says why it stopped, walkSamples / walkSeries how many
 * rows were written.
 */
export function walkRemoteWriteV1(
  base: usize,
  len: usize,
  pos: usize,
  seriesCol: usize,
  tsCol: usize,
  valueCol: usize,
  capSamples: i32,
  keyRanges: usize,
  keyHashes: usize,
  capSeries: i32,
  seriesBase: i32,
  limitLabels: i32,
  limitName: i32,
  limitValue: i32,
  limitPairBytes: i32,
  legacyNames: i32,
): usize {
  if (!charsReady) initChars();
  sampleSeries = seriesCol;
  sampleTs = tsCol;
  sampleValues = valueCol;
  maxLabels = limitLabels;
  maxName = limitName;
  maxValue = limitValue;
  maxPairBytes = limitPairBytes;
  legacy = legacyNames != 0;
  const end = base + len;
  let p = base + pos;
  let ns: i32 = 0;
  let nk: i32 = 0;
  let status = WALK_END;
  while (p < end) {
    if (load<u8>(p) != 0x0a) {
      status = WALK_OTHER;
      break;
    }
    // TimeSeries length: up to 4 varint bytes here (bodies are limited far below 256 MiB anyway).
    let q = p + 1;
    let tl: usize = 0;
    let ok = false;
    for (let shift: usize = 0; shift <= 21 && q < end; shift += 7) {
      const c = <usize>load<u8>(q++);
      tl |= (c & 0x7f) << shift;
      if (c < 0x80) {
        ok = true;
        break;
      }
    }
    const tsEnd = q + tl;
    if (!ok || tsEnd > end) {
      status = WALK_OTHER;
      break;
    }
    // A sample takes at least 13 bytes, so this bounds the series' samples.
    if (ns + <i32>(tl / 13) + 1 > capSamples || nk + 1 > capSeries) {
      status = ns > 0 || nk > 0 ? WALK_FULL : WALK_OTHER;
      break;
    }
    const next = walkSeriesFields(q, tsEnd, seriesBase + nk, ns);
    if (next < 0) {
      status = WALK_OTHER;
      break;
    }
    if (next > ns) {
      store<u32>(keyRanges + (<usize>nk << 3), <u32>(labelsStart - base));
      store<u32>(keyRanges + (<usize>nk << 3) + 4, <u32>(labelsEnd - base));
      hashKey(labelsStart, labelsEnd, keyHashes + (<usize>nk << 4));
      nk++;
      ns = next;
    }
    p = tsEnd;
  }
  walkStatus = status;
  walkSamples = ns;
  walkSeries = nk;
  return p - base;
}

/**
 * Splits a well-formed message (already decoded, so every field is whole) into pieces of about
 * maxChunk bytes at top-level field boundaries: writes the offsets (relative to base) where a new
 * piece starts into out (u32s, at most cap) and returns their count, or -1 when a field does not
 * parse or there are more than cap. A field longer than maxChunk is a piece of its own.
 */
export function splitTopLevelFields(base: usize, len: usize, maxChunk: usize, out: usize, cap: i32): i32 {
  const end = base + len;
  let p = base;
  let chunkStart = base;
  let n: i32 = 0;
  while (p < end) {
    const start = p;
    let tag: u64 = 0;
    let v: u64 = 0;
    for (let i = 0; ; i++) {
      if (p >= end || i == 10) return -1;
      const c = <u64>load<u8>(p++);
      tag |= (c & 0x7f) << (7 * <u64>i);
      if (c < 0x80) break;
    }
    const wt = <u32>(tag & 7);
    if (wt == 0 || wt == 2) {
      for (let i = 0; ; i++) {
        if (p >= end || i == 10) return -1;
        const c = <u64>load<u8>(p++);
        if (i < 9) v |= (c & 0x7f) << (7 * <u64>i);
        if (c < 0x80) break;
      }
      if (wt == 2) {
        if (v > <u64>(end - p)) return -1;
        p += <usize>v;
      }
    } else if (wt == 1) p += 8;
    else if (wt == 5) p += 4;
    else return -1;
    if (p > end) return -1;
    if (p - chunkStart > maxChunk && start > chunkStart) {
      if (n == cap) return -1;
      store<u32>(out + (<usize>n << 2), <u32>(start - base));
      n++;
      chunkStart = start;
    }
  }
  return n;
}
