import type { BucketSpan, FloatHistogram } from '../model/index.js';
import { ProtoWriter } from './proto-writer.js';

/**
 * A `Histogram` message of remote write 1.0/2.0 (same field numbers), for tests, benchmarks and
 * tools. Integer histograms go as Prometheus sends them: bucket counts as deltas to the previous
 * bucket of the same side.
 */
export interface EncodeHistogram {
  readonly timestamp: number;
  readonly histogram: FloatHistogram;
  /** Integer counts (count_int, zero_count_int, *_deltas); the counts must be integers. */
  readonly integer?: boolean;
}

const zz = (n: number): number => (n >= 0 ? 2 * n : -2 * n - 1);

function spans(w: ProtoWriter, field: number, list: readonly BucketSpan[]): void {
  for (const s of list) {
    const sw = new ProtoWriter();
    if (s.offset !== 0) sw.tag(1, 0).varint(zz(s.offset));
    if (s.length !== 0) sw.tag(2, 0).varint(s.length);
    w.bytes(field, sw.finish());
  }
}

function packedDeltas(w: ProtoWriter, field: number, counts: Float64Array): void {
  if (counts.length === 0) return;
  const pw = new ProtoWriter();
  let prev = 0;
  for (const c of counts) {
    pw.varint(zz(c - prev));
    prev = c;
  }
  w.bytes(field, pw.finish());
}

function packedDoubles(w: ProtoWriter, field: number, vs: Float64Array): void {
  if (vs.length === 0) return;
  const b = new Uint8Array(vs.length * 8);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < vs.length; i++) dv.setFloat64(8 * i, vs[i]!, true);
  w.bytes(field, b);
}

export function encodeHistogramMessage(e: EncodeHistogram): Uint8Array {
  const h = e.histogram;
  const w = new ProtoWriter();
  if (e.integer) w.tag(1, 0).varint(h.count);
  else w.double(2, h.count);
  w.double(3, h.sum);
  if (h.schema !== 0) w.tag(4, 0).varint(zz(h.schema));
  w.double(5, h.zeroThreshold);
  if (e.integer) w.tag(6, 0).varint(h.zeroCount);
  else w.double(7, h.zeroCount);
  spans(w, 8, h.negativeSpans);
  if (e.integer) packedDeltas(w, 9, h.negativeBuckets);
  else packedDoubles(w, 10, h.negativeBuckets);
  spans(w, 11, h.positiveSpans);
  if (e.integer) packedDeltas(w, 12, h.positiveBuckets);
  else packedDoubles(w, 13, h.positiveBuckets);
  if (h.counterResetHint !== 0) w.tag(14, 0).varint(h.counterResetHint);
  if (e.timestamp !== 0) w.tag(15, 0).varint(e.timestamp);
  packedDoubles(w, 16, h.customValues);
  return w.finish();
}
