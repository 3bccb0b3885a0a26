import { isStaleNaNAt } from '../model/index.js';
import type { SampleBuffer } from './samples.js';

/**
 * One sample per timestamp, and VictoriaMetrics-style deduplication (`-dedup.minScrapeInterval`):
 * what reads, flushes and merges apply to every series' samples before returning or writing them.
 */

function isSorted(ts: Float64Array, n: number): boolean {
  for (let i = 1; i < n; i++) if (ts[i]! < ts[i - 1]!) return false;
  return true;
}

/**
 * Sorts the buffer by time, stable, so that among equal timestamps the sample written last
 * stays last (the buffer is filled oldest source first).
 */
export function sortStable(buf: SampleBuffer): void {
  const n = buf.length;
  if (isSorted(buf.timestamps, n)) return;
  const ts = buf.timestamps;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => ts[a]! - ts[b]! || a - b);
  const nt = new Float64Array(buf.timestamps.length);
  const nv = new Float64Array(buf.values.length);
  const vs = buf.values;
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    nt[i] = ts[j]!;
    nv[i] = vs[j]!;
  }
  buf.timestamps = nt;
  buf.values = nv;
}

/** Keeps one sample per timestamp: the last one written. Expects a stable time sort. */
export function collapseLastWins(buf: SampleBuffer): void {
  const n = buf.length;
  if (n < 2) return;
  const ts = buf.timestamps;
  const vs = buf.values;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && ts[i + 1] === ts[i]) continue;
    ts[k] = ts[i]!;
    vs[k] = vs[i]!;
    k++;
  }
  buf.length = k;
}

/** The end (inclusive) of the dedup interval holding t: intervals are (k*d - d, k*d]. */
function intervalEnd(t: number, d: number): number {
  const e = t + d - 1;
  // Math-based modulo so negative timestamps land in the right interval as well.
  return e - (((e % d) + d) % d);
}

/**
 * VictoriaMetrics deduplication on time-sorted samples: per interval of `d` ms keep the sample
 * with the largest timestamp; among samples sharing that timestamp keep the largest value,
 * preferring any real value over a staleness marker. Two HA replicas scraping the same target
 * therefore collapse to one sample per scrape. In place; returns nothing, sets buf.length.
 */
export function dedupVictoriaMetrics(buf: SampleBuffer, d: number): void {
  const n = buf.length;
  if (d <= 0 || n < 2) return;
  const ts = buf.timestamps;
  const vs = buf.values;
  let k = 0;
  let i = 0;
  while (i < n) {
    const end = intervalEnd(ts[i]!, d);
    let j = i;
    while (j + 1 < n && ts[j + 1]! <= end) j++;
    // j is the last sample of the interval; walk back over equal timestamps to choose the value.
    const t = ts[j]!;
    let best = j;
    let m = j;
    while (m > i && ts[m - 1] === t) {
      m--;
      if (isStaleNaNAt(vs, m)) continue;
      if (isStaleNaNAt(vs, best) || vs[m]! > vs[best]!) best = m;
    }
    ts[k] = t;
    vs[k] = vs[best]!;
    k++;
    i = j + 1;
  }
  buf.length = k;
}

function isStrictlyAscending(ts: Float64Array, n: number): boolean {
  for (let i = 1; i < n; i++) if (!(ts[i]! > ts[i - 1]!)) return false;
  return true;
}

/** Sorted, one sample per timestamp, dedup applied: the shape every reader returns. */
export function normalize(buf: SampleBuffer, dedupIntervalMs: number): void {
  // Already sorted with one sample per timestamp (one source, or sources in time order): only
  // dedup could still change anything.
  if (isStrictlyAscending(buf.timestamps, buf.length)) {
    if (dedupIntervalMs > 0) dedupVictoriaMetrics(buf, dedupIntervalMs);
    return;
  }
  sortStable(buf);
  if (dedupIntervalMs > 0) {
    collapseEqualMaxValue(buf);
    dedupVictoriaMetrics(buf, dedupIntervalMs);
  } else collapseLastWins(buf);
}

/** With dedup on, equal timestamps resolve as VictoriaMetrics does: largest non-stale value. */
function collapseEqualMaxValue(buf: SampleBuffer): void {
  const n = buf.length;
  const ts = buf.timestamps;
  const vs = buf.values;
  let k = 0;
  let i = 0;
  while (i < n) {
    const t = ts[i]!;
    let best = i;
    let j = i + 1;
    while (j < n && ts[j] === t) {
      if (!isStaleNaNAt(vs, j) && (isStaleNaNAt(vs, best) || vs[j]! > vs[best]!)) best = j;
      j++;
    }
    ts[k] = t;
    vs[k] = vs[best]!;
    k++;
    i = j;
  }
  buf.length = k;
}
