/**
 * Range-vector functions over native-histogram samples (Prometheus's `histogramRate`, the
 * histogram branches of `funcIrate`/`funcIdelta`, `*_over_time`). Float samples keep their own
 * typed-array kernels; a window holding histograms takes this path.
 */
import { CounterResetHint, type FloatHistogram } from '../../model/histogram.js';
import { type AddNotes, HistogramAccumulator, HistogramMixError, combine, compact, detectReset, divide, scale, toSchema, usesCustomBuckets, withHint } from '../histogram/index.js';

/** What a histogram kernel reports besides its value. */
export interface HistogramNotes {
  mixedFloats?: boolean;
  mixedSchemas?: boolean;
  notCounter?: boolean;
  notGauge?: boolean;
  reconciled?: 'subtraction' | 'addition' | 'aggregation';
  resetCollision?: boolean;
}

/**
 * The extrapolation factor of rate/increase/delta (Prometheus's `extrapolatedRate`): how much the
 * change between the first and last sample is stretched to cover the window.
 */
export function extrapolationFactor(
  firstT: number,
  lastT: number,
  samples: number,
  rangeStart: number,
  rangeEnd: number,
  rangeMs: number,
  isRate: boolean,
  durationToZero: number,
): number {
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (samples - 1);
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (durationToZero < durationToStart) durationToStart = durationToZero;
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor = 1;
  if (sampledInterval !== 0) factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= rangeMs / 1000;
  return factor;
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
  const sampled = (ts[hi - 1]! - ts[lo]!) / 1000;
  const toZero = isCounter && result.count > 0 && first.count >= 0 ? sampled * (first.count / result.count) : Infinity;
  const factor = extrapolationFactor(ts[lo]!, ts[hi - 1]!, hi - lo, rangeStart, rangeEnd, rangeMs, isRate, toZero);
  return compact(withHint(scale(result, factor), CounterResetHint.Gauge));
}

/** irate/idelta of the last two samples when both are histograms. */
export function histogramInstantDelta(t0: number, h0: FloatHistogram, t1: number, h1: FloatHistogram, isRate: boolean, notes: HistogramNotes): FloatHistogram | undefined {
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
