/**
 * The STREAMED_XOR_CHUNKS answer: `ChunkedReadResponse` messages, each framed as a uvarint length,
 * the big-endian CRC32C of the message, then the message. One series per frame, in XOR chunks of
 * at most 120 samples; a series whose chunks pass the frame size limit continues in further frames
 * with the same labels, as Prometheus does. Frames are gathered into output pieces of ~64 KiB.
 * Native-histogram samples are not written here yet (that needs Prometheus's histogram chunk
 * encoding): SAMPLES answers carry them, streamed answers carry a series' float samples only.
 */
import { encodeLabelFields } from '../forward/index.js';
import type { Series } from '../model/index.js';
import { ByteWriter, int64VarintSize as int64Size, varintSize } from '../varint.js';
import { crc32c } from './crc32c.js';
import { MAX_SAMPLES_PER_CHUNK, XorChunkEncoder } from './xor-chunk.js';

/** Prometheus's default --storage.remote.read-max-bytes-in-frame. */
export const MAX_BYTES_IN_FRAME = 1024 * 1024;
/** Output gathered before it is handed to the socket. */
const PIECE_BYTES = 64 * 1024;
/** prompb.Chunk.Encoding XOR. */
const ENCODING_XOR = 1;

export class ChunkedResponseWriter {
  private readonly xor = new XorChunkEncoder();
  /** The chunk fields (ChunkedSeries field 2) of the frame being built. */
  private readonly chunks = new ByteWriter(1 << 16);
  private readonly message = new ByteWriter(1 << 16);
  private readonly out = new ByteWriter(PIECE_BYTES * 2);

  constructor(private readonly maxBytesInFrame = MAX_BYTES_IN_FRAME) {}

  /** Frames one series of query `queryIndex`. */
  addSeries(s: Series, queryIndex: number): void {
    const ts = s.timestamps;
    if (ts.length === 0) return;
    const labels = encodeLabelFields(s.labels);
    const bits = new Uint32Array(s.values.buffer, s.values.byteOffset, s.values.length * 2);
    const c = this.chunks;
    c.reset();
    for (let from = 0; from < ts.length; from += MAX_SAMPLES_PER_CHUNK) {
      const to = Math.min(ts.length, from + MAX_SAMPLES_PER_CHUNK);
      const data = this.xor.encode(ts, bits, from, to);
      const minT = ts[from]!;
      const maxT = ts[to - 1]!;
      const len = 1 + int64Size(minT) + 1 + int64Size(maxT) + 2 + 1 + varintSize(data.length) + data.length;
      c.lenField(2, len);
      c.byte(0x08);
      c.int64(minT);
      c.byte(0x10);
      c.int64(maxT);
      c.byte(0x18);
      c.byte(ENCODING_XOR);
      c.lenField(4, data.length);
      c.raw(data);
      if (labels.length + c.off >= this.maxBytesInFrame) this.frame(labels, queryIndex);
    }
    if (c.off > 0) this.frame(labels, queryIndex);
  }

  private frame(labels: Uint8Array, queryIndex: number): void {
    const m = this.message;
    m.reset();
    m.lenField(1, labels.length + this.chunks.off);
    m.raw(labels);
    m.raw(this.chunks.bytes());
    if (queryIndex !== 0) {
      m.byte(0x10);
      m.varint(queryIndex);
    }
    this.chunks.reset();
    const body = m.bytes();
    const o = this.out;
    o.varint(body.length);
    o.ensure(4 + body.length);
    const crc = crc32c(body);
    o.buf[o.off++] = crc >>> 24;
    o.buf[o.off++] = (crc >>> 16) & 0xff;
    o.buf[o.off++] = (crc >>> 8) & 0xff;
    o.buf[o.off++] = crc & 0xff;
    o.raw(body);
  }

  /** Output ready to send (a copy), once enough has gathered or when `flush` is set; else null. */
  take(flush = false): Uint8Array | null {
    if (this.out.off === 0 || (!flush && this.out.off < PIECE_BYTES)) return null;
    const piece = this.out.bytes().slice();
    this.out.reset();
    return piece;
  }
}
