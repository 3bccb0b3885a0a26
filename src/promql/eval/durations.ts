import type { AtModifier, Duration, Expr } from '../ast.js';
import { PromQLError } from './errors.js';

/** The query's own bounds, which `start()`, `end()`, `range()`, `step()` and `@ start()` refer to. */
export interface QueryBounds {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
}

/** Milliseconds of a duration literal or duration expression (whose numbers are seconds). */
export function durationMs(d: Duration | null, bounds: QueryBounds): number {
  if (d === null) return 0;
  if (d.kind === 'DurationLiteral') return d.ms;
  const seconds = constantSeconds(d.expr, bounds);
  if (!Number.isFinite(seconds)) throw new PromQLError('bad_data', `duration expression evaluates to a non-finite value: ${seconds}`);
  return Math.round(seconds * 1000);
}

export function atMs(at: AtModifier | null, bounds: QueryBounds): number | null {
  if (at === null) return null;
  if (at.kind === 'time') return at.ms;
  return at.kind === 'start' ? bounds.startMs : bounds.endMs;
}

function constantSeconds(e: Expr, b: QueryBounds): number {
  switch (e.kind) {
    case 'NumberLiteral':
      return e.value;
    case 'ParenExpr':
      return constantSeconds(e.expr, b);
    case 'UnaryExpr':
      return e.op === '-' ? -constantSeconds(e.expr, b) : constantSeconds(e.expr, b);
    case 'BinaryExpr': {
      const l = constantSeconds(e.lhs, b);
      const r = constantSeconds(e.rhs, b);
      switch (e.op) {
        case '+': return l + r;
        case '-': return l - r;
        case '*': return l * r;
        case '/': return l / r;
        case '%': return l % r;
        case '^': return l ** r;
        default: break;
      }
      break;
    }
    case 'Call':
      switch (e.func) {
        case 'step': return b.stepMs / 1000;
        case 'range': return (b.endMs - b.startMs) / 1000;
        case 'start': return b.startMs / 1000;
        case 'end': return b.endMs / 1000;
        case 'time': return b.startMs / 1000;
        case 'min_of': return Math.min(constantSeconds(e.args[0]!, b), constantSeconds(e.args[1]!, b));
        case 'max_of': return Math.max(constantSeconds(e.args[0]!, b), constantSeconds(e.args[1]!, b));
        default: break;
      }
      break;
    default:
      break;
  }
  throw new PromQLError('bad_data', `unsupported expression in a duration: ${e.kind}`);
}
