import type { MetricType } from './batch.js';

/** Prometheus MetricMetadata.MetricType (remote write 1.0 and 2.0 share the numbering). */
const TYPES: readonly MetricType[] = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

export function metricTypeFromEnum(n: number): MetricType {
  return TYPES[n] ?? 'unknown';
}

export function metricTypeToEnum(t: MetricType): number {
  const i = TYPES.indexOf(t);
  return i < 0 ? 0 : i;
}

export function isMetricType(s: string): s is MetricType {
  return (TYPES as readonly string[]).includes(s);
}
