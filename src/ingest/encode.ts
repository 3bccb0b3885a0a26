import type { MetricMetadata, MetricType } from './batch.js';
import { metricTypeToEnum } from './metadata.js';
import { encodeHistogramMessage, type EncodeHistogram } from './histogram-encode.js';
import { ProtoWriter } from './proto-writer.js';
import { snappyCompress } from './snappy.js';

/**
 * Remote-write encoders for tests, benchmarks and tools. Labels go on the wire in the order given
 * (so tests can send unsorted or duplicated labels) and may be raw bytes (to send invalid UTF-8).
 */

export interface EncodeLabel {
  readonly name: string | Uint8Array;
  readonly value: string | Uint8Array;
}

export interface EncodeSeries {
  readonly labels: readonly EncodeLabel[];
  readonly timestamps?: ArrayLike<number>;
  /** A Float64Array is written bit for bit (staleness markers survive). */
  readonly values?: ArrayLike<number>;
  /** How many (empty) exemplar messages to attach. */
  readonly exemplars?: number;
  /**
   * Native histograms: a number attaches that many empty messages (a valid, zero histogram at
   * timestamp 0); raw bytes are sent as the message as they are (for bad-input tests).
   */
  readonly histograms?: number | readonly (EncodeHistogram | Uint8Array)[];
  /** Remote write 2.0 per-series metadata. */
  readonly metadata?: { readonly type: MetricType; readonly help?: string; readonly unit?: string };
}

export interface EncodeOptions {
  /** Remote write 1.0 metadata records. */
  readonly metadata?: readonly MetricMetadata[];
  /** Snappy-compress the result (default true). */
  readonly compress?: boolean;
}

function bytesOf(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
}

function writeHistograms(w: ProtoWriter, field: number, s: EncodeSeries): void {
  const hs = s.histograms ?? 0;
  if (typeof hs === 'number') {
    for (let i = 0; i < hs; i++) w.bytes(field, new Uint8Array(0));
    return;
  }
  for (const h of hs) w.bytes(field, h instanceof Uint8Array ? h : encodeHistogramMessage(h));
}

function writeSamples(w: ProtoWriter, field: number, s: EncodeSeries): void {
  const ts = s.timestamps ?? [];
  const vs = s.values ?? [];
  const raw = vs instanceof Float64Array ? new Uint8Array(vs.buffer, vs.byteOffset, vs.byteLength) : null;
  for (let i = 0; i < ts.length; i++) {
    const sw = new ProtoWriter();
    if (raw) sw.doubleBits(1, raw.subarray(i * 8, i * 8 + 8));
    else sw.double(1, vs[i] ?? 0);
    const t = ts[i]!;
    if (t !== 0) sw.tag(2, 0).varint(t);
    w.bytes(field, sw.finish());
  }
}

/** A `prometheus.WriteRequest`, snappy-compressed unless `compress: false`. */
export function encodeRemoteWriteV1(series: readonly EncodeSeries[], opts: EncodeOptions = {}): Uint8Array {
  const w = new ProtoWriter();
  for (const s of series) {
    const tw = new ProtoWriter();
    for (const l of s.labels) {
      const lw = new ProtoWriter();
      lw.bytes(1, bytesOf(l.name)).bytes(2, bytesOf(l.value));
      tw.bytes(1, lw.finish());
    }
    writeSamples(tw, 2, s);
    for (let i = 0; i < (s.exemplars ?? 0); i++) tw.bytes(3, new Uint8Array(0));
    writeHistograms(tw, 4, s);
    w.bytes(1, tw.finish());
  }
  for (const m of opts.metadata ?? []) {
    const mw = new ProtoWriter();
    mw.tag(1, 0).varint(metricTypeToEnum(m.type));
    mw.string(2, m.metricFamilyName).string(4, m.help).string(5, m.unit);
    w.bytes(3, mw.finish());
  }
  const raw = w.finish();
  return opts.compress === false ? raw : snappyCompress(raw);
}

/** An `io.prometheus.write.v2.Request` with its symbols table, snappy-compressed unless told not to. */
export function encodeRemoteWriteV2(series: readonly EncodeSeries[], opts: { readonly compress?: boolean } = {}): Uint8Array {
  const symbols: Uint8Array[] = [new Uint8Array(0)];
  const index = new Map<string, number>([['', 0]]);
  const ref = (s: string | Uint8Array): number => {
    const b = bytesOf(s);
    const k = Buffer.from(b).toString('latin1');
    let i = index.get(k);
    if (i === undefined) {
      i = symbols.length;
      symbols.push(b);
      index.set(k, i);
    }
    return i;
  };
  const body = new ProtoWriter();
  for (const s of series) {
    const tw = new ProtoWriter();
    const refs = new ProtoWriter();
    for (const l of s.labels) refs.varint(ref(l.name)).varint(ref(l.value));
    tw.bytes(1, refs.finish());
    writeSamples(tw, 2, s);
    writeHistograms(tw, 3, s);
    for (let i = 0; i < (s.exemplars ?? 0); i++) tw.bytes(4, new Uint8Array(0));
    if (s.metadata) {
      const mw = new ProtoWriter();
      mw.tag(1, 0).varint(metricTypeToEnum(s.metadata.type));
      if (s.metadata.help) mw.tag(3, 0).varint(ref(s.metadata.help));
      if (s.metadata.unit) mw.tag(4, 0).varint(ref(s.metadata.unit));
      tw.bytes(5, mw.finish());
    }
    body.bytes(5, tw.finish());
  }
  const w = new ProtoWriter();
  for (const sym of symbols) w.bytes(4, sym);
  const head = w.finish();
  const tail = body.finish();
  const raw = new Uint8Array(head.length + tail.length);
  raw.set(head);
  raw.set(tail, head.length);
  return opts.compress === false ? raw : snappyCompress(raw);
}
