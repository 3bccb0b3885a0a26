import type { Expr, ValueType } from '../ast.js';

const SCALAR_FUNCTIONS = new Set(['time', 'scalar', 'pi', 'start', 'end', 'range', 'step', 'min_of', 'max_of']);

/** The static PromQL type of an expression, as Prometheus's `Expr.Type()`. */
export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'AggregateExpr':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'Call':
      return SCALAR_FUNCTIONS.has(e.func) ? 'scalar' : 'vector';
    case 'BinaryExpr':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'UnaryExpr':
    case 'ParenExpr':
      return typeOf(e.expr);
  }
}

export function unwrapParens(e: Expr): Expr {
  while (e.kind === 'ParenExpr') e = e.expr;
  return e;
}

/** Prometheus's documented type names, used in error messages. */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}
