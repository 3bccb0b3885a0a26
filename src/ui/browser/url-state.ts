/**
 * The query page's state and its URL form. Reads Prometheus's `g0.expr`, `g0.range_input`,
 * `g0.end_input`, `g0.step_input`, `g0.tab` from the query string (links from /graph) and
 * vmui's hash routes (`#/?g0.expr=…`, `#/cardinality`); writes the hash form.
 */
export type Tab = 'graph' | 'table' | 'json';

export interface QueryItem {
  expr: string;
  hidden: boolean;
}

export interface QueryState {
  queries: QueryItem[];
  /** Relative range such as `1h`. */
  range: string;
  /** Absolute end `YYYY-MM-DD HH:MM:SS` (UTC), or '' for now. */
  end: string;
  /** Step such as `15s`, or '' for automatic. */
  step: string;
  tab: Tab;
  refresh: string;
  compare: string;
  showAll: boolean;
  /** Draw classic histogram buckets (`le`) as a heatmap. */
  heatmap: boolean;
}

export interface Route {
  page: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, '');
  const q = hash.indexOf('?');
  const path = q < 0 ? hash : hash.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : hash.slice(q + 1));
  // /graph?g0.expr=… redirects to vmui/?g0.expr=…: the query string counts when the hash has none.
  if ([...params.keys()].length === 0 && location.search) for (const [k, v] of new URLSearchParams(location.search)) params.append(k, v);
  return { page: path.replace(/^\//, '') || 'query', params };
}

export function routeHref(page: string, params?: URLSearchParams): string {
  const qs = params && [...params.keys()].length > 0 ? `?${params.toString()}` : '';
  return `#/${page === 'query' ? '' : page}${qs}`;
}

/** Moves state into the hash (dropping a /graph-style query string) without a new history entry. */
export function replaceRoute(page: string, params: URLSearchParams): void {
  history.replaceState(null, '', location.pathname + routeHref(page, params));
}

export function pushRoute(page: string, params: URLSearchParams): void {
  const href = location.pathname + routeHref(page, params);
  if (href === location.pathname + location.search + location.hash) return;
  history.pushState(null, '', href);
}

// Prometheus 2's numeric tabs (0 graph, 1 table) and vmui's (2 table), then names.
const TAB_NAMES: Record<string, Tab> = { '0': 'graph', '1': 'table', '2': 'table', graph: 'graph', table: 'table', json: 'json' };

export function readQueryState(p: URLSearchParams): QueryState {
  const queries: QueryItem[] = [];
  for (let i = 0; p.has(`g${i}.expr`); i++) queries.push({ expr: p.get(`g${i}.expr`) ?? '', hidden: p.get(`g${i}.hidden`) === '1' });
  if (queries.length === 0) queries.push({ expr: '', hidden: false });
  return {
    queries,
    range: p.get('g0.range_input') || '1h',
    end: p.get('g0.end_input') ?? '',
    step: p.get('g0.step_input') ?? '',
    tab: TAB_NAMES[p.get('g0.tab') ?? ''] ?? 'graph',
    refresh: p.get('refresh') ?? '',
    compare: p.get('compare') ?? '',
    showAll: p.get('show_all') === '1',
    heatmap: p.get('heatmap') === '1',
  };
}

export function writeQueryState(s: QueryState): URLSearchParams {
  const p = new URLSearchParams();
  s.queries.forEach((q, i) => {
    p.set(`g${i}.expr`, q.expr);
    if (q.hidden) p.set(`g${i}.hidden`, '1');
  });
  p.set('g0.range_input', s.range);
  if (s.end) p.set('g0.end_input', s.end);
  if (s.step) p.set('g0.step_input', s.step);
  p.set('g0.tab', s.tab);
  if (s.refresh) p.set('refresh', s.refresh);
  if (s.compare) p.set('compare', s.compare);
  if (s.showAll) p.set('show_all', '1');
  if (s.heatmap) p.set('heatmap', '1');
  return p;
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Seconds in a Prometheus duration (`1h30m`, `15s`) or a bare number of seconds; NaN if neither. */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  let total = 0;
  let rest = t;
  const re = /^(\d+)(ms|s|m|h|d|w|y)/;
  if (rest === '') return NaN;
  while (rest) {
    const m = re.exec(rest);
    if (!m) return NaN;
    total += Number(m[1]) * UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

export function formatDuration(sec: number): string {
  const parts: string[] = [];
  let rest = Math.round(sec);
  for (const [u, n] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${u}`);
      rest %= n;
    }
  }
  return parts.join('') || '0s';
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, Prometheus's end_input format. */
export function formatTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

/** Parses end_input (UTC `YYYY-MM-DD HH:MM[:SS]`, RFC 3339 or Unix seconds); NaN when invalid. */
export function parseTime(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t) ? t.replace(' ', 'T') + 'Z' : t;
  return Date.parse(iso);
}

/** Prometheus's default: about 250 points over the range, at least 1 s. */
export function autoStep(rangeSec: number): number {
  return Math.max(1, Math.floor(rangeSec / 250));
}
