/**
 * PromQL evaluator throughput on one core: the benchmark query list evaluated by Strata's engine
 * over node_exporter-like data held in memory, so the figures are the evaluator's inner loops
 * (windows, rate, aggregation, joins) and not storage or HTTP. Reports fetched samples per second.
 *
 *   npx tsc -p tsconfig.bench.json && node build/bench/promql.js [--hosts N] [--seconds S]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareLabels, getLabel, type LabelMatcher, type Labels, type Querier, type Series } from '../src/model/index.js';
import { Engine } from '../src/promql/engine.js';
import { compileLabelRegex } from '../src/promql/parser.js';
import { HostModel } from './gen/node-exporter.js';
import { QUERIES } from './queries.js';

export interface PromqlBenchOptions {
  readonly hosts?: number;
  readonly hours?: number;
  readonly scrapeIntervalSec?: number;
  /** Minimum measuring time per query. */
  readonly seconds?: number;
  readonly quick?: boolean;
}

export interface PromqlBenchRow {
  readonly query: string;
  readonly window: string;
  readonly resultSeries: number;
  readonly fetchedSamples: number;
  readonly msPerQuery: number;
  readonly samplesPerSecond: number;
}

/** All series in memory, sorted by labels, answering `select` by scanning: the evaluator is what is measured. */
class MemoryQuerier implements Querier {
  private readonly regexCache = new Map<string, { test(v: string): boolean }>();
  constructor(private readonly series: readonly Series[]) {}

  private matches(l: Labels, m: LabelMatcher): boolean {
    const v = getLabel(l, m.name);
    switch (m.type) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return this.re(m.value).test(v);
      case '!~':
        return !this.re(m.value).test(v);
    }
  }

  private re(p: string): { test(v: string): boolean } {
    let r = this.regexCache.get(p);
    if (!r) this.regexCache.set(p, (r = compileLabelRegex(p)));
    return r;
  }

  async select(matchers: readonly LabelMatcher[], minT: number, maxT: number): Promise<Series[]> {
    const out: Series[] = [];
    for (const s of this.series) {
      if (!matchers.every((m) => this.matches(s.labels, m))) continue;
      const lo = lowerBound(s.timestamps, minT);
      const hi = lowerBound(s.timestamps, maxT + 1);
      if (hi > lo) out.push({ labels: s.labels, timestamps: s.timestamps.subarray(lo, hi), values: s.values.subarray(lo, hi) });
    }
    return out;
  }
}

function lowerBound(a: Float64Array, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function buildSeries(hosts: number, scrapes: number, intervalMs: number, endMs: number): Series[] {
  const startMs = endMs - (scrapes - 1) * intervalMs;
  const models = Array.from({ length: hosts }, (_, h) => new HostModel(h, 0, 42, startMs));
  const cols = models.map((m) => m.labels.map(() => ({ ts: new Float64Array(scrapes), vs: new Float64Array(scrapes) })));
  for (let k = 0; k < scrapes; k++) {
    const t = startMs + k * intervalMs;
    models.forEach((m, h) => {
      if (k > 0) m.advance(intervalMs / 1000, t);
      for (let i = 0; i < m.seriesCount; i++) {
        cols[h]![i]!.ts[k] = t;
        cols[h]![i]!.vs[k] = m.values[i]!;
      }
    });
  }
  const series: Series[] = [];
  models.forEach((m, h) => m.labels.forEach((labels, i) => series.push({ labels, timestamps: cols[h]![i]!.ts, values: cols[h]![i]!.vs })));
  return series.sort((a, b) => compareLabels(a.labels, b.labels));
}

export async function runPromqlBench(opts: PromqlBenchOptions = {}): Promise<PromqlBenchRow[]> {
  const hosts = opts.hosts ?? (opts.quick ? 10 : 40);
  const hours = opts.hours ?? 2;
  const intervalMs = (opts.scrapeIntervalSec ?? 15) * 1000;
  const seconds = opts.seconds ?? (opts.quick ? 0.3 : 1);
  const endMs = Date.UTC(2026, 0, 1);
  const scrapes = Math.floor((hours * 3_600_000) / intervalMs);
  const startMs = endMs - (scrapes - 1) * intervalMs;
  const querier = new MemoryQuerier(buildSeries(hosts, scrapes, intervalMs, endMs));
  const engine = new Engine();
  const rows: PromqlBenchRow[] = [];
  for (const q of QUERIES) {
    const run = () =>
      q.window === 'instant'
        ? engine.instantQuery(querier, q.expr, endMs)
        : engine.rangeQuery(
            querier,
            q.expr,
            q.window === '1h' ? endMs - 3_600_000 : startMs,
            endMs,
            Math.max(15_000, Math.ceil((q.window === '1h' ? 3_600_000 : endMs - startMs) / 240 / 1000) * 1000),
          );
    const first = await run();
    const resultSeries = first.value.type === 'vector' ? first.value.samples.length : first.value.type === 'matrix' ? first.value.series.length : 1;
    const fetched = first.stats?.samples ?? 0;
    let n = 0;
    const t0 = performance.now();
    let el = 0;
    while (el < seconds * 1000 || n < 3) {
      await run();
      n++;
      el = performance.now() - t0;
    }
    rows.push({
      query: `${q.id} ${q.expr.length > 60 ? q.expr.slice(0, 57) + '...' : q.expr}`,
      window: q.window,
      resultSeries,
      fetchedSamples: fetched,
      msPerQuery: el / n,
      samplesPerSecond: (fetched * n) / (el / 1000),
    });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { hosts: { type: 'string' }, seconds: { type: 'string' }, quick: { type: 'boolean' } } });
  const rows = await runPromqlBench({
    hosts: values.hosts ? Number(values.hosts) : undefined,
    seconds: values.seconds ? Number(values.seconds) : undefined,
    quick: values.quick,
  });
  for (const r of rows) {
    console.log(
      `${r.query.padEnd(64)} ${r.window.padEnd(8)} ${String(r.resultSeries).padStart(5)} series ${r.msPerQuery.toFixed(2).padStart(9)} ms ${(r.samplesPerSecond / 1e6).toFixed(2).padStart(7)} M samples/s`,
    );
  }
}
