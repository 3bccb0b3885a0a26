/**
 * On-disk layout of a part directory (all little-endian):
 *
 * timestamps.bin, values.bin — encoded column blocks, back to back.
 * index.bin — block headers of HEADER_SIZE bytes, sorted by (series id, min time), grouped into
 *   index blocks of up to HEADERS_PER_INDEX_BLOCK headers:
 *     f64 seriesId | f64 minT | f64 maxT | u32 count | u8 tsCodec | u8 valCodec | u16 0   (codec kinds: block-codec.ts)
 *     | f64 tsOffset | u32 tsSize | u32 valSize | f64 valOffset | u32 crc32(ts bytes ++ value bytes) | u32 0
 * metaindex.bin — one METAINDEX_ENTRY_SIZE entry per index block, loaded into memory:
 *     f64 firstId | f64 lastId | f64 minT | f64 maxT | f64 indexOffset | u32 headerCount | u32 0
 * metadata.json — PartMetadata, written last: a part without it was never finished.
 */
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 64;
export const HEADERS_PER_INDEX_BLOCK = 256;
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
  createdAt: string;
  files: Record<PartFile, { size: number; crc32: number }>;
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

/** Partition directory name for a timestamp: its UTC calendar month, `YYYY_MM`. */
export function partitionKey(t: number): string {
  const d = new Date(t);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** [start, end) in ms of the month a timestamp falls in. */
export function monthRange(t: number): [number, number] {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return [Date.UTC(y, m, 1), Date.UTC(y, m + 1, 1)];
}

export const PARTITION_RE = /^(\d{4})_(\d{2})$/;

/** [start, end) in ms of a partition named `YYYY_MM`. */
export function partitionRange(name: string): [number, number] {
  const m = PARTITION_RE.exec(name);
  if (!m) throw new Error(`not a partition name: ${name}`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return [Date.UTC(y, mo, 1), Date.UTC(y, mo + 1, 1)];
}
