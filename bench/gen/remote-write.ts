/**
 * Remote write 1.0 bodies: `prometheus.WriteRequest` protobuf, snappy block format. Label sets are
 * encoded once per series (`encodeLabelBlock`) and then copied into every TimeSeries that carries
 * one of its samples, so building a body costs a memcpy and a few varints per sample.
 */
import { createRequire } from 'node:module';
import type { Labels } from '../../src/model/index.js';
import { ProtoWriter, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, varintSize } from './protobuf-writer.js';

interface SnappyJs {
  compress(input: Uint8Array): Uint8Array;
  uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}
// snappyjs ships CommonJS without type declarations; type the two functions we use here.
const snappy = createRequire(import.meta.url)('snappyjs') as SnappyJs;

/** The staleness marker's exact bytes (little-endian 0x7ff0000000000002). */
export const STALE_NAN_BYTES = new Uint8Array([2, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

/** Repeated `Label` fields (field 1 of TimeSeries) for one label set, ready to copy. */
export function encodeLabelBlock(labels: Labels): Uint8Array {
  const w = new ProtoWriter(256);
  const inner = new ProtoWriter(128);
  for (const l of labels) {
    inner.reset();
    inner.string(1, l.name);
    inner.string(2, l.value);
    w.tag(1, WIRE_LEN);
    w.varint(inner.length);
    w.raw(inner.view());
  }
  return w.finish();
}

/** Builds one WriteRequest; each appended sample becomes its own TimeSeries, as Prometheus sends them. */
export class WriteRequestBuilder {
  private readonly w = new ProtoWriter(1 << 20);
  private samples = 0;
  private minT = Infinity;
  private maxT = -Infinity;

  get sampleCount(): number {
    return this.samples;
  }

  /** One TimeSeries holding one sample; `stale` writes the staleness marker's exact bit pattern. */
  add(labelBlock: Uint8Array, timestampMs: number, value: number, stale = false): void {
    const sampleLen = 1 + 8 + 1 + varintSize(timestampMs);
    const seriesLen = labelBlock.length + 1 + varintSize(sampleLen) + sampleLen;
    const w = this.w;
    w.tag(1, WIRE_LEN);
    w.varint(seriesLen);
    w.raw(labelBlock);
    w.tag(2, WIRE_LEN);
    w.varint(sampleLen);
    w.tag(1, WIRE_FIXED64);
    if (stale) w.raw(STALE_NAN_BYTES);
    else w.double(value);
    w.tag(2, WIRE_VARINT);
    w.int64(timestampMs);
    this.samples++;
    if (timestampMs < this.minT) this.minT = timestampMs;
    if (timestampMs > this.maxT) this.maxT = timestampMs;
  }

  /** The snappy-compressed body and its bookkeeping; the builder is empty afterwards. */
  finish(): EncodedBody {
    const raw = this.w.view();
    const body: EncodedBody = {
      data: snappy.compress(raw),
      rawBytes: raw.length,
      samples: this.samples,
      minT: this.minT,
      maxT: this.maxT,
    };
    this.w.reset();
    this.samples = 0;
    this.minT = Infinity;
    this.maxT = -Infinity;
    return body;
  }
}

/** One pre-encoded remote-write request. */
export interface EncodedBody {
  /** Snappy block-compressed WriteRequest, sent as is with `Content-Encoding: snappy`. */
  readonly data: Uint8Array;
  /** Size of the protobuf before compression. */
  readonly rawBytes: number;
  readonly samples: number;
  readonly minT: number;
  readonly maxT: number;
}

export function snappyUncompress(data: Uint8Array): Uint8Array {
  return snappy.uncompress(data);
}

/** Headers a remote-write 1.0 sender sets. */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
  'User-Agent': 'strata-bench/0.1',
});
