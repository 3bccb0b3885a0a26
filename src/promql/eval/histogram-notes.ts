import type { PosRange } from '../ast.js';
import type { Annotations } from './annotations.js';
import { goQuote } from '../../go-format/index.js';
import type { RangeNotes } from './histogram-steps.js';
import type { BinopNotes } from '../binary/histogram-binop.js';

/** The annotation texts Prometheus emits for native-histogram mishaps (its `annotations` package). */
export const histogramMessages = {
  mixedFloats: (metric: string) => `encountered a mix of histograms and floats for metric name ${goQuote(metric)}`,
  mixedFloatsAggregation: (_op: string) => 'encountered a mix of histograms and floats for aggregation',
  mixedSchemasAggregation: () => 'vector contains a mix of histograms with exponential and custom buckets schemas',
  mixedSchemas: (metric: string) => `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${goQuote(metric)}`,
  notCounter: (metric: string) => `this native histogram metric is not a counter: ${goQuote(metric)}`,
  notGauge: (metric: string) => `this native histogram metric is not a gauge: ${goQuote(metric)}`,
  reconciled: (op: string) => `mismatched custom buckets were reconciled during ${op}`,
  ignoredInMixedRange: (metric: string) => `ignored histograms in a range containing both floats and histograms for metric name ${goQuote(metric)}`,
  ignoredInAggregation: (op: string) => `ignored histogram in ${op} aggregation`,
  conflictingResets: () => 'conflicting counter resets during histogram aggregation',
};

export function reportHistogramNotes(annos: Annotations, notes: RangeNotes, metric: string, pos: PosRange): void {
  if (notes.mixedFloats) annos.warning(histogramMessages.mixedFloats(metric), pos);
  if (notes.mixedSchemas) annos.warning(histogramMessages.mixedSchemas(metric), pos);
  if (notes.notCounter) annos.warning(histogramMessages.notCounter(metric), pos);
  if (notes.notGauge) annos.warning(histogramMessages.notGauge(metric), pos);
  if (notes.resetCollision) annos.warning(histogramMessages.conflictingResets(), pos);
  if (notes.reconciled) annos.information(histogramMessages.reconciled(notes.reconciled), pos);
  if (notes.ignoredInMixedRange) annos.information(histogramMessages.ignoredInMixedRange(metric), pos);
}

export function reportBinopNotes(annos: Annotations, notes: BinopNotes, op: string, pos: PosRange): void {
  if (notes.incompatible)
    for (const d of notes.incompatible) annos.information(`incompatible sample types encountered for binary operator ${goQuote(op)}: ${d}`, pos);
  if (notes.mixedSchemas) annos.warning('vector contains a mix of histograms with exponential and custom buckets schemas', pos);
  if (notes.resetCollision) annos.warning(`conflicting counter resets during histogram ${notes.resetCollision}`, pos);
  if (notes.reconciled) annos.information(histogramMessages.reconciled(notes.reconciled), pos);
}
