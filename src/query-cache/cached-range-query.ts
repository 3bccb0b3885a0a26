/**
 * A range query through the rollup result cache: the steps the cache holds come from it, only
 * the rest (normally the fresh tail since the last refresh) is evaluated, and the complete steps
 * of the answer are stored for the next time.
 */
import { compareLabels, labelsKey, type Querier } from '../model/index.js';
import type { Expr } from '../promql/index.js';
import type { Annotation, Engine, QueryResult } from '../promql/index.js';
import { isCacheable } from './cacheable.js';
import { CACHE_ENTRY_OVERHEAD, seriesBytes, type CachedSeries, type RollupResultCache } from './rollup-cache.js';

export interface RangeQuery {
  readonly tenant: string;
  /** The query text as sent: part of the key, so equal texts share entries. */
  readonly query: string;
  readonly expr: Expr;
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
  readonly signal?: AbortSignal;
}

type MatrixSeries = CachedSeries;

function cacheKey(q: RangeQuery, lookbackDeltaMs: number): string {
  const align = ((q.startMs % q.stepMs) + q.stepMs) % q.stepMs;
  return `${q.tenant}\u0000${q.stepMs}\u0000${align}\u0000${lookbackDeltaMs}\u0000${q.query}`;
}

/** The steps of `s` within [from, to] (views, not copies). */
function sliceSteps(s: MatrixSeries, from: number, to: number): MatrixSeries | null {
  let lo = 0;
  while (lo < s.timestamps.length && s.timestamps[lo]! < from) lo++;
  let hi = lo;
  while (hi < s.timestamps.length && s.timestamps[hi]! <= to) hi++;
  if (hi === lo) return null;
  if (lo === 0 && hi === s.timestamps.length) return s;
  return { labels: s.labels, timestamps: s.timestamps.subarray(lo, hi), values: s.values.subarray(lo, hi) };
}

/** Cached steps (all before the fresh ones) and fresh steps joined per label set, sorted as the engine sorts. */
function join(cached: readonly MatrixSeries[], fresh: readonly MatrixSeries[]): MatrixSeries[] {
  if (cached.length === 0) return [...fresh];
  if (fresh.length === 0) return [...cached];
  const byKey = new Map<string, MatrixSeries>();
  for (const s of cached) byKey.set(labelsKey(s.labels), s);
  const out: MatrixSeries[] = [];
  for (const f of fresh) {
    const key = labelsKey(f.labels);
    const c = byKey.get(key);
    if (!c) {
      out.push(f);
      continue;
    }
    byKey.delete(key);
    const n = c.timestamps.length;
    const timestamps = new Float64Array(n + f.timestamps.length);
    const values = new Float64Array(n + f.values.length);
    timestamps.set(c.timestamps);
    timestamps.set(f.timestamps, n);
    values.set(c.values);
    values.set(f.values, n);
    out.push({ labels: c.labels, timestamps, values });
  }
  for (const c of byKey.values()) out.push(c);
  out.sort((a, b) => compareLabels(a.labels, b.labels));
  return out;
}

function uniqueAnnotations(a: readonly Annotation[], b: readonly Annotation[]): Annotation[] {
  if (a.length === 0) return [...b];
  const seen = new Set(a.map((x) => JSON.stringify(x)));
  return [...a, ...b.filter((x) => !seen.has(JSON.stringify(x)))];
}

/** `rangeQuery` of the engine, served from and stored into `cache` where the expression allows. */
export async function cachedRangeQuery(
  cache: RollupResultCache,
  engine: Engine,
  querier: Querier,
  q: RangeQuery,
  nowMs: number = Date.now(),
): Promise<QueryResult> {
  if (!cache.enabled || !isCacheable(q.expr)) return engine.rangeQuery(querier, q.expr, q.startMs, q.endMs, q.stepMs, q.signal);
  const { startMs: start, endMs: end, stepMs: step } = q;
  const generation = cache.generation;
  // The last step on this query's grid whose data is complete enough to keep.
  const horizon = nowMs - cache.timestampOffsetMs;
  const lastComplete = start + Math.floor((horizon - start) / step) * step;
  const key = cacheKey(q, engine.opts.lookbackDeltaMs);
  const entry = cache.get(key);
  const usable = entry !== undefined && entry.startMs <= start && entry.endMs >= start;

  let cachedPart: MatrixSeries[] = [];
  let cachedUpto = start - step;
  let fresh: QueryResult | null = null;
  if (usable) {
    cachedUpto = Math.min(entry.endMs, start + Math.floor((end - start) / step) * step);
    for (const s of entry.series) {
      const part = sliceSteps(s, entry.startMs, cachedUpto);
      if (part) cachedPart.push(part);
    }
  }
  if (cachedUpto + step <= end) {
    fresh = await engine.rangeQuery(querier, q.expr, cachedUpto + step, end, step, q.signal);
    if (fresh.value.type !== 'matrix') return fresh;
    // Native histogram points are not kept (the cache holds float steps only): such an answer is
    // computed in full and not stored.
    if (fresh.value.series.some((s) => s.histograms !== undefined)) {
      return usable ? engine.rangeQuery(querier, q.expr, start, end, step, q.signal) : fresh;
    }
    if (usable) cache.partialHits++;
    else cache.misses++;
  } else cache.hits++;
  const freshSeries: MatrixSeries[] = fresh && fresh.value.type === 'matrix' ? fresh.value.series : [];
  const all = join(cachedPart, freshSeries);
  const warnings = uniqueAnnotations(entry && usable ? entry.warnings : [], fresh?.warnings ?? []);
  const infos = uniqueAnnotations(entry && usable ? entry.infos : [], fresh?.infos ?? []);

  // Store what is complete: from the entry's start (or this query's) up to the horizon.
  const storeFrom = usable ? entry.startMs : start;
  const storeTo = Math.min(lastComplete, end);
  if (storeTo >= storeFrom && (fresh !== null || !usable)) {
    const series: CachedSeries[] = [];
    let bytes = CACHE_ENTRY_OVERHEAD;
    for (const s of all) {
      const part = sliceSteps(s, storeFrom, storeTo);
      if (!part) continue;
      // Copies: views would keep a whole answer's arrays alive.
      const copy = { labels: s.labels, timestamps: part.timestamps.slice(), values: part.values.slice() };
      series.push(copy);
      bytes += seriesBytes(copy);
    }
    cache.put(key, { tenant: q.tenant, startMs: storeFrom, endMs: storeTo, stepMs: step, series, warnings, infos, bytes }, generation);
  }

  const answer: MatrixSeries[] = [];
  for (const s of all) {
    const part = sliceSteps(s, start, end);
    if (part) answer.push(part);
  }
  return { value: { type: 'matrix', series: answer }, warnings, infos, stats: fresh?.stats ?? { samples: 0, series: 0 } };
}
