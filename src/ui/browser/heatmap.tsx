/**
 * Heatmaps of histograms: classic ones (the `le` series of a result, summed per bucket across
 * their other labels, turned from cumulative into per-bucket values) and native ones (each
 * sample's populated buckets, summed across series), one row per bucket.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RangeSeries } from './api.js';
import { formatValue } from './chart.js';

export interface HeatmapData {
  /** Unix seconds. */
  readonly xs: readonly number[];
  /** Upper bounds, ascending, `+Inf` last. */
  readonly buckets: readonly string[];
  /** Lower bounds of the rows, when they are not the row below's upper bound (native histograms). */
  readonly lowers?: readonly string[];
  /** cells[b][t]: the value in bucket b (between buckets[b-1] and buckets[b]) at xs[t]; null when missing. */
  readonly cells: ReadonlyArray<ReadonlyArray<number | null>>;
}

/** Null unless every series has an `le` label, or some series has native-histogram samples. */
export function heatmapOf(series: readonly RangeSeries[], xs: readonly number[], startSec: number, stepSec: number): HeatmapData | null {
  if (series.some((s) => (s.histograms?.length ?? 0) > 0)) return nativeHeatmapOf(series, xs, startSec, stepSec);
  if (series.length === 0 || !series.every((s) => s.metric['le'] !== undefined)) return null;
  const byLe = new Map<string, Array<number | null>>();
  for (const s of series) {
    const le = s.metric['le']!;
    let row = byLe.get(le);
    if (!row) byLe.set(le, (row = new Array<number | null>(xs.length).fill(null)));
    for (const [t, v] of s.values ?? []) {
      const i = Math.round((t - startSec) / stepSec);
      if (i >= 0 && i < xs.length) row[i] = (row[i] ?? 0) + Number(v);
    }
  }
  const buckets = [...byLe.keys()].sort((a, b) => leValue(a) - leValue(b));
  const cumulative = buckets.map((b) => byLe.get(b)!);
  const cells = cumulative.map((row, b) =>
    row.map((v, t) => {
      if (v === null) return null;
      const below = b === 0 ? 0 : (cumulative[b - 1]![t] ?? 0);
      return Math.max(0, v - below);
    }),
  );
  return { xs, buckets, cells };
}

/** Native histograms: a row per distinct bucket, ordered by upper then lower bound. */
function nativeHeatmapOf(series: readonly RangeSeries[], xs: readonly number[], startSec: number, stepSec: number): HeatmapData {
  const rows = new Map<string, { lower: string; upper: string; cells: Array<number | null> }>();
  for (const s of series) {
    for (const [t, h] of s.histograms ?? []) {
      const i = Math.round((t - startSec) / stepSec);
      if (i < 0 || i >= xs.length) continue;
      for (const [, lower, upper, count] of h.buckets ?? []) {
        const key = `${lower} ${upper}`;
        let row = rows.get(key);
        if (!row) rows.set(key, (row = { lower, upper, cells: new Array<number | null>(xs.length).fill(null) }));
        row.cells[i] = (row.cells[i] ?? 0) + Number(count);
      }
    }
  }
  const ordered = [...rows.values()].sort((a, b) => leValue(a.upper) - leValue(b.upper) || leValue(a.lower) - leValue(b.lower));
  return { xs, buckets: ordered.map((r) => r.upper), lowers: ordered.map((r) => r.lower), cells: ordered.map((r) => r.cells) };
}

/** `+Inf` is not a number to JavaScript's Number(). */
function leValue(le: string): number {
  const v = /^\+?inf$/i.test(le) ? Infinity : Number(le);
  return Number.isNaN(v) ? Infinity : v;
}

/** Bucket bounds of native histograms carry every digit; the axis shows four. */
function shortNumber(text: string): string {
  const v = Number(text);
  return Number.isFinite(v) && text.length > 8 ? String(Number(v.toPrecision(4))) : text;
}

const LEFT = 70;
const BOTTOM = 24;

export function Heatmap({ data, theme }: { data: HeatmapData; theme: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [tip, setTip] = useState<string | null>(null);

  useEffect(() => {
    const c = canvas.current!;
    const width = Math.max(300, c.parentElement!.clientWidth);
    const height = 360;
    const dpr = window.devicePixelRatio || 1;
    c.width = width * dpr;
    c.height = height * dpr;
    c.style.width = `${width}px`;
    c.style.height = `${height}px`;
    const g = c.getContext('2d')!;
    g.scale(dpr, dpr);
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue('--fg').trim() || '#000';
    g.clearRect(0, 0, width, height);
    let max = 0;
    for (const row of data.cells) for (const v of row) if (v !== null && v > max) max = v;
    const plotW = width - LEFT;
    const plotH = height - BOTTOM;
    const cw = plotW / Math.max(1, data.xs.length);
    const ch = plotH / Math.max(1, data.buckets.length);
    data.cells.forEach((row, b) => {
      const y = plotH - (b + 1) * ch;
      row.forEach((v, t) => {
        if (v === null || max === 0) return;
        const f = v / max;
        g.fillStyle = `hsla(${220 - 200 * f}, 85%, ${theme === 'dark' ? 30 + 35 * f : 85 - 40 * f}%, ${0.15 + 0.85 * f})`;
        // Whole-pixel edges: fractional ones leave hairline gaps between neighbouring cells.
        const x0 = Math.floor(LEFT + t * cw);
        g.fillRect(x0, Math.floor(y), Math.floor(LEFT + (t + 1) * cw) - x0, Math.floor(y + ch) - Math.floor(y));
      });
    });
    g.fillStyle = fg;
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    data.buckets.forEach((le, b) => g.fillText(`≤ ${shortNumber(le)}`, 4, plotH - (b + 0.5) * ch));
    g.textBaseline = 'top';
    const ticks = 6;
    for (let k = 0; k <= ticks; k++) {
      const i = Math.min(data.xs.length - 1, Math.round((k / ticks) * (data.xs.length - 1)));
      const label = new Date(data.xs[i]! * 1000).toISOString().slice(11, 16);
      g.fillText(label, Math.min(width - 34, LEFT + i * cw), plotH + 6);
    }
  }, [data, theme]);

  const onMove = (e: MouseEvent) => {
    const c = canvas.current!;
    const r = c.getBoundingClientRect();
    const x = e.clientX - r.left - LEFT;
    const y = e.clientY - r.top;
    const plotH = r.height - BOTTOM;
    if (x < 0 || y > plotH) return setTip(null);
    const t = Math.floor((x / (r.width - LEFT)) * data.xs.length);
    const b = data.buckets.length - 1 - Math.floor((y / plotH) * data.buckets.length);
    const v = data.cells[b]?.[t];
    if (v === undefined || t < 0 || b < 0) return setTip(null);
    const lower = data.lowers ? data.lowers[b] : b === 0 ? '0' : data.buckets[b - 1];
    setTip(
      `${new Date(data.xs[t]! * 1000).toISOString().replace('T', ' ').slice(0, 19)} UTC · (${lower}, ${data.buckets[b]}]: ${v === null ? '—' : formatValue(v)}`,
    );
  };

  return (
    <div class="heatmap" data-testid="heatmap" data-buckets={data.buckets.length}>
      <canvas ref={canvas} onMouseMove={onMove} onMouseLeave={() => setTip(null)} />
      <div class="muted small" data-testid="heatmap-tip">
        {tip ?? 'Hover a cell for its bucket and value.'}
      </div>
    </div>
  );
}
