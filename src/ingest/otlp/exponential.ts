/**
 * OTLP exponential histogram data point → Prometheus native histogram (the shared FloatHistogram).
 *
 * Both use base 2^(2^-scale) bucket boundaries, so the scale is the schema, but they index
 * buckets differently: OTLP bucket i covers (base^i, base^(i+1)], Prometheus bucket i covers
 * (base^(i-1), base^i]; a Prometheus index is the OTLP index plus one. Native histograms stop at
 * schema 8: a finer scale is coarsened by merging each 2^(scale-8) neighbouring OTLP buckets
 * (index i → floor(i / 2^(scale-8))) before the shift. Scales below -4 have no schema and are
 * refused, as Prometheus refuses them. OTLP's zero bucket (zero_count, zero_threshold) is the
 * native zero bucket unchanged.
 */
import { CounterResetHint, STALE_NAN, type BucketSpan, type FloatHistogram } from '../../model/index.js';
import type { Buckets } from './model.js';

export const MIN_SCHEMA = -4;
export const MAX_SCHEMA = 8;
/** The finest scale OTLP defines. */
export const MAX_OTLP_SCALE = 20;

export interface ExponentialInput {
  readonly scale: number;
  readonly count: number;
  /** null when the point has no sum (Prometheus then stores 0). */
  readonly sum: number | null;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: Buckets;
  readonly negative: Buckets;
  /** NO_RECORDED_VALUE: the result is a staleness marker (sum = stale NaN, no buckets). */
  readonly stale?: boolean;
}

/** A point that cannot be converted; the message names what is wrong with it. */
export class ExponentialHistogramError extends Error {}

function checkCount(v: number, what: string): void {
  if (!Number.isFinite(v) || v < 0 || !Number.isInteger(v)) throw new ExponentialHistogramError(`${what} is ${v}: counts must be non-negative integers`);
}

/** Spans + absolute counts in Prometheus indexing after merging `scaleDown` levels. */
function convertBuckets(b: Buckets, scaleDown: number, side: string): { spans: BucketSpan[]; counts: Float64Array; total: number } {
  const spans: BucketSpan[] = [];
  const counts: number[] = [];
  let total = 0;
  if (!Number.isInteger(b.offset)) throw new ExponentialHistogramError(`${side} offset ${b.offset} is not an integer`);
  const div = 2 ** scaleDown;
  // Index of the last bucket written (Prometheus indexing), or null before the first.
  let last: number | null = null;
  let pendingIdx = 0;
  let pendingCount = 0;
  let havePending = false;
  const flush = (): void => {
    if (!havePending || pendingCount === 0) return;
    const idx = pendingIdx;
    if (last === null || idx - last - 1 > 2) {
      // A gap of more than two empty buckets starts a new span (Prometheus's compaction rule).
      spans.push({ offset: last === null ? idx : idx - last - 1, length: 1 });
    } else {
      const gap = idx - last - 1;
      for (let g = 0; g < gap; g++) counts.push(0);
      const s = spans[spans.length - 1]!;
      spans[spans.length - 1] = { offset: s.offset, length: s.length + gap + 1 };
    }
    counts.push(pendingCount);
    last = idx;
  };
  for (let i = 0; i < b.counts.length; i++) {
    const c = b.counts[i]!;
    checkCount(c, `${side} bucket count ${i}`);
    total += c;
    const idx = Math.floor((b.offset + i) / div) + 1;
    if (havePending && idx === pendingIdx) {
      pendingCount += c;
      continue;
    }
    flush();
    pendingIdx = idx;
    pendingCount = c;
    havePending = true;
  }
  flush();
  return { spans, counts: Float64Array.from(counts), total };
}

export function exponentialToFloatHistogram(p: ExponentialInput): FloatHistogram {
  if (!Number.isInteger(p.scale) || p.scale < MIN_SCHEMA) {
    throw new ExponentialHistogramError(`scale ${p.scale} is below ${MIN_SCHEMA}, the coarsest native histogram schema`);
  }
  if (p.scale > MAX_OTLP_SCALE) throw new ExponentialHistogramError(`scale ${p.scale} is above ${MAX_OTLP_SCALE}, the finest OTLP defines`);
  const schema = Math.min(p.scale, MAX_SCHEMA);
  if (!(p.zeroThreshold >= 0) || p.zeroThreshold === Infinity)
    throw new ExponentialHistogramError(`zero threshold ${p.zeroThreshold} is not a non-negative finite number`);
  if (p.stale) {
    return {
      schema,
      counterResetHint: CounterResetHint.Unknown,
      zeroThreshold: p.zeroThreshold,
      zeroCount: 0,
      count: 0,
      sum: STALE_NAN,
      positiveSpans: [],
      positiveBuckets: new Float64Array(0),
      negativeSpans: [],
      negativeBuckets: new Float64Array(0),
      customValues: new Float64Array(0),
    };
  }
  checkCount(p.count, 'count');
  checkCount(p.zeroCount, 'zero count');
  const scaleDown = p.scale - schema;
  const pos = convertBuckets(p.positive, scaleDown, 'positive');
  const neg = convertBuckets(p.negative, scaleDown, 'negative');
  const inBuckets = p.zeroCount + pos.total + neg.total;
  if (p.count < inBuckets) {
    throw new ExponentialHistogramError(
      `count ${p.count} is less than the ${inBuckets} observations in its buckets (zero count ${p.zeroCount} + positive ${pos.total} + negative ${neg.total})`,
    );
  }
  return {
    schema,
    counterResetHint: CounterResetHint.Unknown,
    zeroThreshold: p.zeroThreshold,
    zeroCount: p.zeroCount,
    count: p.count,
    sum: p.sum ?? 0,
    positiveSpans: pos.spans,
    positiveBuckets: pos.counts,
    negativeSpans: neg.spans,
    negativeBuckets: neg.counts,
    customValues: new Float64Array(0),
  };
}
