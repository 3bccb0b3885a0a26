import * as fs from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { SeriesSamples } from '../model/index.js';
import { loadCodec } from './block-codec.js';
import { DAMAGE_FILE, type DamageEntry } from './damage.js';
import { normalize } from './dedup.js';
import { type BlockCorruptError, InvalidRowsError, PartCorruptError, StorageClosedError, StorageError } from './errors.js';
import { JobRunner } from './job-runner.js';
import type { Job } from './jobs.js';
import { MergeScheduler } from './merge-scheduler.js';
import { Memtable } from './memtable.js';
import type { Part } from './part.js';
import { MAX_STORABLE_T, MIN_STORABLE_T, PartitionSet, spanOf } from './partition.js';
import { ReadAbandonedError, SampleArena, SampleBuffer } from './samples.js';
import { TOMBSTONES_FILE, TombstoneSet, cutIntervals, intervalsFor, type Tombstone } from './tombstones.js';
import { type AppendResult, type StorageOptions, type StorageStats, validateOptions } from './options.js';
import { Wal, type WalReplayStats } from './wal.js';
import { SeriesListing } from './series-listing.js';
import { HistogramStore, type HistogramStoreStats } from './histograms/index.js';
import type { HistogramRows } from '../codec/index.js';
import type { HistogramSamples } from '../model/index.js';

export type { StorageLifecycle } from './merge-policy.js';
export type { AppendResult, SeriesTableBody, StorageOptions, StorageStats } from './options.js';

interface Sealed {
  mt: Memtable;
  /** Last WAL segment holding rows of this memtable. */
  walSeq: number;
}

const MAX_ID = 2 ** 53;
/**
 * Decode scratch shared by all reads: a part's collect() uses it only synchronously (decode, then
 * copy into the series buffer), so reads interleaving at their awaits never see each other's data.
 */
const readScratch = [new Float64Array(8192), new Float64Array(8192)];
/**
 * 2^20 rows (20 MiB of memtable): with ~100k active series a flush part then holds ~10 samples a
 * series, not ~5, and flushes and the merges after them pay their per-block cost half as often.
 */
const DEFAULT_MAX_PENDING_ROWS = 1 << 20;
const MIN_MEMTABLE_ROWS = 4096;
/** A memtable row's columns: timestamp and value (8 bytes each) and the link to the series' previous row. */
const MEMTABLE_ROW_BYTES = 20;

/**
 * part.collect with the samples under tombstones cut out: the samples one part gives a series
 * are appended in one run, so each is cut where it starts.
 */
function collectWithout(
  part: Part,
  tombs: readonly Tombstone[],
  ids: readonly number[],
  minT: number,
  maxT: number,
  bufferFor: (id: number, k: number) => SampleBuffer,
  scratch: Float64Array[],
  onBadBlock: (err: BlockCorruptError) => void,
): void {
  const seq = parseInt(part.name, 16);
  const starts = new Map<number, { k: number; from: number }>();
  part.collect(
    ids,
    minT,
    maxT,
    (id, k) => {
      const b = bufferFor(id, k);
      if (!starts.has(id)) starts.set(id, { k, from: b.length });
      return b;
    },
    scratch,
    onBadBlock,
  );
  for (const [id, { k, from }] of starts) {
    const cut = intervalsFor(tombs, id, seq);
    if (cut) cutIntervals(bufferFor(id, k), from, cut);
  }
}

/** Single-node TSDB storage: WAL → memtable → immutable columnar parts in monthly partitions. */
export class Storage {
  private active: Memtable;
  /** A flushed memtable kept for its columns, so the next one need not allocate (see newMemtable). */
  private spare: Memtable | null = null;
  /** Reads running now: a flushed memtable is recycled only when none can still be looking at it. */
  private readsInFlight = 0;
  private sealed: Sealed[] = [];
  private readonly partitions: PartitionSet;
  private readonly merges: MergeScheduler;
  /** Flushes and merges get a thread each, so a long merge never holds up a flush. */
  private readonly flushRunner: JobRunner;
  private readonly mergeRunner: JobRunner;
  private readonly dataDir: string;
  private wal!: Wal;
  /** Native histogram samples: storage/histograms/, beside the float parts. */
  private histograms!: HistogramStore;
  private replay!: WalReplayStats;
  private readonly tombstones: TombstoneSet;
  /** Series whose labels a live part of their partition lists already: flushes list only the others. */
  private readonly listing = new SeriesListing();
  private partSeq = 1;
  private flushing: Promise<void> | null = null;
  private flushQueued: Promise<void> | null = null;
  private closed = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly maxPendingRows: number;
  private readonly now: () => number;
  private readonly report: (err: Error) => void;
  private readonly counters = {
    rowsIngested: 0,
    rowsDropped: 0,
    flushes: 0,
    flushSeconds: 0,
    errors: 0,
  };

  private constructor(private readonly opts: StorageOptions) {
    this.dataDir = join(opts.dataPath, 'data');
    this.maxPendingRows = opts.maxPendingRows ?? DEFAULT_MAX_PENDING_ROWS;
    this.now = opts.now ?? Date.now;
    this.report = opts.onError ?? ((e) => console.error(`[storage] ${e.message}`));
    this.flushRunner = new JobRunner(opts.useWorker ?? true, opts.workerUrl);
    this.mergeRunner = new JobRunner(opts.useWorker ?? true, opts.workerUrl);
    this.active = this.newMemtable(MIN_MEMTABLE_ROWS);
    fs.mkdirSync(this.dataDir, { recursive: true });
    this.partitions = new PartitionSet(this.dataDir, this.report);
    this.tombstones = TombstoneSet.load(this.dataDir);
    this.merges = new MergeScheduler({
      partitions: this.partitions,
      tombstones: this.tombstones,
      runner: this.mergeRunner,
      dedupIntervalMs: opts.dedupIntervalMs,
      lifecycle: opts.lifecycle,
      isDeleted: opts.isDeleted,
      anyDeleted: opts.anyDeleted,
      now: this.now,
      minValidT: () => this.minValidT(),
      nextPartName: () => this.nextPartName(),
      flushRunning: () => this.flushing !== null,
      closed: () => this.closed,
    });
  }

  /**
   * Sized like the memtable it follows (up to maxPendingRows), so a steady writer does not regrow
   * its columns by doubling after every flush: the same few allocation sizes recur, which the
   * allocator reuses instead of fragmenting its heap.
   */
  private newMemtable(rowsHint: number): Memtable {
    let cap = MIN_MEMTABLE_ROWS;
    const want = Math.min(rowsHint, this.maxPendingRows);
    while (cap < want) cap *= 2;
    const spare = this.spare;
    this.spare = null;
    if (spare && spare.capacity >= cap && spare.capacity <= Math.max(cap, this.maxPendingRows)) return spare;
    return new Memtable(cap, this.flushRunner.inWorker);
  }

  static async open(opts: StorageOptions): Promise<Storage> {
    validateOptions(opts);
    await loadCodec();
    const s = new Storage(opts);
    s.partSeq = s.partitions.load(opts.verifyPartsOnOpen ?? false);
    s.pruneTombstones();
    const { wal, replay } = Wal.open(
      {
        dir: join(opts.dataPath, 'wal'),
        fsync: opts.walFsync,
        fsyncIntervalMs: opts.walFsyncIntervalMs,
        ...(opts.walArchive ? { archive: (path: string, seq: number) => opts.walArchive!(path, seq, 'samples') } : {}),
      },
      (ids, ts, vs, n) => s.active.append(ids, ts, vs, 0, n),
    );
    s.wal = wal;
    s.replay = replay;
    s.histograms = HistogramStore.open({
      dir: join(s.dataDir, 'histograms'),
      walDir: join(opts.dataPath, 'wal-histograms'),
      walFsync: opts.walFsync,
      walFsyncIntervalMs: opts.walFsyncIntervalMs,
      ...(opts.walArchive ? { walArchive: (path: string, seq: number) => opts.walArchive!(path, seq, 'histograms') } : {}),
      flushIntervalMs: opts.flushIntervalMs,
      dedupIntervalMs: opts.dedupIntervalMs,
      minValidT: () => s.minValidT(),
      now: s.now,
      ...(opts.isDeleted ? { isDeleted: opts.isDeleted } : {}),
      ...(opts.lifecycle ? { lifecycleRules: (ids: readonly number[], now: number) => opts.lifecycle!.rulesFor(ids, now) } : {}),
      onError: (e) => {
        s.counters.errors++;
        s.report(e);
      },
      runFlush: async (job) => (await s.flushRunner.run(job)).hist!,
      runMerge: async (job) => (await s.mergeRunner.run(job)).hist!,
    });
    s.flushTimer = setInterval(() => s.tick(), Math.max(10, opts.flushIntervalMs));
    s.flushTimer.unref();
    return s;
  }

  // ---- ingestion -------------------------------------------------------------------------

  private minValidT(): number {
    const r = this.opts.retentionMs;
    return r > 0 && Number.isFinite(r) ? this.now() - r : -Infinity;
  }

  /**
   * Timestamps an append takes now, [lo, hi]: rows before lo are out of retention, rows after hi
   * are too far in the future (or past what a partition can be named for). Callers that index
   * rows before appending them filter with the same bounds.
   */
  acceptedRange(): { lo: number; hi: number } {
    const ahead = this.opts.maxFutureMs;
    const hi = ahead !== undefined && Number.isFinite(ahead) ? Math.min(MAX_STORABLE_T, this.now() + ahead) : MAX_STORABLE_T;
    return { lo: Math.max(MIN_STORABLE_T, this.minValidT()), hi };
  }

  async append(ids: Float64Array, timestamps: Float64Array, values: Float64Array, count: number): Promise<AppendResult> {
    if (this.closed) throw new StorageClosedError('storage is closed');
    if (!Number.isInteger(count) || count < 0 || count > ids.length || count > timestamps.length || count > values.length) {
      throw new InvalidRowsError(`append: count ${count} does not fit arrays of ${ids.length}/${timestamps.length}/${values.length} rows`);
    }
    const { lo, hi } = this.acceptedRange();
    let old = 0;
    let ahead = 0;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      const t = timestamps[i]!;
      if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new InvalidRowsError(`append: row ${i} has series id ${id}, want an integer in [0, 2^53]`);
      if (!Number.isInteger(t)) throw new InvalidRowsError(`append: row ${i} has timestamp ${t}, want integer milliseconds`);
      if (t < lo) old++;
      else if (t > hi) ahead++;
    }
    let [ri, rt, rv, n] = [ids, timestamps, values, count];
    if (old + ahead > 0) {
      n = count - old - ahead;
      ri = new Float64Array(n);
      rt = new Float64Array(n);
      rv = new Float64Array(n);
      for (let i = 0, k = 0; i < count; i++) {
        const t = timestamps[i]!;
        if (t < lo || t > hi) continue;
        ri[k] = ids[i]!;
        rt[k] = t;
        rv[k] = values[i]!;
        k++;
      }
      this.counters.rowsDropped += old + ahead;
    }
    if (n > 0) {
      // A memtable is sealed before it would outgrow maxPendingRows, not after: growing it would
      // copy every row into columns twice the size, and the next memtable could not reuse them.
      if (this.active.length > 0 && this.active.length + n > this.maxPendingRows) {
        this.sealActive();
        if (!this.flushing) this.background(this.flush());
      }
      this.wal.append(ri, rt, rv, 0, n);
      this.active.append(ri, rt, rv, 0, n);
      this.counters.rowsIngested += n;
      if (this.active.length >= this.maxPendingRows) this.background(this.flush());
    }
    await this.wal.committed();
    // Backpressure: when flushes fall behind, writers wait rather than grow memtables without
    // bound. The rows above are already durable and visible; only the acknowledgement waits.
    while (this.flushing && this.pendingRows() >= 2 * this.maxPendingRows && !this.closed) {
      await this.flushing.catch(() => {});
    }
    return { stored: n, droppedOutOfRetention: old, droppedOutOfBounds: ahead };
  }

  /**
   * Stores native histogram samples: series ids[i] at ts[i] gets row rowNumbers[i] of `rows`.
   * Same checks and retention/bounds handling as append().
   */
  async appendHistograms(ids: Float64Array, timestamps: Float64Array, rowNumbers: Float64Array, count: number, rows: HistogramRows): Promise<AppendResult> {
    if (this.closed) throw new StorageClosedError('storage is closed');
    const { lo, hi } = this.acceptedRange();
    const keep: number[] = [];
    let old = 0;
    let ahead = 0;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      const t = timestamps[i]!;
      const r = rowNumbers[i]!;
      if (!Number.isInteger(id) || id < 0 || id > MAX_ID)
        throw new InvalidRowsError(`appendHistograms: row ${i} has series id ${id}, want an integer in [0, 2^53]`);
      if (!Number.isInteger(t)) throw new InvalidRowsError(`appendHistograms: row ${i} has timestamp ${t}, want integer milliseconds`);
      if (!Number.isInteger(r) || r < 0 || r >= rows.count) throw new InvalidRowsError(`appendHistograms: row ${i} names histogram ${r} of ${rows.count}`);
      if (t < lo) old++;
      else if (t > hi) ahead++;
      else keep.push(i);
    }
    const n = keep.length;
    if (n > 0) {
      const pick = (col: Float64Array): Float64Array => (n === count ? col : Float64Array.from(keep, (i) => col[i]!));
      this.histograms.append(pick(ids), pick(timestamps), pick(rowNumbers), n, rows);
    }
    this.counters.rowsDropped += old + ahead;
    await this.histograms.committed();
    return { stored: n, droppedOutOfRetention: old, droppedOutOfBounds: ahead };
  }

  /** The native histogram samples of each id in [minT, maxT], sorted, one per timestamp. */
  readHistograms(ids: readonly number[], minT: number, maxT: number): Map<number, HistogramSamples> {
    if (this.closed) throw new StorageClosedError('storage is closed');
    return this.histograms.read(ids, minT, maxT);
  }

  histogramStats(): HistogramStoreStats {
    return this.histograms.stats();
  }

  // ---- reads -----------------------------------------------------------------------------

  /**
   * The samples of each id in [minT, maxT], sorted, deduplicated. The arrays are views of
   * `arena` when one is given (else of memory of their own); a pooled arena's owner releases it
   * once the results are no longer read, and a read still running then fails instead of writing
   * into slabs that another read may already use.
   */
  async read(ids: readonly number[], minT: number, maxT: number, arena?: SampleArena, lastOnly = false): Promise<Map<number, SeriesSamples>> {
    if (this.closed) throw new StorageClosedError('storage is closed');
    if (Number.isNaN(minT) || Number.isNaN(maxT)) throw new StorageError('read: minT and maxT must be numbers');
    let sorted = ids;
    for (let i = 1; i < ids.length; i++) {
      if (ids[i]! <= ids[i - 1]!) {
        sorted = [...new Set(ids)].sort((a, b) => a - b);
        break;
      }
    }
    const lo = Math.max(minT, this.minValidT());
    for (let attempt = 0; ; attempt++) {
      try {
        this.readsInFlight++;
        try {
          return await this.readOnce(sorted, lo, maxT, arena, lastOnly && this.opts.dedupIntervalMs === 0);
        } finally {
          this.readsInFlight--;
        }
      } catch (e) {
        // A part found corrupt mid-read has been quarantined; read again without it.
        if (!(e instanceof PartCorruptError) || attempt >= 3) throw e;
      }
    }
  }

  private async readOnce(ids: readonly number[], minT: number, maxT: number, given?: SampleArena, lastOnly = false): Promise<Map<number, SeriesSamples>> {
    const result = new Map<number, SeriesSamples>();
    if (ids.length === 0 || minT > maxT) return result;
    // Snapshot: the part lists and memtables as they are now. Merges may replace parts meanwhile;
    // the refs keep the old ones readable until we are done.
    const snapshot: { partition: string; part: Part }[] = [];
    for (const p of this.partitions.overlapping(minT, maxT)) {
      for (const part of p.parts) {
        part.ref();
        snapshot.push({ partition: p.name, part });
      }
    }
    const memtables = [...this.sealed.map((s) => s.mt), this.active];
    // By position in ids (ascending, each once): parts and memtables hand the position over.
    const bufs = new Array<SampleBuffer | undefined>(ids.length);
    // The results are views of a few arena slabs, sized to what this read turns out to hold.
    const arena = given ?? new SampleArena(Math.min(1 << 16, Math.max(256, ids.length * 64)));
    if (arena.released) throw new ReadAbandonedError();
    const bufferFor = (_id: number, k: number): SampleBuffer => (bufs[k] ??= new SampleBuffer(0, arena));
    const scratch = readScratch;
    try {
      let last = performance.now();
      for (const { partition, part } of snapshot) {
        try {
          const tombs = this.tombstones.over(spanOf(part));
          const onBadBlock = (e: BlockCorruptError) => this.partitions.badBlock(partition, part.name, e, false);
          if (tombs.length === 0) part.collect(ids, minT, maxT, bufferFor, scratch, onBadBlock, lastOnly);
          else collectWithout(part, tombs, ids, minT, maxT, bufferFor, scratch, onBadBlock);
        } catch (e) {
          if (e instanceof PartCorruptError) this.partitions.dropCorruptPart(partition, part, e);
          throw e;
        }
        if (performance.now() - last > 20) {
          await yieldToLoop();
          if (arena.released) throw new ReadAbandonedError();
          last = performance.now();
        }
      }
    } finally {
      for (const { part } of snapshot) part.unref();
    }
    for (const mt of memtables) {
      if (mt.maxT < minT || mt.minT > maxT) continue;
      for (let k = 0; k < ids.length; k++) {
        const id = ids[k]!;
        if (mt.has(id)) mt.collect(id, minT, maxT, bufferFor(id, k));
      }
    }
    for (let k = 0; k < ids.length; k++) {
      const b = bufs[k];
      if (!b || b.length === 0) continue;
      normalize(b, this.opts.dedupIntervalMs);
      result.set(ids[k]!, b.snapshot());
    }
    return result;
  }

  /** Ids that have any sample in [minT, maxT], ascending. */
  async seriesIdsInRange(minT: number, maxT: number): Promise<number[]> {
    if (this.closed) throw new StorageClosedError('storage is closed');
    const lo = Math.max(minT, this.minValidT());
    const out = new Set<number>();
    for (const s of this.sealed) s.mt.idsInRange(lo, maxT, out);
    this.active.idsInRange(lo, maxT, out);
    for (const p of this.partitions.overlapping(lo, maxT)) {
      for (const part of [...p.parts]) {
        part.ref();
        try {
          part.idsInRange(lo, maxT, out);
        } finally {
          part.unref();
        }
        await yieldToLoop();
      }
    }
    for (const id of this.histograms.seriesIdsInRange(lo, maxT)) out.add(id);
    return [...out].sort((a, b) => a - b);
  }

  /** What storage knows it cannot serve in [minT, maxT] (for query warnings). */
  damageIn(minT: number, maxT: number): DamageEntry[] {
    return [...this.partitions.damageIn(minT, maxT), ...this.histograms.damageIn(minT, maxT)];
  }

  /** Every damaged block and quarantined part still within retention. */
  damaged(): DamageEntry[] {
    return [...this.partitions.damage.all, ...this.histograms.damaged()];
  }

  /**
   * Recomputes the checksums of every live part's files (for `strata verify`); corrupt parts are
   * quarantined as on open. Returns what was checked and what was taken out of service.
   */
  async verifyParts(): Promise<{ checked: number; quarantined: string[] }> {
    if (this.closed) throw new StorageClosedError('storage is closed');
    return this.partitions.verifyParts();
  }

  /**
   * Hard-links every file of every live part under `destDataDir/<partition>/<part>/`, writes each
   * partition's manifest there and copies the tombstones and damage log; returns the paths made,
   * relative to `destDataDir`. Runs without yielding: merges install their output and delete
   * retired parts, and retention drops partitions, only on this thread, so the set linked is
   * exactly one moment's manifests and no file can vanish between reading a manifest and linking
   * its parts.
   */
  linkLiveParts(destDataDir: string): string[] {
    if (this.closed) throw new StorageClosedError('storage is closed');
    const made = this.partitions.linkLiveParts(destDataDir);
    for (const rel of this.histograms.liveParts()) {
      const src = join(join(this.dataDir, 'histograms'), rel);
      const partDest = join(destDataDir, 'histograms', rel);
      fs.mkdirSync(partDest, { recursive: true });
      for (const f of fs.readdirSync(src)) {
        fs.linkSync(join(src, f), join(partDest, f));
        made.push(`histograms/${rel}/${f}`);
      }
    }
    for (const f of [TOMBSTONES_FILE, DAMAGE_FILE]) {
      if (!fs.existsSync(join(this.dataDir, 'histograms', f))) continue;
      fs.mkdirSync(join(destDataDir, 'histograms'), { recursive: true });
      fs.copyFileSync(join(this.dataDir, 'histograms', f), join(destDataDir, 'histograms', f));
      made.push(`histograms/${f}`);
    }
    return made;
  }

  // ---- flush -----------------------------------------------------------------------------

  private tick(): void {
    this.background(this.flush());
    this.background(this.applyRetention());
    this.background(this.merges.applyLifecycle());
  }

  private background(p: Promise<unknown>): void {
    p.catch((e: unknown) => {
      this.counters.errors++;
      this.report(e instanceof Error ? e : new Error(String(e)));
    });
  }

  /** Writes everything in memtables to parts; returns when they are in the manifests. */
  async forceFlush(): Promise<void> {
    await Promise.all([this.histograms.flush(), this.flush()]);
  }

  /**
   * One flush runs at a time. Callers arriving meanwhile share a single follow-up flush, which
   * starts when the running one ends and so covers every row appended before they called.
   */
  private flush(): Promise<void> {
    if (!this.flushing) {
      const run = this.flushAll().finally(() => {
        this.flushing = null;
        // A memtable sealed by append() after the loop of flushAll looked last.
        if (this.sealed.length > 0 && !this.closed && !this.flushQueued) this.background(this.flush());
      });
      this.flushing = run;
      return run;
    }
    this.flushQueued ??= this.flushing
      .catch(() => {})
      .then(() => {
        this.flushQueued = null;
        return this.flush();
      });
    return this.flushQueued;
  }

  /** Hands the active memtable to the flush queue; its rows' WAL segments are closed with it. */
  private sealActive(): void {
    const walSeq = this.wal.rotate();
    this.sealed.push({ mt: this.active, walSeq });
    // Sized by the columns it had, not the rows: a timer flush of a half-full memtable must not
    // make the next one regrow by doubling while a steady writer fills it.
    this.active = this.newMemtable(Math.max(this.active.length, this.active.capacity));
  }

  private async flushAll(): Promise<void> {
    if (this.active.length > 0) this.sealActive();
    while (this.sealed.length > 0) {
      const s = this.sealed[0]!;
      const started = performance.now();
      const partName = this.nextPartName();
      const job: Job = {
        kind: 'flush',
        dataDir: this.dataDir,
        partName,
        ...s.mt.chains(this.flushRunner.inWorker),
        count: s.mt.length,
        dedupIntervalMs: this.opts.dedupIntervalMs,
      };
      let listed: { ids: Float64Array; partition: string | null; lost: number } | null = null;
      if (this.opts.seriesLabels) {
        const lost = this.partitions.seriesTablesLost;
        const want = this.listing.toList(job.seriesIds, s.mt.minT, s.mt.maxT, lost);
        const table = this.opts.seriesLabels(want.ids);
        job.labels = table.body;
        if (table.complete) listed = { ...want, lost };
      }
      const result = await this.flushRunner.run(job);
      this.partitions.install(result, []);
      if (listed?.partition) this.listing.listed(listed.partition, listed.ids, listed.lost);
      this.sealed.shift();
      // Reads take their list of memtables when they start and may still be walking this one.
      if (this.readsInFlight === 0) {
        s.mt.reset();
        this.spare = s.mt;
      }
      this.wal.dropThrough(s.walSeq);
      this.counters.flushes++;
      this.counters.flushSeconds += (performance.now() - started) / 1000;
    }
    this.releaseIdleColumns();
    this.background(this.merges.maybeMerge());
  }

  /**
   * A burst leaves the active memtable and the spare with the columns it needed (up to
   * maxPendingRows rows of 20 bytes: 40 MiB at the default), which newMemtable keeps reusing.
   * A flush that ends with no new row means writes have paused: go back to the smallest columns
   * instead of holding the burst's while idle; the next burst regrows them.
   */
  private releaseIdleColumns(): void {
    if (this.active.length > 0 || this.sealed.length > 0) return;
    this.spare = null;
    if (this.active.capacity > MIN_MEMTABLE_ROWS) this.active = new Memtable(MIN_MEMTABLE_ROWS, this.flushRunner.inWorker);
  }

  private nextPartName(): string {
    return (this.partSeq++).toString(16).padStart(16, '0');
  }

  // ---- ranged deletion -------------------------------------------------------------------

  /**
   * Hides the samples of `ids` within [minT, maxT] from now on, and has merges drop them. Rows
   * acknowledged before the call are flushed first, so the tombstone covers exactly the parts
   * that exist when it is made; samples written afterwards stay visible.
   */
  async deleteRange(ids: readonly number[], minT: number, maxT: number): Promise<void> {
    if (this.closed) throw new StorageClosedError('storage is closed');
    if (ids.length === 0 || minT > maxT) return;
    await this.flush();
    this.tombstones.add({ seq: this.partSeq, minT, maxT, ids: Float64Array.from(ids).sort() });
    await this.histograms.deleteRange(ids, minT, maxT);
  }

  /** Drops tombstones no live part lies under any more (merged away, or dropped by retention). */
  private pruneTombstones(): void {
    if (this.tombstones.size > 0) this.tombstones.prune(this.partitions.allParts().map(spanOf));
  }

  /** Resolves once no flush or merge is running (background work included). */
  async whenIdle(): Promise<void> {
    while (this.flushing || this.merges.merging) {
      await this.flushing?.catch(() => {});
      await this.merges.idle();
    }
    await this.histograms.idle();
  }

  /** Flushes, then merges every partition down to one part, applying dedup, retention and tombstones. */
  async forceMerge(): Promise<void> {
    if (this.closed) throw new StorageClosedError('storage is closed');
    await this.flush();
    await this.merges.forceMerge();
    await this.histograms.forceMerge();
  }

  // ---- retention -------------------------------------------------------------------------

  /** Drops whole partitions that lie entirely before the retention boundary. */
  private async applyRetention(): Promise<void> {
    this.partitions.dropBefore(this.minValidT());
  }

  // ---- stats and lifecycle ---------------------------------------------------------------

  private pendingRows(): number {
    let n = this.active.length;
    for (const x of this.sealed) n += x.mt.length;
    return n;
  }

  stats(): StorageStats {
    const { rowsByPartType, partsByType, diskBytes } = this.partitions.totals();
    const pending = this.pendingRows();
    const c = this.counters;
    const m = this.merges.counters;
    return {
      rowsIngested: c.rowsIngested,
      rowsDroppedOutOfRetention: c.rowsDropped,
      pendingRows: pending,
      memtableBytes: [this.active, this.spare, ...this.sealed.map((m) => m.mt)].reduce((n, m) => n + (m ? m.capacity * MEMTABLE_ROW_BYTES : 0), 0),
      rowsByPartType,
      partsByType,
      partitions: this.partitions.size,
      diskBytes,
      flushesTotal: c.flushes,
      flushDurationSecondsTotal: c.flushSeconds,
      mergesTotal: m.merges,
      mergeDurationSecondsTotal: m.mergeSeconds,
      lastMergeDurationSeconds: m.lastMergeSeconds,
      mergedRowsTotal: m.mergedRows,
      walBytes: this.wal.bytes,
      walSegments: this.wal.segments,
      walReplayedRows: this.replay.rows,
      walTruncatedBytes: this.replay.truncatedBytes,
      quarantinedParts: this.partitions.quarantinedParts + this.histograms.stats().histogramQuarantinedParts,
      damagedBlocks: this.partitions.damagedBlocks + this.histograms.stats().histogramDamagedBlocks,
      backgroundErrorsTotal: c.errors,
      mergesInWorker: this.mergeRunner.inWorker,
    };
  }

  /** Flushes the memtable to a part, waits for a running merge, stops the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flush();
    this.closed = true;
    await this.merges.idle();
    await this.histograms.close();
    await this.flushRunner.close();
    await this.mergeRunner.close();
    await this.wal.close();
    this.partitions.retireAll();
  }
}
