/**
 * The database: the LMDB label index and the storage engine wired together behind the one face
 * that the HTTP layer and PromQL use. Ingestion flows labels → series id (cache, then index) →
 * storage; queries flow matchers → ids (index) → samples (storage) → labelled series.
 */
import { join } from 'node:path';
import { log } from '../logger.js';
import { LabelIndex, dayOf, type LabelIndexOptions, type TsdbStatus } from '../index/index.js';
import { KEY_HASH_LANES, KeyNotKeptError, type DecodedBatch, type MetricMetadata, type SharedIdTable } from '../ingest/index.js';
import {
  METRIC_NAME,
  compareLabels,
  formatLabels,
  formatTenant,
  type SeriesSamples,
  type LabelMatcher,
  type Labels,
  type Querier,
  type Series,
  type SeriesStream,
  type Tenant,
} from '../model/index.js';
import type { HistogramRows } from '../codec/index.js';
import type { HistogramSamples } from '../model/index.js';
import {
  Storage,
  damageWarnings,
  setBlockCacheBytes,
  tsdbResetHints,
  SampleArena,
  type DamageEntry,
  type StorageStats,
  type HistogramStoreStats,
  type WalArchive,
} from '../storage/index.js';
import { DayTracker } from './day-tracker.js';
import { SelectionOrderCache } from './selection-order.js';
import { MetadataStore } from './metadata-store.js';
import { seriesTable } from './series-table.js';
import { SeriesPolicies, type AppliedPolicy, type LifecycleConfig } from '../lifecycle/index.js';
import { SeriesIdCache } from './series-id-cache.js';
import { groupByKeyHash } from './new-series.js';
import { SeriesLimiter, type LimitName } from './series-limiter.js';
import { Snapshots } from './snapshots.js';
import { seriesStream, type StreamEntry } from './series-stream.js';

export interface DatabaseOptions {
  readonly dataPath: string;
  readonly retentionMs: number;
  /** Samples further ahead of now are refused (--futureTimestampLimit); default: no limit. */
  readonly futureTimestampLimitMs?: number;
  readonly dedupIntervalMs: number;
  readonly flushIntervalMs: number;
  readonly walFsync: 'always' | 'interval' | 'never';
  readonly walFsyncIntervalMs: number;
  /** A query selecting more series fails with a LimitError. */
  readonly maxSeriesPerQuery: number;
  /** Memory for decoded part blocks shared by all queries (process-wide); default 32 MiB. */
  readonly blockCacheBytes?: number;
  /** Capacity of the ingestion key → id cache (per tenant). */
  readonly seriesCacheSize?: number;
  /** Capacity of the id → labels cache that queries read (default 16384). */
  readonly labelsCacheSize?: number;
  /** Per-series retention filters and downsampling (none by default). */
  readonly lifecycle?: Omit<LifecycleConfig, 'retentionMs'>;
  /** Offered each flushed WAL segment before it is deleted (forwarding keeps what it still needs). */
  readonly walArchive?: WalArchive;
  /** --storage.maxHourlySeries / --storage.maxDailySeries; 0 = no limit. */
  readonly maxHourlySeries?: number;
  readonly maxDailySeries?: number;
  /** The label index's damage record, start-up check depth and salvage hook (see LabelIndex.open). */
  readonly index?: Pick<LabelIndexOptions, 'damage' | 'verify' | 'onSalvage'>;
  /** Hears every background storage error (flushes, merges, retention) after it is logged. */
  readonly onStorageError?: (message: string) => void;
}

export interface ExportOptions {
  /** More matching series than this fails with a LimitError before any is read. */
  readonly maxSeries?: number;
  /** Series read from storage at once (default 512): fewer keeps less in memory. */
  readonly seriesPerRead?: number;
  /**
   * The consumer is done with each series before it asks for the next (it encodes and drops it):
   * every read's sample columns then come from pooled slabs given back after its series, so a
   * long export allocates nothing per read.
   */
  readonly reuseBuffers?: boolean;
  /**
   * Histograms keep the counter-reset hints they were written with, instead of the hints a
   * Prometheus TSDB's reader would give (for remote read's chunk encoder, which cuts chunks from
   * the written hints as Prometheus's appender does).
   */
  readonly storedResetHints?: boolean;
}

/** A query asked for more than a --search.* limit allows (the API answers 422). */
export class LimitError extends Error {}

/** Series of a selection that follow the same lifecycle rules. */
export interface LifecycleGroup extends AppliedPolicy {
  series: number;
  example: string;
}

/** A Querier that also tells what it could not read (damaged or quarantined data it touched). */
export interface DbQuerier extends Querier {
  /** Prometheus `warnings` lines, one per partition with damage the selects touched. */
  warnings(): string[];
}

export interface WriteResult {
  readonly samplesWritten: number;
  /** Native histogram samples stored (not counted in samplesWritten). */
  readonly histogramsWritten: number;
  readonly samplesDroppedOutOfRetention: number;
  /** Samples refused for timestamps before 1970 or past --futureTimestampLimit. */
  readonly samplesDroppedOutOfBounds: number;
  /** The first refused sample, for the error message. */
  readonly firstOutOfBounds: OutOfBoundsSample | null;
  /** Samples of series refused by --storage.maxHourlySeries / maxDailySeries. */
  readonly samplesDroppedByLimit: number;
  readonly limit: { name: LimitName; max: number } | null;
  readonly seriesCreated: number;
}

export interface OutOfBoundsSample {
  readonly labels: string;
  readonly timestamp: number;
  /** The latest timestamp accepted when it was refused. */
  readonly limit: number;
}

/** The per-sample columns of a batch, float samples or histogram samples. */
interface SampleColumns {
  readonly count: number;
  readonly seriesIndex: Uint32Array;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

interface RowsInRange {
  readonly count: number;
  readonly seriesIndex: Uint32Array;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /** Per series of the batch, whether any of its rows is kept; null when all are. */
  readonly used: Uint8Array | null;
  readonly tooOld: number;
  readonly outOfBounds: number;
  readonly firstOutOfBounds: OutOfBoundsSample | null;
}

const NO_SAMPLES = new Float64Array(0);

/** A series' float and histogram samples as Series fields, or null when it has neither. */
function withHistograms(s: SeriesSamples | undefined, h: HistogramSamples | undefined, storedHints = false): Omit<Series, 'labels'> | null {
  const floats = s !== undefined && s.timestamps.length > 0;
  if (!floats && h === undefined) return null;
  // Most series: floats only, as storage read them (no copy of the pair per series).
  if (h === undefined) return { timestamps: s!.timestamps, values: s!.values };
  // Reset hints as a Prometheus TSDB returns them (storage keeps them as written).
  return {
    timestamps: floats ? s.timestamps : NO_SAMPLES,
    values: floats ? s.values : NO_SAMPLES,
    ...(h ? { histograms: storedHints ? h : tsdbResetHints(h, s?.timestamps) } : {}),
  };
}

/** seriesIds entry of a series the limiter refused. */
const REFUSED = -1;
/** Batches with more rows than this do not use (or grow) the reusable id columns. */
const MAX_SCRATCH_ROWS = 1 << 20;
/** How often the label index is checked for free pages worth compacting away. */
const INDEX_COMPACT_CHECK_MS = 10 * 60_000;
/** Series read from storage per call while streaming an export. */
const EXPORT_CHUNK = 512;

/**
 * Told of every change to stored data a query result could have read: `written` with the oldest
 * timestamp of each stored batch, `deleted` for deleted series or samples (result caches listen).
 */
export interface DataChangeListener {
  written(tenant: string, minT: number, nowMs: number): void;
  deleted(tenant: string | null): void;
}

export class Database {
  private readonly changeListeners: DataChangeListener[] = [];
  private readonly idCaches = new Map<string, SeriesIdCache>();
  private readonly dayTrackers = new Map<string, DayTracker>();
  private seriesCreated = 0;
  private readonly compactTimer: NodeJS.Timeout;
  private readonly scratchIds: [Float64Array, Float64Array] = [new Float64Array(0), new Float64Array(0)];
  private readonly limiter: SeriesLimiter;
  /** Label order of recent large selections (3 MiB at most). */
  private readonly selectionOrder = new SelectionOrderCache(262_144);
  /** `<data>/snapshots/`: consistent, hard-linked copies for backups. */
  readonly snapshots: Snapshots;

  private constructor(
    readonly index: LabelIndex,
    readonly storage: Storage,
    private readonly opts: DatabaseOptions,
    private readonly metadata: MetadataStore,
    /** Which retention and downsampling rules apply to which series. */
    readonly policies: SeriesPolicies,
  ) {
    this.limiter = new SeriesLimiter(opts.maxHourlySeries ?? 0, opts.maxDailySeries ?? 0);
    this.snapshots = new Snapshots({ dataPath: opts.dataPath, storage, index, saveMetadata: () => metadata.save() });
    // Copy-on-write transactions leave free pages behind: ingestion alone leaves the index file
    // about twice the size of its data. A compaction gives them back; it gives up rather than
    // block while series keep being created.
    this.compactTimer = setInterval(() => {
      // Lifecycle rules empty series over time (retention filters, :0s): take them out of the index.
      if (this.policies.active)
        this.dropEmptySeries().catch((e: unknown) => log.error('dropping empty series failed', { error: e instanceof Error ? e.message : String(e) }));
      this.index.compactIfWasteful().catch((e: unknown) => log.error('index compaction failed', { error: e instanceof Error ? e.message : String(e) }));
    }, INDEX_COMPACT_CHECK_MS);
    this.compactTimer.unref();
  }

  static async open(opts: DatabaseOptions): Promise<Database> {
    if (opts.blockCacheBytes !== undefined) setBlockCacheBytes(opts.blockCacheBytes);
    // Ingestion looks series up in this layer's cache by the decoder's key, so the index's own
    // label-set cache would only see misses (new series, mostly): none, and no string key built.
    // The id → labels cache holds Label objects (about 700 bytes a series): every series created
    // lands in it, so at its default size it grew to 70 MB of heap for 100k series that no query
    // had asked for. A miss costs one LMDB read and a decode of ~100 bytes.
    const index = LabelIndex.open(join(opts.dataPath, 'index'), { seriesCacheSize: 0, labelsCacheSize: opts.labelsCacheSize ?? 16_384, ...opts.index });
    const policies = new SeriesPolicies({ retentionMs: opts.retentionMs, retentionFilters: [], downsampling: [], mode: 'last', ...opts.lifecycle }, (id) =>
      index.labelsOf(id),
    );
    try {
      const storage = await Storage.open({
        dataPath: opts.dataPath,
        retentionMs: opts.retentionMs,
        maxFutureMs: opts.futureTimestampLimitMs,
        ...(policies.active ? { lifecycle: policies } : {}),
        ...(opts.walArchive ? { walArchive: opts.walArchive } : {}),
        dedupIntervalMs: opts.dedupIntervalMs,
        flushIntervalMs: opts.flushIntervalMs,
        walFsync: opts.walFsync,
        walFsyncIntervalMs: opts.walFsyncIntervalMs,
        isDeleted: (id) => index.deletedIds().has(id),
        seriesLabels: (ids) => seriesTable(index, ids),
        anyDeleted: () => index.deletedIds().size > 0,
        onError: (e) => {
          const message = e instanceof Error ? e.message : String(e);
          log.error('storage background error', { error: message });
          opts.onStorageError?.(message);
        },
      });
      return new Database(index, storage, opts, MetadataStore.open(join(opts.dataPath, 'metadata.json'), opts.flushIntervalMs), policies);
    } catch (e) {
      index.close();
      throw e;
    }
  }

  /**
   * Stores a decoded batch; resolves once it is durable per the WAL fsync policy, so the caller
   * may acknowledge. New series are made durable in the index before their samples reach the WAL.
   */
  async write(tenant: Tenant, batch: DecodedBatch): Promise<WriteResult> {
    const floats = await this.writeRows(tenant, batch, {
      count: batch.sampleCount,
      seriesIndex: batch.seriesIndex,
      timestamps: batch.timestamps,
      values: batch.values,
    });
    const h = batch.histogramRows;
    if (h === undefined || h.count === 0) return { ...floats, histogramsWritten: 0 };
    // Histogram samples take the same way as float ones (limits, series creation, days); their
    // `values` are row numbers into the batch's histogram rows.
    const rowNumbers = new Float64Array(h.count);
    for (let i = 0; i < h.count; i++) rowNumbers[i] = i;
    const hist = await this.writeRows(tenant, batch, { count: h.count, seriesIndex: h.seriesIndex, timestamps: h.timestamps, values: rowNumbers }, h);
    return {
      samplesWritten: floats.samplesWritten,
      histogramsWritten: hist.samplesWritten,
      samplesDroppedOutOfRetention: floats.samplesDroppedOutOfRetention + hist.samplesDroppedOutOfRetention,
      samplesDroppedOutOfBounds: floats.samplesDroppedOutOfBounds + hist.samplesDroppedOutOfBounds,
      firstOutOfBounds: floats.firstOutOfBounds ?? hist.firstOutOfBounds,
      samplesDroppedByLimit: floats.samplesDroppedByLimit + hist.samplesDroppedByLimit,
      limit: floats.limit ?? hist.limit,
      seriesCreated: floats.seriesCreated + hist.seriesCreated,
    };
  }

  private async writeRows(
    tenant: Tenant,
    batch: DecodedBatch,
    view: SampleColumns,
    histograms?: HistogramRows,
  ): Promise<Omit<WriteResult, 'histogramsWritten'>> {
    const tkey = formatTenant(tenant);
    const cache = this.cacheFor(tkey);
    const n = batch.seriesCount;
    // Ids the decode worker already found (id + 1, 0: look it up here).
    const known = cache.trusted(batch.knownIds, n);
    if (known === null && batch.knownIds?.keysDropped === true) {
      // Its keys stayed in the worker and its ids may name deleted series: nothing to go on.
      throw new KeyNotKeptError('series were deleted while the request was decoded');
    }
    let rows = this.rowsInRange(batch, view);
    const seriesIds = this.scratch(0, n);
    // Read only when a series is not known: a worker sends no hashes when it found every series.
    let hashes: Uint32Array | null = null;
    let missing: number[] | null = null;
    const limiter = this.limiter.active ? this.limiter : null;
    const now = Date.now();
    let refused: { limit: LimitName; series: number } | null = null;
    for (let i = 0; i < n; i++) {
      // A series none of whose samples is taken is not created: the index lists no empty series.
      if (rows.used !== null && rows.used[i] === 0) continue;
      const k = known !== null ? known[i]! : 0;
      const id = k > 0 ? k - 1 : cache.get((hashes ??= batch.keyHashes), i * KEY_HASH_LANES);
      if (id >= 0) {
        const limit = limiter?.admit(id, now) ?? null;
        seriesIds[i] = limit === null ? id : REFUSED;
        if (limit !== null) refused ??= { limit, series: i };
      } else (missing ??= []).push(i);
    }
    let created = 0;
    let groups = missing ? groupByKeyHash((hashes ??= batch.keyHashes), missing) : [];
    if (groups.length > 0 && limiter) {
      // Series not written lately may join the windows only while there is room: the rest are not created.
      const room = limiter.room(now);
      for (const g of groups.slice(room.n)) {
        for (const i of g) seriesIds[i] = REFUSED;
        refused ??= { limit: room.limit, series: g[0]! };
      }
      if (groups.length > room.n) groups = groups.slice(0, room.n);
    }
    if (groups.length > 0) {
      const labelSets = groups.map((g) => batch.labels(g[0]!));
      const before = this.index.seriesCount();
      const firstDay = rows.count > 0 ? dayOf(rows.timestamps[0]!) : dayOf(now);
      const ids = this.index.resolve(tenant, labelSets, firstDay);
      created = this.index.seriesCount() - before;
      this.seriesCreated += created;
      for (let g = 0; g < groups.length; g++) {
        const id = ids[g]!;
        for (const i of groups[g]!) seriesIds[i] = id;
        cache.set(hashes!, groups[g]![0]! * KEY_HASH_LANES, id);
        limiter?.added(id);
      }
    }
    let limited = 0;
    if (refused) {
      const kept = this.withoutRefused(rows, seriesIds);
      limited = rows.count - kept.count;
      rows = kept;
      this.limiter.dropped[refused.limit] += limited;
      this.logRefused(refused.limit, this.seriesLabels(batch, refused.series));
    }

    const count = rows.count;
    // storage.append reads its columns before it first awaits, so the scratch can serve the next batch.
    const rowIds = this.scratch(1, count);
    const days = this.dayTrackerFor(tkey);
    const newDays = new Map<number, number[]>();
    let prevId = -1;
    let prevDay = NaN;
    for (let j = 0; j < count; j++) {
      const id = seriesIds[rows.seriesIndex[j]!]!;
      rowIds[j] = id;
      const day = dayOf(rows.timestamps[j]!);
      if (id !== prevId || day !== prevDay) {
        days.collectNew(day, id, newDays);
        prevId = id;
        prevDay = day;
      }
    }
    for (const [day, ids] of newDays) this.index.addToDay(tenant, day, ids);

    for (const m of batch.metadata) this.metadata.set(tkey, m);
    if (this.changeListeners.length > 0 && count > 0) {
      let minT = Infinity;
      const ts = rows.timestamps;
      for (let j = 0; j < count; j++) if (ts[j]! < minT) minT = ts[j]!;
      for (const l of this.changeListeners) l.written(tkey, minT, now);
    }
    const res = histograms
      ? await this.storage.appendHistograms(rowIds, rows.timestamps, rows.values, count, histograms)
      : await this.storage.append(rowIds, rows.timestamps, rows.values, count);
    return {
      samplesWritten: res.stored,
      samplesDroppedOutOfRetention: rows.tooOld + res.droppedOutOfRetention,
      samplesDroppedOutOfBounds: rows.outOfBounds + res.droppedOutOfBounds,
      firstOutOfBounds: rows.firstOutOfBounds,
      samplesDroppedByLimit: limited,
      limit: refused && { name: refused.limit, max: refused.limit === 'hourly' ? this.limiter.hourly.limit : this.limiter.daily.limit },
      seriesCreated: created,
    };
  }

  /** Labels of series i of a batch; from the index when the decode worker resolved it and kept no key. */
  private seriesLabels(batch: DecodedBatch, i: number): Labels {
    const k = batch.knownIds;
    return k?.keysDropped === true && k.ids[i]! > 0 ? this.index.labelsOf(k.ids[i]! - 1) : batch.labels(i);
  }

  /** The rows of series the limiter let through. */
  private withoutRefused(rows: RowsInRange, seriesIds: Float64Array): RowsInRange {
    let kept = 0;
    for (let j = 0; j < rows.count; j++) if (seriesIds[rows.seriesIndex[j]!] !== REFUSED) kept++;
    const seriesIndex = new Uint32Array(kept);
    const timestamps = new Float64Array(kept);
    const values = new Float64Array(kept);
    for (let j = 0, k = 0; j < rows.count; j++) {
      const s = rows.seriesIndex[j]!;
      if (seriesIds[s] === REFUSED) continue;
      seriesIndex[k] = s;
      timestamps[k] = rows.timestamps[j]!;
      // copyWithin-free: one value, but its NaN payload (staleness marker) must survive.
      new Uint32Array(values.buffer, k * 8, 2).set(new Uint32Array(rows.values.buffer, rows.values.byteOffset + j * 8, 2));
      k++;
    }
    return { ...rows, count: kept, seriesIndex, timestamps, values };
  }

  private lastLimitLog = 0;

  /** A rate-limited warning naming one series a limit refused. */
  private logRefused(limit: LimitName, labels: Labels): void {
    const now = Date.now();
    if (now - this.lastLimitLog < 10_000) return;
    this.lastLimitLog = now;
    const flag = limit === 'hourly' ? 'storage.maxHourlySeries' : 'storage.maxDailySeries';
    log.warn(`--${flag} reached: samples of new series are dropped`, { example: formatLabels(labels), dropped: this.limiter.dropped[limit] });
  }

  /**
   * The batch's rows that storage will take, judged before any series is created or registered
   * for a day: rows before the retention window are dropped quietly (as VictoriaMetrics does),
   * rows before 1970 or past --futureTimestampLimit are refused and reported.
   */
  private rowsInRange(batch: DecodedBatch, view: SampleColumns): RowsInRange {
    const count = view.count;
    const ts = view.timestamps;
    const { lo: retained, hi } = this.storage.acceptedRange();
    const lo = Math.max(0, retained);
    let rejected = 0;
    for (let j = 0; j < count; j++) {
      const t = ts[j]!;
      if (t < lo || t > hi) rejected++;
    }
    const all = { count, seriesIndex: view.seriesIndex, timestamps: ts, values: view.values, used: null, tooOld: 0, outOfBounds: 0, firstOutOfBounds: null };
    if (rejected === 0) return all;
    const kept = count - rejected;
    const seriesIndex = new Uint32Array(kept);
    const timestamps = new Float64Array(kept);
    const values = new Float64Array(kept);
    const used = new Uint8Array(batch.seriesCount);
    let tooOld = 0;
    let firstOutOfBounds: { series: number; t: number } | null = null;
    for (let j = 0, k = 0; j < count; j++) {
      const t = ts[j]!;
      if (t >= lo && t <= hi) {
        const s = view.seriesIndex[j]!;
        seriesIndex[k] = s;
        timestamps[k] = t;
        values[k++] = view.values[j]!;
        used[s] = 1;
      } else if (t >= 0 && t < retained) tooOld++;
      else firstOutOfBounds ??= { series: view.seriesIndex[j]!, t };
    }
    const outOfBounds = rejected - tooOld;
    return {
      count: kept,
      seriesIndex,
      timestamps,
      values,
      used,
      tooOld,
      outOfBounds,
      firstOutOfBounds: firstOutOfBounds && {
        labels: formatLabels(this.seriesLabels(batch, firstOutOfBounds.series)),
        timestamp: firstOutOfBounds.t,
        limit: hi,
      },
    };
  }

  /**
   * The Querier PromQL evaluates against, bound to one tenant. With an arena, the samples of its
   * selects are views of the arena's slabs: the caller releases it once the query is done.
   */
  querier(tenant: Tenant, arena?: SampleArena, batchArena: () => SampleArena = () => SampleArena.pooled()): DbQuerier {
    const damage = new Map<string, DamageEntry>();
    return {
      select: (matchers, minT, maxT, hints) => this.select(tenant, matchers, minT, maxT, arena, damage, hints?.lastOnly),
      stream: (matchers, minT, maxT, hints) => this.stream(tenant, matchers, minT, maxT, batchArena, damage, hints?.lastOnly),
      warnings: () => {
        const index = this.index.damage.warning();
        return index === null ? damageWarnings([...damage.values()]) : [index, ...damageWarnings([...damage.values()])];
      },
    };
  }

  async select(
    tenant: Tenant,
    matchers: readonly LabelMatcher[],
    minT: number,
    maxT: number,
    arena?: SampleArena,
    damage?: Map<string, DamageEntry>,
    lastOnly = false,
  ): Promise<Series[]> {
    const ids = this.selectIds(tenant, matchers, minT, maxT);
    const samples = await this.readSeries(ids, minT, maxT, arena, damage, lastOnly);
    const found: { id: number; labels: Labels; samples: Omit<Series, 'labels'> }[] = [];
    for (const id of ids) {
      const s = samples.get(id);
      // A series whose labels sit in a damaged index entry is not served (the answer warns).
      const labels = s ? this.index.labelsIfKnown(id) : undefined;
      if (s && labels) found.push({ id, labels, samples: s });
    }
    this.selectionOrder.sort(found);
    return found.map(({ labels, samples: s }) =>
      s.histograms ? { labels, timestamps: s.timestamps, values: s.values, histograms: s.histograms } : { labels, timestamps: s.timestamps, values: s.values },
    );
  }

  /** The series select() would return, read batch by batch (each batch into an arena of its own). */
  async stream(
    tenant: Tenant,
    matchers: readonly LabelMatcher[],
    minT: number,
    maxT: number,
    batchArena: () => SampleArena,
    damage?: Map<string, DamageEntry>,
    lastOnly = false,
  ): Promise<SeriesStream> {
    const entries: StreamEntry[] = [];
    for (const id of this.selectIds(tenant, matchers, minT, maxT)) {
      const labels = this.index.labelsIfKnown(id);
      if (labels) entries.push({ id, labels });
    }
    this.selectionOrder.sort(entries);
    return seriesStream(entries, (ids, arena) => this.readSeries(ids, minT, maxT, arena, damage, lastOnly), batchArena);
  }

  private selectIds(tenant: Tenant, matchers: readonly LabelMatcher[], minT: number, maxT: number): number[] {
    const ids = this.index.select(tenant, matchers, minT, maxT);
    if (ids.length > this.opts.maxSeriesPerQuery) {
      throw new LimitError(
        `the query selects ${ids.length} series, more than --search.maxSeries=${this.opts.maxSeriesPerQuery}; narrow the selector or raise the limit`,
      );
    }
    return ids;
  }

  /** The float and histogram samples of each id that has any in [minT, maxT], retention applied. */
  private async readSeries(
    ids: readonly number[],
    minT: number,
    maxT: number,
    arena?: SampleArena,
    damage?: Map<string, DamageEntry>,
    lastOnly = false,
  ): Promise<Map<number, Omit<Series, 'labels'>>> {
    const samples = await this.storage.read(ids, minT, maxT, arena, lastOnly);
    const histograms = this.readHistograms(ids, minT, maxT);
    if (this.policies.hasRetentionFilters) this.hideExpired(samples);
    if (damage) for (const e of this.damageFor(ids, minT, maxT)) damage.set(`${e.partition}/${e.part}/${e.seriesId}/${e.minT}`, e);
    const out = new Map<number, Omit<Series, 'labels'>>();
    for (const id of ids) {
      const s = withHistograms(samples.get(id), histograms.get(id));
      if (s) out.set(id, s);
    }
    return out;
  }

  /** Histogram samples of `ids` (each once, any order) in [minT, maxT], with retention filters applied. */
  private readHistograms(ids: readonly number[], minT: number, maxT: number): Map<number, HistogramSamples> {
    const out = this.storage.readHistograms(ids, minT, maxT);
    if (!this.policies.hasRetentionFilters) return out;
    const now = Date.now();
    for (const [id, h] of out) {
      const cutoff = now - this.policies.retentionMsOf(id);
      let lo = 0;
      while (lo < h.timestamps.length && h.timestamps[lo]! < cutoff) lo++;
      if (lo === h.timestamps.length) out.delete(id);
      else if (lo > 0) out.set(id, { timestamps: h.timestamps.subarray(lo), histograms: h.histograms.slice(lo) });
    }
    return out;
  }

  /**
   * Cuts the samples a retention filter has expired: they stay on disk until the next merge of
   * their partition, but no query sees them from the moment they expire.
   */
  private hideExpired(samples: Map<number, SeriesSamples>): void {
    const now = Date.now();
    for (const [id, s] of samples) {
      const cutoff = now - this.policies.retentionMsOf(id);
      const ts = s.timestamps;
      if (ts.length === 0 || ts[0]! >= cutoff) continue;
      let lo = 0;
      let hi = ts.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ts[mid]! < cutoff) lo = mid + 1;
        else hi = mid;
      }
      samples.set(id, { timestamps: ts.subarray(lo), values: s.values.subarray(lo) });
    }
  }

  /**
   * What storage cannot serve of these series in [minT, maxT]: their damaged blocks, and any
   * quarantined part of the range (whose series are unknown). Read after the samples, so damage
   * the read itself found is included.
   */
  damageFor(ids: readonly number[], minT: number, maxT: number): DamageEntry[] {
    const found = this.storage.damageIn(minT, maxT);
    if (found.length === 0) return found;
    const wanted = new Set(ids);
    return found.filter((e) => e.seriesId === null || wanted.has(e.seriesId));
  }

  /**
   * Which retention filter and downsampling rule apply to the series of a selection, grouped:
   * for checking a configuration, as VictoriaMetrics's retention-filters debug page does.
   */
  lifecycleStatus(tenant: Tenant, matcherSets: readonly (readonly LabelMatcher[])[]): LifecycleGroup[] {
    const groups = new Map<string, LifecycleGroup>();
    const seen = new Set<number>();
    for (const ms of matcherSets) {
      for (const id of this.index.select(tenant, ms, -Infinity, Infinity)) {
        if (seen.has(id)) continue;
        seen.add(id);
        const labels = this.index.labelsOf(id);
        const p = this.policies.describe(labels);
        const key = JSON.stringify(p);
        const g = groups.get(key);
        if (g) g.series++;
        else groups.set(key, { ...p, series: 1, example: formatLabels(labels) });
      }
    }
    return [...groups.values()];
  }

  /** The resolution downsampling gives data at t (ms; 0 = raw), or null when none is configured. */
  resolutionAt(t: number): number | null {
    return this.policies.hasDownsampling ? this.policies.resolutionAt(t, Date.now()) : null;
  }

  /** Every damaged block and quarantined part, for status pages. */
  damaged(): DamageEntry[] {
    return this.storage.damaged();
  }

  /** Every matching series with its samples in [minT, maxT], read in chunks for streaming exports. */
  async *exportSeries(
    tenant: Tenant,
    matcherSets: readonly (readonly LabelMatcher[])[],
    minT: number,
    maxT: number,
    order: 'id' | 'labels' | 'sorted' = 'id',
    opts: ExportOptions = {},
  ): AsyncGenerator<Series> {
    const idSet = new Set<number>();
    for (const ms of matcherSets) for (const id of this.index.select(tenant, ms, minT, maxT)) idSet.add(id);
    if (opts.maxSeries !== undefined && idSet.size > opts.maxSeries) {
      throw new LimitError(`the query selects ${idSet.size} series, more than --search.maxSeries=${opts.maxSeries}; narrow the selector or raise the limit`);
    }
    let ids = [...idSet].sort((a, b) => a - b);
    if (order === 'sorted') {
      // Prometheus's labels.Compare order, as TSDB blocks (and streamed remote read) have it.
      const labels = new Map(ids.map((id) => [id, this.index.labelsOf(id)]));
      ids = ids.sort((a, b) => compareLabels(labels.get(a)!, labels.get(b)!));
    } else if (order === 'labels') {
      // Formats that group series into families (OpenMetrics) need each metric name's series together.
      const labels = new Map(ids.map((id) => [id, this.index.labelsIfKnown(id) ?? []]));
      const nameOf = (id: number) => labels.get(id)!.find((l) => l.name === METRIC_NAME)?.value ?? '';
      ids = ids.sort((a, b) => {
        const na = nameOf(a);
        const nb = nameOf(b);
        return na < nb ? -1 : na > nb ? 1 : compareLabels(labels.get(a)!, labels.get(b)!);
      });
    }
    const step = opts.seriesPerRead ?? EXPORT_CHUNK;
    for (let i = 0; i < ids.length; i += step) {
      const chunk = ids.slice(i, i + step);
      const arena = opts.reuseBuffers ? SampleArena.pooled() : undefined;
      try {
        const samples = await this.storage.read(chunk, minT, maxT, arena);
        const histograms = this.readHistograms(chunk, minT, maxT);
        if (this.policies.hasRetentionFilters) this.hideExpired(samples);
        for (const id of chunk) {
          const s = withHistograms(samples.get(id), histograms.get(id), opts.storedResetHints);
          const labels = s ? this.index.labelsIfKnown(id) : undefined;
          if (s && labels) yield { labels, ...s };
        }
      } finally {
        arena?.release();
      }
    }
  }

  /**
   * Series with samples in [minT, maxT], sorted. The index narrows by day; storage then says which
   * of them really hold a sample in range, so the answer is exact as Prometheus's is (a series
   * whose data left retention, or whose only sample was elsewhere that day, is not listed).
   */
  async series(tenant: Tenant, matcherSets: readonly (readonly LabelMatcher[])[], minT: number, maxT: number, limit?: number): Promise<Labels[]> {
    const [lo, hi] = this.dataRange(minT, maxT);
    if (lo > hi) return [];
    const idSet = new Set<number>();
    for (const ms of matcherSets) for (const id of this.index.select(tenant, ms, lo, hi)) idSet.add(id);
    if (idSet.size === 0) return [];
    const present = await this.storage.seriesIdsInRange(lo, hi);
    const out: Labels[] = [];
    const now = Date.now();
    for (const id of present) {
      if (!idSet.has(id)) continue;
      if (this.policies.hasRetentionFilters && hi < now - this.policies.retentionMsOf(id)) continue;
      const labels = this.index.labelsIfKnown(id);
      if (labels) out.push(labels);
    }
    out.sort(compareLabels);
    return limit !== undefined ? out.slice(0, limit) : out;
  }

  labelNames(tenant: Tenant, matcherSets: readonly (readonly LabelMatcher[])[], minT: number, maxT: number, limit?: number): string[] {
    const [lo, hi] = this.dataRange(minT, maxT);
    return lo > hi ? [] : this.index.labelNames(tenant, matcherSets, lo, hi, limit);
  }

  labelValues(tenant: Tenant, name: string, matcherSets: readonly (readonly LabelMatcher[])[], minT: number, maxT: number, limit?: number): string[] {
    const [lo, hi] = this.dataRange(minT, maxT);
    return lo > hi ? [] : this.index.labelValues(tenant, name, matcherSets, lo, hi, limit);
  }

  /**
   * A requested range cut to where data can be: within retention and not past the future limit.
   * An open range (no `start`/`end`) then spans retention's days, which the index answers from its
   * per-day postings instead of all-time lists that still hold series whose data has expired.
   */
  private dataRange(minT: number, maxT: number): [number, number] {
    const { lo, hi } = this.storage.acceptedRange();
    return [Math.max(minT, lo, 0), Math.min(maxT, hi)];
  }

  tsdbStatus(tenant: Tenant, opts: Parameters<LabelIndex['tsdbStatus']>[1]): TsdbStatus {
    return this.index.tsdbStatus(tenant, opts);
  }

  metricMetadata(tenant: Tenant): ReadonlyMap<string, MetricMetadata> {
    return this.metadata.get(formatTenant(tenant));
  }

  onDataChange(listener: DataChangeListener): void {
    this.changeListeners.push(listener);
  }

  /** Deletes matching series: they vanish from queries now; their samples go at the next merge. */
  deleteSeries(tenant: Tenant, matchers: readonly LabelMatcher[]): number {
    const ids = this.index.deleteSeries(tenant, matchers);
    if (ids.length > 0) for (const l of this.changeListeners) l.deleted(formatTenant(tenant));
    if (ids.length > 0) {
      // A deleted label set written again becomes a new series, so cached ids must go.
      this.idCaches.get(formatTenant(tenant))?.clear();
      this.dayTrackers.get(formatTenant(tenant))?.clear();
    }
    return ids.length;
  }

  /**
   * Deletes the samples of matching series within [minT, maxT] (Prometheus's ranged
   * delete_series): hidden from queries at once, dropped at the next merge of their parts. The
   * series stay in the index, since they may have samples outside the range.
   */
  async deleteSamples(tenant: Tenant, matchers: readonly LabelMatcher[], minT: number, maxT: number): Promise<number> {
    const ids = this.index.select(tenant, matchers, -Infinity, Infinity);
    await this.storage.deleteRange(ids, minT, maxT);
    for (const l of this.changeListeners) l.deleted(formatTenant(tenant));
    return ids.length;
  }

  forceFlush(): Promise<void> {
    return this.storage.forceFlush();
  }

  /** Merges each partition down to one part, drops series left without samples, then compacts the label index file. */
  async forceMerge(): Promise<void> {
    await this.storage.forceMerge();
    await this.dropEmptySeries();
    await this.index.compact();
  }

  /**
   * Removes from the index the series that have no sample left anywhere: expired by retention (a
   * filter's or the global one) or dropped by downsampling's `:0s`, once merges have removed the
   * samples. Only ids that existed before the scan began are candidates, and a series' first
   * samples reach the memtable in the same step that creates it, so a new series is never lost.
   */
  async dropEmptySeries(): Promise<number> {
    const upTo = this.index.peekNextId();
    const present = new Set(await this.storage.seriesIdsInRange(-Infinity, Infinity));
    // A series that lost samples to damage stays findable, so queries for it keep warning.
    for (const e of this.storage.damaged()) if (e.seriesId !== null) present.add(e.seriesId);
    const gone: number[] = [];
    for (let id = 1; id < upTo; id++) if (!present.has(id)) gone.push(id);
    const n = gone.length > 0 ? this.index.deleteByIds(gone) : 0;
    if (n > 0) {
      for (const c of this.idCaches.values()) c.clear();
      for (const d of this.dayTrackers.values()) d.clear();
      log.info('series without samples removed from the index', { series: n });
    }
    return n;
  }

  stats(): StorageStats & HistogramStoreStats & { seriesCreated: number; seriesTotal: number } {
    return { ...this.storage.stats(), ...this.storage.histogramStats(), seriesCreated: this.seriesCreated, seriesTotal: this.index.seriesCount() };
  }

  async close(): Promise<void> {
    clearInterval(this.compactTimer);
    try {
      this.metadata.close();
      await this.storage.close();
    } finally {
      this.index.close();
    }
  }

  /**
   * Reusable id columns for write(): every batch used to allocate two fresh arrays (160 KB for
   * 10k samples), garbage that outlived the request's WAL commit and piled up outside the heap.
   * Only used between awaits; big batches get arrays of their own.
   */
  private scratch(slot: 0 | 1, n: number): Float64Array {
    if (n > MAX_SCRATCH_ROWS) return new Float64Array(n);
    let a = this.scratchIds[slot];
    if (a.length < n) {
      let cap = 1024;
      while (cap < n) cap *= 2;
      this.scratchIds[slot] = a = new Float64Array(cap);
    }
    // Callers read only the first n entries, but clear them: a stale id must never leak through.
    const view = a.subarray(0, n);
    view.fill(0);
    return view;
  }

  /** The tenant's series-id cache table, for decode workers to resolve known series in (batch.knownIds). */
  idTableFor(tenant: Tenant): SharedIdTable {
    return this.cacheFor(formatTenant(tenant)).shared();
  }

  /** The ingestion key → id cache of a tenant: a known series costs one Map lookup, no LMDB read. */
  private cacheFor(tkey: string): SeriesIdCache {
    let c = this.idCaches.get(tkey);
    if (!c) this.idCaches.set(tkey, (c = new SeriesIdCache(this.opts.seriesCacheSize ?? 2_000_000)));
    return c;
  }

  private dayTrackerFor(tkey: string): DayTracker {
    let d = this.dayTrackers.get(tkey);
    if (!d) this.dayTrackers.set(tkey, (d = new DayTracker()));
    return d;
  }
}
