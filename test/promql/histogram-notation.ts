/**
 * The native-histogram parts of the test-script language (README §3.2, §3.4, §5.3): the
 * `{{schema:0 sum:5 ...}}` literal, the comparison rule, and `load_with_nhcb`'s conversion of
 * classic `_bucket`/`_count`/`_sum` series into custom-bucket histograms.
 */
import type { Labels } from '../../src/model/index.js';
import { getLabel, labelsKey } from '../../src/model/index.js';
import { CounterResetHint, type BucketSpan, type FloatHistogram } from '../../src/model/histogram.js';
import { compact, CUSTOM_BUCKETS_SCHEMA } from '../../src/promql/histogram/index.js';

function num(s: string): number {
  const l = s.toLowerCase();
  if (/^[+-]?inf$/.test(l)) return l.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(l)) return NaN;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error(`bad number ${JSON.stringify(s)} in histogram`);
  return v;
}

const HINTS: Record<string, CounterResetHint> = {
  unknown: CounterResetHint.Unknown,
  reset: CounterResetHint.Reset,
  not_reset: CounterResetHint.NotReset,
  gauge: CounterResetHint.Gauge,
};

/** The body of `{{ ... }}` (without the braces). */
export function parseHistogramLiteral(body: string): FloatHistogram {
  const fields = new Map<string, string>();
  const re = /([a-z_]+):\s*(\[[^\]]*\]|\S+)/g;
  let m: RegExpExecArray | null;
  const rest = body.replace(re, (all) => {
    return ' '.repeat(all.length);
  });
  if (rest.trim() !== '') throw new Error(`bad histogram literal {{${body}}}`);
  while ((m = re.exec(body))) fields.set(m[1]!, m[2]!);
  const list = (k: string): number[] | null => {
    const v = fields.get(k);
    if (v === undefined) return null;
    const inner = v.replace(/^\[|\]$/g, '').trim();
    return inner === '' ? [] : inner.split(/\s+/).map(num);
  };
  const span = (buckets: number[] | null, offset: string | undefined): BucketSpan[] =>
    buckets && buckets.length > 0 ? [{ offset: offset === undefined ? 0 : Number(offset), length: buckets.length }] : [];
  const pos = list('buckets');
  const neg = list('n_buckets');
  const hint = fields.get('counter_reset_hint');
  if (hint !== undefined && !(hint in HINTS)) throw new Error(`bad counter_reset_hint ${hint}`);
  return {
    schema: fields.has('schema') ? Number(fields.get('schema')) : 0,
    counterResetHint: hint === undefined ? CounterResetHint.Unknown : HINTS[hint]!,
    zeroThreshold: fields.has('z_bucket_w') ? num(fields.get('z_bucket_w')!) : 0,
    zeroCount: fields.has('z_bucket') ? num(fields.get('z_bucket')!) : 0,
    count: fields.has('count') ? num(fields.get('count')!) : 0,
    sum: fields.has('sum') ? num(fields.get('sum')!) : 0,
    positiveSpans: span(pos, fields.get('offset')),
    positiveBuckets: Float64Array.from(pos ?? []),
    negativeSpans: span(neg, fields.get('n_offset')),
    negativeBuckets: Float64Array.from(neg ?? []),
    customValues: Float64Array.from(list('custom_values') ?? []),
  };
}

export function formatHistogram(h: FloatHistogram): string {
  const parts = [`schema:${h.schema}`, `count:${h.count}`, `sum:${h.sum}`];
  if (h.zeroCount !== 0 || h.zeroThreshold !== 0) parts.push(`z_bucket:${h.zeroCount}`, `z_bucket_w:${h.zeroThreshold}`);
  const sp = (s: readonly BucketSpan[]): string => s.map((x) => `${x.offset}:${x.length}`).join(',');
  if (h.positiveBuckets.length) parts.push(`buckets:[${Array.from(h.positiveBuckets).join(' ')}] spans:[${sp(h.positiveSpans)}]`);
  if (h.negativeBuckets.length) parts.push(`n_buckets:[${Array.from(h.negativeBuckets).join(' ')}] n_spans:[${sp(h.negativeSpans)}]`);
  if (h.customValues.length) parts.push(`custom_values:[${Array.from(h.customValues).join(' ')}]`);
  parts.push(`hint:${h.counterResetHint}`);
  return `{{${parts.join(' ')}}}`;
}

/** README §5.3's histogram rule; `eq` is the float rule. */
export function histogramsEqual(expected: FloatHistogram, got: FloatHistogram, hintGiven: boolean, eq: (a: number, b: number) => boolean): boolean {
  const a = compact(expected);
  const b = compact(got);
  if (a.schema !== b.schema) return false;
  if (!eq(a.count, b.count) || !eq(a.sum, b.sum) || !eq(a.zeroCount, b.zeroCount)) return false;
  if (a.zeroThreshold !== b.zeroThreshold) return false;
  if (hintGiven && a.counterResetHint !== b.counterResetHint) return false;
  if (a.schema === CUSTOM_BUCKETS_SCHEMA) {
    if (a.customValues.length !== b.customValues.length) return false;
    for (let i = 0; i < a.customValues.length; i++) if (a.customValues[i] !== b.customValues[i]) return false;
  }
  const spansEq = (x: readonly BucketSpan[], y: readonly BucketSpan[]): boolean =>
    x.length === y.length && x.every((s, i) => s.offset === y[i]!.offset && s.length === y[i]!.length);
  if (!spansEq(a.positiveSpans, b.positiveSpans) || !spansEq(a.negativeSpans, b.negativeSpans)) return false;
  const bucketsEq = (x: Float64Array, y: Float64Array): boolean => x.length === y.length && x.every((v, i) => eq(v, y[i]!));
  return bucketsEq(a.positiveBuckets, b.positiveBuckets) && bucketsEq(a.negativeBuckets, b.negativeBuckets);
}

interface ClassicGroup {
  labels: Labels;
  /** bound → (timestamp → cumulative count) */
  buckets: Map<number, Map<number, number>>;
  count: Map<number, number>;
  sum: Map<number, number>;
}

/**
 * `load_with_nhcb`: builds a custom-bucket histogram per timestamp from each classic histogram
 * loaded in the block and hands it to `append` under the base name.
 */
export function appendNhcbSeries(
  block: Iterable<{ labels: Labels; points: { t: number; v: number }[] }>,
  append: (labels: Labels, t: number, h: FloatHistogram) => void,
): void {
  const groups = new Map<string, ClassicGroup>();
  for (const { labels, points } of block) {
    const name = getLabel(labels, '__name__');
    const m = /^(.*)_(bucket|count|sum)$/.exec(name);
    if (!m) continue;
    const kind = m[2]!;
    let le = NaN;
    if (kind === 'bucket') {
      const raw = getLabel(labels, 'le');
      le = raw.toLowerCase() === '+inf' || raw.toLowerCase() === 'inf' ? Infinity : Number(raw);
      if (raw === '' || Number.isNaN(le)) continue;
    }
    const base = labels.filter((l) => l.name !== 'le').map((l) => (l.name === '__name__' ? { name: l.name, value: m[1]! } : l));
    const key = labelsKey(base);
    let g = groups.get(key);
    if (!g) {
      g = { labels: base, buckets: new Map(), count: new Map(), sum: new Map() };
      groups.set(key, g);
    }
    const target = kind === 'bucket' ? (g.buckets.get(le) ?? g.buckets.set(le, new Map()).get(le)!) : kind === 'count' ? g.count : g.sum;
    for (const p of points) target.set(p.t, p.v);
  }
  for (const g of groups.values()) {
    if (g.buckets.size === 0) continue;
    const bounds = [...g.buckets.keys()].sort((a, b) => a - b);
    const times = new Set<number>();
    for (const m of g.buckets.values()) for (const t of m.keys()) times.add(t);
    for (const t of [...times].sort((a, b) => a - b)) {
      const present = bounds.filter((b) => g.buckets.get(b)!.has(t));
      const finite = present.filter((b) => b !== Infinity);
      const counts: number[] = [];
      let prev = 0;
      for (const b of present) {
        const c = g.buckets.get(b)!.get(t)!;
        counts.push(c - prev);
        prev = c;
      }
      if (present[present.length - 1] !== Infinity) counts.push(0);
      const total = g.count.get(t) ?? prev;
      const h: FloatHistogram = {
        schema: CUSTOM_BUCKETS_SCHEMA,
        counterResetHint: CounterResetHint.Unknown,
        zeroThreshold: 0,
        zeroCount: 0,
        count: total,
        sum: g.sum.get(t) ?? 0,
        positiveSpans: [{ offset: 0, length: counts.length }],
        positiveBuckets: Float64Array.from(counts),
        negativeSpans: [],
        negativeBuckets: new Float64Array(0),
        customValues: Float64Array.from(finite),
      };
      append(g.labels, t, h);
    }
  }
}
