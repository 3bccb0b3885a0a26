/**
 * The graph: uPlot over one shared time axis, a legend (click isolates, Ctrl-click toggles,
 * labels copyable, min/max/last), a hover tooltip and drag-to-zoom reported to the page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  readonly key: string;
  readonly label: string;
  readonly values: ReadonlyArray<number | null>;
  /** Earlier-period overlay: drawn dashed, in the colour of the series it shifts. */
  readonly overlayOf?: string;
}

export interface ChartProps {
  /** Unix seconds. */
  readonly xs: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly theme: string;
  onZoom(fromSec: number, toSec: number): void;
  onPlot?(u: uPlot | null): void;
}

const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#637939',
  '#8c6d31',
  '#843c39',
  '#7b4173',
  '#3182bd',
  '#e6550d',
  '#31a354',
  '#756bb1',
  '#636363',
];
export const colorOf = (i: number): string => PALETTE[i % PALETTE.length]!;

interface Tip {
  left: number;
  top: number;
  time: number;
  label: string;
  value: number;
  color: string;
}

function stats(values: ReadonlyArray<number | null>): { min: number; max: number; last: number } {
  let min = Infinity;
  let max = -Infinity;
  let last = NaN;
  for (const v of values) {
    if (v === null || Number.isNaN(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    last = v;
  }
  return { min, max, last };
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '—' : String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e9)) return v.toExponential(3);
  return String(Number(v.toPrecision(6)));
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [tip, setTip] = useState<Tip | null>(null);
  const hiddenRef = useRef(hidden);
  hiddenRef.current = hidden;
  const propsRef = useRef(props);
  propsRef.current = props;

  const colorFor = (s: ChartSeries, i: number): string => {
    if (s.overlayOf === undefined) return colorOf(i);
    const j = props.series.findIndex((x) => x.key === s.overlayOf);
    return colorOf(j < 0 ? i : j);
  };

  useEffect(() => {
    const el = box.current!;
    const fg = cssVar('--fg');
    const grid = cssVar('--grid');
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 360,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 6 } },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 60, values: (_u, ticks) => ticks.map((t) => formatValue(t)) }],
      series: [
        {},
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: colorFor(s, i),
          width: 1.5,
          dash: s.overlayOf !== undefined ? [6, 4] : undefined,
          show: !hiddenRef.current.has(s.key),
          spanGaps: false,
          points: { show: false },
        })),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 5) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            propsRef.current.onZoom(from, to);
          },
        ],
        setCursor: [
          (u) => {
            const idx = u.cursor.idx;
            const top = u.cursor.top ?? -1;
            if (idx === null || idx === undefined || top < 0) return setTip(null);
            const y = u.posToVal(top, 'y');
            let best = -1;
            let dist = Infinity;
            const ss = propsRef.current.series;
            for (let i = 0; i < ss.length; i++) {
              if (hiddenRef.current.has(ss[i]!.key)) continue;
              const v = ss[i]!.values[idx];
              if (v === null || v === undefined || Number.isNaN(v)) continue;
              const d = Math.abs(v - y);
              if (d < dist) {
                dist = d;
                best = i;
              }
            }
            if (best < 0) return setTip(null);
            const s = ss[best]!;
            setTip({
              left: u.cursor.left ?? 0,
              top,
              time: propsRef.current.xs[idx]!,
              label: s.label,
              value: s.values[idx] as number,
              color: colorFor(s, best),
            });
          },
        ],
      },
    };
    const data = [props.xs as number[], ...props.series.map((s) => s.values as (number | null)[])] as uPlot.AlignedData;
    const u = new uPlot(opts, data, el);
    plot.current = u;
    props.onPlot?.(u);
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(300, el.clientWidth), height: 360 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
      propsRef.current.onPlot?.(null);
    };
  }, [props.xs, props.series, props.theme]);

  // Visibility changes redraw in place: no new uPlot, no refetch.
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.batch(() => props.series.forEach((s, i) => u.setSeries(i + 1, { show: !hidden.has(s.key) })));
  }, [hidden]);

  const onLegendClick = (e: MouseEvent, key: string) => {
    if (e.ctrlKey || e.metaKey) {
      const next = new Set(hidden);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      setHidden(next);
      return;
    }
    const visible = props.series.filter((s) => !hidden.has(s.key));
    const isolated = visible.length === 1 && visible[0]!.key === key;
    setHidden(isolated ? new Set() : new Set(props.series.filter((s) => s.key !== key).map((s) => s.key)));
  };

  return (
    <div class="chart">
      <div class="chart-plot" ref={box}>
        {tip && (
          <div class="tooltip" style={{ left: `${tip.left + 12}px`, top: `${tip.top + 12}px` }} data-testid="tooltip">
            <div class="muted">
              {new Date(tip.time * 1000)
                .toISOString()
                .replace('T', ' ')
                .replace(/\.\d+Z$/, ' UTC')}
            </div>
            <div>
              <span class="swatch" style={{ background: tip.color }} /> <b>{formatValue(tip.value)}</b>
            </div>
            <div class="mono small">{tip.label}</div>
          </div>
        )}
      </div>
      <table class="legend" data-testid="legend">
        <thead>
          <tr>
            <th />
            <th class="left">series (click isolates, Ctrl-click toggles)</th>
            <th>min</th>
            <th>max</th>
            <th>last</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.series.map((s, i) => {
            const st = stats(s.values);
            return (
              <tr key={s.key} class={hidden.has(s.key) ? 'legend-row off' : 'legend-row'} onClick={(e) => onLegendClick(e, s.key)}>
                <td>
                  <span class={s.overlayOf !== undefined ? 'swatch dashed' : 'swatch'} style={{ background: colorFor(s, i) }} />
                </td>
                <td class="mono left legend-label">{s.label}</td>
                <td class="num">{formatValue(st.min)}</td>
                <td class="num">{formatValue(st.max)}</td>
                <td class="num">{formatValue(st.last)}</td>
                <td>
                  <button
                    class="link small"
                    title="Copy labels"
                    onClick={(e) => {
                      e.stopPropagation();
                      void navigator.clipboard?.writeText(s.label).catch(() => undefined);
                    }}
                  >
                    copy
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
