/**
 * The editor's view of this server for completion: every request carries `limit`, and metric
 * names are asked for by prefix (`match[]={__name__=~"prefix.*"}`), so a server with 100k
 * metric names answers a few hundred and the editor never receives, sorts or filters the rest.
 * Answers are cached briefly because completion asks again on every keystroke.
 */
import type { PrometheusClient } from '@prometheus-io/codemirror-promql';
import { EqlRegex, EqlSingle, Neq, NeqRegex } from '@prometheus-io/lezer-promql';
import { apiUrl } from './api.js';

export const COMPLETION_LIMIT = 500;
const LOOKBACK_MS = 12 * 3600 * 1000;
const TTL_MS = 60_000;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

interface Matcher {
  type: number;
  name: string;
  value: string;
}

const OPS = new Map<number, string>([
  [EqlSingle, '='],
  [Neq, '!='],
  [EqlRegex, '=~'],
  [NeqRegex, '!~'],
]);

function selector(metricName: string | undefined, matchers: readonly Matcher[] = [], skipLabel?: string): string | undefined {
  const parts: string[] = [];
  for (const m of matchers) {
    if (m.name === skipLabel || m.value === '') continue;
    parts.push(`${m.name}${OPS.get(m.type) ?? '='}${JSON.stringify(m.value)}`);
  }
  if (!metricName && parts.length === 0) return undefined;
  return `${metricName ?? ''}{${parts.join(',')}}`;
}

const cache = new Map<string, { at: number; value: Promise<unknown> }>();

function get<T>(path: string, params: Record<string, string | string[] | undefined>, fallback: T): Promise<T> {
  const end = Date.now();
  const url = apiUrl(path, { ...params, limit: String(COMPLETION_LIMIT) });
  const key = url;
  const hit = cache.get(key);
  if (hit && end - hit.at < TTL_MS) return hit.value as Promise<T>;
  // The time window is not part of the key: a minute-old answer is as good for completion.
  const windowed = apiUrl(path, {
    ...params,
    limit: String(COMPLETION_LIMIT),
    start: new Date(end - LOOKBACK_MS).toISOString(),
    end: new Date(end).toISOString(),
  });
  const value = fetch(windowed)
    .then((r) => (r.ok ? (r.json() as Promise<{ data: T }>) : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((b) => b.data ?? fallback)
    .catch(() => {
      cache.delete(key);
      return fallback;
    });
  if (cache.size > 200) cache.clear();
  cache.set(key, { at: end, value });
  return value;
}

export const completionClient: PrometheusClient = {
  labelNames(metricName?: string) {
    const m = selector(metricName);
    return get<string[]>('api/v1/labels', { 'match[]': m ? [m] : undefined }, []);
  },
  labelValues(labelName: string, metricName?: string, matchers?: Matcher[]) {
    const m = selector(metricName, matchers, labelName);
    return get<string[]>(`api/v1/label/${encodeURIComponent(labelName)}/values`, { 'match[]': m ? [m] : undefined }, []);
  },
  metricMetadata() {
    return get<Record<string, Array<{ type: string; help: string; unit?: string }>>>('api/v1/metadata', {}, {});
  },
  async series(metricName: string, matchers?: Matcher[], labelName?: string) {
    const m = selector(metricName, matchers, labelName) ?? metricName;
    const rows = await get<Array<Record<string, string>>>('api/v1/series', { 'match[]': [m] }, []);
    return rows.map((r) => new Map(Object.entries(r)));
  },
  metricNames(prefix?: string) {
    const m = prefix && METRIC_NAME.test(prefix) ? `{__name__=~"${prefix}.*"}` : undefined;
    return get<string[]>('api/v1/label/__name__/values', { 'match[]': m ? [m] : undefined }, []);
  },
  flags() {
    return get<Record<string, string>>('api/v1/status/flags', {}, {});
  },
};
