/**
 * Range-vector functions over native-histogram samples (Prometheus's `histogramRate`, the
 * histogram branches of `funcIrate`/`funcIdelta`, `*_over_time`). Float samples keep their own
 * typed-array kernels; a window holding histograms takes this path.
 */
import { CounterResetHint, type FloatHistogram } from '../../model/index.js';
import { counterZeroLimit, extrapolationFactor } from './rate.js';
import {
  type AddNotes,
  HistogramAccumulator,
  HistogramMixError,
  combine,
  compact,
  detectReset,
  divide,
  scale,
  toSchema,
  usesCustomBuckets,
  withHint,
} from '../histogram/index.js';

/** What a histogram kernel reports besides its value. */
export interface HistogramNotes {
  mixedFloats?: boolean;
  mixedSchemas?: boolean;
  notCounter?: boolean;
  notGauge?: boolean;
  reconciled?: 'subtraction' | 'addition' | 'aggregation';
  resetCollision?: boolean;
}

/** rate/increase/delta over histogram samples `[lo, hi)` of one window. */
export function histogramRate(
  ts: Float64Array,
  hs: readonly FloatHistogram[],
  lo: number,
  hi: number,
  rangeStart: number,
  rangeEnd: number,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
  notes: HistogramNotes,
): FloatHistogram | undefined {
  if (hi - lo < 2) return undefined;
  const first = hs[lo]!;
  const last = hs[hi - 1]!;
  const custom = usesCustomBuckets(first);
  let minSchema = Math.min(first.schema, last.schema);
  for (let i = lo + 1; i < hi - 1; i++) {
    const h = hs[i]!;
    if (usesCustomBuckets(h) !== custom) {
      notes.mixedSchemas = true;
      return undefined;
    }
    if (!isCounter) continue;
    if (h.counterResetHint === CounterResetHint.Gauge) notes.notCounter = true;
    if (h.schema < minSchema) minSchema = h.schema;
  }
  let result: FloatHistogram;
  try {
    if (isCounter) {
      // Segment by segment: a reset (a drop, or a switch between exponential and custom
      // buckets) restarts the count from the later histogram.
      let acc: FloatHistogram | undefined;
      for (let i = lo + 1; i < hi; i++) {
        const cur = hs[i]!;
        const prev = hs[i - 1]!;
        let term: FloatHistogram;
        if (detectReset(cur, prev)) term = cur;
        else {
          const d = combine(cur, prev, -1);
          if (d.reconciled) notes.reconciled = 'subtraction';
          term = d.h;
        }
        if (!acc) acc = term;
        else {
          const a = combine(acc, term, 1);
          if (a.reconciled) notes.reconciled = 'subtraction';
          acc = a.h;
        }
      }
      // The result has the lowest resolution seen in the window.
      let expMin = Infinity;
      for (let i = lo; i < hi; i++) if (!usesCustomBuckets(hs[i]!)) expMin = Math.min(expMin, hs[i]!.schema);
      result = usesCustomBuckets(acc!) ? acc! : toSchema(acc!, Math.min(acc!.schema, expMin));
    } else {
      if (usesCustomBuckets(last) !== custom) {
        notes.mixedSchemas = true;
        return undefined;
      }
      const r = combine(toSchema(last, minSchema), first, -1);
      if (r.reconciled) notes.reconciled = 'subtraction';
      result = r.h;
      if (first.counterResetHint !== CounterResetHint.Gauge || last.counterResetHint !== CounterResetHint.Gauge) notes.notGauge = true;
    }
  } catch (e) {
    if (e instanceof HistogramMixError) {
      notes.mixedSchemas = true;
      return undefined;
    }
    throw e;
  }
  if (isCounter && last.counterResetHint === CounterResetHint.Gauge) notes.notCounter = true;
  if (isCounter && first.counterResetHint === CounterResetHint.Gauge) notes.notCounter = true;
  // A counter cannot go below zero: its count limits the extrapolation towards the start.
  const toZero = counterZeroLimit(isCounter, result.count, first.count, ts[lo]!, ts[hi - 1]!);
  const factor = extrapolationFactor(ts[lo]!, ts[hi - 1]!, hi - lo, rangeStart, rangeEnd, rangeMs, isRate, toZero);
  return compact(withHint(scale(result, factor), CounterResetHint.Gauge));
}

/** irate/idelta of the last two samples when both are histograms. */
export function histogramInstantDelta(
  t0: number,
  h0: FloatHistogram,
  t1: number,
  h1: FloatHistogram,
  isRate: boolean,
  notes: HistogramNotes,
): FloatHistogram | undefined {
  if (isRate && (h1.counterResetHint === CounterResetHint.Gauge || h0.counterResetHint === CounterResetHint.Gauge)) notes.notCounter = true;
  if (!isRate && (h1.counterResetHint !== CounterResetHint.Gauge || h0.counterResetHint !== CounterResetHint.Gauge)) notes.notGauge = true;
  let result = h1;
  try {
    if (!isRate || !detectReset(h1, h0)) {
      const r = combine(h1, h0, -1);
      if (r.reconciled) notes.reconciled = 'subtraction';
      result = r.h;
    }
  } catch (e) {
    if (e instanceof HistogramMixError) {
      notes.mixedSchemas = true;
      return undefined;
    }
    throw e;
  }
  result = withHint(result, CounterResetHint.Gauge);
  if (isRate) result = divide(result, (t1 - t0) / 1000);
  return compact(result);
}

/** sum_over_time (avg when `avg`) of histogram samples `[lo, hi)`. */
export function histogramSumOverTime(hs: readonly FloatHistogram[], lo: number, hi: number, avg: boolean, notes: HistogramNotes): FloatHistogram | undefined {
  const acc = new HistogramAccumulator(avg);
  const addNotes: AddNotes = {};
  try {
    for (let i = lo; i < hi; i++) acc.add(hs[i]!, addNotes);
  } catch (e) {
    if (e instanceof HistogramMixError) {
      notes.mixedSchemas = true;
      return undefined;
    }
    throw e;
  }
  if (addNotes.reconciled) notes.reconciled = 'aggregation';
  if (addNotes.resetCollision) notes.resetCollision = true;
  return acc.result();
}

/**
 * The histogram between two samples at time t (smoothed selectors and range edges). A counter
 * that reset between them restarts from zero.
 */
export function interpolateHistogram(t1: number, h1: FloatHistogram, t2: number, h2: FloatHistogram, t: number, isCounter: boolean): FloatHistogram {
  const f = (t - t1) / (t2 - t1);
  if (isCounter && detectReset(h2, h1)) return compact(scale(h2, f));
  const d = combine(h2, h1, -1).h;
  return compact({ ...combine(h1, scale(d, f), 1).h, counterResetHint: CounterResetHint.Unknown });
}

/**
 * Sum of the increases along `seq`, a reset restarting from the later histogram. With
 * `leftInterpolated` the first step is a plain difference: the interpolated left edge already
 * accounts for a reset between it and the next sample.
 */
function increaseAlong(seq: readonly FloatHistogram[], isCounter: boolean, notes: HistogramNotes, leftInterpolated = false): FloatHistogram {
  if (!isCounter) {
    const r = combine(seq[seq.length - 1]!, seq[0]!, -1);
    if (r.reconciled) notes.reconciled = 'subtraction';
    return r.h;
  }
  let acc: FloatHistogram | undefined;
  for (let i = 1; i < seq.length; i++) {
    let term: FloatHistogram;
    if (!(leftInterpolated && i === 1) && detectReset(seq[i]!, seq[i - 1]!)) term = seq[i]!;
    else {
      const d = combine(seq[i]!, seq[i - 1]!, -1);
      if (d.reconciled) notes.reconciled = 'subtraction';
      term = d.h;
    }
    acc = acc ? combine(acc, term, 1).h : term;
  }
  return acc ?? combine(seq[0]!, seq[0]!, -1).h;
}

/**
 * rate/increase/delta over an `anchored` or `smoothed` range of histograms (samples `[lo, hi)`
 * reach one lookback beyond the range): the histogram at each edge is the sample at or before
 * it (anchored) or interpolated between its neighbours (smoothed); no extrapolation.
 */
export function histogramExtendedRate(
  ts: Float64Array,
  hs: readonly FloatHistogram[],
  lo: number,
  hi: number,
  rangeStart: number,
  rangeEnd: number,
  rangeMs: number,
  smoothed: boolean,
  isCounter: boolean,
  isRate: boolean,
  notes: HistogramNotes,
): FloatHistogram | undefined {
  if (hi <= lo) return undefined;
  let last = hi - 1;
  let first = lo;
  while (first + 1 < last && ts[first + 1]! <= rangeStart) first++;
  if (first + 1 === last && ts[last]! <= rangeStart) first = last;
  if (smoothed) {
    let k = first;
    while (k < last && ts[k]! < rangeEnd) k++;
    last = k;
  }
  if (ts[last]! <= rangeStart) return undefined;
  if (smoothed && ts[first]! > rangeEnd) return undefined;
  const custom = usesCustomBuckets(hs[first]!);
  for (let i = first; i <= last; i++) {
    if (usesCustomBuckets(hs[i]!) !== custom) {
      notes.mixedSchemas = true;
      return undefined;
    }
    if (isCounter && hs[i]!.counterResetHint === CounterResetHint.Gauge) notes.notCounter = true;
  }
  if (!isCounter && (hs[first]!.counterResetHint !== CounterResetHint.Gauge || hs[last]!.counterResetHint !== CounterResetHint.Gauge)) notes.notGauge = true;
  try {
    const seq: FloatHistogram[] = [];
    const leftInterp = smoothed && ts[first]! < rangeStart && first < last;
    const rightInterp = smoothed && last > first && ts[last]! > rangeEnd;
    seq.push(leftInterp ? interpolateHistogram(ts[first]!, hs[first]!, ts[first + 1]!, hs[first + 1]!, rangeStart, isCounter) : hs[first]!);
    // Inner samples strictly inside the range; an interpolated edge stands in for its sample.
    for (let i = first + 1; i < last; i++) seq.push(hs[i]!);
    if (last > first) {
      if (rightInterp) {
        const r = interpolateHistogram(ts[last - 1]!, hs[last - 1]!, ts[last]!, hs[last]!, rangeEnd, isCounter);
        seq.push(r);
      } else seq.push(hs[last]!);
    } else seq.push(hs[first]!);
    let result = increaseAlong(seq, isCounter, notes, leftInterp);
    if (isRate) result = divide(result, rangeMs / 1000);
    return compact(withHint(result, CounterResetHint.Gauge));
  } catch (e) {
    if (e instanceof HistogramMixError) {
      notes.mixedSchemas = true;
      return undefined;
    }
    throw e;
  }
}
