import type { Labels } from './labels.js';
import type { LabelMatcher } from './matcher.js';
import type { HistogramSamples } from './histogram.js';

/** One series' samples in a time range, sorted by timestamp (ms), staleness markers included. */
export interface Series {
  readonly labels: Labels;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /**
   * Native-histogram samples of the same series, when it has any. Their timestamps never
   * coincide with a float sample's: a series may switch between the two kinds over time.
   */
  readonly histograms?: HistogramSamples;
}

/**
 * The only face of stored data that PromQL sees (bound to one tenant). `select` returns every
 * series matching all matchers that has samples in [minT, maxT] (inclusive, ms), sorted by labels.
 */
export interface Querier {
  select(matchers: readonly LabelMatcher[], minT: number, maxT: number): Promise<Series[]>;
}
