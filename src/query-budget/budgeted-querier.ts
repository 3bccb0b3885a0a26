/** A querier that charges a query's budget for the series (label sets, arrays) each selection returns. */
import type { LabelMatcher, Querier, Series } from '../model/index.js';
import type { QueryMemoryBudget } from './budget.js';

/** A selected series beyond its samples: the label objects and array headers (measured ~700 B). */
const BYTES_PER_SERIES = 700;

export function budgetedQuerier<Q extends Querier>(q: Q, budget: QueryMemoryBudget): Q {
  const select = async (matchers: readonly LabelMatcher[], minT: number, maxT: number): Promise<Series[]> => {
    const series = await q.select(matchers, minT, maxT);
    budget.charge(series.length * BYTES_PER_SERIES);
    return series;
  };
  return { ...q, select };
}
