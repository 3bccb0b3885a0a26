/**
 * How each PromQL function is evaluated, complete at compile time: a `Record<FunctionName, ...>`
 * over the parser's signatures, so a function the parser accepts without an implementation here
 * fails `tsc` (Prometheus checks the same with TestFunctionList). The per-function rules live
 * here too (which range functions keep the metric name, accept `anchored`/`smoothed`, have the
 * fast rate loop, check their parameters); the evaluator works by implementation kind only.
 */
import type { FloatHistogram } from '../../model/index.js';
import type { FunctionName } from '../function-signatures.js';
import { histogramVariance } from '../histogram/index.js';
import { SIMPLE_MATH } from './math.js';
import * as ot from './over-time.js';
import * as rate from './rate.js';
import { DATE_FUNCTIONS } from './time.js';
import type { RangeKernel } from './window.js';

/** What a range function does with native-histogram samples in its window. */
export type HistogramRangeRule =
  | 'rate'
  | 'increase'
  | 'delta'
  | 'irate'
  | 'idelta'
  | 'last'
  | 'first'
  | 'ts_of_last'
  | 'ts_of_first'
  | 'count'
  | 'present'
  | 'sum'
  | 'avg'
  | 'changes'
  | 'resets'
  /** Reads floats only: histograms are skipped (with an info when floats are there too). */
  | 'floats';

/** A parameter check run once per step before the kernel; throws a PromQLError message. */
export type ParamCheck = (p0: number, p1: number) => string | null;

export interface RangeImpl {
  readonly kind: 'range';
  readonly kernel: RangeKernel;
  readonly histograms: HistogramRangeRule;
  /** The result keeps the metric name (first/last_over_time). */
  readonly keepsName?: boolean;
  readonly anchored?: boolean;
  readonly smoothed?: boolean;
  /** rate/increase: the "might not be a counter" info, and the monotonic-series shortcut. */
  readonly counter?: boolean;
  /** Evaluated by the one-loop rate kernel when no range modifier is set. */
  readonly fastRate?: { readonly isCounter: boolean; readonly isRate: boolean };
  /** The first scalar parameter is a quantile: warn when outside [0, 1]. */
  readonly quantileParam?: boolean;
  readonly checkParams?: ParamCheck;
}

export type FunctionImpl =
  | RangeImpl
  | { readonly kind: 'absent_over_time' }
  /** Per float sample; histograms are dropped. The result drops the metric name. */
  | { readonly kind: 'math'; readonly f: (v: number) => number }
  /** Date parts of the sample value (seconds), or of the evaluation time without an argument. */
  | { readonly kind: 'date'; readonly f: (seconds: number) => number }
  /** A number read from each native histogram; `statsOnly` reads only count and sum. */
  | { readonly kind: 'histogram_property'; readonly f: (h: FloatHistogram) => number; readonly statsOnly: boolean }
  /** histogram_quantile(s) / histogram_fraction over classic buckets and native histograms. */
  | { readonly kind: 'histogram_stats'; readonly stat: 'quantile' | 'quantiles' | 'fraction' }
  /** A scalar from the step time and the query bounds (seconds): time(), pi(), start()... */
  | { readonly kind: 'step_scalar'; readonly f: (tMs: number, b: { startMs: number; endMs: number; stepMs: number }) => number }
  | { readonly kind: 'scalar_pair'; readonly f: (a: number, b: number) => number }
  | { readonly kind: 'to_scalar' }
  | { readonly kind: 'to_vector' }
  | { readonly kind: 'round' }
  | { readonly kind: 'clamp'; readonly lower: boolean; readonly upper: boolean }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'info' }
  | { readonly kind: 'sort'; readonly byLabel: boolean; readonly desc: boolean }
  | { readonly kind: 'label_replace' }
  | { readonly kind: 'label_join' };

const math = (name: string): FunctionImpl => ({ kind: 'math', f: SIMPLE_MATH[name]! });
const date = (name: string): FunctionImpl => ({ kind: 'date', f: DATE_FUNCTIONS[name]! });
const floats = (kernel: RangeKernel, extra: Partial<RangeImpl> = {}): RangeImpl => ({ kind: 'range', kernel, histograms: 'floats', ...extra });

const smoothingFactor: ParamCheck = (sf, tf) => {
  if (!(sf > 0 && sf < 1)) return `invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`;
  if (!(tf > 0 && tf < 1)) return `invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`;
  return null;
};

export const FUNCTION_IMPLS: Readonly<Record<FunctionName, FunctionImpl>> = {
  abs: math('abs'),
  absent: { kind: 'absent' },
  absent_over_time: { kind: 'absent_over_time' },
  acos: math('acos'),
  acosh: math('acosh'),
  asin: math('asin'),
  asinh: math('asinh'),
  atan: math('atan'),
  atanh: math('atanh'),
  avg_over_time: { kind: 'range', kernel: ot.avgOverTime, histograms: 'avg' },
  ceil: math('ceil'),
  changes: { kind: 'range', kernel: ot.changes, histograms: 'changes', anchored: true },
  clamp: { kind: 'clamp', lower: true, upper: true },
  clamp_max: { kind: 'clamp', lower: false, upper: true },
  clamp_min: { kind: 'clamp', lower: true, upper: false },
  cos: math('cos'),
  cosh: math('cosh'),
  count_over_time: { kind: 'range', kernel: ot.countOverTime, histograms: 'count' },
  days_in_month: date('days_in_month'),
  day_of_month: date('day_of_month'),
  day_of_week: date('day_of_week'),
  day_of_year: date('day_of_year'),
  deg: math('deg'),
  end: { kind: 'step_scalar', f: (_t, b) => b.endMs / 1000 },
  delta: { kind: 'range', kernel: rate.delta, histograms: 'delta', anchored: true, smoothed: true, fastRate: { isCounter: false, isRate: false } },
  deriv: floats(ot.deriv),
  exp: math('exp'),
  first_over_time: { kind: 'range', kernel: ot.firstOverTime, histograms: 'first', keepsName: true },
  floor: math('floor'),
  histogram_avg: { kind: 'histogram_property', f: (h) => h.sum / h.count, statsOnly: true },
  histogram_count: { kind: 'histogram_property', f: (h) => h.count, statsOnly: true },
  histogram_sum: { kind: 'histogram_property', f: (h) => h.sum, statsOnly: true },
  histogram_stddev: { kind: 'histogram_property', f: (h) => Math.sqrt(histogramVariance(h)), statsOnly: false },
  histogram_stdvar: { kind: 'histogram_property', f: (h) => histogramVariance(h), statsOnly: false },
  histogram_fraction: { kind: 'histogram_stats', stat: 'fraction' },
  histogram_quantile: { kind: 'histogram_stats', stat: 'quantile' },
  histogram_quantiles: { kind: 'histogram_stats', stat: 'quantiles' },
  double_exponential_smoothing: floats(ot.doubleExponentialSmoothing, { checkParams: smoothingFactor }),
  hour: date('hour'),
  idelta: { kind: 'range', kernel: rate.idelta, histograms: 'idelta' },
  increase: {
    kind: 'range',
    kernel: rate.increase,
    histograms: 'increase',
    anchored: true,
    smoothed: true,
    counter: true,
    fastRate: { isCounter: true, isRate: false },
  },
  info: { kind: 'info' },
  irate: { kind: 'range', kernel: rate.irate, histograms: 'irate' },
  label_replace: { kind: 'label_replace' },
  label_join: { kind: 'label_join' },
  max_of: { kind: 'scalar_pair', f: (a, b) => Math.max(a, b) },
  last_over_time: { kind: 'range', kernel: ot.lastOverTime, histograms: 'last', keepsName: true },
  min_of: { kind: 'scalar_pair', f: (a, b) => Math.min(a, b) },
  ln: math('ln'),
  log10: math('log10'),
  log2: math('log2'),
  mad_over_time: floats(ot.madOverTime),
  max_over_time: floats(ot.maxOverTime),
  min_over_time: floats(ot.minOverTime),
  ts_of_first_over_time: { kind: 'range', kernel: ot.tsOfFirstOverTime, histograms: 'ts_of_first' },
  ts_of_max_over_time: floats(ot.tsOfMaxOverTime),
  ts_of_min_over_time: floats(ot.tsOfMinOverTime),
  ts_of_last_over_time: { kind: 'range', kernel: ot.tsOfLastOverTime, histograms: 'ts_of_last' },
  minute: date('minute'),
  month: date('month'),
  pi: { kind: 'step_scalar', f: () => Math.PI },
  predict_linear: floats(ot.predictLinear),
  present_over_time: { kind: 'range', kernel: ot.presentOverTime, histograms: 'present' },
  quantile_over_time: floats(ot.quantileOverTime, { quantileParam: true }),
  rad: math('rad'),
  range: { kind: 'step_scalar', f: (_t, b) => (b.endMs - b.startMs) / 1000 },
  rate: { kind: 'range', kernel: rate.rate, histograms: 'rate', anchored: true, smoothed: true, counter: true, fastRate: { isCounter: true, isRate: true } },
  resets: { kind: 'range', kernel: ot.resets, histograms: 'resets', anchored: true },
  round: { kind: 'round' },
  scalar: { kind: 'to_scalar' },
  sgn: math('sgn'),
  sin: math('sin'),
  sinh: math('sinh'),
  sort: { kind: 'sort', byLabel: false, desc: false },
  sort_desc: { kind: 'sort', byLabel: false, desc: true },
  sort_by_label: { kind: 'sort', byLabel: true, desc: false },
  sort_by_label_desc: { kind: 'sort', byLabel: true, desc: true },
  sqrt: math('sqrt'),
  start: { kind: 'step_scalar', f: (_t, b) => b.startMs / 1000 },
  step: { kind: 'step_scalar', f: (_t, b) => b.stepMs / 1000 },
  stddev_over_time: floats(ot.stddevOverTime),
  stdvar_over_time: floats(ot.stdvarOverTime),
  sum_over_time: { kind: 'range', kernel: ot.sumOverTime, histograms: 'sum' },
  tan: math('tan'),
  tanh: math('tanh'),
  time: { kind: 'step_scalar', f: (t) => t / 1000 },
  timestamp: { kind: 'timestamp' },
  vector: { kind: 'to_vector' },
  year: date('year'),
};

function namesWith(pred: (i: RangeImpl) => boolean): string[] {
  return (Object.keys(FUNCTION_IMPLS) as FunctionName[])
    .filter((n) => {
      const i = FUNCTION_IMPLS[n];
      return i.kind === 'range' && pred(i);
    })
    .sort();
}

/** The functions a range modifier may be used with, in the order the error message lists them. */
export const ANCHORED_FUNCTIONS: readonly string[] = namesWith((i) => i.anchored === true);
export const SMOOTHED_FUNCTIONS: readonly string[] = namesWith((i) => i.smoothed === true);
