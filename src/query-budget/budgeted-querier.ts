/** A querier that charges a query's budget for the series (label sets, arrays) each selection returns. */
import type { LabelMatcher, Querier, SelectHints, Series, SeriesStream } from '../model/index.js';
import type { QueryMemoryBudget } from './budget.js';

/** A selected series beyond its samples: the label objects and array headers (measured ~700 B). */
const BYTES_PER_SERIES = 700;

export function budgetedQuerier<Q extends Querier>(q: Q, budget: QueryMemoryBudget): Q {
  const select = async (matchers: readonly LabelMatcher[], minT: number, maxT: number, hints?: SelectHints): Promise<Series[]> => {
    const series = await q.select(matchers, minT, maxT, hints);
    budget.charge(series.length * BYTES_PER_SERIES);
    return series;
  };
  if (!q.stream) return { ...q, select };
  const open = q.stream.bind(q);
  // A stream holds every selected series' labels for its whole life; its samples come in batches
  // whose arenas charge (and refund) the budget themselves.
  const stream = async (matchers: readonly LabelMatcher[], minT: number, maxT: number, hints?: SelectHints): Promise<SeriesStream> => {
    const s = await open(matchers, minT, maxT, hints);
    try {
      budget.charge(s.matched * BYTES_PER_SERIES);
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  };
  return { ...q, select, stream };
}
