/** The query page: several queries on one graph, Graph/Table/JSON tabs, range controls, stats. */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { describeHistogram, errorText, fetchApi, formatLabels, type ApiResult, type QueryData, type RangeSeries } from './api.js';
import { Chart, formatValue, type ChartSeries } from './chart.js';
import type { EditorHandle, ExplainNode } from './editor.js';
import { Heatmap, heatmapOf, type HeatmapData } from './heatmap.js';
import { remember } from './history.js';
import { allowEditor, QueryEditor } from './query-editor.js';
import { autoStep, formatDuration, formatTime, parseDuration, parseTime, writeQueryState, type QueryState, type Tab } from './url-state.js';

export const SERIES_CAP = 20;
const RANGES = ['5m', '15m', '30m', '1h', '3h', '6h', '12h', '1d', '2d', '7d', '30d'];
const REFRESH = ['', '5s', '10s', '30s', '1m', '5m'];

interface Outcome {
  result?: ApiResult<QueryData>;
  error?: string;
}

interface Window {
  startSec: number;
  endSec: number;
  stepSec: number;
  error?: string;
}

function windowOf(s: QueryState, runAt: number): Window {
  const rangeSec = parseDuration(s.range);
  const endMs = s.end ? parseTime(s.end) : runAt;
  const stepSec = s.step ? parseDuration(s.step) : autoStep(rangeSec);
  if (!(rangeSec > 0)) return { startSec: 0, endSec: 0, stepSec: 1, error: `bad range ${JSON.stringify(s.range)}: use a duration such as 1h or 30m` };
  if (Number.isNaN(endMs)) return { startSec: 0, endSec: 0, stepSec: 1, error: `bad end time ${JSON.stringify(s.end)}: use YYYY-MM-DD HH:MM:SS (UTC)` };
  if (!(stepSec > 0)) return { startSec: 0, endSec: 0, stepSec: 1, error: `bad step ${JSON.stringify(s.step)}: use a duration such as 15s` };
  const endSec = Math.floor(endMs / 1000);
  return { startSec: endSec - rangeSec, endSec, stepSec };
}

interface Request {
  key: string;
  query: number;
  shiftSec: number;
  path: string;
  params: Record<string, string | number>;
}

function requestsOf(s: QueryState, w: Window): Request[] {
  if (w.error) return [];
  const out: Request[] = [];
  const shifts = [0];
  if (s.compare && s.tab === 'graph') shifts.push(parseDuration(s.compare));
  s.queries.forEach((q, i) => {
    if (q.hidden || !q.expr.trim()) return;
    if (s.tab === 'table') {
      out.push({ key: `i|${q.expr}|${w.endSec}`, query: i, shiftSec: 0, path: 'api/v1/query', params: { query: q.expr, time: w.endSec, stats: 1 } });
      return;
    }
    for (const shift of shifts) {
      if (!(shift >= 0)) continue;
      const start = w.startSec - shift;
      const end = w.endSec - shift;
      out.push({
        key: `r|${q.expr}|${start}|${end}|${w.stepSec}`,
        query: i,
        shiftSec: shift,
        path: 'api/v1/query_range',
        params: { query: q.expr, start, end, step: w.stepSec, stats: 1 },
      });
    }
  });
  return out;
}

export interface QueryPageProps {
  state: QueryState;
  theme: string;
  update(next: QueryState, push?: boolean): void;
}

export function QueryPage({ state, theme, update }: QueryPageProps) {
  const [drafts, setDrafts] = useState<string[]>(state.queries.map((q) => q.expr));
  const [runAt, setRunAt] = useState(() => Date.now());
  // Counts explicit runs: Enter refetches even when the request keys (absolute range) are unchanged.
  const [runSeq, setRunSeq] = useState(0);
  const [outcomes, setOutcomes] = useState<ReadonlyMap<string, Outcome>>(new Map());
  const [loading, setLoading] = useState(false);
  const [zoomStack, setZoomStack] = useState<Array<Pick<QueryState, 'range' | 'end'>>>([]);
  const [sort, setSort] = useState<{ by: 'series' | 'value'; desc: boolean }>({ by: 'series', desc: false });
  const [explain, setExplain] = useState<ExplainNode | null>(null);
  const [copied, setCopied] = useState('');
  const cache = useRef(new Map<string, Outcome>());
  const editors = useRef<Array<EditorHandle | null>>([]);
  const plot = useRef<uPlot | null>(null);

  // Back/forward and reloads bring new state: the editors follow it.
  const exprKey = state.queries.map((q) => q.expr).join('\u0000');
  useEffect(() => setDrafts(state.queries.map((q) => q.expr)), [exprKey, state.queries.length]);

  const w = windowOf(state, runAt);
  const requests = requestsOf(state, w);
  const requestKey = requests.map((r) => r.key).join('\n');

  // A layout effect: the requests leave before the first paint instead of after it.
  useLayoutEffect(() => {
    const ctl = new AbortController();
    const missing = requests.filter((r) => !cache.current.has(r.key));
    const done = () => setOutcomes(new Map(requests.map((r) => [r.key, cache.current.get(r.key) ?? {}])));
    if (missing.length === 0) {
      done();
      allowEditor();
      return;
    }
    setLoading(true);
    void Promise.all(
      missing.map(async (r) => {
        try {
          const result = await fetchApi<QueryData>(r.path, r.params, ctl.signal);
          cache.current.set(r.key, { result });
        } catch (e) {
          if (ctl.signal.aborted) return;
          cache.current.set(r.key, { error: errorText(e) });
        }
      }),
    ).then(() => {
      if (ctl.signal.aborted) return;
      if (cache.current.size > 200) for (const k of [...cache.current.keys()].slice(0, 100)) cache.current.delete(k);
      setLoading(false);
      done();
      // After the browser has painted the results.
      requestAnimationFrame(() => setTimeout(allowEditor, 0));
    });
    return () => ctl.abort();
  }, [requestKey, runSeq]);

  // Auto-refresh moves a relative range forward; an absolute one stays where it is.
  useEffect(() => {
    const sec = state.refresh ? parseDuration(state.refresh) : 0;
    if (!(sec > 0) || state.end) return;
    const t = setInterval(() => setRunAt(Date.now()), sec * 1000);
    return () => clearInterval(t);
  }, [state.refresh, state.end]);

  const run = () => {
    const queries = state.queries.map((q, i) => ({ ...q, expr: drafts[i] ?? q.expr }));
    queries.forEach((q) => remember(q.expr));
    for (const r of requests) cache.current.delete(r.key);
    setRunAt(Date.now());
    setRunSeq((n) => n + 1);
    update({ ...state, queries }, true);
  };
  const set = (patch: Partial<QueryState>, push = true) => update({ ...state, ...patch }, push);
  const setQuery = (i: number, patch: Partial<QueryState['queries'][number]>) =>
    set({ queries: state.queries.map((q, j) => (j === i ? { ...q, ...patch } : q)) });

  // ---- graph data ----
  const graph = useMemo(() => {
    if (state.tab !== 'graph' || w.error) return null;
    const n = Math.floor((w.endSec - w.startSec) / w.stepSec) + 1;
    const xs = Array.from({ length: n }, (_, i) => w.startSec + i * w.stepSec);
    const all: Array<{ key: string; label: string; s: RangeSeries; query: number }> = [];
    const overlays = new Map<string, RangeSeries>();
    for (const r of requests) {
      const res = outcomes.get(r.key)?.result?.data;
      if (!res || res.resultType !== 'matrix') continue;
      for (const s of res.result) {
        // A result without labels (an aggregate over everything) is named by its query.
        const label = Object.keys(s.metric).length === 0 ? state.queries[r.query]!.expr : formatLabels(s.metric);
        const key = `${r.query}|${label}`;
        if (r.shiftSec === 0) all.push({ key, label: state.queries.length > 1 ? `#${r.query + 1} ${label}` : label, s, query: r.query });
        else overlays.set(key, s);
      }
    }
    let heatmap: HeatmapData | null = null;
    for (const r of requests) {
      const res = outcomes.get(r.key)?.result?.data;
      if (r.shiftSec !== 0 || !res || res.resultType !== 'matrix') continue;
      heatmap = heatmapOf(res.result, xs, w.startSec, w.stepSec);
      if (heatmap) break;
    }
    const total = all.length;
    const drawn = state.showAll ? all : all.slice(0, SERIES_CAP);
    const toValues = (s: RangeSeries, shift: number): Array<number | null> => {
      const v: Array<number | null> = new Array(n).fill(null);
      for (const [t, x] of s.values ?? []) {
        const i = Math.round((t + shift - w.startSec) / w.stepSec);
        if (i >= 0 && i < n) v[i] = Number(x);
      }
      return v;
    };
    const series: ChartSeries[] = drawn.map((d) => ({ key: d.key, label: d.label, values: toValues(d.s, 0) }));
    const shift = state.compare ? parseDuration(state.compare) : 0;
    for (const d of drawn) {
      const o = overlays.get(d.key);
      if (o) series.push({ key: `${d.key}|-${state.compare}`, label: `${d.label} (${state.compare} earlier)`, values: toValues(o, shift), overlayOf: d.key });
    }
    return { xs, series, total, drawn: drawn.length, heatmap };
  }, [outcomes, state.tab, state.showAll, state.compare, w.startSec, w.endSec, w.stepSec, state.queries.length]);

  const onZoom = (from: number, to: number) => {
    setZoomStack([...zoomStack, { range: state.range, end: state.end }]);
    set({ end: formatTime(Math.round(to) * 1000), range: formatDuration(Math.max(1, to - from)) });
  };
  const resetZoom = () => {
    const first = zoomStack[0];
    setZoomStack([]);
    if (first) set({ ...first });
  };

  const copyLink = () => {
    const frozen = writeQueryState({ ...state, end: state.end || formatTime(w.endSec * 1000), refresh: '' });
    const link = `${location.origin}${location.pathname}#/?${frozen.toString()}`;
    setCopied(link);
    void navigator.clipboard?.writeText(link).catch(() => undefined);
  };

  const downloadCsv = () => {
    const lines = ['series,timestamp,value'];
    for (const r of requests) {
      const res = outcomes.get(r.key)?.result?.data;
      if (!res || res.resultType !== 'matrix' || r.shiftSec !== 0) continue;
      for (const s of res.result) {
        const label = '"' + formatLabels(s.metric).replace(/"/g, '""') + '"';
        for (const [t, v] of s.values ?? []) lines.push(`${label},${t},${v}`);
        for (const [t, h] of s.histograms ?? []) lines.push(`${label},${t},"${describeHistogram(h).replace(/\n/g, '; ')}"`);
      }
    }
    download(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }), 'strata-query.csv');
  };
  const downloadPng = () => {
    const canvas = state.heatmap ? document.querySelector<HTMLCanvasElement>('.heatmap canvas') : plot.current?.ctx.canvas;
    canvas?.toBlob((b) => b && download(b, 'strata-graph.png'));
  };

  const errors = requests.map((r) => ({ r, o: outcomes.get(r.key) })).filter((x) => x.o?.error);

  return (
    <div class="page query-page">
      {state.queries.map((q, i) => (
        <div class="query-row" key={i} data-testid={`query-${i}`}>
          <label class="hide-toggle" title="Show or hide this query">
            <input type="checkbox" checked={!q.hidden} onChange={() => setQuery(i, { hidden: !q.hidden })} data-testid={`query-visible-${i}`} />
          </label>
          <QueryEditor
            value={drafts[i] ?? ''}
            committed={q.expr}
            onChange={(v) => setDrafts((d) => d.map((x, j) => (j === i ? v : x)))}
            onRun={run}
            onHandle={(h) => (editors.current[i] = h)}
          />
          {state.queries.length > 1 && (
            <button class="link" title="Remove query" onClick={() => set({ queries: state.queries.filter((_, j) => j !== i) })}>
              ✕
            </button>
          )}
        </div>
      ))}
      <div class="toolbar">
        <button class="primary" onClick={run} data-testid="execute">
          Execute
        </button>
        <button onClick={() => set({ queries: [...state.queries, { expr: '', hidden: false }] })}>Add query</button>
        <label>
          range <FieldInput class="short" list="ranges" value={state.range} onCommit={(v) => set({ range: v })} testid="range" />
        </label>
        <datalist id="ranges">
          {RANGES.map((r) => (
            <option value={r} key={r} />
          ))}
        </datalist>
        <label>
          end <FieldInput class="mid" placeholder="now" value={state.end} onCommit={(v) => set({ end: v })} testid="end" />
        </label>
        <label>
          step{' '}
          <FieldInput
            class="short"
            placeholder={w.error ? 'auto' : `auto ${formatDuration(w.stepSec)}`}
            value={state.step}
            onCommit={(v) => set({ step: v })}
            testid="step"
          />
        </label>
        <label>
          refresh{' '}
          <select value={state.refresh} onChange={(e) => set({ refresh: (e.target as HTMLSelectElement).value }, false)}>
            {REFRESH.map((r) => (
              <option value={r} key={r}>
                {r || 'off'}
              </option>
            ))}
          </select>
        </label>
        <label>
          compare{' '}
          <select value={state.compare} onChange={(e) => set({ compare: (e.target as HTMLSelectElement).value })} data-testid="compare">
            <option value="">off</option>
            <option value="1d">1 day earlier</option>
            <option value="1w">1 week earlier</option>
          </select>
        </label>
        {zoomStack.length > 0 && (
          <button onClick={resetZoom} data-testid="reset-zoom">
            Reset zoom
          </button>
        )}
        {loading && <span class="muted">loading…</span>}
      </div>
      <div class="tabs" role="tablist">
        {(['graph', 'table', 'json'] as Tab[]).map((t) => (
          <button
            role="tab"
            aria-selected={state.tab === t}
            class={state.tab === t ? 'tab active' : 'tab'}
            key={t}
            onClick={() => set({ tab: t })}
            data-testid={`tab-${t}`}
          >
            {t === 'json' ? 'JSON' : t[0]!.toUpperCase() + t.slice(1)}
          </button>
        ))}
        <span class="spacer" />
        <button class="link" onClick={copyLink} data-testid="copy-link">
          Copy link
        </button>
        {graph?.heatmap && (
          <label class="small">
            <input type="checkbox" checked={state.heatmap} onChange={() => set({ heatmap: !state.heatmap })} data-testid="heatmap-toggle" /> heatmap
          </label>
        )}
        {state.tab === 'graph' && (
          <button class="link" onClick={downloadPng} data-testid="download-png">
            PNG
          </button>
        )}
        <button class="link" onClick={downloadCsv} data-testid="download-csv">
          CSV
        </button>
        <button class="link" onClick={() => setExplain(explain ? null : (editors.current[0]?.tree() ?? null))} data-testid="explain">
          Explain
        </button>
      </div>
      {copied && <input class="copied mono" readOnly value={copied} data-testid="copied-link" />}
      {w.error && (
        <div class="error" role="alert">
          {w.error}
        </div>
      )}
      {errors.map(({ r, o }) => (
        <div class="error" role="alert" key={r.key} data-testid="query-error">
          {state.queries.length > 1 ? `query #${r.query + 1}: ` : ''}
          {o!.error}
        </div>
      ))}
      <Stats requests={requests} outcomes={outcomes} />
      {explain && (
        <Explain
          node={explain}
          onRun={(text) => {
            setExplain(null);
            update({ ...state, queries: [...state.queries, { expr: text, hidden: false }] }, true);
          }}
        />
      )}
      {state.tab === 'graph' && graph && (
        <div>
          {graph.total > graph.drawn && (
            <div class="banner" data-testid="cap-banner">
              Showing {graph.drawn} of {graph.total} series.{' '}
              <button class="link" onClick={() => set({ showAll: true })} data-testid="show-all">
                Show all
              </button>
            </div>
          )}
          {state.showAll && graph.total > SERIES_CAP && (
            <div class="banner">
              Showing all {graph.total} series.{' '}
              <button class="link" onClick={() => set({ showAll: false })}>
                Show {SERIES_CAP}
              </button>
            </div>
          )}
          {state.heatmap && graph.heatmap ? (
            <Heatmap data={graph.heatmap} theme={theme} />
          ) : graph.series.length > 0 ? (
            <Chart xs={graph.xs} series={graph.series} theme={theme} onZoom={onZoom} onPlot={(u) => (plot.current = u)} />
          ) : (
            !loading && requests.length > 0 && errors.length === 0 && <div class="muted">No data in this range.</div>
          )}
        </div>
      )}
      {state.tab === 'table' && <ResultTable requests={requests} outcomes={outcomes} sort={sort} setSort={setSort} />}
      {state.tab === 'json' && (
        <div data-testid="json">
          {requests.map((r) => {
            const raw = outcomes.get(r.key)?.result?.raw;
            return raw ? (
              <pre class="json" key={r.key}>
                {prettyJson(raw)}
              </pre>
            ) : null;
          })}
        </div>
      )}
    </div>
  );
}

/** Text fields apply on change and on Enter (Chrome fires no change event for an unedited Enter). */
/**
 * A text field applied on Enter or change. What is typed is kept as a draft until then: the field
 * is controlled, and a render in between (a query result arriving) must not put the old value back
 * under the user's cursor.
 */
function FieldInput(props: { value: string; onCommit: (v: string) => void; testid: string; class: string; placeholder?: string; list?: string }) {
  const [draft, setDraft] = useState(props.value);
  const committed = useRef(props.value);
  useEffect(() => {
    committed.current = props.value;
    setDraft(props.value);
  }, [props.value]);
  const commit = (v: string) => {
    const t = v.trim();
    if (t === committed.current) return;
    committed.current = t;
    props.onCommit(t);
  };
  return (
    <input
      class={props.class}
      placeholder={props.placeholder}
      list={props.list}
      value={draft}
      onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
      onChange={(e) => commit((e.target as HTMLInputElement).value)}
      onKeyDown={(e) => e.key === 'Enter' && commit((e.target as HTMLInputElement).value)}
      data-testid={props.testid}
    />
  );
}

function prettyJson(raw: string): string {
  // Pretty-printing tens of megabytes would freeze the tab; large bodies are shown as received.
  if (raw.length > 2_000_000) return raw;
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function Stats({ requests, outcomes }: { requests: Request[]; outcomes: ReadonlyMap<string, Outcome> }) {
  const rows = requests.filter((r) => r.shiftSec === 0).map((r) => ({ r, res: outcomes.get(r.key)?.result }));
  if (rows.every((x) => !x.res)) return null;
  return (
    <div class="stats muted" data-testid="stats">
      {rows.map(({ r, res }) =>
        res ? (
          <span key={r.key}>
            {requests.length > 1 ? `#${r.query + 1}: ` : ''}
            {Math.round(res.ms)} ms (server {((res.stats?.timings?.evalTotalTime ?? 0) * 1000).toFixed(1)} ms), series {seriesCount(res.data)}, samples{' '}
            {res.stats?.samples?.totalQueryableSamples ?? '?'}
            {res.warnings?.length ? ` — ${res.warnings.join('; ')}` : ''}
          </span>
        ) : null,
      )}
    </div>
  );
}

function seriesCount(d: QueryData): number {
  return d.resultType === 'matrix' || d.resultType === 'vector' ? d.result.length : 1;
}

interface TableProps {
  requests: Request[];
  outcomes: ReadonlyMap<string, Outcome>;
  sort: { by: 'series' | 'value'; desc: boolean };
  setSort(s: { by: 'series' | 'value'; desc: boolean }): void;
}

function ResultTable({ requests, outcomes, sort, setSort }: TableProps) {
  const rows: Array<{ series: string; value: number; text: string }> = [];
  for (const r of requests) {
    const d = outcomes.get(r.key)?.result?.data;
    if (!d) continue;
    if (d.resultType === 'vector') {
      for (const s of d.result) {
        if (s.histogram) rows.push({ series: formatLabels(s.metric), value: Number(s.histogram[1].count), text: describeHistogram(s.histogram[1]) });
        else if (s.value) rows.push({ series: formatLabels(s.metric), value: Number(s.value[1]), text: s.value[1] });
      }
    } else if (d.resultType === 'matrix') {
      for (const s of d.result) {
        const floats = (s.values ?? []).map(([t, v]) => ({ t, text: `${v} @${t}` }));
        const hists = (s.histograms ?? []).map(([t, h]) => ({ t, text: `${describeHistogram(h).replace(/\n/g, ' ')} @${t}` }));
        const all = [...floats, ...hists].sort((a, b) => a.t - b.t);
        rows.push({ series: formatLabels(s.metric), value: all.length, text: all.map((x) => x.text).join('\n') });
      }
    } else rows.push({ series: d.resultType, value: Number(d.result[1]), text: d.result[1] });
  }
  rows.sort((a, b) => {
    const c = sort.by === 'series' ? a.series.localeCompare(b.series) : a.value - b.value || a.series.localeCompare(b.series);
    return sort.desc ? -c : c;
  });
  const head = (by: 'series' | 'value', title: string) => (
    <th class="sortable left" onClick={() => setSort({ by, desc: sort.by === by ? !sort.desc : false })} data-testid={`sort-${by}`}>
      {title} {sort.by === by ? (sort.desc ? '▼' : '▲') : ''}
    </th>
  );
  return (
    <table class="results" data-testid="table">
      <thead>
        <tr>
          {head('series', 'Series')}
          {head('value', 'Value')}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <td class="mono left">{r.series}</td>
            <td class="mono num pre">{r.text}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Explain({ node, onRun }: { node: ExplainNode; onRun(text: string): void }) {
  // Nodes a range query can evaluate on their own (a bare range vector cannot be graphed).
  const runnable = /^(AggregateExpr|BinaryExpr|FunctionCall|ParenExpr|SubqueryExpr|UnaryExpr|VectorSelector|NumberDurationLiteral|NumberLiteral)$/;
  const render = (n: ExplainNode, depth: number): preact.JSX.Element => {
    const kids = n.children.filter((c) => c.text.trim() !== '');
    // Wrapper nodes with one child of the same text add nothing to read.
    if (kids.length === 1 && kids[0]!.text === n.text) return render(kids[0]!, depth);
    return (
      <li>
        <span class="explain-type">{n.type}</span> <code>{n.text.length > 120 ? n.text.slice(0, 120) + '…' : n.text}</code>{' '}
        {runnable.test(n.type) && depth > 0 && (
          <button class="link small" onClick={() => onRun(n.text)}>
            run
          </button>
        )}
        {kids.length > 0 && <ul>{kids.map((k) => render(k, depth + 1))}</ul>}
      </li>
    );
  };
  return (
    <div class="explain" data-testid="explain-tree">
      <ul>{render(node, 0)}</ul>
    </div>
  );
}

export { formatValue };
