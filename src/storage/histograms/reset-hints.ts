import { CounterResetHint, isStaleNaN, type BucketSpan, type FloatHistogram, type HistogramSamples } from '../../model/index.js';

/**
 * The counter-reset hints a Prometheus (3.x) TSDB hands back for a series' histogram samples,
 * whatever hints they were written with. Prometheus keeps a hint per chunk, not per sample: its
 * appender starts a new chunk at the first sample, after a float sample, at an explicit `reset`
 * hint, at a reset it detects itself (a count, zero count or bucket that goes down, a populated
 * bucket that disappears), at a schema, zero-threshold or custom-bounds change, after a stale
 * marker, and between gauge and counter histograms. Its chunk iterator then says `Unknown` for a
 * chunk's first sample (prometheus/prometheus#15346: the chunk before may be gone), `NotReset`
 * for every later one, and `Gauge` throughout a gauge chunk. PromQL then finds resets from the
 * values where the hint is `Unknown`, so rates and annotations come out as Prometheus's do.
 *
 * Prometheus also cuts chunks by size (about 1 KiB); the samples after such a cut say `Unknown`
 * there and `NotReset` here, which PromQL treats alike for a sample that is no reset.
 * The first sample of a read has no predecessor here and says `Unknown`.
 */
export function tsdbResetHints(hs: HistogramSamples, floatTimestamps?: Float64Array): HistogramSamples {
  const n = hs.histograms.length;
  let out: FloatHistogram[] | null = null;
  let f = 0;
  for (let i = 0; i < n; i++) {
    const h = hs.histograms[i]!;
    let hint: CounterResetHint;
    if (h.counterResetHint === CounterResetHint.Gauge) hint = CounterResetHint.Gauge;
    else if (i === 0) hint = CounterResetHint.Unknown;
    else {
      const t = hs.timestamps[i]!;
      const prevT = hs.timestamps[i - 1]!;
      let floatBetween = false;
      if (floatTimestamps !== undefined) {
        while (f < floatTimestamps.length && floatTimestamps[f]! <= prevT) f++;
        floatBetween = f < floatTimestamps.length && floatTimestamps[f]! < t;
      }
      hint = floatBetween || startsChunk(hs.histograms[i - 1]!, h) ? CounterResetHint.Unknown : CounterResetHint.NotReset;
    }
    if (hint !== h.counterResetHint) {
      out ??= hs.histograms.slice(0, i);
      out.push({ ...h, counterResetHint: hint });
    } else out?.push(h);
  }
  return out ? { timestamps: hs.timestamps, histograms: out } : hs;
}

/** Whether Prometheus's appender starts a new chunk for counter histogram `cur` after `prev`. */
function startsChunk(prev: FloatHistogram, cur: FloatHistogram): boolean {
  if (prev.counterResetHint === CounterResetHint.Gauge) return true;
  if (cur.counterResetHint === CounterResetHint.Reset) return true;
  // A stale marker joins the chunk; the sample after one starts a new chunk.
  if (isStaleNaN(cur.sum)) return false;
  if (isStaleNaN(prev.sum)) return true;
  if (cur.count < prev.count) return true;
  if (cur.schema !== prev.schema || cur.zeroThreshold !== prev.zeroThreshold) return true;
  if (!sameValues(cur.customValues, prev.customValues)) return true;
  if (cur.zeroCount < prev.zeroCount) return true;
  return (
    bucketsGoDown(prev.positiveSpans, prev.positiveBuckets, cur.positiveSpans, cur.positiveBuckets) ||
    bucketsGoDown(prev.negativeSpans, prev.negativeBuckets, cur.negativeSpans, cur.negativeBuckets)
  );
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether a populated bucket of `prev` is missing from `cur` or holds less there (new buckets
 * in `cur` are fine: the appender inserts them).
 */
function bucketsGoDown(ps: readonly BucketSpan[], pb: Float64Array, cs: readonly BucketSpan[], cb: Float64Array): boolean {
  // cur's buckets one by one: span `span` next, `left` buckets left in the current one, `next`
  // the index after the last bucket taken, `idx`/`ci` the bucket taken (index, position in cb).
  let span = 0;
  let left = 0;
  let next = 0;
  let idx = 0;
  let ci = -1;
  const advance = (): boolean => {
    while (left === 0) {
      if (span >= cs.length) return false;
      next += cs[span]!.offset;
      left = cs[span]!.length;
      span++;
    }
    idx = next++;
    left--;
    ci++;
    return true;
  };
  let has = advance();
  let pIdx = 0;
  let pi = 0;
  for (let s = 0; s < ps.length; s++) {
    pIdx += ps[s]!.offset;
    for (let k = 0; k < ps[s]!.length; k++, pIdx++, pi++) {
      const v = pb[pi] ?? 0;
      while (has && idx < pIdx) has = advance();
      if (has && idx === pIdx) {
        if ((cb[ci] ?? 0) < v) return true;
      } else if (v > 0) return true;
    }
  }
  return false;
}
