import { kahanInc } from './kahan.js';
import { quantile } from './quantile.js';
import type { Window } from './window.js';

const pair = new Float64Array(2);
let scratch = new Float64Array(64);

/** A copy of the window's values in a reused buffer (quantiles sort in place). */
function valuesCopy(w: Window): Float64Array {
  const n = w.hi - w.lo;
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  const out = scratch.subarray(0, n);
  out.set(w.vs.subarray(w.lo, w.hi));
  return out;
}

export function sumOverTime(w: Window): number | undefined {
  if (w.hi <= w.lo) return undefined;
  const vs = w.vs;
  let sum = 0;
  let c = 0;
  // Neumaier summation inlined (see kahanInc): this loop is the hottest in range queries.
  for (let i = w.lo; i < w.hi; i++) {
    const f = vs[i]!;
    const t = sum + f;
    if (t === Infinity || t === -Infinity) c = 0;
    else if (Math.abs(sum) >= Math.abs(f)) c += sum - t + f;
    else c += f - t + sum;
    sum = t;
  }
  if (sum === Infinity || sum === -Infinity) return sum;
  return sum + c;
}

/** Mean with compensated summation, switching to an incremental mean if the sum overflows. */
export function avgOverTime(w: Window): number | undefined {
  if (w.hi <= w.lo) return undefined;
  const vs = w.vs;
  let sum = vs[w.lo]!;
  let count = 1;
  let c = 0;
  let i = w.lo + 1;
  for (; i < w.hi; i++) {
    const f = vs[i]!;
    const t = sum + f;
    if (t === Infinity || t === -Infinity) break; // overflow: continue with an incremental mean
    if (Math.abs(sum) >= Math.abs(f)) c += sum - t + f;
    else c += f - t + sum;
    sum = t;
    count++;
  }
  if (i === w.hi) return sum / count + c / count;
  let mean = sum / count;
  c /= count;
  for (; i < w.hi; i++) {
    count++;
    const q = (count - 1) / count;
    kahanInc(vs[i]! / count, q * mean, q * c, pair);
    mean = pair[0]!;
    c = pair[1]!;
  }
  return mean + c;
}

export function countOverTime(w: Window): number | undefined {
  return w.hi > w.lo ? w.hi - w.lo : undefined;
}

export function presentOverTime(w: Window): number | undefined {
  return w.hi > w.lo ? 1 : undefined;
}

export function lastOverTime(w: Window): number | undefined {
  return w.hi > w.lo ? w.vs[w.hi - 1] : undefined;
}

export function firstOverTime(w: Window): number | undefined {
  return w.hi > w.lo ? w.vs[w.lo] : undefined;
}

export function tsOfLastOverTime(w: Window): number | undefined {
  return w.hi > w.lo ? w.ts[w.hi - 1]! / 1000 : undefined;
}

export function tsOfFirstOverTime(w: Window): number | undefined {
  return w.hi > w.lo ? w.ts[w.lo]! / 1000 : undefined;
}

/** max/min and their timestamps; a NaN is replaced by any later value, as in Prometheus. */
function compareOverTime(w: Window, max: boolean, orEqual: boolean, returnTs: boolean): number | undefined {
  if (w.hi <= w.lo) return undefined;
  let best = w.vs[w.lo]!;
  let bestT = w.ts[w.lo]!;
  for (let i = w.lo; i < w.hi; i++) {
    const f = w.vs[i]!;
    const better = max ? (orEqual ? f >= best : f > best) : orEqual ? f <= best : f < best;
    if (better || Number.isNaN(best)) {
      best = f;
      bestT = w.ts[i]!;
    }
  }
  return returnTs ? bestT / 1000 : best;
}

export const maxOverTime = (w: Window): number | undefined => compareOverTime(w, true, false, false);
export const minOverTime = (w: Window): number | undefined => compareOverTime(w, false, false, false);
export const tsOfMaxOverTime = (w: Window): number | undefined => compareOverTime(w, true, true, true);
export const tsOfMinOverTime = (w: Window): number | undefined => compareOverTime(w, false, true, true);

/** Welford's variance with compensated sums, as Prometheus's `varianceOverTime`. */
function varianceOverTime(w: Window): number | undefined {
  if (w.hi <= w.lo) return undefined;
  const vs = w.vs;
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const f = vs[i]!;
    count++;
    const d = f - (mean + cMean);
    // two Neumaier steps inlined (see kahanInc)
    const inc1 = d / count;
    const t1 = mean + inc1;
    if (t1 === Infinity || t1 === -Infinity) cMean = 0;
    else if (Math.abs(mean) >= Math.abs(inc1)) cMean += mean - t1 + inc1;
    else cMean += inc1 - t1 + mean;
    mean = t1;
    const inc2 = d * (f - (mean + cMean));
    const t2 = aux + inc2;
    if (t2 === Infinity || t2 === -Infinity) cAux = 0;
    else if (Math.abs(aux) >= Math.abs(inc2)) cAux += aux - t2 + inc2;
    else cAux += inc2 - t2 + aux;
    aux = t2;
  }
  return (aux + cAux) / count;
}

export const stdvarOverTime = varianceOverTime;
export function stddevOverTime(w: Window): number | undefined {
  const v = varianceOverTime(w);
  return v === undefined ? undefined : Math.sqrt(v);
}

export function quantileOverTime(w: Window): number | undefined {
  if (w.hi <= w.lo) return undefined;
  return quantile(w.p0, valuesCopy(w));
}

export function madOverTime(w: Window): number | undefined {
  if (w.hi <= w.lo) return undefined;
  const values = valuesCopy(w);
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!)) return NaN;
  const median = quantile(0.5, values);
  for (let i = 0; i < values.length; i++) values[i] = Math.abs(values[i]! - median);
  return quantile(0.5, values);
}

/**
 * With `anchored`, the last sample at or before the range start is the baseline; undefined when
 * no sample lies after the range start. Otherwise the window's first sample.
 */
function firstIndex(w: Window): number | undefined {
  if (w.mod !== 1) return w.lo;
  let i = w.lo;
  while (i < w.hi && w.ts[i]! <= w.rangeStart) i++;
  if (i >= w.hi) return undefined;
  return i > w.lo ? i - 1 : w.lo;
}

export function changes(w: Window): number | undefined {
  if (w.hi <= w.lo) return undefined;
  const first = firstIndex(w);
  if (first === undefined) return undefined;
  let n = 0;
  for (let i = first + 1; i < w.hi; i++) {
    const cur = w.vs[i]!;
    const prev = w.vs[i - 1]!;
    if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) n++;
  }
  return n;
}

export function resets(w: Window): number | undefined {
  if (w.hi <= w.lo) return undefined;
  const first = firstIndex(w);
  if (first === undefined) return undefined;
  let n = 0;
  for (let i = first + 1; i < w.hi; i++) if (w.vs[i]! < w.vs[i - 1]!) n++;
  return n;
}

/** Least-squares slope and intercept at `interceptTime` (ms), x measured in seconds. */
export function linearRegression(w: Window, interceptTime: number, out: Float64Array): void {
  let n = 0;
  let sumX = 0,
    cX = 0,
    sumY = 0,
    cY = 0,
    sumXY = 0,
    cXY = 0,
    sumX2 = 0,
    cX2 = 0;
  const initY = w.vs[w.lo]!;
  let constY = true;
  for (let i = w.lo; i < w.hi; i++) {
    const y = w.vs[i]!;
    if (constY && i > w.lo && y !== initY) constY = false;
    n += 1;
    const x = (w.ts[i]! - interceptTime) / 1e3;
    kahanInc(x, sumX, cX, pair);
    sumX = pair[0]!;
    cX = pair[1]!;
    kahanInc(y, sumY, cY, pair);
    sumY = pair[0]!;
    cY = pair[1]!;
    kahanInc(x * y, sumXY, cXY, pair);
    sumXY = pair[0]!;
    cXY = pair[1]!;
    kahanInc(x * x, sumX2, cX2, pair);
    sumX2 = pair[0]!;
    cX2 = pair[1]!;
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) {
      out[0] = NaN;
      out[1] = NaN;
    } else {
      out[0] = 0;
      out[1] = initY;
    }
    return;
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  out[0] = slope;
  out[1] = sumY / n - (slope * sumX) / n;
}

const reg = new Float64Array(2);

export function deriv(w: Window): number | undefined {
  if (w.hi - w.lo < 2) return undefined;
  linearRegression(w, w.ts[w.lo]!, reg);
  return reg[0];
}

export function predictLinear(w: Window): number | undefined {
  if (w.hi - w.lo < 2) return undefined;
  linearRegression(w, w.evalT, reg);
  return reg[0]! * w.p0 + reg[1]!;
}

/** Holt's double exponential smoothing with smoothing factor p0 and trend factor p1. */
export function doubleExponentialSmoothing(w: Window): number | undefined {
  const n = w.hi - w.lo;
  if (n < 2) return undefined;
  const sf = w.p0;
  const tf = w.p1;
  let s0 = 0;
  let s1 = w.vs[w.lo]!;
  let b = w.vs[w.lo + 1]! - w.vs[w.lo]!;
  for (let i = 1; i < n; i++) {
    const x = sf * w.vs[w.lo + i]!;
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}
