/**
 * Runs the query list against one target: a warm-up that also counts result series, sequential
 * runs for median/p90 latency, then a fixed number of requests at 16-way concurrency for
 * throughput. Each phase is bounded in time so a slow target cannot stall the suite.
 */
import type { Dataset } from './gen/index.js';
import { queryRequest, type BenchQuery } from './queries.js';
import { httpRequest, keepAliveAgent, Unsupported, type Target } from './targets/index.js';
import type http from 'node:http';

export interface QueryResult {
  readonly id: string;
  /** Empty when the query ran; else why it is n/a. */
  readonly error: string;
  readonly seriesCount: number;
  /** Points in the result (1 per series for instant vectors) and the sum of their finite values:
   * a cheap fingerprint for comparing answers between systems. */
  readonly points: number;
  readonly valueSum: number;
  readonly expectedSeries: number | null;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly sequentialRuns: number;
  readonly qps: number;
  readonly concurrentRuns: number;
}

export interface QueryOptions {
  readonly sequentialRuns: number;
  readonly concurrency: number;
  readonly concurrentRequests: number;
  /** Upper bound on wall time of each phase of each query. */
  readonly phaseBudgetMs: number;
  readonly timeoutMs: number;
}

interface PromResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

export class QueryFailed extends Error {
  override name = 'QueryFailed';
}

interface Answer {
  readonly series: number;
  readonly points: number;
  readonly valueSum: number;
}

type PromSample = [number, string];

/** Points and value sum of a Prometheus-shaped result, whatever its type. */
function fingerprint(resultType: string | undefined, result: unknown): Answer {
  let points = 0;
  let valueSum = 0;
  const add = (p: PromSample): void => {
    points++;
    const v = Number(p[1]);
    if (Number.isFinite(v)) valueSum += v;
  };
  if (resultType === 'scalar' || resultType === 'string') {
    add(result as PromSample);
    return { series: 1, points, valueSum };
  }
  if (!Array.isArray(result)) throw new QueryFailed(`result of type ${resultType} is not an array`);
  for (const s of result as { value?: PromSample; values?: PromSample[] }[]) {
    if (s.value) add(s.value);
    if (s.values) for (const p of s.values) add(p);
  }
  return { series: result.length, points, valueSum };
}

async function runOnce(url: string, agent: http.Agent, timeoutMs: number): Promise<Answer> {
  const r = await httpRequest(url, { agent, timeoutMs });
  if (r.status === 404 || r.status === 405 || r.status === 501) {
    throw new Unsupported(`GET ${new URL(url).pathname} returns ${r.status}`);
  }
  let parsed: PromResponse;
  try {
    parsed = JSON.parse(r.body.toString('utf8')) as PromResponse;
  } catch {
    throw new QueryFailed(`HTTP ${r.status}, body is not JSON: ${r.body.toString('utf8').slice(0, 120)}`);
  }
  if (r.status !== 200 || parsed.status !== 'success') {
    throw new QueryFailed(`HTTP ${r.status} ${parsed.errorType ?? ''}: ${(parsed.error ?? r.body.toString('utf8')).slice(0, 160)}`);
  }
  return fingerprint(parsed.data?.resultType, parsed.data?.result);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function buildUrl(target: Target, q: BenchQuery, d: Dataset): string {
  const req = queryRequest(q, d);
  const params = new URLSearchParams({ ...req.params, ...target.queryParams });
  return `${target.baseUrl}${req.path}?${params.toString()}`;
}

export async function runQueries(
  target: Target,
  queries: readonly BenchQuery[],
  dataset: Dataset,
  opts: QueryOptions,
  log: (msg: string) => void = () => {},
): Promise<QueryResult[]> {
  const out: QueryResult[] = [];
  const agent = keepAliveAgent(opts.concurrency);
  for (const q of queries) {
    const url = buildUrl(target, q, dataset);
    const expectedSeries = q.expectedSeries ? q.expectedSeries(dataset) : null;
    const base = { id: q.id, expectedSeries };
    let answer: Answer;
    try {
      answer = await runOnce(url, agent, opts.timeoutMs);
    } catch (e) {
      out.push({
        ...base,
        error: (e as Error).message,
        seriesCount: 0,
        points: 0,
        valueSum: NaN,
        p50Ms: NaN,
        p90Ms: NaN,
        sequentialRuns: 0,
        qps: NaN,
        concurrentRuns: 0,
      });
      log(`  ${target.label} ${q.id}: n/a (${(e as Error).message})`);
      continue;
    }
    const lat: number[] = [];
    let error = '';
    const seqStart = performance.now();
    while (lat.length < opts.sequentialRuns && performance.now() - seqStart < opts.phaseBudgetMs) {
      const t = performance.now();
      try {
        await runOnce(url, agent, opts.timeoutMs);
      } catch (e) {
        error = (e as Error).message;
        break;
      }
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);
    let done = 0;
    let started = 0;
    const concStart = performance.now();
    const worker = async (): Promise<void> => {
      while (started < opts.concurrentRequests && performance.now() - concStart < opts.phaseBudgetMs && !error) {
        started++;
        try {
          await runOnce(url, agent, opts.timeoutMs);
          done++;
        } catch (e) {
          error = (e as Error).message;
        }
      }
    };
    if (!error) await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const concSeconds = (performance.now() - concStart) / 1000;
    const r: QueryResult = {
      ...base,
      error,
      seriesCount: answer.series,
      points: answer.points,
      valueSum: answer.valueSum,
      p50Ms: quantile(lat, 0.5),
      p90Ms: quantile(lat, 0.9),
      sequentialRuns: lat.length,
      qps: done > 0 ? done / concSeconds : NaN,
      concurrentRuns: done,
    };
    out.push(r);
    log(`  ${target.label} ${q.id}: ${answer.series} series, p50 ${r.p50Ms.toFixed(1)} ms, ${r.qps.toFixed(1)} q/s${error ? ` (error: ${error})` : ''}`);
  }
  agent.destroy();
  return out;
}
