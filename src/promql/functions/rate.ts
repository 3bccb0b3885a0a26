import type { Window } from './window.js';

/**
 * The extrapolation factor of rate/increase/delta (Prometheus's `extrapolatedRate`): how much the
 * change between the first and last sample is stretched to cover the window: all the way to an
 * edge when the first/last sample is within 110% of the average sample interval of it, else half
 * an interval; and, for counters, never past `durationToZero` seconds before the first sample
 * (where the counter would reach zero; Infinity for no limit). The one implementation for
 * floats and histograms, instant and range evaluation.
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

/** Seconds before the first sample at which a counter growing by `result` would have been zero. */
export function counterZeroLimit(isCounter: boolean, result: number, firstV: number, firstT: number, lastT: number): number {
  if (!isCounter || !(result > 0) || !(firstV >= 0)) return Infinity;
  return ((lastT - firstT) / 1000) * (firstV / result);
}

/**
 * `rate`, `increase` and `delta`: the change over the window, extrapolated towards the window
 * edges the way Prometheus does (all the way when the first/last sample is within 110% of the
 * average sample interval of the edge, else half an interval; counters never below zero).
 */
export function extrapolatedRate(w: Window, isCounter: boolean, isRate: boolean): number | undefined {
  if (w.mod !== 0) return extendedRate(w, isCounter, isRate);
  const { ts, vs, lo, hi } = w;
  const n = hi - lo;
  if (n < 2) return undefined;
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  let result = vs[hi - 1]! - vs[lo]!;
  if (isCounter && !w.monotonic) {
    for (let i = lo + 1; i < hi; i++) {
      const prev = vs[i - 1]!;
      if (vs[i]! < prev) result += prev;
    }
  }
  const factor = extrapolationFactor(
    firstT,
    lastT,
    n,
    w.rangeStart,
    w.rangeEnd,
    w.rangeMs,
    isRate,
    counterZeroLimit(isCounter, result, vs[lo]!, firstT, lastT),
  );
  return result * factor;
}

/**
 * rate/increase/delta of one series at every step, without range modifiers: the windows
 * `(ends[i] - rangeMs, ends[i]]` slide along the samples and each value is extrapolatedRate's,
 * computed in one loop without a Window or a kernel call per step (range queries evaluate this
 * for thousands of series × hundreds of steps). Writes values/present; returns whether any step
 * had a value.
 */
export function extrapolatedRateSteps(
  ts: Float64Array,
  vs: Float64Array,
  ends: Float64Array,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
  monotonic: boolean,
  values: Float64Array,
  present: Uint8Array,
): boolean {
  const len = ts.length;
  const n = ends.length;
  let any = false;
  let lo = 0;
  let hi = 0;
  let prevEnd = -Infinity;
  for (let i = 0; i < n; i++) {
    const end = ends[i]!;
    const start = end - rangeMs;
    if (end < prevEnd) {
      lo = 0;
      hi = 0;
    }
    prevEnd = end;
    while (hi < len && ts[hi]! <= end) hi++;
    while (lo < hi && ts[lo]! <= start) lo++;
    const count = hi - lo;
    if (count < 2) continue;
    const firstT = ts[lo]!;
    const lastT = ts[hi - 1]!;
    const firstV = vs[lo]!;
    let result = vs[hi - 1]! - firstV;
    if (isCounter && !monotonic) {
      for (let j = lo + 1; j < hi; j++) {
        const prev = vs[j - 1]!;
        if (vs[j]! < prev) result += prev;
      }
    }
    const factor = extrapolationFactor(firstT, lastT, count, start, end, rangeMs, isRate, counterZeroLimit(isCounter, result, firstV, firstT, lastT));
    values[i] = result * factor;
    present[i] = 1;
    any = true;
  }
  return any;
}

/** First index in [lo, hi) whose timestamp satisfies the predicate, else hi (Go's sort.Search). */
function search(ts: Float64Array, lo: number, hi: number, pred: (t: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(ts[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function interpolate(t1: number, y1: number, t2: number, y2: number, t: number, isCounter: boolean): number {
  if (isCounter && y2 < y1) y1 = 0;
  return y1 + ((y2 - y1) * (t - t1)) / (t2 - t1);
}

/**
 * rate/increase/delta over an `anchored` or `smoothed` range: the value at each edge is the
 * sample at or before it (anchored) or interpolated between its neighbours (smoothed); no
 * extrapolation.
 */
function extendedRate(w: Window, isCounter: boolean, isRate: boolean): number | undefined {
  const { ts, vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  const smoothed = w.mod === 2;
  const rangeStart = w.rangeStart;
  const rangeEnd = w.rangeEnd;
  let last = hi - 1;
  let first = Math.max(lo, search(ts, lo, last, (t) => t > rangeStart) - 1);
  if (smoothed) last = search(ts, lo, last, (t) => t >= rangeEnd);
  if (ts[last]! <= rangeStart) return undefined;
  if (smoothed && ts[first]! > rangeEnd) return undefined;
  const left = smoothed && ts[first]! < rangeStart ? interpolate(ts[first]!, vs[first]!, ts[first + 1]!, vs[first + 1]!, rangeStart, isCounter) : vs[first]!;
  const right =
    smoothed && last > lo && ts[last]! > rangeEnd ? interpolate(ts[last - 1]!, vs[last - 1]!, ts[last]!, vs[last]!, rangeEnd, isCounter) : vs[last]!;
  let result = right - left;
  if (isCounter) {
    if (ts[first]! <= rangeStart) first++;
    if (ts[last]! >= rangeEnd) last--;
    let prev = left;
    for (let i = first; i <= last; i++) {
      if (vs[i]! < prev) result += prev;
      prev = vs[i]!;
    }
    if (right < prev) result += prev;
  }
  if (isRate) result /= w.rangeMs / 1000;
  return result;
}

/** `irate` and `idelta`: from the last two samples of the window only. */
export function instantValue(w: Window, isRate: boolean): number | undefined {
  const { ts, vs, hi } = w;
  if (hi - w.lo < 2) return undefined;
  const t1 = ts[hi - 1]!;
  const t0 = ts[hi - 2]!;
  const v1 = vs[hi - 1]!;
  const v0 = vs[hi - 2]!;
  const sampledInterval = t1 - t0;
  if (sampledInterval === 0) return undefined;
  let result = v1;
  // A counter reset: the last value is the increase since the reset.
  if (!isRate || !(v1 < v0)) result = v1 - v0;
  if (isRate) result /= sampledInterval / 1000;
  return result;
}

export const rate = (w: Window): number | undefined => extrapolatedRate(w, true, true);
export const increase = (w: Window): number | undefined => extrapolatedRate(w, true, false);
export const delta = (w: Window): number | undefined => extrapolatedRate(w, false, false);
export const irate = (w: Window): number | undefined => instantValue(w, true);
export const idelta = (w: Window): number | undefined => instantValue(w, false);
