/** One classic histogram bucket: cumulative count of observations ≤ upperBound. */
export interface Bucket {
  upperBound: number;
  count: number;
}

export interface BucketQuantileResult {
  value: number;
  forcedMonotonic: boolean;
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
}

const SMALL_DELTA_TOLERANCE = 1e-12;
const MIN_NORMAL = 2.2250738585072014e-308;

/** Prometheus's `almost.Equal`. */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (a === b) return true;
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

function sortAndCoalesce(buckets: Bucket[]): Bucket[] {
  buckets.sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
  const out: Bucket[] = [];
  for (const b of buckets) {
    const last = out[out.length - 1];
    if (last && last.upperBound === b.upperBound) last.count += b.count;
    else out.push({ upperBound: b.upperBound, count: b.count });
  }
  return out;
}

/**
 * The q-quantile of a classic histogram, interpolating linearly inside the bucket that holds the
 * rank; non-monotonic cumulative counts are forced monotonic (and reported).
 */
export function bucketQuantile(q: number, input: Bucket[]): BucketQuantileResult {
  const res: BucketQuantileResult = { value: NaN, forcedMonotonic: false, minBucket: Infinity, maxBucket: -Infinity, maxDiff: 0 };
  if (Number.isNaN(q)) return res;
  if (q < 0) {
    res.value = -Infinity;
    return res;
  }
  if (q > 1) {
    res.value = Infinity;
    return res;
  }
  if (input.length === 0) return res;
  const sorted = [...input].sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
  if (sorted[sorted.length - 1]!.upperBound !== Infinity) return res;
  const buckets = sortAndCoalesce(sorted);

  let prev = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i]!.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
      buckets[i]!.count = prev;
      continue;
    }
    if (curr < prev) {
      buckets[i]!.count = prev;
      res.forcedMonotonic = true;
      const ub = buckets[i]!.upperBound;
      if (ub < res.minBucket) res.minBucket = ub;
      if (ub > res.maxBucket) res.maxBucket = ub;
      if (prev - curr > res.maxDiff) res.maxDiff = prev - curr;
      continue;
    }
    prev = curr;
  }

  if (buckets.length < 2) return res;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return res;
  let rank = q * observations;
  // First bucket (among all but the last) whose count reaches the rank.
  let b = 0;
  while (b < buckets.length - 1 && !(buckets[b]!.count >= rank)) b++;

  if (b === buckets.length - 1) {
    res.value = buckets[buckets.length - 2]!.upperBound;
  } else if (b === 0 && buckets[0]!.upperBound <= 0) {
    res.value = buckets[0]!.upperBound;
  } else {
    let bucketStart = 0;
    const bucketEnd = buckets[b]!.upperBound;
    let count = buckets[b]!.count;
    if (b > 0) {
      bucketStart = buckets[b - 1]!.upperBound;
      count -= buckets[b - 1]!.count;
      rank -= buckets[b - 1]!.count;
    }
    res.value = bucketStart + (bucketEnd - bucketStart) * (rank / count);
  }
  return res;
}

/** Estimated fraction of observations in [lower, upper] of a classic histogram. */
export function bucketFraction(lower: number, upper: number, input: Bucket[]): number {
  if (input.length === 0) return NaN;
  const sorted = [...input].sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
  if (sorted[sorted.length - 1]!.upperBound !== Infinity) return NaN;
  const buckets = sortAndCoalesce(sorted);
  const count = buckets[buckets.length - 1]!.count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;

  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = buckets[0]!.upperBound <= 0 ? -Infinity : 0;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (i > 0) lowerBound = buckets[i - 1]!.upperBound;
    const upperBound = b.upperBound;
    const interpolate = (v: number): number => (lowerBound === -Infinity ? b.count : rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound));
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}
