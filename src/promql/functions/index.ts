

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
export { FUNCTION_IMPLS, ANCHORED_FUNCTIONS, SMOOTHED_FUNCTIONS, type FunctionImpl, type RangeImpl, type HistogramRangeRule } from './table.js';
