import * as fs from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { SeriesSamples } from '../model/index.js';
import { loadCodec } from './block-codec.js';
import { type BlockCorruptError, InvalidRowsError, PartCorruptError, StorageClosedError, StorageError } from './errors.js';
import { DAMAGE_FILE, DamageLog, type DamageEntry } from './damage.js';
import { JobRunner } from './job-runner.js';
import { type Job, type JobResult, tmpName } from './jobs.js';
import { MANIFEST, readManifest, writeManifest } from './manifest.js';
import { Memtable } from './memtable.js';
import { Part } from './part.js';
import { MAX_STORABLE_T, MIN_STORABLE_T, PARTITION_RE, partitionRange, type PartType } from './part-format.js';
import { ReadAbandonedError, SampleArena, SampleBuffer, normalize } from './samples.js';
import { TOMBSTONES_FILE, TombstoneSet, cutIntervals, intervalsFor, type Tombstone } from './tombstones.js';
import type { MergeRules } from './downsample.js';
import { Wal, type WalFsync, type WalReplayStats } from './wal.js';
import { HistogramStore, type HistogramStoreStats } from './histograms/index.js';
import type { HistogramRows } from '../codec/histogram-row.js';
import type { HistogramSamples } from '../model/histogram.js';

export interface StorageOptions {
  /** `<data>`; storage owns `<data>/wal` and `<data>/data`. */
  dataPath: string;
  /** Samples older than now - retention are dropped (on append: rejected and counted). 0 or Infinity: keep forever. */
  retentionMs: number;
  /** `--dedup.minScrapeInterval` in ms; 0 = off. */
  dedupIntervalMs: number;
  /** Memtable → part every this many ms (default 5000). */
  flushIntervalMs: number;
  walFsync: WalFsync;
  walFsyncIntervalMs: number;
  /** Tombstones from the label index, applied by merges. */
  isDeleted?: (id: number) => boolean;
  /**
   * Whether there is any tombstone at all. False spares merges reading every input part's series
   * ids on the main thread to look them up, and lets force_merge leave a lone clean part alone.
   */
  anyDeleted?: () => boolean;
  /**
   * Memtable rows that trigger a flush before the interval (default 2^19: 14 MB of columns). The
   * memtable's size follows the ingestion rate, not the series count, so it is kept small: a
   * fast writer makes more small parts, which merges fold together anyway.
   */
  maxPendingRows?: number;
  /** Run flushes and merges on a worker thread when the compiled worker exists (default true). */
  useWorker?: boolean;
  /**
   * Check every part's column-file checksums at open (default false: index files only; blocks
   * are still checked one by one as they are read). Full checks read the whole data set.
   */
  verifyPartsOnOpen?: boolean;
  /** Location of the compiled merge worker, when not next to this module (tests from sources). */
  workerUrl?: URL;
  /** Where background errors and quarantined parts are reported (default console.error). */
  onError?: (err: Error) => void;
  /**
   * Rows more than this many ms ahead of now are refused (default: none beyond the storable
   * range). `--futureTimestampLimit`.
   */
  maxFutureMs?: number;
  /** Per-series retention filters and downsampling, applied by merges (none by default). */
  lifecycle?: StorageLifecycle;
  /** Offered each WAL segment once its rows are in parts (see WalOptions.archive). */
  walArchive?: (path: string, seq: number) => boolean;
  /** Clock, for tests of retention. */
  now?: () => number;
}

/** What storage needs to apply per-series lifecycle rules without knowing labels. */
export interface StorageLifecycle {
  /** The rules for a merge over these series, with ages turned into cutoffs from `now`. */
  rulesFor(ids: readonly number[], now: number): MergeRules;
  /**
   * The ages (ms) at which data crosses a rule (each downsampling offset, each filter's
   * retention): a part holding data that crossed one since its last merge is merged again.
   */
  readonly thresholdsMs: readonly number[];
  /** Identifies the configuration; a part merged under another one is merged again. */
  readonly signature: string;
}

/** A partition is re-merged for crossed lifecycle thresholds at most this often. */
const REMERGE_GAP_MS = 3_600_000;
/** How often partitions are checked for data that crossed a lifecycle threshold. */
const LIFECYCLE_CHECK_MS = 60_000;

export interface AppendResult {
  stored: number;
  droppedOutOfRetention: number;
  /** Rows past now + maxFutureMs or outside the storable range. */
  droppedOutOfBounds: number;
}

export interface StorageStats {
  rowsIngested: number;
  rowsDroppedOutOfRetention: number;
  /** Rows in memtables, not yet in parts. */
  pendingRows: number;
  rowsByPartType: Record<PartType, number>;
  partsByType: Record<PartType, number>;
  partitions: number;
  diskBytes: number;
  flushesTotal: number;
  flushDurationSecondsTotal: number;
  mergesTotal: number;
  mergeDurationSecondsTotal: number;
  lastMergeDurationSeconds: number;
  mergedRowsTotal: number;
  walBytes: number;
  walSegments: number;
  walReplayedRows: number;
  walTruncatedBytes: number;
  quarantinedParts: number;
  /** Damaged blocks found since start (skipped by reads, dropped by merges). */
  damagedBlocks: number;
  backgroundErrorsTotal: number;
  mergesInWorker: boolean;
}

interface Partition {
  name: string;
  dir: string;
  start: number;
  end: number;
  /** Live parts, oldest data first; replaced (never mutated) so readers can hold on to one. */
  parts: readonly Part[];
}

interface Sealed {
  mt: Memtable;
  /** Last WAL segment holding rows of this memtable. */
  walSeq: number;
}

const MIN_FAN_IN = 4;
const MAX_FAN_IN = 8;
/** Above this many parts in a partition, merges take any window to bring the count down. */
const MAX_PARTS = 24;
const MAX_ID = 2 ** 53;
/**
 * Merges whose inputs hold fewer rows than this write without deflate: their output is merged
 * again soon (zlib cost ~25 µs a block, as much CPU as the rest of such a merge). Bigger merges,
 * and every force_merge, deflate. VictoriaMetrics likewise picks its zstd level by part size.
 */
const DEFLATE_MIN_MERGE_ROWS = 8 << 20;
/**
 * Decode scratch shared by all reads: a part's collect() uses it only synchronously (decode, then
 * copy into the series buffer), so reads interleaving at their awaits never see each other's data.
 */
const readScratch = [new Float64Array(8192), new Float64Array(8192)];
const DEFAULT_MAX_PENDING_ROWS = 1 << 19;
const MIN_MEMTABLE_ROWS = 4096;

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
  bufferFor: (id: number) => SampleBuffer,
  scratch: Float64Array[],
  onBadBlock: (err: BlockCorruptError) => void,
): void {
  const seq = parseInt(part.name, 16);
  const starts = new Map<number, number>();
  part.collect(ids, minT, maxT, (id) => {
    const b = bufferFor(id);
    if (!starts.has(id)) starts.set(id, b.length);
    return b;
  }, scratch, onBadBlock);
  for (const [id, from] of starts) {
    const cut = intervalsFor(tombs, id, seq);
    if (cut) cutIntervals(bufferFor(id), from, cut);
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
  private readonly partitions = new Map<string, Partition>();
  /** Flushes and merges get a thread each, so a long merge never holds up a flush. */
  private readonly flushRunner: JobRunner;
  private readonly mergeRunner: JobRunner;
  private readonly dataDir: string;
  private readonly quarantineDir: string;
  private wal!: Wal;
  /** Native histogram samples: storage/histograms/, beside the float parts. */
  private histograms!: HistogramStore;
  private replay!: WalReplayStats;
  private tombstones!: TombstoneSet;
  private damage!: DamageLog;
  private partSeq = 1;
  private flushing: Promise<void> | null = null;
  private flushQueued: Promise<void> | null = null;
  private merging: Promise<void> | null = null;
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
    merges: 0,
    mergeSeconds: 0,
    lastMergeSeconds: 0,
    mergedRows: 0,
    quarantined: 0,
    badBlocks: 0,
    errors: 0,
  };

  private constructor(private readonly opts: StorageOptions) {
    this.dataDir = join(opts.dataPath, 'data');
    this.quarantineDir = join(opts.dataPath, 'data', 'quarantine');
    this.maxPendingRows = opts.maxPendingRows ?? DEFAULT_MAX_PENDING_ROWS;
    this.now = opts.now ?? Date.now;
    this.report = opts.onError ?? ((e) => console.error(`[storage] ${e.message}`));
    this.flushRunner = new JobRunner(opts.useWorker ?? true, opts.workerUrl);
    this.mergeRunner = new JobRunner(opts.useWorker ?? true, opts.workerUrl);
    this.active = this.newMemtable(MIN_MEMTABLE_ROWS);
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
    if (spare && spare.capacity === cap) return spare;
    return new Memtable(cap, this.flushRunner.inWorker);
  }

  static async open(opts: StorageOptions): Promise<Storage> {
    validateOptions(opts);
    await loadCodec();
    const s = new Storage(opts);
    fs.mkdirSync(s.dataDir, { recursive: true });
    s.damage = DamageLog.load(s.dataDir);
    s.loadPartitions();
    s.tombstones = TombstoneSet.load(s.dataDir);
    s.pruneTombstones();
    const { wal, replay } = Wal.open(
      { dir: join(opts.dataPath, 'wal'), fsync: opts.walFsync, fsyncIntervalMs: opts.walFsyncIntervalMs, ...(opts.walArchive ? { archive: opts.walArchive } : {}) },
      (ids, ts, vs, n) => s.active.append(ids, ts, vs, 0, n),
    );
    s.wal = wal;
    s.replay = replay;
    s.histograms = HistogramStore.open({
      dir: join(s.dataDir, 'histograms'),
      walDir: join(opts.dataPath, 'wal-histograms'),
      walFsync: opts.walFsync,
      walFsyncIntervalMs: opts.walFsyncIntervalMs,
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
    });
    s.flushTimer = setInterval(() => s.tick(), Math.max(10, opts.flushIntervalMs));
    s.flushTimer.unref();
    return s;
  }

  // ---- startup ---------------------------------------------------------------------------

  private loadPartitions(): void {
    for (const name of fs.readdirSync(this.dataDir)) {
      if (!PARTITION_RE.test(name)) continue;
      const dir = join(this.dataDir, name);
      const [start, end] = partitionRange(name);
      const manifest = readManifest(dir);
      const listed = manifest?.parts ?? [];
      const parts: Part[] = [];
      for (const pn of listed) {
        try {
          parts.push(Part.open(join(dir, pn), pn, { verifyData: this.opts.verifyPartsOnOpen ?? false }));
        } catch (e) {
          if (!(e instanceof PartCorruptError)) throw e;
          this.quarantine(name, pn, e);
        }
        const seq = parseInt(pn, 16);
        if (seq >= this.partSeq) this.partSeq = seq + 1;
      }
      // Anything else in the directory is a leftover of an interrupted flush or merge.
      const keep = new Set(parts.map((p) => p.name));
      for (const entry of fs.readdirSync(dir)) {
        if (entry === MANIFEST || keep.has(entry)) continue;
        fs.rmSync(join(dir, entry), { recursive: true, force: true });
        if (/^[0-9a-f]{16}$/.test(entry)) this.partSeq = Math.max(this.partSeq, parseInt(entry, 16) + 1);
      }
      if (parts.length !== listed.length) writeManifest(dir, parts.map((p) => p.name));
      this.partitions.set(name, { name, dir, start, end, parts });
    }
  }

  /** Moves a bad part out of the way (kept for inspection) and says so. */
  private quarantine(partition: string, partName: string, err: PartCorruptError, range?: { minT: number; maxT: number }): void {
    this.counters.quarantined++;
    // Without readable metadata the part's time range is unknown: its whole month is suspect.
    const [start, end] = partitionRange(partition);
    this.damage.record({ partition, part: partName, kind: 'part', seriesId: null, minT: range?.minT ?? start, maxT: range?.maxT ?? end - 1, reason: err.message, lost: false });
    fs.mkdirSync(this.quarantineDir, { recursive: true });
    const dest = join(this.quarantineDir, `${partition}_${partName}_${Date.now()}`);
    try {
      fs.renameSync(join(this.dataDir, partition, partName), dest);
    } catch {
      // Already gone: nothing left to move.
    }
    this.report(new StorageError(`${err.message}; quarantined to ${dest} and no longer served`));
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
      if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new InvalidRowsError(`appendHistograms: row ${i} has series id ${id}, want an integer in [0, 2^53]`);
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
   * into chunks that another read may already use.
   */
  async read(ids: readonly number[], minT: number, maxT: number, arena?: SampleArena): Promise<Map<number, SeriesSamples>> {
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
          return await this.readOnce(sorted, lo, maxT, arena);
        } finally {
          this.readsInFlight--;
        }
      } catch (e) {
        // A part found corrupt mid-read has been quarantined; read again without it.
        if (!(e instanceof PartCorruptError) || attempt >= 3) throw e;
      }
    }
  }

  private async readOnce(ids: readonly number[], minT: number, maxT: number, given?: SampleArena): Promise<Map<number, SeriesSamples>> {
    const result = new Map<number, SeriesSamples>();
    if (ids.length === 0 || minT > maxT) return result;
    // Snapshot: the part lists and memtables as they are now. Merges may replace parts meanwhile;
    // the refs keep the old ones readable until we are done.
    const snapshot: { partition: string; part: Part }[] = [];
    for (const p of this.partitions.values()) {
      if (p.end <= minT || p.start > maxT) continue;
      for (const part of p.parts) {
        part.ref();
        snapshot.push({ partition: p.name, part });
      }
    }
    const memtables = [...this.sealed.map((s) => s.mt), this.active];
    const bufs = new Map<number, SampleBuffer>();
    // The results are views of a few arena chunks, sized to what this read turns out to hold.
    const arena = given ?? new SampleArena(Math.min(1 << 16, Math.max(256, ids.length * 64)));
    if (arena.released) throw new ReadAbandonedError();
    const bufferFor = (id: number): SampleBuffer => {
      let b = bufs.get(id);
      if (!b) bufs.set(id, (b = new SampleBuffer(0, arena)));
      return b;
    };
    const scratch = readScratch;
    try {
      let last = performance.now();
      for (const { partition, part } of snapshot) {
        try {
          const tombs = this.tombstonesOver(part);
          const onBadBlock = (e: BlockCorruptError) => this.badBlock(partition, part.name, e, false);
          if (tombs.length === 0) part.collect(ids, minT, maxT, bufferFor, scratch, onBadBlock);
          else collectWithout(part, tombs, ids, minT, maxT, bufferFor, scratch, onBadBlock);
        } catch (e) {
          if (e instanceof PartCorruptError) this.dropCorruptPart(partition, part, e);
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
      for (const id of ids) if (mt.has(id)) mt.collect(id, minT, maxT, bufferFor(id));
    }
    for (const id of ids) {
      const b = bufs.get(id);
      if (!b || b.length === 0) continue;
      normalize(b, this.opts.dedupIntervalMs);
      result.set(id, b.snapshot());
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
    for (const p of this.partitions.values()) {
      if (p.end <= lo || p.start > maxT) continue;
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

  /** Records a damaged block (once) and says so; `lost`: a merge left it out for good. */
  private badBlock(partition: string, partName: string, e: { seriesId: number; minT: number; maxT: number; reason?: string; message?: string }, lost: boolean): void {
    const reason = e.reason ?? e.message ?? 'damaged';
    const fresh = this.damage.record({ partition, part: partName, kind: 'block', seriesId: e.seriesId, minT: e.minT, maxT: e.maxT, reason, lost });
    if (!fresh) return;
    this.counters.badBlocks++;
    this.report(new StorageError(`partition ${partition}: ${lost ? 'merge dropped' : 'not serving'} a damaged block of series ${e.seriesId} (${new Date(e.minT).toISOString()} to ${new Date(e.maxT).toISOString()}): ${reason}`));
  }

  /** What storage knows it cannot serve in [minT, maxT] (for query warnings). */
  damageIn(minT: number, maxT: number): DamageEntry[] {
    return this.damage.size === 0 ? [] : this.damage.overlapping(minT, maxT);
  }

  /** Every damaged block and quarantined part still within retention. */
  damaged(): DamageEntry[] {
    return this.damage.all;
  }

  private dropCorruptPart(partition: string, part: Part, err: PartCorruptError): void {
    const p = this.partitions.get(partition);
    if (!p || !p.parts.includes(part)) return;
    this.setParts(p, p.parts.filter((x) => x !== part));
    part.onRelease = () => this.quarantine(partition, part.name, err, part.meta);
    part.retire();
  }

  /**
   * Recomputes the checksums of every live part's files (for `strata verify`); corrupt parts are
   * quarantined as on open. Returns what was checked and what was taken out of service.
   */
  async verifyParts(): Promise<{ checked: number; quarantined: string[] }> {
    if (this.closed) throw new StorageClosedError('storage is closed');
    const quarantined: string[] = [];
    let checked = 0;
    for (const p of [...this.partitions.values()]) {
      for (const part of [...p.parts]) {
        part.ref();
        try {
          part.verifyData();
        } catch (e) {
          if (!(e instanceof PartCorruptError)) throw e;
          quarantined.push(part.dir);
          this.dropCorruptPart(p.name, part, e);
        } finally {
          part.unref();
        }
        checked++;
        await yieldToLoop();
      }
    }
    return { checked, quarantined };
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
    const made: string[] = [];
    fs.mkdirSync(destDataDir, { recursive: true });
    for (const p of this.partitions.values()) {
      const dest = join(destDataDir, p.name);
      fs.mkdirSync(dest, { recursive: true });
      for (const part of p.parts) {
        const partDest = join(dest, part.name);
        fs.mkdirSync(partDest);
        for (const f of fs.readdirSync(part.dir)) {
          fs.linkSync(join(part.dir, f), join(partDest, f));
          made.push(`${p.name}/${part.name}/${f}`);
        }
      }
      writeManifest(dest, p.parts.map((x) => x.name));
      made.push(`${p.name}/${MANIFEST}`);
    }
    for (const rel of this.histograms.liveParts()) {
      const src = join(this.dataDir, 'histograms', rel);
      const partDest = join(destDataDir, 'histograms', rel);
      fs.mkdirSync(partDest, { recursive: true });
      for (const f of fs.readdirSync(src)) {
        fs.linkSync(join(src, f), join(partDest, f));
        made.push(`histograms/${rel}/${f}`);
      }
    }
    if (fs.existsSync(join(this.dataDir, 'histograms', TOMBSTONES_FILE))) {
      fs.copyFileSync(join(this.dataDir, 'histograms', TOMBSTONES_FILE), join(destDataDir, 'histograms', TOMBSTONES_FILE));
      made.push(`histograms/${TOMBSTONES_FILE}`);
    }
    // Ranged deletions name the parts they cover, and the damage log what those parts lack.
    for (const f of [TOMBSTONES_FILE, DAMAGE_FILE]) {
      if (!fs.existsSync(join(this.dataDir, f))) continue;
      fs.copyFileSync(join(this.dataDir, f), join(destDataDir, f));
      made.push(f);
    }
    return made;
  }

  // ---- flush -----------------------------------------------------------------------------

  private tick(): void {
    this.background(this.flush());
    this.background(this.applyRetention());
    this.background(this.applyLifecycle());
  }

  private background(p: Promise<unknown>): void {
    p.catch((e: unknown) => {
      this.counters.errors++;
      this.report(e instanceof Error ? e : new Error(String(e)));
    });
  }

  /** Writes everything in memtables to parts; returns when they are in the manifests. */
  forceFlush(): Promise<void> {
    this.histograms.flush();
    return this.flush();
  }

  /**
   * One flush runs at a time. Callers arriving meanwhile share a single follow-up flush, which
   * starts when the running one ends and so covers every row appended before they called.
   */
  private flush(): Promise<void> {
    if (!this.flushing) {
      const run = this.flushAll().finally(() => {
        this.flushing = null;
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

  private async flushAll(): Promise<void> {
    if (this.active.length > 0) {
      const walSeq = this.wal.rotate();
      this.sealed.push({ mt: this.active, walSeq });
      this.active = this.newMemtable(this.active.length);
    }
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
      const result = await this.flushRunner.run(job);
      this.installParts(result, []);
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
    this.background(this.maybeMerge());
  }

  private nextPartName(): string {
    return (this.partSeq++).toString(16).padStart(16, '0');
  }

  private partitionFor(name: string): Partition {
    let p = this.partitions.get(name);
    if (!p) {
      const [start, end] = partitionRange(name);
      p = { name, dir: join(this.dataDir, name), start, end, parts: [] };
      this.partitions.set(name, p);
    }
    return p;
  }

  private setParts(p: Partition, parts: readonly Part[]): void {
    writeManifest(p.dir, parts.map((x) => x.name));
    p.parts = parts;
  }

  /** Opens freshly written parts and commits them to manifests, replacing `inputs` if given. */
  private installParts(result: JobResult, inputs: readonly Part[]): void {
    for (const w of result.parts) {
      const p = this.partitionFor(w.partition);
      const dir = join(p.dir, w.name);
      const fresh = w.meta.rows > 0 ? Part.open(dir, w.name, { verifyData: false }) : null;
      if (!fresh) fs.rmSync(dir, { recursive: true, force: true });
      if (inputs.length === 0) {
        if (fresh) this.setParts(p, [...p.parts, fresh]);
        continue;
      }
      // The merged part takes the place of the newest input still listed, so newer parts still
      // win ties (an input may have been quarantined meanwhile; its rows were merged anyway).
      let lastAt = -1;
      p.parts.forEach((x, i) => {
        if (inputs.includes(x)) lastAt = i;
      });
      const next: Part[] = [];
      p.parts.forEach((x, i) => {
        if (!inputs.includes(x)) next.push(x);
        if (i === lastAt && fresh) next.push(fresh);
      });
      if (lastAt < 0 && fresh) next.push(fresh);
      this.setParts(p, next);
      for (const x of inputs) {
        x.onRelease = () => fs.rmSync(x.dir, { recursive: true, force: true });
        x.retire();
      }
    }
  }

  // ---- merges ----------------------------------------------------------------------------

  private maybeMerge(): Promise<void> {
    if (this.merging || this.closed) return this.merging ?? Promise.resolve();
    const run = (async () => {
      for (;;) {
        let did = false;
        for (const p of [...this.partitions.values()]) {
          const w = pickMergeWindow(p.parts);
          if (!w) continue;
          await this.mergeWindow(p, p.parts.slice(w[0], w[0] + w[1]));
          did = true;
          if (this.closed) return;
        }
        if (!did) return;
      }
    })().finally(() => {
      this.merging = null;
    });
    this.merging = run;
    return run;
  }

  /** `final`: a force_merge, whose output is the partition's one part (always deflated). */
  private async mergeWindow(p: Partition, inputs: readonly Part[], final = false): Promise<void> {
    for (const x of inputs) x.ref();
    try {
      const started = performance.now();
      const lc = this.opts.lifecycle;
      const anyDeleted = !!this.opts.isDeleted && this.opts.anyDeleted?.() !== false;
      const ids = lc || anyDeleted ? await this.idsIn(inputs) : [];
      const deleted = anyDeleted ? Float64Array.from(ids.filter((id) => this.opts.isDeleted!(id))) : new Float64Array(0);
      const now = this.now();
      const job: Job = {
        kind: 'merge',
        partitionDir: p.dir,
        inputs: inputs.map((x) => x.dir),
        partName: this.nextPartName(),
        dedupIntervalMs: this.opts.dedupIntervalMs,
        minValidT: this.minValidT(),
        deletedIds: deleted,
        tombstones: inputs.flatMap((x) => this.tombstonesOver(x)).filter((t, i, all) => all.indexOf(t) === i),
        deflate: final || inputs.reduce((n, x) => n + x.meta.rows, 0) >= DEFLATE_MIN_MERGE_ROWS,
        rules: lc ? lc.rulesFor(ids, now) : null,
        ...(lc ? { policy: { at: now, signature: lc.signature } } : {}),
      };
      let result: JobResult;
      try {
        result = await this.mergeRunner.run(job);
      } catch (e) {
        fs.rmSync(join(p.dir, tmpName(job.partName)), { recursive: true, force: true });
        throw e;
      }
      if (!this.partitions.has(p.name)) {
        // The partition was dropped by retention while we merged.
        fs.rmSync(join(p.dir, job.partName), { recursive: true, force: true });
        return;
      }
      this.installParts(result, inputs);
      // Every row expired (a retention filter, downsampling's :0s): the partition goes whole. Only
      // while no flush runs, since a flush may be writing into its directory.
      if (p.parts.length === 0 && !this.flushing && this.partitions.get(p.name) === p) {
        this.partitions.delete(p.name);
        fs.rmSync(p.dir, { recursive: true, force: true });
      }
      this.pruneTombstones();
      for (const b of result.lostBlocks ?? []) this.badBlock(p.name, job.partName, b, true);
      const secs = (performance.now() - started) / 1000;
      this.counters.merges++;
      this.counters.mergeSeconds += secs;
      this.counters.lastMergeSeconds = secs;
      this.counters.mergedRows += result.rowsIn;
    } finally {
      for (const x of inputs) x.unref();
    }
  }

  /** Every series id in these parts, ascending. */
  private async idsIn(parts: readonly Part[]): Promise<number[]> {
    const ids = new Set<number>();
    for (const part of parts) {
      part.idsInRange(-Infinity, Infinity, ids);
      await yieldToLoop();
    }
    return [...ids].sort((a, b) => a - b);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /**
   * Whether a part holds data its lifecycle rules have not been applied to: it was written
   * without them (or under another configuration) and holds data past a threshold, or data in it
   * crossed a threshold since its merge (`gapMs` apart at least, so a partition the threshold is
   * sliding through is not merged again every minute).
   */
  private needsLifecycleMerge(part: Part, now: number, gapMs: number): boolean {
    const lc = this.opts.lifecycle;
    if (!lc || lc.thresholdsMs.length === 0) return false;
    const pol = part.meta.policy;
    const { minT, maxT } = part.meta;
    // A part written without these rules goes through them once it is gapMs old: younger parts
    // are merged soon anyway (and re-merging a partition per fresh flush would thrash a backfill).
    if (!pol || pol.signature !== lc.signature) return now - Date.parse(part.meta.createdAt) >= gapMs && lc.thresholdsMs.some((age) => minT < now - age);
    if (now - pol.at < gapMs) return false;
    return lc.thresholdsMs.some((age) => minT < now - age && maxT >= pol.at - age);
  }

  private lastLifecycleCheck = 0;

  /** Merges again the partitions where data crossed a lifecycle threshold (downsampling runs there). */
  private async applyLifecycle(): Promise<void> {
    const now = this.now();
    if (!this.opts.lifecycle || this.merging || now - this.lastLifecycleCheck < LIFECYCLE_CHECK_MS) return;
    this.lastLifecycleCheck = now;
    const due = [...this.partitions.values()].filter((p) => p.parts.some((x) => this.needsLifecycleMerge(x, now, REMERGE_GAP_MS)));
    if (due.length === 0) return;
    const run = (async () => {
      for (const p of due) if (this.partitions.has(p.name) && p.parts.length > 0) await this.mergeWindow(p, p.parts, true);
    })().finally(() => {
      this.merging = null;
    });
    this.merging = run;
    await run;
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
    this.histograms.deleteRange(ids, minT, maxT);
  }

  /** The tombstones that may hide samples of this part: made after it, overlapping its time range. */
  private tombstonesOver(part: Part): Tombstone[] {
    if (this.tombstones.size === 0) return [];
    const seq = parseInt(part.name, 16);
    return this.tombstones.all.filter((t) => seq < t.seq && t.minT <= part.meta.maxT && t.maxT >= part.meta.minT);
  }

  /** Drops tombstones no live part lies under any more (merged away, or dropped by retention). */
  private pruneTombstones(): void {
    if (this.tombstones.size === 0) return;
    const parts = [...this.partitions.values()].flatMap((p) => p.parts);
    this.tombstones.prune((t) => parts.some((part) => this.tombstonesOver(part).includes(t)));
  }

  /** Resolves once no flush or merge is running (background work included). */
  async whenIdle(): Promise<void> {
    while (this.flushing || this.merging) {
      await this.flushing?.catch(() => {});
      await this.merging?.catch(() => {});
    }
  }

  /** Flushes, then merges every partition down to one part, applying dedup, retention and tombstones. */
  async forceMerge(): Promise<void> {
    if (this.closed) throw new StorageClosedError('storage is closed');
    await this.flush();
    while (this.merging) await this.merging.catch(() => {});
    const run = (async () => {
      const minValid = this.minValidT();
      for (const p of [...this.partitions.values()]) {
        const parts = p.parts;
        if (parts.length === 0) continue;
        const only = parts[0]!;
        const clean =
          parts.length === 1 &&
          // A lone flush part is rewritten all the same: merged parts are the deflated ones.
          only.meta.type === 'big' &&
          only.meta.deflated !== false &&
          only.meta.dedupIntervalMs === this.opts.dedupIntervalMs &&
          only.meta.minT >= minValid &&
          this.tombstonesOver(only).length === 0 &&
          !this.needsLifecycleMerge(only, this.now(), 0) &&
          (!this.opts.isDeleted || this.opts.anyDeleted?.() === false);
        if (clean) continue;
        await this.mergeWindow(p, parts, true);
      }
      this.histograms.forceMerge();
    })().finally(() => {
      this.merging = null;
    });
    this.merging = run;
    await run;
  }

  // ---- retention -------------------------------------------------------------------------

  /** Drops whole partitions that lie entirely before the retention boundary. */
  private async applyRetention(): Promise<void> {
    const minValid = this.minValidT();
    for (const p of [...this.partitions.values()]) {
      if (p.end > minValid) continue;
      this.partitions.delete(p.name);
      for (const part of p.parts) part.retire();
      // Open readers keep their file descriptors; on POSIX the data stays readable for them.
      fs.rmSync(p.dir, { recursive: true, force: true });
    }
    if (this.damage.size > 0) this.damage.retain(new Set(this.partitions.keys()));
  }

  // ---- stats and lifecycle ---------------------------------------------------------------

  private pendingRows(): number {
    let n = this.active.length;
    for (const x of this.sealed) n += x.mt.length;
    return n;
  }

  stats(): StorageStats {
    const rowsByPartType: Record<PartType, number> = { small: 0, big: 0 };
    const partsByType: Record<PartType, number> = { small: 0, big: 0 };
    let diskBytes = 0;
    for (const p of this.partitions.values()) {
      for (const part of p.parts) {
        rowsByPartType[part.type] += part.meta.rows;
        partsByType[part.type]++;
        for (const f of Object.values(part.meta.files)) diskBytes += f.size;
      }
    }
    const pending = this.pendingRows();
    const c = this.counters;
    return {
      rowsIngested: c.rowsIngested,
      rowsDroppedOutOfRetention: c.rowsDropped,
      pendingRows: pending,
      rowsByPartType,
      partsByType,
      partitions: this.partitions.size,
      diskBytes,
      flushesTotal: c.flushes,
      flushDurationSecondsTotal: c.flushSeconds,
      mergesTotal: c.merges,
      mergeDurationSecondsTotal: c.mergeSeconds,
      lastMergeDurationSeconds: c.lastMergeSeconds,
      mergedRowsTotal: c.mergedRows,
      walBytes: this.wal.bytes,
      walSegments: this.wal.segments,
      walReplayedRows: this.replay.rows,
      walTruncatedBytes: this.replay.truncatedBytes,
      quarantinedParts: c.quarantined,
      damagedBlocks: c.badBlocks,
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
    while (this.merging) await this.merging.catch(() => {});
    await this.flushRunner.close();
    await this.mergeRunner.close();
    await this.wal.close();
    await this.histograms.close();
    for (const p of this.partitions.values()) for (const part of p.parts) part.retire();
  }
}

/**
 * Tiered merge choice over a contiguous window of parts (contiguous so that "later part wins"
 * keeps meaning what it says): among windows of MIN..MAX_FAN_IN parts whose biggest part is not
 * most of the work, take the one with the smallest average part (ties: the longer window), so
 * small parts merge with each other long before they are folded into big ones. When a
 * partition has too many parts, any window of two or more qualifies.
 */
export function pickMergeWindow(parts: readonly Part[]): [number, number] | null {
  return pickWindow(parts.map((p) => p.meta.rows));
}

export function pickWindow(rows: readonly number[]): [number, number] | null {
  const n = rows.length;
  const crowded = n > MAX_PARTS;
  const minLen = crowded ? 2 : MIN_FAN_IN;
  let best: [number, number] | null = null;
  let bestScore = Infinity;
  for (let len = Math.min(MAX_FAN_IN, n); len >= minLen; len--) {
    for (let start = 0; start + len <= n; start++) {
      let sum = 0;
      let max = 0;
      for (let i = start; i < start + len; i++) {
        sum += rows[i]!;
        if (rows[i]! > max) max = rows[i]!;
      }
      if (!crowded && max > 2 * (sum - max)) continue;
      const score = sum / len;
      if (score < bestScore) {
        bestScore = score;
        best = [start, len];
      }
    }
  }
  return best;
}

function validateOptions(o: StorageOptions): void {
  const bad = (what: string): never => {
    throw new StorageError(`storage options: ${what}`);
  };
  if (!o.dataPath) bad('dataPath is required');
  if (!(o.retentionMs >= 0)) bad(`retentionMs must be >= 0, got ${o.retentionMs}`);
  if (!(o.dedupIntervalMs >= 0) || !Number.isFinite(o.dedupIntervalMs)) bad(`dedupIntervalMs must be a finite number >= 0, got ${o.dedupIntervalMs}`);
  if (!(o.flushIntervalMs > 0)) bad(`flushIntervalMs must be > 0, got ${o.flushIntervalMs}`);
  if (!['always', 'interval', 'never'].includes(o.walFsync)) bad(`walFsync must be always, interval or never, got ${String(o.walFsync)}`);
  if (o.walFsync === 'interval' && !(o.walFsyncIntervalMs > 0)) bad(`walFsyncIntervalMs must be > 0, got ${o.walFsyncIntervalMs}`);
  if (o.maxPendingRows !== undefined && !(o.maxPendingRows >= 1)) bad(`maxPendingRows must be >= 1`);
}

