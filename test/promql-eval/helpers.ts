/** Test helpers: a tiny in-memory Querier and series builders (real data, no mocks). */
import type { Label, Labels, LabelMatcher, Querier, Series } from '../../src/model/index.js';
import { STALE_NAN_BITS_HI, STALE_NAN_BITS_LO, compareLabels, sortLabels } from '../../src/model/index.js';
import { compileLabelRegex } from '../../src/promql/parser.js';

export function lbls(obj: Record<string, string>): Labels {
  return sortLabels(Object.entries(obj).map(([name, value]): Label => ({ name, value })));
}

/** Samples as [t ms, v] pairs; the string 'stale' writes a staleness marker. */
export type SamplePair = [number, number | 'stale'];

export class TestQuerier implements Querier {
  readonly series: Series[] = [];

  add(labels: Record<string, string>, samples: SamplePair[]): this {
    const timestamps = new Float64Array(samples.length);
    const values = new Float64Array(samples.length);
    const bits = new Uint32Array(values.buffer);
    samples.forEach(([t, v], i) => {
      timestamps[i] = t;
      if (v === 'stale') {
        bits[i * 2] = STALE_NAN_BITS_LO;
        bits[i * 2 + 1] = STALE_NAN_BITS_HI;
      } else values[i] = v;
    });
    this.series.push({ labels: lbls(labels), timestamps, values });
    this.series.sort((a, b) => compareLabels(a.labels, b.labels));
    return this;
  }

  /** `count` samples every `intervalMs` from t=0: start, start+inc, ... */
  addLinear(labels: Record<string, string>, intervalMs: number, start: number, inc: number, count: number): this {
    const s: SamplePair[] = [];
    let v = start;
    for (let i = 0; i < count; i++) {
      s.push([i * intervalMs, v]);
      v += inc;
    }
    return this.add(labels, s);
  }

  async select(matchers: readonly LabelMatcher[], minT: number, maxT: number): Promise<Series[]> {
    const out: Series[] = [];
    for (const s of this.series) {
      const ok = matchers.every((m) => {
        const v = s.labels.find((l) => l.name === m.name)?.value ?? '';
        switch (m.type) {
          case '=':
            return v === m.value;
          case '!=':
            return v !== m.value;
          case '=~':
            return compileLabelRegex(m.value).test(v);
          case '!~':
            return !compileLabelRegex(m.value).test(v);
        }
      });
      if (!ok) continue;
      let lo = 0;
      while (lo < s.timestamps.length && s.timestamps[lo]! < minT) lo++;
      let hi = lo;
      while (hi < s.timestamps.length && s.timestamps[hi]! <= maxT) hi++;
      if (hi === lo) continue;
      // slice copies bytes, so staleness-marker payloads survive
      out.push({ labels: s.labels, timestamps: s.timestamps.slice(lo, hi), values: s.values.slice(lo, hi) });
    }
    return out;
  }
}
