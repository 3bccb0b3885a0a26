/**
 * Remote write 1.0 requests built straight from WAL rows: each series' labels are encoded once and
 * kept (as the repeated `Label` fields of a `TimeSeries`), samples are written into one growing
 * buffer, then snappy-compressed. The general encoder in ingest/encode.ts allocates per series and
 * per label, which made forwarding cost more CPU than ingesting.
 */
import { snappyCompress } from '../ingest/index.js';
import type { Labels } from '../model/index.js';
import { varintSize, writeVarint } from '../varint.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

/** Zig-zag-free int64 varint size of a timestamp (protobuf int64: negatives take 10 bytes). */
function int64Size(t: number): number {
  return t < 0 ? 10 : varintSize(t);
}

/** The repeated `Label` fields (field 1 of TimeSeries) of a label set. */
export function encodeLabelFields(labels: Labels): Uint8Array {
  const parts: Buffer[] = [];
  for (const l of labels) {
    const name = Buffer.from(l.name, 'utf8');
    const value = Buffer.from(l.value, 'utf8');
    const inner = 1 + varintSize(name.length) + name.length + 1 + varintSize(value.length) + value.length;
    const b = Buffer.allocUnsafe(1 + varintSize(inner) + inner);
    let o = 0;
    b[o++] = (1 << 3) | WIRE_LEN;
    o = writeVarint(b, o, inner);
    b[o++] = (1 << 3) | WIRE_LEN;
    o = writeVarint(b, o, name.length);
    name.copy(b, o);
    o += name.length;
    b[o++] = (2 << 3) | WIRE_LEN;
    o = writeVarint(b, o, value.length);
    value.copy(b, o);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

export class RequestEncoder {
  private buf = Buffer.allocUnsafe(1 << 20);
  private len = 0;
  samples = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private varint(n: number): void {
    this.len = writeVarint(this.buf, this.len, n);
  }

  private int64(t: number): void {
    if (t >= 0) return this.varint(t);
    // Two's complement over 64 bits, as protobuf writes a negative int64.
    let big = BigInt.asUintN(64, BigInt(t));
    const b = this.buf;
    for (let i = 0; i < 10; i++) {
      const byte = Number(big & 127n);
      big >>= 7n;
      b[this.len++] = big > 0n ? byte | 128 : byte;
      if (big === 0n) break;
    }
  }

  /**
   * One TimeSeries: its label fields and the samples rows[idx[from..to)] (timestamps and values
   * columns of the WAL rows). Values are copied as bytes, so staleness markers keep their NaN bits.
   */
  series(labelFields: Uint8Array, timestamps: Float64Array, values: Float64Array, idx: Uint32Array, from: number, to: number): void {
    let body = labelFields.length;
    for (let k = from; k < to; k++) {
      const sample = 1 + 8 + 1 + int64Size(timestamps[idx[k]!]!);
      body += 1 + varintSize(sample) + sample;
    }
    this.ensure(1 + 10 + body);
    this.buf[this.len++] = (1 << 3) | WIRE_LEN;
    this.varint(body);
    this.buf.set(labelFields, this.len);
    this.len += labelFields.length;
    const vbytes = new Uint8Array(values.buffer, values.byteOffset, values.length * 8);
    const b = this.buf;
    for (let k = from; k < to; k++) {
      const i = idx[k]!;
      const t = timestamps[i]!;
      const sample = 1 + 8 + 1 + int64Size(t);
      b[this.len++] = (2 << 3) | WIRE_LEN;
      this.varint(sample);
      b[this.len++] = (1 << 3) | WIRE_FIXED64;
      // Byte by byte: no view object per sample (they were most of this loop's garbage).
      const v = i * 8;
      const o = this.len;
      b[o] = vbytes[v]!;
      b[o + 1] = vbytes[v + 1]!;
      b[o + 2] = vbytes[v + 2]!;
      b[o + 3] = vbytes[v + 3]!;
      b[o + 4] = vbytes[v + 4]!;
      b[o + 5] = vbytes[v + 5]!;
      b[o + 6] = vbytes[v + 6]!;
      b[o + 7] = vbytes[v + 7]!;
      this.len = o + 8;
      b[this.len++] = (2 << 3) | WIRE_VARINT;
      this.int64(t);
    }
    this.samples += to - from;
  }

  /** One TimeSeries carrying native histograms: its label fields and the encoded `Histogram` messages. */
  histogramSeries(labelFields: Uint8Array, histograms: readonly Uint8Array[]): void {
    let body = labelFields.length;
    for (const h of histograms) body += 1 + varintSize(h.length) + h.length;
    this.ensure(1 + 10 + body);
    this.buf[this.len++] = (1 << 3) | WIRE_LEN;
    this.varint(body);
    this.buf.set(labelFields, this.len);
    this.len += labelFields.length;
    for (const h of histograms) {
      this.buf[this.len++] = (4 << 3) | WIRE_LEN;
      this.varint(h.length);
      this.buf.set(h, this.len);
      this.len += h.length;
    }
    this.samples += histograms.length;
  }

  get empty(): boolean {
    return this.len === 0;
  }

  /** The snappy-compressed WriteRequest; the encoder is empty afterwards. */
  finish(): Uint8Array {
    const out = snappyCompress(this.buf.subarray(0, this.len));
    this.len = 0;
    this.samples = 0;
    return out;
  }
}
