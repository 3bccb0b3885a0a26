import { STALE_NAN_BITS_HI, STALE_NAN_BITS_LO, type Series } from '../../model/index.js';
import type { FloatHistogram } from '../../model/index.js';
import { type RangeSeries, type StepSeries, StepSlab } from './types.js';

/** A 32-bit view of a Float64Array to test NaN payloads without allocating per sample. */
function bitsOf(vs: Float64Array): Uint32Array {
  return new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2);
}

function isStale(vs: Float64Array, bits: Uint32Array, i: number): boolean {
  const v = vs[i]!;
  return v !== v && bits[2 * i] === STALE_NAN_BITS_LO && bits[2 * i + 1] === STALE_NAN_BITS_HI;
}

/** How many staleness markers vs holds; the bit view is made only once a NaN turns up. */
function countStale(vs: Float64Array): number {
  let stale = 0;
  let bits: Uint32Array | null = null;
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i]!;
    if (v === v) continue;
    bits ??= bitsOf(vs);
    if (bits[2 * i] === STALE_NAN_BITS_LO && bits[2 * i + 1] === STALE_NAN_BITS_HI) stale++;
  }
  return stale;
}

/**
 * Instant-vector selection for every step: the last sample at or before `refT[i]` and newer than
 * `refT[i] - lookback`, unless it is a staleness marker. With `timestamps` the value is the
 * sample's timestamp in seconds (what `timestamp(selector)` returns).
 */
export function selectInstant(
  series: readonly Series[],
  refT: Float64Array,
  lookbackMs: number,
  timestamps: boolean,
  slab = new StepSlab(refT.length, series.length),
): StepSeries[] {
  const n = refT.length;
  const out: StepSeries[] = [];
  for (const s of series) {
    const ts = s.timestamps;
    const vs = s.values;
    let bits: Uint32Array | null = null;
    const len = ts.length;
    const o = slab.series(s.labels);
    const { values, present } = o;
    let any = false;
    let j = -1; // index of the last sample with t <= refT
    let prevRef = -Infinity;
    for (let i = 0; i < n; i++) {
      const r = refT[i]!;
      if (r < prevRef) j = -1; // refT is non-decreasing in practice; restart if not
      prevRef = r;
      while (j + 1 < len && ts[j + 1]! <= r) j++;
      if (j < 0) continue;
      const t = ts[j]!;
      if (t <= r - lookbackMs) continue;
      const v = vs[j]!;
      if (v !== v && isStale(vs, (bits ??= bitsOf(vs)), j)) continue;
      values[i] = timestamps ? t / 1000 : v;
      present[i] = 1;
      any = true;
    }
    if (s.histograms && s.histograms.timestamps.length > 0) {
      if (selectHistograms(s, o, refT, lookbackMs, timestamps)) any = true;
    }
    if (any) out.push(o);
    else slab.giveBack(o);
  }
  return out;
}

/**
 * The histogram samples of a series that has them, merged into its float selection: at each
 * step the newer of the two candidates wins (a series can switch kinds over time).
 */
function selectHistograms(s: Series, o: StepSeries, refT: Float64Array, lookbackMs: number, timestamps: boolean): boolean {
  const hts = s.histograms!.timestamps;
  const hs = s.histograms!.histograms;
  const fts = s.timestamps;
  let any = false;
  let k = -1;
  let j = -1;
  let prevRef = -Infinity;
  for (let i = 0; i < refT.length; i++) {
    const r = refT[i]!;
    if (r < prevRef) {
      k = -1;
      j = -1;
    }
    prevRef = r;
    while (k + 1 < hts.length && hts[k + 1]! <= r) k++;
    while (j + 1 < fts.length && fts[j + 1]! <= r) j++;
    if (k < 0) continue;
    const t = hts[k]!;
    if (t <= r - lookbackMs) continue;
    // A newer float sample (or staleness marker) hides the histogram.
    if (j >= 0 && fts[j]! > t) continue;
    if (timestamps) {
      o.values[i] = t / 1000;
      o.present[i] = 1;
    } else {
      o.present[i] = 0;
      (o.hist ??= new Array<FloatHistogram | undefined>(refT.length))[i] = hs[k]!;
    }
    any = true;
  }
  return any;
}

/** The samples of each series without staleness markers, for range-vector functions. */
export function withoutStaleMarkers(series: readonly Series[]): RangeSeries[] {
  const out: RangeSeries[] = [];
  for (const s of series) {
    const vs = s.values;
    const stale = countStale(vs);
    if (stale === 0) {
      const r: RangeSeries = { labels: s.labels, timestamps: s.timestamps, values: s.values, dropName: false };
      if (s.histograms && s.histograms.timestamps.length > 0) r.histograms = s.histograms;
      out.push(r);
      continue;
    }
    const bits = bitsOf(vs);
    const n = vs.length - stale;
    const ts = new Float64Array(n);
    const v = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < vs.length; i++) {
      if (isStale(vs, bits, i)) continue;
      ts[k] = s.timestamps[i]!;
      v[k] = vs[i]!;
      k++;
    }
    const r: RangeSeries = { labels: s.labels, timestamps: ts, values: v, dropName: false };
    if (s.histograms && s.histograms.timestamps.length > 0) r.histograms = s.histograms;
    out.push(r);
  }
  return out;
}

/** Turns the per-step values of an evaluated expression into sample lists (a subquery's result). */
export function stepSeriesToRange(series: readonly StepSeries[], ts: Float64Array): RangeSeries[] {
  const out: RangeSeries[] = [];
  for (const s of series) {
    let n = 0;
    for (let i = 0; i < s.present.length; i++) n += s.present[i]!;
    const hts: number[] = [];
    const hs: FloatHistogram[] = [];
    if (s.hist) {
      for (let i = 0; i < s.present.length; i++) {
        const h = s.hist[i];
        if (h) {
          hts.push(ts[i]!);
          hs.push(h);
        }
      }
    }
    if (n === 0 && hs.length === 0) continue;
    const t = new Float64Array(n);
    const v = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < s.present.length; i++) {
      if (!s.present[i]) continue;
      t[k] = ts[i]!;
      v[k] = s.values[i]!;
      k++;
    }
    const r: RangeSeries = { labels: s.labels, timestamps: t, values: v, dropName: s.dropName };
    if (hs.length > 0) r.histograms = { timestamps: Float64Array.from(hts), histograms: hs };
    out.push(r);
  }
  return out;
}

/** Index of the first element greater than x in a sorted array. */
export function upperBound(a: Float64Array, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `selector smoothed`: at each step the value at exactly `refT`, linearly interpolated between
 * the neighbouring samples within one lookback on either side (or the last one before, if none
 * follows). Staleness markers are ignored.
 */
export function selectSmoothed(series: readonly Series[], refT: Float64Array, lookbackMs: number): StepSeries[] {
  const n = refT.length;
  const out: StepSeries[] = [];
  for (const s of withoutStaleMarkers(series)) {
    const ts = s.timestamps;
    const vs = s.values;
    const values = new Float64Array(n);
    const present = new Uint8Array(n);
    let any = false;
    for (let i = 0; i < n; i++) {
      const r = refT[i]!;
      const lo = upperBound(ts, r - lookbackMs);
      const hi = upperBound(ts, r + lookbackMs);
      if (lo >= hi) continue;
      // first index in the window with t >= r
      let k = lo;
      while (k < hi && ts[k]! < r) k++;
      let v: number;
      if (k < hi && ts[k] === r) v = vs[k]!;
      else if (k > lo && k < hi) v = vs[k - 1]! + ((vs[k]! - vs[k - 1]!) * (r - ts[k - 1]!)) / (ts[k]! - ts[k - 1]!);
      else if (k > lo) v = vs[k - 1]!;
      else continue;
      values[i] = v;
      present[i] = 1;
      any = true;
    }
    if (any) out.push({ labels: s.labels, values, present, dropName: false });
  }
  return out;
}

/**
 * The samples an `anchored` / `smoothed` range selector returns at the top level: the window
 * `(mint, maxt]` with a synthetic point at each edge (the sample at or before it, or for smoothed
 * the interpolation between its neighbours).
 */
export function extendFloats(
  ts: Float64Array,
  vs: Float64Array,
  mint: number,
  maxt: number,
  smoothed: boolean,
): { timestamps: Float64Array; values: Float64Array } | null {
  if (ts.length === 0) return null;
  let last = ts.length - 1;
  // first index in [0, last) with t > mint, minus one
  let first = Math.max(0, upperBound(ts, mint, 0, last) - 1);
  if (smoothed) {
    let k = 0;
    while (k < last && ts[k]! < maxt) k++;
    last = k;
  }
  if (ts[last]! <= mint) return null;
  const interp = (a: number, b: number, t: number): number => vs[a]! + ((vs[b]! - vs[a]!) * (t - ts[a]!)) / (ts[b]! - ts[a]!);
  const left = smoothed && ts[first]! < mint ? interp(first, first + 1, mint) : vs[first]!;
  const right = smoothed && last > 0 && ts[last]! > maxt ? interp(last - 1, last, maxt) : vs[last]!;
  if (ts[first]! <= mint) first++;
  if (ts[last]! >= maxt) last--;
  const count = Math.max(last - first + 1, 0);
  const timestamps = new Float64Array(count + 2);
  const values = new Float64Array(count + 2);
  timestamps[0] = mint;
  values[0] = left;
  for (let i = 0; i < count; i++) {
    timestamps[i + 1] = ts[first + i]!;
    values[i + 1] = vs[first + i]!;
  }
  timestamps[count + 1] = maxt;
  values[count + 1] = right;
  return { timestamps, values };
}
