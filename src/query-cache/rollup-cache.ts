/**
 * The rollup result cache: range-query results per query, step and step alignment, tenant, kept
 * per series for the steps that were complete when computed (older than `timestampOffsetMs`), so a
 * dashboard refresh computes only the fresh tail. Bounded by bytes (least recently used entries go
 * first). Writes at or before a cached step cut the entries of their tenant back to the steps
 * before the write; deletes drop the tenant's entries. A generation number lets a query that was
 * computing while such a change landed know not to store what it computed.
 */
import type { Labels } from '../model/index.js';
import type { Annotation } from '../promql/index.js';

export interface CachedSeries {
  readonly labels: Labels;
  /** Step timestamps (ms), ascending, a subset of the entry's grid. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

export interface CacheEntry {
  readonly tenant: string;
  /** First and last step the entry holds (on the grid startMs + k·stepMs). */
  readonly startMs: number;
  endMs: number;
  readonly stepMs: number;
  series: CachedSeries[];
  readonly warnings: readonly Annotation[];
  readonly infos: readonly Annotation[];
  bytes: number;
}

export interface RollupCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly maxBytes: number;
  readonly hits: number;
  readonly partialHits: number;
  readonly misses: number;
}

const ENTRY_OVERHEAD = 256;
const SERIES_OVERHEAD = 96;

function labelsBytes(labels: Labels): number {
  let n = 0;
  for (const l of labels) n += 48 + 2 * (l.name.length + l.value.length);
  return n;
}

export function seriesBytes(s: CachedSeries): number {
  return SERIES_OVERHEAD + labelsBytes(s.labels) + 16 * s.timestamps.length;
}

export class RollupResultCache {
  private readonly entries = new Map<string, CacheEntry>();
  private bytes = 0;
  /** Latest step any entry holds: writes after it cannot touch the cache. */
  private latestEnd = -Infinity;
  private gen = 0;
  hits = 0;
  partialHits = 0;
  misses = 0;

  constructor(
    readonly maxBytes: number,
    /** Steps newer than now − this are not stored: their data may still be arriving. */
    readonly timestampOffsetMs: number,
  ) {}

  get generation(): number {
    return this.gen;
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The entry for `key`, marked most recently used. */
  get(key: string): CacheEntry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  /**
   * Stores (or replaces) an entry, unless the cache changed generation since `generation` was read
   * (a write or delete may have landed in the computed range) or the entry alone exceeds the bound.
   */
  put(key: string, entry: CacheEntry, generation: number): boolean {
    if (generation !== this.gen || !this.enabled) return false;
    this.remove(key);
    if (entry.bytes > this.maxBytes / 4) return false;
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    if (entry.endMs > this.latestEnd) this.latestEnd = entry.endMs;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
    return true;
  }

  private remove(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= old.bytes;
  }

  /**
   * Samples of `tenant` at `minT` or later were written. Steps at or after minT may have changed
   * (every cacheable expression reads only data at or before its step); earlier ones have not.
   * Cheap when the write is newer than anything cacheable, which is every write of live data.
   */
  written(tenant: string, minT: number, nowMs: number): void {
    if (minT > nowMs - this.timestampOffsetMs && minT > this.latestEnd) return;
    this.gen++;
    if (minT > this.latestEnd) return;
    let latest = -Infinity;
    for (const [k, e] of this.entries) {
      if (e.tenant === tenant && e.endMs >= minT) {
        const keep = Math.floor((minT - 1 - e.startMs) / e.stepMs);
        if (keep < 0) {
          this.entries.delete(k);
          this.bytes -= e.bytes;
          continue;
        }
        const end = e.startMs + keep * e.stepMs;
        const series: CachedSeries[] = [];
        let bytes = ENTRY_OVERHEAD;
        for (const s of e.series) {
          let n = s.timestamps.length;
          while (n > 0 && s.timestamps[n - 1]! > end) n--;
          if (n === 0) continue;
          const cut = { labels: s.labels, timestamps: s.timestamps.slice(0, n), values: s.values.slice(0, n) };
          series.push(cut);
          bytes += seriesBytes(cut);
        }
        this.bytes += bytes - e.bytes;
        e.series = series;
        e.endMs = end;
        e.bytes = bytes;
      }
      if (e.endMs > latest) latest = e.endMs;
    }
    this.latestEnd = latest;
  }

  /** Series or samples of `tenant` were deleted: its entries go. */
  deleted(tenant: string | null): void {
    this.gen++;
    for (const [k, e] of this.entries) {
      if (tenant !== null && e.tenant !== tenant) continue;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
  }

  reset(): void {
    this.gen++;
    this.entries.clear();
    this.bytes = 0;
    this.latestEnd = -Infinity;
  }

  stats(): RollupCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, maxBytes: this.maxBytes, hits: this.hits, partialHits: this.partialHits, misses: this.misses };
  }
}

export const CACHE_ENTRY_OVERHEAD = ENTRY_OVERHEAD;
