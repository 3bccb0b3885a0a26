/**
 * Prometheus duration strings (`1h30m`, `500ms`, `2w`), as in prometheus/common `model.ParseDuration`
 * and `model.Duration.String`. Values are integer milliseconds.
 */
import type { AtModifier, Duration, Expr } from './ast.js';

/** A duration string that Prometheus would reject. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
}

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/**
 * Parses `[Ny][Nw][Nd][Nh][Nm][Ns][Nms]` (units largest first, each at most once, integers only),
 * or the bare string `0`. Returns milliseconds.
 */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  if (text === '') throw new DurationError('empty duration string');
  const invalid = (): DurationError => new DurationError(`not a valid duration string: ${JSON.stringify(text)}`);
  let rest = text;
  let total = 0;
  let lastUnit = -1;
  while (rest !== '') {
    // As prometheus/common: digits, then everything up to the next digit is the unit.
    const digits = /^[0-9]+/.exec(rest);
    if (!digits) throw invalid();
    rest = rest.slice(digits[0].length);
    const unitText = /^[^0-9]*/.exec(rest)![0];
    if (unitText === '') throw invalid();
    rest = rest.slice(unitText.length);
    const unitIndex = UNITS.findIndex(([u]) => u === unitText);
    if (unitIndex < 0) throw new DurationError(`unknown unit ${JSON.stringify(unitText)} in duration ${JSON.stringify(text)}`);
    // Units must appear from largest to smallest, each once.
    if (unitIndex <= lastUnit) throw invalid();
    lastUnit = unitIndex;
    total += Number(digits[0]) * UNITS[unitIndex]![1];
    // Go's time.Duration is int64 nanoseconds.
    if (total * 1e6 > 2 ** 63) throw new DurationError('duration out of range');
  }
  return total;
}

/** Renders milliseconds as Prometheus does (`1h30m`, `90d`, `0s`); negative values get a `-`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return '-' + formatDuration(-ms);
  let rest = Math.trunc(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, mult] of UNITS) {
    // Years and weeks only when they divide exactly: `90d` reads better than `12w6d`.
    if ((unit === 'y' || unit === 'w') && rest % mult !== 0) continue;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return out;
}

/** What `step()` and `range()` mean while resolving a duration expression (both in ms). */
export interface DurationContext {
  /** The query's step; 0 for instant queries. */
  readonly stepMs: number;
  /** end − start of the query; 0 for instant queries. */
  readonly rangeMs: number;
}

/**
 * Resolves a selector range, subquery step or offset to milliseconds, evaluating duration
 * expressions (`[5m+step()]`, `offset min_of(range(), 1h)`) as Prometheus does before a query
 * runs: arithmetic in seconds, then truncated to whole milliseconds. Ranges and steps must come
 * out positive (`allowNegative` is for offsets). Throws DurationError.
 */
export function resolveDuration(d: Duration, ctx: DurationContext, allowNegative = false): number {
  if (d.kind === 'DurationLiteral') return d.ms;
  const seconds = evalSeconds(d.expr, ctx);
  const { start, end } = d.expr.pos;
  if (!Number.isFinite(seconds)) throw new DurationError(`${start}:${end}: duration is NaN or infinite`);
  if (seconds <= 0 && !allowNegative) throw new DurationError(`${start}:${end}: duration must be greater than 0`);
  if (Math.abs(seconds) > 2 ** 63 / 1e9) throw new DurationError(`${start}:${end}: duration is out of range`);
  return Math.trunc(seconds * 1000);
}

function evalSeconds(e: Expr, ctx: DurationContext): number {
  switch (e.kind) {
    case 'NumberLiteral':
      return e.value;
    case 'ParenExpr':
      return evalSeconds(e.expr, ctx);
    case 'UnaryExpr':
      return e.op === '-' ? -evalSeconds(e.expr, ctx) : evalSeconds(e.expr, ctx);
    case 'Call': {
      if (e.func === 'step') return ctx.stepMs / 1000;
      if (e.func === 'range') return ctx.rangeMs / 1000;
      const [a, b] = e.args.map((x) => evalSeconds(x, ctx)) as [number, number];
      if (e.func === 'min_of') return Math.min(a, b);
      if (e.func === 'max_of') return Math.max(a, b);
      throw new DurationError(`unexpected function ${e.func}() in duration expression`);
    }
    case 'BinaryExpr': {
      const l = evalSeconds(e.lhs, ctx);
      const r = evalSeconds(e.rhs, ctx);
      switch (e.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          if (r === 0) throw new DurationError(`${e.pos.start}:${e.pos.end}: division by zero`);
          return l / r;
        case '%':
          if (r === 0) throw new DurationError(`${e.pos.start}:${e.pos.end}: modulo by zero`);
          return l % r;
        case '^':
          return Math.pow(l, r);
        default:
          throw new DurationError(`unexpected operator ${e.op} in duration expression`);
      }
    }
    default:
      throw new DurationError(`unexpected ${e.kind} in duration expression`);
  }
}

/** The query's own bounds, which `start()`, `end()`, `range()`, `step()` and `@ start()` refer to. */
export interface QueryBounds {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
}

/**
 * Milliseconds of a selector range, subquery step or offset (`offset`: may be negative) in a
 * query with these bounds: duration expressions resolved as resolveDuration does (seconds
 * arithmetic, truncated to whole milliseconds: `[2s/3]` is 666 ms). Throws DurationError, which
 * the engine reports as bad_data.
 */
export function durationMs(d: Duration | null, bounds: QueryBounds, offset = false): number {
  if (d === null) return 0;
  return resolveDuration(d, { stepMs: bounds.stepMs, rangeMs: bounds.endMs - bounds.startMs }, offset);
}

/** The time (ms) an `@` modifier pins a selector to, or null without one. */
export function atMs(at: AtModifier | null, bounds: QueryBounds): number | null {
  if (at === null) return null;
  if (at.kind === 'time') return at.ms;
  return at.kind === 'start' ? bounds.startMs : bounds.endMs;
}
