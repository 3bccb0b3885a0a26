/**
 * The PromQL abstract syntax tree: a closed, discriminated union of node kinds produced by the
 * Peggy parser and consumed by the evaluator and the printer. Modelled on Prometheus's
 * `promql/parser/ast.go`. Every node carries its source span so errors and annotations can
 * report `(line:col)` positions as Prometheus does.
 */
import type { LabelMatcher } from '../model/index.js';

/** Byte offsets into the query text: [start, end). */
export interface PosRange {
  readonly start: number;
  readonly end: number;
}

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/**
 * A duration in a selector, offset or subquery step. Usually a literal number of milliseconds;
 * with duration expressions enabled it may be an arithmetic expression (`[5m+1m]`, `offset (2*1m)`)
 * evaluated once before the query runs.
 */
export type Duration = { readonly kind: 'DurationLiteral'; readonly ms: number } | DurationExpr;

export interface DurationExpr {
  readonly kind: 'DurationExpr';
  readonly expr: Expr;
}

/** `@ <time>` / `@ start()` / `@ end()`: time is in milliseconds. */
export type AtModifier = { readonly kind: 'time'; readonly ms: number } | { readonly kind: 'start' } | { readonly kind: 'end' };

export interface NumberLiteral {
  readonly kind: 'NumberLiteral';
  readonly value: number;
  /** The original spelling, so the printer can render `0x1f` or `1e3` as written. */
  readonly text?: string;
  /** True when the literal was written as a duration (`5m`) used as a number (seconds). */
  readonly isDuration?: boolean;
  readonly pos: PosRange;
}

export interface StringLiteral {
  readonly kind: 'StringLiteral';
  readonly value: string;
  readonly pos: PosRange;
}

export interface VectorSelector {
  readonly kind: 'VectorSelector';
  /** The metric name if given outside braces (or as a quoted name inside them), else ''. */
  readonly name: string;
  /** All matchers, including the `__name__` equality matcher derived from `name`. */
  readonly matchers: readonly LabelMatcher[];
  /** Offset in ms (negative allowed); 0 when absent. */
  readonly offset: Duration | null;
  readonly at: AtModifier | null;
  /**
   * `anchored` / `smoothed` written on an instant selector (`foo smoothed`). On a range selector
   * the parser moves it to MatrixSelector.modifier.
   */
  readonly modifier?: RangeModifier;
  readonly pos: PosRange;
}

/** Extended range selector modifiers (experimental in Prometheus 3). */
export type RangeModifier = 'anchored' | 'smoothed';

export interface MatrixSelector {
  readonly kind: 'MatrixSelector';
  readonly vector: VectorSelector;
  readonly range: Duration;
  readonly modifier?: RangeModifier;
  readonly pos: PosRange;
}

export interface SubqueryExpr {
  readonly kind: 'SubqueryExpr';
  readonly expr: Expr;
  readonly range: Duration;
  /** null means the default step (the engine's default evaluation interval). */
  readonly step: Duration | null;
  readonly offset: Duration | null;
  readonly at: AtModifier | null;
  readonly pos: PosRange;
}

export interface Call {
  readonly kind: 'Call';
  readonly func: string;
  readonly args: readonly Expr[];
  readonly pos: PosRange;
}

export type AggregateOp =
  'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'quantile' | 'count_values' | 'limitk' | 'limit_ratio';

export interface AggregateExpr {
  readonly kind: 'AggregateExpr';
  readonly op: AggregateOp;
  readonly expr: Expr;
  /** The parameter of topk/bottomk/quantile/count_values/limitk/limit_ratio. */
  readonly param: Expr | null;
  /** Labels of `by (...)` or `without (...)`; empty with `without` means "drop nothing". */
  readonly grouping: readonly string[];
  readonly without: boolean;
  /** True when a `by`/`without` clause was written (even `by ()`). */
  readonly hasGrouping: boolean;
  readonly pos: PosRange;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
/**
 * Native-histogram bucket trimming (`h </ 0.5` drops buckets above 0.5, `>/` below). Same
 * precedence as comparisons. On float samples Prometheus drops the sample with an info annotation.
 */
export type TrimOp = '</' | '>/';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp | TrimOp;

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

/** Fill values for the `fill(...)`, `fill_left(...)`, `fill_right(...)` binary modifiers. */
export interface FillModifier {
  readonly left: number | null;
  readonly right: number | null;
}

export interface VectorMatching {
  readonly card: Cardinality;
  /** Labels of `on (...)` or `ignoring (...)`. */
  readonly matchingLabels: readonly string[];
  /** True for `on`, false for `ignoring` (or no clause). */
  readonly on: boolean;
  /** Labels listed in `group_left (...)` / `group_right (...)`. */
  readonly include: readonly string[];
  readonly fill?: FillModifier;
}

export interface BinaryExpr {
  readonly kind: 'BinaryExpr';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  /** Present when either side is a vector (and always for set operators). */
  readonly matching: VectorMatching | null;
  /** The `bool` modifier on comparisons. */
  readonly returnBool: boolean;
  readonly pos: PosRange;
}

export interface UnaryExpr {
  readonly kind: 'UnaryExpr';
  readonly op: '+' | '-';
  readonly expr: Expr;
  readonly pos: PosRange;
}

export interface ParenExpr {
  readonly kind: 'ParenExpr';
  readonly expr: Expr;
  readonly pos: PosRange;
}

export type Expr = NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | SubqueryExpr | Call | AggregateExpr | BinaryExpr | UnaryExpr | ParenExpr;

export type ExprKind = Expr['kind'];
