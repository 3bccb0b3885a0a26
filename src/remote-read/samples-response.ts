/**
 * The SAMPLES answer: one `ReadResponse` (a `QueryResult` per query, in request order), snappy
 * block compressed as a whole, so it is built in memory; only its encoded bytes are kept (about
 * 10–18 bytes a sample), never the series' sample arrays past their own encoding. Native
 * histograms go in `TimeSeries.histograms` in their float form (absolute bucket counts).
 */
import { encodeLabelFields } from '../forward/index.js';
import type { Series } from '../model/index.js';
import { ByteWriter, int64VarintSize as int64Size, varintSize, writeVarint } from '../varint.js';
import { encodeHistogram } from './histogram-message.js';

/** Room kept before a QueryResult for its length: 5 varint bytes hold up to 32 GiB. */
const LENGTH_ROOM = 5;

export class SamplesResponseWriter {
  /** The ReadResponse; the current query's QueryResult is written in place after room for its length. */
  private readonly out = new ByteWriter(1 << 16);
  private resultStart = -1;

  private readonly histograms = new ByteWriter(1 << 12);

  /** Appends one series (labels, float samples, native-histogram samples) to the current query's result. */
  addSeries(s: Series): void {
    const labels = encodeLabelFields(s.labels);
    const h = this.histograms;
    h.reset();
    if (s.histograms) {
      const hs = s.histograms;
      for (let i = 0; i < hs.timestamps.length; i++) encodeHistogram(h, 4, hs.histograms[i]!, hs.timestamps[i]!);
    }
    const ts = s.timestamps;
    const vb = new Uint8Array(s.values.buffer, s.values.byteOffset, s.values.byteLength);
    let samplesLen = 0;
    for (let i = 0; i < ts.length; i++) {
      const inner = 9 + 1 + int64Size(ts[i]!);
      samplesLen += 1 + varintSize(inner) + inner;
    }
    const w = this.out;
    if (this.resultStart < 0) this.startQuery();
    w.lenField(1, labels.length + samplesLen + h.off);
    w.raw(labels);
    w.ensure(samplesLen);
    // One tight loop over the samples: this is most of a SAMPLES answer's encoding time.
    const b = w.buf;
    let p = w.off;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      if (t < 0) {
        w.off = p;
        w.lenField(2, 9 + 1 + 10);
        w.byte(0x09);
        w.fixed64From(vb, i * 8);
        w.byte(0x10);
        w.int64(t);
        p = w.off;
        continue;
      }
      // A non-negative timestamp's Sample is at most 1 + 8 + 1 + 8 bytes: its length fits one byte.
      b[p++] = 0x12;
      const lenAt = p++;
      const begin = p;
      b[p++] = 0x09;
      const o = i * 8;
      b[p] = vb[o]!;
      b[p + 1] = vb[o + 1]!;
      b[p + 2] = vb[o + 2]!;
      b[p + 3] = vb[o + 3]!;
      b[p + 4] = vb[o + 4]!;
      b[p + 5] = vb[o + 5]!;
      b[p + 6] = vb[o + 6]!;
      b[p + 7] = vb[o + 7]!;
      p += 8;
      b[p++] = 0x10;
      let v = t;
      while (v >= 128) {
        b[p++] = (v % 128) | 128;
        v = Math.floor(v / 128);
      }
      b[p++] = v;
      b[lenAt] = p - begin;
    }
    w.off = p;
    w.raw(h.bytes());
  }

  private startQuery(): void {
    const o = this.out;
    o.byte(0x0a);
    o.ensure(LENGTH_ROOM);
    o.off += LENGTH_ROOM;
    this.resultStart = o.off;
  }

  /** Closes the current query's `QueryResult` (also for queries that matched nothing). */
  endQuery(): void {
    if (this.resultStart < 0) this.startQuery();
    const o = this.out;
    const start = this.resultStart;
    const len = o.off - start;
    const lenAt = start - LENGTH_ROOM;
    const end = writeVarint(o.buf, lenAt, len);
    // The length took fewer bytes than the room kept: move the result down over the gap.
    if (end < start) o.buf.copyWithin(end, start, o.off);
    o.off = end + len;
    this.resultStart = -1;
  }

  /** The uncompressed ReadResponse. */
  bytes(): Uint8Array {
    return this.out.bytes();
  }
}
