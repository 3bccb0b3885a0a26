/**
 * An OTLP metrics export request as both wire encodings (protobuf and JSON) decode to it: only
 * what the translation to Prometheus series reads. Attribute values are already strings (as
 * Prometheus turns an AnyValue into a label value); times are integer milliseconds.
 */

/** One attribute, its AnyValue rendered as a label value. */
export interface Attribute {
  readonly key: string;
  readonly value: string;
}

export interface ExportRequest {
  readonly resourceMetrics: readonly ResourceMetrics[];
}

export interface ResourceMetrics {
  readonly resource: readonly Attribute[];
  readonly scopeMetrics: readonly ScopeMetrics[];
}

export interface Scope {
  readonly name: string;
  readonly version: string;
  readonly attributes: readonly Attribute[];
  readonly schemaUrl: string;
}

export interface ScopeMetrics {
  readonly scope: Scope;
  readonly metrics: readonly Metric[];
}

/** AGGREGATION_TEMPORALITY_*: 0 unspecified, 1 delta, 2 cumulative. */
export type Temporality = number;
export const TEMPORALITY_DELTA = 1;
export const TEMPORALITY_CUMULATIVE = 2;

/** DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK: the series ended here (Prometheus's staleness). */
export const FLAG_NO_RECORDED_VALUE = 1;

export type MetricData =
  | { readonly kind: 'gauge'; readonly points: readonly NumberPoint[] }
  | { readonly kind: 'sum'; readonly points: readonly NumberPoint[]; readonly temporality: Temporality; readonly monotonic: boolean }
  | { readonly kind: 'histogram'; readonly points: readonly HistogramPoint[]; readonly temporality: Temporality }
  | { readonly kind: 'exponentialHistogram'; readonly points: readonly ExponentialPoint[]; readonly temporality: Temporality }
  | { readonly kind: 'summary'; readonly points: readonly SummaryPoint[] };

export interface Metric {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  /** null when the metric carries none of the five data kinds (nothing to store). */
  readonly data: MetricData | null;
}

/** What every data point has. */
export interface PointBase {
  readonly attributes: readonly Attribute[];
  readonly timeMs: number;
  readonly flags: number;
  /** Exemplars attached to the point; counted, handed to the exemplar hook, not stored here. */
  readonly exemplars: readonly Exemplar[];
}

export interface Exemplar {
  readonly attributes: readonly Attribute[];
  readonly timeMs: number;
  readonly value: number;
  /** Lower-case hex, '' when absent. */
  readonly traceId: string;
  readonly spanId: string;
}

export interface NumberPoint extends PointBase {
  /** as_double, or as_int converted to float64; NaN when neither is set. */
  readonly value: number;
}

export interface HistogramPoint extends PointBase {
  readonly count: number;
  /** null when the optional sum is absent. */
  readonly sum: number | null;
  readonly bucketCounts: readonly number[];
  readonly explicitBounds: readonly number[];
}

export interface Buckets {
  readonly offset: number;
  readonly counts: readonly number[];
}

export interface ExponentialPoint extends PointBase {
  readonly count: number;
  readonly sum: number | null;
  readonly scale: number;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: Buckets;
  readonly negative: Buckets;
}

export interface Quantile {
  readonly quantile: number;
  readonly value: number;
}

export interface SummaryPoint extends PointBase {
  readonly count: number;
  readonly sum: number;
  readonly quantiles: readonly Quantile[];
}
