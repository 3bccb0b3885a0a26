/**
 * Arithmetic on native histograms (the model's FloatHistogram) as Prometheus's
 * `model/histogram/float_histogram.go` defines it: addition and subtraction across schemas
 * (the lower resolution wins) and zero thresholds (the wider one wins), custom-bucket
 * reconciliation, scaling, counter-reset detection and compaction. Results are always compact:
 * no empty buckets, adjacent spans merged (what Prometheus's `Compact(0)` produces).
 */
import { CounterResetHint, type BucketSpan, type FloatHistogram } from '../../model/index.js';

export const CUSTOM_BUCKETS_SCHEMA = -53;

export function usesCustomBuckets(h: FloatHistogram): boolean {
  return h.schema === CUSTOM_BUCKETS_SCHEMA;
}

/** Buckets as sorted (index, count) pairs: the working form of every operation here. */
export interface SparseBuckets {
  idx: number[];
  cnt: number[];
}

export function toSparse(spans: readonly BucketSpan[], buckets: Float64Array): SparseBuckets {
  const idx: number[] = [];
  const cnt: number[] = [];
  let at = 0;
  let k = 0;
  for (const s of spans) {
    at += s.offset;
    for (let j = 0; j < s.length; j++) {
      idx.push(at);
      cnt.push(buckets[k++] ?? 0);
      at++;
    }
  }
  return { idx, cnt };
}

/** Spans and buckets of the non-empty buckets in `s`. */
export function fromSparse(s: SparseBuckets): { spans: BucketSpan[]; buckets: Float64Array } {
  const spans: BucketSpan[] = [];
  const out: number[] = [];
  let next = 0;
  let first = true;
  let curLen = 0;
  let curOffset = 0;
  for (let i = 0; i < s.idx.length; i++) {
    const c = s.cnt[i]!;
    if (c === 0) continue;
    const ix = s.idx[i]!;
    if (!first && ix === next) curLen++;
    else {
      if (!first) spans.push({ offset: curOffset, length: curLen });
      curOffset = first ? ix : ix - next;
      curLen = 1;
      first = false;
    }
    next = ix + 1;
    out.push(c);
  }
  if (!first) spans.push({ offset: curOffset, length: curLen });
  return { spans, buckets: Float64Array.from(out) };
}

/** Upper bound of bucket `idx` of an exponential schema: 2^(idx·2^-schema). */
export function exponentialBound(idx: number, schema: number): number {
  if (schema <= 0) return Math.pow(2, idx * Math.pow(2, -schema));
  return Math.pow(2, idx / Math.pow(2, schema));
}

/** The index bucket `idx` of schema `from` falls into at the lower schema `to`. */
export function reducedIndex(idx: number, from: number, to: number): number {
  if (from === to) return idx;
  // Arithmetic shift on possibly large magnitudes: floor division keeps negative indexes right.
  return Math.floor((idx - 1) / Math.pow(2, from - to)) + 1;
}

function reduce(s: SparseBuckets, from: number, to: number): SparseBuckets {
  if (from === to) return s;
  const idx: number[] = [];
  const cnt: number[] = [];
  for (let i = 0; i < s.idx.length; i++) {
    const t = reducedIndex(s.idx[i]!, from, to);
    if (idx.length > 0 && idx[idx.length - 1] === t) cnt[cnt.length - 1]! += s.cnt[i]!;
    else {
      idx.push(t);
      cnt.push(s.cnt[i]!);
    }
  }
  return { idx, cnt };
}

/** A histogram with the given parts, compacted. */
export function makeHistogram(
  base: Pick<FloatHistogram, 'schema' | 'counterResetHint' | 'zeroThreshold' | 'zeroCount' | 'count' | 'sum' | 'customValues'>,
  pos: SparseBuckets,
  neg: SparseBuckets,
): FloatHistogram {
  const p = fromSparse(pos);
  const n = fromSparse(neg);
  return {
    schema: base.schema,
    counterResetHint: base.counterResetHint,
    zeroThreshold: base.zeroThreshold,
    zeroCount: base.zeroCount,
    count: base.count,
    sum: base.sum,
    positiveSpans: p.spans,
    positiveBuckets: p.buckets,
    negativeSpans: n.spans,
    negativeBuckets: n.buckets,
    customValues: base.customValues,
  };
}

export function compact(h: FloatHistogram): FloatHistogram {
  return makeHistogram(h, toSparse(h.positiveSpans, h.positiveBuckets), toSparse(h.negativeSpans, h.negativeBuckets));
}

export function withHint(h: FloatHistogram, hint: CounterResetHint): FloatHistogram {
  return h.counterResetHint === hint ? h : { ...h, counterResetHint: hint };
}

/** Every count and the sum multiplied by `f` (Prometheus's `Mul`; `Div` is multiplication by 1/f). */
export function scale(h: FloatHistogram, f: number): FloatHistogram {
  return {
    ...h,
    zeroCount: h.zeroCount * f,
    count: h.count * f,
    sum: h.sum * f,
    positiveBuckets: h.positiveBuckets.map((x) => x * f),
    negativeBuckets: h.negativeBuckets.map((x) => x * f),
  };
}

export function divide(h: FloatHistogram, d: number): FloatHistogram {
  // Division by zero leaves no buckets, as in Prometheus.
  if (d === 0)
    return {
      ...h,
      zeroCount: h.zeroCount / d,
      count: h.count / d,
      sum: h.sum / d,
      positiveSpans: [],
      positiveBuckets: new Float64Array(0),
      negativeSpans: [],
      negativeBuckets: new Float64Array(0),
    };
  return {
    ...h,
    zeroCount: h.zeroCount / d,
    count: h.count / d,
    sum: h.sum / d,
    positiveBuckets: h.positiveBuckets.map((x) => x / d),
    negativeBuckets: h.negativeBuckets.map((x) => x / d),
  };
}

/** Why two histograms could not be combined. */
export class HistogramMixError extends Error {
  constructor() {
    super('cannot combine histograms with exponential and custom buckets');
  }
}

export interface CombineResult {
  h: FloatHistogram;
  /** Custom bounds differed and were intersected. */
  reconciled: boolean;
  /** One operand said counter reset, the other not. */
  resetCollision: boolean;
}

/**
 * Moves every bucket whose range lies inside a zero bucket of `threshold` into the zero count.
 * A populated bucket straddling the threshold widens it to that bucket's upper bound (what
 * Prometheus's `zeroCountForLargerThreshold` does); returns the final threshold.
 */
function widenZero(schema: number, threshold: number, parts: { pos: SparseBuckets; neg: SparseBuckets; zero: number }[]): number {
  for (;;) {
    let widened = threshold;
    for (const p of parts) {
      for (const s of [p.pos, p.neg]) {
        for (let i = 0; i < s.idx.length; i++) {
          const lower = exponentialBound(s.idx[i]! - 1, schema);
          const upper = exponentialBound(s.idx[i]!, schema);
          if (lower < widened && upper > widened && s.cnt[i] !== 0) widened = upper;
        }
      }
    }
    if (widened === threshold) break;
    threshold = widened;
  }
  for (const p of parts) {
    for (const key of ['pos', 'neg'] as const) {
      const s = p[key];
      const idx: number[] = [];
      const cnt: number[] = [];
      for (let i = 0; i < s.idx.length; i++) {
        if (exponentialBound(s.idx[i]!, schema) <= threshold) p.zero += s.cnt[i]!;
        else {
          idx.push(s.idx[i]!);
          cnt.push(s.cnt[i]!);
        }
      }
      p[key] = { idx, cnt };
    }
  }
  return threshold;
}

function mergeSparse(a: SparseBuckets, b: SparseBuckets, sign: 1 | -1): SparseBuckets {
  const idx: number[] = [];
  const cnt: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.idx.length || j < b.idx.length) {
    const ai = i < a.idx.length ? a.idx[i]! : Infinity;
    const bj = j < b.idx.length ? b.idx[j]! : Infinity;
    if (ai === bj) {
      idx.push(ai);
      cnt.push(a.cnt[i++]! + sign * b.cnt[j++]!);
    } else if (ai < bj) {
      idx.push(ai);
      cnt.push(a.cnt[i++]!);
    } else {
      idx.push(bj);
      cnt.push(sign * b.cnt[j++]!);
    }
  }
  return { idx, cnt };
}

/** Custom buckets of `h` regrouped onto `bounds` (a subset of its own bounds). */
function rebucketCustom(h: FloatHistogram, bounds: Float64Array): SparseBuckets {
  const s = toSparse(h.positiveSpans, h.positiveBuckets);
  const cnt = new Array<number>(bounds.length + 1).fill(0);
  for (let i = 0; i < s.idx.length; i++) {
    const ix = s.idx[i]!;
    const upper = ix < h.customValues.length ? h.customValues[ix]! : Infinity;
    // First target bucket whose bound is >= this bucket's upper bound.
    let t = 0;
    while (t < bounds.length && bounds[t]! < upper) t++;
    cnt[t]! += s.cnt[i]!;
  }
  return { idx: cnt.map((_, i) => i), cnt };
}

function sameBounds(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function combinedHint(a: CounterResetHint, b: CounterResetHint): { hint: CounterResetHint; collision: boolean } {
  if (a === b) return { hint: a, collision: false };
  if (a === CounterResetHint.Gauge || b === CounterResetHint.Gauge) return { hint: CounterResetHint.Gauge, collision: false };
  if ((a === CounterResetHint.Reset && b === CounterResetHint.NotReset) || (a === CounterResetHint.NotReset && b === CounterResetHint.Reset)) {
    return { hint: CounterResetHint.Unknown, collision: true };
  }
  return { hint: CounterResetHint.Unknown, collision: false };
}

/** `a + b` (sign 1) or `a - b` (sign -1). Throws HistogramMixError for exponential + custom. */
export function combine(a: FloatHistogram, b: FloatHistogram, sign: 1 | -1): CombineResult {
  const ac = usesCustomBuckets(a);
  if (ac !== usesCustomBuckets(b)) throw new HistogramMixError();
  const combined = combinedHint(a.counterResetHint, b.counterResetHint);
  // A difference of counters is a gauge, even when it stays positive.
  const hint = sign === -1 ? CounterResetHint.Gauge : combined.hint;
  const collision = combined.collision;
  const count = a.count + sign * b.count;
  const sum = a.sum + sign * b.sum;
  if (ac) {
    let bounds = a.customValues;
    let reconciled = false;
    let pa: SparseBuckets;
    let pb: SparseBuckets;
    if (sameBounds(a.customValues, b.customValues)) {
      pa = toSparse(a.positiveSpans, a.positiveBuckets);
      pb = toSparse(b.positiveSpans, b.positiveBuckets);
    } else {
      const inB = new Set(b.customValues);
      bounds = a.customValues.filter((x) => inB.has(x));
      reconciled = true;
      pa = rebucketCustom(a, bounds);
      pb = rebucketCustom(b, bounds);
    }
    const h = makeHistogram(
      { schema: CUSTOM_BUCKETS_SCHEMA, counterResetHint: hint, zeroThreshold: 0, zeroCount: 0, count, sum, customValues: bounds },
      mergeSparse(pa, pb, sign),
      { idx: [], cnt: [] },
    );
    return { h, reconciled, resetCollision: collision };
  }
  const schema = Math.min(a.schema, b.schema);
  const parts = [a, b].map((x) => ({
    pos: reduce(toSparse(x.positiveSpans, x.positiveBuckets), x.schema, schema),
    neg: reduce(toSparse(x.negativeSpans, x.negativeBuckets), x.schema, schema),
    zero: x.zeroCount,
  }));
  let threshold = Math.max(a.zeroThreshold, b.zeroThreshold);
  if (a.zeroThreshold !== b.zeroThreshold) threshold = widenZero(schema, threshold, parts);
  const [pa, pb] = parts as [(typeof parts)[0], (typeof parts)[0]];
  const h = makeHistogram(
    { schema, counterResetHint: hint, zeroThreshold: threshold, zeroCount: pa.zero + sign * pb.zero, count, sum, customValues: a.customValues },
    mergeSparse(pa.pos, pb.pos, sign),
    mergeSparse(pa.neg, pb.neg, sign),
  );
  return { h, reconciled: false, resetCollision: collision };
}

/** The histogram at a lower (or equal) exponential schema. */
export function toSchema(h: FloatHistogram, schema: number): FloatHistogram {
  if (h.schema === schema || usesCustomBuckets(h)) return h;
  return makeHistogram(
    { ...h, schema },
    reduce(toSparse(h.positiveSpans, h.positiveBuckets), h.schema, schema),
    reduce(toSparse(h.negativeSpans, h.negativeBuckets), h.schema, schema),
  );
}

/** True when `cur` cannot have followed `prev` without a counter reset (Prometheus's `DetectReset`). */
export function detectReset(cur: FloatHistogram, prev: FloatHistogram): boolean {
  if (cur.counterResetHint === CounterResetHint.Reset) return true;
  if (cur.counterResetHint === CounterResetHint.NotReset) return false;
  if (cur.count < prev.count) return true;
  if (usesCustomBuckets(cur) !== usesCustomBuckets(prev)) return true;
  if (usesCustomBuckets(cur)) {
    if (sameBounds(cur.customValues, prev.customValues))
      return bucketsDecrease(toSparse(prev.positiveSpans, prev.positiveBuckets), toSparse(cur.positiveSpans, cur.positiveBuckets));
    // Different bounds are compared on the ones both share, as addition reconciles them.
    const inPrev = new Set(prev.customValues);
    const common = cur.customValues.filter((x) => inPrev.has(x));
    return bucketsDecrease(rebucketCustom(prev, common), rebucketCustom(cur, common));
  }
  if (cur.schema > prev.schema) return true;
  if (cur.zeroThreshold < prev.zeroThreshold) return true;
  const schema = cur.schema;
  const p = {
    pos: reduce(toSparse(prev.positiveSpans, prev.positiveBuckets), prev.schema, schema),
    neg: reduce(toSparse(prev.negativeSpans, prev.negativeBuckets), prev.schema, schema),
    zero: prev.zeroCount,
  };
  if (cur.zeroThreshold !== prev.zeroThreshold) {
    const t = widenZero(schema, cur.zeroThreshold, [p]);
    if (t !== cur.zeroThreshold) return true;
  }
  if (cur.zeroCount < p.zero) return true;
  return bucketsDecrease(p.pos, toSparse(cur.positiveSpans, cur.positiveBuckets)) || bucketsDecrease(p.neg, toSparse(cur.negativeSpans, cur.negativeBuckets));
}

function bucketsDecrease(prev: SparseBuckets, cur: SparseBuckets): boolean {
  const d = mergeSparse(cur, prev, -1);
  for (const c of d.cnt) if (c < 0) return true;
  return false;
}

export function emptyHistogram(like?: FloatHistogram): FloatHistogram {
  return {
    schema: like?.schema ?? 0,
    counterResetHint: CounterResetHint.Unknown,
    zeroThreshold: like?.zeroThreshold ?? 0,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    positiveBuckets: new Float64Array(0),
    negativeSpans: [],
    negativeBuckets: new Float64Array(0),
    customValues: like?.customValues ?? new Float64Array(0),
  };
}

/** Exact equality of two histograms after compaction (what changes() compares). */
export function histogramsIdentical(a: FloatHistogram, b: FloatHistogram): boolean {
  const x = compact(a);
  const y = compact(b);
  const same = (p: number, q: number): boolean => p === q || (Number.isNaN(p) && Number.isNaN(q));
  if (x.schema !== y.schema || !same(x.count, y.count) || !same(x.sum, y.sum) || !same(x.zeroCount, y.zeroCount) || x.zeroThreshold !== y.zeroThreshold)
    return false;
  if (!sameBounds(x.customValues, y.customValues)) return false;
  const spans = (p: readonly BucketSpan[], q: readonly BucketSpan[]): boolean =>
    p.length === q.length && p.every((s, i) => s.offset === q[i]!.offset && s.length === q[i]!.length);
  const buckets = (p: Float64Array, q: Float64Array): boolean => p.length === q.length && p.every((v, i) => same(v, q[i]!));
  return (
    spans(x.positiveSpans, y.positiveSpans) &&
    spans(x.negativeSpans, y.negativeSpans) &&
    buckets(x.positiveBuckets, y.positiveBuckets) &&
    buckets(x.negativeBuckets, y.negativeBuckets)
  );
}
