import * as fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from './crc32.js';
import { CODEC_STRATA, COMPRESSED, decodeColumn } from './block-codec.js';
import { decodeBlockRange, inflateRaw, maxEncodedSize } from '../codec/index.js';
import { BlockCorruptError, PartCorruptError } from './errors.js';
import {
  FILES,
  FORMAT_VERSION,
  HEADER_SIZE,
  METAINDEX_ENTRY_SIZE,
  type BlockHeader,
  type PartMetadata,
  decodeHeaderGroup,
  HEADERS_PER_GROUP,
  RAW_INDEX_VERSION,
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

/**
 * Sequential reads of one column file through a window: a merge reads every block of its input
 * parts in file order, and two `pread`s per block (a few hundred bytes each) cost more CPU in
 * syscalls than reading the file in 256 KB steps. Returned views are valid until the next read.
 *
 * Shared columns (part-writer.ts) point back at a copy written earlier: nearly every block's
 * timestamp column does. Such a read must not move the window (it would re-read 256 KB to serve
 * a few bytes, once per block); it is served from a small cache of the columns read that way,
 * with each one's CRC-32 so the block check need not run over it again.
 */
const READ_AHEAD_BYTES = 256 * 1024;
/** Shared columns are at most 4096 bytes (part-writer.ts); this many bytes of them are kept. */
const MAX_BACK_BYTES = 4 << 20;

class ReadAhead {
  private buf = Buffer.allocUnsafe(0);
  private start = 0;
  private end = 0;
  private readonly back = new Map<number, { bytes: Buffer; crc: number }>();
  private backBytes = 0;
  /** CRC-32 of what the last read returned when the cache knew it, else -1. */
  lastCrc = -1;

  constructor(private readonly fd: number) {}

  read(len: number, pos: number): Buffer {
    this.lastCrc = -1;
    if (pos < this.start && len <= 4096) return this.readBack(len, pos);
    if (pos < this.start || pos + len > this.end) {
      const size = Math.max(len, READ_AHEAD_BYTES);
      if (this.buf.length < size) this.buf = Buffer.allocUnsafe(size);
      let got = 0;
      while (got < size) {
        const n = fs.readSync(this.fd, this.buf, got, size - got, pos + got);
        if (n === 0) break;
        got += n;
      }
      if (got < len) throw new Error(`short read: ${got} of ${len} bytes at ${pos}`);
      this.start = pos;
      this.end = pos + got;
    }
    return this.buf.subarray(pos - this.start, pos - this.start + len);
  }

  private readBack(len: number, pos: number): Buffer {
    const hit = this.back.get(pos);
    if (hit && hit.bytes.length === len) {
      this.lastCrc = hit.crc;
      return hit.bytes;
    }
    const bytes = readExact(this.fd, len, pos);
    const crc = crc32(bytes);
    if (this.backBytes + len > MAX_BACK_BYTES) {
      this.back.clear();
      this.backBytes = 0;
    }
    this.back.set(pos, { bytes, crc });
    this.backBytes += len + 64;
    this.lastCrc = crc;
    return bytes;
  }
}

/** CRC32 of a whole file, read in 4 MiB pieces (the checksum part metadata records per file). */
export function fileCrc32(path: string): number {
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
 * A cache entry: a block's columns as the codecs read them (checksum verified, deflate already
 * undone), or the raw headers of an header group (`ts` then holds them and `vals` is empty).
 */
interface CachedBlock {
  readonly tsKind: number;
  readonly valKind: number;
  readonly ts: Uint8Array;
  readonly vals: Uint8Array;
  /**
   * The block's last TAIL_SAMPLES samples decoded (null for header groups and unsorted blocks):
   * queries at "now" (dashboards, rules) read only the newest minutes of each block, and these
   * answer them without running the codecs.
   */
  readonly tailTs: Float64Array | null;
  readonly tailVals: Float64Array | null;
  /** Timestamp of the last sample before the tail (-Infinity when the tail is the whole block). */
  readonly beforeTailT: number;
  /** Set on a hit; the clock hand clears it once before evicting (second chance). */
  hot: boolean;
}

/** 16 minutes of 15 s scrapes: covers a 5m lookback or a `[5m]` window at common intervals. */
const TAIL_SAMPLES = 64;
const NO_BYTES = new Uint8Array(0);

/**
 * What an entry costs beyond its bytes, measured (100k entries, resident memory over the bytes):
 * ~650 bytes of JS heap (the entry object, four typed array views and their ArrayBuffer, the map
 * slot and the clock queue's record) and ~400 of native bookkeeping (backing store, malloc).
 * Counting only the bytes let a full cache hold about twice its budget.
 */
const ENTRY_OVERHEAD = 1024;

function entrySize(b: CachedBlock): number {
  return b.ts.byteLength + b.vals.byteLength + (b.tailTs ? 2 * b.tailTs.byteLength : 0) + ENTRY_OVERHEAD;
}

/**
 * A data block's cache entry in one allocation: the decoded tail (when `t` is ascending) and
 * copies of the inflated columns, as views of a single ArrayBuffer. Four buffers an entry cost
 * four backing stores and malloc chunks, and a column read without inflating was a slice of
 * Buffer's shared pool, which pinned the whole 8 KiB slab.
 */
function blockEntry(tsKind: number, valKind: number, ts: Uint8Array, vals: Uint8Array, t: Float64Array | null, v: Float64Array, count: number): CachedBlock {
  const from = Math.max(0, count - TAIL_SAMPLES);
  const tail = t ? count - from : 0;
  const buf = new ArrayBuffer(16 * tail + ts.byteLength + vals.byteLength);
  const tailTs = t ? new Float64Array(buf, 0, tail) : null;
  const tailVals = t ? new Float64Array(buf, 8 * tail, tail) : null;
  if (t) {
    tailTs!.set(t.subarray(from, count));
    tailVals!.set(v.subarray(from, count));
  }
  const tsCopy = new Uint8Array(buf, 16 * tail, ts.byteLength);
  tsCopy.set(ts);
  const valsCopy = new Uint8Array(buf, 16 * tail + ts.byteLength, vals.byteLength);
  valsCopy.set(vals);
  return { tsKind, valKind, ts: tsCopy, vals: valsCopy, tailTs, tailVals, beforeTailT: t && from > 0 ? t[from - 1]! : -Infinity, hot: false };
}

/**
 * Inflated, verified column bytes of recently queried blocks and their header groups, shared by
 * all parts (~2 bytes per sample, an eighth of decoded samples). A hit skips the two reads, the checksum and the inflate,
 * which were most of a small block's cost; the query still runs the column codecs. Parts are
 * immutable, so an entry never goes stale; a released part's entries are dropped with it.
 */
class BlockCache {
  private readonly byPart = new Map<Part, Map<number, CachedBlock>>();
  /** Clock order of entries: [part map, key] pairs; entries of released parts are skipped. */
  private queue: { map: Map<number, CachedBlock>; key: number }[] = [];
  private head = 0;
  bytes = 0;

  constructor(public budgetBytes: number) {}

  get(part: Part, key: number): CachedBlock | undefined {
    const b = this.byPart.get(part)?.get(key);
    if (b) b.hot = true;
    return b;
  }

  put(part: Part, key: number, block: CachedBlock): void {
    const size = entrySize(block);
    if (size > this.budgetBytes) return;
    let map = this.byPart.get(part);
    if (!map) this.byPart.set(part, (map = new Map()));
    if (map.has(key)) return;
    map.set(key, block);
    this.queue.push({ map, key });
    this.bytes += size;
    this.trim();
  }

  /** Evicts until the cache fits its budget. */
  trim(): void {
    while (this.bytes > this.budgetBytes && this.head < this.queue.length) {
      const e = this.queue[this.head++]!;
      const victim = e.map.get(e.key);
      if (!victim) continue; // its part was released
      if (victim.hot) {
        victim.hot = false;
        this.queue.push(e);
        continue;
      }
      e.map.delete(e.key);
      this.bytes -= entrySize(victim);
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  drop(part: Part): void {
    const map = this.byPart.get(part);
    if (!map) return;
    for (const b of map.values()) this.bytes -= entrySize(b);
    map.clear();
    this.byPart.delete(part);
  }
}

const blockCache = new BlockCache(32 * 1024 * 1024);

/** Sets the byte budget of the query block cache shared by all parts (0 turns it off). */
export function setBlockCacheBytes(bytes: number): void {
  if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`block cache size must be a non-negative number of bytes, got ${bytes}`);
  blockCache.budgetBytes = bytes;
  blockCache.trim();
}

/** Bytes the query block cache holds now. */
export function blockCacheBytes(): number {
  return blockCache.bytes;
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
  private readAhead: { ts: ReadAhead; vs: ReadAhead } | null = null;
  // Metaindex columns, one entry per header group.
  private readonly miFirst: Float64Array;
  private readonly miLast: Float64Array;
  private readonly miMinT: Float64Array;
  private readonly miMaxT: Float64Array;
  private readonly miOffset: Float64Array;
  private readonly miCount: Uint32Array;
  /** Stored (compressed) byte size of each header group. */
  private readonly miSize: Uint32Array;
  /** A version 1 part: its header groups are the plain 64-byte headers. */
  private readonly rawIndex: boolean;
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
    this.miSize = new Uint32Array(n);
    this.rawIndex = meta.formatVersion === RAW_INDEX_VERSION;
    const indexBytes = meta.files['index.bin'].size;
    let expectedOffset = 0;
    for (let i = 0; i < n; i++) {
      const o = i * METAINDEX_ENTRY_SIZE;
      this.miFirst[i] = metaindex.readDoubleLE(o);
      this.miLast[i] = metaindex.readDoubleLE(o + 8);
      this.miMinT[i] = metaindex.readDoubleLE(o + 16);
      this.miMaxT[i] = metaindex.readDoubleLE(o + 24);
      this.miOffset[i] = metaindex.readDoubleLE(o + 32);
      this.miCount[i] = metaindex.readUInt32LE(o + 40);
      this.miSize[i] = this.rawIndex ? this.miCount[i]! * HEADER_SIZE : metaindex.readUInt32LE(o + 44);
      // Header groups lie back to back: anything else is a damaged metaindex.
      if (this.miOffset[i] !== expectedOffset || this.miCount[i]! === 0 || this.miCount[i]! > HEADERS_PER_GROUP) {
        throw new PartCorruptError(dir, `metaindex.bin entry ${i} does not match the header groups (offset ${this.miOffset[i]}, ${this.miCount[i]} headers)`);
      }
      expectedOffset += this.miSize[i]!;
    }
    if (expectedOffset !== indexBytes) throw new PartCorruptError(dir, `metaindex.bin covers ${expectedOffset} bytes of index.bin, which has ${indexBytes}`);
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
    if (meta.formatVersion !== FORMAT_VERSION && meta.formatVersion !== RAW_INDEX_VERSION) {
      throw new PartCorruptError(where, `format version ${String(meta.formatVersion)}, this build reads ${RAW_INDEX_VERSION} and ${FORMAT_VERSION}`);
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
        const actual = fileCrc32(join(dir, f));
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
      const actual = fileCrc32(join(this.dir, f));
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
    blockCache.drop(this);
    fs.closeSync(this.fds.ts);
    fs.closeSync(this.fds.vs);
    fs.closeSync(this.fds.idx);
    this.readAhead = null;
    this.fds = null;
    this.onRelease?.();
  }

  get headerGroups(): number {
    return this.miFirst.length;
  }

  private fdsOrThrow(): { ts: number; vs: number; idx: number } {
    if (!this.fds) throw new Error(`part ${this.dir} used after release`);
    return this.fds;
  }

  /** Header group i in the in-memory header layout (HEADER_SIZE bytes a header). */
  private readHeaderGroupRaw(i: number): Buffer {
    const stored = readExact(this.fdsOrThrow().idx, this.miSize[i]!, this.miOffset[i]!);
    try {
      return this.rawIndex ? stored : decodeHeaderGroup(stored, this.miCount[i]!);
    } catch (e) {
      throw new PartCorruptError(this.dir, `header group ${i} of index.bin does not decode: ${(e as Error).message}`);
    }
  }

  /** Header group i for queries, through the block cache (keyed below zero, apart from data blocks). */
  private headerGroupCached(i: number): Buffer {
    const key = -1 - i;
    const hit = blockCache.get(this, key);
    if (hit) return hit.ts as Buffer;
    let raw = this.readHeaderGroupRaw(i);
    // A small read is a slice of Buffer's shared 8 KiB pool, which the entry would pin whole.
    if (raw.byteLength !== raw.buffer.byteLength) raw = Buffer.from(raw);
    blockCache.put(this, key, { tsKind: 0, valKind: 0, ts: raw, vals: NO_BYTES, tailTs: null, tailVals: null, beforeTailT: Infinity, hot: false });
    return raw;
  }

  /** The headers of header group i. */
  readHeaderGroup(i: number): BlockHeader[] {
    const count = this.miCount[i]!;
    const buf = this.readHeaderGroupRaw(i);
    const out: BlockHeader[] = new Array<BlockHeader>(count);
    for (let k = 0; k < count; k++) out[k] = readHeader(buf, k * HEADER_SIZE);
    return out;
  }

  /** Decodes one block into out (appending), keeping samples in [minT, maxT]; checks its CRC. */
  readBlock(h: BlockHeader, minT: number, maxT: number, out: SampleBuffer, scratch: Float64Array[]): void {
    const where = (): string => `${this.dir} (series ${h.seriesId})`;
    const [tb, vb] = this.readColumns(h, true);
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
   * readBlock for queries: the block's inflated, verified columns come from the block cache when
   * a recent query read them, else from disk (and then go into the cache).
   */
  private readBlockCached(
    raw: Buffer,
    off: number,
    key: number,
    minT: number,
    maxT: number,
    out: SampleBuffer,
    scratch: Float64Array[],
    lastOnly = false,
  ): void {
    const count = raw.readUInt32LE(off + 24);
    // Only an error message needs it: build it then, not for every block read.
    const where = (): string => `${this.dir} (series ${raw.readDoubleLE(off)})`;
    if (scratch[0]!.length < count) {
      scratch[0] = new Float64Array(count);
      scratch[1] = new Float64Array(count);
    }
    const t = scratch[0]!;
    const v = scratch[1]!;
    const b = blockCache.get(this, key);
    if (!b) {
      // First read: inflate, decode in full, keep the inflated columns and the decoded tail.
      const h = readHeader(raw, off);
      const [tb, vb] = this.readColumns(h);
      const ts = h.tsCodec & COMPRESSED ? inflateColumn(tb, count, where) : tb;
      const vals = h.valCodec & COMPRESSED ? inflateColumn(vb, count, where) : vb;
      const tsKind = h.tsCodec & ~COMPRESSED;
      const valKind = h.valCodec & ~COMPRESSED;
      decodeColumn(tsKind, true, ts, count, t, where);
      decodeColumn(valKind, false, vals, count, v, where);
      const sorted = isAscending(t, count);
      blockCache.put(this, key, blockEntry(tsKind, valKind, ts, vals, sorted ? t : null, v, count));
      if (sorted) pushSpan(t, v, count, minT, maxT, out, lastOnly);
      else out.pushRange(t, v, count, minT, maxT);
      return;
    }
    if (b.tailTs && minT > b.beforeTailT) {
      // Every sample at or after minT is in the tail.
      pushSpan(b.tailTs, b.tailVals!, b.tailTs.length, minT, maxT, out, lastOnly);
      return;
    }
    if (b.tsKind === CODEC_STRATA && b.valKind === CODEC_STRATA) {
      // One codec call for both columns that copies out only the samples in range and stops
      // decoding values after the last one.
      let n: number;
      try {
        n = decodeBlockRange(b.ts, b.vals, count, minT, maxT, t, v);
      } catch (e) {
        throw new PartCorruptError(where(), `block does not decode: ${(e as Error).message}`);
      }
      // The codec returned exactly the samples in [minT, maxT]: copy them as they are.
      // Its newest is the last one when the block is in time order (it has a tail then).
      if (n > 0) out.pushSlice(t, v, lastOnly && b.tailTs !== null ? n - 1 : 0, n);
      return;
    }
    decodeColumn(b.tsKind, true, b.ts, count, t, where);
    decodeColumn(b.valKind, false, b.vals, count, v, where);
    out.pushRange(t, v, count, minT, maxT);
  }

  /** Reads a block's two column byte ranges and checks them against the header's CRC. */
  /** `sequential`: the caller reads blocks in file order (a merge), served through read-ahead windows. */
  private readColumns(h: BlockHeader, sequential = false): [Buffer, Buffer] {
    const fds = this.fdsOrThrow();
    if (h.tsOffset + h.tsSize > this.meta.files['timestamps.bin'].size || h.valOffset + h.valSize > this.meta.files['values.bin'].size) {
      throw new PartCorruptError(this.dir, `block of series ${h.seriesId} points past the end of its column file`);
    }
    if (sequential) this.readAhead ??= { ts: new ReadAhead(fds.ts), vs: new ReadAhead(fds.vs) };
    const tb = sequential ? this.readAhead!.ts.read(h.tsSize, h.tsOffset) : readExact(fds.ts, h.tsSize, h.tsOffset);
    const tsCrc = sequential && this.readAhead!.ts.lastCrc >= 0 ? this.readAhead!.ts.lastCrc : crc32(tb);
    const vb = sequential ? this.readAhead!.vs.read(h.valSize, h.valOffset) : readExact(fds.vs, h.valSize, h.valOffset);
    if (crc32(vb, tsCrc) !== h.crc) throw new PartCorruptError(this.dir, `block checksum mismatch for series ${h.seriesId} at offset ${h.tsOffset}`);
    return [tb, vb];
  }

  /**
   * For ascending ids, appends each series' samples in [minT, maxT] to the buffer the callback
   * returns for it (called in id order, only for ids this part holds in range, with the id's
   * position in ids).
   */
  collect(
    ids: readonly number[],
    minT: number,
    maxT: number,
    bufferFor: (id: number, k: number) => SampleBuffer,
    scratch: Float64Array[],
    onBadBlock?: (err: BlockCorruptError) => void,
    lastOnly = false,
  ): void {
    if (ids.length === 0 || this.meta.maxT < minT || this.meta.minT > maxT) return;
    let k = 0;
    const nb = this.miFirst.length;
    for (let b = 0; b < nb && k < ids.length; b++) {
      if (this.miLast[b]! < ids[k]!) continue;
      if (this.miMaxT[b]! < minT || this.miMinT[b]! > maxT) {
        while (k < ids.length && ids[k]! < this.miLast[b]!) k++;
        continue;
      }
      // Skip this header group entirely when no requested id falls in [first, last].
      while (k < ids.length && ids[k]! < this.miFirst[b]!) k++;
      if (k >= ids.length || ids[k]! > this.miLast[b]!) continue;
      // Binary-search the raw headers for each wanted id: a query for a few series out of a
      // million must not parse every header it reads past.
      const raw = this.headerGroupCached(b);
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
          // Keyed by block number: blocks may share a timestamp column, so offsets are not unique.
          try {
            this.readBlockCached(raw, off, b * HEADERS_PER_GROUP + j, minT, maxT, bufferFor(id, kk), scratch, lastOnly);
          } catch (e) {
            // A bad block costs its own samples only: the caller reports it, the read goes on.
            if (!onBadBlock || !(e instanceof PartCorruptError)) throw e;
            onBadBlock(new BlockCorruptError(this.dir, id, raw.readDoubleLE(off + 8), raw.readDoubleLE(off + 16), e.message));
          }
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
      for (const h of this.readHeaderGroup(b)) if (h.maxT >= minT && h.minT <= maxT) out.add(h.seriesId);
    }
  }
}

/** Inflates a column into a buffer of its own (inflateRaw's result is reused by the next call). */
function inflateColumn(src: Uint8Array, count: number, where: () => string): Uint8Array {
  try {
    return inflateRaw(src, Math.max(count * 8, maxEncodedSize(count))).slice();
  } catch (e) {
    throw new PartCorruptError(where(), `compressed block does not decompress: ${(e as Error).message}`);
  }
}

function isAscending(t: Float64Array, n: number): boolean {
  for (let i = 1; i < n; i++) if (t[i]! < t[i - 1]!) return false;
  return true;
}

/**
 * Appends the samples of t/v[0, n) inside [minT, maxT], handing over only the span between the
 * first sample ≥ minT and the last ≤ maxT so the series buffer grows by what the query keeps (an
 * instant query keeps a few samples of hundreds), not by the whole block.
 */
/** The first index in t[0, n) whose time is ≥ x (t ascending). */
function lowerBound(t: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Appends the samples of a time-sorted block within [minT, maxT]. Binary searches find the span:
 * an instant query's window is the last few samples of a block of hundreds.
 */
function pushSpan(t: Float64Array, v: Float64Array, n: number, minT: number, maxT: number, out: SampleBuffer, lastOnly = false): void {
  const lo = minT <= t[0]! ? 0 : lowerBound(t, n, minT);
  // First index past maxT: the lower bound of the next representable time (times are integers).
  const hi = maxT >= t[n - 1]! ? n : lowerBound(t, n, Math.floor(maxT) + 1);
  // lastOnly: the reader wants the newest sample in range (an instant selector), not the others.
  if (hi > lo) out.pushSlice(t, v, lastOnly ? hi - 1 : lo, hi);
}
