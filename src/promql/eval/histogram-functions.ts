/**
 * Instant-vector functions of native histograms: the mapping behind `histogram_count/_sum/_avg/
 * _stddev/_stdvar` (their formulas sit in functions/table.ts), and the native half of `histogram_quantile(s)` / `histogram_fraction` (the classic `le`
 * buckets stay in the evaluator).
 */
import type { PosRange } from '../ast.js';
import type { FloatHistogram } from '../../model/index.js';
import { METRIC_NAME, getLabel } from '../../model/index.js';
import { histogramFraction, histogramQuantile } from '../histogram/index.js';
import type { Annotations } from './annotations.js';
import { formatFloatG, goQuote } from '../../go-format/index.js';
import { setLabel } from './labels.js';
import { type StepSeries, type VectorValue, newStepSeries } from './types.js';

/** A float per histogram sample; float samples are dropped. The result drops the metric name. */
export function mapHistograms(v: VectorValue, f: (h: FloatHistogram) => number): VectorValue {
  const out: StepSeries[] = [];
  for (const s of v.series) {
    if (!s.hist) continue;
    const o = newStepSeries(s.labels, s.present.length, true);
    let any = false;
    for (let i = 0; i < s.present.length; i++) {
      const h = s.hist[i];
      if (!h) continue;
      o.values[i] = f(h);
      o.present[i] = 1;
      any = true;
    }
    if (any) out.push(o);
  }
  return { kind: 'vector', series: out };
}

/** OpenMetrics float text (`0.0`, `1.0`, `0.25`, `+Inf`), used for quantile label values. */
export function openMetricsFloat(v: number): string {
  const s = formatFloatG(v);
  return /^[-+]?\d+$/.test(s) ? s + '.0' : s;
}

export interface StatsSpec {
  qs: Float64Array[];
  quantileLabel: string;
  lower: Float64Array | null;
  upper: Float64Array | null;
}

/** Per native series and output (quantile or fraction), the values at every step. */
export function nativeHistogramStats(
  natives: readonly StepSeries[],
  spec: StatsSpec,
  n: number,
  annos: Annotations,
  pos: PosRange,
): { src: StepSeries; out: StepSeries }[] {
  const res: { src: StepSeries; out: StepSeries }[] = [];
  const outputs = spec.lower ? 1 : spec.qs.length;
  for (let k = 0; k < outputs; k++) {
    for (const s of natives) {
      let labels = s.labels;
      if (spec.quantileLabel !== '') labels = setLabel(labels, spec.quantileLabel, openMetricsFloat(spec.qs[k]![0]!));
      const o = newStepSeries(labels, n, true);
      const metric = getLabel(s.labels, METRIC_NAME);
      for (let i = 0; i < n; i++) {
        const h = s.hist![i];
        if (!h) continue;
        const nanObservations = Number.isNaN(h.sum) && h.count > 0;
        let v: number;
        if (spec.lower) {
          v = histogramFraction(spec.lower[i]!, spec.upper![i]!, h);
          if (nanObservations)
            annos.information(`input to histogram_fraction has NaN observations, which are excluded from all fractions${forMetric(metric)}`, pos);
        } else {
          v = histogramQuantile(spec.qs[k]![i]!, h);
          if (nanObservations) {
            annos.information(
              `input to histogram_quantile has NaN observations, result is ${Number.isNaN(v) ? 'NaN' : 'skewed higher'}${forMetric(metric)}`,
              pos,
            );
          }
        }
        o.values[i] = v;
        o.present[i] = 1;
      }
      res.push({ src: s, out: o });
    }
  }
  return res;
}

function forMetric(name: string): string {
  return name === '' ? '' : ` for metric name ${goQuote(name)}`;
}
