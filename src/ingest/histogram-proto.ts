import type { BucketSpan, CounterResetHint, FloatHistogram } from '../model/index.js';
import type { ProtoReader } from './proto-reader.js';
import type { BatchBuilder } from './batch.js';
import { histogramRowSize, ROW_HEADER, writeRowHeader } from '../codec/index.js';

/**
 * `Histogram` of remote write 1.0 (prometheus.Histogram) and 2.0 (io.prometheus.write.v2.Histogram),
 * which share field numbers. Integer histograms (delta-encoded bucket counts) become absolute
 * float counts here, as Prometheus's ToFloat does, so storage and PromQL see one shape.
 * A histogram that breaks Prometheus's validation rules yields a reason instead, and its series is
 * dropped as an invalid series would be (the request's other series are stored).
 */

export const MIN_SCHEMA = -4;
export const MAX_SCHEMA = 8;
export const CUSTOM_BUCKETS_SCHEMA = -53;

export interface DecodedHistogram {
  readonly timestamp: number;
  readonly histogram: FloatHistogram;
}

/** An unsigned varint as a float (exact to 2^53), via the reader's two's-complement int64. */
function uvarint(r: ProtoReader): number {
  const v = r.int64();
  return v < 0 ? v + 2 ** 64 : v;
}

function zigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

function readDouble(r: ProtoReader): number {
  r.copyFixed64(scratchBytes, 0);
  return scratch[0]!;
}

/** A growable column of doubles. */
class Floats {
  a = new Float64Array(64);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

/** Bucket spans as (offset, length) pairs. */
class Spans {
  a = new Int32Array(32);
  n = 0;
  push(offset: number, length: number): void {
    if (2 * this.n + 2 > this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[2 * this.n] = offset;
    this.a[2 * this.n + 1] = length;
    this.n++;
  }
  toList(): BucketSpan[] {
    const out: BucketSpan[] = new Array(this.n);
    for (let i = 0; i < this.n; i++) out[i] = { offset: this.a[2 * i]!, length: this.a[2 * i + 1]! };
    return out;
  }
}

/**
 * One decoded Histogram message, in reusable columns: decoding allocates nothing per histogram
 * (a body holds thousands), and the flat row is written straight from here.
 */
class Decoded {
  schema = 0;
  hint = 0;
  zeroThreshold = 0;
  zeroCount = 0;
  count = 0;
  sum = 0;
  timestamp = 0;
  readonly posSpans = new Spans();
  readonly negSpans = new Spans();
  readonly pos = new Floats();
  readonly neg = new Floats();
  readonly custom = new Floats();
}

const cur = new Decoded();

function readSpan(r: ProtoReader, into: Spans): void {
  const end = r.lengthEnd();
  const outer = r.limit;
  r.limit = end;
  let offset = 0;
  let length = 0;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === 0x08) offset = zigzag(uvarint(r));
    else if (t === 0x10) length = uvarint(r);
    else r.skip(t & 7);
  }
  r.limit = outer;
  // Out-of-range offsets and lengths cannot describe a real histogram; the span check refuses them.
  into.push((offset | 0) === offset ? offset : 0x7fffffff, length <= 0x7fffffff ? length : 0x7fffffff);
}

function readDoubles(r: ProtoReader, wire: number, out: Floats): void {
  if (wire === 1) {
    out.push(readDouble(r));
    return;
  }
  const end = r.lengthEnd();
  if ((end - r.pos) % 8 !== 0) throw r.fail('packed doubles whose length is not a multiple of 8');
  while (r.pos < end) out.push(readDouble(r));
}

/** Delta-encoded integer counts, summed into absolute counts as they are read (Prometheus's ToFloat). */
function readDeltas(r: ProtoReader, wire: number, out: Floats, last: number): number {
  if (wire === 0) {
    out.push((last += zigzag(uvarint(r))));
    return last;
  }
  const end = r.lengthEnd();
  const outer = r.limit;
  r.limit = end;
  const b = r.buf;
  while (r.pos < end) {
    // One-byte deltas (|delta| < 64) are the common case.
    const c = b[r.pos]!;
    if (c < 0x80) {
      r.pos++;
      last += c & 1 ? -((c + 1) / 2) : c / 2;
    } else last += zigzag(uvarint(r));
    out.push(last);
  }
  r.limit = outer;
  return last;
}

/**
 * Reads one Histogram message (the reader's limit is set to its end by the caller) into `cur`.
 * Returns null, or a reason naming what is wrong with it.
 */
function decodeHistogram(r: ProtoReader): string | null {
  const end = r.limit;
  const h = cur;
  let countInt = -1;
  let countFloat = NaN;
  let hasCountFloat = false;
  let zeroInt = -1;
  let zeroFloat = NaN;
  let hasZeroFloat = false;
  let intBuckets = false;
  let floatBuckets = false;
  let posLast = 0;
  let negLast = 0;
  h.sum = 0;
  h.schema = 0;
  h.zeroThreshold = 0;
  h.hint = 0;
  h.timestamp = 0;
  h.posSpans.n = h.negSpans.n = 0;
  h.pos.n = h.neg.n = h.custom.n = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1:
        if (wire !== 0) return 'count_int with a wrong wire type';
        countInt = uvarint(r);
        break;
      case 2:
        if (wire !== 1) return 'count_float with a wrong wire type';
        countFloat = readDouble(r);
        hasCountFloat = true;
        break;
      case 3:
        if (wire !== 1) return 'sum with a wrong wire type';
        h.sum = readDouble(r);
        break;
      case 4:
        if (wire !== 0) return 'schema with a wrong wire type';
        h.schema = zigzag(uvarint(r));
        break;
      case 5:
        if (wire !== 1) return 'zero_threshold with a wrong wire type';
        h.zeroThreshold = readDouble(r);
        break;
      case 6:
        if (wire !== 0) return 'zero_count_int with a wrong wire type';
        zeroInt = uvarint(r);
        break;
      case 7:
        if (wire !== 1) return 'zero_count_float with a wrong wire type';
        zeroFloat = readDouble(r);
        hasZeroFloat = true;
        break;
      case 8:
      case 11:
        if (wire !== 2) return 'a bucket span with a wrong wire type';
        readSpan(r, field === 8 ? h.negSpans : h.posSpans);
        break;
      case 9:
        intBuckets = true;
        negLast = readDeltas(r, wire, h.neg, negLast);
        break;
      case 12:
        intBuckets = true;
        posLast = readDeltas(r, wire, h.pos, posLast);
        break;
      case 10:
      case 13:
        floatBuckets = true;
        readDoubles(r, wire, field === 10 ? h.neg : h.pos);
        break;
      case 16:
        readDoubles(r, wire, h.custom);
        break;
      case 14:
        if (wire !== 0) return 'reset_hint with a wrong wire type';
        h.hint = r.uint32();
        break;
      case 15:
        if (wire !== 0) return 'timestamp with a wrong wire type';
        h.timestamp = r.int64();
        break;
      default:
        r.skip(wire);
    }
  }
  const isFloat = hasCountFloat || hasZeroFloat || floatBuckets;
  const isInt = countInt >= 0 || zeroInt >= 0 || intBuckets;
  if (isFloat && isInt) return 'mixes integer (count_int, zero_count_int, *_deltas) and float (count_float, zero_count_float, *_counts) fields';
  const schema = h.schema;
  if (!(schema >= MIN_SCHEMA && schema <= MAX_SCHEMA) && schema !== CUSTOM_BUCKETS_SCHEMA) {
    return `schema ${schema} is out of range: exponential schemas are ${MIN_SCHEMA}..${MAX_SCHEMA}, custom buckets ${CUSTOM_BUCKETS_SCHEMA}`;
  }
  if (h.hint > 3) return `reset_hint ${h.hint} is not one of UNKNOWN, YES, NO, GAUGE`;
  const why = checkSpans('positive', h.posSpans, h.pos.n) ?? checkSpans('negative', h.negSpans, h.neg.n);
  if (why !== null) return why;
  const badBucket = negativeAt(h.pos, 'positive') ?? negativeAt(h.neg, 'negative');
  if (badBucket !== null) return badBucket;
  h.count = countInt >= 0 ? countInt : hasCountFloat ? countFloat : 0;
  h.zeroCount = zeroInt >= 0 ? zeroInt : hasZeroFloat ? zeroFloat : 0;
  if (!(h.count >= 0)) return `count is negative (${h.count})`;
  if (!(h.zeroCount >= 0)) return `zero count is negative (${h.zeroCount})`;
  if (!(h.zeroThreshold >= 0)) return `zero threshold is negative (${h.zeroThreshold})`;
  if (isInt) {
    let buckets = h.zeroCount;
    for (let i = 0; i < h.pos.n; i++) buckets += h.pos.a[i]!;
    for (let i = 0; i < h.neg.n; i++) buckets += h.neg.a[i]!;
    if (buckets > h.count) return `count ${h.count} is smaller than the sum of the bucket counts ${buckets}`;
  }
  if (schema === CUSTOM_BUCKETS_SCHEMA) {
    const custom = h.custom.a;
    const nc = h.custom.n;
    if (h.negSpans.n > 0 || h.neg.n > 0) return 'custom-bucket (schema -53) histogram with negative buckets';
    if (h.zeroCount !== 0 || h.zeroThreshold !== 0) return 'custom-bucket (schema -53) histogram with a zero bucket';
    for (let i = 1; i < nc; i++)
      if (!(custom[i]! > custom[i - 1]!)) return `custom_values must increase strictly (value ${i} is ${custom[i]} after ${custom[i - 1]})`;
    for (let i = 0; i < nc; i++) if (Number.isNaN(custom[i]!) || custom[i] === Infinity) return 'custom_values must be finite (+Inf is implied)';
    const spans = h.posSpans.a;
    if (h.posSpans.n > 0 && spans[0]! < 0) return `custom-bucket histogram whose first span has a negative offset (${spans[0]})`;
    let last = -1;
    let idx = 0;
    for (let i = 0; i < h.posSpans.n; i++) {
      idx += spans[2 * i]!;
      last = idx + spans[2 * i + 1]! - 1;
      idx += spans[2 * i + 1]!;
    }
    if (last > nc) return `custom-bucket histogram has bucket index ${last} but only ${nc} custom_values (${nc + 1} buckets)`;
  } else if (h.custom.n > 0) {
    return `custom_values given with exponential schema ${schema}`;
  }
  return null;
}

/**
 * Reads one Histogram message (the reader's limit is set to its end by the caller). Returns the
 * histogram or a reason naming what is wrong with it.
 */
export function readHistogram(r: ProtoReader): DecodedHistogram | string {
  const why = decodeHistogram(r);
  if (why !== null) return why;
  const h = cur;
  return {
    timestamp: h.timestamp,
    histogram: {
      schema: h.schema,
      counterResetHint: h.hint as CounterResetHint,
      zeroThreshold: h.zeroThreshold,
      zeroCount: h.zeroCount,
      count: h.count,
      sum: h.sum,
      positiveSpans: h.posSpans.toList(),
      positiveBuckets: h.pos.a.slice(0, h.pos.n),
      negativeSpans: h.negSpans.toList(),
      negativeBuckets: h.neg.a.slice(0, h.neg.n),
      customValues: h.schema === CUSTOM_BUCKETS_SCHEMA ? h.custom.a.slice(0, h.custom.n) : new Float64Array(0),
    },
  };
}

function negativeAt(counts: Floats, side: string): string | null {
  const a = counts.a;
  for (let i = 0; i < counts.n; i++) if (!(a[i]! >= 0)) return `${side} bucket ${i} has a negative count (${a[i]})`;
  return null;
}

function checkSpans(side: string, spans: Spans, buckets: number): string | null {
  let n = 0;
  const a = spans.a;
  for (let i = 0; i < spans.n; i++) {
    const offset = a[2 * i]!;
    if (i > 0 && offset < 0) return `${side} span ${i} has a negative offset (${offset}): only the first span may`;
    n += a[2 * i + 1]!;
  }
  if (n !== buckets) return `${side} spans add up to ${n} buckets but ${buckets} bucket counts were given`;
  return null;
}

/**
 * Reads the length-delimited `Histogram` field at the reader (the series message ends at
 * `seriesEnd`) and adds it to series `series` of `out` as a flat row; returns why it is invalid
 * instead, or null. The first histogram of a body sizes the batch's histogram columns for a body
 * of such ones.
 */
export function readHistogramInto(r: ProtoReader, seriesEnd: number, bodyBytes: number, out: BatchBuilder, series: number): string | null {
  const hEnd = r.lengthEnd();
  const hStart = r.pos;
  r.limit = hEnd;
  const why = decodeHistogram(r);
  r.pos = hEnd;
  r.limit = seriesEnd;
  if (why !== null) return why;
  const h = cur;
  const custom = h.schema === CUSTOM_BUCKETS_SCHEMA ? h.custom.n : 0;
  const size = histogramRowSize(h.posSpans.n, h.negSpans.n, h.pos.n, h.neg.n, custom);
  if (out.histograms === 0) {
    const n = Math.ceil(bodyBytes / (hEnd - hStart + 24));
    out.reserveHistograms(n, n * size);
  }
  const at = out.histogramRowSpace(size);
  writeRowHeader(out.histogramView, at, h.schema, h.hint, h.posSpans.n, h.negSpans.n, h.pos.n, h.neg.n, custom, h.zeroThreshold, h.zeroCount, h.count, h.sum);
  // Rows are 8-byte sized and start 8-aligned in the batch's buffer: spans and counts go in as
  // typed-array copies.
  const i32 = out.histogramInt32;
  let w = (at + ROW_HEADER) >>> 2;
  i32.set(h.posSpans.a.subarray(0, 2 * h.posSpans.n), w);
  w += 2 * h.posSpans.n;
  i32.set(h.negSpans.a.subarray(0, 2 * h.negSpans.n), w);
  w += 2 * h.negSpans.n;
  const f64 = out.histogramFloat64;
  let f = w >>> 1;
  f64.set(h.pos.a.subarray(0, h.pos.n), f);
  f += h.pos.n;
  f64.set(h.neg.a.subarray(0, h.neg.n), f);
  f += h.neg.n;
  f64.set(h.custom.a.subarray(0, custom), f);
  out.commitHistogram(series, h.timestamp, at + size);
  return null;
}
