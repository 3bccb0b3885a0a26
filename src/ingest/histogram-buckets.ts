import type { BucketSpan, FloatHistogram } from '../model/index.js';

/**
 * Bucket boundaries of native histograms, as Prometheus computes them (model/histogram's
 * getBound and its AllBucketIterator), for the output formats that list buckets: export JSON
 * and the classic `_bucket` lines of /federate.
 */

export const CUSTOM_BUCKETS_SCHEMA = -53;

/** Upper bound of bucket `idx` in exponential schema `schema` (Prometheus's getBound). */
export function exponentialBound(idx: number, schema: number): number {
  if (schema < 0) {
    const exp = idx * 2 ** -schema;
    if (exp === 1024) return Number.MAX_VALUE;
    return 2 ** exp;
  }
  const per = 2 ** schema;
  const fracIdx = ((idx % per) + per) % per;
  const exp = Math.floor(idx / per) + 1;
  const frac = 2 ** (fracIdx / per) / 2;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return frac * 2 ** exp;
}

/** Upper bound of custom bucket `idx` (the last one is +Inf). */
export function customBound(idx: number, customValues: Float64Array): number {
  return idx < customValues.length ? customValues[idx]! : Infinity;
}

/**
 * How a bucket's ends are included, Prometheus's JSON code: 0 (lower, upper], 1 [lower, upper),
 * 2 (lower, upper), 3 [lower, upper].
 */
export type BoundaryRule = 0 | 1 | 2 | 3;

export interface Bucket {
  readonly rule: BoundaryRule;
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
}

function* spanIndexes(spans: readonly BucketSpan[], counts: Float64Array): Generator<[number, number]> {
  let idx = 0;
  let k = 0;
  for (const s of spans) {
    idx += s.offset;
    for (let j = 0; j < s.length; j++, idx++, k++) yield [idx, counts[k] ?? 0];
  }
}

/**
 * Every populated bucket, lowest first: negative buckets, the zero bucket, positive buckets
 * (Prometheus's AllBucketIterator), empty ones left out as Prometheus's JSON leaves them out.
 */
export function allBuckets(h: FloatHistogram): Bucket[] {
  const out: Bucket[] = [];
  if (h.schema === CUSTOM_BUCKETS_SCHEMA) {
    for (const [idx, c] of spanIndexes(h.positiveSpans, h.positiveBuckets)) {
      if (c === 0) continue;
      out.push({ rule: 0, lower: idx === 0 ? -Infinity : customBound(idx - 1, h.customValues), upper: customBound(idx, h.customValues), count: c });
    }
    return out;
  }
  const neg: Bucket[] = [];
  for (const [idx, c] of spanIndexes(h.negativeSpans, h.negativeBuckets)) {
    if (c === 0) continue;
    neg.push({ rule: 1, lower: -exponentialBound(idx, h.schema), upper: -exponentialBound(idx - 1, h.schema), count: c });
  }
  out.push(...neg.reverse());
  if (h.zeroCount > 0) out.push({ rule: 3, lower: -h.zeroThreshold, upper: h.zeroThreshold, count: h.zeroCount });
  for (const [idx, c] of spanIndexes(h.positiveSpans, h.positiveBuckets)) {
    if (c === 0) continue;
    out.push({ rule: 0, lower: exponentialBound(idx - 1, h.schema), upper: exponentialBound(idx, h.schema), count: c });
  }
  return out;
}

/**
 * The classic cumulative buckets of a custom-bucket (schema -53) histogram: one (le, count) per
 * custom bound and +Inf, as Prometheus converts them back for the text format.
 */
export function classicBuckets(h: FloatHistogram): { le: number; count: number }[] {
  const per = new Float64Array(h.customValues.length + 1);
  for (const [idx, c] of spanIndexes(h.positiveSpans, h.positiveBuckets)) if (idx >= 0 && idx < per.length) per[idx] = c;
  const out: { le: number; count: number }[] = [];
  let cum = 0;
  for (let i = 0; i < per.length; i++) {
    cum += per[i]!;
    out.push({ le: customBound(i, h.customValues), count: cum });
  }
  return out;
}
