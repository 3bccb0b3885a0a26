import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readHistogramRow, type HistogramRows } from '../../codec/index.js';
import type { FloatHistogram, HistogramSamples } from '../../model/index.js';
import { DamageLog, type DamageEntry } from '../damage.js';
import type { MergeRules } from '../downsample.js';
import { PartCorruptError, StorageError } from '../errors.js';
import { PARTITION_RE, partitionRange, type BadBlock } from '../partition.js';
import { normalize } from '../dedup.js';
import { TombstoneSet } from '../tombstones.js';
import { FRAME_HEADER, Wal, type WalFsync } from '../wal.js';
import { gather, runHistFlush, runHistMerge, type HistFlushJob, type HistJobResult, type HistMergeJob } from './jobs.js';
import { HistMemtable } from './memtable.js';
import { HistPart } from './part.js';
import { decodeHistogramRecord, histogramRecordParts } from './wal-record.js';

/**
 * Native histogram samples: a small LSM of its own beside the float one, under
 * `<data>/data/histograms/`: a WAL of histogram records (`<data>/wal-histograms/`), a memtable,
 * and per month partition (`YYYY_MM/`) immutable parts named by sequence number. Samples of one series are held as a
 * SampleBuffer of (timestamp, row number) pairs while they are merged, so sorting,
 * "last written wins", `-dedup.minScrapeInterval`, tombstones and downsampling ("last" mode)
 * are the very functions the float path uses; the row numbers then pick the histograms.
 *
 * Flushes and merges run as jobs (jobs.ts) on the storage worker threads, one at a time in one
 * queue: a flush's part always follows the parts merged before it, so later parts hold later
 * writes. Part lists change only on this thread when a job ends, and reads run without yielding,
 * so no part list changes under a running read. A damaged block is skipped by reads (the query
 * warns, see damage.ts) and left out by merges.
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
  /** Runs a flush / merge job, on a storage worker thread; default: on this thread. */
  readonly runFlush?: (job: HistFlushJob) => Promise<HistJobResult>;
  readonly runMerge?: (job: HistMergeJob) => Promise<HistJobResult>;
}

/** Row numbers of memtable rows in a read start here, above any part's. */
const MEM_ROW = 2 ** 40;

/** Damage entries name histogram partitions `histograms/<month>`, apart from the float ones. */
const DAMAGE_PREFIX = 'histograms/';

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

export interface HistogramStoreStats {
  histogramRowsIngested: number;
  histogramRowsPending: number;
  histogramParts: number;
  histogramRows: number;
  histogramDiskBytes: number;
  histogramMerges: number;
  histogramDamagedBlocks: number;
  histogramQuarantinedParts: number;
}

export class HistogramStore {
  private readonly partitions = new Map<string, Partition>();
  private active = new HistMemtable();
  /** Memtables being written to parts (still served by reads), oldest first. */
  private sealed: HistMemtable[] = [];
  /** The one queue of flushes, merges and retention. */
  private queue: Promise<unknown> = Promise.resolve();
  /** A flush queued and not started yet: later callers share it. */
  private queuedFlush: Promise<void> | null = null;
  private damage!: DamageLog;
  private wal!: Wal;
  private tombstones!: TombstoneSet;
  private seq = 1;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastRetention = 0;
  private readonly counters = { ingested: 0, merges: 0, replayed: 0, damagedBlocks: 0, quarantinedParts: 0 };

  private constructor(private readonly opts: HistogramStoreOptions) {}

  static open(opts: HistogramStoreOptions): HistogramStore {
    const s = new HistogramStore(opts);
    fs.mkdirSync(opts.dir, { recursive: true });
    s.damage = DamageLog.load(opts.dir);
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
          s.active.add(rec.ids, rec.timestamps, rec.count, rec.rows.bytes, rec.rows.offsets);
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
          this.counters.quarantinedParts++;
          // Without readable metadata the part's time range is unknown: its whole month is suspect.
          this.damage.record({
            partition: DAMAGE_PREFIX + name,
            part: entry,
            kind: 'part',
            seriesId: null,
            minT: start,
            maxT: end - 1,
            reason: e.message,
            lost: false,
          });
          this.opts.onError(new StorageError(`${e.message}; quarantined to ${dest} and no longer served`));
        }
      }
      this.partitions.set(name, { name, dir, start, end, parts });
    }
  }

  /**
   * Stores rows `rowNumbers[0..count)` of `rows` for series ids[i] at ts[i] (the caller checked
   * ids and the accepted time range): WAL first, then the memtable. The memtable keeps the rows
   * where they are (the record's body: usually `rows.bytes` itself), so the caller must not
   * reuse that memory.
   */
  append(ids: Float64Array, ts: Float64Array, rowNumbers: Float64Array, count: number, rows: HistogramRows): void {
    if (this.closed) throw new StorageError('histogram store is closed');
    if (count === 0) return;
    const rec = histogramRecordParts(ids, ts, rowNumbers, count, rows, FRAME_HEADER);
    this.wal.appendRecordParts(rec.head, rec.body);
    this.active.add(ids, ts, count, rec.body, rec.offsets);
    this.counters.ingested += count;
  }

  committed(): Promise<void> {
    return this.wal.committed();
  }

  private tick(): void {
    if (this.closed) return;
    const failed = (e: unknown): void => this.opts.onError(e instanceof Error ? e : new Error(String(e)));
    this.flush().catch(failed);
    const now = this.opts.now();
    if (now - this.lastRetention >= 60_000) {
      this.lastRetention = now;
      this.enqueue(() => this.applyRetentionNow()).catch(failed);
    }
  }

  /** Runs `fn` after every job queued before it; the queue goes on whatever it does. */
  private enqueue<T>(fn: () => Promise<T> | T): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => {});
    return p;
  }

  private get runFlush(): (job: HistFlushJob) => Promise<HistJobResult> {
    return this.opts.runFlush ?? ((job) => Promise.resolve(runHistFlush(job)));
  }

  private get runMerge(): (job: HistMergeJob) => Promise<HistJobResult> {
    return this.opts.runMerge ?? ((job) => Promise.resolve(runHistMerge(job)));
  }

  // ---- flush and merge -------------------------------------------------------------------

  /**
   * Writes the memtable out as one part per month, then drops the WAL segments it came from;
   * resolves when the parts are served. Callers arriving while a flush waits in the queue share it.
   */
  flush(): Promise<void> {
    if (this.queuedFlush) return this.queuedFlush;
    const p = this.enqueue(async () => {
      this.queuedFlush = null;
      await this.flushNow();
    });
    this.queuedFlush = p;
    return p;
  }

  private async flushNow(): Promise<void> {
    if (this.active.length > 0) {
      this.sealed.push(this.active);
      this.active = new HistMemtable();
    }
    // A memtable whose flush failed is still sealed: it goes again with the newer ones.
    if (this.sealed.length === 0) return;
    const mts = [...this.sealed];
    const walSeq = this.wal.rotate();
    const name = this.nextName();
    const r = await this.runFlush(flushJob(this.opts.dir, name, this.opts.dedupIntervalMs, mts));
    for (const key of r.partitions) {
      const p = this.partitionFor(key);
      p.parts.push(HistPart.open(join(p.dir, name), name));
    }
    this.sealed = this.sealed.filter((m) => !mts.includes(m));
    this.wal.dropThrough(walSeq);
    for (const p of this.partitions.values()) if (p.parts.length >= MERGE_AT_PARTS) await this.mergeNow(p, false);
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
  private async mergeNow(p: Partition, all: boolean): Promise<void> {
    const parts = p.parts;
    if (parts.length === 0 || !this.partitions.has(p.name)) return;
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
    const ids = Float64Array.from([...idSet].filter((id) => !deleted?.(id))).sort();
    const now = this.opts.now();
    const rules: MergeRules = this.opts.lifecycleRules?.([...ids], now) ?? {
      fallback: { minValidT: this.opts.minValidT(), levels: [] },
      groups: [],
      mode: 'last',
    };
    const name = this.nextName();
    const r = await this.runMerge({
      kind: 'hist-merge',
      dir: this.opts.dir,
      partition: p.name,
      inputs: inputs.map((x) => x.name),
      partName: name,
      dedupIntervalMs: this.opts.dedupIntervalMs,
      ids,
      tombstones: [...this.tombstones.all],
      rules,
    });
    const merged = r.partitions.length > 0 ? [HistPart.open(join(p.dir, name), name)] : [];
    // Only this queue changes the part list, so the inputs are still the suffix from `from`.
    p.parts = [...p.parts.slice(0, from), ...merged, ...p.parts.slice(from + inputs.length)];
    for (const x of inputs) {
      x.close();
      fs.rmSync(x.dir, { recursive: true, force: true });
    }
    for (const b of r.lostBlocks) this.badBlock(p.name, name, b, true);
    this.counters.merges++;
    this.pruneTombstones();
  }

  /** Merges every partition into one part (dedup, retention, tombstones and deleted series applied). */
  async forceMerge(): Promise<void> {
    await this.flush();
    await this.enqueue(async () => {
      for (const p of [...this.partitions.values()]) await this.mergeNow(p, true);
      this.applyRetentionNow();
    });
  }

  /** Resolves once every flush and merge queued so far has ended. */
  async idle(): Promise<void> {
    await this.enqueue(() => undefined);
  }

  // ---- damage ------------------------------------------------------------------------------

  /** Records a damaged block (once) and says so; `lost`: a merge left it out for good. */
  private badBlock(partition: string, part: string, b: BadBlock, lost: boolean): void {
    const reason = b.reason ?? b.message ?? 'damaged';
    const fresh = this.damage.record({
      partition: DAMAGE_PREFIX + partition,
      part,
      kind: 'block',
      seriesId: b.seriesId,
      minT: b.minT,
      maxT: b.maxT,
      reason,
      lost,
    });
    if (!fresh) return;
    this.counters.damagedBlocks++;
    this.opts.onError(
      new StorageError(
        `histogram partition ${partition}: ${lost ? 'merge dropped' : 'not serving'} a damaged block of series ${b.seriesId} (${new Date(b.minT).toISOString()} to ${new Date(b.maxT).toISOString()}): ${reason}`,
      ),
    );
  }

  /** What the store knows it cannot serve in [minT, maxT]. */
  damageIn(minT: number, maxT: number): DamageEntry[] {
    return this.damage.size === 0 ? [] : this.damage.overlapping(minT, maxT);
  }

  /** Every damaged block and quarantined part still within retention. */
  damaged(): DamageEntry[] {
    return this.damage.all;
  }

  // ---- reads -----------------------------------------------------------------------------

  /** The histogram samples of each id (each once, any order) in [minT, maxT]. */
  read(ids: readonly number[], minT: number, maxT: number): Map<number, HistogramSamples> {
    const out = new Map<number, HistogramSamples>();
    const lo = Math.max(minT, this.opts.minValidT());
    // Float-only data (the usual case) costs queries nothing here.
    if (lo > maxT || (this.active.length === 0 && this.sealed.length === 0 && this.partitions.size === 0)) return out;
    const parts: HistPart[] = [];
    for (const p of this.partitions.values()) if (p.end > lo && p.start <= maxT) parts.push(...p.parts);
    parts.sort((a, b) => a.seq - b.seq);
    const wanted = new Set(ids);
    const mem = new Map<number, { t: number; row: Uint8Array }[]>();
    for (const mt of [...this.sealed, this.active]) {
      if (mt.length === 0 || mt.maxT < lo || mt.minT > maxT) continue;
      for (let i = 0; i < mt.length; i++) {
        const id = mt.ids[i]!;
        const t = mt.ts[i]!;
        if (!wanted.has(id) || t < lo || t > maxT) continue;
        let l = mem.get(id);
        if (!l) mem.set(id, (l = []));
        l.push({ t, row: mt.row(i) });
      }
    }
    const tombstones = this.tombstones.all;
    const onBad = (part: HistPart, b: BadBlock): void => this.badBlock(basename(dirname(part.dir)), part.name, b, false);
    for (const id of ids) {
      const g = gather(parts, id, lo, maxT, tombstones, onBad);
      const extra = mem.get(id) ?? [];
      // Memtable rows get numbers after the parts' (2^40 on), so they win ties as the newest.
      for (let k = 0; k < extra.length; k++) g.buf.push(extra[k]!.t, MEM_ROW + k);
      if (g.buf.length === 0) continue;
      normalize(g.buf, this.opts.dedupIntervalMs);
      const n = g.buf.length;
      const histograms = new Array<FloatHistogram>(n);
      for (let i = 0; i < n; i++) {
        const v = g.buf.values[i]!;
        histograms[i] = readHistogramRow(v >= MEM_ROW ? extra[v - MEM_ROW]!.row : g.row(v), 0);
      }
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
    for (const mt of [...this.sealed, this.active]) {
      for (let i = 0; i < mt.length; i++) {
        const t = mt.ts[i]!;
        if (t >= lo && t <= maxT) out.add(mt.ids[i]!);
      }
    }
    return out;
  }

  // ---- deletion and retention ------------------------------------------------------------

  /** Hides the samples of `ids` in [minT, maxT] now; merges drop them. */
  async deleteRange(ids: readonly number[], minT: number, maxT: number): Promise<void> {
    if (ids.length === 0 || minT > maxT) return;
    await this.flush();
    this.tombstones.add({ seq: this.seq, minT, maxT, ids: Float64Array.from(ids).sort() });
  }

  private pruneTombstones(): void {
    if (this.tombstones.size === 0) return;
    const parts = [...this.partitions.values()].flatMap((p) => p.parts);
    this.tombstones.prune(parts.map((part) => ({ seq: part.seq, minT: part.meta.minT, maxT: part.meta.maxT })));
  }

  /** Drops partitions wholly before the retention boundary (queued behind running jobs). */
  applyRetention(): Promise<void> {
    return this.enqueue(() => this.applyRetentionNow());
  }

  private applyRetentionNow(): void {
    const minValid = this.opts.minValidT();
    for (const p of [...this.partitions.values()]) {
      if (p.end > minValid) continue;
      this.partitions.delete(p.name);
      for (const part of p.parts) part.close();
      fs.rmSync(p.dir, { recursive: true, force: true });
    }
    this.pruneTombstones();
    if (this.damage.size > 0) this.damage.retain(new Set([...this.partitions.keys()].map((k) => DAMAGE_PREFIX + k)));
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
      histogramRowsPending: this.active.length + this.sealed.reduce((n, m) => n + m.length, 0),
      histogramParts: parts,
      histogramRows: rows,
      histogramDiskBytes: bytes,
      histogramMerges: this.counters.merges,
      histogramDamagedBlocks: this.counters.damagedBlocks,
      histogramQuarantinedParts: this.counters.quarantinedParts,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    await this.idle();
    this.closed = true;
    await this.wal.close();
    for (const p of this.partitions.values()) for (const x of p.parts) x.close();
  }
}

/** The flush job of memtables `mts` (oldest first): their columns, and their row buffers as they are. */
function flushJob(dir: string, partName: string, dedupIntervalMs: number, mts: readonly HistMemtable[]): HistFlushJob {
  let count = 0;
  for (const m of mts) count += m.length;
  const ids = new Float64Array(count);
  const timestamps = new Float64Array(count);
  const buf = new Uint32Array(count);
  const start = new Uint32Array(count);
  const end = new Uint32Array(count);
  const buffers: Uint8Array[] = [];
  let k = 0;
  for (const m of mts) {
    const n = m.length;
    ids.set(m.ids.subarray(0, n), k);
    timestamps.set(m.ts.subarray(0, n), k);
    start.set(m.start.subarray(0, n), k);
    end.set(m.end.subarray(0, n), k);
    const base = buffers.length;
    for (let i = 0; i < n; i++) buf[k + i] = base + m.buf[i]!;
    buffers.push(...m.buffers);
    k += n;
  }
  return { kind: 'hist-flush', dir, partName, dedupIntervalMs, count, ids, timestamps, buffers, buf, start, end };
}
