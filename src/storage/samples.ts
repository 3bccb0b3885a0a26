import { isStaleNaNAt } from '../model/index.js';

/**
 * A growable pair of columns used as scratch space while collecting one series from several
 * sources; it is reused across series so the hot loops allocate only when a series is larger
 * than any seen before.
 */
export class SampleBuffer {
  timestamps: Float64Array;
  values: Float64Array;
  length = 0;

  constructor(capacity = 256) {
    this.timestamps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  reset(): void {
    this.length = 0;
  }

  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.timestamps.length) return;
    let cap = this.timestamps.length * 2;
    while (cap < need) cap *= 2;
    const ts = new Float64Array(cap);
    ts.set(this.timestamps.subarray(0, this.length));
    const vs = new Float64Array(cap);
    vs.set(this.values.subarray(0, this.length));
    this.timestamps = ts;
    this.values = vs;
  }

  push(t: number, v: number): void {
    if (this.length === this.timestamps.length) this.reserve(1);
    this.timestamps[this.length] = t;
    this.values[this.length] = v;
    this.length++;
  }

  /** Appends the samples of src with minT <= t <= maxT. */
  pushRange(ts: Float64Array, vs: Float64Array, n: number, minT: number, maxT: number): void {
    this.reserve(n);
    let k = this.length;
    const dt = this.timestamps;
    const dv = this.values;
    for (let i = 0; i < n; i++) {
      const t = ts[i]!;
      if (t < minT || t > maxT) continue;
      dt[k] = t;
      dv[k] = vs[i]!;
      k++;
    }
    this.length = k;
  }

  /** Copies the current contents into exact-size arrays the caller may keep. */
  /**
   * Hands the filled part of the arrays over as views, without copying: the caller owns the result
   * and this buffer must not be written again (reads build one buffer per series and drop it).
   */
  snapshot(): { timestamps: Float64Array; values: Float64Array } {
    return { timestamps: this.timestamps.subarray(0, this.length), values: this.values.subarray(0, this.length) };
  }
}

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

/** Sorted, one sample per timestamp, dedup applied: the shape every reader returns. */
export function normalize(buf: SampleBuffer, dedupIntervalMs: number): void {
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
