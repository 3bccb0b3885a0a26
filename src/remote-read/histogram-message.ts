/**
 * A native-histogram sample as a `prometheus.Histogram` message (prompb/types.proto), in the float
 * form: `count_float`, `zero_count_float` and absolute `positive_counts`/`negative_counts`, which is
 * what the shared model holds (model/histogram.ts).
 */
import type { BucketSpan, FloatHistogram } from '../model/index.js';
import { ByteWriter, varintSize } from '../varint.js';

const scratch = new ByteWriter(1 << 10);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

function zigzag32(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function double(w: ByteWriter, field: number, v: number): void {
  w.tag(field, 1);
  f64[0] = v;
  w.fixed64From(f64Bytes, 0);
}

function spans(w: ByteWriter, field: number, list: readonly BucketSpan[]): void {
  for (const s of list) {
    const inner = 1 + varintSize(zigzag32(s.offset)) + 1 + varintSize(s.length);
    w.lenField(field, inner);
    w.tag(1, 0);
    w.varint(zigzag32(s.offset));
    w.tag(2, 0);
    w.varint(s.length);
  }
}

function packedDoubles(w: ByteWriter, field: number, values: Float64Array): void {
  if (values.length === 0) return;
  w.lenField(field, values.length * 8);
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  for (let i = 0; i < values.length; i++) w.fixed64From(bytes, i * 8);
}

/** Writes field `field` (length-delimited) holding the histogram at `timestamp` (ms). */
export function encodeHistogram(w: ByteWriter, field: number, h: FloatHistogram, timestamp: number): void {
  const m = scratch;
  m.reset();
  double(m, 2, h.count);
  double(m, 3, h.sum);
  m.tag(4, 0);
  m.varint(zigzag32(h.schema));
  double(m, 5, h.zeroThreshold);
  double(m, 7, h.zeroCount);
  spans(m, 8, h.negativeSpans);
  packedDoubles(m, 10, h.negativeBuckets);
  spans(m, 11, h.positiveSpans);
  packedDoubles(m, 13, h.positiveBuckets);
  if (h.counterResetHint !== 0) {
    m.tag(14, 0);
    m.varint(h.counterResetHint);
  }
  m.tag(15, 0);
  m.int64(timestamp);
  packedDoubles(m, 16, h.customValues);
  w.lenField(field, m.off);
  w.raw(m.bytes());
}
