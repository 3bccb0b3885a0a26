import type { BucketSpan, CounterResetHint, FloatHistogram } from '../model/index.js';
import type { ProtoReader } from './proto-reader.js';
import type { BatchBuilder } from './batch.js';

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

function readSpan(r: ProtoReader): BucketSpan {
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
  return { offset, length };
}

function readDoubles(r: ProtoReader, wire: number, out: number[]): void {
  if (wire === 1) {
    out.push(readDouble(r));
    return;
  }
  const end = r.lengthEnd();
  if ((end - r.pos) % 8 !== 0) throw r.fail('packed doubles whose length is not a multiple of 8');
  while (r.pos < end) out.push(readDouble(r));
}

const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

function readDouble(r: ProtoReader): number {
  r.copyFixed64(scratchBytes, 0);
  return scratch[0]!;
}

function readSint64s(r: ProtoReader, wire: number, out: number[]): void {
  if (wire === 0) {
    out.push(zigzag(uvarint(r)));
    return;
  }
  const end = r.lengthEnd();
  const outer = r.limit;
  r.limit = end;
  while (r.pos < end) out.push(zigzag(uvarint(r)));
  r.limit = outer;
}

/**
 * Reads one Histogram message (the reader's limit is set to its end by the caller). Returns the
 * histogram or a reason naming what is wrong with it.
 */
export function readHistogram(r: ProtoReader): DecodedHistogram | string {
  const end = r.limit;
  let countInt: number | null = null;
  let countFloat: number | null = null;
  let zeroInt: number | null = null;
  let zeroFloat: number | null = null;
  let sum = 0;
  let schema = 0;
  let zeroThreshold = 0;
  let hint = 0;
  let timestamp = 0;
  const negSpans: BucketSpan[] = [];
  const posSpans: BucketSpan[] = [];
  const negDeltas: number[] = [];
  const posDeltas: number[] = [];
  const negCounts: number[] = [];
  const posCounts: number[] = [];
  const custom: number[] = [];
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
        break;
      case 3:
        if (wire !== 1) return 'sum with a wrong wire type';
        sum = readDouble(r);
        break;
      case 4:
        if (wire !== 0) return 'schema with a wrong wire type';
        schema = zigzag(uvarint(r));
        break;
      case 5:
        if (wire !== 1) return 'zero_threshold with a wrong wire type';
        zeroThreshold = readDouble(r);
        break;
      case 6:
        if (wire !== 0) return 'zero_count_int with a wrong wire type';
        zeroInt = uvarint(r);
        break;
      case 7:
        if (wire !== 1) return 'zero_count_float with a wrong wire type';
        zeroFloat = readDouble(r);
        break;
      case 8:
      case 11:
        if (wire !== 2) return 'a bucket span with a wrong wire type';
        (field === 8 ? negSpans : posSpans).push(readSpan(r));
        break;
      case 9:
      case 12:
        readSint64s(r, wire, field === 9 ? negDeltas : posDeltas);
        break;
      case 10:
      case 13:
      case 16:
        readDoubles(r, wire, field === 10 ? negCounts : field === 13 ? posCounts : custom);
        break;
      case 14:
        if (wire !== 0) return 'reset_hint with a wrong wire type';
        hint = r.uint32();
        break;
      case 15:
        if (wire !== 0) return 'timestamp with a wrong wire type';
        timestamp = r.int64();
        break;
      default:
        r.skip(wire);
    }
  }
  const isFloat = countFloat !== null || zeroFloat !== null || posCounts.length > 0 || negCounts.length > 0;
  const isInt = countInt !== null || zeroInt !== null || posDeltas.length > 0 || negDeltas.length > 0;
  if (isFloat && isInt) return 'mixes integer (count_int, zero_count_int, *_deltas) and float (count_float, zero_count_float, *_counts) fields';
  if (!(schema >= MIN_SCHEMA && schema <= MAX_SCHEMA) && schema !== CUSTOM_BUCKETS_SCHEMA) {
    return `schema ${schema} is out of range: exponential schemas are ${MIN_SCHEMA}..${MAX_SCHEMA}, custom buckets ${CUSTOM_BUCKETS_SCHEMA}`;
  }
  if (hint > 3) return `reset_hint ${hint} is not one of UNKNOWN, YES, NO, GAUGE`;
  const pos = isInt ? absolute(posDeltas) : posCounts;
  const neg = isInt ? absolute(negDeltas) : negCounts;
  const why = checkSpans('positive', posSpans, pos.length) ?? checkSpans('negative', negSpans, neg.length);
  if (why !== null) return why;
  const badBucket = negativeAt(pos, 'positive') ?? negativeAt(neg, 'negative');
  if (badBucket !== null) return badBucket;
  const count = countInt ?? countFloat ?? 0;
  const zeroCount = zeroInt ?? zeroFloat ?? 0;
  if (!(count >= 0)) return `count is negative (${count})`;
  if (!(zeroCount >= 0)) return `zero count is negative (${zeroCount})`;
  if (!(zeroThreshold >= 0)) return `zero threshold is negative (${zeroThreshold})`;
  if (isInt) {
    let buckets = zeroCount;
    for (const v of pos) buckets += v;
    for (const v of neg) buckets += v;
    if (buckets > count) return `count ${count} is smaller than the sum of the bucket counts ${buckets}`;
  }
  if (schema === CUSTOM_BUCKETS_SCHEMA) {
    if (negSpans.length > 0 || neg.length > 0) return 'custom-bucket (schema -53) histogram with negative buckets';
    if (zeroCount !== 0 || zeroThreshold !== 0) return 'custom-bucket (schema -53) histogram with a zero bucket';
    for (let i = 1; i < custom.length; i++)
      if (!(custom[i]! > custom[i - 1]!)) return `custom_values must increase strictly (value ${i} is ${custom[i]} after ${custom[i - 1]})`;
    if (custom.some((v) => Number.isNaN(v) || v === Infinity)) return 'custom_values must be finite (+Inf is implied)';
    if (posSpans.length > 0 && posSpans[0]!.offset < 0) return `custom-bucket histogram whose first span has a negative offset (${posSpans[0]!.offset})`;
    let last = -1;
    let idx = 0;
    for (const s of posSpans) {
      idx += s.offset;
      last = idx + s.length - 1;
      idx += s.length;
    }
    if (last > custom.length) return `custom-bucket histogram has bucket index ${last} but only ${custom.length} custom_values (${custom.length + 1} buckets)`;
  } else if (custom.length > 0) {
    return `custom_values given with exponential schema ${schema}`;
  }
  return {
    timestamp,
    histogram: {
      schema,
      counterResetHint: hint as CounterResetHint,
      zeroThreshold,
      zeroCount,
      count,
      sum,
      positiveSpans: posSpans,
      positiveBuckets: Float64Array.from(pos),
      negativeSpans: negSpans,
      negativeBuckets: Float64Array.from(neg),
      customValues: schema === CUSTOM_BUCKETS_SCHEMA ? Float64Array.from(custom) : new Float64Array(0),
    },
  };
}

function negativeAt(counts: readonly number[], side: string): string | null {
  for (let i = 0; i < counts.length; i++) if (!(counts[i]! >= 0)) return `${side} bucket ${i} has a negative count (${counts[i]})`;
  return null;
}

function absolute(deltas: readonly number[]): number[] {
  const out = new Array<number>(deltas.length);
  let c = 0;
  for (let i = 0; i < deltas.length; i++) out[i] = c += deltas[i]!;
  return out;
}

function checkSpans(side: string, spans: readonly BucketSpan[], buckets: number): string | null {
  let n = 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (i > 0 && s.offset < 0) return `${side} span ${i} has a negative offset (${s.offset}): only the first span may`;
    n += s.length;
  }
  if (n !== buckets) return `${side} spans add up to ${n} buckets but ${buckets} bucket counts were given`;
  return null;
}

/**
 * Reads the length-delimited `Histogram` field at the reader (the series message ends at
 * `seriesEnd`) and adds it to series `series` of `out`; returns why it is invalid instead, or null.
 * The first histogram of a body sizes the batch's histogram columns for a body of such ones.
 */
export function readHistogramInto(r: ProtoReader, seriesEnd: number, bodyBytes: number, out: BatchBuilder, series: number): string | null {
  const hEnd = r.lengthEnd();
  const hStart = r.pos;
  r.limit = hEnd;
  const h = readHistogram(r);
  r.pos = hEnd;
  r.limit = seriesEnd;
  if (typeof h === 'string') return h;
  if (out.histograms === 0) {
    const n = Math.ceil(bodyBytes / (hEnd - hStart + 24));
    const hg = h.histogram;
    out.reserveHistograms(n, n * (64 + 8 * (hg.positiveBuckets.length + hg.negativeBuckets.length + hg.positiveSpans.length + hg.negativeSpans.length)));
  }
  out.addHistogram(series, h.timestamp, h.histogram);
  return null;
}
