/**
 * The Prometheus query API: instant and range queries, format_query, metadata and the
 * status pages Grafana reads. Parsing and JSON shapes live in api/; evaluation in promql/.
 */
import { errorResponse as apiErrorResponse, formatFormatQueryResponse, formatQueryBody, annotationStrings } from './query-format.js';
import { parseFormatQueryParams, parseInstantQueryParams, parseRangeQueryParams } from './query-params.js';
import type { Database, DbQuerier } from '../db/index.js';
import { Engine, type QueryResult, type Value } from '../promql/index.js';
import { formatDuration, prettyExpr } from '../promql/index.js';
import { cachedRangeQuery, type RollupResultCache } from '../query-cache/index.js';
import { BudgetedArena, budgetedQuerier, QueryMemoryBudget } from '../query-budget/index.js';
import { formatTenant } from '../model/index.js';
import { QuerySlots } from './query-slots.js';
import { QueryTracker } from './query-tracker.js';
import { apiSuccess, text, type Request, type Response } from './request.js';
import type { Router } from './router.js';

export interface QueryDeps {
  readonly db: Database;
  readonly maxQueryDurationMs: number;
  readonly maxSamplesPerQuery: number;
  readonly maxSeries: number;
  readonly lookbackDeltaMs: number;
  readonly flags: Readonly<Record<string, string>>;
  readonly startedAt: Date;
  /** Range-query results by query, step and series (issue 17); `nocache=1` bypasses it. */
  readonly rollupCache: RollupResultCache;
  /** Bytes one query may hold while reading and evaluating (0: unlimited); past it, 422. */
  readonly maxMemoryPerQuery: number;
  /** Queries evaluating at once, and how long one may wait for a slot. */
  readonly maxConcurrentQueries: number;
  readonly maxQueueDurationMs: number;
}

function apiError(e: unknown): Response {
  const r = apiErrorResponse(e);
  return { status: r.status, headers: { 'Content-Type': 'application/json' }, body: r.body };
}

const JSON_HEADERS: Readonly<Record<string, string>> = { 'Content-Type': 'application/json' };

function jsonBody(body: string, status = 200): Response {
  return { status, headers: { 'Content-Type': 'application/json' }, body };
}

/** Applies the `limit` argument: at most n series, with Prometheus's warning when it cut some. */
function applyLimit(value: Value, limit: number, warnings: string[]): Value {
  if (limit <= 0) return value;
  if (value.type === 'vector' && value.samples.length > limit) {
    warnings.push(`results truncated due to limit`);
    return { type: 'vector', samples: value.samples.slice(0, limit) };
  }
  if (value.type === 'matrix' && value.series.length > limit) {
    warnings.push(`results truncated due to limit`);
    return { type: 'matrix', series: value.series.slice(0, limit) };
  }
  return value;
}

function statsJSON(result: QueryResult, elapsedMs: number, resolutionMs: number | null): string {
  return JSON.stringify({
    // Beyond Prometheus's shape: the sample resolution downsampling leaves at the query's start.
    ...(resolutionMs === null ? {} : { resolution: resolutionMs === 0 ? 'raw' : formatDuration(resolutionMs) }),
    timings: {
      evalTotalTime: elapsedMs / 1000,
      resultSortTime: 0,
      queryPreparationTime: 0,
      innerEvalTime: elapsedMs / 1000,
      execQueueTime: 0,
      execTotalTime: elapsedMs / 1000,
    },
    samples: { totalQueryableSamples: result.stats?.samples ?? 0, peakSamples: result.stats?.samples ?? 0 },
  });
}

function queryResponse(
  result: QueryResult,
  query: string,
  limit: number,
  withStats: boolean,
  elapsedMs: number,
  storageWarnings: readonly string[],
  resolutionMs: number | null,
): Response {
  const warnings = [...annotationStrings(result.warnings, query, 'warning'), ...storageWarnings];
  const infos = annotationStrings(result.infos, query, 'info');
  const value = applyLimit(result.value, limit, warnings);
  const body = formatQueryBody(value, warnings, infos, withStats ? `"stats":${statsJSON(result, elapsedMs, resolutionMs)}` : '');
  return { status: 200, headers: JSON_HEADERS, body };
}

/**
 * Samples a streamed aggregation reads per batch: 500k (8 MB of columns, what the read slab pool
 * keeps for reuse), or an eighth of the per-query memory budget when that is smaller, so a batch
 * never uses up the budget by itself.
 */
function streamBatchSamples(maxMemoryPerQuery: number): number {
  const BYTES_PER_SAMPLE = 16;
  return maxMemoryPerQuery > 0 ? Math.max(1, Math.min(500_000, Math.floor(maxMemoryPerQuery / BYTES_PER_SAMPLE / 8))) : 500_000;
}

export function registerQueryRoutes(router: Router, deps: QueryDeps): void {
  const tracker = new QueryTracker();
  const slots = new QuerySlots(deps.maxConcurrentQueries, deps.maxQueueDurationMs);
  const engineFor = (timeoutMs: number | null, budget: QueryMemoryBudget) =>
    new Engine(
      {
        lookbackDeltaMs: deps.lookbackDeltaMs,
        maxSamples: deps.maxSamplesPerQuery,
        maxSeries: deps.maxSeries,
        timeoutMs: timeoutMs === null ? deps.maxQueryDurationMs : Math.min(timeoutMs, deps.maxQueryDurationMs),
        streamBatchSamples: streamBatchSamples(deps.maxMemoryPerQuery),
      },
      budget,
    );
  // A query may wait for a slot, then run for its whole duration.
  const deadlineMs = deps.maxQueueDurationMs + deps.maxQueryDurationMs + 5_000;

  /**
   * Runs one query in a slot, under a memory budget of its own, tracked for the top-queries page,
   * and answers in Prometheus's JSON; `resolutionAtMs` is where the stats' resolution is read.
   */
  const evaluate = async (
    req: Request,
    form: URLSearchParams,
    query: string,
    limit: number,
    resolutionAtMs: number,
    trackedAs: Readonly<Record<string, number>>,
    run: (budget: QueryMemoryBudget, querier: DbQuerier) => Promise<QueryResult>,
  ): Promise<Response> => {
    const started = Date.now();
    const budget = new QueryMemoryBudget(deps.maxMemoryPerQuery);
    const arena = new BudgetedArena(budget);
    const querier = budgetedQuerier(
      deps.db.querier(req.tenant, arena, () => new BudgetedArena(budget)),
      budget,
    );
    let result: QueryResult;
    try {
      result = await slots.run(() => tracker.track(query, trackedAs, () => run(budget, querier)), req.signal);
    } finally {
      // The result holds copies, never views of the read slabs: they can serve the next query.
      arena.release();
    }
    return queryResponse(result, query, limit, form.get('stats') !== null, Date.now() - started, querier.warnings(), deps.db.resolutionAt(resolutionAtMs));
  };

  router.add(
    ['GET', 'POST'],
    '/api/v1/query',
    async (req: Request) => {
      try {
        const form = await req.form();
        const p = parseInstantQueryParams(form, Date.now());
        return await evaluate(req, form, p.query, p.limit, p.timeMs, { time: p.timeMs }, (budget, querier) =>
          engineFor(p.timeoutMs, budget).instantQuery(querier, p.expr, p.timeMs, req.signal),
        );
      } catch (e) {
        return apiError(e);
      }
    },
    { deadlineMs },
  );

  router.add(
    ['GET', 'POST'],
    '/api/v1/query_range',
    async (req: Request) => {
      try {
        const form = await req.form();
        const p = parseRangeQueryParams(form);
        const bypass = form.get('nocache') === '1';
        return await evaluate(req, form, p.query, p.limit, p.startMs, { start: p.startMs, end: p.endMs, step: p.stepMs }, (budget, querier) =>
          bypass
            ? engineFor(p.timeoutMs, budget).rangeQuery(querier, p.expr, p.startMs, p.endMs, p.stepMs, req.signal)
            : cachedRangeQuery(deps.rollupCache, engineFor(p.timeoutMs, budget), querier, {
                tenant: formatTenant(req.tenant),
                query: p.query,
                expr: p.expr,
                startMs: p.startMs,
                endMs: p.endMs,
                stepMs: p.stepMs,
                signal: req.signal,
              }),
        );
      } catch (e) {
        return apiError(e);
      }
    },
    { deadlineMs },
  );

  // As VictoriaMetrics names it: after data was changed behind the server's back (a restore).
  router.add(
    ['GET', 'POST'],
    '/internal/resetRollupResultCache',
    () => {
      deps.rollupCache.reset();
      return text('');
    },
    { auth: 'admin' },
  );

  router.add(['GET', 'POST'], '/api/v1/format_query', async (req) => {
    try {
      const { expr } = parseFormatQueryParams(await req.form());
      return jsonBody(formatFormatQueryResponse(prettyExpr(expr)));
    } catch (e) {
      return apiError(e);
    }
  });

  router.add(['GET', 'POST'], '/api/v1/metadata', async (req) => {
    const form = await req.form();
    const metric = form.get('metric');
    const limit = Number(form.get('limit') ?? '0') || 0;
    const out: Record<string, Array<{ type: string; help: string; unit: string }>> = {};
    for (const [name, m] of deps.db.metricMetadata(req.tenant)) {
      if (metric && name !== metric) continue;
      if (limit > 0 && Object.keys(out).length >= limit) break;
      out[name] = [{ type: m.type, help: m.help, unit: m.unit }];
    }
    return apiSuccess(out);
  });

  router.add('GET', '/api/v1/status/runtimeinfo', () => {
    const st = deps.db.stats();
    return apiSuccess({
      startTime: deps.startedAt.toISOString(),
      CWD: process.cwd(),
      reloadConfigSuccess: true,
      lastConfigTime: deps.startedAt.toISOString(),
      corruptionCount: st.quarantinedParts,
      goroutineCount: 0,
      GOMAXPROCS: 1,
      GOGC: '',
      GODEBUG: '',
      storageRetention: deps.flags['retentionPeriod'] ?? '',
    });
  });

  router.add('GET', '/api/v1/status/config', () => apiSuccess({ yaml: '' }));

  router.add('GET', '/api/v1/status/active_queries', () => apiSuccess(tracker.active()));
  router.add('GET', '/api/v1/status/top_queries', (req) => {
    const topN = Number(req.query.get('topN') ?? '20') || 20;
    return apiSuccess(tracker.top(topN));
  });
}
