/**
 * Which aggregations can read their selection batch by batch (issue 17): a folding operation
 * (sum, avg, count, ...) over an expression that maps each selected series to at most one series
 * of its own, independently of the others — the selector itself, a range function over it
 * (`rate(x[5m])`), per-sample math, an operator with a constant scalar. Each batch of series is
 * then evaluated, folded into the groups and dropped, so the memory held follows the output, not
 * the samples read: `sum(count_over_time({job="node"}[2h]))` over 75M samples holds one batch.
 */
import type { AggregateExpr, Expr, VectorSelector } from '../ast.js';
import type { LabelMatcher, Querier, SelectHints, Series, SeriesStream } from '../../model/index.js';
import { FOLDING_AGGREGATIONS } from '../aggregations/index.js';
import { isFunctionName } from '../function-signatures.js';
import { FUNCTION_IMPLS } from '../functions/index.js';
import { typeOf, unwrapParens } from './types-of.js';

/** Whether e evaluates to the same scalar whatever the data: no selector anywhere in it. */
function dataFree(e: Expr): boolean {
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
      return true;
    case 'VectorSelector':
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return false;
    case 'Call':
      return e.args.every(dataFree);
    case 'AggregateExpr':
      return dataFree(e.expr) && (e.param === null || dataFree(e.param));
    case 'BinaryExpr':
      return dataFree(e.lhs) && dataFree(e.rhs);
    case 'UnaryExpr':
    case 'ParenExpr':
      return dataFree(e.expr);
  }
}

const constantScalar = (e: Expr): boolean => typeOf(e) === 'scalar' && dataFree(e);

/** The selector whose series e maps one by one (each to at most one), or null. */
function perSeriesSource(e: Expr): VectorSelector | null {
  switch (e.kind) {
    case 'VectorSelector':
      return e;
    case 'ParenExpr':
    case 'UnaryExpr':
      return perSeriesSource(e.expr);
    case 'BinaryExpr': {
      // Set operators match series against each other; vector-vector operators too.
      if (e.op === 'and' || e.op === 'or' || e.op === 'unless') return null;
      if (constantScalar(e.rhs)) return perSeriesSource(e.lhs);
      if (constantScalar(e.lhs)) return perSeriesSource(e.rhs);
      return null;
    }
    case 'Call': {
      if (!isFunctionName(e.func)) return null;
      const impl = FUNCTION_IMPLS[e.func];
      switch (impl.kind) {
        case 'range': {
          let source: VectorSelector | null = null;
          for (const a of e.args) {
            const u = unwrapParens(a);
            if (u.kind === 'MatrixSelector') {
              if (source !== null) return null;
              source = u.vector;
            } else if (!constantScalar(a)) return null;
          }
          return source;
        }
        case 'math':
        case 'round':
        case 'clamp': {
          if (e.args.length === 0 || !e.args.slice(1).every(constantScalar)) return null;
          return perSeriesSource(e.args[0]!);
        }
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

/** The selector an aggregation can stream, or null when it must see its whole input at once. */
export function streamSource(e: AggregateExpr): VectorSelector | null {
  if (!FOLDING_AGGREGATIONS.has(e.op)) return null;
  if (e.param !== null) return null;
  return perSeriesSource(e.expr);
}

/** Every streamable aggregation of the expression, by the selector it streams. */
export function streamedSelectors(expr: Expr): Map<VectorSelector, AggregateExpr> {
  const out = new Map<VectorSelector, AggregateExpr>();
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'AggregateExpr': {
        const vs = streamSource(e);
        if (vs) {
          out.set(vs, e);
          return;
        }
        walk(e.expr);
        if (e.param) walk(e.param);
        return;
      }
      case 'MatrixSelector':
        walk(e.vector);
        return;
      case 'SubqueryExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
        walk(e.expr);
        return;
      case 'Call':
        for (const a of e.args) walk(a);
        return;
      case 'BinaryExpr':
        walk(e.lhs);
        walk(e.rhs);
        return;
      default:
        return;
    }
  };
  walk(expr);
  return out;
}

/** A stream over a querier without one of its own: the whole selection, handed out in batches. */
export async function streamOf(q: Querier, matchers: readonly LabelMatcher[], minT: number, maxT: number, hints?: SelectHints): Promise<SeriesStream> {
  if (q.stream) return q.stream(matchers, minT, maxT, hints);
  let all: Series[] | null = await q.select(matchers, minT, maxT, hints);
  let at = 0;
  return {
    matched: all.length,
    next: (maxSeries: number): Promise<Series[] | null> => {
      if (all === null || at >= all.length) return Promise.resolve(null);
      const batch = all.slice(at, at + Math.max(1, maxSeries));
      at += batch.length;
      return Promise.resolve(batch);
    },
    close: (): void => {
      all = null;
    },
  };
}
