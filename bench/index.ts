/**
 * In-process micro benchmark of the label index (the side-by-side VictoriaMetrics numbers come from
 * the HTTP harness). Run: `npx tsc -p tsconfig.bench.json; node build/bench/index.js [series]`.
 * Prints a table and a JSON line; `runIndexBench()` returns the same figures.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Label, LabelMatcher, Labels, Tenant } from '../src/model/index.js';
import { LabelIndex } from '../src/index/index.js';

export interface IndexBenchOptions {
  /** Series created for the creation and lookup figures (default 1 000 000). */
  series?: number;
  /** Series per resolve() call, i.e. per durable LMDB transaction (default 10 000). */
  batch?: number;
  /** Churn scenario: days simulated, series active at once, new series per hour. */
  churnDays?: number;
  churnActive?: number;
  churnPerHour?: number;
  /** Where to put the temporary index directories (default the OS temp dir). */
  dir?: string;
  log?: (line: string) => void;
}

export interface LatencyFigure {
  readonly name: string;
  readonly results: number;
  readonly medianMs: number;
  readonly p90Ms: number;
}

export interface IndexBenchResult {
  readonly series: number;
  readonly createMs: number;
  readonly createSeriesPerSec: number;
  readonly indexBytes: number;
  readonly bytesPerSeries: number;
  readonly cachedResolveNsPerSeries: number;
  readonly reopenMs: number;
  readonly lookups: LatencyFigure[];
  readonly churn: {
    readonly days: number;
    readonly totalSeries: number;
    readonly lastHourSeries: number;
    readonly lastHourSelectMs: number;
    readonly oneDayDbSelectMs: number;
    readonly ratio: number;
    readonly allTimeSeries: number;
    readonly allTimeSelectMs: number;
    readonly lastHourLabelValuesMs: number;
    readonly oneDayDbLabelValuesMs: number;
  };
}

const T: Tenant = { accountID: 0, projectID: 0 };
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const DAY0 = 20_000;

function seriesLabels(i: number): Labels {
  const out: Label[] = [
    { name: '__name__', value: `metric_${i % 200}` },
    { name: 'env', value: ['prod', 'staging', 'dev'][i % 3]! },
    { name: 'instance', value: `host-${Math.floor(i / 200) % 5000}:9100` },
    { name: 'job', value: `job_${i % 20}` },
    { name: 'pod', value: `pod-${i}` },
  ];
  return out;
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    const st = statSync(join(dir, f));
    n += Math.min(st.size, st.blocks * 512); // allocated bytes; LMDB files can be sparse
  }
  return n;
}

function measure(name: string, runs: number, fn: () => number): LatencyFigure {
  const times: number[] = [];
  let results = 0;
  fn(); // warm the page cache and caches once, as a live server would be
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    results = fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    name,
    results,
    medianMs: round(times[Math.floor(times.length / 2)]!),
    p90Ms: round(times[Math.min(times.length - 1, Math.floor(times.length * 0.9))]!),
  };
}

/** Two measurements interleaved run by run, so GC and machine load fall on both alike. */
function measurePair(runs: number, a: LatencyFigure['name'], fa: () => number, b: LatencyFigure['name'], fb: () => number): [LatencyFigure, LatencyFigure] {
  const ta: number[] = [];
  const tb: number[] = [];
  let ra = 0;
  let rb = 0;
  fa();
  fb();
  for (let r = 0; r < runs; r++) {
    let t0 = performance.now();
    ra = fa();
    ta.push(performance.now() - t0);
    t0 = performance.now();
    rb = fb();
    tb.push(performance.now() - t0);
  }
  const fig = (name: string, results: number, times: number[]): LatencyFigure => {
    times.sort((x, y) => x - y);
    return {
      name,
      results,
      medianMs: round(times[Math.floor(times.length / 2)]!),
      p90Ms: round(times[Math.min(times.length - 1, Math.floor(times.length * 0.9))]!),
    };
  };
  return [fig(a, ra, ta), fig(b, rb, tb)];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const eq = (name: string, value: string): LabelMatcher => ({ name, type: '=', value });
const re = (name: string, value: string): LabelMatcher => ({ name, type: '=~', value });

/** Hour h of the churn scenario has series [h*perHour, h*perHour + active) active. */
function churnLabels(i: number): Labels {
  return [
    { name: '__name__', value: 'container_cpu_usage_seconds_total' },
    { name: 'container', value: `c${i % 50}` },
    { name: 'namespace', value: `ns${i % 10}` },
    { name: 'pod', value: `pod-${i}` },
  ];
}

function fillChurn(idx: LabelIndex, firstHour: number, hours: number, active: number, perHour: number): number {
  let created = 0;
  for (let h = firstHour; h < firstHour + hours; h++) {
    const day = DAY0 + Math.floor(h / 24);
    const sets: Labels[] = [];
    for (let i = h * perHour; i < h * perHour + active; i++) sets.push(churnLabels(i));
    idx.resolve(T, sets, day);
    created = h * perHour + active;
  }
  return created;
}

export function runIndexBench(opts: IndexBenchOptions = {}): IndexBenchResult {
  const n = opts.series ?? 1_000_000;
  const batch = opts.batch ?? 10_000;
  const log = opts.log ?? (() => {});
  const root = mkdtempSync(join(opts.dir ?? tmpdir(), 'strata-index-bench-'));
  try {
    // ---- creation ----
    const dir = join(root, 'big');
    let idx = LabelIndex.open(dir);
    const t0 = performance.now();
    for (let start = 0; start < n; start += batch) {
      const sets: Labels[] = [];
      for (let i = start; i < Math.min(n, start + batch); i++) sets.push(seriesLabels(i));
      idx.resolve(T, sets, DAY0);
      if ((start / batch) % 20 === 0) log(`  created ${start + sets.length} series`);
    }
    const createMs = performance.now() - t0;
    idx.close();
    const indexBytes = dirBytes(dir);
    log(`created ${n} series in ${createMs.toFixed(0)} ms; index ${indexBytes} bytes`);

    const r0 = performance.now();
    idx = LabelIndex.open(dir);
    const reopenMs = performance.now() - r0;

    // ---- the ingestion hot path: every series already known ----
    const sample = Math.min(n, 100_000);
    const known: Labels[] = [];
    for (let i = 0; i < sample; i++) known.push(seriesLabels(i));
    idx.resolve(T, known, DAY0); // fills the cache from LMDB
    const c0 = performance.now();
    for (let start = 0; start < sample; start += batch) idx.resolve(T, known.slice(start, start + batch), DAY0);
    const cachedResolveNsPerSeries = ((performance.now() - c0) * 1e6) / sample;

    // ---- lookups on n series ----
    const minT = DAY0 * DAY_MS + 10 * HOUR_MS;
    const maxT = minT + HOUR_MS;
    const lookups: LatencyFigure[] = [
      measure('select {pod="pod-123456"}', 20, () => idx.select(T, [eq('pod', `pod-${Math.min(123456, n - 1)}`)], minT, maxT).length),
      measure('select {__name__="metric_7"}', 10, () => idx.select(T, [eq('__name__', 'metric_7')], minT, maxT).length),
      measure(
        'select {__name__="metric_7",instance="host-12:9100"}',
        20,
        () => idx.select(T, [eq('__name__', 'metric_7'), eq('instance', 'host-12:9100')], minT, maxT).length,
      ),
      measure(
        'select {__name__="metric_7",env!="prod"}',
        10,
        () => idx.select(T, [eq('__name__', 'metric_7'), { name: 'env', type: '!=', value: 'prod' }], minT, maxT).length,
      ),
      measure('select {job=~"job_1|job_2"}', 5, () => idx.select(T, [re('job', 'job_1|job_2')], minT, maxT).length),
      measure(
        'select {__name__="metric_7",instance=~"host-1.*"}',
        10,
        () => idx.select(T, [eq('__name__', 'metric_7'), re('instance', 'host-1.*')], minT, maxT).length,
      ),
      measure(
        'select {__name__="metric_7",pod=~".*99"} (regex scan)',
        5,
        () => idx.select(T, [eq('__name__', 'metric_7'), re('pod', '.*99')], minT, maxT).length,
      ),
      measure(
        'select {__name__="metric_7"} over 90 days (all-time postings)',
        10,
        () => idx.select(T, [eq('__name__', 'metric_7')], minT - 90 * DAY_MS, maxT).length,
      ),
      measure('labelNames()', 20, () => idx.labelNames(T, [], minT, maxT).length),
      measure('labelValues(instance)', 10, () => idx.labelValues(T, 'instance', [], minT, maxT).length),
      measure('labelValues(__name__)', 20, () => idx.labelValues(T, '__name__', [], minT, maxT).length),
      measure('labelValues(instance, {__name__="metric_7"})', 10, () => idx.labelValues(T, 'instance', [[eq('__name__', 'metric_7')]], minT, maxT).length),
      measure('labelValues(pod) (1 value per series)', 3, () => idx.labelValues(T, 'pod', [], minT, maxT).length),
      measure('labelValues(pod, limit=100)', 10, () => idx.labelValues(T, 'pod', [], minT, maxT, 100).length),
      measure('tsdbStatus(date, topN=10)', 3, () => idx.tsdbStatus(T, { date: DAY0, topN: 10 }).totalSeries),
      measure('tsdbStatus({__name__="metric_7"}, topN=10)', 5, () => idx.tsdbStatus(T, { date: DAY0, matchers: [[eq('__name__', 'metric_7')]] }).totalSeries),
      measure('labelsOf x1000 (cold ids)', 5, () => {
        for (let k = 0; k < 1000; k++) idx.labelsOf(1 + ((k * 7919) % n));
        return 1000;
      }),
    ];
    for (const l of lookups) log(`  ${l.name}: ${l.results} results, median ${l.medianMs} ms, p90 ${l.p90Ms} ms`);
    idx.close();

    // ---- churn: months of series turnover must not slow a query over the last hour ----
    const days = opts.churnDays ?? 30;
    const active = opts.churnActive ?? 20_000;
    const perHour = opts.churnPerHour ?? 1_000;
    const churnIdx = LabelIndex.open(join(root, 'churn'));
    const totalSeries = fillChurn(churnIdx, 0, days * 24, active, perHour);
    const oneDayIdx = LabelIndex.open(join(root, 'oneday'));
    // The one-day database holds exactly the last day of the churned one, and nothing before it.
    fillChurn(oneDayIdx, (days - 1) * 24, 24, active, perHour);
    const lastHourStart = (DAY0 + days) * DAY_MS - HOUR_MS;
    const q = [eq('__name__', 'container_cpu_usage_seconds_total'), eq('namespace', 'ns3')];
    const [lastHour, oneDay] = measurePair(
      21,
      'churn: select last hour',
      () => churnIdx.select(T, q, lastHourStart, lastHourStart + HOUR_MS).length,
      'one-day db: select last hour',
      () => oneDayIdx.select(T, q, lastHourStart, lastHourStart + HOUR_MS).length,
    );
    const [lvChurn, lvOne] = measurePair(
      7,
      'churn: labelValues(pod) last hour',
      () => churnIdx.labelValues(T, 'pod', [], lastHourStart, lastHourStart + HOUR_MS).length,
      'one-day db: labelValues(pod) last hour',
      () => oneDayIdx.labelValues(T, 'pod', [], lastHourStart, lastHourStart + HOUR_MS).length,
    );
    // For contrast: the same query answered from all-time postings, as without the per-day index.
    const allTime = measure('churn: select over all time', 5, () => churnIdx.select(T, q, 0, Infinity).length);
    churnIdx.close();
    oneDayIdx.close();
    const churn = {
      days,
      totalSeries,
      lastHourSeries: lastHour.results,
      lastHourSelectMs: lastHour.medianMs,
      oneDayDbSelectMs: oneDay.medianMs,
      ratio: round(lastHour.medianMs / oneDay.medianMs),
      allTimeSeries: allTime.results,
      allTimeSelectMs: allTime.medianMs,
      lastHourLabelValuesMs: lvChurn.medianMs,
      oneDayDbLabelValuesMs: lvOne.medianMs,
    };
    log(`churn: ${JSON.stringify(churn)}`);
    return {
      series: n,
      createMs: Math.round(createMs),
      createSeriesPerSec: Math.round(n / (createMs / 1000)),
      indexBytes,
      bytesPerSeries: round(indexBytes / n),
      cachedResolveNsPerSeries: Math.round(cachedResolveNsPerSeries),
      reopenMs: round(reopenMs),
      lookups,
      churn,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const series = process.argv[2] ? Number(process.argv[2]) : undefined;
  const result = runIndexBench({ series, log: (l) => console.log(l) });
  console.log(JSON.stringify(result));
}
