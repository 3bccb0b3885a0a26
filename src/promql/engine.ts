/**
 * The PromQL engine: parses (if given text), fetches every selector's data once, then evaluates
 * the whole expression over all steps at once and shapes the result as Prometheus does.
 */
import type { AggregateExpr, Expr } from './ast.js';
import { type Labels, type Querier, compareLabels } from '../model/index.js';
import type { FloatHistogram, HistogramSamples } from '../model/index.js';
import { parseExpr } from './parser.js';
import { type Annotation, Annotations } from './eval/annotations.js';
import { DurationError, type QueryBounds } from './duration.js';
import { DUPLICATE_LABELSET, PromQLError, canceledError, timeoutError, tooManySamplesError } from './eval/errors.js';
import { Evaluator, type StreamedSelector } from './eval/evaluator.js';
import { streamedSelectors } from './eval/streaming.js';
import { fetchSelectors, planSelectors } from './eval/fetch.js';
import { dropMetricName } from './eval/labels.js';
import { extendFloats } from './eval/selectors.js';
import { StepLimitError, stepRange } from './eval/steps.js';
import type { EvalValue, StepSeries } from './eval/types.js';
import { documentedType, typeOf } from './eval/types-of.js';
import { hasDuplicateLabels, mergeSameLabels } from './binary/index.js';

export { PromQLError, type PromQLErrorType } from './eval/errors.js';
export { formatAnnotation, positionString, type Annotation } from './eval/annotations.js';

export interface EngineOptions {
  /** How far back an instant selector looks for a sample (default 5m). */
  lookbackDeltaMs: number;
  /** Most samples one query may hold in any intermediate result (default 50 000 000). */
  maxSamples: number;
  /** Wall-clock limit of one query (default 2m). */
  timeoutMs: number;
  /** Step of subqueries written without one, `[5m:]` (default 1m). */
  defaultSubqueryStepMs: number;
  /** Most series one selector may return (default unlimited). */
  maxSeries: number;
  /**
   * About how many samples an aggregation that streams its selection reads per batch (default
   * 500k, 8 MB of sample columns); 0 turns streaming off (every selection is read whole).
   */
  streamBatchSamples: number;
}

export type Value =
  | { type: 'scalar'; t: number; v: number }
  | { type: 'string'; t: number; v: string }
  | { type: 'vector'; samples: VectorSample[] }
  | { type: 'matrix'; series: MatrixSeries[] };

/** One element of an instant vector: a float `v`, or a native histogram `h` (then `v` is 0). */
export interface VectorSample {
  labels: Labels;
  t: number;
  v: number;
  h?: FloatHistogram;
}

/** One series of a range vector: float points, and native-histogram points when it has any. */
export interface MatrixSeries {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
  histograms?: HistogramSamples;
}

export interface QueryResult {
  value: Value;
  warnings: Annotation[];
  infos: Annotation[];
  stats?: { samples: number; series: number };
}

const DEFAULTS: EngineOptions = {
  lookbackDeltaMs: 5 * 60_000,
  maxSamples: 50_000_000,
  timeoutMs: 2 * 60_000,
  defaultSubqueryStepMs: 60_000,
  maxSeries: Infinity,
  streamBatchSamples: 500_000,
};

/** What a query may still allocate: `charge` throws (a PromQLError) when a budget is exceeded. */
export interface MemoryCharge {
  charge(bytes: number): void;
  /** Bytes charged before that are free again (a streamed batch's). */
  refund?(bytes: number): void;
}

export class Engine {
  readonly opts: EngineOptions;

  constructor(
    opts: Partial<EngineOptions> = {},
    private readonly memory: MemoryCharge | null = null,
  ) {
    const o: EngineOptions = { ...DEFAULTS };
    for (const [k, v] of Object.entries(opts) as [keyof EngineOptions, number | undefined][]) {
      if (v === undefined) continue;
      if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (v === Infinity && k !== 'maxSeries' && k !== 'maxSamples' && k !== 'timeoutMs')) {
        throw new RangeError(`engine option ${k} must be a non-negative number, got ${String(v)}`);
      }
      o[k] = v;
    }
    if (!(o.defaultSubqueryStepMs > 0)) throw new RangeError('engine option defaultSubqueryStepMs must be positive');
    this.opts = o;
  }

  /** `signal` (optional) cancels the query: it then fails with a `canceled` PromQLError. */
  async instantQuery(q: Querier, expr: Expr | string, timeMs: number, signal?: AbortSignal): Promise<QueryResult> {
    checkTime('time', timeMs);
    return this.run(q, expr, timeMs, timeMs, 0, true, signal);
  }

  async rangeQuery(q: Querier, expr: Expr | string, startMs: number, endMs: number, stepMs: number, signal?: AbortSignal): Promise<QueryResult> {
    checkTime('start', startMs);
    checkTime('end', endMs);
    if (!(stepMs > 0) || !Number.isFinite(stepMs))
      throw new PromQLError('bad_data', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (endMs < startMs) throw new PromQLError('bad_data', 'end timestamp must not be before start time');
    return this.run(q, expr, startMs, endMs, stepMs, false, signal);
  }

  private async run(q: Querier, input: Expr | string, start: number, end: number, step: number, instant: boolean, signal?: AbortSignal): Promise<QueryResult> {
    const expr = typeof input === 'string' ? parse(input) : input;
    const type = typeOf(expr);
    if (!instant && type !== 'scalar' && type !== 'vector') {
      throw new PromQLError('bad_data', `invalid expression type ${JSON.stringify(documentedType(type))} for range query, must be Scalar or instant Vector`);
    }
    let r;
    try {
      r = stepRange(start, end, instant ? 0 : step, this.opts.maxSamples);
    } catch (e) {
      if (e instanceof StepLimitError) throw tooManySamplesError();
      throw e;
    }
    const deadline = Date.now() + this.opts.timeoutMs;
    const bounds: QueryBounds = { startMs: start, endMs: end, stepMs: step };
    const plan = await wrapErrors(async () => planSelectors(expr, bounds, this.opts.lookbackDeltaMs, this.opts.defaultSubqueryStepMs));
    // Selectors that an aggregation folds batch by batch are read while it evaluates, not here.
    const sources = new Map<AggregateExpr, StreamedSelector>();
    if (this.opts.streamBatchSamples > 0) {
      for (const [selector, owner] of streamedSelectors(expr)) {
        const span = plan.get(selector);
        if (!span) continue;
        plan.delete(selector);
        sources.set(owner, { selector, matchers: span.matchers, minT: span.minT, maxT: span.maxT, lastOnly: span.lastOnly });
      }
    }
    const fetch = fetchSelectors(q, plan);
    const data = await withDeadline(fetch, deadline, signal);
    let fetchedSamples = 0;
    let fetchedSeries = 0;
    for (const series of data.values()) {
      fetchedSeries += series.length;
      if (series.length > this.opts.maxSeries) {
        throw new PromQLError('execution', `the query selects ${series.length} series, more than the limit of ${this.opts.maxSeries}`);
      }
      for (const s of series) fetchedSamples += s.timestamps.length + (s.histograms?.timestamps.length ?? 0);
    }
    if (fetchedSamples > this.opts.maxSamples) throw tooManySamplesError();
    if (Date.now() >= deadline) throw timeoutError('query execution');
    if (signal?.aborted) throw canceledError('query execution');

    const annos = new Annotations();
    const evaluator = new Evaluator(
      data,
      {
        lookbackDeltaMs: this.opts.lookbackDeltaMs,
        maxSamples: this.opts.maxSamples,
        defaultSubqueryStepMs: this.opts.defaultSubqueryStepMs,
        deadline,
        signal,
        ...(this.memory ? { charge: (bytes: number) => this.memory!.charge(bytes), refund: (bytes: number) => this.memory!.refund?.(bytes) } : {}),
        ...(sources.size > 0 ? { stream: { querier: q, sources, batchSamples: this.opts.streamBatchSamples, maxSeries: this.opts.maxSeries } } : {}),
      },
      bounds,
      annos,
    );
    let value: Value;
    try {
      const v = await wrapErrors(() => evaluator.eval(expr, r));
      value = instant ? instantValue(v, start) : rangeValue(v, r.ts);
    } finally {
      // The shaped value holds copies: the evaluation's pooled step cells can serve the next query.
      evaluator.release();
    }
    const stats = { samples: fetchedSamples + evaluator.streamedSamples, series: fetchedSeries + evaluator.streamedSeries };
    return { value, warnings: annos.warnings, infos: annos.infos, stats };
  }
}

/** Timestamps are integer milliseconds that fit a float64 exactly. */
function checkTime(what: string, t: number): void {
  if (!Number.isFinite(t) || Math.abs(t) > Number.MAX_SAFE_INTEGER) throw new PromQLError('bad_data', `invalid ${what} timestamp: ${String(t)}`);
}

function parse(text: string): Expr {
  try {
    return parseExpr(text);
  } catch (e) {
    if (e instanceof PromQLError) throw e;
    throw new PromQLError('bad_data', e instanceof Error ? e.message : String(e));
  }
}

async function wrapErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof PromQLError) throw e;
    if (e instanceof DurationError) throw new PromQLError('bad_data', e.message);
    if (e instanceof RangeError) throw new PromQLError('execution', `query is too large to evaluate: ${e.message}`);
    throw e;
  }
}

async function withDeadline<T>(p: Promise<T>, deadline: number, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError('query preparation')), Math.max(0, deadline - Date.now()));
    if (signal) {
      onAbort = () => reject(canceledError('query preparation'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([p, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** Delayed `__name__` removal, then the duplicate check, as Prometheus's end-of-evaluation cleanup. */
function finalSeries(series: readonly StepSeries[]): StepSeries[] {
  const cleaned = series.map((s) => (s.dropName ? { ...s, labels: dropMetricName(s.labels), dropName: false } : s));
  return mergeSameLabels(cleaned);
}

function instantValue(v: EvalValue, t: number): Value {
  switch (v.kind) {
    case 'scalar':
      return { type: 'scalar', t, v: v.values[0]! };
    case 'string':
      return { type: 'string', t, v: v.value };
    case 'vector': {
      const samples: VectorSample[] = [];
      for (const s of v.series) {
        const h = s.hist?.[0];
        if (h) {
          samples.push({ labels: s.dropName ? dropMetricName(s.labels) : s.labels, t, v: 0, h });
          continue;
        }
        if (!s.present[0]) continue;
        samples.push({ labels: s.dropName ? dropMetricName(s.labels) : s.labels, t, v: s.values[0]! });
      }
      if (hasDuplicateLabels(samples)) throw new PromQLError('execution', DUPLICATE_LABELSET);
      return { type: 'vector', samples };
    }
    case 'matrix': {
      const end = v.ends[0]!;
      const start = end - v.rangeMs;
      const series: (MatrixSeries & { dropName: boolean })[] = [];
      const before = v.modifier ? (v.lookbackMs ?? 0) : 0;
      const after = v.modifier === 'smoothed' ? (v.lookbackMs ?? 0) : 0;
      for (const s of v.series) {
        let lo = 0;
        while (lo < s.timestamps.length && s.timestamps[lo]! <= start - before) lo++;
        let hi = lo;
        while (hi < s.timestamps.length && s.timestamps[hi]! <= end + after) hi++;
        const hwin = s.histograms ? histogramWindow(s.histograms, start, end) : undefined;
        if (hi === lo && !hwin) continue;
        const labels = s.dropName ? dropMetricName(s.labels) : s.labels;
        let timestamps: Float64Array = s.timestamps.slice(lo, hi);
        let values: Float64Array = s.values.slice(lo, hi);
        if (v.modifier) {
          const ext = extendFloats(timestamps, values, start, end, v.modifier === 'smoothed');
          if (!ext) continue;
          ({ timestamps, values } = ext);
        }
        series.push(hwin ? { labels, timestamps, values, histograms: hwin, dropName: false } : { labels, timestamps, values, dropName: false });
      }
      series.sort((a, b) => compareLabels(a.labels, b.labels));
      for (let i = 1; i < series.length; i++) {
        if (compareLabels(series[i - 1]!.labels, series[i]!.labels) === 0) throw new PromQLError('execution', DUPLICATE_LABELSET);
      }
      return { type: 'matrix', series: series.map(({ dropName: _d, ...rest }) => rest) };
    }
  }
}

function rangeValue(v: EvalValue, ts: Float64Array): Value {
  let series: StepSeries[];
  if (v.kind === 'scalar') series = [{ labels: [], values: v.values, present: new Uint8Array(ts.length).fill(1), dropName: false }];
  else if (v.kind === 'vector') series = finalSeries(v.series);
  else
    throw new PromQLError(
      'bad_data',
      `invalid expression type ${JSON.stringify(v.kind === 'matrix' ? 'range vector' : v.kind)} for range query, must be Scalar or instant Vector`,
    );
  const out: MatrixSeries[] = [];
  for (const s of series) {
    let n = 0;
    for (let i = 0; i < ts.length; i++) n += s.present[i]!;
    const histograms = s.hist ? histogramPoints(s.hist, ts) : undefined;
    if (n === 0 && !histograms) continue;
    const timestamps = new Float64Array(n);
    const values = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < ts.length; i++) {
      if (!s.present[i]) continue;
      timestamps[k] = ts[i]!;
      values[k] = s.values[i]!;
      k++;
    }
    out.push(histograms ? { labels: s.labels, timestamps, values, histograms } : { labels: s.labels, timestamps, values });
  }
  out.sort((a, b) => compareLabels(a.labels, b.labels));
  return { type: 'matrix', series: out };
}

function histogramPoints(hist: readonly (FloatHistogram | undefined)[], ts: Float64Array): HistogramSamples | undefined {
  const t: number[] = [];
  const hs: FloatHistogram[] = [];
  for (let i = 0; i < ts.length; i++) {
    const h = hist[i];
    if (!h) continue;
    t.push(ts[i]!);
    hs.push(h);
  }
  return hs.length > 0 ? { timestamps: Float64Array.from(t), histograms: hs } : undefined;
}

/** The histogram samples in (start, end]. */
function histogramWindow(h: HistogramSamples, start: number, end: number): HistogramSamples | undefined {
  let lo = 0;
  while (lo < h.timestamps.length && h.timestamps[lo]! <= start) lo++;
  let hi = lo;
  while (hi < h.timestamps.length && h.timestamps[hi]! <= end) hi++;
  return hi > lo ? { timestamps: h.timestamps.slice(lo, hi), histograms: h.histograms.slice(lo, hi) } : undefined;
}
