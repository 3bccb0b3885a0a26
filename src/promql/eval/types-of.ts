import type { Expr } from '../ast.js';

// The static type rules live in the parser (which also type-checks); the evaluator reuses them.
export { exprType as typeOf, documentedType } from '../parser.js';

export function unwrapParens(e: Expr): Expr {
  while (e.kind === 'ParenExpr') e = e.expr;
  return e;
}
