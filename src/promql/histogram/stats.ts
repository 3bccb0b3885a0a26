/**
 * What PromQL reads out of one native histogram: its buckets with bounds, quantiles, fractions,
 * and the estimated variance (Prometheus's `promql/quantile.go` and `funcHistogramStdDev`).
 */
import type { FloatHistogram } from '../../model/index.js';
import { exponentialBound, toSparse, usesCustomBuckets } from './float-histogram.js';

export interface BucketWithBounds {
  lower: number;
  upper: number;
  count: number;
  /** 0: lower exclusive, upper inclusive (the usual); 3: both inclusive (the zero bucket). */
  boundaryRule: number;
}

/** Every bucket from the lowest to the highest bound, negative, zero (when populated), positive. */
export function allBuckets(h: FloatHistogram): BucketWithBounds[] {
  const out: BucketWithBounds[] = [];
  if (usesCustomBuckets(h)) {
    const s = toSparse(h.positiveSpans, h.positiveBuckets);
    const cv = h.customValues;
    for (let i = 0; i < s.idx.length; i++) {
      const ix = s.idx[i]!;
      out.push({ lower: ix === 0 ? -Infinity : cv[ix - 1]!, upper: ix < cv.length ? cv[ix]! : Infinity, count: s.cnt[i]!, boundaryRule: 0 });
    }
    return out;
  }
  const neg = toSparse(h.negativeSpans, h.negativeBuckets);
  for (let i = neg.idx.length - 1; i >= 0; i--) {
    const ix = neg.idx[i]!;
    // Negative buckets mirror positive ones: (-upper, -lower], inclusive on the lower side.
    out.push({ lower: -exponentialBound(ix, h.schema), upper: -exponentialBound(ix - 1, h.schema), count: neg.cnt[i]!, boundaryRule: 1 });
  }
  if (h.zeroCount !== 0) out.push({ lower: -h.zeroThreshold, upper: h.zeroThreshold, count: h.zeroCount, boundaryRule: 3 });
  const pos = toSparse(h.positiveSpans, h.positiveBuckets);
  for (let i = 0; i < pos.idx.length; i++) {
    const ix = pos.idx[i]!;
    out.push({ lower: exponentialBound(ix - 1, h.schema), upper: exponentialBound(ix, h.schema), count: pos.cnt[i]!, boundaryRule: 0 });
  }
  return out;
}

/** `histogram_quantile` of one native histogram. */
export function histogramQuantile(q: number, h: FloatHistogram): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (h.count === 0 || Number.isNaN(q)) return NaN;
  const buckets = allBuckets(h);
  const forward = Number.isNaN(h.sum) || q < 0.5;
  let rank = forward ? q * h.count : (1 - q) * h.count;
  let count = 0;
  let b: BucketWithBounds | undefined;
  const n = buckets.length;
  for (let k = 0; k < n; k++) {
    const c = buckets[forward ? k : n - 1 - k]!;
    b = c;
    if (c.count === 0) continue;
    count += c.count;
    if (count >= rank) break;
  }
  if (!b) return NaN;
  let lower = b.lower;
  let upper = b.upper;
  const custom = usesCustomBuckets(h);
  if (!custom && lower < 0 && upper > 0) {
    if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) lower = 0;
    else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) upper = 0;
  } else if (custom) {
    if (lower === -Infinity) {
      if (upper <= 0) return upper;
      lower = 0;
    } else if (upper === Infinity) return lower;
  }
  if (count > h.count) count = h.count;
  // The rank lies beyond every bucket: only NaN observations are left there.
  if (count < rank) return Number.isNaN(h.sum) ? NaN : upper;
  if (forward) rank -= count - b.count;
  else rank = count - rank;
  const fraction = rank / b.count;
  if (custom || (lower <= 0 && upper >= 0)) return lower + (upper - lower) * fraction;
  const logLower = Math.log2(Math.abs(lower));
  const logUpper = Math.log2(Math.abs(upper));
  if (lower > 0) return Math.pow(2, logLower + (logUpper - logLower) * fraction);
  return -Math.pow(2, logUpper + (logLower - logUpper) * (1 - fraction));
}

/** `histogram_fraction(lower, upper, h)`: the estimated share of observations in [lower, upper]. */
export function histogramFraction(lowerArg: number, upperArg: number, h: FloatHistogram): number {
  if (h.count === 0 || Number.isNaN(lowerArg) || Number.isNaN(upperArg)) return NaN;
  if (lowerArg >= upperArg) return 0;
  const custom = usesCustomBuckets(h);
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  for (const b0 of allBuckets(h)) {
    let lower = b0.lower;
    let upper = b0.upper;
    const count = b0.count;
    let zeroBucket = false;
    if (custom && lower === -Infinity && upper > 0) lower = 0;
    if (lower <= 0 && upper >= 0 && !custom) {
      zeroBucket = true;
      if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) lower = 0;
      else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) upper = 0;
    }
    const linear = (v: number): number => rank + (count * (v - lower)) / (upper - lower);
    const exponential = (v: number): number => {
      const logLower = Math.log2(Math.abs(lower));
      const logUpper = Math.log2(Math.abs(upper));
      const logV = Math.log2(Math.abs(v));
      const fraction = v > 0 ? (logV - logLower) / (logUpper - logLower) : 1 - (logV - logUpper) / (logLower - logUpper);
      return rank + count * fraction;
    };
    const interpolate = (v: number): number => (custom || zeroBucket ? linear(v) : exponential(v));
    if (!lowerSet && lower >= lowerArg) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lower >= upperArg) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    // An open-ended bucket has no width to interpolate over: its observations lie at the far end.
    if (!lowerSet && lower < lowerArg && upper > lowerArg) {
      lowerRank = upper === Infinity ? rank : lower === -Infinity ? rank + count : interpolate(lowerArg);
      lowerSet = true;
    }
    if (!upperSet && lower < upperArg && upper > upperArg) {
      upperRank = upper === Infinity ? rank : lower === -Infinity ? rank + count : interpolate(upperArg);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank += count;
  }
  // NaN observations sit in no bucket: a bound beyond every bucket ranks at the bucket total.
  if (!lowerSet) lowerRank = rank;
  if (!upperSet) upperRank = rank;
  if (lowerRank > h.count) lowerRank = h.count;
  if (upperRank > h.count) upperRank = h.count;
  return (upperRank - lowerRank) / h.count;
}

/** Estimated variance of the observations (population variance from bucket midpoints). */
export function histogramVariance(h: FloatHistogram): number {
  const mean = h.sum / h.count;
  const custom = usesCustomBuckets(h);
  let variance = 0;
  let c = 0;
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    let val: number;
    if (custom) {
      let lower = b.lower;
      let upper = b.upper;
      if (lower === -Infinity) lower = upper > 0 ? 0 : upper;
      if (upper === Infinity) upper = lower;
      val = (upper + lower) / 2;
    } else if (b.lower <= 0 && b.upper >= 0) val = 0;
    else {
      val = Math.sqrt(b.upper * b.lower);
      if (b.upper < 0) val = -val;
    }
    const delta = val - mean;
    const inc = b.count * delta * delta;
    // Kahan summation, as Prometheus accumulates it.
    const t = variance + inc;
    if (t === Infinity || t === -Infinity) c = 0;
    else if (Math.abs(variance) >= Math.abs(inc)) c += variance - t + inc;
    else c += inc - t + variance;
    variance = t;
  }
  variance += c;
  return variance / h.count;
}
