import * as fs from 'node:fs';
import { entriesFor, writeLabelsFile, writeLabelsFileBytes, type SeriesLabels } from './labels-table.js';
import { join } from 'node:path';
import { crc32 } from './crc32.js';
import { encodeTimestampsColumn, encodeValuesColumn, type EncodedColumn } from './block-codec.js';
import {
  FILES,
  FORMAT_VERSION,
  HEADER_SIZE,
  HEADERS_PER_GROUP,
  MAX_BLOCK_SAMPLES,
  METAINDEX_ENTRY_SIZE,
  RAW_INDEX_VERSION,
  type PartFile,
  type PartMetadata,
  type PartType,
  encodeHeaderGroup,
  writeHeader,
} from './part-format.js';
import { DeflateAdvisor } from './deflate-advisor.js';
import { syncDir } from './wal.js';

const STAGE_BYTES = 1 << 20;

/**
 * An append-only file written through a 1 MB staging buffer, with a running checksum. Blocks are
 * often a few bytes (a flush of a million series writes millions of them), so they are copied
 * into the stage rather than queued, and the checksum runs once per stage, not once per block.
 */
class ColumnFile {
  private readonly fd: number;
  private readonly stage = Buffer.allocUnsafe(STAGE_BYTES);
  private staged = 0;
  size = 0;
  crc = 0;

  constructor(path: string) {
    this.fd = fs.openSync(path, 'w');
  }

  write(bytes: Uint8Array): number {
    const at = this.size;
    if (this.staged + bytes.length > STAGE_BYTES) this.flush();
    if (bytes.length > STAGE_BYTES) {
      this.writeAll(bytes);
      this.crc = crc32(bytes, this.crc);
    } else {
      this.stage.set(bytes, this.staged);
      this.staged += bytes.length;
    }
    this.size += bytes.length;
    return at;
  }

  private writeAll(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(this.fd, bytes, off, bytes.length - off);
  }

  flush(): void {
    if (this.staged === 0) return;
    const view = this.stage.subarray(0, this.staged);
    this.crc = crc32(view, this.crc);
    this.writeAll(view);
    this.staged = 0;
  }

  finish(): void {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** Bytes of distinct columns remembered per file of a part; past this the memory starts over. */
const MAX_SHARED_MEMORY = 4 << 20;
/** Columns longer than this are not remembered (a long column is rarely repeated whole). */
const MAX_SHARED_BYTES = 4096; // fits SharedColumns.key's 13 bits

/** Where and how a column was stored: what a later identical column points its header at. */
interface StoredColumn {
  readonly offset: number;
  readonly kind: number;
  /** The stored bytes (the block checksum covers them); valid while the block is added. */
  readonly bytes: Uint8Array;
  /** CRC-32 of the stored bytes: the block checksum's seed when this is a timestamp column. */
  readonly crc: number;
}

/**
 * Columns already written to this part, by content: a block whose column is identical to one
 * written before points its header at that copy instead of writing it again.
 *
 * Timestamps: the series of one scrape target carry the very same timestamps (Prometheus stamps
 * a whole scrape with one time), so their columns usually match: on node_exporter-like data
 * 12 458 blocks had 52 distinct timestamp columns, and timestamps.bin shrank from 0.27 to ~0.001
 * bytes a sample. Values: constant series, and histogram buckets that equal each other or
 * `_count` (`le="+Inf"` always does), repeat whole columns: a third of the blocks there, 7% of
 * values.bin.
 *
 * Columns are matched as the codec wrote them, before any deflate: a repeated column is then
 * neither deflated nor checksummed again, and the match does not depend on zlib giving identical
 * output for identical input (a reused zlib stream does not, raw-deflater.ts). The remembered
 * bytes live in one arena rather than a copy each.
 */
class SharedColumns {
  private readonly byKey = new Map<number, number>();
  /**
   * Grown as needed: a flush part remembers a few KB of timestamp columns, not 4 MB. A merge
   * remembers its value columns too and fills it: it starts at full size (growing re-points
   * every remembered column).
   */
  private arena: Uint8Array;

  constructor(full: boolean) {
    this.arena = new Uint8Array(full ? MAX_SHARED_MEMORY : 64 << 10);
  }
  private used = 0;
  private readonly at: number[] = [];
  private readonly stored: StoredColumn[] = [];

  private readonly kinds: number[] = [];
  private readonly sizes: number[] = [];

  /**
   * kind, size and CRC32 mixed into a small integer (a V8 Smi: a Map keyed by 53-bit numbers
   * hashed heap numbers, a fifth of a merge's remembering). A collision only means the later
   * column is remembered instead: find compares kind, size and bytes.
   */
  private static key(kind: number, size: number, crc: number): number {
    return (crc ^ Math.imul(size, 0x9e3779b1) ^ (kind << 23)) & 0x3fffffff;
  }

  /** The slot last matched or added: the next series of the same scrape target usually repeats it. */
  private last = -1;

  /** Whether `slot` holds exactly this codec output. */
  private holds(slot: number, kind: number, bytes: Uint8Array): boolean {
    if (this.kinds[slot] !== kind || this.sizes[slot] !== bytes.length) return false;
    const a = this.arena;
    const from = this.at[slot]!;
    for (let i = 0; i < bytes.length; i++) if (a[from + i] !== bytes[i]) return false;
    return true;
  }

  /** The column last matched or added, if `bytes` repeat it (no checksum needed to look). */
  findLast(kind: number, bytes: Uint8Array): StoredColumn | undefined {
    return this.last >= 0 && this.holds(this.last, kind, bytes) ? this.stored[this.last] : undefined;
  }

  /** How identical codec output of the same kind was stored before, if it was. */
  find(kind: number, bytes: Uint8Array, crc: number): StoredColumn | undefined {
    if (bytes.length > MAX_SHARED_BYTES) return undefined;
    const slot = this.byKey.get(SharedColumns.key(kind, bytes.length, crc));
    if (slot === undefined || !this.holds(slot, kind, bytes)) return undefined;
    this.last = slot;
    return this.stored[slot];
  }

  /**
   * Remembers codec output `bytes` that was stored as `column`; returns what later matches get
   * (its stored bytes then in the arena, since `column.bytes` may be a reused buffer).
   */
  add(kind: number, bytes: Uint8Array, crc: number, column: StoredColumn): StoredColumn {
    const rawLen = bytes.length;
    const storedLen = column.bytes === bytes ? 0 : column.bytes.length;
    if (rawLen > MAX_SHARED_BYTES) return column;
    if (this.used + rawLen + storedLen + 64 > MAX_SHARED_MEMORY) {
      this.byKey.clear();
      this.at.length = 0;
      this.kinds.length = 0;
      this.sizes.length = 0;
      this.stored.length = 0;
      this.used = 0;
      this.last = -1;
    }
    const at = this.used;
    const need = at + rawLen + storedLen;
    if (need > this.arena.length) {
      const grown = new Uint8Array(Math.min(MAX_SHARED_MEMORY, Math.max(need, 2 * this.arena.length)));
      grown.set(this.arena.subarray(0, at));
      this.arena = grown;
      // The remembered stored bytes were views of the old arena: point them at the new one.
      for (let i = 0; i < this.stored.length; i++) {
        const c = this.stored[i]!;
        const from = c.bytes.byteOffset;
        this.stored[i] = { ...c, bytes: grown.subarray(from, from + c.bytes.length) };
      }
    }
    this.arena.set(bytes, at);
    if (storedLen > 0) this.arena.set(column.bytes, at + rawLen);
    const kept: StoredColumn = {
      offset: column.offset,
      kind: column.kind,
      crc: column.crc,
      bytes: storedLen > 0 ? this.arena.subarray(at + rawLen, at + rawLen + storedLen) : this.arena.subarray(at, at + rawLen),
    };
    this.last = this.at.length;
    this.byKey.set(SharedColumns.key(kind, rawLen, crc), this.at.length);
    this.at.push(at);
    this.kinds.push(kind);
    this.sizes.push(rawLen);
    this.stored.push(kept);
    // 64: what an entry costs besides its bytes, as the budget counted it before the arena.
    this.used += rawLen + storedLen + 64;
    return kept;
  }
}

/**
 * Writes one part: call addSeries() in ascending series id order with time-sorted samples, then
 * finish(). Everything goes to a temporary directory that is fsynced and renamed into place, so
 * a part directory either exists complete or not at all.
 */
export class PartWriter {
  private readonly files: Record<PartFile, ColumnFile>;
  private readonly headerBuf = Buffer.alloc(HEADER_SIZE * HEADERS_PER_GROUP);
  private headersInBlock = 0;
  private blockFirstId = 0;
  private blockLastId = 0;
  private blockMinT = Infinity;
  private blockMaxT = -Infinity;
  private readonly metaEntry = Buffer.alloc(METAINDEX_ENTRY_SIZE);
  private readonly sharedTimestamps = new SharedColumns(false);
  /** Merged parts only (created on their first block). */
  private sharedValues: SharedColumns | null = null;
  private readonly deflater = new DeflateAdvisor();
  private rows = 0;
  private blocks = 0;
  private series = 0;
  private lastId = -1;
  /** The series written, ascending: the labels table keeps just these. */
  private readonly ids: number[] = [];
  private minT = Infinity;
  private maxT = -Infinity;

  constructor(
    private readonly tmpDir: string,
    private readonly finalDir: string,
    private readonly type: PartType,
    private readonly dedupIntervalMs: number,
    /** Deflate column blocks (where it pays); flush parts never do. */
    private readonly deflate = type === 'big',
    /** Plain 64-byte headers in index.bin (format version 1's layout): flush parts. */
    private readonly rawIndex = type === 'small',
  ) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.mkdirSync(tmpDir, { recursive: true });
    this.files = {
      'timestamps.bin': new ColumnFile(join(tmpDir, 'timestamps.bin')),
      'values.bin': new ColumnFile(join(tmpDir, 'values.bin')),
      'index.bin': new ColumnFile(join(tmpDir, 'index.bin')),
      'metaindex.bin': new ColumnFile(join(tmpDir, 'metaindex.bin')),
    };
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Adds all samples of one series (sorted by time, unique timestamps), split into blocks. */
  addSeries(id: number, ts: Float64Array, vs: Float64Array, n: number): void {
    if (n === 0) return;
    if (id <= this.lastId) throw new Error(`PartWriter: series ${id} added after ${this.lastId}`);
    this.lastId = id;
    this.series++;
    this.ids.push(id);
    // One block (the usual case in a flush): the columns as they are, no views to allocate.
    if (n <= MAX_BLOCK_SAMPLES) {
      this.addBlock(id, ts, vs, n);
      return;
    }
    for (let from = 0; from < n; from += MAX_BLOCK_SAMPLES) {
      const count = Math.min(MAX_BLOCK_SAMPLES, n - from);
      this.addBlock(id, ts.subarray(from, from + count), vs.subarray(from, from + count), count);
    }
  }

  private addBlock(id: number, ts: Float64Array, vs: Float64Array, count: number): void {
    const t = this.storeColumn('timestamps', encodeTimestampsColumn(ts, count), this.sharedTimestamps);
    // Value columns repeat less often than timestamps (constant series, histogram buckets): a
    // flush part, merged again within minutes, writes them without looking (a lookup per block
    // cost as much as the rest of a flush with 100k series of a few samples each).
    const v = this.storeColumn('values', encodeValuesColumn(vs, count), this.type === 'big' ? (this.sharedValues ??= new SharedColumns(true)) : null);
    const minT = ts[0]!;
    const maxT = ts[count - 1]!;
    if (this.headersInBlock === 0) this.blockFirstId = id;
    writeHeader(this.headerBuf, this.headersInBlock * HEADER_SIZE, {
      seriesId: id,
      minT,
      maxT,
      count,
      tsCodec: t.kind,
      valCodec: v.kind,
      tsOffset: t.offset,
      tsSize: t.bytes.length,
      valSize: v.bytes.length,
      valOffset: v.offset,
      crc: crc32(v.bytes, t.crc),
    });
    this.headersInBlock++;
    this.blockLastId = id;
    if (minT < this.blockMinT) this.blockMinT = minT;
    if (maxT > this.blockMaxT) this.blockMaxT = maxT;
    if (minT < this.minT) this.minT = minT;
    if (maxT > this.maxT) this.maxT = maxT;
    this.rows += count;
    this.blocks++;
    if (this.headersInBlock === HEADERS_PER_GROUP) this.flushHeaderGroup();
  }

  /**
   * Writes a column (deflated where that pays, in parts that deflate) unless `shared` knows the
   * same codec output already stored; returns where it is. `crc` is only computed for timestamp
   * columns: a value column's stored bytes go into the block checksum after them.
   */
  private storeColumn(column: 'timestamps' | 'values', c: EncodedColumn, shared: SharedColumns | null): StoredColumn {
    const again = shared?.findLast(c.kind, c.bytes);
    if (again) return again;
    const rawCrc = shared || column === 'timestamps' ? crc32(c.bytes) : 0;
    const hit = shared?.find(c.kind, c.bytes, rawCrc);
    if (hit) return hit;
    const s = this.deflate ? this.deflater.apply(column, c) : c;
    const crc = column !== 'timestamps' ? 0 : s === c ? rawCrc : crc32(s.bytes);
    const stored: StoredColumn = {
      offset: this.files[column === 'timestamps' ? 'timestamps.bin' : 'values.bin'].write(s.bytes),
      kind: s.kind,
      bytes: s.bytes,
      crc,
    };
    return shared ? shared.add(c.kind, c.bytes, rawCrc, stored) : stored;
  }

  private flushHeaderGroup(): void {
    if (this.headersInBlock === 0) return;
    const stored = this.rawIndex ? this.headerBuf.subarray(0, this.headersInBlock * HEADER_SIZE) : encodeHeaderGroup(this.headerBuf, this.headersInBlock);
    const indexOffset = this.files['index.bin'].write(stored);
    const e = this.metaEntry;
    e.writeDoubleLE(this.blockFirstId, 0);
    e.writeDoubleLE(this.blockLastId, 8);
    e.writeDoubleLE(this.blockMinT, 16);
    e.writeDoubleLE(this.blockMaxT, 24);
    e.writeDoubleLE(indexOffset, 32);
    e.writeUInt32LE(this.headersInBlock, 40);
    e.writeUInt32LE(this.rawIndex ? 0 : stored.length, 44);
    this.files['metaindex.bin'].write(e);
    this.headersInBlock = 0;
    this.blockMinT = Infinity;
    this.blockMaxT = -Infinity;
  }

  /**
   * Completes the part and renames it into place; returns its metadata. `labels` (ascending ids,
   * a superset is fine) becomes the part's series table, labels.bin, for the series it holds; or
   * it is a whole labels.bin already (another part's, listing only series this one holds).
   */
  finish(policy?: PartMetadata['policy'], labels?: readonly SeriesLabels[] | Uint8Array): PartMetadata {
    this.flushHeaderGroup();
    const table = !labels
      ? undefined
      : labels instanceof Uint8Array
        ? writeLabelsFileBytes(this.tmpDir, labels)
        : writeLabelsFile(this.tmpDir, entriesFor(labels, this.ids));
    const files = {} as PartMetadata['files'];
    for (const name of FILES) {
      const f = this.files[name];
      f.finish();
      files[name] = { size: f.size, crc32: f.crc };
    }
    const meta: PartMetadata = {
      formatVersion: this.rawIndex ? RAW_INDEX_VERSION : FORMAT_VERSION,
      type: this.type,
      deflated: this.deflate,
      rows: this.rows,
      blocks: this.blocks,
      series: this.series,
      minT: this.rows ? this.minT : 0,
      maxT: this.rows ? this.maxT : 0,
      dedupIntervalMs: this.dedupIntervalMs,
      createdAt: new Date().toISOString(),
      ...(policy ? { policy } : {}),
      files,
      ...(table ? { labels: table } : {}),
    };
    const metaPath = join(this.tmpDir, 'metadata.json');
    const fd = fs.openSync(metaPath, 'w');
    fs.writeSync(fd, JSON.stringify(meta, null, 1) + '\n');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    syncDir(this.tmpDir);
    fs.rmSync(this.finalDir, { recursive: true, force: true });
    fs.renameSync(this.tmpDir, this.finalDir);
    syncDir(join(this.finalDir, '..'));
    return meta;
  }

  abort(): void {
    for (const name of FILES) this.files[name].abort();
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

/** Where a part is written before its rename makes it whole. */
export function tmpName(name: string): string {
  return `tmp_${name}`;
}
