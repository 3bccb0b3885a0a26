/**
 * Whether a range query's value at a step depends only on the step's time and the data at or
 * before it. Then a step computed once stays right until data at or before it changes, which the
 * cache hears about. `@` pins steps to the query's start or end, a duration expression can read
 * the query's range, and a negative offset or a `smoothed`/`anchored` range reads data after the step: each makes a step's value
 * depend on more than itself, so such queries are not cached.
 */
import type { Duration, Expr } from '../promql/index.js';

function plainDuration(d: Duration | null, offset: boolean): boolean {
  if (d === null) return true;
  if (d.kind !== 'DurationLiteral') return false;
  return !offset || d.ms >= 0;
}

export function isCacheable(e: Expr): boolean {
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
      return true;
    case 'VectorSelector':
      // `smoothed` reads a lookback past the step.
      return e.at === null && plainDuration(e.offset, true) && e.modifier === undefined;
    case 'MatrixSelector':
      return e.modifier === undefined && plainDuration(e.range, false) && isCacheable(e.vector);
    case 'SubqueryExpr':
      return e.at === null && plainDuration(e.offset, true) && plainDuration(e.range, false) && plainDuration(e.step, false) && isCacheable(e.expr);
    case 'Call':
      return e.args.every(isCacheable);
    case 'AggregateExpr':
      return isCacheable(e.expr) && (e.param === null || isCacheable(e.param));
    case 'BinaryExpr':
      return isCacheable(e.lhs) && isCacheable(e.rhs);
    case 'UnaryExpr':
    case 'ParenExpr':
      return isCacheable(e.expr);
  }
}
