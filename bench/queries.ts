/**
 * The fixed query list run against every target: selectors, regex, aggregations over rates, topk,
 * histogram_quantile, a group_left join, as instant queries at the end of the data and as range
 * queries over the last hour and over the whole range. Expected series counts are given where the
 * generator determines them exactly; the rest are cross-checked between targets.
 */
import type { Dataset } from './gen/index.js';
import { getLabel, type Labels } from '../src/model/index.js';

export type QueryWindow = 'instant' | '1h' | 'all';

export interface BenchQuery {
  readonly id: string;
  readonly expr: string;
  readonly window: QueryWindow;
  /** Exact number of result series this data set must give, when the generator knows it. */
  readonly expectedSeries?: (d: Dataset) => number;
}

const countActive =
  (pred: (l: Labels) => boolean) =>
  (d: Dataset): number =>
    d.activeSeries.filter(pred).length;
const is = (l: Labels, name: string, value: string): boolean => getLabel(l, name) === value;

export const QUERIES: readonly BenchQuery[] = [
  { id: 'q01', window: 'instant', expr: 'node_load1', expectedSeries: countActive((l) => is(l, '__name__', 'node_load1')) },
  {
    id: 'q02',
    window: 'instant',
    expr: 'node_cpu_seconds_total{mode="idle",dc="dc1"}',
    expectedSeries: countActive((l) => is(l, '__name__', 'node_cpu_seconds_total') && is(l, 'mode', 'idle') && is(l, 'dc', 'dc1')),
  },
  {
    id: 'q03',
    window: 'instant',
    expr: 'node_network_receive_bytes_total{device=~"eth.*|docker0"}',
    expectedSeries: countActive((l) => is(l, '__name__', 'node_network_receive_bytes_total') && /^(eth.*|docker0)$/.test(getLabel(l, 'device'))),
  },
  {
    id: 'q04',
    window: 'instant',
    expr: 'node_filesystem_avail_bytes{fstype!~"tmpfs|vfat"}',
    expectedSeries: countActive((l) => is(l, '__name__', 'node_filesystem_avail_bytes') && !/^(tmpfs|vfat)$/.test(getLabel(l, 'fstype'))),
  },
  { id: 'q05', window: 'instant', expr: 'count({__name__=~"node_disk_.*"})', expectedSeries: () => 1 },
  { id: 'q06', window: 'instant', expr: 'sum(rate(node_cpu_seconds_total{mode!="idle"}[5m])) by (instance)' },
  { id: 'q07', window: 'instant', expr: 'topk(5, rate(node_network_receive_bytes_total[5m]))', expectedSeries: () => 5 },
  {
    id: 'q08',
    window: 'instant',
    expr: 'histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le, handler))',
    expectedSeries: () => 4,
  },
  {
    id: 'q09',
    window: 'instant',
    expr: 'sum by (instance) (rate(node_network_receive_bytes_total[5m])) * on(instance) group_left(nodename, release) node_uname_info',
  },
  { id: 'q10', window: '1h', expr: 'sum(rate(node_cpu_seconds_total{mode!="idle"}[5m])) by (instance)' },
  { id: 'q11', window: '1h', expr: 'rate(node_disk_written_bytes_total{device="sda"}[5m])' },
  {
    id: 'q12',
    window: '1h',
    expr: 'histogram_quantile(0.9, sum(rate(http_request_duration_seconds_bucket{handler="/api/v1/query"}[5m])) by (le))',
    expectedSeries: () => 1,
  },
  { id: 'q13', window: 'all', expr: 'sum(rate(node_network_transmit_bytes_total[5m])) by (dc)', expectedSeries: () => 3 },
  { id: 'q14', window: 'all', expr: 'avg by (instance) (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)' },
  { id: 'q15', window: 'all', expr: 'node_filesystem_avail_bytes{mountpoint="/"}' },
];

/**
 * Added in the scale profile: the two panels the issue measured at 100k series that the list above
 * lacks, a `count by (instance)` over every series and a whole-range per-host rate.
 */
export const SCALE_QUERIES: readonly BenchQuery[] = [
  ...QUERIES,
  { id: 'q16', window: 'instant', expr: 'count({job="node"}) by (instance)', expectedSeries: (d) => d.activeInstances.length },
  { id: 'q17', window: 'all', expr: 'sum by (instance) (rate(node_network_receive_bytes_total{device!="lo"}[5m]))' },
];

export interface QueryRequest {
  readonly path: '/api/v1/query' | '/api/v1/query_range';
  readonly params: Readonly<Record<string, string>>;
}

const seconds = (ms: number): string => String(ms / 1000);

/** The HTTP request for a query over a dataset: instants at the last scrape, ranges ending there. */
export function queryRequest(q: BenchQuery, d: Dataset): QueryRequest {
  if (q.window === 'instant') return { path: '/api/v1/query', params: { query: q.expr, time: seconds(d.endMs) } };
  const start = q.window === '1h' ? Math.max(d.startMs, d.endMs - 3_600_000) : d.startMs;
  const span = d.endMs - start;
  // About 240 points per series, never finer than 15 s: what a dashboard panel asks for.
  const stepMs = Math.max(15_000, Math.ceil(span / 240 / 1000) * 1000);
  return { path: '/api/v1/query_range', params: { query: q.expr, start: seconds(start), end: seconds(d.endMs), step: seconds(stepMs) } };
}
