/**
 * The request model → Prometheus series in a BatchBuilder, as Prometheus 3's OTLP receiver maps
 * them: Gauge → gauge; cumulative monotonic Sum → counter `_total`, cumulative non-monotonic Sum
 * → gauge; cumulative Histogram → `_bucket{le}` (cumulative counts, `+Inf` = count), `_sum`,
 * `_count`; Summary → `{quantile}` series, `_sum`, `_count`; cumulative ExponentialHistogram →
 * native histogram. Delta (and unspecified) temporality is refused per point: Prometheus series
 * are cumulative, and converting deltas needs state across requests that a restart would lose.
 *
 * Labels of a point: its attributes (names sanitised; attributes that collide after sanitising
 * are joined with `;` in key order), then the promoted resource attributes it lacks, the scope
 * labels when asked, then `job` (`service.namespace/service.name`) and `instance`
 * (`service.instance.id`) from the resource, then `__name__` and `le`/`quantile`. Other resource
 * attributes go to one `target_info` series per resource.
 *
 * A point that cannot be translated is rejected alone (counted with a reason); the rest of the
 * request is kept.
 */
import { METRIC_NAME, STALE_NAN, type FloatHistogram, type Label } from '../../model/index.js';
import { BatchBuilder, type MetricType } from '../batch.js';
import { resolveLimits, type IngestLimits } from '../limits.js';
import { checkLabels } from '../validate.js';
import { ExponentialHistogramError, exponentialToFloatHistogram } from './exponential.js';
import {
  FLAG_NO_RECORDED_VALUE,
  TEMPORALITY_CUMULATIVE,
  TEMPORALITY_DELTA,
  type Attribute,
  type Exemplar,
  type ExportRequest,
  type Metric,
  type PointBase,
  type ResourceMetrics,
  type Scope,
} from './model.js';
import { formatFloatF } from '../../go-format/index.js';
import { labelName, metricName, unitName, type NamingType, type TranslationStrategy } from './names.js';

export interface OtlpOptions {
  readonly strategy: TranslationStrategy;
  /** Resource attributes copied onto every series of their resource (Prometheus's `promote_resource_attributes`). */
  readonly promoteResourceAttributes: readonly string[];
  /** Adds `otel_scope_name`, `otel_scope_version`, `otel_scope_schema_url` and `otel_scope_<attr>` labels. */
  readonly promoteScopeMetadata: boolean;
  /**
   * The exemplar hook: called with each point's series labels and its exemplars. Without it
   * exemplars are only counted (DecodedBatch.exemplars), as for remote write.
   */
  readonly onExemplars?: (labels: readonly Label[], exemplars: readonly Exemplar[]) => void;
}

export const DEFAULT_OTLP_OPTIONS: OtlpOptions = { strategy: 'UnderscoreEscapingWithSuffixes', promoteResourceAttributes: [], promoteScopeMetadata: false };

/** One converted exponential-histogram point, for the native-histogram storage to take. */
export interface NativeHistogramSample {
  readonly labels: readonly Label[];
  readonly timestamp: number;
  readonly histogram: FloatHistogram;
}

export interface Translation {
  readonly builder: BatchBuilder;
  /** Data points refused by the translation. */
  readonly rejectedPoints: number;
  /**
   * Data points with a series the label checks dropped (too many labels, a value too long, …);
   * the batch's `dropped` counts those per series and sample, with the reasons.
   */
  readonly labelDroppedPoints: number;
  /** The first few reasons, each naming the metric. */
  readonly reasons: readonly string[];
  readonly histograms: readonly NativeHistogramSample[];
}

const SERVICE_NAME = 'service.name';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE_ID = 'service.instance.id';
const IDENTIFYING = new Set([SERVICE_NAME, SERVICE_NAMESPACE, SERVICE_INSTANCE_ID]);
/** target_info samples are this far apart over a request's time span, so it stays within a 5 m lookback. */
const TARGET_INFO_STEP_MS = 150_000;
const TARGET_INFO_MAX_STEPS = 100;

class PointError extends Error {}

function attr(attrs: readonly Attribute[], key: string): string | undefined {
  for (const a of attrs) if (a.key === key) return a.value;
  return undefined;
}

/** Sanitised labels from attributes; collisions joined with `;` in the order of the original keys. */
function attributeLabels(attrs: readonly Attribute[], strategy: TranslationStrategy, into: Map<string, string>, prefix = ''): void {
  let inOrder = true;
  for (let i = 1; i < attrs.length && inOrder; i++) inOrder = attrs[i - 1]!.key <= attrs[i]!.key;
  const sorted = inOrder ? attrs : [...attrs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const a of sorted) {
    const n = labelName(a.key, strategy);
    if (n === '') continue;
    const name = prefix + n;
    const had = into.get(name);
    into.set(name, had === undefined ? a.value : `${had};${a.value}`);
  }
}

interface ResourceContext {
  readonly job: string | undefined;
  readonly instance: string | undefined;
  readonly promoted: readonly Attribute[];
}

function resourceContext(resource: readonly Attribute[], opts: OtlpOptions): ResourceContext {
  const name = attr(resource, SERVICE_NAME);
  const ns = attr(resource, SERVICE_NAMESPACE);
  const job = name === undefined ? undefined : ns !== undefined && ns !== '' ? `${ns}/${name}` : name;
  const promote = new Set(opts.promoteResourceAttributes);
  return { job, instance: attr(resource, SERVICE_INSTANCE_ID), promoted: resource.filter((a) => promote.has(a.key) && !IDENTIFYING.has(a.key)) };
}

/** A point's labels without `__name__`: attributes, promoted resource attributes, scope, job, instance. */
function pointLabels(point: readonly Attribute[], res: ResourceContext, scope: Scope, opts: OtlpOptions): Map<string, string> {
  const m = new Map<string, string>();
  attributeLabels(point, opts.strategy, m);
  if (res.promoted.length > 0) {
    const p = new Map<string, string>();
    attributeLabels(res.promoted, opts.strategy, p);
    for (const [k, v] of p) if (!m.has(k)) m.set(k, v);
  }
  if (opts.promoteScopeMetadata) {
    m.set('otel_scope_name', scope.name);
    m.set('otel_scope_version', scope.version);
    m.set('otel_scope_schema_url', scope.schemaUrl);
    attributeLabels(scope.attributes, opts.strategy, m, 'otel_scope_');
  }
  if (res.job !== undefined) m.set('job', res.job);
  if (res.instance !== undefined) m.set('instance', res.instance);
  return m;
}

/** One series of a point: its labels plus `__name__` and `le`/`quantile`, which win. */
function withName(base: ReadonlyMap<string, string>, name: string, extra?: Label): Label[] {
  const out: Label[] = [];
  for (const [n, v] of base) if (n !== METRIC_NAME && n !== extra?.name) out.push({ name: n, value: v });
  out.push({ name: METRIC_NAME, value: name });
  if (extra) out.push(extra);
  return out;
}

function namingType(d: NonNullable<Metric['data']>): NamingType {
  switch (d.kind) {
    case 'gauge':
      return 'gauge';
    case 'sum':
      return d.monotonic ? 'counter' : 'nonMonotonicCounter';
    case 'histogram':
      return 'histogram';
    case 'exponentialHistogram':
      return 'exponentialHistogram';
    case 'summary':
      return 'summary';
  }
}

function metadataType(t: NamingType): MetricType {
  return t === 'counter' ? 'counter' : t === 'gauge' || t === 'nonMonotonicCounter' ? 'gauge' : t === 'summary' ? 'summary' : 'histogram';
}

function checkTemporality(temporality: number, kind: string): void {
  if (temporality === TEMPORALITY_CUMULATIVE) return;
  if (temporality === TEMPORALITY_DELTA) {
    throw new PointError(
      `delta temporality is not supported for ${kind}s (Prometheus series are cumulative): configure the exporter for cumulative temporality`,
    );
  }
  throw new PointError(`aggregation temporality ${temporality} is not cumulative (${kind}s need AGGREGATION_TEMPORALITY_CUMULATIVE)`);
}

function checkCount(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0) throw new PointError(`${what} is ${v}: counts must be non-negative integers`);
}

class Translator {
  readonly builder: BatchBuilder;
  rejectedPoints = 0;
  labelDroppedPoints = 0;
  private pointDropped = false;
  readonly reasons: string[] = [];
  readonly histograms: NativeHistogramSample[] = [];
  private readonly metadataSeen = new Set<string>();

  constructor(
    private readonly opts: OtlpOptions,
    readonly limits: IngestLimits,
  ) {
    this.builder = new BatchBuilder(limits, 1024);
  }

  reject(metric: string, n: number, why: string): void {
    this.rejectedPoints += n;
    if (this.reasons.length < this.limits.maxReasons) this.reasons.push(`metric ${JSON.stringify(metric)}: ${why}`);
  }

  private add(labels: Label[], ts: number, v: number): void {
    const si = this.builder.addLabels(labels, 1);
    if (si >= 0) this.builder.addSample(si, ts, v);
    else this.pointDropped = true;
  }

  private exemplars(labels: readonly Label[], p: PointBase): void {
    if (p.exemplars.length === 0) return;
    this.builder.exemplars += p.exemplars.length;
    this.opts.onExemplars?.(labels, p.exemplars);
  }

  resource(rm: ResourceMetrics): void {
    const res = resourceContext(rm.resource, this.opts);
    let minT = Infinity;
    let maxT = -Infinity;
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        const span = this.metric(m, res, sm.scope);
        if (span) {
          minT = Math.min(minT, span[0]);
          maxT = Math.max(maxT, span[1]);
        }
      }
    }
    if (maxT >= minT) this.targetInfo(rm.resource, res, minT, maxT);
  }

  /** Translates one metric; returns the [min, max] timestamp of its stored points, or null. */
  private metric(m: Metric, res: ResourceContext, scope: Scope): [number, number] | null {
    if (m.data === null) return null;
    const type = namingType(m.data);
    const name = metricName(m.name, m.unit, type, this.opts.strategy);
    const points: readonly PointBase[] = m.data.points;
    if (name === '') {
      this.reject(m.name, points.length, 'the name has no character left after translation to a Prometheus name');
      return null;
    }
    if (points.length === 0) return null;
    const d = m.data;
    if (d.kind === 'sum' || d.kind === 'histogram' || d.kind === 'exponentialHistogram') {
      try {
        checkTemporality(d.temporality, d.kind === 'sum' ? 'sum' : d.kind === 'histogram' ? 'histogram' : 'exponential histogram');
      } catch (e) {
        this.reject(m.name, points.length, (e as Error).message);
        return null;
      }
    }
    let minT = Infinity;
    let maxT = -Infinity;
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      this.pointDropped = false;
      try {
        this.point(d, i, name, res, scope);
        if (this.pointDropped) this.labelDroppedPoints++;
      } catch (e) {
        if (!(e instanceof PointError || e instanceof ExponentialHistogramError)) throw e;
        this.reject(m.name, 1, `data point ${i}: ${e.message}`);
        continue;
      }
      minT = Math.min(minT, p.timeMs);
      maxT = Math.max(maxT, p.timeMs);
    }
    if (!(maxT >= minT)) return null;
    if (!this.metadataSeen.has(name)) {
      this.metadataSeen.add(name);
      this.builder.metadata.push({ metricFamilyName: name, type: metadataType(type), help: m.description, unit: unitName(m.unit, this.opts.strategy) });
    }
    return [minT, maxT];
  }

  private point(d: NonNullable<Metric['data']>, i: number, name: string, res: ResourceContext, scope: Scope): void {
    const o = this.opts;
    switch (d.kind) {
      case 'gauge':
      case 'sum': {
        const p = d.points[i]!;
        const labels = withName(pointLabels(p.attributes, res, scope, o), name);
        this.add(labels, p.timeMs, p.flags & FLAG_NO_RECORDED_VALUE ? STALE_NAN : p.value);
        this.exemplars(labels, p);
        return;
      }
      case 'histogram': {
        const p = d.points[i]!;
        const stale = (p.flags & FLAG_NO_RECORDED_VALUE) !== 0;
        const n = p.explicitBounds.length;
        if (!stale) {
          checkCount(p.count, 'count');
          if (p.bucketCounts.length !== 0 && p.bucketCounts.length !== n + 1) {
            throw new PointError(`${p.bucketCounts.length} bucket counts for ${n} explicit bounds (want ${n + 1}: one per bound plus +Inf)`);
          }
          for (let b = 0; b < n; b++) {
            const x = p.explicitBounds[b]!;
            if (x !== x || (b > 0 && !(x > p.explicitBounds[b - 1]!))) throw new PointError(`explicit bounds must be increasing numbers; bound ${b} is ${x}`);
          }
          let total = 0;
          for (let b = 0; b < p.bucketCounts.length; b++) {
            checkCount(p.bucketCounts[b]!, `bucket count ${b}`);
            total += p.bucketCounts[b]!;
          }
          if (p.bucketCounts.length > 0 && total !== p.count) throw new PointError(`count ${p.count} differs from the sum of its bucket counts, ${total}`);
        }
        const value = (v: number): number => (stale ? STALE_NAN : v);
        const pl = pointLabels(p.attributes, res, scope, o);
        const base = withName(pl, name);
        let cumulative = 0;
        if (p.bucketCounts.length > 0) {
          for (let b = 0; b < n; b++) {
            cumulative += p.bucketCounts[b]!;
            this.add(withName(pl, name + '_bucket', { name: 'le', value: formatFloatF(p.explicitBounds[b]!) }), p.timeMs, value(cumulative));
          }
        }
        this.add(withName(pl, name + '_bucket', { name: 'le', value: '+Inf' }), p.timeMs, value(p.count));
        if (p.sum !== null) this.add(withName(pl, name + '_sum'), p.timeMs, value(p.sum));
        this.add(withName(pl, name + '_count'), p.timeMs, value(p.count));
        this.exemplars(base, p);
        return;
      }
      case 'summary': {
        const p = d.points[i]!;
        const stale = (p.flags & FLAG_NO_RECORDED_VALUE) !== 0;
        if (!stale) checkCount(p.count, 'count');
        for (const q of p.quantiles) {
          if (!(q.quantile >= 0 && q.quantile <= 1)) throw new PointError(`quantile ${q.quantile} is outside [0, 1]`);
        }
        const value = (v: number): number => (stale ? STALE_NAN : v);
        const pl = pointLabels(p.attributes, res, scope, o);
        for (const q of p.quantiles) {
          this.add(withName(pl, name, { name: 'quantile', value: formatFloatF(q.quantile) }), p.timeMs, value(q.value));
        }
        this.add(withName(pl, name + '_sum'), p.timeMs, value(p.sum));
        this.add(withName(pl, name + '_count'), p.timeMs, value(p.count));
        return;
      }
      case 'exponentialHistogram': {
        const p = d.points[i]!;
        const histogram = exponentialToFloatHistogram({ ...p, stale: (p.flags & FLAG_NO_RECORDED_VALUE) !== 0 });
        const labels = withName(pointLabels(p.attributes, res, scope, o), name);
        // The same label rules as float series (sorted, empty values dropped), checked here
        // because these points bypass the batch.
        const why = checkLabels(labels, this.limits);
        if (why !== null) {
          this.builder.drop(1, why);
          this.pointDropped = true;
          return;
        }
        this.histograms.push({ labels, timestamp: p.timeMs, histogram });
        this.builder.histograms++;
        this.exemplars(labels, p);
        return;
      }
    }
  }

  private targetInfo(resource: readonly Attribute[], res: ResourceContext, minT: number, maxT: number): void {
    if (res.job === undefined && res.instance === undefined) return;
    const others = resource.filter((a) => !IDENTIFYING.has(a.key));
    if (others.length === 0) return;
    const m = new Map<string, string>();
    attributeLabels(others, this.opts.strategy, m);
    if (res.job !== undefined) m.set('job', res.job);
    if (res.instance !== undefined) m.set('instance', res.instance);
    m.set(METRIC_NAME, 'target_info');
    const labels: Label[] = [...m].map(([name, value]) => ({ name, value }));
    const si = this.builder.addLabels(labels, 1);
    if (si < 0) return;
    // A request spanning a long time (a backfill) gets only its latest sample, not thousands.
    if (maxT - minT <= TARGET_INFO_MAX_STEPS * TARGET_INFO_STEP_MS) {
      for (let t = minT; t < maxT; t += TARGET_INFO_STEP_MS) this.builder.addSample(si, t, 1);
    }
    this.builder.addSample(si, maxT, 1);
  }
}

/** Translates a decoded request; never throws for bad points (they are rejected and counted). */
export function translateExportRequest(req: ExportRequest, opts: OtlpOptions = DEFAULT_OTLP_OPTIONS, limits?: Partial<IngestLimits>): Translation {
  const t = new Translator(opts, resolveLimits(limits));
  for (const rm of req.resourceMetrics) t.resource(rm);
  return { builder: t.builder, rejectedPoints: t.rejectedPoints, labelDroppedPoints: t.labelDroppedPoints, reasons: t.reasons, histograms: t.histograms };
}
