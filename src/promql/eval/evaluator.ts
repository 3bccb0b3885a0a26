import type { AggregateExpr, BinaryExpr, Call, Expr, MatrixSelector, SubqueryExpr, VectorMatching, VectorSelector } from '../ast.js';
import { type Label, type Labels, METRIC_NAME, compareLabels, getLabel, labelsKey, sortLabels } from '../../model/index.js';
import { AggregateAccumulator, aggregate } from '../aggregations/index.js';
import { arithmetic, compare, isComparison, mergeSameLabels, setOperation, vectorScalarBinop, vectorVectorBinop } from '../binary/index.js';
import {
  ANCHORED_FUNCTIONS,
  type Bucket,
  FUNCTION_IMPLS,
  type RangeImpl,
  SMOOTHED_FUNCTIONS,
  bucketFraction,
  bucketQuantile,
  clampValue,
  compileAnchored,
  expandTemplate,
  extrapolatedRateSteps,
  isValidLabelName,
  naturalLess,
  newWindow,
  roundTo,
} from '../functions/index.js';
import type { ArithmeticOp, ComparisonOp, SetOp } from '../ast.js';
import { type Annotations } from './annotations.js';
import { formatFloatG, goQuote } from '../../go-format/index.js';
import { atMs, durationMs, type QueryBounds } from '../duration.js';
import { PromQLError, canceledError, timeoutError, tooManySamplesError } from './errors.js';
import { setLabel } from './labels.js';
import type { FetchedData } from './fetch.js';
import { combineWithInfo, infoTimestampAndOffset, selectInfoSeries } from './info.js';
import { selectInstant, selectSmoothed, stepSeriesToRange, withoutStaleMarkers } from './selectors.js';
import { type StepRange, StepLimitError, subqueryRange } from './steps.js';
import {
  type EvalValue,
  type MatrixValue,
  type StepSeries,
  type VectorValue,
  StepSlab,
  countPresent,
  hasSample,
  newStepSeries,
  stepSlabPool,
} from './types.js';
import { documentedType, typeOf, unwrapParens } from './types-of.js';
import { withDetectedResets, withUnknownResets } from './stats-hints.js';
import { CounterResetHint } from '../../model/index.js';
import { scale, withHint } from '../histogram/index.js';
import type { LabelMatcher, Querier, Series } from '../../model/index.js';
import { streamOf } from './streaming.js';
import { type RangeNotes, histogramRangeSteps, smoothedHistogramSeries } from './histogram-steps.js';
import { histogramMessages, reportBinopNotes, reportHistogramNotes } from './histogram-notes.js';
import type { BinopNotes } from '../binary/histogram-binop.js';
import {
  type HistogramAggregateNotes,
  HISTOGRAM_IGNORING_AGGREGATIONS,
  aggregateHistograms,
  countHistogramValues,
  hasHistograms,
  histogramsAsPresent,
} from '../aggregations/histogram-aggregate.js';
import type { AggregateSpec } from '../aggregations/aggregate.js';
import { mapHistograms, nativeHistogramStats, openMetricsFloat } from './histogram-functions.js';
import { isFunctionName } from '../function-signatures.js';

export interface EvaluatorOptions {
  lookbackDeltaMs: number;
  maxSamples: number;
  defaultSubqueryStepMs: number;
  /** Wall-clock time (ms since epoch) after which the query fails with a timeout. */
  deadline: number;
  /** Aborting it cancels the evaluation at its next pause point. */
  signal?: AbortSignal;
  /** Told the bytes of each step grid allocated (a query memory budget may refuse by throwing). */
  charge?: (bytes: number) => void;
  /** Told the bytes of step grids given back (what a streamed batch held). */
  refund?: (bytes: number) => void;
  /** Aggregations that read their selector batch by batch (see streaming.ts), and from where. */
  stream?: StreamOptions;
}

/** A selector an aggregation streams: the engine did not fetch it beforehand. */
export interface StreamedSelector {
  readonly selector: VectorSelector;
  readonly matchers: readonly LabelMatcher[];
  readonly minT: number;
  readonly maxT: number;
  /** Only each series' newest sample is read (see SelectHints). */
  readonly lastOnly: boolean;
}

export interface StreamOptions {
  readonly querier: Querier;
  /** The streamed aggregations and the selector each reads. */
  readonly sources: ReadonlyMap<AggregateExpr, StreamedSelector>;
  /** About how many samples one batch may hold. */
  readonly batchSamples: number;
  /** Most series one selector may select. */
  readonly maxSeries: number;
}

/** Batches start this small and grow, so a selection of huge series never reads many at once. */
const FIRST_BATCH_SERIES = 4;
const MAX_BATCH_SERIES = 8192;

/** How long one evaluation may run before letting other work on the event loop proceed. */
const YIELD_EVERY_MS = 10;
const SELECT_CHUNK = 512;

const COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket'];

/**
 * Evaluates an expression over all steps of a grid at once. Each vector node yields its series
 * with one value slot per step, so a range query is the same work as an instant query per series,
 * and every selector's data (fetched beforehand) is walked once per series.
 */
export class Evaluator {
  private readonly window = newWindow();
  private lastYield = Date.now();
  private readonly pause = (): Promise<void> => this.tick();
  private readonly slabs: StepSlab[] = [];
  private readonly slabBytes: number[] = [];
  /** The batch a streamed selector currently reads (see streamedAggregate). */
  private readonly batches = new Map<Expr, Series[]>();
  /** Streamed selectors read whole after all (their input held native histograms). */
  private readonly late = new Map<Expr, Series[]>();
  /** Samples and series read by streamed selectors, for the query's statistics. */
  streamedSamples = 0;
  streamedSeries = 0;
  /** Inside histogram_count/_sum/_avg: selectors read histograms as Prometheus's stats iterator does. */
  private statsDecoding = 0;

  constructor(
    private readonly data: FetchedData,
    private readonly opts: EvaluatorOptions,
    private readonly bounds: QueryBounds,
    private readonly annos: Annotations,
  ) {}

  async eval(e: Expr, r: StepRange): Promise<EvalValue> {
    await this.tick();
    switch (e.kind) {
      case 'NumberLiteral':
        return { kind: 'scalar', values: new Float64Array(r.numSteps).fill(e.value) };
      case 'StringLiteral':
        return { kind: 'string', value: e.value };
      case 'ParenExpr':
        return await this.eval(e.expr, r);
      case 'UnaryExpr':
        return this.unary(e.op, await this.eval(e.expr, r));
      case 'VectorSelector':
        return await this.vectorSelector(e, r);
      case 'MatrixSelector':
        return this.matrixSelector(e, r);
      case 'SubqueryExpr':
        return await this.subquery(e, r);
      case 'Call':
        return await this.call(e, r);
      case 'AggregateExpr':
        return await this.aggregate(e, r);
      case 'BinaryExpr':
        return await this.binary(e, r);
    }
  }

  /** Step cells from the shared pool, given back by release(). */
  private newSlab(numSteps: number, expectedSeries: number): StepSlab {
    // A float64 value and a presence byte per step and series.
    const bytes = numSteps * expectedSeries * 9;
    this.opts.charge?.(bytes);
    const slab = new StepSlab(numSteps, expectedSeries, stepSlabPool);
    this.slabs.push(slab);
    this.slabBytes.push(bytes);
    return slab;
  }

  /** Gives back the step cells taken since `mark` (a streamed batch's, once folded). */
  private releaseSince(mark: number): void {
    let bytes = 0;
    for (let i = mark; i < this.slabs.length; i++) {
      this.slabs[i]!.release();
      bytes += this.slabBytes[i]!;
    }
    this.slabs.length = mark;
    this.slabBytes.length = mark;
    if (bytes > 0) this.opts.refund?.(bytes);
  }

  /**
   * Returns the pooled step cells of this evaluation. Call once its result has been copied out
   * (the engine's final shaping does); the series it produced must no longer be read.
   */
  release(): void {
    for (const s of this.slabs) s.release();
    this.slabs.length = 0;
    this.slabBytes.length = 0;
  }

  /**
   * Gives the event loop a turn (ingestion, other requests) when this evaluation has held it for
   * more than YIELD_EVERY_MS, and enforces the deadline.
   */
  private async tick(): Promise<void> {
    const now = Date.now();
    if (now >= this.opts.deadline) throw timeoutError('expression evaluation');
    if (this.opts.signal?.aborted) throw canceledError('expression evaluation');
    if (now - this.lastYield < YIELD_EVERY_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = Date.now();
  }

  /**
   * Vector results hold one slot per series and step, present or not: refuse layouts far larger
   * than the sample limit before allocating them.
   */
  private checkCells(numSeries: number, numSteps: number): void {
    if (numSeries * numSteps > 2 * this.opts.maxSamples) throw tooManySamplesError();
  }

  private count(series: readonly StepSeries[]): void {
    let n = 0;
    for (const s of series) n += countPresent(s);
    if (n > this.opts.maxSamples) throw tooManySamplesError();
  }

  private async vector(e: Expr, r: StepRange): Promise<VectorValue> {
    const v = await this.eval(e, r);
    if (v.kind !== 'vector') throw new PromQLError('bad_data', `expected type instant vector, got ${v.kind === 'matrix' ? 'range vector' : v.kind}`);
    return v;
  }

  private async scalar(e: Expr, r: StepRange): Promise<Float64Array> {
    const v = await this.eval(e, r);
    if (v.kind !== 'scalar')
      throw new PromQLError('bad_data', `expected type scalar, got ${v.kind === 'matrix' ? 'range vector' : v.kind === 'vector' ? 'instant vector' : v.kind}`);
    return v.values;
  }

  private stringArg(e: Expr): string {
    const u = unwrapParens(e);
    if (u.kind !== 'StringLiteral') throw new PromQLError('bad_data', `expected type string, got ${documentedType(typeOf(e))}`);
    return u.value;
  }

  private unary(op: '+' | '-', v: EvalValue): EvalValue {
    if (op === '+') return v;
    if (v.kind === 'scalar') return { kind: 'scalar', values: v.values.map((x) => -x) };
    if (v.kind !== 'vector') throw new PromQLError('bad_data', 'unary expression only allowed on expressions of type scalar or instant vector');
    return {
      kind: 'vector',
      series: v.series.map((s) => {
        const o: StepSeries = { labels: s.labels, values: s.values.map((x) => -x), present: s.present, dropName: true };
        // A negated histogram is a gauge.
        if (s.hist) o.hist = s.hist.map((h) => (h ? withHint(scale(h, -1), CounterResetHint.Gauge) : undefined));
        return o;
      }),
    };
  }

  private refTimes(at: number | null, offset: number, r: StepRange): Float64Array {
    const out = new Float64Array(r.numSteps);
    for (let i = 0; i < r.numSteps; i++) out[i] = (at ?? r.ts[i]!) - offset;
    return out;
  }

  private async vectorSelector(e: VectorSelector, r: StepRange, timestamps = false): Promise<VectorValue> {
    const refT = this.refTimes(atMs(e.at, this.bounds), durationMs(e.offset, this.bounds, true), r);
    const input = this.selected(e);
    this.checkCells(input.length, r.numSteps);
    if (e.modifier === 'smoothed' && !timestamps) {
      const series: StepSeries[] = [];
      for (const s of withoutStaleMarkers(input)) {
        if (!s.histograms) {
          series.push(...selectSmoothed([s], refT, this.opts.lookbackDeltaMs));
          continue;
        }
        const notes: RangeNotes = {};
        const h = smoothedHistogramSeries(s, refT, this.opts.lookbackDeltaMs, notes);
        if (h) series.push(h);
        reportHistogramNotes(this.annos, notes, getLabel(s.labels, METRIC_NAME), e.pos);
      }
      this.count(series);
      return { kind: 'vector', series };
    }
    const series: StepSeries[] = [];
    const slab = this.newSlab(r.numSteps, input.length);
    for (let i = 0; i < input.length; i += SELECT_CHUNK) {
      if (i > 0) await this.tick();
      series.push(...selectInstant(input.slice(i, i + SELECT_CHUNK), refT, this.opts.lookbackDeltaMs, timestamps, slab));
    }
    this.count(series);
    return { kind: 'vector', series };
  }

  private selected(e: VectorSelector): Series[] {
    const input = this.batches.get(e) ?? this.late.get(e) ?? this.data.get(e) ?? [];
    return this.statsDecoding > 0 ? withDetectedResets(input) : input;
  }

  private matrixSelector(e: MatrixSelector, r: StepRange): MatrixValue {
    const vs = e.vector;
    const ends = this.refTimes(atMs(vs.at, this.bounds), durationMs(vs.offset, this.bounds, true), r);
    const m: MatrixValue = { kind: 'matrix', series: withoutStaleMarkers(this.selected(vs)), rangeMs: durationMs(e.range, this.bounds), ends };
    if (e.modifier) {
      m.modifier = e.modifier;
      m.lookbackMs = this.opts.lookbackDeltaMs;
    }
    return m;
  }

  private async subquery(e: SubqueryExpr, r: StepRange): Promise<MatrixValue> {
    const at = atMs(e.at, this.bounds);
    const offset = durationMs(e.offset, this.bounds, true);
    const range = durationMs(e.range, this.bounds);
    const step = e.step ? durationMs(e.step, this.bounds) : this.opts.defaultSubqueryStepMs;
    if (!(step > 0)) throw new PromQLError('bad_data', 'zero or negative subquery step');
    // Every step of the inner grid holds a value per series: refuse grids that cannot fit.
    const max = this.opts.maxSamples;
    let sub: StepRange;
    try {
      sub = at === null ? subqueryRange(r.start, r.end, r.interval, offset, range, step, max) : subqueryRange(at, at, 0, offset, range, step, max);
    } catch (e) {
      if (e instanceof StepLimitError) throw tooManySamplesError();
      throw e;
    }
    const inner = await this.eval(e.expr, sub);
    let series;
    if (inner.kind === 'vector') series = withUnknownResets(stepSeriesToRange(inner.series, sub.ts));
    else if (inner.kind === 'scalar') series = [{ labels: [] as Labels, timestamps: sub.ts, values: inner.values, dropName: false }];
    else throw new PromQLError('bad_data', `subquery is only allowed on instant vector, got ${documentedType(typeOf(e.expr))}`);
    let total = 0;
    for (const s of series) total += s.timestamps.length;
    if (total > this.opts.maxSamples) throw tooManySamplesError();
    return { kind: 'matrix', series, rangeMs: range, ends: this.refTimes(at, offset, r) };
  }

  // ---------------------------------------------------------------- binary operators

  private async binary(e: BinaryExpr, r: StepRange): Promise<EvalValue> {
    const lt = typeOf(e.lhs);
    const rt = typeOf(e.rhs);
    const op = e.op;
    if (lt === 'scalar' && rt === 'scalar') {
      const l = await this.scalar(e.lhs, r);
      const rv = await this.scalar(e.rhs, r);
      const out = new Float64Array(r.numSteps);
      for (let i = 0; i < r.numSteps; i++) {
        out[i] = isComparison(op) ? (compare(op, l[i]!, rv[i]!) ? 1 : 0) : arithmetic(op as ArithmeticOp, l[i]!, rv[i]!);
      }
      return { kind: 'scalar', values: out };
    }
    if (op === 'and' || op === 'or' || op === 'unless') {
      if (lt !== 'vector' || rt !== 'vector') throw new PromQLError('bad_data', `set operator "${op}" not allowed in binary scalar expression`);
      const l = await this.vector(e.lhs, r);
      const rv = await this.vector(e.rhs, r);
      return {
        kind: 'vector',
        series: await setOperation(op as SetOp, l.series, rv.series, e.matching ?? defaultMatching('many-to-many'), r.numSteps, this.pause),
      };
    }
    const arithOrCmp = op as ArithmeticOp | ComparisonOp;
    const notes: BinopNotes = {};
    let series: StepSeries[];
    if (lt === 'vector' && rt === 'scalar') {
      const l = await this.vector(e.lhs, r);
      series = vectorScalarBinop(arithOrCmp, l.series, await this.scalar(e.rhs, r), false, e.returnBool, notes);
    } else if (lt === 'scalar' && rt === 'vector') {
      const s = await this.scalar(e.lhs, r);
      series = vectorScalarBinop(arithOrCmp, (await this.vector(e.rhs, r)).series, s, true, e.returnBool, notes);
    } else {
      const l = await this.vector(e.lhs, r);
      const rv = await this.vector(e.rhs, r);
      series = await vectorVectorBinop(
        arithOrCmp,
        l.series,
        rv.series,
        e.matching ?? defaultMatching('one-to-one'),
        e.returnBool,
        r.numSteps,
        this.pause,
        notes,
      );
      this.count(series);
      series = mergeSameLabels(series);
    }
    reportBinopNotes(this.annos, notes, op, e.pos);
    return { kind: 'vector', series };
  }

  // ---------------------------------------------------------------- aggregations

  private async aggregate(e: AggregateExpr, r: StepRange): Promise<VectorValue> {
    let param: Float64Array | null = null;
    let label = '';
    if (e.op === 'count_values') {
      label = this.stringArg(e.param!);
      if (!isValidLabelName(label)) throw new PromQLError('execution', `invalid label name ${goQuote(label)}`);
    } else if (e.param) {
      param = await this.scalar(e.param, r);
    }
    const spec = { op: e.op, grouping: e.grouping, without: e.without, param, label };
    const source = this.opts.stream?.sources.get(e);
    if (source) {
      const streamed = await this.streamedAggregate(e, source, spec, r);
      if (streamed) return streamed;
    }
    const input = await this.vector(e.expr, r);
    if (param && e.param) this.checkAggregationParam(e, param);
    if (hasHistograms(input.series)) return await this.aggregateWithHistograms(e, input.series, spec, r);
    const series = await aggregate(input.series, spec, r.numSteps, this.pause);
    this.count(series);
    return { kind: 'vector', series };
  }

  /**
   * A folding aggregation read batch by batch: each batch of the selection is evaluated, folded
   * into the groups and dropped (its samples and step cells), so the memory held is one batch and
   * the groups. Batches come in the order a whole selection would, so the result is the same
   * bits. Null when the input turns out to hold native histograms: then the caller evaluates the
   * aggregation over the whole selection, read again, as before.
   */
  private async streamedAggregate(e: AggregateExpr, source: StreamedSelector, spec: AggregateSpec, r: StepRange): Promise<VectorValue | null> {
    const opts = this.opts.stream!;
    const vs = source.selector;
    const stream = await streamOf(opts.querier, source.matchers, source.minT, source.maxT, source.lastOnly ? { lastOnly: true } : undefined);
    const acc = new AggregateAccumulator(spec, r.numSteps);
    try {
      if (stream.matched > opts.maxSeries) {
        throw new PromQLError('execution', `the query selects ${stream.matched} series, more than the limit of ${opts.maxSeries}`);
      }
      let batchSeries = FIRST_BATCH_SERIES;
      for (;;) {
        await this.tick();
        const batch = await stream.next(batchSeries);
        if (batch === null) break;
        let samples = 0;
        for (const s of batch) samples += s.timestamps.length + (s.histograms?.timestamps.length ?? 0);
        if (samples > this.opts.maxSamples) throw tooManySamplesError();
        this.streamedSamples += samples;
        this.streamedSeries += batch.length;
        const mark = this.slabs.length;
        this.batches.set(vs, batch);
        try {
          const input = await this.vector(e.expr, r);
          if (hasHistograms(input.series)) {
            await this.fetchWhole(source);
            return null;
          }
          await acc.add(input.series, this.pause);
        } finally {
          this.batches.delete(vs);
          this.releaseSince(mark);
        }
        // Size the next batch by what this one held per series.
        const perSeries = Math.max(1, samples / Math.max(1, batch.length));
        batchSeries = Math.max(1, Math.min(MAX_BATCH_SERIES, batchSeries * 4, Math.floor(opts.batchSamples / perSeries)));
      }
    } finally {
      stream.close();
    }
    const series = acc.finish();
    this.count(series);
    return { kind: 'vector', series };
  }

  /** Reads a streamed selector's whole selection, for the evaluation that needs it at once. */
  private async fetchWhole(source: StreamedSelector): Promise<void> {
    const series = await this.opts.stream!.querier.select(source.matchers, source.minT, source.maxT, source.lastOnly ? { lastOnly: true } : undefined);
    let samples = 0;
    for (const s of series) samples += s.timestamps.length + (s.histograms?.timestamps.length ?? 0);
    if (samples > this.opts.maxSamples) throw tooManySamplesError();
    this.streamedSamples += samples;
    this.streamedSeries += series.length;
    this.late.set(source.selector, series);
  }

  /** The aggregation rules for inputs holding native histograms (the float path stays as is). */
  private async aggregateWithHistograms(e: AggregateExpr, input: StepSeries[], spec: AggregateSpec, r: StepRange): Promise<VectorValue> {
    const op = e.op;
    let series: StepSeries[];
    const notes: HistogramAggregateNotes = {};
    if (op === 'count' || op === 'group') series = await aggregate(histogramsAsPresent(input), spec, r.numSteps, this.pause);
    else if (op === 'count_values') {
      series = await aggregate(input, spec, r.numSteps, this.pause);
      series.push(...countHistogramValues(input, spec, r.numSteps));
      series = mergeSameLabels(series);
    } else if (op === 'sum' || op === 'avg') {
      series = aggregateHistograms(input, await aggregate(input, spec, r.numSteps, this.pause), op, e.grouping, e.without, r.numSteps, notes);
    } else {
      if (HISTOGRAM_IGNORING_AGGREGATIONS.has(op)) this.annos.information(histogramMessages.ignoredInAggregation(op), e.pos);
      series = await aggregate(input, spec, r.numSteps, this.pause);
    }
    if (notes.mixedFloats) this.annos.warning(histogramMessages.mixedFloatsAggregation(op), e.pos);
    if (notes.mixedSchemas) this.annos.warning(histogramMessages.mixedSchemasAggregation(), e.pos);
    if (notes.resetCollision) this.annos.warning(histogramMessages.conflictingResets(), e.expr.pos);
    if (notes.reconciled) this.annos.information(histogramMessages.reconciled('aggregation'), e.pos);
    this.count(series);
    return { kind: 'vector', series };
  }

  private checkAggregationParam(e: AggregateExpr, param: Float64Array): void {
    let max = -Number.MAX_VALUE;
    let min = Number.MAX_VALUE;
    let nan = false;
    for (const p of param) {
      if (Number.isNaN(p)) nan = true;
      max = Math.max(max, p);
      min = Math.min(min, p);
    }
    const pos = e.param!.pos;
    if (e.op === 'quantile') {
      if (nan) this.annos.warning(`quantile value should be between 0 and 1, got NaN`, pos);
      if (max > 1) this.annos.warning(`quantile value should be between 0 and 1, got ${formatFloatG(max)}`, pos);
      if (min < 0) this.annos.warning(`quantile value should be between 0 and 1, got ${formatFloatG(min)}`, pos);
    } else if (e.op === 'limit_ratio' && !nan && !(max === 0 && min === 0)) {
      if (max > 1) this.annos.warning(`ratio value should be between -1 and 1, got ${formatFloatG(max)}, capping to 1`, pos);
      if (min < -1) this.annos.warning(`ratio value should be between -1 and 1, got ${formatFloatG(min)}, capping to -1`, pos);
    }
  }

  // ---------------------------------------------------------------- function calls

  private async call(e: Call, r: StepRange): Promise<EvalValue> {
    if (!isFunctionName(e.func)) throw new PromQLError('bad_data', `function "${e.func}" is not supported`);
    const impl = FUNCTION_IMPLS[e.func];
    const args = e.args;
    const n = r.numSteps;
    switch (impl.kind) {
      case 'range':
      case 'absent_over_time':
        return await this.rangeFunction(e, impl, r);
      case 'step_scalar': {
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) values[i] = impl.f(r.ts[i]!, this.bounds);
        return { kind: 'scalar', values };
      }
      case 'scalar_pair': {
        const a = await this.scalar(args[0]!, r);
        const b = await this.scalar(args[1]!, r);
        return { kind: 'scalar', values: a.map((x, i) => impl.f(x, b[i]!)) };
      }
      case 'to_scalar': {
        const v = await this.vector(args[0]!, r);
        const out = new Float64Array(n).fill(NaN);
        for (let i = 0; i < n; i++) {
          let found = 0;
          for (const s of v.series) {
            if (!s.present[i]) continue;
            found++;
            out[i] = found === 1 ? s.values[i]! : NaN;
          }
        }
        return { kind: 'scalar', values: out };
      }
      case 'to_vector': {
        const s = await this.scalar(args[0]!, r);
        return { kind: 'vector', series: [{ labels: [], values: s, present: new Uint8Array(n).fill(1), dropName: false }] };
      }
      case 'round': {
        const v = await this.vector(args[0]!, r);
        const to = args.length > 1 ? await this.scalar(args[1]!, r) : new Float64Array(n).fill(1);
        return this.mapVector(v, (x, i) => roundTo(x, to[i]!));
      }
      case 'clamp': {
        const v = await this.vector(args[0]!, r);
        const lo = impl.lower ? await this.scalar(args[1]!, r) : new Float64Array(n).fill(-Infinity);
        const hi = impl.upper ? await this.scalar(args[impl.lower ? 2 : 1]!, r) : new Float64Array(n).fill(Infinity);
        return this.mapVector(v, (x, i) => (hi[i]! < lo[i]! ? undefined : clampValue(x, lo[i]!, hi[i]!)));
      }
      case 'timestamp': {
        const arg = unwrapParens(args[0]!);
        if (arg.kind === 'VectorSelector') {
          const v = await this.vectorSelector(arg, r, true);
          return { kind: 'vector', series: v.series.map((s) => ({ ...s, dropName: true })) };
        }
        const v = await this.vector(arg, r);
        return this.mapVector(v, (_x, i) => r.ts[i]! / 1000);
      }
      case 'absent': {
        const v = await this.vector(args[0]!, r);
        const out = newStepSeries(absentLabels(args[0]!), n);
        for (let i = 0; i < n; i++) {
          if (v.series.some((s) => hasSample(s, i))) continue;
          out.values[i] = 1;
          out.present[i] = 1;
        }
        return { kind: 'vector', series: out.present.includes(1) ? [out] : [] };
      }
      case 'info':
        return await this.info(e, r);
      case 'sort':
        return await this.sort(e, impl.byLabel, impl.desc, r);
      case 'label_replace':
        return await this.labelReplace(e, r);
      case 'label_join':
        return await this.labelJoin(e, r);
      case 'histogram_stats':
        return await this.histogramStats(e, impl.stat, r);
      case 'histogram_property': {
        // Only native histogram samples have these; float samples are ignored.
        if (impl.statsOnly) this.statsDecoding++;
        try {
          return mapHistograms(await this.vector(args[0]!, r), impl.f);
        } finally {
          if (impl.statsOnly) this.statsDecoding--;
        }
      }
      case 'math':
        return this.mapVector(await this.vector(args[0]!, r), (x) => impl.f(x));
      case 'date': {
        if (args.length === 0) {
          const values = r.ts.map((t) => impl.f(Math.trunc(t / 1000)));
          return { kind: 'vector', series: [{ labels: [], values, present: new Uint8Array(n).fill(1), dropName: false }] };
        }
        return this.mapVector(await this.vector(args[0]!, r), (x) => impl.f(x));
      }
    }
  }

  /** Applies a per-sample function; the result drops the metric name (delayed). */
  private mapVector(v: VectorValue, f: (x: number, step: number) => number | undefined): VectorValue {
    const out: StepSeries[] = [];
    for (const s of v.series) {
      const o = newStepSeries(s.labels, s.values.length, true);
      let any = false;
      for (let i = 0; i < s.values.length; i++) {
        if (!s.present[i]) continue;
        const y = f(s.values[i]!, i);
        if (y === undefined) continue;
        o.values[i] = y;
        o.present[i] = 1;
        any = true;
      }
      if (any) out.push(o);
    }
    return { kind: 'vector', series: out };
  }

  private async rangeFunction(e: Call, impl: RangeImpl | { kind: 'absent_over_time' }, r: StepRange): Promise<VectorValue> {
    const name = e.func;
    const args = e.args;
    const mIndex = args.findIndex((a) => {
      const t = typeOf(a);
      return t === 'matrix';
    });
    if (mIndex < 0) throw new PromQLError('bad_data', `expected type range vector in call to function "${name}"`);
    const mArg = unwrapParens(args[mIndex]!);
    const modifier = mArg.kind === 'MatrixSelector' ? mArg.modifier : undefined;
    if (modifier) {
      const allowed = impl.kind === 'range' && (modifier === 'anchored' ? impl.anchored : impl.smoothed) === true;
      const safe = modifier === 'anchored' ? ANCHORED_FUNCTIONS : SMOOTHED_FUNCTIONS;
      if (!allowed) throw new PromQLError('execution', `${modifier} modifier can only be used with: ${safe.join(', ')} - not with ${name}`);
    }
    const mod = modifier === 'anchored' ? 1 : modifier === 'smoothed' ? 2 : 0;
    const before = mod === 0 ? 0 : this.opts.lookbackDeltaMs;
    const after = mod === 2 ? this.opts.lookbackDeltaMs : 0;
    const scalars: Float64Array[] = [];
    for (let i = 0; i < args.length; i++) if (i !== mIndex) scalars.push(await this.scalar(args[i]!, r));
    const m = (await this.eval(mArg, r)) as MatrixValue;
    const n = r.numSteps;
    if (impl.kind === 'absent_over_time') return this.absentOverTime(m, mArg, n);
    const kernel = impl.kernel;
    const p0 = scalars[0];
    const p1 = scalars[1];
    if (impl.checkParams) {
      for (let i = 0; i < n; i++) {
        const problem = impl.checkParams(p0 ? p0[i]! : NaN, p1 ? p1[i]! : NaN);
        if (problem !== null) throw new PromQLError('execution', problem);
      }
    }
    this.checkCells(m.series.length, n);
    const keepName = impl.keepsName === true;
    const counterKernel = impl.counter === true;
    const slab = this.newSlab(n, m.series.length);
    const ends = m.ends;
    const rangeMs = m.rangeMs;
    const stepTimes = r.ts;
    const checkQuantile = impl.quantileParam === true;
    const fastRate = mod === 0 ? impl.fastRate : undefined;
    const w = this.window;
    const out: StepSeries[] = [];
    let warnedQuantile = false;
    let visited = 0;
    for (const s of m.series) {
      // Each await costs a microtask turn: check the clock every few series, not for each.
      if ((visited++ & 15) === 0) await this.tick();
      const ts = s.timestamps;
      const len = ts.length;
      w.ts = ts;
      w.vs = s.values;
      w.rangeMs = m.rangeMs;
      w.mod = mod;
      w.monotonic = counterKernel && isMonotonic(s.values);
      const o = slab.series(s.labels, !keepName || s.dropName);
      let any = false;
      let lo = 0;
      let hi = 0;
      let prevEnd = -Infinity;
      // rate/increase/delta have a loop of their own; every other function goes window by window.
      if (fastRate) any = extrapolatedRateSteps(ts, s.values, ends, rangeMs, fastRate.isCounter, fastRate.isRate, w.monotonic, o.values, o.present);
      else
        for (let i = 0; i < n; i++) {
          const end = ends[i]!;
          const start = end - rangeMs;
          if (end < prevEnd) {
            lo = 0;
            hi = 0;
          }
          prevEnd = end;
          while (hi < len && ts[hi]! <= end + after) hi++;
          while (lo < hi && ts[lo]! <= start - before) lo++;
          if (lo >= hi) continue;
          w.lo = lo;
          w.hi = hi;
          w.rangeStart = start;
          w.rangeEnd = end;
          w.evalT = stepTimes[i]!;
          if (p0) w.p0 = p0[i]!;
          if (p1) w.p1 = p1[i]!;
          if (checkQuantile && !warnedQuantile) {
            const q = w.p0;
            if (Number.isNaN(q) || q < 0 || q > 1) {
              this.annos.warning(`quantile value should be between 0 and 1, got ${formatFloatG(q)}`, args[0]!.pos);
              warnedQuantile = true;
            }
          }
          const v = kernel(w);
          if (v === undefined) continue;
          o.values[i] = v;
          o.present[i] = 1;
          any = true;
        }
      if (s.histograms) {
        const notes: RangeNotes = {};
        if (histogramRangeSteps(impl.histograms, s, o, ends, rangeMs, before, after, notes)) any = true;
        reportHistogramNotes(this.annos, notes, getLabel(s.labels, METRIC_NAME), args[mIndex]!.pos);
      }
      if (!any) {
        slab.giveBack(o);
        continue;
      }
      out.push(o);
      if (counterKernel && s.timestamps.length > 0) {
        const metric = getLabel(s.labels, METRIC_NAME);
        if (metric !== '' && !COUNTER_SUFFIXES.some((x) => metric.endsWith(x))) {
          this.annos.information(`metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${goQuote(metric)}`, args[mIndex]!.pos);
        }
      }
    }
    this.count(out);
    return { kind: 'vector', series: out };
  }

  private async info(e: Call, r: StepRange): Promise<VectorValue> {
    const base = await this.vector(e.args[0]!, r);
    const { series, ignored, dataMatchers } = selectInfoSeries(e, base.series, this.data.get(e) ?? []);
    for (const s of series) {
      // Info metrics carry labels in float samples; a histogram there is a mistake, as in Prometheus.
      if (s.histograms && s.histograms.timestamps.length > 0)
        throw new PromQLError('execution', `info series must hold float samples, ${goQuote(getLabel(s.labels, METRIC_NAME))} holds native histograms`);
    }
    const { at, offset } = infoTimestampAndOffset(e.args[0]!, this.bounds);
    const info = selectInstant(series, this.refTimes(at, offset, r), this.opts.lookbackDeltaMs, true);
    const out = combineWithInfo(base.series, info, ignored, dataMatchers, r.numSteps);
    this.count(out);
    return { kind: 'vector', series: out };
  }

  private absentOverTime(m: MatrixValue, arg: Expr, n: number): VectorValue {
    const out = newStepSeries(absentLabels(arg), n, true);
    for (let i = 0; i < n; i++) {
      const end = m.ends[i]!;
      const start = end - m.rangeMs;
      let found = false;
      for (const s of m.series) {
        if (s.histograms && anyIn(s.histograms.timestamps, start, end)) {
          found = true;
          break;
        }
        const ts = s.timestamps;
        // any sample in (start, end]
        let lo = 0;
        let hi = ts.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (ts[mid]! <= start) lo = mid + 1;
          else hi = mid;
        }
        if (lo < ts.length && ts[lo]! <= end) {
          found = true;
          break;
        }
      }
      if (found) continue;
      out.values[i] = 1;
      out.present[i] = 1;
    }
    return { kind: 'vector', series: out.present.includes(1) ? [out] : [] };
  }

  private async sort(e: Call, byLabel: boolean, desc: boolean, r: StepRange): Promise<VectorValue> {
    if (r.numSteps > 1) this.annos.warning('sort is ineffective for range queries since results are always ordered by labels', e.pos);
    const v = await this.vector(e.args[0]!, r);
    // sort and sort_desc order floats: histogram samples drop out (sort_by_label keeps them).
    const series = byLabel ? [...v.series] : v.series.filter((s) => s.present[0] === 1);
    const value = (s: StepSeries): number => s.values[0]!;
    switch (byLabel) {
      case false: {
        // NaN sorts last either way, as Prometheus's value heaps order them.
        series.sort((a, b) => {
          const x = value(a);
          const y = value(b);
          const nx = Number.isNaN(x);
          const ny = Number.isNaN(y);
          if (nx || ny) return nx === ny ? 0 : nx ? 1 : -1;
          return desc ? y - x : x - y;
        });
        break;
      }
      case true: {
        const names = e.args.slice(1).map((a) => this.stringArg(a));
        series.sort((a, b) => {
          for (const name of names) {
            const x = getLabel(a.labels, name);
            const y = getLabel(b.labels, name);
            if (x === y) continue;
            const less = naturalLess(x, y);
            return desc ? (less ? 1 : -1) : less ? -1 : 1;
          }
          const c = compareLabels(a.labels, b.labels);
          return desc ? -c : c;
        });
      }
    }
    return { kind: 'vector', series };
  }

  private async labelReplace(e: Call, r: StepRange): Promise<VectorValue> {
    const dst = this.stringArg(e.args[1]!);
    const repl = this.stringArg(e.args[2]!);
    const src = this.stringArg(e.args[3]!);
    const re = this.stringArg(e.args[4]!);
    const regex = compileAnchored(re);
    if (!isValidLabelName(dst)) throw new PromQLError('execution', `invalid destination label name in label_replace(): ${dst}`);
    const v = await this.vector(e.args[0]!, r);
    const series = v.series.map((s) => {
      const m = regex.exec(getLabel(s.labels, src));
      if (!m) return s;
      const labels = setLabel(s.labels, dst, expandTemplate(repl, m));
      return { ...s, labels, dropName: dst === METRIC_NAME ? false : s.dropName };
    });
    return { kind: 'vector', series: mergeSameLabels(series) };
  }

  private async labelJoin(e: Call, r: StepRange): Promise<VectorValue> {
    const dst = this.stringArg(e.args[1]!);
    const sep = this.stringArg(e.args[2]!);
    const srcs = e.args.slice(3).map((a) => this.stringArg(a));
    for (const s of srcs) if (!isValidLabelName(s)) throw new PromQLError('execution', `invalid source label name in label_join(): ${s}`);
    if (!isValidLabelName(dst)) throw new PromQLError('execution', `invalid destination label name in label_join(): ${dst}`);
    const v = await this.vector(e.args[0]!, r);
    const series = v.series.map((s) => {
      const value = srcs.map((x) => getLabel(s.labels, x)).join(sep);
      return { ...s, labels: setLabel(s.labels, dst, value), dropName: dst === METRIC_NAME ? false : s.dropName };
    });
    return { kind: 'vector', series: mergeSameLabels(series) };
  }

  /** `histogram_quantile(s)` / `histogram_fraction` over classic `le` buckets and native histograms. */
  private async histogramStats(e: Call, stat: 'quantile' | 'quantiles' | 'fraction', r: StepRange): Promise<VectorValue> {
    const n = r.numSteps;
    let qs: Float64Array[] = [];
    let qArgs: Expr[] = [];
    let quantileLabel = '';
    let lower: Float64Array | null = null;
    let upper: Float64Array | null = null;
    let vecArg: Expr;
    if (stat === 'quantile') {
      qArgs = [e.args[0]!];
      vecArg = e.args[1]!;
    } else if (stat === 'quantiles') {
      vecArg = e.args[0]!;
      quantileLabel = this.stringArg(e.args[1]!);
      qArgs = e.args.slice(2);
    } else {
      lower = await this.scalar(e.args[0]!, r);
      upper = await this.scalar(e.args[1]!, r);
      vecArg = e.args[2]!;
    }
    qs = [];
    for (const a of qArgs) qs.push(await this.scalar(a, r));
    const v = await this.vector(vecArg, r);
    interface Group {
      labels: Labels;
      name: string;
      members: { s: StepSeries; le: number }[];
      outs: StepSeries[];
    }
    const groups = new Map<string, Group>();
    const bad: StepSeries[] = [];
    const natives = v.series.filter((s) => s.hist);
    const nativeOut = natives.length > 0 ? nativeHistogramStats(natives, { qs, quantileLabel, lower, upper }, n, this.annos, vecArg.pos) : [];
    const nativeKeys = new Map<string, StepSeries>();
    for (const s of natives) nativeKeys.set(labelsKey(s.labels), s);
    for (const s of v.series) {
      if (s.present.indexOf(1) < 0) continue;
      const le = parseGoFloat(getLabel(s.labels, 'le'));
      if (le === null) {
        bad.push(s);
        continue;
      }
      const without = s.labels.filter((l) => l.name !== 'le');
      const key = labelsKey(without);
      let g = groups.get(key);
      if (!g) {
        g = { labels: without, name: getLabel(s.labels, METRIC_NAME), members: [], outs: [] };
        groups.set(key, g);
      }
      g.members.push({ s, le });
    }
    for (const s of bad) {
      this.annos.warning(
        `bucket label "le" is missing or has a malformed value of ${goQuote(getLabel(s.labels, 'le'))}${nameSuffix(getLabel(s.labels, METRIC_NAME))}`,
        vecArg.pos,
      );
    }
    qs.forEach((q, k) => {
      for (let i = 0; i < n; i++) {
        const qi = q[i]!;
        if (Number.isNaN(qi) || qi < 0 || qi > 1) this.annos.warning(`quantile value should be between 0 and 1, got ${formatFloatG(qi)}`, qArgs[k]!.pos);
      }
    });
    const out: StepSeries[] = [];
    const buckets: Bucket[] = [];
    const outputs = lower ? 1 : qs.length;
    for (const g of groups.values()) {
      for (let k = 0; k < outputs; k++) {
        let labels = g.labels;
        if (quantileLabel !== '') labels = setLabel(labels, quantileLabel, openMetricsFloat(qs[k]![0]!));
        g.outs.push(newStepSeries(labels, n, true));
      }
      const native = nativeKeys.get(labelsKey(g.labels));
      for (let i = 0; i < n; i++) {
        buckets.length = 0;
        for (const m of g.members) if (m.s.present[i]) buckets.push({ upperBound: m.le, count: m.s.values[i]! });
        if (buckets.length === 0) continue;
        if (native?.hist?.[i]) {
          this.annos.warning(`vector contains a mix of classic and native histograms for metric name ${goQuote(g.name)}`, vecArg.pos);
          for (const o of nativeOut) if (o.src === native) o.out.present[i] = 0;
          continue;
        }
        for (let k = 0; k < outputs; k++) {
          let value: number;
          if (lower) value = bucketFraction(lower[i]!, upper![i]!, buckets);
          else {
            const res = bucketQuantile(qs[k]![i]!, buckets);
            value = res.value;
            if (res.forcedMonotonic) {
              this.annos.forcedMonotonicity(
                `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)${nameSuffix(g.name)}`,
                vecArg.pos,
                r.ts[i]!,
                res.minBucket,
                res.maxBucket,
                res.maxDiff,
              );
            }
          }
          g.outs[k]!.values[i] = value;
          g.outs[k]!.present[i] = 1;
        }
      }
      for (const o of g.outs) if (o.present.includes(1)) out.push(o);
    }
    // Outputs are grouped by quantile first, as Prometheus emits them.
    if (outputs > 1) out.sort((a, b) => outIndex(a) - outIndex(b));
    for (const o of nativeOut) if (o.out.present.includes(1)) out.push(o.out);
    return { kind: 'vector', series: mergeSameLabels(out) };

    function outIndex(s: StepSeries): number {
      for (const g of groups.values()) {
        const k = g.outs.indexOf(s);
        if (k >= 0) return k;
      }
      return 0;
    }
  }
}

function nameSuffix(name: string): string {
  return name === '' ? '' : ` for metric name ${goQuote(name)}`;
}

function defaultMatching(card: 'one-to-one' | 'many-to-many'): VectorMatching {
  return { card, matchingLabels: [], on: false, include: [] };
}

/** Labels of `absent(...)`: the equality matchers of a selector argument (duplicates removed). */
function absentLabels(arg: Expr): Labels {
  const e = unwrapParens(arg);
  const vs = e.kind === 'VectorSelector' ? e : e.kind === 'MatrixSelector' ? e.vector : null;
  if (!vs) return [];
  const out = new Map<string, string>();
  const has = new Set<string>();
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !has.has(m.name)) {
      out.set(m.name, m.value);
      has.add(m.name);
    } else out.delete(m.name);
  }
  const labels: Label[] = [];
  for (const [name, value] of out) if (value !== '') labels.push({ name, value });
  return sortLabels(labels);
}

/** Go's `strconv.ParseFloat` for bucket bounds; null when it would fail. */
export function parseGoFloat(s: string): number | null {
  const t = s.toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) && !/^[+-]?0x[0-9a-f]*\.?[0-9a-f]*p[+-]?\d+$/i.test(s)) return null;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}

/** Whether a sorted timestamp array has one in (start, end]. */
function anyIn(ts: Float64Array, start: number, end: number): boolean {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo < ts.length && ts[lo]! <= end;
}

/** No value below its predecessor (NaN compares false, as in the kernels' own reset test). */
function isMonotonic(vs: Float64Array): boolean {
  for (let i = 1; i < vs.length; i++) if (vs[i]! < vs[i - 1]!) return false;
  return true;
}
