import { inflateRaw } from '../codec/index.js';
import { ByteWriter, VarintError, readVarint, varintSize } from '../varint.js';
import { RawDeflater } from './raw-deflater.js';

/**
 * Part directory layout (both format versions, byte by byte): docs/format/part.md.
 *
 * Version 2 compresses header groups because version 1's raw 64-byte headers cost 0.17 bytes a
 * sample on node_exporter-like data, a tenth of the whole part (compressed: about 8 bytes a header).
 */
export const FORMAT_VERSION = 2;
/**
 * Version 1's index.bin holds plain 64-byte headers. Flush parts are written that way again
 * (docs/format/part.md, Versions): they are merged within minutes, and encoding and deflating
 * their header groups cost more CPU than the rest of the index work of a flush and its merge.
 */
export const RAW_INDEX_VERSION = 1;
export const HEADER_SIZE = 64;
export const HEADERS_PER_GROUP = 256;
export const METAINDEX_ENTRY_SIZE = 48;
export const MAX_BLOCK_SAMPLES = 8192;

export const FILES = ['timestamps.bin', 'values.bin', 'index.bin', 'metaindex.bin'] as const;
export type PartFile = (typeof FILES)[number];

/** 'small' parts come straight from a memtable flush, 'big' ones from merges. */
export type PartType = 'small' | 'big';

export interface PartMetadata {
  formatVersion: number;
  type: PartType;
  rows: number;
  blocks: number;
  series: number;
  minT: number;
  maxT: number;
  /** Dedup interval the data was already deduplicated with (0: none). */
  dedupIntervalMs: number;
  /** Whether column blocks were deflated where that pays (absent in older parts: they were). */
  deflated?: boolean;
  createdAt: string;
  /**
   * Lifecycle rules (retention filters, downsampling) a merge applied: when (`at`, Unix ms) and
   * which (`signature` of the configuration). Absent: none were applied.
   */
  policy?: { at: number; signature: string };
  files: Record<PartFile, { size: number; crc32: number }>;
  /** labels.bin, the series table (labels-table.ts); absent in parts written before it existed. */
  labels?: { size: number; crc32: number };
}

export interface BlockHeader {
  seriesId: number;
  minT: number;
  maxT: number;
  count: number;
  tsCodec: number;
  valCodec: number;
  tsOffset: number;
  tsSize: number;
  valSize: number;
  valOffset: number;
  crc: number;
}

export function writeHeader(buf: Buffer, off: number, h: BlockHeader): void {
  buf.writeDoubleLE(h.seriesId, off);
  buf.writeDoubleLE(h.minT, off + 8);
  buf.writeDoubleLE(h.maxT, off + 16);
  buf.writeUInt32LE(h.count, off + 24);
  buf.writeUInt8(h.tsCodec, off + 28);
  buf.writeUInt8(h.valCodec, off + 29);
  buf.writeUInt16LE(0, off + 30);
  buf.writeDoubleLE(h.tsOffset, off + 32);
  buf.writeUInt32LE(h.tsSize, off + 40);
  buf.writeUInt32LE(h.valSize, off + 44);
  buf.writeDoubleLE(h.valOffset, off + 48);
  buf.writeUInt32LE(h.crc, off + 56);
  buf.writeUInt32LE(0, off + 60);
}

export function readHeader(buf: Buffer, off: number): BlockHeader {
  return {
    seriesId: buf.readDoubleLE(off),
    minT: buf.readDoubleLE(off + 8),
    maxT: buf.readDoubleLE(off + 16),
    count: buf.readUInt32LE(off + 24),
    tsCodec: buf.readUInt8(off + 28),
    valCodec: buf.readUInt8(off + 29),
    tsOffset: buf.readDoubleLE(off + 32),
    tsSize: buf.readUInt32LE(off + 40),
    valSize: buf.readUInt32LE(off + 44),
    valOffset: buf.readDoubleLE(off + 48),
    crc: buf.readUInt32LE(off + 56),
  };
}

// ---- compressed header groups (format version 2) ----

/** An header group that does not decode: the message says what was wrong. */
export class HeaderGroupError extends Error {
  override name = 'HeaderGroupError';
}

/** The largest encoded size of one header (every field at its widest), bounding an inflate. */
const MAX_ENCODED_HEADER = 8 * 9 + 2 + 4 * 5 + 4;
/** Time and offset deltas below this go in varints; a block with a larger one stores that column as f64s. */
const VARINT_SAFE = 2 ** 51;
/** Mode byte of a column stored as plain f64s; smaller modes name the predictor used. */
const COLUMN_F64 = 0xff;

class ByteReader {
  pos = 0;

  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new HeaderGroupError(`truncated at byte ${this.pos}`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  varint(): number {
    try {
      return readVarint(this.buf, this);
    } catch (e) {
      throw e instanceof VarintError ? new HeaderGroupError(e.message) : e;
    }
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  get done(): boolean {
    return this.pos === this.buf.length;
  }
}

type Predictor = (i: number) => number;

/** Reads a column written by writeColumn into `out` at byte offset `field` of each header. */
function readPredicted(r: ByteReader, n: number, out: Buffer, field: number, predictors: readonly Predictor[]): void {
  const mode = r.byte();
  if (mode !== COLUMN_F64 && mode >= predictors.length) throw new HeaderGroupError(`unknown column mode ${mode}`);
  const predict = predictors[mode];
  for (let i = 0; i < n; i++) {
    let v: number;
    if (predict === undefined) v = r.f64();
    else {
      const z = r.varint();
      v = predict(i) + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    }
    out.writeDoubleLE(v, i * HEADER_SIZE + field);
  }
}

/**
 * How each predicted column is guessed from the fields before it (the order of each list is part
 * of the format: a column's mode byte is an index into it). A block's data usually follows the
 * one before it; a timestamp column may instead be shared with the block before (part-writer.ts).
 */
function predictorsOf(f64: (i: number, field: number) => number, u32: (i: number, field: number) => number) {
  const afterPrevious =
    (offset: number, size: number): Predictor =>
    (i) =>
      i > 0 ? f64(i - 1, offset) + u32(i - 1, size) : 0;
  const previous =
    (offset: number): Predictor =>
    (i) =>
      i > 0 ? f64(i - 1, offset) : 0;
  // The end of the furthest column so far: where the next newly written column starts.
  const furthestEnd = (offset: number, size: number): Predictor => {
    const ends = [0];
    return (i) => {
      for (let k = ends.length - 1; k < i; k++) ends.push(Math.max(ends[k]!, f64(k, offset) + u32(k, size)));
      return ends[i]!;
    };
  };
  return {
    minT: [previous(8)],
    maxT: [(i: number) => f64(i, 8)],
    tsOffset: [afterPrevious(32, 40), previous(32), furthestEnd(32, 40)],
    valOffset: [afterPrevious(48, 44), furthestEnd(48, 44)],
  } satisfies Record<string, Predictor[]>;
}

/** A column's predictions, one per header, for writeColumn (the same predictors as predictorsOf). */
function writeColumn(w: ByteWriter, n: number, values: Float64Array, predictions: readonly Float64Array[]): void {
  let best = COLUMN_F64;
  let bestBytes = Infinity;
  for (let p = 0; p < predictions.length; p++) {
    const pred = predictions[p]!;
    let bytes = 0;
    for (let i = 0; i < n && bytes < bestBytes; i++) {
      const d = values[i]! - pred[i]!;
      if (!(Math.abs(d) < VARINT_SAFE) || !Number.isInteger(d)) bytes = Infinity;
      else bytes += varintSize(d >= 0 ? d * 2 : -d * 2 - 1);
    }
    if (bytes < bestBytes) {
      best = p;
      bestBytes = bytes;
    }
  }
  w.byte(best);
  if (best === COLUMN_F64) {
    for (let i = 0; i < n; i++) w.f64(values[i]!);
    return;
  }
  const pred = predictions[best]!;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - pred[i]!;
    w.varint(d >= 0 ? d * 2 : -d * 2 - 1);
  }
}

/**
 * Encodes `n` headers held in the in-memory layout (HEADER_SIZE bytes each) as a stored index
 * block. Each field becomes a column, written as small differences where neighbours are alike —
 * ids ascend, blocks of one scrape share their times, a block's data follows the one before it —
 * and the whole is deflated. The fields are read into typed arrays once and every predictor is
 * computed as an array (what readPredicted's predictorsOf computes lazily on decode): a flush of
 * 100k series writes ~400 of these blocks, and the closures per value were half its time.
 * The result is a view the next call overwrites.
 */
export function encodeHeaderGroup(headers: Buffer, n: number): Uint8Array {
  const id = new Float64Array(n);
  const minT = new Float64Array(n);
  const maxT = new Float64Array(n);
  const tsOff = new Float64Array(n);
  const valOff = new Float64Array(n);
  const tsSize = new Float64Array(n);
  const valSize = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * HEADER_SIZE;
    id[i] = headers.readDoubleLE(o);
    minT[i] = headers.readDoubleLE(o + 8);
    maxT[i] = headers.readDoubleLE(o + 16);
    tsOff[i] = headers.readDoubleLE(o + 32);
    tsSize[i] = headers.readUInt32LE(o + 40);
    valSize[i] = headers.readUInt32LE(o + 44);
    valOff[i] = headers.readDoubleLE(o + 48);
  }
  const previous = (a: Float64Array): Float64Array => {
    const p = new Float64Array(n);
    for (let i = 1; i < n; i++) p[i] = a[i - 1]!;
    return p;
  };
  const afterPrevious = (off: Float64Array, size: Float64Array): Float64Array => {
    const p = new Float64Array(n);
    for (let i = 1; i < n; i++) p[i] = off[i - 1]! + size[i - 1]!;
    return p;
  };
  const furthestEnd = (off: Float64Array, size: Float64Array): Float64Array => {
    const p = new Float64Array(n);
    for (let i = 1; i < n; i++) p[i] = Math.max(p[i - 1]!, off[i - 1]! + size[i - 1]!);
    return p;
  };
  const w = new ByteWriter(n * 24 + 16);
  w.varint(n);
  for (let i = 0; i < n; i++) w.varint(id[i]! - (i > 0 ? id[i - 1]! : 0));
  writeColumn(w, n, minT, [previous(minT)]);
  writeColumn(w, n, maxT, [minT]);
  for (let i = 0; i < n; i++) w.varint(headers.readUInt32LE(i * HEADER_SIZE + 24));
  for (let i = 0; i < n; i++) w.byte(headers[i * HEADER_SIZE + 28]!);
  for (let i = 0; i < n; i++) w.byte(headers[i * HEADER_SIZE + 29]!);
  for (let i = 0; i < n; i++) w.varint(tsSize[i]!);
  for (let i = 0; i < n; i++) w.varint(valSize[i]!);
  writeColumn(w, n, tsOff, [afterPrevious(tsOff, tsSize), previous(tsOff), furthestEnd(tsOff, tsSize)]);
  writeColumn(w, n, valOff, [afterPrevious(valOff, valSize), furthestEnd(valOff, valSize)]);
  for (let i = 0; i < n; i++) w.u32(headers.readUInt32LE(i * HEADER_SIZE + 56));
  return headerDeflater.deflate(w.buf.subarray(0, w.off))!;
}

// A block is ~1.5 KB: a 2 KB window and a small hash table lose nothing at that size and spare
// zlib clearing state it does not need. Any raw deflate stream inflates.
const headerDeflater = new RawDeflater({ level: 6, windowBits: 11, memLevel: 4 });

/**
 * Decodes a stored header group of `n` headers into the in-memory layout (HEADER_SIZE bytes a
 * header); throws HeaderGroupError on any inconsistency.
 */
export function decodeHeaderGroup(stored: Uint8Array, n: number): Buffer {
  let plain: Buffer;
  try {
    // The codec's inflater reuses its state and output buffer (zlib's built a stream per call);
    // the view is read to the end below, before anything inflates again.
    const view = inflateRaw(stored, 16 + n * MAX_ENCODED_HEADER);
    plain = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  } catch (e) {
    throw new HeaderGroupError(`does not inflate: ${(e as Error).message}`);
  }
  const r = new ByteReader(plain);
  const count = r.varint();
  if (count !== n) throw new HeaderGroupError(`holds ${count} headers, the metaindex says ${n}`);
  const out = Buffer.alloc(n * HEADER_SIZE);
  const f64 = (i: number, field: number): number => out.readDoubleLE(i * HEADER_SIZE + field);
  const u32 = (i: number, field: number): number => out.readUInt32LE(i * HEADER_SIZE + field);
  let id = 0;
  for (let i = 0; i < n; i++) {
    id += r.varint();
    out.writeDoubleLE(id, i * HEADER_SIZE);
  }
  const p = predictorsOf(f64, u32);
  readPredicted(r, n, out, 8, p.minT);
  readPredicted(r, n, out, 16, p.maxT);
  for (let i = 0; i < n; i++) {
    const c = r.varint();
    if (c > 0xffffffff) throw new HeaderGroupError(`sample count ${c} out of range`);
    out.writeUInt32LE(c, i * HEADER_SIZE + 24);
  }
  for (let i = 0; i < n; i++) out[i * HEADER_SIZE + 28] = r.byte();
  for (let i = 0; i < n; i++) out[i * HEADER_SIZE + 29] = r.byte();
  for (const field of [40, 44]) {
    for (let i = 0; i < n; i++) {
      const size = r.varint();
      if (size > 0xffffffff) throw new HeaderGroupError(`block size ${size} out of range`);
      out.writeUInt32LE(size, i * HEADER_SIZE + field);
    }
  }
  readPredicted(r, n, out, 32, p.tsOffset);
  readPredicted(r, n, out, 48, p.valOffset);
  for (let i = 0; i < n; i++) out.writeUInt32LE(r.u32(), i * HEADER_SIZE + 56);
  if (!r.done) throw new HeaderGroupError('has bytes past its last header');
  return out;
}
