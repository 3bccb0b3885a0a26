/**
 * The STREAMED_XOR_CHUNKS answer: `ChunkedReadResponse` messages, each framed as a uvarint length,
 * the big-endian CRC32C of the message, then the message. One series per frame, its samples in
 * time order as chunks: float samples as XOR chunks of at most 120 samples, native histograms as
 * HISTOGRAM / FLOAT_HISTOGRAM chunks (histogram-chunk.ts); a series whose chunks pass the frame
 * size limit continues in further frames with the same labels, as Prometheus does. Frames are
 * written straight into output pieces of ~64 KiB, which are handed to the socket as they fill.
 */
import { encodeLabelFields } from '../forward/index.js';
import type { HistogramSamples, Series } from '../model/index.js';
import { ByteWriter, int64VarintSize, varintSize } from '../varint.js';
import { crc32c } from './crc32c.js';
import { HistogramChunkEncoder } from './histogram-chunk.js';
import { MAX_SAMPLES_PER_CHUNK, XorChunkEncoder } from './xor-chunk.js';

/** Prometheus's default --storage.remote.read-max-bytes-in-frame. */
export const MAX_BYTES_IN_FRAME = 1024 * 1024;
/** Output gathered before it is handed to the socket. */
const PIECE_BYTES = 64 * 1024;
/** prompb.Chunk.Encoding XOR. */
const ENCODING_XOR = 1;
const NO_HISTOGRAMS: HistogramSamples = { timestamps: new Float64Array(0), histograms: [] };

export class ChunkedResponseWriter {
  private readonly xor = new XorChunkEncoder();
  private readonly hist = new HistogramChunkEncoder();
  /** The chunk fields (ChunkedSeries field 2) of the frame being built. */
  private readonly chunks = new ByteWriter(1 << 16);
  private readonly out = new ByteWriter(PIECE_BYTES * 2);
  private labels: Uint8Array = new Uint8Array(0);
  private queryIndex = 0;
  private readonly onChunk = (encoding: number, minT: number, maxT: number, data: Uint8Array): void => this.chunk(encoding, minT, maxT, data);

  constructor(private readonly maxBytesInFrame = MAX_BYTES_IN_FRAME) {}

  /** Frames one series of query `queryIndex`. */
  addSeries(s: Series, queryIndex: number): void {
    const ts = s.timestamps;
    const hs = s.histograms ?? NO_HISTOGRAMS;
    const hts = hs.timestamps;
    if (ts.length === 0 && hts.length === 0) return;
    this.labels = encodeLabelFields(s.labels);
    this.queryIndex = queryIndex;
    const bits = new Uint32Array(s.values.buffer, s.values.byteOffset, s.values.length * 2);
    // Runs of float samples and runs of histogram samples, in time order (a series rarely mixes them).
    let i = 0;
    let k = 0;
    while (i < ts.length || k < hts.length) {
      if (k >= hts.length || (i < ts.length && ts[i]! <= hts[k]!)) {
        let j = ts.length;
        if (k < hts.length) {
          const until = hts[k]!;
          j = i;
          while (j < ts.length && ts[j]! <= until) j++;
        }
        this.floats(ts, bits, i, j);
        i = j;
      } else {
        let j = hts.length;
        if (i < ts.length) {
          const until = ts[i]!;
          j = k;
          while (j < hts.length && hts[j]! < until) j++;
        }
        this.hist.encode(hs, k, j, this.onChunk);
        k = j;
      }
    }
    if (this.chunks.off > 0) this.frame();
  }

  private floats(ts: Float64Array, bits: Uint32Array, from: number, to: number): void {
    for (let a = from; a < to; a += MAX_SAMPLES_PER_CHUNK) {
      const b = Math.min(to, a + MAX_SAMPLES_PER_CHUNK);
      this.chunk(ENCODING_XOR, ts[a]!, ts[b - 1]!, this.xor.encode(ts, bits, a, b));
    }
  }

  /** One prompb.Chunk; the frame is closed once it reaches the size limit. */
  private chunk(encoding: number, minT: number, maxT: number, data: Uint8Array): void {
    const c = this.chunks;
    const len = 1 + int64VarintSize(minT) + 1 + int64VarintSize(maxT) + 2 + 1 + varintSize(data.length) + data.length;
    c.lenField(2, len);
    c.byte(0x08);
    c.int64(minT);
    c.byte(0x10);
    c.int64(maxT);
    c.byte(0x18);
    c.byte(encoding);
    c.lenField(4, data.length);
    c.raw(data);
    if (this.labels.length + c.off >= this.maxBytesInFrame) this.frame();
  }

  /** Writes the frame (length, CRC32C, message) of the chunks gathered, straight into the output. */
  private frame(): void {
    const labels = this.labels;
    const chunks = this.chunks;
    const qi = this.queryIndex;
    const seriesLen = labels.length + chunks.off;
    const body = 1 + varintSize(seriesLen) + seriesLen + (qi !== 0 ? 1 + varintSize(qi) : 0);
    const o = this.out;
    o.varint(body);
    o.ensure(4 + body);
    const crcAt = o.off;
    o.off += 4;
    const start = o.off;
    o.byte(0x0a);
    o.varint(seriesLen);
    o.raw(labels);
    o.raw(chunks.bytes());
    if (qi !== 0) {
      o.byte(0x10);
      o.varint(qi);
    }
    chunks.reset();
    const crc = crc32c(o.buf, start, o.off);
    o.buf[crcAt] = crc >>> 24;
    o.buf[crcAt + 1] = (crc >>> 16) & 0xff;
    o.buf[crcAt + 2] = (crc >>> 8) & 0xff;
    o.buf[crcAt + 3] = crc & 0xff;
  }

  /** Output ready to send (a copy), once enough has gathered or when `flush` is set; else null. */
  take(flush = false): Uint8Array | null {
    if (this.out.off === 0 || (!flush && this.out.off < PIECE_BYTES)) return null;
    // A copy: bytes() is a Buffer view (Buffer#slice would not copy) and the buffer is reused.
    const piece = new Uint8Array(this.out.bytes());
    this.out.reset();
    return piece;
  }
}
