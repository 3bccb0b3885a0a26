/**
 * What a range-vector function sees at one step: samples `[lo, hi)` of one series (staleness
 * markers already removed) inside the window `(rangeStart, rangeEnd]`. One object is reused for
 * every step and series so the hot loop allocates nothing.
 */
export interface Window {
  ts: Float64Array;
  vs: Float64Array;
  lo: number;
  hi: number;
  rangeStart: number;
  rangeEnd: number;
  rangeMs: number;
  /** The evaluation time of the step (before offset/@), which `predict_linear` extrapolates from. */
  evalT: number;
  /**
   * Range-selector modifier: 0 none, 1 `anchored`, 2 `smoothed`. With a modifier the samples
   * `[lo, hi)` also cover one lookback before the range (and, smoothed, after it).
   */
  mod: 0 | 1 | 2;
  /**
   * True when no value of the whole series is below its predecessor: counter functions then skip
   * their per-window reset scan. False is always safe.
   */
  monotonic: boolean;
  /** Scalar arguments of the call at this step (quantile, prediction duration, smoothing factors). */
  p0: number;
  p1: number;
}

/** A range-vector kernel: the function's value for one window, or undefined for "no sample". */
export type RangeKernel = (w: Window) => number | undefined;

export function newWindow(): Window {
  return {
    ts: new Float64Array(0),
    vs: new Float64Array(0),
    lo: 0,
    hi: 0,
    rangeStart: 0,
    rangeEnd: 0,
    rangeMs: 0,
    evalT: 0,
    mod: 0,
    monotonic: false,
    p0: 0,
    p1: 0,
  };
}
