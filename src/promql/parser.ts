/**
 * PromQL text → typed AST (src/promql/ast.ts), with Prometheus's semantic checks and error texts.
 *
 * The Peggy grammar (grammar.peggy → generated/parser.js) only recognises structure and returns a
 * raw tree; this module decodes literals, attaches modifiers, and type-checks, throwing the first
 * problem as a ParseError in Prometheus's format (`1:5: parse error: ...`).
 *
 * Positions (PosRange) are offsets into the query string as JavaScript indexes it (UTF-16 code
 * units); use `formatPosition` to render them as Prometheus's `line:col`.
 */
import { parse as pegParse, SyntaxError as PegSyntaxError } from './generated/parser.js';
import type {
  AggregateExpr,
  AggregateOp,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  Call,
  Cardinality,
  Duration,
  Expr,
  FillModifier,
  MatrixSelector,
  NumberLiteral,
  PosRange,
  RangeModifier,
  SubqueryExpr,
  ValueType,
  VectorMatching,
  VectorSelector,
} from './ast.js';
import type { LabelMatcher, MatchType } from '../model/index.js';
import { DurationError, parseDuration } from './duration.js';
import { getFunction, unsupportedFunction } from './function-signatures.js';
import { explainSyntaxError } from './syntax-errors.js';
import { goQuote } from '../go-format/index.js';
import { parseNumber, unquoteString } from './literals.js';
import { compileLabelRegex, matcherIndexProblem, matcherMatchesEmpty } from './label-regex.js';

// ---------------------------------------------------------------------------------------------
// Errors

/** A query that does not parse or type-check. `message` is Prometheus's text, position included. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  /** Where in the query the problem is. */
  readonly position: PosRange;
  /** The message without the `line:col: parse error: ` prefix. */
  readonly detail: string;
  readonly query: string;
  constructor(query: string, position: PosRange, detail: string) {
    super(`${formatPosition(query, position.start)}: parse error: ${detail}`);
    this.position = position;
    this.detail = detail;
    this.query = query;
  }
}

/**
 * Prometheus's `line:col` for an offset: 1-based line, and a 1-based column counted in UTF-8
 * bytes from the last line break (Go strings are bytes).
 */
export function formatPosition(query: string, offset: number): string {
  if (offset < 0 || offset > query.length) return 'invalid position';
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (query.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  const col = Buffer.byteLength(query.slice(lineStart, offset), 'utf8') + 1;
  return `${line}:${col}`;
}

/** Raised internally while building; turned into a ParseError with the query attached. */
class BuildError extends Error {
  constructor(
    readonly pos: PosRange,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// The raw tree produced by the grammar

interface RawPos {
  start: number;
  end: number;
}
interface RawNum {
  t: 'num';
  text: string;
  dur: boolean;
  pos: RawPos;
}
interface RawStr {
  t: 'str';
  raw: string;
  pos: RawPos;
}
interface RawMatcher {
  name: string | null;
  nameRaw: string | null;
  namePos: RawPos;
  op: MatchType | null;
  value: string | null;
  valuePos: RawPos | null;
  pos: RawPos;
}
interface RawSel {
  t: 'sel';
  name: string | null;
  matchers: RawMatcher[];
  pos: RawPos;
}
interface RawGroupingLabel {
  name: string | null;
  str: string | null;
  pos: RawPos;
}
interface RawGrouping {
  without: boolean;
  labels: RawGroupingLabel[];
  pos: RawPos;
}
interface RawAgg {
  t: 'agg';
  op: string;
  grouping: RawGrouping | null;
  args: RawExpr[];
  trailingComma: RawPos | null;
  pos: RawPos;
}
interface RawCall {
  t: 'call';
  name: string;
  namePos?: RawPos;
  args: RawExpr[];
  trailingComma: RawPos | null;
  pos: RawPos;
}
interface RawParen {
  t: 'paren';
  expr: RawExpr;
  pos: RawPos;
}
interface RawUnary {
  t: 'unary';
  op: '+' | '-';
  expr: RawExpr;
  pos: RawPos;
}
interface RawBinMods {
  bool: boolean;
  matching: {
    kind: 'on' | 'ignoring';
    labels: { labels: RawGroupingLabel[]; pos: RawPos };
    group: { kind: 'group_left' | 'group_right'; labels: { labels: RawGroupingLabel[]; pos: RawPos } | null } | null;
  } | null;
  fill: { kind: 'fill' | 'fill_left' | 'fill_right'; value: { sign: string; num: RawNum; pos: RawPos } }[];
  pos: RawPos;
}
interface RawBin {
  t: 'bin';
  op: string;
  opPos: RawPos | null;
  mods: RawBinMods | null;
  lhs: RawExpr;
  rhs: RawExpr;
  pos: RawPos;
}
type RawMod =
  | { m: 'range'; range: RawExpr; pos: RawPos }
  | { m: 'subquery'; range: RawExpr; step: RawExpr | null; pos: RawPos }
  | { m: 'offset'; dur: RawExpr; pos: RawPos }
  | { m: 'at'; preproc: 'start' | 'end' | null; num: RawNum | null; sign: string; pos: RawPos }
  | { m: 'anchored'; pos: RawPos }
  | { m: 'smoothed'; pos: RawPos };
interface RawPostfix {
  t: 'postfix';
  expr: RawExpr;
  mods: RawMod[];
  pos: RawPos;
}
interface RawEmpty {
  t: 'empty';
  pos: RawPos;
}
type RawExpr = RawNum | RawStr | RawSel | RawAgg | RawCall | RawParen | RawUnary | RawBin | RawPostfix | RawEmpty;

// Literal decoding and label regexes live in their own modules; re-exported here for callers.
export { parseNumber, unquoteString } from './literals.js';
export { compileLabelRegex, matcherMatchesEmpty, RegexError } from './label-regex.js';

// ---------------------------------------------------------------------------------------------
// Types

const binaryTypes = new WeakMap<Expr, ValueType>();

/** The type an expression evaluates to (Prometheus `Expr.Type()`). */
export function exprType(e: Expr): ValueType {
  switch (e.kind) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'Call':
      return getFunction(e.func)?.returnType ?? 'vector';
    case 'AggregateExpr':
      return 'vector';
    case 'BinaryExpr': {
      // Cached: long operator chains would otherwise be re-walked at every level.
      let t = binaryTypes.get(e);
      if (t === undefined) {
        t = exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
        binaryTypes.set(e, t);
      }
      return t;
    }
    case 'UnaryExpr':
    case 'ParenExpr':
      return exprType(e.expr);
  }
}

/** Prometheus's documented name of a type: `instant vector`, `range vector`, `scalar`, `string`. */
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

const COMPARISON_OPS = new Set(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS = new Set(['and', 'or', 'unless']);
const PARAM_AGGREGATORS = new Set(['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);

// ---------------------------------------------------------------------------------------------
// Building the AST from the raw tree

/** Seconds (a duration literal or a number) → float, or a BuildError for a bad duration. */
function numberValue(n: RawNum): number {
  if (n.dur) {
    try {
      return parseDuration(n.text) / 1000;
    } catch (e) {
      throw new BuildError(n.pos, e instanceof DurationError ? e.message : String(e));
    }
  }
  try {
    return parseNumber(n.text);
  } catch (e) {
    throw new BuildError(n.pos, `error parsing number: ${(e as Error).message}`);
  }
}

function unquote(raw: string, pos: RawPos): string {
  try {
    return unquoteString(raw);
  } catch (e) {
    // Prometheus's lexer rejects these before parsing, at the start of the string.
    throw new BuildError({ start: pos.start, end: pos.end }, (e as Error).message);
  }
}

/** Go's time.Duration limit, in seconds. */
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;

function durationOutOfRange(seconds: number): boolean {
  return seconds > MAX_DURATION_SECONDS || seconds < -MAX_DURATION_SECONDS;
}

class Builder {
  expr(r: RawExpr): Expr {
    switch (r.t) {
      case 'empty':
        throw new BuildError({ start: 0, end: 0 }, 'no expression found in input');
      case 'num': {
        const value = numberValue(r);
        const lit: NumberLiteral = { kind: 'NumberLiteral', value, text: r.text, pos: r.pos, ...(r.dur ? { isDuration: true } : {}) };
        return lit;
      }
      case 'str':
        return { kind: 'StringLiteral', value: unquote(r.raw, r.pos), pos: r.pos };
      case 'sel':
        return this.selector(r);
      case 'paren':
        return { kind: 'ParenExpr', expr: this.expr(r.expr), pos: r.pos };
      case 'unary': {
        const inner = this.expr(r.expr);
        if (inner.kind === 'NumberLiteral') {
          // Prometheus folds a sign into a number literal: `-1` is the literal -1.
          return { ...inner, value: r.op === '-' ? -inner.value : inner.value, pos: { start: r.pos.start, end: inner.pos.end } };
        }
        const t = exprType(inner);
        if (t !== 'scalar' && t !== 'vector') {
          throw new BuildError(r.pos, `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(documentedType(t))}`);
        }
        return { kind: 'UnaryExpr', op: r.op, expr: inner, pos: r.pos };
      }
      case 'bin':
        return this.binary(r);
      case 'call':
        return this.call(r);
      case 'agg':
        return this.aggregate(r);
      case 'postfix':
        return this.postfix(r);
    }
  }

  private selector(r: RawSel): VectorSelector {
    const matchers: LabelMatcher[] = [];
    let quotedName = '';
    for (const m of r.matchers) {
      if (m.op === null) {
        const value = unquote(m.nameRaw!, m.namePos);
        if (quotedName === '') quotedName = value;
        matchers.push({ name: '__name__', type: '=', value });
        continue;
      }
      const name = m.name ?? unquote(m.nameRaw!, m.namePos);
      const value = unquote(m.value!, m.valuePos ?? m.pos);
      if (m.op === '=~' || m.op === '!~') {
        try {
          compileLabelRegex(value);
        } catch (e) {
          throw new BuildError(m.pos, (e as Error).message);
        }
      }
      matchers.push({ name, type: m.op, value });
    }
    if (r.name !== null) {
      for (const m of matchers) {
        if (m.name === '__name__') {
          throw new BuildError(r.pos, `metric name must not be set twice: ${goQuote(r.name)} or ${goQuote(m.value)}`);
        }
      }
      matchers.push({ name: '__name__', type: '=', value: r.name });
    }
    for (const m of matchers) {
      const why = matcherIndexProblem(m);
      if (why !== null) throw new BuildError(r.pos, why);
    }
    return {
      kind: 'VectorSelector',
      name: r.name ?? quotedName,
      matchers,
      offset: null,
      at: null,
      pos: r.pos,
    };
  }

  private groupingLabels(labels: RawGroupingLabel[]): string[] {
    return labels.map((l) => {
      const name = l.str !== null ? unquote(l.str, l.pos) : l.name!;
      if (name === '') throw new BuildError(l.pos, `invalid label name for grouping: ${goQuote(name)}`);
      return name;
    });
  }

  private binary(r: RawBin): Expr {
    const lhs = this.expr(r.lhs);
    const rhs = this.expr(r.rhs);
    const op = r.op.toLowerCase() as BinaryOp;
    const mods = r.mods;
    const opRange = r.opPos ?? r.pos;
    const returnBool = mods?.bool ?? false;
    const isComparison = COMPARISON_OPS.has(op);
    const isSet = SET_OPS.has(op);
    const lt = exprType(lhs);
    const rt = exprType(rhs);

    if (returnBool && !isComparison) throw new BuildError(opRange, 'bool modifier can only be used on comparison operators');
    if (isComparison && !returnBool && lt === 'scalar' && rt === 'scalar') {
      throw new BuildError(opRange, 'comparisons between scalars must use BOOL modifier');
    }

    let card: Cardinality = 'one-to-one';
    let on = false;
    let matchingLabels: string[] = [];
    let include: string[] = [];
    if (mods?.matching) {
      on = mods.matching.kind === 'on';
      matchingLabels = this.groupingLabels(mods.matching.labels.labels);
      if (mods.matching.group) {
        card = mods.matching.group.kind === 'group_left' ? 'many-to-one' : 'one-to-many';
        include = this.groupingLabels(mods.matching.group.labels?.labels ?? []);
      }
    }
    if (isSet && card === 'one-to-one') card = 'many-to-many';
    if (on) {
      for (const l of matchingLabels) {
        if (include.includes(l)) throw new BuildError(opRange, `label ${goQuote(l)} must not occur in ON and GROUP clause at once`);
      }
    }
    let fill: FillModifier | undefined;
    if (mods && mods.fill.length > 0) {
      let left: number | null = null;
      let right: number | null = null;
      for (const f of mods.fill) {
        const v = numberValue(f.value.num) * (f.value.sign === '-' ? -1 : 1);
        if (f.kind === 'fill' || f.kind === 'fill_left') left = v;
        if (f.kind === 'fill' || f.kind === 'fill_right') right = v;
      }
      fill = { left, right };
    }

    if (lt !== 'scalar' && lt !== 'vector') {
      throw new BuildError(lhs.pos, 'binary expression must contain only scalar and instant vector types');
    }
    if (rt !== 'scalar' && rt !== 'vector') {
      throw new BuildError(rhs.pos, 'binary expression must contain only scalar and instant vector types');
    }
    let matching: VectorMatching | null = null;
    if (lt !== 'vector' || rt !== 'vector') {
      if (matchingLabels.length > 0) throw new BuildError(r.pos, 'vector matching only allowed between instant vectors');
      if (fill) throw new BuildError(r.pos, 'filling in missing series only allowed between instant vectors');
    } else {
      if (isSet) {
        if (card === 'one-to-many' || card === 'many-to-one') throw new BuildError(r.pos, `no grouping allowed for ${goQuote(op)} operation`);
        if (fill) throw new BuildError(r.pos, 'filling in missing series not allowed for set operators');
      }
      matching = { card, matchingLabels, on, include, ...(fill ? { fill } : {}) };
    }
    if ((lt === 'scalar' || rt === 'scalar') && isSet) {
      throw new BuildError(r.pos, `set operator ${goQuote(op)} not allowed in binary scalar expression`);
    }
    const node: BinaryExpr = { kind: 'BinaryExpr', op, lhs, rhs, matching, returnBool, pos: r.pos };
    return node;
  }

  private args(r: RawCall | RawAgg): Expr[] {
    if (r.trailingComma) throw new BuildError(r.trailingComma, 'trailing commas not allowed in function call args');
    return r.args.map((a) => this.expr(a));
  }

  private call(r: RawCall): Call {
    const fn = getFunction(r.name);
    const namePos = r.namePos ?? r.pos;
    const refused = unsupportedFunction(r.name);
    if (refused) throw new BuildError(namePos, `function ${goQuote(r.name)} is not supported: ${refused}`);
    if (!fn) throw new BuildError(namePos, `unknown function with name ${goQuote(r.name)}`);
    const args = this.args(r);
    const nargs = fn.argTypes.length;
    if (fn.variadic === 0) {
      if (nargs !== args.length) {
        throw new BuildError(r.pos, `expected ${nargs} argument(s) in call to ${goQuote(fn.name)}, got ${args.length}`);
      }
    } else {
      const na = nargs - 1;
      if (na > args.length) {
        throw new BuildError(r.pos, `expected at least ${na} argument(s) in call to ${goQuote(fn.name)}, got ${args.length}`);
      }
      const max = na + fn.variadic;
      if (fn.variadic > 0 && max < args.length) {
        throw new BuildError(r.pos, `expected at most ${max} argument(s) in call to ${goQuote(fn.name)}, got ${args.length}`);
      }
    }
    if (fn.name === 'info' && args.length > 1) {
      const a = args[1]!;
      if (exprType(a) !== 'vector') {
        throw new BuildError(r.pos, `expected type instant vector in call to function ${goQuote(fn.name)}, got ${documentedType(exprType(a))}`);
      }
      if (a.kind === 'VectorSelector' && a.name !== '' && r.args[1]!.t === 'sel' && (r.args[1] as RawSel).name !== null) {
        throw new BuildError(a.pos, 'expected label selectors only, got vector selector instead');
      } else if (a.kind !== 'VectorSelector') {
        throw new BuildError(a.pos, 'expected label selectors only');
      }
    }
    for (let i = 0; i < args.length; i++) {
      let k = i;
      if (k >= nargs) {
        if (fn.variadic === 0) break;
        k = nargs - 1;
      }
      const want = fn.argTypes[k]!;
      const got = exprType(args[i]!);
      if (got !== want) {
        throw new BuildError(args[i]!.pos, `expected type ${documentedType(want)} in call to function ${goQuote(fn.name)}, got ${documentedType(got)}`);
      }
    }
    return { kind: 'Call', func: fn.name, args, pos: r.pos };
  }

  private aggregate(r: RawAgg): AggregateExpr {
    const op = r.op as AggregateOp;
    const args = this.args(r);
    if (args.length === 0) throw new BuildError(r.pos, 'no arguments for aggregate expression provided');
    const withParam = PARAM_AGGREGATORS.has(op);
    const desired = withParam ? 2 : 1;
    if (args.length !== desired) {
      throw new BuildError(r.pos, `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`);
    }
    const expr = args[desired - 1]!;
    const param = withParam ? args[0]! : null;
    const et = exprType(expr);
    if (et !== 'vector') throw new BuildError(expr.pos, `expected type instant vector in aggregation expression, got ${documentedType(et)}`);
    if (param) {
      const want: ValueType = op === 'count_values' ? 'string' : 'scalar';
      const pt = exprType(param);
      if (pt !== want) throw new BuildError(param.pos, `expected type ${documentedType(want)} in aggregation parameter, got ${documentedType(pt)}`);
    }
    const grouping = r.grouping ? this.groupingLabels(r.grouping.labels) : [];
    return {
      kind: 'AggregateExpr',
      op,
      expr,
      param,
      grouping,
      without: r.grouping?.without ?? false,
      hasGrouping: r.grouping !== null,
      pos: r.pos,
    };
  }

  // --- durations ---

  /** A range or subquery step: must be positive when written as a literal. */
  private positiveDuration(r: RawExpr): Duration {
    const d = this.duration(r);
    if (d.kind === 'DurationLiteral' && d.ms <= 0) throw new BuildError(r.pos, 'duration must be greater than 0');
    return d;
  }

  private duration(r: RawExpr): Duration {
    const e = this.durationExpr(r);
    if (e.kind === 'NumberLiteral') return { kind: 'DurationLiteral', ms: Math.round(e.value * 1000) };
    return { kind: 'DurationExpr', expr: e };
  }

  private durationExpr(r: RawExpr): Expr {
    switch (r.t) {
      case 'num': {
        const value = numberValue(r);
        if (durationOutOfRange(value)) throw new BuildError(r.pos, 'duration out of range');
        return { kind: 'NumberLiteral', value, text: r.text, pos: r.pos, ...(r.dur ? { isDuration: true } : {}) };
      }
      case 'unary': {
        const inner = this.durationExpr(r.expr);
        if (inner.kind === 'NumberLiteral') {
          const value = r.op === '-' ? -inner.value : inner.value;
          if (durationOutOfRange(value)) throw new BuildError(r.pos, 'duration out of range');
          return { ...inner, value, pos: { start: r.pos.start, end: inner.pos.end } };
        }
        return r.op === '-' ? { kind: 'UnaryExpr', op: '-', expr: inner, pos: r.pos } : inner;
      }
      case 'paren':
        return { kind: 'ParenExpr', expr: this.durationExpr(r.expr), pos: r.pos };
      case 'bin': {
        const lhs = this.durationExpr(r.lhs);
        const rhs = this.durationExpr(r.rhs);
        if (rhs.kind === 'NumberLiteral' && rhs.value === 0 && (r.op === '/' || r.op === '%')) {
          throw new BuildError(r.opPos ?? r.pos, r.op === '/' ? 'division by zero' : 'modulo by zero');
        }
        return { kind: 'BinaryExpr', op: r.op as BinaryOp, lhs, rhs, matching: null, returnBool: false, pos: r.pos };
      }
      case 'call':
        return { kind: 'Call', func: r.name, args: r.args.map((a) => this.durationExpr(a)), pos: r.pos };
      default:
        throw new BuildError(r.pos, 'expected number literal or duration expression');
    }
  }

  // --- postfix modifiers ---

  private postfix(r: RawPostfix): Expr {
    let e = this.expr(r.expr);
    const start = e.pos.start;
    for (const m of r.mods) {
      const pos = { start, end: m.pos.end };
      switch (m.m) {
        case 'range': {
          if (e.kind !== 'VectorSelector') throw new BuildError(m.pos, 'ranges only allowed for vector selectors');
          if (e.offset !== null) throw new BuildError(m.pos, 'no offset modifiers allowed before range');
          if (e.at !== null) throw new BuildError(m.pos, 'no @ modifiers allowed before range');
          const { modifier, ...vector } = e;
          const ms: MatrixSelector = {
            kind: 'MatrixSelector',
            vector: vector as VectorSelector,
            range: this.positiveDuration(m.range),
            ...(modifier ? { modifier } : {}),
            pos,
          };
          e = ms;
          break;
        }
        case 'subquery': {
          const sq: SubqueryExpr = {
            kind: 'SubqueryExpr',
            expr: e,
            range: this.positiveDuration(m.range),
            step: m.step ? this.positiveDuration(m.step) : null,
            offset: null,
            at: null,
            pos,
          };
          e = sq;
          break;
        }
        case 'offset': {
          const offset = this.duration(m.dur);
          e = this.withOffset(e, offset, pos);
          break;
        }
        case 'at': {
          let at: AtModifier;
          if (m.preproc) {
            at = { kind: m.preproc };
          } else {
            const v = numberValue(m.num!) * (m.sign === '-' ? -1 : 1);
            if (!Number.isFinite(v) || Math.abs(v) >= 2 ** 63) {
              const shown = Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : v.toFixed(6);
              throw new BuildError(e.pos, `timestamp out of bounds for @ modifier: ${shown}`);
            }
            at = { kind: 'time', ms: Math.round(v * 1000) };
          }
          e = this.withAt(e, at, pos);
          break;
        }
        case 'anchored':
        case 'smoothed':
          e = this.withRangeModifier(e, m.m, pos);
          break;
      }
    }
    return e;
  }

  private withOffset(e: Expr, offset: Duration, pos: PosRange): Expr {
    switch (e.kind) {
      case 'VectorSelector':
        if (e.offset !== null) throw new BuildError(e.pos, 'offset may not be set multiple times');
        return { ...e, offset, pos };
      case 'MatrixSelector':
        if (e.vector.offset !== null) throw new BuildError(e.pos, 'offset may not be set multiple times');
        return { ...e, vector: { ...e.vector, offset }, pos };
      case 'SubqueryExpr':
        if (e.offset !== null) throw new BuildError(e.pos, 'offset may not be set multiple times');
        return { ...e, offset, pos };
      default:
        throw new BuildError(e.pos, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    }
  }

  private withAt(e: Expr, at: AtModifier, pos: PosRange): Expr {
    switch (e.kind) {
      case 'VectorSelector':
        if (e.at !== null) throw new BuildError(e.pos, '@ <timestamp> may not be set multiple times');
        return { ...e, at, pos };
      case 'MatrixSelector':
        if (e.vector.at !== null) throw new BuildError(e.pos, '@ <timestamp> may not be set multiple times');
        return { ...e, vector: { ...e.vector, at }, pos };
      case 'SubqueryExpr':
        if (e.at !== null) throw new BuildError(e.pos, '@ <timestamp> may not be set multiple times');
        return { ...e, at, pos };
      default:
        throw new BuildError(e.pos, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    }
  }

  private withRangeModifier(e: Expr, modifier: RangeModifier, pos: PosRange): Expr {
    const other = modifier === 'anchored' ? 'smoothed' : 'anchored';
    switch (e.kind) {
      case 'VectorSelector':
      case 'MatrixSelector':
        if (e.modifier === other) throw new BuildError(e.pos, 'anchored and smoothed modifiers cannot be used together');
        return { ...e, modifier, pos };
      case 'SubqueryExpr':
        throw new BuildError(e.pos, `${modifier} modifier is not supported for subqueries`);
      default:
        throw new BuildError(e.pos, `${modifier} modifier not implemented`);
    }
  }

  /** The checks Prometheus runs on the finished tree (checkAST) that building did not cover. */
  check(e: Expr): void {
    switch (e.kind) {
      case 'VectorSelector':
        // A selector must constrain something, or `{}` would select every series (a name written
        // outside the braces is itself a non-empty matcher).
        if (!e.matchers.some((m) => !matcherMatchesEmpty(m))) {
          throw new BuildError(e.pos, 'vector selector must contain at least one non-empty matcher');
        }
        return;
      case 'MatrixSelector':
        this.check(e.vector);
        return;
      case 'SubqueryExpr': {
        this.check(e.expr);
        const t = exprType(e.expr);
        if (t !== 'vector') throw new BuildError(e.pos, `subquery is only allowed on instant vector, got ${t} instead`);
        return;
      }
      case 'Call':
        e.args.forEach((a, i) => {
          if (e.func === 'info' && i === 1 && a.kind === 'VectorSelector') return;
          this.check(a);
        });
        return;
      case 'AggregateExpr':
        if (e.param) this.check(e.param);
        this.check(e.expr);
        return;
      case 'BinaryExpr':
        this.check(e.lhs);
        this.check(e.rhs);
        return;
      case 'UnaryExpr':
      case 'ParenExpr':
        this.check(e.expr);
        return;
      default:
        return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Syntax errors

function syntaxError(query: string, e: PegSyntaxError): ParseError {
  const p = explainSyntaxError(query, e.location.start.offset);
  return new ParseError(query, { start: p.start, end: p.end }, p.message);
}

// ---------------------------------------------------------------------------------------------
// Public entry points

function runGrammar(query: string, startRule: 'Start' | 'SeriesSelector'): RawExpr {
  try {
    return pegParse(query, { startRule }) as RawExpr;
  } catch (e) {
    if (e instanceof PegSyntaxError) throw syntaxError(query, e);
    if (e instanceof RangeError) throw new ParseError(query, { start: 0, end: query.length }, 'expression nested too deeply');
    throw e;
  }
}

/** Most query texts whose parsed tree is kept: dashboards send the same few queries again and again. */
const PARSE_CACHE_SIZE = 512;
/** Longer texts are parsed every time (rare, and they would crowd the cache). */
const PARSE_CACHE_MAX_QUERY = 4096;
const parseCache = new Map<string, Expr>();

/**
 * Parses and type-checks a PromQL expression; throws ParseError. Trees are immutable, so a text
 * parsed recently returns the same tree again (the grammar costs ~0.1 ms even for `up`, a visible
 * share of a small query).
 */
export function parseExpr(query: string): Expr {
  const hit = parseCache.get(query);
  if (hit) {
    // Refresh its position so the cache evicts the least recently used text.
    parseCache.delete(query);
    parseCache.set(query, hit);
    return hit;
  }
  const expr = parseExprUncached(query);
  if (query.length <= PARSE_CACHE_MAX_QUERY) {
    if (parseCache.size >= PARSE_CACHE_SIZE) parseCache.delete(parseCache.keys().next().value!);
    parseCache.set(query, expr);
  }
  return expr;
}

function parseExprUncached(query: string): Expr {
  const raw = runGrammar(query, 'Start');
  try {
    const builder = new Builder();
    const expr = builder.expr(raw);
    builder.check(expr);
    return expr;
  } catch (e) {
    if (e instanceof BuildError) throw new ParseError(query, e.pos, e.message);
    if (e instanceof RangeError) throw new ParseError(query, { start: 0, end: query.length }, 'expression nested too deeply');
    throw e;
  }
}

/**
 * Parses a series selector as used by `match[]` (`up{job="x"}`, `{__name__=~"a.*"}`) into its
 * matchers, the metric-name matcher included. By default a selector that matches everything
 * (`{}`, `{a=~".*"}`) is refused, as in a query; pass `allowEmpty` to get its matchers anyway
 * (Prometheus's API checks that itself, with its own message). Throws ParseError.
 */
export function parseSeriesSelector(query: string, opts: { allowEmpty?: boolean } = {}): LabelMatcher[] {
  const raw = runGrammar(query, 'SeriesSelector');
  try {
    const builder = new Builder();
    const vs = builder.expr(raw) as VectorSelector;
    if (!opts.allowEmpty) builder.check(vs);
    return [...vs.matchers];
  } catch (e) {
    if (e instanceof BuildError) throw new ParseError(query, e.pos, e.message);
    throw e;
  }
}
