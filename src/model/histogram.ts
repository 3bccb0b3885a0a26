/**
 * Native histograms as PromQL and storage exchange them. One shape for integer and float
 * histograms: counts are absolute float64 (a remote-write integer histogram's delta-encoded
 * counts are summed on ingest), so the engine works on one type, as Prometheus's
 * FloatHistogram does. Wire and on-disk encodings live with their codecs, not here.
 */

/** A run of consecutive buckets: `offset` empty buckets skipped before `length` populated ones. */
export interface BucketSpan {
  readonly offset: number;
  readonly length: number;
}

/** Prometheus's counter-reset hint, carried from remote write and kept through storage. */
export const enum CounterResetHint {
  Unknown = 0,
  Reset = 1,
  NotReset = 2,
  Gauge = 3,
}

export interface FloatHistogram {
  /** -4..8 exponential schemas, or -53 for custom bucket boundaries (`customValues`). */
  readonly schema: number;
  readonly counterResetHint: CounterResetHint;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly count: number;
  readonly sum: number;
  readonly positiveSpans: readonly BucketSpan[];
  /** Absolute count per populated bucket, in span order. */
  readonly positiveBuckets: Float64Array;
  readonly negativeSpans: readonly BucketSpan[];
  readonly negativeBuckets: Float64Array;
  /** Upper bounds of the custom buckets when schema is -53; empty otherwise. */
  readonly customValues: Float64Array;
}

/** One series' histogram samples, sorted by timestamp (ms), parallel arrays. */
export interface HistogramSamples {
  readonly timestamps: Float64Array;
  readonly histograms: readonly FloatHistogram[];
}

/**
 * Whether every count of h (count, zero count, buckets) is a whole number from 0 to `max`: such a
 * histogram can go out in Prometheus's integer form (remote write's `count_int` and deltas, the
 * HISTOGRAM chunk encoding). Storage keeps counts as floats, so this is how writers choose.
 */
export function hasIntegerCounts(h: FloatHistogram, max: number = Number.MAX_SAFE_INTEGER): boolean {
  const whole = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;
  if (!whole(h.count) || !whole(h.zeroCount)) return false;
  for (const v of h.positiveBuckets) if (!whole(v)) return false;
  for (const v of h.negativeBuckets) if (!whole(v)) return false;
  return true;
}
