import type { BucketSpan, FloatHistogram } from '../model/index.js';
import { IngestError } from './errors.js';
import { CUSTOM_BUCKETS_SCHEMA, customBound, exponentialBound } from './histogram-buckets.js';
import { MAX_SCHEMA, MIN_SCHEMA } from './histogram-proto.js';

/**
 * The histograms of an `/api/v1/export` line read back for `/api/v1/import`: each element is
 * `{"schema":s,"zero_threshold":"z"|"custom_values":[…],"count":"c","sum":"s","buckets":[[rule,"lower","upper","count"],…]}`
 * (histogram-output.ts). Buckets are placed by their bounds, so a histogram comes back with the
 * same counts, bounds, sum and count; empty buckets (export leaves them out) stay out, and the
 * counter-reset hint is unknown.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** DefaultZeroThreshold of Prometheus's client libraries (2^-128), for a line that does not say. */
const DEFAULT_ZERO_THRESHOLD = 2 ** -128;

export function readHistogramJson(v: JsonValue, where: string): FloatHistogram {
  const fail = (why: string): IngestError => new IngestError(400, `${where}: ${why}`);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw fail('a histogram must be an object');
  const num = (x: JsonValue | undefined, what: string): number => {
    const n = typeof x === 'string' ? numberOf(x) : typeof x === 'number' ? x : NaN;
    if (Number.isNaN(n) && x !== 'NaN') throw fail(`${what} is not a number`);
    return n;
  };
  const schema = v['schema'];
  if (typeof schema !== 'number' || !Number.isInteger(schema) || ((schema < MIN_SCHEMA || schema > MAX_SCHEMA) && schema !== CUSTOM_BUCKETS_SCHEMA)) {
    throw fail(`"schema" must be an integer in ${MIN_SCHEMA}..${MAX_SCHEMA} or ${CUSTOM_BUCKETS_SCHEMA}`);
  }
  const count = num(v['count'], '"count"');
  const sum = num(v['sum'], '"sum"');
  if (!(count >= 0)) throw fail(`"count" is negative (${count})`);
  const raw = v['buckets'] ?? [];
  if (!Array.isArray(raw)) throw fail('"buckets" must be an array');
  const buckets = raw.map((b, i) => {
    if (!Array.isArray(b) || b.length !== 4 || typeof b[0] !== 'number') throw fail(`bucket ${i} must be [rule, "lower", "upper", "count"]`);
    const c = num(b[3], `bucket ${i}'s count`);
    if (!(c >= 0)) throw fail(`bucket ${i} has a negative count (${c})`);
    return { rule: b[0], lower: num(b[1], `bucket ${i}'s lower bound`), upper: num(b[2], `bucket ${i}'s upper bound`), count: c };
  });
  const h: FloatHistogram = {
    schema,
    counterResetHint: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count,
    sum,
    positiveSpans: [],
    positiveBuckets: new Float64Array(0),
    negativeSpans: [],
    negativeBuckets: new Float64Array(0),
    customValues: new Float64Array(0),
  };
  if (schema === CUSTOM_BUCKETS_SCHEMA) {
    const cv = v['custom_values'];
    if (!Array.isArray(cv)) throw fail('a custom-bucket (schema -53) histogram needs "custom_values"');
    const bounds = Float64Array.from(cv, (x, i) => num(x, `custom value ${i}`));
    for (let i = 0; i < bounds.length; i++) {
      if (!Number.isFinite(bounds[i]!)) throw fail('custom values must be finite (+Inf is implied)');
      if (i > 0 && !(bounds[i]! > bounds[i - 1]!)) throw fail(`custom values must increase strictly (value ${i} is ${bounds[i]} after ${bounds[i - 1]})`);
    }
    const idx: number[] = [];
    const counts: number[] = [];
    for (const [i, b] of buckets.entries()) {
      const k = b.upper === Infinity ? bounds.length : bounds.indexOf(b.upper);
      if (b.rule !== 0 || k < 0 || b.lower !== (k === 0 ? -Infinity : customBound(k - 1, bounds))) {
        throw fail(`bucket ${i} (${b.lower}, ${b.upper}] is not one of the custom buckets`);
      }
      idx.push(k);
      counts.push(b.count);
    }
    const pos = spansOf(idx, counts, fail);
    return { ...h, customValues: bounds, positiveSpans: pos.spans, positiveBuckets: pos.counts };
  }
  const zt = v['zero_threshold'];
  const zeroThreshold = zt === undefined ? DEFAULT_ZERO_THRESHOLD : num(zt, '"zero_threshold"');
  if (!(zeroThreshold >= 0)) throw fail('"zero_threshold" is negative');
  let zeroCount = 0;
  const posIdx: number[] = [];
  const posCounts: number[] = [];
  const negIdx: number[] = [];
  const negCounts: number[] = [];
  for (const [i, b] of buckets.entries()) {
    if (b.rule === 3) {
      zeroCount = b.count;
      continue;
    }
    const positive = b.rule === 0;
    if (!positive && b.rule !== 1) throw fail(`bucket ${i} has boundary rule ${b.rule}: want 0, 1 or 3`);
    const upper = positive ? b.upper : -b.lower;
    const k = indexOf(upper, schema);
    if (k === null || (positive ? b.lower : -b.upper) !== exponentialBound(k - 1, schema)) {
      throw fail(`bucket ${i} [${b.lower}, ${b.upper}] is not a bucket of schema ${schema}`);
    }
    (positive ? posIdx : negIdx).push(k);
    (positive ? posCounts : negCounts).push(b.count);
  }
  // Export lists negative buckets from the most negative, that is by descending index.
  negIdx.reverse();
  negCounts.reverse();
  const pos = spansOf(posIdx, posCounts, fail);
  const neg = spansOf(negIdx, negCounts, fail);
  return { ...h, zeroThreshold, zeroCount, positiveSpans: pos.spans, positiveBuckets: pos.counts, negativeSpans: neg.spans, negativeBuckets: neg.counts };
}

/** The exponential bucket whose upper bound is `upper`, or null when none is. */
function indexOf(upper: number, schema: number): number | null {
  if (!(upper > 0) || !Number.isFinite(upper)) return null;
  const k = Math.round(Math.log2(upper) * 2 ** schema);
  for (const c of [k, k - 1, k + 1]) if (exponentialBound(c, schema) === upper) return c;
  return null;
}

/** Spans over ascending bucket indexes: a new span at every gap. */
function spansOf(idx: readonly number[], counts: readonly number[], fail: (why: string) => Error): { spans: BucketSpan[]; counts: Float64Array } {
  const spans: { offset: number; length: number }[] = [];
  let next = 0;
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i]!;
    if (i > 0 && k <= idx[i - 1]!) throw fail('buckets must be listed in ascending order, each once');
    if (i > 0 && k === next) spans[spans.length - 1]!.length++;
    else spans.push({ offset: i === 0 ? k : k - next, length: 1 });
    next = k + 1;
  }
  return { spans: spans satisfies BucketSpan[], counts: Float64Array.from(counts) };
}

/** Numbers as export writes them (Go's float formatting: `+Inf`, `-Inf`, `NaN`). */
function numberOf(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s.trim() === '') return NaN;
  return Number(s);
}
