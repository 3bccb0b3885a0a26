/** Requests to the Prometheus API of the server that served this page, under the same prefix. */

/** `<prefix>/` for a page at `<prefix>/vmui/`: tenant and /prometheus/ prefixes carry over. */
export const apiBase = new URL('../', location.href.replace(/[?#].*$/, '')).toString();

export interface ApiError {
  readonly status: number;
  readonly message: string;
}

export interface ApiResult<T> {
  readonly data: T;
  /** The body exactly as received, for the JSON tab. */
  readonly raw: string;
  readonly stats?: QueryStats;
  readonly warnings?: string[];
  readonly ms: number;
}

export interface QueryStats {
  timings?: { evalTotalTime?: number };
  samples?: { totalQueryableSamples?: number };
}

export type Params = Record<string, string | number | readonly string[] | undefined>;

export function apiUrl(path: string, params: Params = {}): string {
  const u = new URL(path.replace(/^\//, ''), apiBase);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) u.searchParams.append(k, x);
    else u.searchParams.set(k, String(v));
  }
  return u.toString();
}

export async function fetchText(path: string, params: Params = {}, signal?: AbortSignal): Promise<string> {
  const r = await fetch(apiUrl(path, params), { signal });
  const body = await r.text();
  if (!r.ok) throw errorOf(r.status, body);
  return body;
}

export async function fetchApi<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<ApiResult<T>> {
  const started = performance.now();
  const r = await fetch(apiUrl(path, params), { signal });
  const raw = await r.text();
  if (!r.ok) throw errorOf(r.status, raw);
  const body = JSON.parse(raw) as { data: T & { stats?: QueryStats }; stats?: QueryStats; warnings?: string[] };
  // Prometheus puts query stats inside `data`.
  return { data: body.data, raw, stats: body.data?.stats ?? body.stats, warnings: body.warnings, ms: performance.now() - started };
}

function errorOf(status: number, body: string): ApiError {
  try {
    const j = JSON.parse(body) as { error?: string };
    if (j.error) return { status, message: j.error };
  } catch {
    // not JSON: plain-text error
  }
  return { status, message: body.trim() || `HTTP ${status}` };
}

export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) {
    const status = 'status' in e ? `${String((e as ApiError).status)}: ` : '';
    return status + String((e as { message: unknown }).message);
  }
  return String(e);
}

export type Labels = Record<string, string>;

/**
 * A native histogram as the query API writes it: count and sum, and each populated bucket as
 * [boundary rule, lower, upper, count] (rule 0: (lower, upper], 1: [lower, upper), 2: (lower,
 * upper), 3: [lower, upper]).
 */
export interface NativeHistogram {
  count: string;
  sum: string;
  buckets?: Array<[number, string, string, string]>;
}

/** A series holds float samples (`values`), native-histogram samples (`histograms`), or both. */
export interface RangeSeries {
  metric: Labels;
  values?: Array<[number, string]>;
  histograms?: Array<[number, NativeHistogram]>;
}

export interface InstantSeries {
  metric: Labels;
  value?: [number, string];
  histogram?: [number, NativeHistogram];
}

/** `count=… sum=…` and the populated buckets, for tables. */
export function describeHistogram(h: NativeHistogram): string {
  const buckets = (h.buckets ?? []).map(
    ([rule, lo, hi, n]) => `${rule === 1 || rule === 3 ? '[' : '('}${lo}, ${hi}${rule === 2 || rule === 1 ? ')' : ']'}: ${n}`,
  );
  return [`count=${h.count} sum=${h.sum}`, ...buckets].join('\n');
}

export type QueryData =
  | { resultType: 'matrix'; result: RangeSeries[] }
  | { resultType: 'vector'; result: InstantSeries[] }
  | { resultType: 'scalar' | 'string'; result: [number, string] };

export function formatLabels(m: Labels): string {
  const name = m['__name__'] ?? '';
  const rest = Object.keys(m)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`);
  return rest.length === 0 ? name || '{}' : `${name}{${rest.join(', ')}}`;
}
