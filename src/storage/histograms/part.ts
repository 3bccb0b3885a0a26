import * as fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { decodeTimestamps, encodeTimestamps } from '../../codec/index.js';
import { decodeHistograms, encodeHistograms, type HistogramRows } from '../../codec/index.js';
import { CodecError } from '../../codec/index.js';
import { PartCorruptError } from '../errors.js';
import type { BadBlock } from '../partition.js';
import { syncDir } from '../wal.js';

/**
 * An immutable histogram part (docs/format/part.md, "Histogram parts"): `data.bin` holds blocks
 * of ≤ BLOCK_ROWS samples of one series (a timestamp column as the float parts write it, then a
 * histogram column), `index.bin` one 48-byte entry per block sorted by (series, time), and
 * `metadata.json` the counts, time range and every file's size and CRC32. Written as
 * `tmp_<name>`, fsynced, renamed.
 */

export const HIST_PART_VERSION = 1;
export const BLOCK_ROWS = 1024;
const ENTRY = 48;

export interface HistPartMeta {
  version: number;
  rows: number;
  blocks: number;
  series: number;
  minT: number;
  maxT: number;
  dedupIntervalMs: number;
  files: Record<string, { size: number; crc32: number }>;
}

/** One series' samples for the writer: sorted by time, one per timestamp; rows as flat histograms. */
export interface SeriesHistograms {
  readonly id: number;
  readonly timestamps: Float64Array;
  readonly rows: readonly Uint8Array[];
}

function flatRows(rows: readonly Uint8Array[], from: number, to: number): HistogramRows {
  let size = 0;
  for (let i = from; i < to; i++) size += rows[i]!.length;
  const bytes = new Uint8Array(size);
  const offsets = new Uint32Array(to - from + 1);
  let w = 0;
  for (let i = from; i < to; i++) {
    bytes.set(rows[i]!, w);
    w += rows[i]!.length;
    offsets[i - from + 1] = w;
  }
  return { count: to - from, offsets, bytes };
}

function writeSynced(path: string, data: Uint8Array): void {
  const fd = fs.openSync(path, 'w');
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a part of `series` (ascending ids) into `<partitionDir>/<name>`; returns its metadata, or null when empty. */
export function writeHistPart(partitionDir: string, name: string, series: Iterable<SeriesHistograms>, dedupIntervalMs: number): HistPartMeta | null {
  const chunks: Uint8Array[] = [];
  const index: number[] = [];
  let offset = 0;
  let rows = 0;
  let nSeries = 0;
  let minT = Infinity;
  let maxT = -Infinity;
  for (const s of series) {
    const n = s.timestamps.length;
    if (n === 0) continue;
    nSeries++;
    for (let from = 0; from < n; from += BLOCK_ROWS) {
      const to = Math.min(n, from + BLOCK_ROWS);
      const ts = s.timestamps.subarray(from, to);
      const tsCol = encodeTimestamps(ts, to - from);
      const hCol = encodeHistograms(flatRows(s.rows, from, to), to - from);
      const block = new Uint8Array(tsCol.length + hCol.length);
      block.set(tsCol);
      block.set(hCol, tsCol.length);
      chunks.push(block);
      index.push(s.id, ts[0]!, ts[ts.length - 1]!, offset, to - from, tsCol.length, hCol.length, crc32(block));
      offset += block.length;
      rows += to - from;
      minT = Math.min(minT, ts[0]!);
      maxT = Math.max(maxT, ts[ts.length - 1]!);
    }
  }
  if (rows === 0) return null;
  const data = Buffer.concat(chunks);
  const idx = new Uint8Array((index.length / 8) * ENTRY);
  const dv = new DataView(idx.buffer);
  for (let i = 0, p = 0; i < index.length; i += 8, p += ENTRY) {
    dv.setFloat64(p, index[i]!, true);
    dv.setFloat64(p + 8, index[i + 1]!, true);
    dv.setFloat64(p + 16, index[i + 2]!, true);
    dv.setFloat64(p + 24, index[i + 3]!, true);
    dv.setUint32(p + 32, index[i + 4]!, true);
    dv.setUint32(p + 36, index[i + 5]!, true);
    dv.setUint32(p + 40, index[i + 6]!, true);
    dv.setUint32(p + 44, index[i + 7]!, true);
  }
  const meta: HistPartMeta = {
    version: HIST_PART_VERSION,
    rows,
    blocks: index.length / 8,
    series: nSeries,
    minT,
    maxT,
    dedupIntervalMs,
    files: { 'data.bin': { size: data.length, crc32: crc32(data) }, 'index.bin': { size: idx.length, crc32: crc32(idx) } },
  };
  fs.mkdirSync(partitionDir, { recursive: true });
  const tmp = join(partitionDir, `tmp_${name}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  writeSynced(join(tmp, 'data.bin'), data);
  writeSynced(join(tmp, 'index.bin'), idx);
  writeSynced(join(tmp, 'metadata.json'), Buffer.from(JSON.stringify(meta)));
  syncDir(tmp);
  fs.renameSync(tmp, join(partitionDir, name));
  syncDir(partitionDir);
  return meta;
}

export class HistPart {
  /** Sequence number (the name is its 16-digit hex). */
  readonly seq: number;
  private fd: number;
  private readonly ids: Float64Array;
  private readonly minTs: Float64Array;
  private readonly maxTs: Float64Array;
  private readonly offsets: Float64Array;
  private readonly counts: Uint32Array;
  private readonly tsSizes: Uint32Array;
  private readonly hSizes: Uint32Array;
  private readonly crcs: Uint32Array;

  private constructor(
    readonly dir: string,
    readonly name: string,
    readonly meta: HistPartMeta,
    idx: Buffer,
  ) {
    this.seq = parseInt(name, 16);
    const n = meta.blocks;
    this.ids = new Float64Array(n);
    this.minTs = new Float64Array(n);
    this.maxTs = new Float64Array(n);
    this.offsets = new Float64Array(n);
    this.counts = new Uint32Array(n);
    this.tsSizes = new Uint32Array(n);
    this.hSizes = new Uint32Array(n);
    this.crcs = new Uint32Array(n);
    for (let i = 0, p = 0; i < n; i++, p += ENTRY) {
      this.ids[i] = idx.readDoubleLE(p);
      this.minTs[i] = idx.readDoubleLE(p + 8);
      this.maxTs[i] = idx.readDoubleLE(p + 16);
      this.offsets[i] = idx.readDoubleLE(p + 24);
      this.counts[i] = idx.readUInt32LE(p + 32);
      this.tsSizes[i] = idx.readUInt32LE(p + 36);
      this.hSizes[i] = idx.readUInt32LE(p + 40);
      this.crcs[i] = idx.readUInt32LE(p + 44);
    }
    this.fd = fs.openSync(join(dir, 'data.bin'), 'r');
  }

  static open(dir: string, name: string): HistPart {
    let meta: HistPartMeta;
    try {
      meta = JSON.parse(fs.readFileSync(join(dir, 'metadata.json'), 'utf8')) as HistPartMeta;
    } catch (e) {
      throw new PartCorruptError(dir, `histogram part: unreadable metadata.json: ${(e as Error).message}`);
    }
    if (meta.version !== HIST_PART_VERSION) throw new PartCorruptError(dir, `histogram part: format version ${meta.version}, want ${HIST_PART_VERSION}`);
    for (const [file, f] of Object.entries(meta.files)) {
      let size = -1;
      try {
        size = fs.statSync(join(dir, file)).size;
      } catch {
        // reported below
      }
      if (size !== f.size) throw new PartCorruptError(dir, `histogram part: ${file} is ${size} bytes, metadata says ${f.size}`);
    }
    const idx = fs.readFileSync(join(dir, 'index.bin'));
    if (idx.length !== meta.blocks * ENTRY || crc32(idx) !== meta.files['index.bin']?.crc32)
      throw new PartCorruptError(dir, `histogram part: index.bin fails its checksum`);
    return new HistPart(dir, name, meta, idx);
  }

  /** Series ids present, ascending, each once. */
  seriesIds(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.ids.length; i++) if (i === 0 || this.ids[i] !== this.ids[i - 1]) out.push(this.ids[i]!);
    return out;
  }

  /** Series ids with a block overlapping [minT, maxT]. */
  seriesIdsIn(minT: number, maxT: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.ids.length; i++) {
      if (this.maxTs[i]! < minT || this.minTs[i]! > maxT) continue;
      if (out.length === 0 || out[out.length - 1] !== this.ids[i]) out.push(this.ids[i]!);
    }
    return out;
  }

  private firstBlock(id: number): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Calls `each(t, row)` for every sample of `id` in [minT, maxT], in time order. A block that
   * fails its checksum or does not decode goes to `onBadBlock` and is skipped (without one, it
   * throws PartCorruptError).
   */
  read(id: number, minT: number, maxT: number, each: (t: number, row: Uint8Array) => void, onBadBlock?: (b: BadBlock) => void): void {
    for (let b = this.firstBlock(id); b < this.ids.length && this.ids[b] === id; b++) {
      if (this.maxTs[b]! < minT || this.minTs[b]! > maxT) continue;
      const n = this.counts[b]!;
      const tsSize = this.tsSizes[b]!;
      let ts: Float64Array;
      let rows: HistogramRows;
      try {
        const block = Buffer.allocUnsafe(tsSize + this.hSizes[b]!);
        let got = 0;
        while (got < block.length) {
          const k = fs.readSync(this.fd, block, got, block.length - got, this.offsets[b]! + got);
          if (k === 0) break;
          got += k;
        }
        if (got !== block.length) throw new CodecError(`block ${b} is cut short (${got} of ${block.length} bytes)`);
        if (crc32(block) !== this.crcs[b]) throw new CodecError(`block ${b} fails its checksum`);
        ts = new Float64Array(n);
        decodeTimestamps(block.subarray(0, tsSize), n, ts);
        rows = decodeHistograms(block.subarray(tsSize), n);
      } catch (e) {
        if (!(e instanceof CodecError || e instanceof RangeError)) throw e;
        const bad: BadBlock = { seriesId: id, minT: this.minTs[b]!, maxT: this.maxTs[b]!, reason: `histogram part ${this.name}: ${e.message}` };
        if (!onBadBlock) throw new PartCorruptError(this.dir, `histogram part: block ${b} (series ${id}): ${e.message}`);
        onBadBlock(bad);
        continue;
      }
      for (let i = 0; i < n; i++) {
        const t = ts[i]!;
        if (t < minT || t > maxT) continue;
        each(t, rows.bytes.subarray(rows.offsets[i]!, rows.offsets[i + 1]!));
      }
    }
  }

  get diskBytes(): number {
    let n = 0;
    for (const f of Object.values(this.meta.files)) n += f.size;
    return n;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
