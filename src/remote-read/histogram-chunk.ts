/**
 * Prometheus's native-histogram chunk encodings (tsdb/chunkenc): HISTOGRAM (2, integer counts) and
 * FLOAT_HISTOGRAM (3), written from their format description. A chunk is:
 * - 2 bytes big-endian sample count; 1 header byte whose top two bits say why the chunk was cut
 *   (00 unknown, 01 not a counter reset, 10 counter reset, 11 gauge histogram);
 * - the layout, once: zero threshold (1 byte: 0, or 243 + the exponent of a power of two in
 *   [2^-243, 2^10]; else 255 and 64 bits), schema (varbit int), positive then negative spans (varbit
 *   uint count, then per span varbit uint length and varbit int offset), and for schema -53 the
 *   custom bounds (varbit uint count, then each as varbit uint 1 + 1000·bound when that is a
 *   whole number up to 33554430, else a 0 bit and 64 bits);
 * - sample 1: timestamp (varbit int); integer: count and zero count (varbit uint), sum (64 bits),
 *   each bucket as the varbit int difference from the bucket before it; float: count, zero count,
 *   sum and each bucket as 64 bits;
 * - later samples: delta-of-delta of the timestamp (varbit int); integer: delta-of-delta of count,
 *   zero count and each bucket difference (varbit int), the sum XOR-encoded; float: count, zero
 *   count, sum and each bucket XOR-encoded, each with its own window. A stale sample (sum is the
 *   staleness NaN) writes no buckets.
 * Every sample of a chunk uses its layout: a later sample's new buckets widen it (earlier samples
 * read 0 there), as Prometheus recodes its open chunk. A chunk is cut, as Prometheus's head cuts
 * it, at 120 samples, on a schema, zero-threshold or custom-bound change, between integer and
 * float histograms, between gauge and counter histograms, after a stale sample, and on a counter
 * reset (the hint says so, or the count, zero count or a bucket went down, or a bucket vanished),
 * which the next chunk's header records.
 */
import { CounterResetHint, hasIntegerCounts, isStaleNaN, type BucketSpan, type FloatHistogram, type HistogramSamples } from '../model/index.js';
import { BitWriter, XorWindows, writeVarbitInt, writeVarbitUint, writeXor } from './bit-writer.js';
import { MAX_SAMPLES_PER_CHUNK } from './xor-chunk.js';

/** prompb.Chunk.Encoding values. */
export const ENCODING_HISTOGRAM = 2;
export const ENCODING_FLOAT_HISTOGRAM = 3;

/** The counter-reset bits of a histogram chunk's header byte. */
export const enum ChunkHeader {
  Unknown = 0b00000000,
  NotCounterReset = 0b01000000,
  CounterReset = 0b10000000,
  Gauge = 0b11000000,
}

/** Integer chunks hold counts up to this (their deltas of deltas stay exact doubles). */
const MAX_INTEGER_COUNT = 2 ** 50;
const CUSTOM_BUCKETS_SCHEMA = -53;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function isStale(h: FloatHistogram): boolean {
  return isStaleNaN(h.sum);
}

function isIntegral(h: FloatHistogram): boolean {
  return hasIntegerCounts(h, MAX_INTEGER_COUNT);
}

/** Absolute bucket indexes of a span list, ascending. */
function bucketIndexes(spans: readonly BucketSpan[]): number[] {
  const out: number[] = [];
  let idx = 0;
  for (const s of spans) {
    idx += s.offset;
    for (let k = 0; k < s.length; k++) out.push(idx++);
  }
  return out;
}

function spansOf(indexes: readonly number[]): BucketSpan[] {
  const out: BucketSpan[] = [];
  let next = 0;
  for (let i = 0; i < indexes.length;) {
    let j = i + 1;
    while (j < indexes.length && indexes[j] === indexes[j - 1]! + 1) j++;
    out.push({ offset: indexes[i]! - next, length: j - i });
    next = indexes[j - 1]! + 1;
    i = j;
  }
  return out;
}

/** Whether every index of `a` is in `b` (both ascending). */
function isSubset(a: readonly number[], b: readonly number[]): boolean {
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j]! < x) j++;
    if (j === b.length || b[j] !== x) return false;
  }
  return true;
}

function union(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i]! : Infinity;
    const y = j < b.length ? b[j]! : Infinity;
    out.push(Math.min(x, y));
    if (x <= y) i++;
    if (y <= x) j++;
  }
  return out;
}

/** A sample's counts laid out on `layout` (0 where the sample has no such bucket). */
function alignTo(layout: readonly number[], own: readonly number[], counts: Float64Array, out: Float64Array): void {
  let j = 0;
  for (let k = 0; k < layout.length; k++) {
    while (j < own.length && own[j]! < layout[k]!) j++;
    out[k] = j < own.length && own[j] === layout[k] ? counts[j]! : 0;
  }
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** One bucket side (positive or negative) of the chunk being gathered. */
interface Side {
  indexes: number[];
  spans: readonly BucketSpan[];
}

type Verdict = 'append' | 'reset' | 'cut';

/** Encodes a series' histogram samples as Prometheus histogram chunks. One encoder serves many series. */
export class HistogramChunkEncoder {
  private readonly w = new BitWriter();
  private readonly win = new XorWindows(8);
  private pos: Side = { indexes: [], spans: [] };
  private neg: Side = { indexes: [], spans: [] };

  /**
   * Chunks for samples [from, to) of `hs`, in time order; `emit` gets each one's encoding, first
   * and last timestamp and bytes (valid during the call only).
   */
  encode(hs: HistogramSamples, from: number, to: number, emit: (encoding: number, minT: number, maxT: number, data: Uint8Array) => void): void {
    const list = hs.histograms;
    const first = list[from];
    let header =
      first === undefined
        ? ChunkHeader.Unknown
        : first.counterResetHint === CounterResetHint.Gauge
          ? ChunkHeader.Gauge
          : first.counterResetHint === CounterResetHint.Reset
            ? ChunkHeader.CounterReset
            : ChunkHeader.Unknown;
    let i = from;
    while (i < to) {
      const h0 = list[i]!;
      const gauge = h0.counterResetHint === CounterResetHint.Gauge;
      const integral = isIntegral(h0);
      const stale0 = isStale(h0);
      this.pos = { indexes: stale0 ? [] : bucketIndexes(h0.positiveSpans), spans: stale0 ? [] : h0.positiveSpans };
      this.neg = { indexes: stale0 ? [] : bucketIndexes(h0.negativeSpans), spans: stale0 ? [] : h0.negativeSpans };
      let prev = h0;
      let j = i + 1;
      let next = ChunkHeader.Unknown;
      for (; j < to; j++) {
        const h = list[j]!;
        const verdict = this.verdict(prev, h, h0, gauge, integral);
        if (verdict === 'append' && j - i < MAX_SAMPLES_PER_CHUNK) {
          if (!isStale(h)) {
            this.widen(this.pos, h.positiveSpans);
            this.widen(this.neg, h.negativeSpans);
          }
          prev = h;
          continue;
        }
        if (h.counterResetHint === CounterResetHint.Gauge) next = ChunkHeader.Gauge;
        else if (verdict === 'reset') next = ChunkHeader.CounterReset;
        else if (verdict === 'append') next = ChunkHeader.NotCounterReset;
        break;
      }
      const data = integral ? this.integerChunk(hs, i, j, header) : this.floatChunk(hs, i, j, header);
      emit(integral ? ENCODING_HISTOGRAM : ENCODING_FLOAT_HISTOGRAM, hs.timestamps[i]!, hs.timestamps[j - 1]!, data);
      header = next;
      i = j;
    }
  }

  /** Whether h may join the chunk that starts with h0 and ends with prev, as Prometheus's appender decides. */
  private verdict(prev: FloatHistogram, h: FloatHistogram, h0: FloatHistogram, gauge: boolean, integral: boolean): Verdict {
    // Prometheus's head looks at the hint first: a reset hint cuts whatever the counts say.
    if (h.counterResetHint === CounterResetHint.Reset) return 'reset';
    if ((h.counterResetHint === CounterResetHint.Gauge) !== gauge) return 'cut';
    const stale = isStale(h);
    if (!stale && isIntegral(h) !== integral) return 'cut';
    if (stale) return 'append';
    if (isStale(prev)) return 'cut';
    if (!gauge && h.count < prev.count) return 'reset';
    if (h.schema !== h0.schema || !Object.is(h.zeroThreshold, h0.zeroThreshold)) return 'cut';
    if (h.schema === CUSTOM_BUCKETS_SCHEMA && !sameValues(h.customValues, h0.customValues)) return 'cut';
    if (gauge) return 'append';
    if (h.zeroCount < prev.zeroCount) return 'reset';
    if (this.bucketWentDown(this.pos, prev.positiveSpans, prev.positiveBuckets, h.positiveSpans, h.positiveBuckets)) return 'reset';
    if (this.bucketWentDown(this.neg, prev.negativeSpans, prev.negativeBuckets, h.negativeSpans, h.negativeBuckets)) return 'reset';
    return 'append';
  }

  /** A bucket of the chunk's layout is missing in h, or lower than in prev. */
  private bucketWentDown(side: Side, prevSpans: readonly BucketSpan[], prevCounts: Float64Array, spans: readonly BucketSpan[], counts: Float64Array): boolean {
    const own = bucketIndexes(spans);
    if (!isSubset(side.indexes, own)) return true;
    const before = bucketIndexes(prevSpans);
    let j = 0;
    for (let k = 0; k < own.length; k++) {
      while (j < before.length && before[j]! < own[k]!) j++;
      if (j < before.length && before[j] === own[k] && counts[k]! < prevCounts[j]!) return true;
    }
    return false;
  }

  private widen(side: Side, spans: readonly BucketSpan[]): void {
    const own = bucketIndexes(spans);
    if (isSubset(own, side.indexes)) return;
    if (isSubset(side.indexes, own)) {
      side.indexes = own;
      side.spans = spans;
      return;
    }
    side.indexes = union(side.indexes, own);
    side.spans = spansOf(side.indexes);
  }

  private layout(h: FloatHistogram, header: ChunkHeader, n: number): void {
    const w = this.w;
    w.reset();
    w.bits(n, 16);
    w.bits(header, 8);
    if (isStale(h)) {
      // A stale first sample has no layout of its own: threshold 0, schema 0, no spans.
      w.bits(0, 8);
      writeVarbitInt(w, 0);
      writeVarbitUint(w, 0);
      writeVarbitUint(w, 0);
      return;
    }
    writeZeroThreshold(w, h.zeroThreshold);
    writeVarbitInt(w, h.schema);
    writeSpans(w, this.pos.spans);
    writeSpans(w, this.neg.spans);
    if (h.schema === CUSTOM_BUCKETS_SCHEMA) {
      writeVarbitUint(w, h.customValues.length);
      for (const b of h.customValues) writeCustomBound(w, b);
    }
  }

  private integerChunk(hs: HistogramSamples, from: number, to: number, header: ChunkHeader): Uint8Array {
    const w = this.w;
    const first = hs.histograms[from]!;
    this.layout(first, header, to - from);
    const posIdx = this.pos.indexes;
    const negIdx = this.neg.indexes;
    const np = posIdx.length;
    const nn = negIdx.length;
    // Per bucket (positive then negative): its difference from the bucket before, and that
    // difference's change since the previous sample.
    const aligned = new Float64Array(Math.max(np, nn));
    const diff = new Float64Array(np + nn);
    const diffDelta = new Float64Array(np + nn);
    const win = this.win;
    win.reset(1);
    let prevT = 0;
    let tDelta = 0;
    let cnt = 0;
    let cntDelta = 0;
    let zc = 0;
    let zcDelta = 0;
    let sumHi = 0;
    let sumLo = 0;
    for (let i = from; i < to; i++) {
      const h = hs.histograms[i]!;
      const t = hs.timestamps[i]!;
      const stale = isStale(h);
      f64[0] = h.sum;
      const hi = u32[1]!;
      const lo = u32[0]!;
      if (i === from) {
        writeVarbitInt(w, t);
        writeVarbitUint(w, stale ? 0 : h.count);
        writeVarbitUint(w, stale ? 0 : h.zeroCount);
        w.bits(hi, 32);
        w.bits(lo, 32);
        cnt = stale ? 0 : h.count;
        zc = stale ? 0 : h.zeroCount;
      } else {
        const d = t - prevT;
        writeVarbitInt(w, d - tDelta);
        tDelta = d;
        if (stale) {
          writeVarbitInt(w, 0);
          writeVarbitInt(w, 0);
        } else {
          const cd = h.count - cnt;
          const zd = h.zeroCount - zc;
          writeVarbitInt(w, cd - cntDelta);
          writeVarbitInt(w, zd - zcDelta);
          cntDelta = cd;
          zcDelta = zd;
          cnt = h.count;
          zc = h.zeroCount;
        }
        writeXor(w, (hi ^ sumHi) >>> 0, (lo ^ sumLo) >>> 0, win, 0);
      }
      prevT = t;
      sumHi = hi;
      sumLo = lo;
      if (stale) continue;
      for (let side = 0; side < 2; side++) {
        const layout = side === 0 ? posIdx : negIdx;
        const base = side === 0 ? 0 : np;
        alignTo(layout, bucketIndexes(side === 0 ? h.positiveSpans : h.negativeSpans), side === 0 ? h.positiveBuckets : h.negativeBuckets, aligned);
        let before = 0;
        for (let k = 0; k < layout.length; k++) {
          const v = aligned[k]! - before;
          before = aligned[k]!;
          if (i === from) writeVarbitInt(w, v);
          else {
            const delta = v - diff[base + k]!;
            writeVarbitInt(w, delta - diffDelta[base + k]!);
            diffDelta[base + k] = delta;
          }
          diff[base + k] = v;
        }
      }
    }
    return w.finish();
  }

  private floatChunk(hs: HistogramSamples, from: number, to: number, header: ChunkHeader): Uint8Array {
    const w = this.w;
    const first = hs.histograms[from]!;
    this.layout(first, header, to - from);
    const posIdx = this.pos.indexes;
    const negIdx = this.neg.indexes;
    const np = posIdx.length;
    const nn = negIdx.length;
    // XOR slots: 0 count, 1 zero count, 2 sum, then the positive and the negative buckets.
    const slots = 3 + np + nn;
    const prevHi = new Uint32Array(slots);
    const prevLo = new Uint32Array(slots);
    const aligned = new Float64Array(Math.max(np, nn));
    const win = this.win;
    win.reset(slots);
    let prevT = 0;
    let tDelta = 0;
    const put = (slot: number, v: number, firstSample: boolean): void => {
      f64[0] = v;
      const hi = u32[1]!;
      const lo = u32[0]!;
      if (firstSample) {
        w.bits(hi, 32);
        w.bits(lo, 32);
      } else writeXor(w, (hi ^ prevHi[slot]!) >>> 0, (lo ^ prevLo[slot]!) >>> 0, win, slot);
      prevHi[slot] = hi;
      prevLo[slot] = lo;
    };
    for (let i = from; i < to; i++) {
      const h = hs.histograms[i]!;
      const t = hs.timestamps[i]!;
      const stale = isStale(h);
      const firstSample = i === from;
      writeVarbitInt(w, firstSample ? t : t - prevT - tDelta);
      if (!firstSample) tDelta = t - prevT;
      prevT = t;
      put(0, stale ? 0 : h.count, firstSample);
      put(1, stale ? 0 : h.zeroCount, firstSample);
      put(2, h.sum, firstSample);
      if (stale) continue;
      for (let side = 0; side < 2; side++) {
        const layout = side === 0 ? posIdx : negIdx;
        const base = side === 0 ? 3 : 3 + np;
        alignTo(layout, bucketIndexes(side === 0 ? h.positiveSpans : h.negativeSpans), side === 0 ? h.positiveBuckets : h.negativeBuckets, aligned);
        for (let k = 0; k < layout.length; k++) put(base + k, aligned[k]!, firstSample);
      }
    }
    return w.finish();
  }
}

function writeSpans(w: BitWriter, spans: readonly BucketSpan[]): void {
  writeVarbitUint(w, spans.length);
  for (const s of spans) {
    writeVarbitUint(w, s.length);
    writeVarbitInt(w, s.offset);
  }
}

/** One byte for 0 and for powers of two in [2^-243, 2^10] (the usual thresholds), else 9. */
function writeZeroThreshold(w: BitWriter, zt: number): void {
  if (zt === 0) {
    w.bits(0, 8);
    return;
  }
  f64[0] = zt;
  const hi = u32[1]!;
  const lo = u32[0]!;
  const biased = (hi >>> 20) & 0x7ff;
  if (hi >>> 31 === 0 && (hi & 0xfffff) === 0 && lo === 0 && biased >= 1 && biased <= 2046) {
    // zt = 0.5 · 2^exp as Go's math.Frexp splits it.
    const exp = biased - 1022;
    if (exp >= -242 && exp <= 11) {
      w.bits(exp + 243, 8);
      return;
    }
  }
  w.bits(255, 8);
  w.bits(hi, 32);
  w.bits(lo, 32);
}

/** A custom bucket bound: thousandths up to 33554.430 as a small varbit, anything else in 64 bits. */
function writeCustomBound(w: BitWriter, bound: number): void {
  const tf = bound * 1000;
  if (tf < 0 || tf > 33554430 || Math.round(tf) / 1000 !== bound) {
    w.bits(0, 1);
    f64[0] = bound;
    const hi = u32[1]!;
    const lo = u32[0]!;
    w.bits(hi, 32);
    w.bits(lo, 32);
    return;
  }
  writeVarbitUint(w, Math.round(tf) + 1);
}
