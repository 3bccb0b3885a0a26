import * as fs from 'node:fs';
import { join } from 'node:path';
import { readHistogramRow, type HistogramRows } from '../../codec/index.js';
import type { FloatHistogram, HistogramSamples } from '../../model/index.js';
import { downsample, ruleFor, type MergeRules } from '../downsample.js';
import { PartCorruptError, StorageError } from '../errors.js';
import { PARTITION_RE, partitionKey, partitionRange } from '../partition.js';
import { normalize } from '../dedup.js';
import { SampleBuffer } from '../samples.js';
import { TombstoneSet, cutIntervals, intervalsFor, type Tombstone } from '../tombstones.js';
import { FRAME_HEADER, Wal, type WalFsync } from '../wal.js';
import { HistPart, writeHistPart, type SeriesHistograms } from './part.js';
import { decodeHistogramRecord, encodeHistogramRecord, recordRowsAt } from './wal-record.js';

/**
 * Native histogram samples: a small LSM of its own beside the float one, under
 * `<data>/data/histograms/`: a WAL of histogram records (`<data>/wal-histograms/`), a memtable,
 * and per month partition (`YYYY_MM/`) immutable parts named by sequence number. Samples of one series are held as a
 * SampleBuffer of (timestamp, row number) pairs while they are merged, so sorting,
 * "last written wins", `-dedup.minScrapeInterval`, tombstones and downsampling ("last" mode)
 * are the very functions the float path uses; the row numbers then pick the histograms.
 *
 * Histogram volume is a small share of a Prometheus's samples, so flushes and merges run on the
 * main thread, synchronously: no part list changes under a running read.
 */

export interface HistogramStoreOptions {
  /** Parts and tombstones. */
  readonly dir: string;
  readonly walDir: string;
  readonly walFsync: WalFsync;
  readonly walFsyncIntervalMs: number;
  /** Offered each flushed WAL segment before it is deleted (see WalOptions.archive). */
  readonly walArchive?: (path: string, seq: number) => boolean;
  readonly flushIntervalMs: number;
  readonly dedupIntervalMs: number;
  /** Samples before this are out of retention. */
  readonly minValidT: () => number;
  readonly now: () => number;
  readonly isDeleted?: (id: number) => boolean;
  readonly lifecycleRules?: (ids: readonly number[], now: number) => MergeRules;
  readonly onError: (e: Error) => void;
}

/** A partition merges its newest parts once it holds this many. */
const MERGE_AT_PARTS = 8;

interface Partition {
  readonly name: string;
  readonly dir: string;
  readonly start: number;
  readonly end: number;
  /** Ascending sequence: later parts hold later writes. */
  parts: HistPart[];
}

class Memtable {
  ids: number[] = [];
  ts: number[] = [];
  rows: Uint8Array[] = [];
  get length(): number {
    return this.ids.length;
  }
}

export interface HistogramStoreStats {
  histogramRowsIngested: number;
  histogramRowsPending: number;
  histogramParts: number;
  histogramRows: number;
  histogramDiskBytes: number;
  histogramMerges: number;
}

/** Per series: sample buffer of (t, row number) and the rows. */
interface Gathered {
  readonly buf: SampleBuffer;
  readonly rows: Uint8Array[];
}

export class HistogramStore {
  private readonly partitions = new Map<string, Partition>();
  private active = new Memtable();
  private wal!: Wal;
  private tombstones!: TombstoneSet;
  private seq = 1;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastRetention = 0;
  private readonly counters = { ingested: 0, merges: 0, replayed: 0 };

  private constructor(private readonly opts: HistogramStoreOptions) {}

  static open(opts: HistogramStoreOptions): HistogramStore {
    const s = new HistogramStore(opts);
    fs.mkdirSync(opts.dir, { recursive: true });
    s.loadPartitions();
    s.tombstones = TombstoneSet.load(opts.dir);
    const { wal, replay } = Wal.open(
      {
        dir: opts.walDir,
        fsync: opts.walFsync,
        fsyncIntervalMs: opts.walFsyncIntervalMs,
        ...(opts.walArchive ? { archive: opts.walArchive } : {}),
        onRecord: (_kind, payload) => {
          const rec = decodeHistogramRecord(payload);
          for (let i = 0; i < rec.count; i++)
            s.pushRow(rec.ids[i]!, rec.timestamps[i]!, rec.rows.bytes.subarray(rec.rows.offsets[i]!, rec.rows.offsets[i + 1]!));
          return rec.count;
        },
      },
      () => {
        throw new StorageError('float rows in the histogram WAL');
      },
    );
    s.wal = wal;
    s.counters.replayed = replay.rows;
    s.timer = setInterval(() => s.tick(), Math.max(10, opts.flushIntervalMs));
    s.timer.unref();
    return s;
  }

  private loadPartitions(): void {
    for (const name of fs.readdirSync(this.opts.dir)) {
      if (!PARTITION_RE.test(name)) continue;
      const dir = join(this.opts.dir, name);
      const [start, end] = partitionRange(name);
      const parts: HistPart[] = [];
      for (const entry of fs.readdirSync(dir).sort()) {
        const path = join(dir, entry);
        if (!/^[0-9a-f]{16}$/.test(entry)) {
          // A part that was being written when the process stopped.
          fs.rmSync(path, { recursive: true, force: true });
          continue;
        }
        this.seq = Math.max(this.seq, parseInt(entry, 16) + 1);
        try {
          parts.push(HistPart.open(path, entry));
        } catch (e) {
          if (!(e instanceof PartCorruptError)) throw e;
          const dest = join(this.opts.dir, 'quarantine', `${name}_${entry}_${Date.now()}`);
          fs.mkdirSync(join(this.opts.dir, 'quarantine'), { recursive: true });
          fs.renameSync(path, dest);
          this.opts.onError(new StorageError(`${e.message}; quarantined to ${dest} and no longer served`));
        }
      }
      this.partitions.set(name, { name, dir, start, end, parts });
    }
  }

  private pushRow(id: number, t: number, row: Uint8Array): void {
    this.active.ids.push(id);
    this.active.ts.push(t);
    this.active.rows.push(row);
  }

  /**
   * Stores rows `rowNumbers[0..count)` of `rows` for series ids[i] at ts[i] (the caller checked
   * ids and the accepted time range): WAL first, then the memtable.
   */
  append(ids: Float64Array, ts: Float64Array, rowNumbers: Float64Array, count: number, rows: HistogramRows): void {
    if (this.closed) throw new StorageError('histogram store is closed');
    if (count === 0) return;
    const frame = encodeHistogramRecord(ids, ts, rowNumbers, count, rows, FRAME_HEADER);
    this.wal.appendRecord(frame);
    // The memtable keeps views of the record's rows: the frame is this call's own memory.
    const payload = frame.subarray(FRAME_HEADER);
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const offAt = 8 + 16 * count;
    const rowsAt = recordRowsAt(count);
    for (let i = 0; i < count; i++) {
      const s = rowsAt + dv.getUint32(offAt + 4 * i, true);
      const e = rowsAt + dv.getUint32(offAt + 4 * i + 4, true);
      this.pushRow(ids[i]!, ts[i]!, payload.subarray(s, e));
    }
    this.counters.ingested += count;
  }

  committed(): Promise<void> {
    return this.wal.committed();
  }

  private tick(): void {
    if (this.closed) return;
    try {
      this.flush();
      const now = this.opts.now();
      if (now - this.lastRetention >= 60_000) {
        this.lastRetention = now;
        this.applyRetention();
      }
    } catch (e) {
      this.opts.onError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  // ---- flush and merge -------------------------------------------------------------------

  /** Writes the memtable out as one part per month, then drops the WAL segments it came from. */
  flush(): void {
    if (this.active.length === 0) return;
    const mt = this.active;
    const walSeq = this.wal.rotate();
    this.active = new Memtable();
    // Group by partition, then by series; row numbers keep arrival order for "last wins".
    const byPartition = new Map<string, Map<number, Gathered>>();
    // Rows of one month come in long stretches: name the month once per stretch.
    let key = '';
    let monthStart = Infinity;
    let monthEnd = -Infinity;
    for (let i = 0; i < mt.length; i++) {
      const t = mt.ts[i]!;
      if (t < monthStart || t >= monthEnd) {
        key = partitionKey(t);
        [monthStart, monthEnd] = partitionRange(key);
      }
      let m = byPartition.get(key);
      if (!m) byPartition.set(key, (m = new Map()));
      const id = mt.ids[i]!;
      let g = m.get(id);
      if (!g) m.set(id, (g = { buf: new SampleBuffer(8), rows: [] }));
      g.buf.push(mt.ts[i]!, g.rows.length);
      g.rows.push(mt.rows[i]!);
    }
    for (const [key, series] of byPartition) {
      const p = this.partitionFor(key);
      const name = this.nextName();
      const ids = [...series.keys()].sort((a, b) => a - b);
      writeHistPart(
        p.dir,
        name,
        this.finished(ids, (id) => series.get(id)!, null),
        this.opts.dedupIntervalMs,
      );
      p.parts.push(HistPart.open(join(p.dir, name), name));
    }
    this.wal.dropThrough(walSeq);
    for (const p of this.partitions.values()) if (p.parts.length >= MERGE_AT_PARTS) this.merge(p, false);
  }

  /** Normalised series for a part writer; `rules` applies retention filters and downsampling. */
  private *finished(ids: readonly number[], get: (id: number) => Gathered, rules: MergeRules | null): Generator<SeriesHistograms> {
    for (const id of ids) {
      const g = get(id);
      normalize(g.buf, this.opts.dedupIntervalMs);
      if (rules) {
        const rule = ruleFor(rules, id);
        dropBefore(g.buf, rule.minValidT);
        downsample(g.buf, rule.levels, 'last');
      }
      const n = g.buf.length;
      const rows = new Array<Uint8Array>(n);
      for (let i = 0; i < n; i++) rows[i] = g.rows[g.buf.values[i]!]!;
      yield { id, timestamps: g.buf.timestamps.slice(0, n), rows };
    }
  }

  private nextName(): string {
    return (this.seq++).toString(16).padStart(16, '0');
  }

  private partitionFor(name: string): Partition {
    let p = this.partitions.get(name);
    if (!p) {
      const [start, end] = partitionRange(name);
      p = { name, dir: join(this.opts.dir, name), start, end, parts: [] };
      this.partitions.set(name, p);
    }
    return p;
  }

  /**
   * Merges the newest parts of a partition (all of them when `all`): a suffix, so the merged
   * part, named after every input, still follows every older part. The suffix starts at the
   * oldest part that holds no more rows than the parts after it together, so big old parts are
   * rewritten only once newer data has caught up with them.
   */
  private merge(p: Partition, all: boolean): void {
    const parts = p.parts;
    if (parts.length === 0) return;
    let from = 0;
    if (!all) {
      from = Math.max(0, parts.length - 2);
      let later = 0;
      for (let i = from; i < parts.length; i++) later += parts[i]!.meta.rows;
      for (let i = from - 1; i >= 0 && parts[i]!.meta.rows <= later; i--) {
        from = i;
        later += parts[i]!.meta.rows;
      }
    }
    const inputs = parts.slice(from);
    const idSet = new Set<number>();
    for (const part of inputs) for (const id of part.seriesIds()) idSet.add(id);
    const deleted = this.opts.isDeleted;
    const ids = [...idSet].filter((id) => !deleted?.(id)).sort((a, b) => a - b);
    const now = this.opts.now();
    const rules: MergeRules = this.opts.lifecycleRules?.(ids, now) ?? { fallback: { minValidT: this.opts.minValidT(), levels: [] }, groups: [], mode: 'last' };
    const tombstones = this.tombstones.all;
    const name = this.nextName();
    writeHistPart(
      p.dir,
      name,
      this.finished(ids, (id) => gather(inputs, id, -Infinity, Infinity, tombstones), rules),
      this.opts.dedupIntervalMs,
    );
    const merged = fs.existsSync(join(p.dir, name)) ? [HistPart.open(join(p.dir, name), name)] : [];
    p.parts = [...parts.slice(0, from), ...merged];
    for (const x of inputs) {
      x.close();
      fs.rmSync(x.dir, { recursive: true, force: true });
    }
    this.counters.merges++;
    this.pruneTombstones();
  }

  /** Merges every partition into one part (dedup, retention, tombstones and deleted series applied). */
  forceMerge(): void {
    this.flush();
    for (const p of this.partitions.values()) this.merge(p, true);
    this.applyRetention();
  }

  // ---- reads -----------------------------------------------------------------------------

  /** The histogram samples of each id (each once, any order) in [minT, maxT]. */
  read(ids: readonly number[], minT: number, maxT: number): Map<number, HistogramSamples> {
    const out = new Map<number, HistogramSamples>();
    const lo = Math.max(minT, this.opts.minValidT());
    // Float-only data (the usual case) costs queries nothing here.
    if (lo > maxT || (this.active.length === 0 && this.partitions.size === 0)) return out;
    const parts: HistPart[] = [];
    for (const p of this.partitions.values()) if (p.end > lo && p.start <= maxT) parts.push(...p.parts);
    parts.sort((a, b) => a.seq - b.seq);
    const wanted = new Set(ids);
    const mem = new Map<number, { t: number; row: Uint8Array }[]>();
    for (let i = 0; i < this.active.length; i++) {
      const id = this.active.ids[i]!;
      const t = this.active.ts[i]!;
      if (!wanted.has(id) || t < lo || t > maxT) continue;
      let l = mem.get(id);
      if (!l) mem.set(id, (l = []));
      l.push({ t, row: this.active.rows[i]! });
    }
    const tombstones = this.tombstones.all;
    for (const id of ids) {
      const g = gather(parts, id, lo, maxT, tombstones);
      for (const s of mem.get(id) ?? []) {
        g.buf.push(s.t, g.rows.length);
        g.rows.push(s.row);
      }
      if (g.buf.length === 0) continue;
      normalize(g.buf, this.opts.dedupIntervalMs);
      const n = g.buf.length;
      const histograms = new Array<FloatHistogram>(n);
      for (let i = 0; i < n; i++) histograms[i] = readHistogramRow(g.rows[g.buf.values[i]!]!, 0);
      out.set(id, { timestamps: g.buf.timestamps.slice(0, n), histograms });
    }
    return out;
  }

  /** Series with a histogram sample in [minT, maxT] (blocks overlapping it, memtable rows in it). */
  seriesIdsInRange(minT: number, maxT: number): Set<number> {
    const out = new Set<number>();
    const lo = Math.max(minT, this.opts.minValidT());
    for (const p of this.partitions.values()) {
      if (p.end <= lo || p.start > maxT) continue;
      for (const part of p.parts) for (const id of part.seriesIdsIn(lo, maxT)) out.add(id);
    }
    for (let i = 0; i < this.active.length; i++) {
      const t = this.active.ts[i]!;
      if (t >= lo && t <= maxT) out.add(this.active.ids[i]!);
    }
    return out;
  }

  // ---- deletion and retention ------------------------------------------------------------

  /** Hides the samples of `ids` in [minT, maxT] now; merges drop them. */
  deleteRange(ids: readonly number[], minT: number, maxT: number): void {
    if (ids.length === 0 || minT > maxT) return;
    this.flush();
    this.tombstones.add({ seq: this.seq, minT, maxT, ids: Float64Array.from(ids).sort() });
  }

  private pruneTombstones(): void {
    if (this.tombstones.size === 0) return;
    const parts = [...this.partitions.values()].flatMap((p) => p.parts);
    this.tombstones.prune(parts.map((part) => ({ seq: part.seq, minT: part.meta.minT, maxT: part.meta.maxT })));
  }

  /** Drops partitions wholly before the retention boundary. */
  applyRetention(): void {
    const minValid = this.opts.minValidT();
    for (const p of [...this.partitions.values()]) {
      if (p.end > minValid) continue;
      this.partitions.delete(p.name);
      for (const part of p.parts) part.close();
      fs.rmSync(p.dir, { recursive: true, force: true });
    }
    this.pruneTombstones();
  }

  /** Part directories, for snapshots: `<partition>/<part>` relative to the store's directory. */
  liveParts(): string[] {
    return [...this.partitions.values()].flatMap((p) => p.parts.map((x) => `${p.name}/${x.name}`));
  }

  stats(): HistogramStoreStats {
    let parts = 0;
    let rows = 0;
    let bytes = 0;
    for (const p of this.partitions.values()) {
      for (const x of p.parts) {
        parts++;
        rows += x.meta.rows;
        bytes += x.diskBytes;
      }
    }
    return {
      histogramRowsIngested: this.counters.ingested,
      histogramRowsPending: this.active.length,
      histogramParts: parts,
      histogramRows: rows,
      histogramDiskBytes: bytes,
      histogramMerges: this.counters.merges,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.flush();
    this.closed = true;
    await this.wal.close();
    for (const p of this.partitions.values()) for (const x of p.parts) x.close();
  }
}

/** The samples of `id` from `parts` (oldest first) in [minT, maxT], each part cut by the tombstones over it. */
function gather(parts: readonly HistPart[], id: number, minT: number, maxT: number, tombstones: readonly Tombstone[]): Gathered {
  const g: Gathered = { buf: new SampleBuffer(8), rows: [] };
  for (const part of parts) {
    const from = g.buf.length;
    part.read(id, minT, maxT, (t, row) => {
      g.buf.push(t, g.rows.length);
      g.rows.push(row);
    });
    if (g.buf.length === from || tombstones.length === 0) continue;
    const cut = intervalsFor(tombstones, id, part.seq);
    if (cut) cutIntervals(g.buf, from, cut);
  }
  return g;
}

function dropBefore(buf: SampleBuffer, minT: number): void {
  let k = 0;
  while (k < buf.length && buf.timestamps[k]! < minT) k++;
  if (k === 0) return;
  buf.timestamps.copyWithin(0, k, buf.length);
  buf.values.copyWithin(0, k, buf.length);
  buf.length -= k;
}
