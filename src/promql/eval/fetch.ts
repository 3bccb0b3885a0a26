import type { Expr } from '../ast.js';
import type { LabelMatcher, Querier, SelectHints, Series } from '../../model/index.js';
import { infoFetchMatchers, infoTimestampAndOffset } from './info.js';
import { atMs, durationMs, type QueryBounds } from '../duration.js';
import { subqueryBounds } from './steps.js';
import { isFunctionName } from '../function-signatures.js';
import { FUNCTION_IMPLS } from '../functions/index.js';

interface TimeSpan {
  matchers: readonly LabelMatcher[];
  minT: number;
  maxT: number;
  /** Evaluated at one instant only (no range, subquery or smoothing): its newest sample is enough. */
  lastOnly: boolean;
}

/** Fetched series by the node that needs them: a vector selector, or an `info()` call. */
export type FetchedData = ReadonlyMap<Expr, Series[]>;

/**
 * Walks the expression and computes, for every vector selector, the widest time span any of its
 * evaluations needs (honouring offset, @, range and enclosing subqueries), so each is fetched once.
 */
export function planSelectors(expr: Expr, bounds: QueryBounds, lookbackMs: number, defaultSubqueryStepMs: number): Map<Expr, TimeSpan> {
  const plan = new Map<Expr, TimeSpan>();
  const note = (node: Expr, matchers: readonly LabelMatcher[], minT: number, maxT: number, lastOnly = false): void => {
    const cur = plan.get(node);
    if (cur) {
      cur.minT = Math.min(cur.minT, minT);
      cur.maxT = Math.max(cur.maxT, maxT);
      cur.lastOnly = false;
    } else plan.set(node, { matchers, minT, maxT, lastOnly });
  };
  const walk = (e: Expr, start: number, end: number, interval: number, inSubquery = false): void => {
    switch (e.kind) {
      case 'VectorSelector': {
        const at = atMs(e.at, bounds);
        const off = durationMs(e.offset, bounds, true);
        // One evaluation time: an instant query's selector (or one pinned by @) outside subqueries.
        const once = !inSubquery && e.modifier === undefined && (at !== null || start === end);
        note(e, e.matchers, (at ?? start) - off - lookbackMs, (at ?? end) - off + (e.modifier === 'smoothed' ? lookbackMs : 0), once);
        return;
      }
      case 'MatrixSelector': {
        const vs = e.vector;
        const at = atMs(vs.at, bounds);
        const off = durationMs(vs.offset, bounds, true);
        const range = durationMs(e.range, bounds);
        const extra = e.modifier ? 2 * lookbackMs : 0;
        note(vs, vs.matchers, (at ?? start) - off - range - extra, (at ?? end) - off + extra);
        return;
      }
      case 'SubqueryExpr': {
        const at = atMs(e.at, bounds);
        const off = durationMs(e.offset, bounds, true);
        const range = durationMs(e.range, bounds);
        const step = e.step ? durationMs(e.step, bounds) : defaultSubqueryStepMs;
        if (step <= 0) return;
        const r = subqueryBounds(at ?? start, at ?? end, at === null ? interval : 0, off, range, step);
        walk(e.expr, r.start, r.end, step, true);
        return;
      }
      case 'Call':
        if (isFunctionName(e.func) && FUNCTION_IMPLS[e.func].kind === 'info') {
          walk(e.args[0]!, start, end, interval, inSubquery);
          const { at, offset } = infoTimestampAndOffset(e.args[0]!, bounds);
          note(e, infoFetchMatchers(e), (at ?? start) - lookbackMs - offset, (at ?? end) - offset);
          return;
        }
        for (const a of e.args) walk(a, start, end, interval, inSubquery);
        return;
      case 'AggregateExpr':
        walk(e.expr, start, end, interval, inSubquery);
        if (e.param) walk(e.param, start, end, interval, inSubquery);
        return;
      case 'BinaryExpr':
        walk(e.lhs, start, end, interval, inSubquery);
        walk(e.rhs, start, end, interval, inSubquery);
        return;
      case 'UnaryExpr':
      case 'ParenExpr':
        walk(e.expr, start, end, interval, inSubquery);
        return;
      default:
        return;
    }
  };
  walk(expr, bounds.startMs, bounds.endMs, bounds.stepMs);
  return plan;
}

const LAST_ONLY: SelectHints = { lastOnly: true };

/** Fetches every planned selector's series concurrently. */
export async function fetchSelectors(q: Querier, plan: Map<Expr, TimeSpan>): Promise<Map<Expr, Series[]>> {
  const entries = [...plan.entries()];
  const results = await Promise.all(entries.map(([, span]) => q.select(span.matchers, span.minT, span.maxT, span.lastOnly ? LAST_ONLY : undefined)));
  const out = new Map<Expr, Series[]>();
  entries.forEach(([vs], i) => out.set(vs, results[i]!));
  return out;
}
