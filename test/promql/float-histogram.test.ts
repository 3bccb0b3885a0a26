/**
 * Native-histogram arithmetic against Prometheus's own case tables (TestFloatHistogramAdd/Sub,
 * extracted into float_histogram_cases.json next to the conformance scripts). Expected and
 * actual results are compared compacted, as the conformance rule does.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CounterResetHint, type FloatHistogram } from '../../src/model/histogram.js';
import { HistogramMixError, combine, compact } from '../../src/promql/histogram/index.js';
import { histogramsEqual } from './histogram-notation.js';
import { almostEqual } from './script-runner.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/promql-testdata/float_histogram_cases.json');

type Num = number | 'Inf' | '-Inf' | 'NaN' | 'MAX';
interface JsonHistogram {
  schema?: number;
  zeroThreshold?: Num;
  zeroCount?: Num;
  count?: Num;
  sum?: Num;
  positiveSpans?: { offset: number; length: number }[];
  positiveBuckets?: Num[];
  negativeSpans?: { offset: number; length: number }[];
  negativeBuckets?: Num[];
  customValues?: Num[];
  counterResetHint?: number;
}
interface Case {
  name: string;
  in1: JsonHistogram;
  in2: JsonHistogram;
  expected?: JsonHistogram;
  expErrMsg?: string;
  expCounterResetCollision?: boolean;
  expNHCBBoundsReconciled?: boolean;
}

const num = (v: Num | undefined): number =>
  v === undefined ? 0 : v === 'Inf' ? Infinity : v === '-Inf' ? -Infinity : v === 'NaN' ? NaN : v === 'MAX' ? Number.MAX_VALUE : v;

function histogram(j: JsonHistogram): FloatHistogram {
  return {
    schema: j.schema ?? 0,
    counterResetHint: (j.counterResetHint ?? 0) as CounterResetHint,
    zeroThreshold: num(j.zeroThreshold),
    zeroCount: num(j.zeroCount),
    count: num(j.count),
    sum: num(j.sum),
    positiveSpans: j.positiveSpans ?? [],
    positiveBuckets: Float64Array.from((j.positiveBuckets ?? []).map(num)),
    negativeSpans: j.negativeSpans ?? [],
    negativeBuckets: Float64Array.from((j.negativeBuckets ?? []).map(num)),
    customValues: Float64Array.from((j.customValues ?? []).map(num)),
  };
}

const cases: { add: Case[]; sub: Case[] } = existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : { add: [], sub: [] };

describe.each([
  ['addition', cases.add, 1],
  ['subtraction', cases.sub, -1],
] as const)('native histogram %s (Prometheus case table)', (_what, table, sign) => {
  it.skipIf(table.length === 0).each(table.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const a = histogram(c.in1);
    const b = histogram(c.in2);
    if (c.expErrMsg) {
      expect(() => combine(a, b, sign)).toThrow(HistogramMixError);
      return;
    }
    const r = combine(a, b, sign);
    expect(r.resetCollision).toBe(c.expCounterResetCollision ?? false);
    if (!c.expected) return;
    expect(r.reconciled).toBe(c.expNHCBBoundsReconciled ?? false);
    const ok = histogramsEqual(histogram(c.expected!), r.h, false, (x, y) => almostEqual(x, y));
    expect(ok, JSON.stringify({ got: { ...compact(r.h), positiveBuckets: [...r.h.positiveBuckets], negativeBuckets: [...r.h.negativeBuckets] } })).toBe(true);
  });
});
