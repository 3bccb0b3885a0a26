/**
 * The histogram side of a range-vector function call, run after the float kernels for a series
 * that has native-histogram samples: fills histogram results into `o.hist`, and settles windows
 * holding both kinds the way Prometheus does (mix warning, or floats only with an info).
 */
import { CounterResetHint, type FloatHistogram } from '../../model/index.js';
import { detectReset, histogramsIdentical, usesCustomBuckets } from '../histogram/index.js';
import {
  type HistogramNotes,
  histogramExtendedRate,
  interpolateHistogram,
  histogramInstantDelta,
  histogramRate,
  histogramSumOverTime,
} from '../functions/histogram-range.js';
import type { RangeSeries, StepSeries } from './types.js';
import type { HistogramRangeRule } from '../functions/table.js';

export interface RangeNotes extends HistogramNotes {
  /** A window held both kinds and the function read only the floats. */
  ignoredInMixedRange?: boolean;
}

function upper(ts: Float64Array, x: number, lo = 0): number {
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function setHist(o: StepSeries, i: number, h: FloatHistogram): void {
  o.present[i] = 0;
  (o.hist ??= new Array<FloatHistogram | undefined>(o.present.length))[i] = h;
}

/** Returns whether any step got a histogram or float value from this pass. */
export function histogramRangeSteps(
  rule: HistogramRangeRule,
  s: RangeSeries,
  o: StepSeries,
  ends: Float64Array,
  rangeMs: number,
  before: number,
  after: number,
  notes: RangeNotes,
): boolean {
  const hts = s.histograms!.timestamps;
  const hs = s.histograms!.histograms;
  const fts = s.timestamps;
  let any = false;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const start = end - rangeMs;
    const hlo = upper(hts, start - before);
    const hhi = upper(hts, end + after);
    if (hlo >= hhi) continue;
    const flo = upper(fts, start - before);
    const fhi = upper(fts, end + after);
    const floats = fhi - flo;
    const mixed = floats > 0;
    switch (rule) {
      case 'rate':
      case 'increase':
      case 'delta': {
        if (mixed) {
          notes.mixedFloats = true;
          o.present[i] = 0;
          continue;
        }
        const h =
          before > 0
            ? histogramExtendedRate(hts, hs, hlo, hhi, start, end, rangeMs, after > 0, rule !== 'delta', rule === 'rate', notes)
            : histogramRate(hts, hs, hlo, hhi, start, end, rangeMs, rule !== 'delta', rule === 'rate', notes);
        if (h) {
          setHist(o, i, h);
          any = true;
        }
        continue;
      }
      case 'irate':
      case 'idelta': {
        // The last two samples of the window, whatever their kind.
        const lastH = hts[hhi - 1]!;
        const lastF = floats > 0 ? fts[fhi - 1]! : -Infinity;
        if (floats === 0) {
          if (hhi - hlo < 2) continue;
          const h = histogramInstantDelta(hts[hhi - 2]!, hs[hhi - 2]!, lastH, hs[hhi - 1]!, rule === 'irate', notes);
          if (h) {
            setHist(o, i, h);
            any = true;
          }
          continue;
        }
        const prevH = hhi - hlo >= 2 ? hts[hhi - 2]! : -Infinity;
        const prevF = floats >= 2 ? fts[fhi - 2]! : -Infinity;
        // Both last two are floats: the float kernel's value stands.
        if (lastF > lastH && prevF > lastH) continue;
        if (lastH > lastF && prevH > lastF) {
          const h = histogramInstantDelta(hts[hhi - 2]!, hs[hhi - 2]!, lastH, hs[hhi - 1]!, rule === 'irate', notes);
          o.present[i] = 0;
          if (h) {
            setHist(o, i, h);
            any = true;
          }
          continue;
        }
        notes.mixedFloats = true;
        o.present[i] = 0;
        continue;
      }
      case 'last':
      case 'first': {
        const last = rule === 'last';
        const hT = last ? hts[hhi - 1]! : hts[hlo]!;
        if (floats > 0) {
          const fT = last ? fts[fhi - 1]! : fts[flo]!;
          if (last ? fT > hT : fT < hT) continue;
        }
        setHist(o, i, last ? hs[hhi - 1]! : hs[hlo]!);
        any = true;
        continue;
      }
      case 'ts_of_last':
      case 'ts_of_first': {
        const last = rule === 'ts_of_last';
        let t = last ? hts[hhi - 1]! : hts[hlo]!;
        if (floats > 0) t = last ? Math.max(t, fts[fhi - 1]!) : Math.min(t, fts[flo]!);
        o.values[i] = t / 1000;
        o.present[i] = 1;
        any = true;
        continue;
      }
      case 'count':
        o.values[i] = floats + (hhi - hlo);
        o.present[i] = 1;
        any = true;
        continue;
      case 'present':
        o.values[i] = 1;
        o.present[i] = 1;
        any = true;
        continue;
      case 'sum':
      case 'avg': {
        if (mixed) {
          notes.mixedFloats = true;
          o.present[i] = 0;
          continue;
        }
        const h = histogramSumOverTime(hs, hlo, hhi, rule === 'avg', notes);
        if (h) {
          setHist(o, i, h);
          any = true;
        }
        continue;
      }
      case 'changes':
      case 'resets': {
        let f0 = flo;
        let h0 = hlo;
        if (before > 0) {
          // Anchored: the last sample at or before the range start, of either kind, opens the window.
          const fa = upper(fts, start, flo) - 1;
          const ha = upper(hts, start, hlo) - 1;
          const fAnchor = fa >= flo ? fts[fa]! : -Infinity;
          const hAnchor = ha >= hlo ? hts[ha]! : -Infinity;
          if (fAnchor >= hAnchor && fa >= flo) {
            f0 = fa;
            h0 = upper(hts, fAnchor, hlo);
          } else if (ha >= hlo) {
            h0 = ha;
            f0 = upper(fts, hAnchor, flo);
          }
        }
        o.values[i] = changesOrResets(fts, s.values, f0, fhi, hts, hs, h0, hhi, rule === 'resets');
        o.present[i] = 1;
        any = true;
        continue;
      }
      case 'floats':
        if (mixed) notes.ignoredInMixedRange = true;
        continue;
    }
  }
  return any;
}

/** changes()/resets() over floats and histograms in time order; a switch of kind counts as both. */
function changesOrResets(
  fts: Float64Array,
  fvs: Float64Array,
  flo: number,
  fhi: number,
  hts: Float64Array,
  hs: readonly FloatHistogram[],
  hlo: number,
  hhi: number,
  resets: boolean,
): number {
  let n = 0;
  let prevF: number | null = null;
  let prevH: FloatHistogram | null = null;
  let f = flo;
  let h = hlo;
  while (f < fhi || h < hhi) {
    if (h >= hhi || (f < fhi && fts[f]! < hts[h]!)) {
      const v = fvs[f++]!;
      if (prevH) n++;
      else if (prevF !== null && (resets ? v < prevF : v !== prevF && !(Number.isNaN(v) && Number.isNaN(prevF)))) n++;
      prevF = v;
      prevH = null;
    } else {
      const cur = hs[h++]!;
      if (prevF !== null) n++;
      else if (prevH && (resets ? detectReset(cur, prevH) : !histogramsIdentical(cur, prevH))) n++;
      prevH = cur;
      prevF = null;
    }
  }
  return n;
}

/**
 * `selector smoothed` for a series holding histograms: at each step the histogram interpolated
 * between the samples either side (within one lookback), or the last one before when none
 * follows. A lookback window holding both kinds gives no value and a warning.
 */
export function smoothedHistogramSeries(s: RangeSeries, refT: Float64Array, lookbackMs: number, notes: RangeNotes): StepSeries | null {
  const hts = s.histograms!.timestamps;
  const hs = s.histograms!.histograms;
  const fts = s.timestamps;
  const n = refT.length;
  const o: StepSeries = { labels: s.labels, values: new Float64Array(n), present: new Uint8Array(n), dropName: false };
  let any = false;
  for (let i = 0; i < n; i++) {
    const r = refT[i]!;
    const hlo = upper(hts, r - lookbackMs);
    const hhi = upper(hts, r + lookbackMs);
    const flo = upper(fts, r - lookbackMs);
    const fhi = upper(fts, r + lookbackMs);
    if (hlo >= hhi) continue;
    if (fhi > flo) {
      notes.mixedFloats = true;
      continue;
    }
    const k = upper(hts, r, hlo); // first sample after r
    let h: FloatHistogram;
    if (k > hlo && hts[k - 1] === r) h = hs[k - 1]!;
    else if (k > hlo && k < hhi) {
      const a = hs[k - 1]!;
      const b = hs[k]!;
      if (usesCustomBuckets(a) !== usesCustomBuckets(b)) {
        notes.mixedSchemas = true;
        continue;
      }
      h = interpolateHistogram(hts[k - 1]!, a, hts[k]!, b, r, b.counterResetHint !== CounterResetHint.Gauge);
    } else if (k > hlo) h = hs[k - 1]!;
    else continue;
    (o.hist ??= new Array<FloatHistogram | undefined>(n))[i] = h;
    any = true;
  }
  return any ? o : null;
}
