import * as fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { decodeColumn } from './block-codec.js';
import { PartCorruptError } from './errors.js';
import {
  FILES,
  FORMAT_VERSION,
  HEADER_SIZE,
  METAINDEX_ENTRY_SIZE,
  type BlockHeader,
  type PartMetadata,
  readHeader,
} from './part-format.js';
import type { SampleBuffer } from './samples.js';

export interface OpenPartOptions {
  /** Check the checksums of the column files too (index files are always checked). */
  verifyData: boolean;
}

function readExact(fd: number, len: number, pos: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let off = 0;
  while (off < len) {
    const n = fs.readSync(fd, buf, off, len - off, pos + off);
    if (n === 0) break;
    off += n;
  }
  if (off !== len) throw new Error(`short read: ${off} of ${len} bytes at ${pos}`);
  return buf;
}

function fileCrc(path: string): number {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    let crc = 0;
    let pos = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return crc;
      crc = crc32(buf.subarray(0, n), crc);
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * An open, immutable part: metadata and the sparse metaindex are in memory, block headers and
 * columns are read from disk on demand. Readers pin a part with ref()/unref() so a merge can
 * retire it without pulling files out from under a running query.
 */
export class Part {
  private refs = 1;
  private retired = false;
  private fds: { ts: number; vs: number; idx: number } | null;
  // Metaindex columns, one entry per index block.
  private readonly miFirst: Float64Array;
  private readonly miLast: Float64Array;
  private readonly miMinT: Float64Array;
  private readonly miMaxT: Float64Array;
  private readonly miOffset: Float64Array;
  private readonly miCount: Uint32Array;
  corrupt: PartCorruptError | null = null;
  onRelease: (() => void) | null = null;

  private constructor(
    readonly dir: string,
    readonly name: string,
    readonly meta: PartMetadata,
    metaindex: Buffer,
  ) {
    const n = metaindex.length / METAINDEX_ENTRY_SIZE;
    this.miFirst = new Float64Array(n);
    this.miLast = new Float64Array(n);
    this.miMinT = new Float64Array(n);
    this.miMaxT = new Float64Array(n);
    this.miOffset = new Float64Array(n);
    this.miCount = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * METAINDEX_ENTRY_SIZE;
      this.miFirst[i] = metaindex.readDoubleLE(o);
      this.miLast[i] = metaindex.readDoubleLE(o + 8);
      this.miMinT[i] = metaindex.readDoubleLE(o + 16);
      this.miMaxT[i] = metaindex.readDoubleLE(o + 24);
      this.miOffset[i] = metaindex.readDoubleLE(o + 32);
      this.miCount[i] = metaindex.readUInt32LE(o + 40);
    }
    this.fds = {
      ts: fs.openSync(join(dir, 'timestamps.bin'), 'r'),
      vs: fs.openSync(join(dir, 'values.bin'), 'r'),
      idx: fs.openSync(join(dir, 'index.bin'), 'r'),
    };
  }

  /** Opens and verifies a part directory; throws PartCorruptError saying what is wrong. */
  static open(dir: string, name: string, opts: OpenPartOptions): Part {
    const where = dir;
    let meta: PartMetadata;
    try {
      meta = JSON.parse(fs.readFileSync(join(dir, 'metadata.json'), 'utf8')) as PartMetadata;
    } catch (e) {
      throw new PartCorruptError(where, `metadata.json is missing or not JSON (${(e as Error).message})`);
    }
    if (meta.formatVersion !== FORMAT_VERSION) {
      throw new PartCorruptError(where, `format version ${String(meta.formatVersion)}, this build reads ${FORMAT_VERSION}`);
    }
    if (!meta.files || typeof meta.rows !== 'number') throw new PartCorruptError(where, 'metadata.json lacks files/rows');
    for (const f of FILES) {
      const expected = meta.files[f];
      if (!expected) throw new PartCorruptError(where, `metadata.json has no entry for ${f}`);
      let size: number;
      try {
        size = fs.statSync(join(dir, f)).size;
      } catch {
        throw new PartCorruptError(where, `${f} is missing`);
      }
      if (size !== expected.size) throw new PartCorruptError(where, `${f} is ${size} bytes, metadata says ${expected.size}`);
      if (f === 'index.bin' || f === 'metaindex.bin' || opts.verifyData) {
        const actual = fileCrc(join(dir, f));
        if (actual !== expected.crc32) {
          throw new PartCorruptError(where, `${f} checksum mismatch (crc32 ${actual.toString(16)}, metadata says ${expected.crc32.toString(16)})`);
        }
      }
    }
    const metaindex = fs.readFileSync(join(dir, 'metaindex.bin'));
    if (metaindex.length % METAINDEX_ENTRY_SIZE !== 0) throw new PartCorruptError(where, 'metaindex.bin has a partial entry');
    return new Part(dir, name, meta, metaindex);
  }

  /** Recomputes the column files' checksums against metadata.json; throws PartCorruptError. */
  verifyData(): void {
    for (const f of ['timestamps.bin', 'values.bin'] as const) {
      const actual = fileCrc(join(this.dir, f));
      const expected = this.meta.files[f].crc32;
      if (actual !== expected) {
        throw new PartCorruptError(this.dir, `${f} checksum mismatch (crc32 ${actual.toString(16)}, metadata says ${expected.toString(16)})`);
      }
    }
  }

  get type(): PartMetadata['type'] {
    return this.meta.type;
  }

  ref(): void {
    this.refs++;
  }

  unref(): void {
    if (--this.refs === 0) this.release();
  }

  /** The owner lets go; files close once the last reader is done. */
  retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.unref();
  }

  private release(): void {
    if (!this.fds) return;
    fs.closeSync(this.fds.ts);
    fs.closeSync(this.fds.vs);
    fs.closeSync(this.fds.idx);
    this.fds = null;
    this.onRelease?.();
  }

  get indexBlocks(): number {
    return this.miFirst.length;
  }

  private fdsOrThrow(): { ts: number; vs: number; idx: number } {
    if (!this.fds) throw new Error(`part ${this.dir} used after release`);
    return this.fds;
  }

  private readIndexBlockRaw(i: number): Buffer {
    return readExact(this.fdsOrThrow().idx, this.miCount[i]! * HEADER_SIZE, this.miOffset[i]!);
  }

  /** The headers of index block i. */
  readIndexBlock(i: number): BlockHeader[] {
    const count = this.miCount[i]!;
    const buf = this.readIndexBlockRaw(i);
    const out: BlockHeader[] = new Array<BlockHeader>(count);
    for (let k = 0; k < count; k++) out[k] = readHeader(buf, k * HEADER_SIZE);
    return out;
  }

  /** Decodes one block into out (appending), keeping samples in [minT, maxT]; checks its CRC. */
  readBlock(h: BlockHeader, minT: number, maxT: number, out: SampleBuffer, scratch: Float64Array[]): void {
    const fds = this.fdsOrThrow();
    const where = `${this.dir} (series ${h.seriesId})`;
    if (h.tsOffset + h.tsSize > this.meta.files['timestamps.bin'].size || h.valOffset + h.valSize > this.meta.files['values.bin'].size) {
      throw new PartCorruptError(this.dir, `block of series ${h.seriesId} points past the end of its column file`);
    }
    const tb = readExact(fds.ts, h.tsSize, h.tsOffset);
    const vb = readExact(fds.vs, h.valSize, h.valOffset);
    if (crc32(vb, crc32(tb)) !== h.crc) throw new PartCorruptError(this.dir, `block checksum mismatch for series ${h.seriesId} at offset ${h.tsOffset}`);
    if (scratch[0]!.length < h.count) {
      scratch[0] = new Float64Array(h.count);
      scratch[1] = new Float64Array(h.count);
    }
    const t = scratch[0]!;
    const v = scratch[1]!;
    decodeColumn(h.tsCodec, true, tb, h.count, t, where);
    decodeColumn(h.valCodec, false, vb, h.count, v, where);
    out.pushRange(t, v, h.count, minT, maxT);
  }

  /**
   * For ascending ids, appends each series' samples in [minT, maxT] to the buffer the callback
   * returns for it (called in id order, only for ids this part holds in range).
   */
  collect(ids: readonly number[], minT: number, maxT: number, bufferFor: (id: number) => SampleBuffer, scratch: Float64Array[]): void {
    if (ids.length === 0 || this.meta.maxT < minT || this.meta.minT > maxT) return;
    let k = 0;
    const nb = this.miFirst.length;
    for (let b = 0; b < nb && k < ids.length; b++) {
      if (this.miLast[b]! < ids[k]!) continue;
      if (this.miMaxT[b]! < minT || this.miMinT[b]! > maxT) {
        while (k < ids.length && ids[k]! < this.miLast[b]!) k++;
        continue;
      }
      // Skip this index block entirely when no requested id falls in [first, last].
      while (k < ids.length && ids[k]! < this.miFirst[b]!) k++;
      if (k >= ids.length || ids[k]! > this.miLast[b]!) continue;
      // Binary-search the raw headers for each wanted id: a query for a few series out of a
      // million must not parse every header it reads past.
      const raw = this.readIndexBlockRaw(b);
      const count = this.miCount[b]!;
      let from = 0;
      for (let kk = k; kk < ids.length && ids[kk]! <= this.miLast[b]!; kk++) {
        const id = ids[kk]!;
        let lo = from;
        let hi = count;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (raw.readDoubleLE(mid * HEADER_SIZE) < id) lo = mid + 1;
          else hi = mid;
        }
        from = lo;
        for (let j = lo; j < count && raw.readDoubleLE(j * HEADER_SIZE) === id; j++) {
          const off = j * HEADER_SIZE;
          if (raw.readDoubleLE(off + 16) < minT || raw.readDoubleLE(off + 8) > maxT) continue;
          this.readBlock(readHeader(raw, off), minT, maxT, bufferFor(id), scratch);
        }
      }
      // The last id of this block may continue into the next one.
      while (k < ids.length && ids[k]! < this.miLast[b]!) k++;
    }
  }

  /** Adds to out every series id with a block overlapping [minT, maxT]. */
  idsInRange(minT: number, maxT: number, out: Set<number>): void {
    if (this.meta.maxT < minT || this.meta.minT > maxT) return;
    for (let b = 0; b < this.miFirst.length; b++) {
      if (this.miMaxT[b]! < minT || this.miMinT[b]! > maxT) continue;
      for (const h of this.readIndexBlock(b)) if (h.maxT >= minT && h.minT <= maxT) out.add(h.seriesId);
    }
  }
}
