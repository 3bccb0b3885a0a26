/**
 * The bucket-trimming operators `h </ x` (keep the observations below x) and `h >/ x` (keep
 * those above x). A bucket the cut falls into keeps the share of its count on the kept side,
 * interpolated exponentially in exponential buckets and linearly in the zero bucket and custom
 * buckets; the sum is then re-estimated from the kept buckets' midpoints (geometric for
 * exponential buckets, arithmetic otherwise). A trim that removes nothing returns the histogram
 * unchanged, its exact sum included.
 */
import type { FloatHistogram } from '../../model/index.js';
import { exponentialBound, makeHistogram, toSparse, usesCustomBuckets, type SparseBuckets } from './float-histogram.js';

interface Kept {
  /** Share of the bucket's count that stays. */
  f: number;
  /** Midpoint of the kept part (for the sum estimate). */
  mean: number;
}

const DROP: Kept = { f: 0, mean: 0 };

/** One finite bucket [lo, hi]; `interp(v)` is the share of the bucket below v. */
function trimFinite(lo: number, hi: number, x: number, below: boolean, interp: (v: number) => number, mean: (a: number, b: number) => number): Kept {
  if (below) {
    if (hi <= x) return { f: 1, mean: mean(lo, hi) };
    if (lo >= x) return DROP;
    return { f: interp(x), mean: mean(lo, x) };
  }
  if (lo >= x) return { f: 1, mean: mean(lo, hi) };
  if (hi <= x) return DROP;
  return { f: 1 - interp(x), mean: mean(x, hi) };
}

const arithmetic = (a: number, b: number): number => (a + b) / 2;
const geometric = (a: number, b: number): number => (a < 0 ? -Math.sqrt(a * b) : Math.sqrt(a * b));

/** A custom bucket, with Prometheus's rules for the open-ended first and last ones. */
function trimCustom(lo: number, hi: number, x: number, below: boolean): Kept {
  const first = lo === -Infinity;
  const last = hi === Infinity;
  if (first && last) return (below ? x === Infinity : x === -Infinity) ? { f: 1, mean: 0 } : DROP;
  if (first) {
    if (below) {
      if (hi > 0) return trimFinite(0, hi, x, true, (v) => v / hi, arithmetic);
      return x >= hi ? { f: 1, mean: hi } : { f: 1, mean: x };
    }
    if (x === -Infinity) return { f: 1, mean: hi > 0 ? hi / 2 : hi };
    if (hi > 0 && x >= 0) return trimFinite(0, hi, x, false, (v) => v / hi, arithmetic);
    return DROP;
  }
  if (last) {
    if (below) return x === Infinity ? { f: 1, mean: lo } : DROP;
    if (x === Infinity) return DROP;
    return x <= lo ? { f: 1, mean: lo } : { f: 1, mean: x };
  }
  return trimFinite(lo, hi, x, below, (v) => (v - lo) / (hi - lo), arithmetic);
}

export function trimHistogram(h: FloatHistogram, x: number, below: boolean): FloatHistogram {
  let changed = false;
  let count = 0;
  let sum = 0;
  const apply = (s: SparseBuckets, rule: (idx: number) => Kept): SparseBuckets => {
    const cnt = s.cnt.map((c, i) => {
      const k = rule(s.idx[i]!);
      if (k.f !== 1) changed = true;
      const kept = c * k.f;
      if (kept !== 0) {
        count += kept;
        sum += kept * k.mean;
      }
      return kept;
    });
    return { idx: s.idx, cnt };
  };
  if (usesCustomBuckets(h)) {
    const cv = h.customValues;
    const pos = apply(toSparse(h.positiveSpans, h.positiveBuckets), (i) =>
      trimCustom(i === 0 ? -Infinity : cv[i - 1]!, i < cv.length ? cv[i]! : Infinity, x, below),
    );
    // A bucket kept whole around an open end changes the sum estimate too.
    if (!changed && !wholeKeepsSum(h, x, below)) changed = true;
    if (!changed) return h;
    return makeHistogram({ ...h, count, sum: count === 0 ? 0 : sum }, pos, { idx: [], cnt: [] });
  }
  const schema = h.schema;
  const exponential =
    (lo: number, hi: number) =>
    (v: number): number => {
      const a = Math.log2(Math.abs(lo));
      const b = Math.log2(Math.abs(hi));
      return (Math.log2(Math.abs(v)) - a) / (b - a);
    };
  const pos = apply(toSparse(h.positiveSpans, h.positiveBuckets), (i) => {
    const lo = exponentialBound(i - 1, schema);
    const hi = exponentialBound(i, schema);
    return trimFinite(lo, hi, x, below, exponential(lo, hi), geometric);
  });
  const neg = apply(toSparse(h.negativeSpans, h.negativeBuckets), (i) => {
    const lo = -exponentialBound(i, schema);
    const hi = -exponentialBound(i - 1, schema);
    return trimFinite(lo, hi, x, below, exponential(lo, hi), geometric);
  });
  let zeroCount = 0;
  if (h.zeroCount !== 0 || h.zeroThreshold !== 0) {
    // The zero bucket leans to the side that has buckets: [0, w] with only positive ones.
    const onlyPos = h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0;
    const onlyNeg = h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0;
    const lo = onlyPos ? 0 : -h.zeroThreshold;
    const hi = onlyNeg ? 0 : h.zeroThreshold;
    const k = hi > lo ? trimFinite(lo, hi, x, below, (v) => (v - lo) / (hi - lo), arithmetic) : { f: (below ? x >= 0 : x <= 0) ? 1 : 0, mean: 0 };
    if (k.f !== 1 && h.zeroCount !== 0) changed = true;
    zeroCount = h.zeroCount * k.f;
    count += zeroCount;
    sum += zeroCount * k.mean;
  }
  if (!changed) return h;
  return makeHistogram({ ...h, zeroCount, count, sum: count === 0 ? 0 : sum }, pos, neg);
}

/** For custom buckets kept whole: whether the open-ended rules left the estimate as it was. */
function wholeKeepsSum(h: FloatHistogram, x: number, below: boolean): boolean {
  const cv = h.customValues;
  const s = toSparse(h.positiveSpans, h.positiveBuckets);
  for (let k = 0; k < s.idx.length; k++) {
    const i = s.idx[k]!;
    if (s.cnt[k] === 0) continue;
    const lo = i === 0 ? -Infinity : cv[i - 1]!;
    const hi = i < cv.length ? cv[i]! : Infinity;
    // Only a straddled open end substitutes the cut for a midpoint.
    if (lo === -Infinity && hi !== Infinity && below && hi <= 0 && x < hi) return false;
    if (hi === Infinity && lo !== -Infinity && !below && x > lo) return false;
  }
  return true;
}
