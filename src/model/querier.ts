import type { Labels } from './labels.js';
import type { LabelMatcher } from './matcher.js';

/** One series' samples in a time range, sorted by timestamp (ms), staleness markers included. */
export interface Series {
  readonly labels: Labels;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/**
 * The only face of stored data that PromQL sees (bound to one tenant). `select` returns every
 * series matching all matchers that has samples in [minT, maxT] (inclusive, ms), sorted by labels.
 */
export interface Querier {
  select(matchers: readonly LabelMatcher[], minT: number, maxT: number): Promise<Series[]>;
}
