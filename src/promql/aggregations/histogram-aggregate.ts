/**
 * Aggregation of native histograms, run beside the float aggregation (which never sees them:
 * a histogram step has `present = 0`). sum/avg add histograms per group; a group mixing floats
 * and histograms at a step gets no value and a warning; count/group count them; the other
 * operators ignore them with an info, as Prometheus does.
 */
import type { AggregateOp } from '../ast.js';
import { type Labels, labelsKey } from '../../model/index.js';
import type { FloatHistogram } from '../../model/index.js';
import { HistogramAccumulator, HistogramMixError, allBuckets } from '../histogram/index.js';
import { formatFloatG } from '../../go-format/index.js';
import { groupingKey, groupingLabels, setLabel } from '../eval/labels.js';
import { type StepSeries, newStepSeries } from '../eval/types.js';

export interface HistogramAggregateNotes {
  mixedFloats?: boolean;
  mixedSchemas?: boolean;
  reconciled?: boolean;
  resetCollision?: boolean;
  ignored?: boolean;
}

/** Operators that ignore histogram samples (with an info annotation). */
export const HISTOGRAM_IGNORING_AGGREGATIONS: ReadonlySet<AggregateOp> = new Set<AggregateOp>([
  'min',
  'max',
  'stddev',
  'stdvar',
  'quantile',
  'topk',
  'bottomk',
]);

export function hasHistograms(input: readonly StepSeries[]): boolean {
  for (const s of input) if (s.hist) for (const h of s.hist) if (h) return true;
  return false;
}

/** count/group/count_values see a histogram step as a sample: copies with it marked present. */
export function histogramsAsPresent(input: readonly StepSeries[], value: (h: FloatHistogram) => number = () => 1): StepSeries[] {
  return input.map((s) => {
    if (!s.hist) return s;
    const present = s.present.slice();
    const values = s.values.slice();
    for (let i = 0; i < present.length; i++) {
      const h = s.hist[i];
      if (!h) continue;
      present[i] = 1;
      values[i] = value(h);
    }
    return { labels: s.labels, values, present, dropName: s.dropName };
  });
}

/**
 * sum/avg of histograms, merged into the float results `floatOut` (keyed by their labels): a
 * group and step with both kinds loses its value.
 */
export function aggregateHistograms(
  input: readonly StepSeries[],
  floatOut: StepSeries[],
  op: 'sum' | 'avg',
  grouping: readonly string[],
  without: boolean,
  numSteps: number,
  notes: HistogramAggregateNotes,
): StepSeries[] {
  const names = new Set(grouping);
  interface Group {
    labels: Labels;
    sum: (HistogramAccumulator | undefined)[];
    count: Int32Array;
    floats: Uint8Array;
    failed: Uint8Array;
    dropName: boolean;
  }
  const groups = new Map<string, Group>();
  const groupOf = (s: StepSeries): Group => {
    const key = groupingKey(s.labels, without, names);
    let g = groups.get(key);
    if (!g) {
      g = {
        labels: groupingLabels(s.labels, without, names),
        sum: new Array(numSteps),
        count: new Int32Array(numSteps),
        floats: new Uint8Array(numSteps),
        failed: new Uint8Array(numSteps),
        dropName: false,
      };
      groups.set(key, g);
    }
    return g;
  };
  for (const s of input) {
    const g = groupOf(s);
    for (let i = 0; i < numSteps; i++) {
      if (s.present[i]) g.floats[i] = 1;
      const h = s.hist?.[i];
      if (!h || g.failed[i]) continue;
      g.count[i]!++;
      if (s.dropName) g.dropName = true;
      const acc = (g.sum[i] ??= new HistogramAccumulator(op === 'avg'));
      try {
        acc.add(h, notes);
      } catch (e) {
        if (!(e instanceof HistogramMixError)) throw e;
        notes.mixedSchemas = true;
        g.failed[i] = 1;
        g.sum[i] = undefined;
      }
    }
  }
  const byKey = new Map<string, StepSeries>();
  for (const o of floatOut) byKey.set(labelsKey(o.labels), o);
  const out = [...floatOut];
  for (const g of groups.values()) {
    let o = byKey.get(labelsKey(g.labels));
    for (let i = 0; i < numSteps; i++) {
      if (g.count[i] === 0) continue;
      if (g.floats[i]) {
        notes.mixedFloats = true;
        if (o) o.present[i] = 0;
        continue;
      }
      const h = g.sum[i]?.result();
      if (!h) continue;
      if (!o) {
        o = newStepSeries(g.labels, numSteps);
        byKey.set(labelsKey(g.labels), o);
        out.push(o);
      }
      o.present[i] = 0;
      (o.hist ??= new Array<FloatHistogram | undefined>(numSteps))[i] = h;
    }
  }
  return out.filter((s) => s.present.includes(1) || s.hist?.some((h) => h !== undefined));
}

/** count_values over the histogram samples: the value label is the histogram's text form. */
export function countHistogramValues(
  input: readonly StepSeries[],
  spec: { grouping: readonly string[]; without: boolean; label: string },
  numSteps: number,
): StepSeries[] {
  const names = new Set(spec.grouping);
  if (!spec.without) names.add(spec.label);
  const outs = new Map<string, StepSeries>();
  for (const s of input) {
    if (!s.hist) continue;
    for (let i = 0; i < numSteps; i++) {
      const h = s.hist[i];
      if (!h) continue;
      const withValue = setLabel(s.labels, spec.label, histogramString(h));
      const key = groupingKey(withValue, spec.without, names);
      let o = outs.get(key);
      if (!o) {
        o = newStepSeries(groupingLabels(withValue, spec.without, names), numSteps);
        outs.set(key, o);
      }
      o.values[i] = o.present[i] ? o.values[i]! + 1 : 1;
      o.present[i] = 1;
    }
  }
  return [...outs.values()];
}

/** Prometheus's `FloatHistogram.String()`: `{count:N, sum:S, (lower,upper]:c, ...}`. */
export function histogramString(h: FloatHistogram): string {
  const parts = [`count:${formatFloatG(h.count)}`, `sum:${formatFloatG(h.sum)}`];
  for (const b of allBuckets(h)) {
    if (b.count === 0 && b.boundaryRule !== 3) continue;
    const open = b.boundaryRule === 1 || b.boundaryRule === 3 ? '[' : '(';
    const close = b.boundaryRule === 0 || b.boundaryRule === 3 ? ']' : ')';
    parts.push(`${open}${formatFloatG(b.lower)},${formatFloatG(b.upper)}${close}:${formatFloatG(b.count)}`);
  }
  return `{${parts.join(', ')}}`;
}
