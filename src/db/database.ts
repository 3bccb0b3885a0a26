/**
 * The database: the LMDB label index and the storage engine wired together behind the one face
 * that the HTTP layer and PromQL use. Ingestion flows labels → series id (cache, then index) →
 * storage; queries flow matchers → ids (index) → samples (storage) → labelled series.
 */
import { join } from 'node:path';
import { log } from '../logger.js';
import { LabelIndex, type TsdbStatus } from '../index/index.js';
import { KEY_HASH_LANES, type DecodedBatch, type MetricMetadata } from '../ingest/index.js';
import { compareLabels, formatTenant, type LabelMatcher, type Labels, type Querier, type Series, type Tenant } from '../model/index.js';
import { Storage, setBlockCacheBytes, type SampleArena, type StorageStats } from '../storage/index.js';
import { DayTracker } from './day-tracker.js';
import { MetadataStore } from './metadata-store.js';
import { SeriesIdCache } from './series-id-cache.js';

export interface DatabaseOptions {
  readonly dataPath: string;
  readonly retentionMs: number;
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
  /** Hears every background storage error (flushes, merges, retention) after it is logged. */
  readonly onStorageError?: (message: string) => void;
}

/** A query asked for more than a --search.* limit allows (the API answers 422). */
export class LimitError extends Error {}

export interface WriteResult {
  readonly samplesWritten: number;
  readonly samplesDroppedOutOfRetention: number;
  readonly seriesCreated: number;
}

const DAY_MS = 86_400_000;
/** Batches with more rows than this do not use (or grow) the reusable id columns. */
const MAX_SCRATCH_ROWS = 1 << 20;
/** How often the label index is checked for free pages worth compacting away. */
const INDEX_COMPACT_CHECK_MS = 10 * 60_000;
/** Series read from storage per call while streaming an export. */
const EXPORT_CHUNK = 512;

export class Database {
  private readonly idCaches = new Map<string, SeriesIdCache>();
  private readonly dayTrackers = new Map<string, DayTracker>();
  private seriesCreated = 0;
  private readonly compactTimer: NodeJS.Timeout;
  private readonly scratchIds: [Float64Array, Float64Array] = [new Float64Array(0), new Float64Array(0)];

  private constructor(
    readonly index: LabelIndex,
    readonly storage: Storage,
    private readonly opts: DatabaseOptions,
    private readonly metadata: MetadataStore,
  ) {
    // Copy-on-write transactions leave free pages behind: ingestion alone leaves the index file
    // about twice the size of its data. A compaction gives them back; it gives up rather than
    // block while series keep being created.
    this.compactTimer = setInterval(() => {
      this.index.compactIfWasteful().catch((e: unknown) => log.error('index compaction failed', { error: e instanceof Error ? e.message : String(e) }));
    }, INDEX_COMPACT_CHECK_MS);
    this.compactTimer.unref();
  }

  static async open(opts: DatabaseOptions): Promise<Database> {
    if (opts.blockCacheBytes !== undefined) setBlockCacheBytes(opts.blockCacheBytes);
    // Ingestion looks series up in this layer's cache by the decoder's key, so the index's own
    // label-set cache only serves misses: keep it small instead of holding every series twice.
    // The id → labels cache holds Label objects (about 700 bytes a series): every series created
    // lands in it, so at its default size it grew to 70 MB of heap for 100k series that no query
    // had asked for. A miss costs one LMDB read and a decode of ~100 bytes.
    const index = LabelIndex.open(join(opts.dataPath, 'index'), { seriesCacheSize: 4096, labelsCacheSize: opts.labelsCacheSize ?? 16_384 });
    try {
      const storage = await Storage.open({
        dataPath: opts.dataPath,
        retentionMs: opts.retentionMs,
        dedupIntervalMs: opts.dedupIntervalMs,
        flushIntervalMs: opts.flushIntervalMs,
        walFsync: opts.walFsync,
        walFsyncIntervalMs: opts.walFsyncIntervalMs,
        isDeleted: (id) => index.deletedIds().has(id),
        anyDeleted: () => index.deletedIds().size > 0,
        onError: (e) => {
          const message = e instanceof Error ? e.message : String(e);
          log.error('storage background error', { error: message });
          opts.onStorageError?.(message);
        },
      });
      return new Database(index, storage, opts, MetadataStore.open(join(opts.dataPath, 'metadata.json'), opts.flushIntervalMs));
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
    const tkey = formatTenant(tenant);
    const cache = this.cacheFor(tkey);
    const n = batch.seriesCount;
    const seriesIds = this.scratch(0, n);
    const hashes = batch.keyHashes;
    let missing: Map<string, number[]> | null = null;
    for (let i = 0; i < n; i++) {
      const id = cache.get(hashes, i * KEY_HASH_LANES);
      if (id >= 0) seriesIds[i] = id;
      else {
        missing ??= new Map();
        const key = batch.key(i);
        const list = missing.get(key);
        if (list) list.push(i);
        else missing.set(key, [i]);
      }
    }
    let created = 0;
    if (missing) {
      const groups = [...missing.values()];
      const labelSets = groups.map((g) => batch.labels(g[0]!));
      const before = this.index.seriesCount();
      const firstDay = batch.sampleCount > 0 ? Math.floor(batch.timestamps[0]! / DAY_MS) : Math.floor(Date.now() / DAY_MS);
      const ids = this.index.resolve(tenant, labelSets, firstDay);
      created = this.index.seriesCount() - before;
      this.seriesCreated += created;
      for (let g = 0; g < groups.length; g++) {
        const id = ids[g]!;
        for (const i of groups[g]!) seriesIds[i] = id;
        cache.set(hashes, groups[g]![0]! * KEY_HASH_LANES, id);
      }
    }

    const count = batch.sampleCount;
    // storage.append reads its columns before it first awaits, so the scratch can serve the next batch.
    const rowIds = this.scratch(1, count);
    const days = this.dayTrackerFor(tkey);
    const newDays = new Map<number, number[]>();
    let prevId = -1;
    let prevDay = NaN;
    for (let j = 0; j < count; j++) {
      const id = seriesIds[batch.seriesIndex[j]!]!;
      rowIds[j] = id;
      const day = Math.floor(batch.timestamps[j]! / DAY_MS);
      if (id !== prevId || day !== prevDay) {
        days.collectNew(day, id, newDays);
        prevId = id;
        prevDay = day;
      }
    }
    for (const [day, ids] of newDays) this.index.addToDay(tenant, day, ids);

    for (const m of batch.metadata) this.metadata.set(tkey, m);
    const res = await this.storage.append(rowIds, batch.timestamps, batch.values, count);
    return { samplesWritten: res.stored, samplesDroppedOutOfRetention: res.droppedOutOfRetention, seriesCreated: created };
  }

  /**
   * The Querier PromQL evaluates against, bound to one tenant. With an arena, the samples of its
   * selects are views of the arena's chunks: the caller releases it once the query is done.
   */
  querier(tenant: Tenant, arena?: SampleArena): Querier {
    return { select: (matchers, minT, maxT) => this.select(tenant, matchers, minT, maxT, arena) };
  }

  async select(tenant: Tenant, matchers: readonly LabelMatcher[], minT: number, maxT: number, arena?: SampleArena): Promise<Series[]> {
    const ids = this.index.select(tenant, matchers, minT, maxT);
    if (ids.length > this.opts.maxSeriesPerQuery) {
      throw new LimitError(`the query selects ${ids.length} series, more than --search.maxSeries=${this.opts.maxSeriesPerQuery}; narrow the selector or raise the limit`);
    }
    const samples = await this.storage.read(ids, minT, maxT, arena);
    const out: Series[] = [];
    for (const id of ids) {
      const s = samples.get(id);
      if (!s || s.timestamps.length === 0) continue;
      out.push({ labels: this.index.labelsOf(id), timestamps: s.timestamps, values: s.values });
    }
    out.sort((a, b) => compareLabels(a.labels, b.labels));
    return out;
  }

  /** Every matching series with its samples in [minT, maxT], read in chunks for streaming exports. */
  async *exportSeries(tenant: Tenant, matcherSets: readonly (readonly LabelMatcher[])[], minT: number, maxT: number): AsyncGenerator<Series> {
    const idSet = new Set<number>();
    for (const ms of matcherSets) for (const id of this.index.select(tenant, ms, minT, maxT)) idSet.add(id);
    const ids = [...idSet].sort((a, b) => a - b);
    for (let i = 0; i < ids.length; i += EXPORT_CHUNK) {
      const chunk = ids.slice(i, i + EXPORT_CHUNK);
      const samples = await this.storage.read(chunk, minT, maxT);
      for (const id of chunk) {
        const s = samples.get(id);
        if (s && s.timestamps.length > 0) yield { labels: this.index.labelsOf(id), timestamps: s.timestamps, values: s.values };
      }
    }
  }

  /** Labels of the series matching any of the matcher sets (all series when none), for /api/v1/series. */
  series(tenant: Tenant, matcherSets: readonly (readonly LabelMatcher[])[], minT: number, maxT: number, limit?: number): Labels[] {
    const idSet = new Set<number>();
    for (const ms of matcherSets) {
      for (const id of this.index.select(tenant, ms, minT, maxT, limit)) {
        idSet.add(id);
        if (limit !== undefined && idSet.size >= limit) break;
      }
    }
    return [...idSet].map((id) => this.index.labelsOf(id)).sort(compareLabels);
  }

  labelNames(tenant: Tenant, matcherSets: readonly (readonly LabelMatcher[])[], minT: number, maxT: number, limit?: number): string[] {
    return this.index.labelNames(tenant, matcherSets, minT, maxT, limit);
  }

  labelValues(tenant: Tenant, name: string, matcherSets: readonly (readonly LabelMatcher[])[], minT: number, maxT: number, limit?: number): string[] {
    return this.index.labelValues(tenant, name, matcherSets, minT, maxT, limit);
  }

  tsdbStatus(tenant: Tenant, opts: Parameters<LabelIndex['tsdbStatus']>[1]): TsdbStatus {
    return this.index.tsdbStatus(tenant, opts);
  }

  metricMetadata(tenant: Tenant): ReadonlyMap<string, MetricMetadata> {
    return this.metadata.get(formatTenant(tenant));
  }

  /** Deletes matching series: they vanish from queries now; their samples go at the next merge. */
  deleteSeries(tenant: Tenant, matchers: readonly LabelMatcher[]): number {
    const ids = this.index.deleteSeries(tenant, matchers);
    if (ids.length > 0) {
      // A deleted label set written again becomes a new series, so cached ids must go.
      this.idCaches.get(formatTenant(tenant))?.clear();
      this.dayTrackers.get(formatTenant(tenant))?.clear();
    }
    return ids.length;
  }

  forceFlush(): Promise<void> {
    return this.storage.forceFlush();
  }

  /** Merges each partition down to one part, then compacts the label index file. */
  async forceMerge(): Promise<void> {
    await this.storage.forceMerge();
    await this.index.compact();
  }

  stats(): StorageStats & { seriesCreated: number; seriesTotal: number } {
    return { ...this.storage.stats(), seriesCreated: this.seriesCreated, seriesTotal: this.index.seriesCount() };
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
