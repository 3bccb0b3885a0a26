/**
 * The phases of the `scale` profile after ingestion, per target: the query list 16-way concurrent
 * for a fixed number of requests (a Grafana dashboard over many hosts fires its panels at once),
 * a full scan (`count_over_time` of every sample), and a churn wave (10% of hosts restart under
 * new instance labels) timed as series creation. Each phase reports server CPU and peak RSS.
 */
import type { ChurnSet, Dataset } from './gen/index.js';
import { REMOTE_WRITE_HEADERS } from './gen/index.js';
import { queryRequest, type BenchQuery } from './queries.js';
import { RssSampler } from './rss-sampler.js';
import { httpRequest, keepAliveAgent, type Target } from './targets/index.js';

export interface ConcurrentPhase {
  readonly concurrency: number;
  readonly requests: number;
  readonly errors: number;
  readonly firstError: string;
  readonly seconds: number;
  readonly qps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuSecondsPerQuery: number;
  readonly peakRssBytes: number;
}

export interface FullScanPhase {
  readonly expr: string;
  readonly ms: number;
  readonly error: string;
  readonly value: number;
  readonly peakRssBytes: number;
}

export interface ChurnPhase {
  readonly newSeries: number;
  readonly seconds: number;
  readonly seriesPerSecond: number;
  readonly failedRequests: number;
  readonly firstError: string;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
}

export interface ScaleResult {
  /** Peak RSS over the sequential query runs (measured around runQueries by the caller). */
  sequentialPeakRssBytes: number;
  sequentialCpuSecondsPerQuery: number;
  concurrent: ConcurrentPhase | null;
  fullScan: FullScanPhase | null;
  churn: ChurnPhase | null;
  error: string;
}

export interface ScaleOptions {
  readonly concurrency: number;
  /** Requests in the concurrent phase: the query list repeated, in a fixed interleaved order. */
  readonly concurrentRequests: number;
  readonly timeoutMs: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function urlOf(target: Target, q: BenchQuery, d: Dataset): string {
  const req = queryRequest(q, d);
  return `${target.baseUrl}${req.path}?${new URLSearchParams({ ...req.params, ...target.queryParams }).toString()}`;
}

/** Ok when HTTP 200 with status success; else the error text. */
async function ask(url: string, agent: ReturnType<typeof keepAliveAgent>, timeoutMs: number): Promise<{ error: string; body: string }> {
  try {
    const r = await httpRequest(url, { agent, timeoutMs });
    const body = r.body.toString('utf8');
    if (r.status !== 200 || !body.includes('"status":"success"')) return { error: `HTTP ${r.status}: ${body.slice(0, 160)}`, body };
    return { error: '', body };
  } catch (e) {
    return { error: (e as Error).message, body: '' };
  }
}

/** Every query of the list, `concurrency` at a time, until `requests` have finished. */
/**
 * Both systems keep in their rollup caches only the steps older than 5 minutes (their default
 * `cacheTimestampOffset`). Range queries end at the data's last scrape, so a system queried
 * sooner after it than the other recomputes the fresh steps every time while the other answers
 * from its cache: the first system run lost that comparison. Each system's queries therefore start
 * once the data is this old, so both are measured on the same, fully cacheable data.
 */
export const CACHE_OFFSET_MS = 5 * 60_000;
const CACHEABLE_MARGIN_MS = 15_000;

/** How long to wait before querying data that ends at `endMs`, so its every step is cacheable. */
export function cacheableAgeWaitMs(endMs: number, nowMs: number): number {
  return Math.max(0, endMs + CACHE_OFFSET_MS + CACHEABLE_MARGIN_MS - nowMs);
}

export async function runConcurrentMix(target: Target, queries: readonly BenchQuery[], d: Dataset, opts: ScaleOptions): Promise<ConcurrentPhase> {
  const urls = queries.map((q) => urlOf(target, q, d));
  const agent = keepAliveAgent(opts.concurrency);
  const lat: number[] = [];
  let errors = 0;
  let firstError = '';
  let next = 0;
  const before = target.stats();
  const rss = new RssSampler(target.pid);
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < opts.concurrentRequests) {
      const url = urls[next++ % urls.length]!;
      const t = performance.now();
      const r = await ask(url, agent, opts.timeoutMs);
      lat.push(performance.now() - t);
      if (r.error) {
        errors++;
        if (!firstError) firstError = r.error;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const peakRssBytes = rss.stop();
  const after = target.stats();
  agent.destroy();
  lat.sort((a, b) => a - b);
  return {
    concurrency: opts.concurrency,
    requests: lat.length,
    errors,
    firstError,
    seconds,
    qps: (lat.length - errors) / seconds,
    p50Ms: quantile(lat, 0.5),
    p99Ms: quantile(lat, 0.99),
    cpuSecondsPerQuery: (after.cpuSeconds - before.cpuSeconds) / Math.max(1, lat.length),
    peakRssBytes,
  };
}

/** One instant query touching every sample of every series. */
export async function runFullScan(target: Target, d: Dataset, timeoutMs: number): Promise<FullScanPhase> {
  const minutes = Math.ceil((d.endMs - d.startMs) / 60_000) + 1;
  const expr = `sum(count_over_time({job="node"}[${minutes}m]))`;
  const url = `${target.baseUrl}/api/v1/query?${new URLSearchParams({ query: expr, time: String(d.endMs / 1000), ...target.queryParams }).toString()}`;
  const agent = keepAliveAgent(1);
  const rss = new RssSampler(target.pid);
  const t = performance.now();
  const r = await ask(url, agent, timeoutMs);
  const ms = performance.now() - t;
  const peakRssBytes = rss.stop();
  agent.destroy();
  const m = /"value":\[[^,]+,"([^"]+)"\]/.exec(r.body);
  return { expr, ms, error: r.error, value: m ? Number(m[1]) : NaN, peakRssBytes };
}

/** Sends the churn bodies (every sample a new series) over one connection per shard. */
export async function runChurn(target: Target, churn: ChurnSet): Promise<ChurnPhase> {
  const agent = keepAliveAgent(churn.shards.length);
  const url = target.baseUrl + target.writePath;
  let failed = 0;
  let firstError = '';
  const before = target.stats();
  const rss = new RssSampler(target.pid);
  const t0 = performance.now();
  await Promise.all(
    churn.shards.map(async (bodies) => {
      for (const body of bodies) {
        try {
          const r = await httpRequest(url, { body: body.data, headers: REMOTE_WRITE_HEADERS, agent, timeoutMs: 120_000 });
          if (r.status < 200 || r.status >= 300) {
            failed++;
            if (!firstError) firstError = `HTTP ${r.status}: ${r.body.toString('utf8').slice(0, 160)}`;
          }
        } catch (e) {
          failed++;
          if (!firstError) firstError = (e as Error).message;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const peakRssBytes = rss.stop();
  const after = target.stats();
  agent.destroy();
  return {
    newSeries: churn.newSeries,
    seconds,
    seriesPerSecond: churn.newSeries / seconds,
    failedRequests: failed,
    firstError,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    peakRssBytes,
  };
}
