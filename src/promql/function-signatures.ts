/**
 * The PromQL function table: name → argument types, return type and how many optional trailing
 * arguments a call may add. The parser type-checks calls against it; the evaluator reads it to
 * know which functions exist. Mirrors Prometheus 3 (promql/parser/functions.go), experimental
 * functions included (Strata enables them all).
 */
import type { ValueType } from './ast.js';

export interface FunctionSignature {
  readonly name: string;
  readonly argTypes: readonly ValueType[];
  /**
   * 0: exactly argTypes.length arguments. n > 0: the last argument type may be omitted and repeated
   * up to n times in total (so argTypes.length - 1 .. argTypes.length - 1 + n arguments).
   * -1: the last argument type repeats without limit (at least argTypes.length - 1 arguments).
   */
  readonly variadic: number;
  readonly returnType: ValueType;
  /** Behind a feature flag in Prometheus; always enabled here. */
  readonly experimental: boolean;
}

const SIGNATURES = {
  abs: { name: 'abs', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  absent: { name: 'absent', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  absent_over_time: { name: 'absent_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  acos: { name: 'acos', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  acosh: { name: 'acosh', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  asin: { name: 'asin', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  asinh: { name: 'asinh', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  atan: { name: 'atan', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  atanh: { name: 'atanh', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  avg_over_time: { name: 'avg_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  ceil: { name: 'ceil', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  changes: { name: 'changes', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  clamp: { name: 'clamp', argTypes: ['vector', 'scalar', 'scalar'], variadic: 0, returnType: 'vector', experimental: false },
  clamp_max: { name: 'clamp_max', argTypes: ['vector', 'scalar'], variadic: 0, returnType: 'vector', experimental: false },
  clamp_min: { name: 'clamp_min', argTypes: ['vector', 'scalar'], variadic: 0, returnType: 'vector', experimental: false },
  cos: { name: 'cos', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  cosh: { name: 'cosh', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  count_over_time: { name: 'count_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  days_in_month: { name: 'days_in_month', argTypes: ['vector'], variadic: 1, returnType: 'vector', experimental: false },
  day_of_month: { name: 'day_of_month', argTypes: ['vector'], variadic: 1, returnType: 'vector', experimental: false },
  day_of_week: { name: 'day_of_week', argTypes: ['vector'], variadic: 1, returnType: 'vector', experimental: false },
  day_of_year: { name: 'day_of_year', argTypes: ['vector'], variadic: 1, returnType: 'vector', experimental: false },
  deg: { name: 'deg', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  end: { name: 'end', argTypes: [], variadic: 0, returnType: 'scalar', experimental: true },
  delta: { name: 'delta', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  deriv: { name: 'deriv', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  exp: { name: 'exp', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  first_over_time: { name: 'first_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  floor: { name: 'floor', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  histogram_avg: { name: 'histogram_avg', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  histogram_count: { name: 'histogram_count', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  histogram_sum: { name: 'histogram_sum', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  histogram_stddev: { name: 'histogram_stddev', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  histogram_stdvar: { name: 'histogram_stdvar', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  histogram_fraction: { name: 'histogram_fraction', argTypes: ['scalar', 'scalar', 'vector'], variadic: 0, returnType: 'vector', experimental: false },
  histogram_quantile: { name: 'histogram_quantile', argTypes: ['scalar', 'vector'], variadic: 0, returnType: 'vector', experimental: false },
  histogram_quantiles: {
    name: 'histogram_quantiles',
    argTypes: ['vector', 'string', 'scalar', 'scalar'],
    variadic: 9,
    returnType: 'vector',
    experimental: true,
  },
  double_exponential_smoothing: {
    name: 'double_exponential_smoothing',
    argTypes: ['matrix', 'scalar', 'scalar'],
    variadic: 0,
    returnType: 'vector',
    experimental: true,
  },
  hour: { name: 'hour', argTypes: ['vector'], variadic: 1, returnType: 'vector', experimental: false },
  idelta: { name: 'idelta', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  increase: { name: 'increase', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  info: { name: 'info', argTypes: ['vector', 'vector'], variadic: 1, returnType: 'vector', experimental: true },
  irate: { name: 'irate', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  label_replace: {
    name: 'label_replace',
    argTypes: ['vector', 'string', 'string', 'string', 'string'],
    variadic: 0,
    returnType: 'vector',
    experimental: false,
  },
  label_join: { name: 'label_join', argTypes: ['vector', 'string', 'string', 'string'], variadic: -1, returnType: 'vector', experimental: false },
  max_of: { name: 'max_of', argTypes: ['scalar', 'scalar'], variadic: 0, returnType: 'scalar', experimental: true },
  last_over_time: { name: 'last_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  min_of: { name: 'min_of', argTypes: ['scalar', 'scalar'], variadic: 0, returnType: 'scalar', experimental: true },
  ln: { name: 'ln', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  log10: { name: 'log10', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  log2: { name: 'log2', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  mad_over_time: { name: 'mad_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: true },
  max_over_time: { name: 'max_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  min_over_time: { name: 'min_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  ts_of_first_over_time: { name: 'ts_of_first_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: true },
  ts_of_max_over_time: { name: 'ts_of_max_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: true },
  ts_of_min_over_time: { name: 'ts_of_min_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: true },
  ts_of_last_over_time: { name: 'ts_of_last_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: true },
  minute: { name: 'minute', argTypes: ['vector'], variadic: 1, returnType: 'vector', experimental: false },
  month: { name: 'month', argTypes: ['vector'], variadic: 1, returnType: 'vector', experimental: false },
  pi: { name: 'pi', argTypes: [], variadic: 0, returnType: 'scalar', experimental: false },
  predict_linear: { name: 'predict_linear', argTypes: ['matrix', 'scalar'], variadic: 0, returnType: 'vector', experimental: false },
  present_over_time: { name: 'present_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  quantile_over_time: { name: 'quantile_over_time', argTypes: ['scalar', 'matrix'], variadic: 0, returnType: 'vector', experimental: false },
  rad: { name: 'rad', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  range: { name: 'range', argTypes: [], variadic: 0, returnType: 'scalar', experimental: true },
  rate: { name: 'rate', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  resets: { name: 'resets', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  round: { name: 'round', argTypes: ['vector', 'scalar'], variadic: 1, returnType: 'vector', experimental: false },
  scalar: { name: 'scalar', argTypes: ['vector'], variadic: 0, returnType: 'scalar', experimental: false },
  sgn: { name: 'sgn', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  sin: { name: 'sin', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  sinh: { name: 'sinh', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  sort: { name: 'sort', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  sort_desc: { name: 'sort_desc', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  sort_by_label: { name: 'sort_by_label', argTypes: ['vector', 'string'], variadic: -1, returnType: 'vector', experimental: true },
  sort_by_label_desc: { name: 'sort_by_label_desc', argTypes: ['vector', 'string'], variadic: -1, returnType: 'vector', experimental: true },
  sqrt: { name: 'sqrt', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  start: { name: 'start', argTypes: [], variadic: 0, returnType: 'scalar', experimental: true },
  step: { name: 'step', argTypes: [], variadic: 0, returnType: 'scalar', experimental: true },
  stddev_over_time: { name: 'stddev_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  stdvar_over_time: { name: 'stdvar_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  sum_over_time: { name: 'sum_over_time', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
  tan: { name: 'tan', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  tanh: { name: 'tanh', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  time: { name: 'time', argTypes: [], variadic: 0, returnType: 'scalar', experimental: false },
  timestamp: { name: 'timestamp', argTypes: ['vector'], variadic: 0, returnType: 'vector', experimental: false },
  vector: { name: 'vector', argTypes: ['scalar'], variadic: 0, returnType: 'vector', experimental: false },
  year: { name: 'year', argTypes: ['vector'], variadic: 1, returnType: 'vector', experimental: false },
} satisfies Record<string, FunctionSignature>;

/**
 * Every function name PromQL accepts. The evaluator's implementation table is a
 * `Record<FunctionName, ...>`, so a signature without an implementation fails to compile.
 */
export type FunctionName = keyof typeof SIGNATURES;

export const FUNCTIONS: Readonly<Record<FunctionName, FunctionSignature>> = Object.freeze(SIGNATURES);

export function isFunctionName(name: string): name is FunctionName {
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, name);
}

/** Old names still written in dashboards: Prometheus 2.x's `holt_winters` was renamed in 3.0. */
const ALIASES: Readonly<Record<string, string>> = Object.freeze({ holt_winters: 'double_exponential_smoothing' });

/** Prometheus functions Strata refuses at parse time, with the reason the error gives. */
const UNSUPPORTED: Readonly<Record<string, string>> = Object.freeze({
  start_timestamp: 'Strata does not store start (created) timestamps',
});

/** The signature of a function by name or old alias (an alias yields the current name's signature). */
export function getFunction(name: string): FunctionSignature | undefined {
  if (isFunctionName(name)) return FUNCTIONS[name];
  const alias = Object.prototype.hasOwnProperty.call(ALIASES, name) ? ALIASES[name]! : undefined;
  return alias !== undefined && isFunctionName(alias) ? FUNCTIONS[alias] : undefined;
}

/** Why a Prometheus function is refused here, or undefined when it is not one of those. */
export function unsupportedFunction(name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(UNSUPPORTED, name) ? UNSUPPORTED[name] : undefined;
}
