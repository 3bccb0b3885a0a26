import type { BucketSpan, CounterResetHint, FloatHistogram } from '../model/index.js';
import { CodecError } from './errors.js';

/**
 * The flat byte form of one native histogram: how a histogram travels from a decoder to storage
 * (decode-worker results, WAL records, the memtable) before the block codec packs many of them.
 * One contiguous buffer instead of an object with five arrays, so thousands of them clone or
 * transfer as one ArrayBuffer. Layout (little-endian), also in docs/format/wal.md:
 *
 *   i8 schema, u8 reset hint, u16 0
 *   u32 positive spans, u32 negative spans, u32 positive buckets, u32 negative buckets, u32 custom values
 *   f64 zero threshold, f64 zero count, f64 count, f64 sum
 *   (i32 offset, u32 length) per positive span, then per negative span
 *   f64 per positive bucket, per negative bucket, per custom value (absolute counts)
 */

export const ROW_HEADER = 56;

export function histogramRowSize(posSpans: number, negSpans: number, posBuckets: number, negBuckets: number, custom: number): number {
  return ROW_HEADER + 8 * (posSpans + negSpans) + 8 * (posBuckets + negBuckets + custom);
}

/** Writes a row's 56-byte header at `at` (what follows is the caller's: spans, then counts). */
export function writeRowHeader(
  dv: DataView,
  at: number,
  schema: number,
  hint: number,
  posSpans: number,
  negSpans: number,
  posBuckets: number,
  negBuckets: number,
  custom: number,
  zeroThreshold: number,
  zeroCount: number,
  count: number,
  sum: number,
): void {
  dv.setInt8(at, schema);
  dv.setUint8(at + 1, hint);
  dv.setUint16(at + 2, 0, true);
  dv.setUint32(at + 4, posSpans, true);
  dv.setUint32(at + 8, negSpans, true);
  dv.setUint32(at + 12, posBuckets, true);
  dv.setUint32(at + 16, negBuckets, true);
  dv.setUint32(at + 20, custom, true);
  dv.setFloat64(at + 24, zeroThreshold, true);
  dv.setFloat64(at + 32, zeroCount, true);
  dv.setFloat64(at + 40, count, true);
  dv.setFloat64(at + 48, sum, true);
}

/** Writes h at `at` of `dst` (which must have histogramRowSize bytes free there); returns the end. */
export function writeHistogramRow(h: FloatHistogram, dst: Uint8Array, at: number, view?: DataView): number {
  const dv = view ?? new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  writeRowHeader(
    dv,
    at,
    h.schema,
    h.counterResetHint,
    h.positiveSpans.length,
    h.negativeSpans.length,
    h.positiveBuckets.length,
    h.negativeBuckets.length,
    h.customValues.length,
    h.zeroThreshold,
    h.zeroCount,
    h.count,
    h.sum,
  );
  let p = writeSpans(dv, at + ROW_HEADER, h.positiveSpans);
  p = writeSpans(dv, p, h.negativeSpans);
  p = writeFloats(dv, p, h.positiveBuckets);
  p = writeFloats(dv, p, h.negativeBuckets);
  return writeFloats(dv, p, h.customValues);
}

function writeSpans(dv: DataView, p: number, spans: readonly BucketSpan[]): number {
  for (let i = 0; i < spans.length; i++, p += 8) {
    dv.setInt32(p, spans[i]!.offset, true);
    dv.setUint32(p + 4, spans[i]!.length, true);
  }
  return p;
}

function writeFloats(dv: DataView, p: number, arr: Float64Array): number {
  for (let i = 0; i < arr.length; i++, p += 8) dv.setFloat64(p, arr[i]!, true);
  return p;
}

export function encodeHistogramRow(h: FloatHistogram): Uint8Array {
  const out = new Uint8Array(
    histogramRowSize(h.positiveSpans.length, h.negativeSpans.length, h.positiveBuckets.length, h.negativeBuckets.length, h.customValues.length),
  );
  writeHistogramRow(h, out, 0);
  return out;
}

/** The size of the row at `at`, checked against the bytes available up to `end`. */
export function histogramRowLength(src: Uint8Array, at: number, end: number): number {
  if (at + ROW_HEADER > end) throw new CodecError('histogram row: truncated header');
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const n = histogramRowSize(
    dv.getUint32(at + 4, true),
    dv.getUint32(at + 8, true),
    dv.getUint32(at + 12, true),
    dv.getUint32(at + 16, true),
    dv.getUint32(at + 20, true),
  );
  if (at + n > end) throw new CodecError('histogram row: truncated body');
  return n;
}

function floats(dv: DataView, p: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat64(p + 8 * i, true);
  return out;
}

function spans(dv: DataView, p: number, n: number): BucketSpan[] {
  const out: BucketSpan[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { offset: dv.getInt32(p + 8 * i, true), length: dv.getUint32(p + 8 * i + 4, true) };
  return out;
}

/** Reads the row at src[at..end). */
export function readHistogramRow(src: Uint8Array, at: number, end: number = src.length): FloatHistogram {
  histogramRowLength(src, at, end);
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const ps = dv.getUint32(at + 4, true);
  const ns = dv.getUint32(at + 8, true);
  const pb = dv.getUint32(at + 12, true);
  const nb = dv.getUint32(at + 16, true);
  const cv = dv.getUint32(at + 20, true);
  let p = at + ROW_HEADER;
  const positiveSpans = spans(dv, p, ps);
  p += 8 * ps;
  const negativeSpans = spans(dv, p, ns);
  p += 8 * ns;
  const positiveBuckets = floats(dv, p, pb);
  p += 8 * pb;
  const negativeBuckets = floats(dv, p, nb);
  p += 8 * nb;
  const customValues = floats(dv, p, cv);
  return {
    schema: dv.getInt8(at),
    counterResetHint: dv.getUint8(at + 1) as CounterResetHint,
    zeroThreshold: dv.getFloat64(at + 24, true),
    zeroCount: dv.getFloat64(at + 32, true),
    count: dv.getFloat64(at + 40, true),
    sum: dv.getFloat64(at + 48, true),
    positiveSpans,
    positiveBuckets,
    negativeSpans,
    negativeBuckets,
    customValues,
  };
}

/** Rows stored back to back with their offsets: the histogram side of a batch or a memtable. */
export interface HistogramRows {
  readonly count: number;
  /** count + 1 entries: row i is bytes[offsets[i], offsets[i + 1]). */
  readonly offsets: Uint32Array;
  readonly bytes: Uint8Array;
}

export function rowAt(rows: HistogramRows, i: number): FloatHistogram {
  return readHistogramRow(rows.bytes, rows.offsets[i]!, rows.offsets[i + 1]!);
}

export function rowBytes(rows: HistogramRows, i: number): Uint8Array {
  return rows.bytes.subarray(rows.offsets[i]!, rows.offsets[i + 1]!);
}
