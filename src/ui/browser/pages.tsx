/** The exploration pages: cardinality, top/active queries, metrics (metadata), raw samples, status. */
import { useEffect, useState } from 'preact/hooks';
import { errorText, fetchApi, fetchText, formatLabels, type Labels } from './api.js';
import { formatValue } from './chart.js';
import { routeHref, writeQueryState } from './url-state.js';

type Params = URLSearchParams;
interface PageProps {
  params: Params;
  navigate(params: Params): void;
}

function useApi<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): { data?: T; error?: string; loading: boolean } {
  const [st, setSt] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  useEffect(() => {
    const ctl = new AbortController();
    setSt((s) => ({ ...s, loading: true }));
    load(ctl.signal).then(
      (data) => !ctl.signal.aborted && setSt({ data, loading: false }),
      (e: unknown) => !ctl.signal.aborted && setSt({ error: errorText(e), loading: false }),
    );
    return () => ctl.abort();
  }, deps);
  return st;
}

function queryLink(expr: string): string {
  return routeHref(
    'query',
    writeQueryState({
      queries: [{ expr, hidden: false }],
      range: '1h',
      end: '',
      step: '',
      tab: 'graph',
      refresh: '',
      compare: '',
      showAll: false,
      heatmap: false,
    }),
  );
}

function Status({ error, loading }: { error?: string; loading: boolean }) {
  if (error)
    return (
      <div class="error" role="alert">
        {error}
      </div>
    );
  return loading ? <div class="muted">loading…</div> : null;
}

// ---------------- Cardinality ----------------

interface NameValue {
  name: string;
  value: number;
}
interface TsdbStatus {
  totalSeries: number;
  totalLabelValuePairs?: number;
  seriesCountByMetricName: NameValue[];
  seriesCountByLabelName: NameValue[];
  seriesCountByFocusLabelValue?: NameValue[];
  seriesCountByLabelValuePair: NameValue[];
  labelValueCountByLabelName: NameValue[];
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function CardinalityPage({ params, navigate }: PageProps) {
  const topN = params.get('topN') ?? '10';
  const date = params.get('date') ?? isoDate(Date.now());
  const focusLabel = params.get('focusLabel') ?? '';
  const match = params.get('match') ?? '';
  const prevDate = isoDate(Date.parse(date + 'T00:00:00Z') - 86_400_000);
  const args = (d: string) => ({ topN, date: d, focusLabel: focusLabel || undefined, 'match[]': match ? [match] : undefined });
  const st = useApi(
    async (signal) => {
      const [cur, prev] = await Promise.all([
        fetchApi<TsdbStatus>('api/v1/status/tsdb', args(date), signal),
        fetchApi<TsdbStatus>('api/v1/status/tsdb', args(prevDate), signal).catch(() => null),
      ]);
      return { cur: cur.data, prev: prev?.data ?? null };
    },
    [topN, date, focusLabel, match],
  );
  const set = (k: string, v: string) => {
    const p = new URLSearchParams(params);
    if (v) p.set(k, v);
    else p.delete(k);
    navigate(p);
  };
  const [form, setForm] = useState({ topN, date, focusLabel, match });
  useEffect(() => setForm({ topN, date, focusLabel, match }), [topN, date, focusLabel, match]);
  const apply = (e: Event) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) if (v) p.set(k, v);
    navigate(p);
  };
  const d = st.data;
  const prevOf = (list: keyof TsdbStatus, name: string): number | undefined => {
    const arr = d?.prev?.[list];
    return Array.isArray(arr) ? (arr as NameValue[]).find((x) => x.name === name)?.value : undefined;
  };
  const table = (title: string, list: keyof TsdbStatus, onPick: (name: string) => void, unit = 'series') => {
    const rows = (d?.cur[list] as NameValue[] | undefined) ?? [];
    const total = d?.cur.totalSeries ?? 0;
    return (
      <section class="card" data-testid={`card-${list}`}>
        <h3>{title}</h3>
        <table class="results">
          <thead>
            <tr>
              <th class="left">name</th>
              <th>{unit}</th>
              <th>share</th>
              <th>vs {prevDate}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const p = prevOf(list, r.name);
              const diff = p === undefined ? null : r.value - p;
              return (
                <tr key={r.name}>
                  <td class="left mono">
                    <button class="link" onClick={() => onPick(r.name)}>
                      {r.name}
                    </button>
                  </td>
                  <td class="num">{r.value}</td>
                  <td class="num">{unit === 'series' && total > 0 ? `${((r.value / total) * 100).toFixed(1)}%` : ''}</td>
                  <td class="num">{diff === null ? 'new' : diff === 0 ? '0' : (diff > 0 ? '+' : '') + diff}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    );
  };
  const addMatch = (m: string) => set('match', m);
  return (
    <div class="page">
      <h2>Cardinality explorer</h2>
      <form class="toolbar" onSubmit={apply}>
        <label>
          match[]{' '}
          <input
            class="mid mono"
            value={form.match}
            placeholder='{job="x"}'
            onInput={(e) => setForm({ ...form, match: (e.target as HTMLInputElement).value })}
            data-testid="card-match"
          />
        </label>
        <label>
          focusLabel{' '}
          <input
            class="short"
            value={form.focusLabel}
            onInput={(e) => setForm({ ...form, focusLabel: (e.target as HTMLInputElement).value })}
            data-testid="card-focus"
          />
        </label>
        <label>
          topN <input class="short" type="number" min="1" value={form.topN} onInput={(e) => setForm({ ...form, topN: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          date <input type="date" value={form.date} onInput={(e) => setForm({ ...form, date: (e.target as HTMLInputElement).value })} />
        </label>
        <button class="primary" type="submit" data-testid="card-apply">
          Apply
        </button>
        {(match || focusLabel) && (
          <button type="button" onClick={() => navigate(new URLSearchParams({ topN, date }))}>
            Reset
          </button>
        )}
      </form>
      <Status error={st.error} loading={st.loading} />
      {d && (
        <>
          <div class="totals" data-testid="card-total">
            Total series: <b>{d.cur.totalSeries}</b>
            {d.prev ? ` (${d.cur.totalSeries - d.prev.totalSeries >= 0 ? '+' : ''}${d.cur.totalSeries - d.prev.totalSeries} vs ${prevDate})` : ''}
            {d.cur.totalLabelValuePairs !== undefined ? ` · label=value pairs: ${d.cur.totalLabelValuePairs}` : ''}
          </div>
          <div class="cards">
            {table('Series by metric name', 'seriesCountByMetricName', (n) => addMatch(`{__name__=${JSON.stringify(n)}}`))}
            {focusLabel && table(`Series by value of ${focusLabel}`, 'seriesCountByFocusLabelValue', (v) => addMatch(`{${focusLabel}=${JSON.stringify(v)}}`))}
            {table('Series by label name', 'seriesCountByLabelName', (n) => set('focusLabel', n))}
            {table('Values per label name', 'labelValueCountByLabelName', (n) => set('focusLabel', n), 'values')}
            {table('Series by label=value pair', 'seriesCountByLabelValuePair', (pair) => {
              const i = pair.indexOf('=');
              addMatch(`{${pair.slice(0, i)}=${JSON.stringify(pair.slice(i + 1))}}`);
            })}
          </div>
        </>
      )}
    </div>
  );
}

// ---------------- Top and active queries ----------------

interface TopRow {
  query: string;
  count: number;
  avgDurationSeconds: number;
  sumDurationSeconds: number;
  maxDurationSeconds: number;
}

export function TopQueriesPage() {
  const [tick, setTick] = useState(0);
  const top = useApi((s) => fetchApi<Record<string, TopRow[]>>('api/v1/status/top_queries', { topN: 20 }, s), [tick]);
  const active = useApi((s) => fetchApi<Array<Record<string, string | number>>>('api/v1/status/active_queries', {}, s), [tick]);
  const section = (title: string, key: string) => (
    <section class="card" data-testid={`top-${key}`}>
      <h3>{title}</h3>
      <table class="results">
        <thead>
          <tr>
            <th class="left">query</th>
            <th>count</th>
            <th>avg s</th>
            <th>sum s</th>
            <th>max s</th>
          </tr>
        </thead>
        <tbody>
          {(top.data?.data[key] ?? []).map((r) => (
            <tr key={r.query}>
              <td class="left mono">
                <a href={queryLink(r.query)}>{r.query}</a>
              </td>
              <td class="num">{r.count}</td>
              <td class="num">{formatValue(r.avgDurationSeconds)}</td>
              <td class="num">{formatValue(r.sumDurationSeconds)}</td>
              <td class="num">{formatValue(r.maxDurationSeconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
  return (
    <div class="page">
      <h2>
        Top queries <button onClick={() => setTick(tick + 1)}>Refresh</button>
      </h2>
      <Status error={top.error ?? active.error} loading={top.loading} />
      <section class="card" data-testid="active-queries">
        <h3>Active queries</h3>
        {(active.data?.data ?? []).length === 0 ? (
          <div class="muted">none running</div>
        ) : (
          <table class="results">
            <tbody>
              {active.data!.data.map((a) => (
                <tr key={String(a['id'])}>
                  <td class="left mono">{String(a['query'])}</td>
                  <td class="num">{String(a['duration'])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <div class="cards">
        {section('Most frequent', 'topByCount')}
        {section('Slowest on average', 'topByAvgDuration')}
        {section('Most total time', 'topBySumDuration')}
      </div>
    </div>
  );
}

// ---------------- Metrics explorer ----------------

interface Meta {
  type: string;
  help: string;
  unit: string;
}

export function MetricsPage({ params, navigate }: PageProps) {
  const filter = params.get('q') ?? '';
  const [text, setText] = useState(filter);
  const meta = useApi((s) => fetchApi<Record<string, Meta[]>>('api/v1/metadata', {}, s), []);
  const names = useApi((s) => fetchApi<string[]>('api/v1/label/__name__/values', { limit: 5000 }, s), []);
  const all = new Set([...(names.data?.data ?? []), ...Object.keys(meta.data?.data ?? {})]);
  const list = [...all].filter((n) => n.toLowerCase().includes(filter.toLowerCase())).sort();
  return (
    <div class="page">
      <h2>Metrics explorer</h2>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(new URLSearchParams(text ? { q: text } : {}));
        }}
      >
        <input
          class="mid"
          placeholder="filter metric names"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
          data-testid="metrics-filter"
        />
        <button type="submit">Filter</button>
        <span class="muted">
          {list.length} of {all.size}
        </span>
      </form>
      <Status error={meta.error ?? names.error} loading={meta.loading || names.loading} />
      <table class="results" data-testid="metrics-table">
        <thead>
          <tr>
            <th class="left">metric</th>
            <th class="left">type</th>
            <th class="left">unit</th>
            <th class="left">help</th>
          </tr>
        </thead>
        <tbody>
          {list.slice(0, 1000).map((n) => {
            const m = meta.data?.data[n]?.[0];
            return (
              <tr key={n}>
                <td class="left mono">
                  <a href={queryLink(m?.type === 'counter' ? `rate(${n}[5m])` : n)}>{n}</a>
                </td>
                <td class="left">{m?.type ?? ''}</td>
                <td class="left">{m?.unit ?? ''}</td>
                <td class="left">{m?.help ?? ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

// ---------------- Raw samples ----------------

interface ExportLine {
  metric: Labels;
  values: number[];
  timestamps: number[];
}

export function RawPage({ params, navigate }: PageProps) {
  const match = params.get('match') ?? '';
  const range = params.get('range') ?? '1h';
  const [form, setForm] = useState({ match, range });
  const st = useApi(
    async (signal) => {
      if (!match) return [];
      const rangeMs = (Number.parseFloat(range) || 1) * ({ m: 60, h: 3600, d: 86400 }[range.slice(-1)] ?? 3600) * 1000;
      const end = Date.now();
      const text = await fetchText(
        'api/v1/export',
        { 'match[]': [match], start: Math.floor((end - rangeMs) / 1000), end: Math.floor(end / 1000), max_rows_per_line: 0 },
        signal,
      );
      const out: ExportLine[] = [];
      for (const line of text.split('\n')) if (line.trim() && out.length < 200) out.push(JSON.parse(line) as ExportLine);
      return out;
    },
    [match, range],
  );
  return (
    <div class="page">
      <h2>Raw samples</h2>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(new URLSearchParams(form));
        }}
      >
        <input
          class="wide mono"
          placeholder='series selector, e.g. up{job="node"}'
          value={form.match}
          onInput={(e) => setForm({ ...form, match: (e.target as HTMLInputElement).value })}
          data-testid="raw-match"
        />
        <select value={form.range} onChange={(e) => setForm({ ...form, range: (e.target as HTMLSelectElement).value })}>
          {['5m', '15m', '1h', '6h', '1d'].map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <button class="primary" type="submit">
          Show
        </button>
      </form>
      <Status error={st.error} loading={st.loading && !!match} />
      {(st.data ?? []).map((s) => (
        <section class="card" key={formatLabels(s.metric)}>
          <h3 class="mono">{formatLabels(s.metric)}</h3>
          <div class="muted">{s.values.length} samples</div>
          <table class="results">
            <tbody>
              {s.timestamps.slice(-100).map((t, i, arr) => (
                <tr key={t}>
                  <td class="left mono">{new Date(t).toISOString()}</td>
                  <td class="num mono">{s.values[s.values.length - arr.length + i]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </div>
  );
}

// ---------------- Status ----------------

export function StatusPage() {
  const st = useApi(async (signal) => {
    const [build, flags, runtime, metrics] = await Promise.all([
      fetchApi<Record<string, string>>('api/v1/status/buildinfo', {}, signal),
      fetchApi<Record<string, string>>('api/v1/status/flags', {}, signal),
      fetchApi<Record<string, string | number | boolean>>('api/v1/status/runtimeinfo', {}, signal),
      fetchText('metrics', {}, signal),
    ]);
    return { build: build.data, flags: flags.data, runtime: runtime.data, storage: storageFigures(metrics) };
  }, []);
  const kv = (title: string, o: Record<string, unknown>, id: string) => (
    <section class="card" data-testid={id}>
      <h3>{title}</h3>
      <table class="results">
        <tbody>
          {Object.entries(o).map(([k, v]) => (
            <tr key={k}>
              <td class="left mono">{k}</td>
              <td class="left mono">{String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
  return (
    <div class="page">
      <h2>Status</h2>
      <Status error={st.error} loading={st.loading} />
      {st.data && (
        <div class="cards">
          {kv('Build', st.data.build, 'status-build')}
          {kv('Runtime', st.data.runtime, 'status-runtime')}
          {kv('Storage (from /metrics)', st.data.storage, 'status-storage')}
          {kv('Flags', st.data.flags, 'status-flags')}
        </div>
      )}
    </div>
  );
}

/** The unlabelled strata_* and process_* figures of the self-monitoring exposition. */
function storageFigures(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^((?:strata|process)_[a-zA-Z0-9_]*) ([^ ]+)$/.exec(line);
    if (m) out[m[1]!] = formatValue(Number(m[2]));
  }
  return out;
}
