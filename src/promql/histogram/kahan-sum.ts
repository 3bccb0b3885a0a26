/**
 * Compensated (Kahan–Neumaier) summation and averaging of native histograms, field by field
 * and bucket by bucket, as Prometheus sums floats: `sum`, `avg`, `sum_over_time` and
 * `avg_over_time` keep small addends next to huge ones, and an average whose running sum would
 * overflow switches to an incremental mean.
 */
import { CounterResetHint, type FloatHistogram } from '../../model/index.js';
import { combine, compact, divide, makeHistogram, scale, toSchema, toSparse, usesCustomBuckets, type SparseBuckets } from './float-histogram.js';

interface Fields {
  count: number;
  sum: number;
  zero: number;
  pos: Map<number, number>;
  neg: Map<number, number>;
}

function fieldsOf(h: FloatHistogram): Fields {
  const map = (s: SparseBuckets): Map<number, number> => {
    const m = new Map<number, number>();
    for (let i = 0; i < s.idx.length; i++) m.set(s.idx[i]!, (m.get(s.idx[i]!) ?? 0) + s.cnt[i]!);
    return m;
  };
  return {
    count: h.count,
    sum: h.sum,
    zero: h.zeroCount,
    pos: map(toSparse(h.positiveSpans, h.positiveBuckets)),
    neg: map(toSparse(h.negativeSpans, h.negativeBuckets)),
  };
}

/** One Neumaier step: returns [sum, compensation]. An infinite sum drops the compensation. */
function inc(x: number, s: number, c: number): [number, number] {
  const t = s + x;
  if (t === Infinity || t === -Infinity) return [t, 0];
  if (Math.abs(s) >= Math.abs(x)) return [t, c + (s - t + x)];
  return [t, c + (x - t + s)];
}

function emptyFields(): Fields {
  return { count: 0, sum: 0, zero: 0, pos: new Map(), neg: new Map() };
}

function hasInfinity(f: Fields): boolean {
  const inf = (v: number): boolean => v === Infinity || v === -Infinity;
  if (inf(f.count) || inf(f.sum) || inf(f.zero)) return true;
  for (const v of f.pos.values()) if (inf(v)) return true;
  for (const v of f.neg.values()) if (inf(v)) return true;
  return false;
}

export interface AddNotes {
  reconciled?: boolean;
  resetCollision?: boolean;
}

/**
 * Running sum (or mean) of histograms. The layout (schema, zero bucket, custom bounds) follows
 * plain addition; the values are kept compensated alongside.
 */
export class HistogramAccumulator {
  /** The layout and hint of the running total, from plain addition. */
  private shape: FloatHistogram | undefined;
  private value = emptyFields();
  private comp = emptyFields();
  private n = 0;
  private incremental = false;
  private sawReset = false;
  private sawNotReset = false;

  constructor(private readonly mean: boolean) {}

  /** Throws HistogramMixError when exponential and custom buckets meet. */
  add(h: FloatHistogram, notes: AddNotes): void {
    this.n++;
    // A reset next to a non-reset anywhere in the group conflicts, whatever lies between.
    if (h.counterResetHint === CounterResetHint.Reset) this.sawReset = true;
    if (h.counterResetHint === CounterResetHint.NotReset) this.sawNotReset = true;
    if (this.sawReset && this.sawNotReset) notes.resetCollision = true;
    if (!this.shape) {
      this.shape = h;
      this.value = fieldsOf(h);
      return;
    }
    const r = combine(this.shape, h, 1);
    if (r.reconciled) notes.reconciled = true;
    const shape = r.h;
    // Bring the running values to the new layout (a lower schema merges buckets).
    if (
      shape.schema !== this.shape.schema ||
      usesCustomBuckets(shape) !== usesCustomBuckets(this.shape) ||
      r.reconciled ||
      shape.zeroThreshold !== this.shape.zeroThreshold
    ) {
      this.value = fieldsOf(toSchema(this.current(), shape.schema));
      if (r.reconciled || shape.zeroThreshold !== this.shape.zeroThreshold) {
        // Rare layout changes: continue from the plain total, compensation restarts.
        this.value = fieldsOf(combine(this.current(), emptyLike(shape), 1).h);
      }
      this.comp = emptyFields();
    }
    this.shape = { ...shape, counterResetHint: shape.counterResetHint };
    const x = fieldsOf(r.reconciled || shape.zeroThreshold !== h.zeroThreshold ? combine(emptyLike(shape), h, 1).h : toSchema(h, shape.schema));
    if (this.mean && this.incremental) {
      this.addIncremental(x);
      return;
    }
    const next = emptyFields();
    const nextC = emptyFields();
    this.step(x, this.value, this.comp, next, nextC, 1, 1);
    if (this.mean && hasInfinity(next) && !hasInfinity(x)) {
      // The running sum overflowed: continue as a mean, as Prometheus's avg does.
      this.incremental = true;
      const k = this.n - 1;
      this.value = mapFields(this.value, (v) => v / k);
      this.comp = mapFields(this.comp, (v) => v / k);
      this.addIncremental(x);
      return;
    }
    this.value = next;
    this.comp = nextC;
  }

  private addIncremental(x: Fields): void {
    const q = (this.n - 1) / this.n;
    const next = emptyFields();
    const nextC = emptyFields();
    this.step(
      mapFields(x, (v) => v / this.n),
      this.value,
      this.comp,
      next,
      nextC,
      q,
      q,
    );
    this.value = next;
    this.comp = nextC;
  }

  /** next = inc(x, value·qv, comp·qc) for every field. */
  private step(x: Fields, value: Fields, comp: Fields, next: Fields, nextC: Fields, qv: number, qc: number): void {
    [next.count, nextC.count] = inc(x.count, qv * value.count, qc * comp.count);
    [next.sum, nextC.sum] = inc(x.sum, qv * value.sum, qc * comp.sum);
    [next.zero, nextC.zero] = inc(x.zero, qv * value.zero, qc * comp.zero);
    for (const key of ['pos', 'neg'] as const) {
      const idx = new Set([...value[key].keys(), ...x[key].keys()]);
      for (const i of idx) {
        const [s, c] = inc(x[key].get(i) ?? 0, qv * (value[key].get(i) ?? 0), qc * (comp[key].get(i) ?? 0));
        next[key].set(i, s);
        nextC[key].set(i, c);
      }
    }
  }

  private current(): FloatHistogram {
    const shape = this.shape!;
    const v = this.value;
    const c = this.comp;
    const buckets = (m: Map<number, number>, cm: Map<number, number>): SparseBuckets => {
      const idx = [...m.keys()].sort((a, b) => a - b);
      return { idx, cnt: idx.map((i) => m.get(i)! + (cm.get(i) ?? 0)) };
    };
    return makeHistogram({ ...shape, count: v.count + c.count, sum: v.sum + c.sum, zeroCount: v.zero + c.zero }, buckets(v.pos, c.pos), buckets(v.neg, c.neg));
  }

  /** The sum, or the mean when built with `mean`. */
  result(): FloatHistogram | undefined {
    if (!this.shape) return undefined;
    const h = this.current();
    if (!this.mean || this.incremental) return compact(h);
    return compact(this.n === 1 ? h : divide(h, this.n));
  }
}

function mapFields(f: Fields, g: (v: number) => number): Fields {
  const m = (x: Map<number, number>): Map<number, number> => new Map([...x].map(([k, v]) => [k, g(v)]));
  return { count: g(f.count), sum: g(f.sum), zero: g(f.zero), pos: m(f.pos), neg: m(f.neg) };
}

function emptyLike(h: FloatHistogram): FloatHistogram {
  return scale({ ...h, positiveBuckets: new Float64Array(0), positiveSpans: [], negativeBuckets: new Float64Array(0), negativeSpans: [] }, 0);
}
