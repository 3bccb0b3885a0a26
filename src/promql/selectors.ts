/** The vector selectors of an expression (Prometheus's parser.ExtractSelectors), as matcher lists. */
import type { LabelMatcher } from '../model/index.js';
import type { Expr } from './ast.js';

export function extractSelectors(expr: Expr): LabelMatcher[][] {
  const out: LabelMatcher[][] = [];
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'VectorSelector':
        out.push([...e.matchers]);
        return;
      case 'MatrixSelector':
        walk(e.vector);
        return;
      case 'SubqueryExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
        walk(e.expr);
        return;
      case 'AggregateExpr':
        if (e.param) walk(e.param);
        walk(e.expr);
        return;
      case 'BinaryExpr':
        walk(e.lhs);
        walk(e.rhs);
        return;
      case 'Call':
        for (const a of e.args) walk(a);
        return;
      case 'NumberLiteral':
      case 'StringLiteral':
        return;
    }
  };
  walk(expr);
  return out;
}
