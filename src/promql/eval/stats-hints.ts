import type { Series } from '../../model/index.js';
import type { RangeSeries } from './types.js';
import { CounterResetHint, type FloatHistogram } from '../../model/index.js';
import { detectReset } from '../histogram/index.js';

/**
 * Series as Prometheus's HistogramStatsIterator reads them, which it does for selectors under
 * `histogram_count/_sum/_avg`: a histogram of unknown counter-reset state is compared with its
 * predecessor and marked `Reset` or `NotReset`. Aggregations above then see (and warn about)
 * conflicting resets exactly as Prometheus does.
 */
export function withDetectedResets(series: readonly Series[]): Series[] {
  return series.map((s) => {
    const hs = s.histograms;
    if (!hs || hs.histograms.length < 2) return s;
    let changed = false;
    const out: FloatHistogram[] = [hs.histograms[0]!];
    for (let i = 1; i < hs.histograms.length; i++) {
      const h = hs.histograms[i]!;
      if (h.counterResetHint !== CounterResetHint.Unknown) {
        out.push(h);
        continue;
      }
      changed = true;
      out.push({ ...h, counterResetHint: detectReset(h, hs.histograms[i - 1]!) ? CounterResetHint.Reset : CounterResetHint.NotReset });
    }
    return changed ? { ...s, histograms: { timestamps: hs.timestamps, histograms: out } } : s;
  });
}

/**
 * A subquery's histograms with their reset hints cleared (gauges excepted): its steps repeat
 * and skip samples, so a stored hint no longer says anything about the step before; resets are
 * then detected from the values, as Prometheus does for subqueries.
 */
export function withUnknownResets(series: RangeSeries[]): RangeSeries[] {
  for (const s of series) {
    const hs = s.histograms;
    if (!hs) continue;
    s.histograms = {
      timestamps: hs.timestamps,
      histograms: hs.histograms.map((h) =>
        h.counterResetHint === CounterResetHint.Reset || h.counterResetHint === CounterResetHint.NotReset
          ? { ...h, counterResetHint: CounterResetHint.Unknown }
          : h,
      ),
    };
  }
  return series;
}
