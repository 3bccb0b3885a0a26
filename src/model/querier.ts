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
 * A selection read batch by batch, in the order `select` would return it: aggregations over many
 * series fold each batch into their result and drop it, so a query's memory follows its output
 * rather than every sample it reads.
 */
export interface SeriesStream {
  /** Series the matchers selected; some may turn out to have no samples in the range. */
  readonly matched: number;
  /**
   * The next series (at most `maxSeries` of them, only those with samples), or null at the end.
   * The arrays of a batch are reused once the next one is asked for: consume a batch first.
   */
  next(maxSeries: number): Promise<Series[] | null>;
  /** Frees what the stream holds; call it whether or not the stream was read to its end. */
  close(): void;
}

/**
 * The only face of stored data that PromQL sees (bound to one tenant). `select` returns every
 * series matching all matchers that has samples in [minT, maxT] (inclusive, ms), sorted by labels.
 * `stream`, when a querier has it, returns the same series batch by batch.
 */
export interface Querier {
  select(matchers: readonly LabelMatcher[], minT: number, maxT: number, hints?: SelectHints): Promise<Series[]>;
  stream?(matchers: readonly LabelMatcher[], minT: number, maxT: number, hints?: SelectHints): Promise<SeriesStream>;
}

/** What the caller will read of a selection; a querier may use it to read less, never to return other series. */
export interface SelectHints {
  /**
   * Only the newest sample of each series in [minT, maxT] is read (an instant vector selector at
   * one step): the querier may return fewer of the others.
   */
  readonly lastOnly?: boolean;
}
