import * as ot from './over-time.js';
import * as rate from './rate.js';
import type { RangeKernel } from './window.js';

/** Functions over a range vector, by name; each maps one window of one series to a value. */
export const RANGE_FUNCTIONS: ReadonlyMap<string, RangeKernel> = new Map<string, RangeKernel>([
  ['rate', rate.rate],
  ['increase', rate.increase],
  ['delta', rate.delta],
  ['irate', rate.irate],
  ['idelta', rate.idelta],
  ['avg_over_time', ot.avgOverTime],
  ['sum_over_time', ot.sumOverTime],
  ['count_over_time', ot.countOverTime],
  ['min_over_time', ot.minOverTime],
  ['max_over_time', ot.maxOverTime],
  ['last_over_time', ot.lastOverTime],
  ['first_over_time', ot.firstOverTime],
  ['present_over_time', ot.presentOverTime],
  ['stddev_over_time', ot.stddevOverTime],
  ['stdvar_over_time', ot.stdvarOverTime],
  ['quantile_over_time', ot.quantileOverTime],
  ['mad_over_time', ot.madOverTime],
  ['ts_of_first_over_time', ot.tsOfFirstOverTime],
  ['ts_of_last_over_time', ot.tsOfLastOverTime],
  ['ts_of_min_over_time', ot.tsOfMinOverTime],
  ['ts_of_max_over_time', ot.tsOfMaxOverTime],
  ['changes', ot.changes],
  ['resets', ot.resets],
  ['deriv', ot.deriv],
  ['predict_linear', ot.predictLinear],
  ['double_exponential_smoothing', ot.doubleExponentialSmoothing],
]);

export { SIMPLE_MATH, roundTo, clampValue, goPow } from './math.js';
export { DATE_FUNCTIONS } from './time.js';
export { bucketQuantile, bucketFraction, almostEqual, type Bucket, type BucketQuantileResult } from './histogram-quantile.js';
export { compileAnchored, expandTemplate, isValidLabelName, naturalLess } from './labels.js';
export { quantile, sortNaNFirst } from './quantile.js';
export { kahanInc } from './kahan.js';
export { newWindow, type Window, type RangeKernel } from './window.js';
export * as overTime from './over-time.js';
export * as rateFunctions from './rate.js';
export { extrapolatedRateSteps } from './rate.js';
