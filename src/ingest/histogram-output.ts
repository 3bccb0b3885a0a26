import { METRIC_NAME, type Labels } from '../model/index.js';
import type { FloatHistogram } from '../model/index.js';
import { formatPromFloat } from './float-format.js';
import { allBuckets, classicBuckets, CUSTOM_BUCKETS_SCHEMA } from './histogram-buckets.js';
import { quoteVMJson } from './json-lines.js';

/**
 * Native histograms in the export formats. VictoriaMetrics's JSON lines have no histogram form:
 * a series' histogram samples get a line of their own with a `histograms` array parallel to
 * `timestamps`, each element in the shape of Prometheus's query API (`count`, `sum`, `buckets`
 * as [boundary rule, lower, upper, count], numbers as strings), with the schema and the zero
 * threshold or custom bounds in front, so `/api/v1/import` reads the line back.
 */

export function histogramJson(h: FloatHistogram): string {
  const buckets = allBuckets(h).map((b) => `[${b.rule},"${formatPromFloat(b.lower)}","${formatPromFloat(b.upper)}","${formatPromFloat(b.count)}"]`);
  return `{"count":"${formatPromFloat(h.count)}","sum":"${formatPromFloat(h.sum)}"${buckets.length > 0 ? `,"buckets":[${buckets.join(',')}]` : ''}}`;
}

/**
 * A histogram as export writes it: the query API's shape plus what `/api/v1/import` needs to
 * rebuild the same histogram from it (histogram-json.ts): the schema, and the zero threshold or
 * the custom bounds.
 */
function histogramExportJson(h: FloatHistogram): string {
  const api = histogramJson(h);
  const exact =
    h.schema === CUSTOM_BUCKETS_SCHEMA
      ? `"schema":${h.schema},"custom_values":[${Array.from(h.customValues, (v) => `"${formatPromFloat(v)}"`).join(',')}]`
      : `"schema":${h.schema},"zero_threshold":"${formatPromFloat(h.zeroThreshold)}"`;
  return `{${exact},${api.slice(1)}`;
}

export function formatHistogramJsonLine(labels: Labels, timestamps: ArrayLike<number>, histograms: readonly FloatHistogram[]): string {
  let name: string | undefined;
  const parts: string[] = [];
  for (const lb of labels) {
    if (lb.name === METRIC_NAME) name = lb.value;
    else parts.push(quoteVMJson(lb.name) + ':' + quoteVMJson(lb.value));
  }
  if (name !== undefined && name !== '') parts.unshift('"__name__":' + quoteVMJson(name));
  const n = Math.min(timestamps.length, histograms.length);
  const hs: string[] = [];
  const ts: string[] = [];
  for (let i = 0; i < n; i++) {
    hs.push(histogramExportJson(histograms[i]!));
    ts.push(String(timestamps[i]!));
  }
  return `{"metric":{${parts.join(',')}},"histograms":[${hs.join(',')}],"timestamps":[${ts.join(',')}]}\n`;
}

/**
 * The classic series of a custom-bucket histogram (`_bucket` with `le`, `_count`, `_sum`), as
 * Prometheus converts them for the text format; null for exponential histograms, which the text
 * format cannot carry (Prometheus federates those only in protobuf).
 */
export function classicSeries(labels: Labels, h: FloatHistogram): { labels: Labels; value: number }[] | null {
  if (h.schema !== CUSTOM_BUCKETS_SCHEMA) return null;
  const name = labels.find((l) => l.name === METRIC_NAME)?.value ?? '';
  const rest = labels.filter((l) => l.name !== METRIC_NAME);
  const withName = (suffix: string, extra: Labels = []): Labels => [
    { name: METRIC_NAME, value: name + suffix },
    ...[...rest, ...extra].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  ];
  const out: { labels: Labels; value: number }[] = classicBuckets(h).map((b) => ({
    labels: withName('_bucket', [{ name: 'le', value: formatPromFloat(b.le) }]),
    value: b.count,
  }));
  out.push({ labels: withName('_count'), value: h.count }, { labels: withName('_sum'), value: h.sum });
  return out;
}
