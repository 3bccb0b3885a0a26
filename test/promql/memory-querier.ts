/**
 * An in-memory Querier for PromQL tests: series kept as sorted sample arrays, matchers applied
 * with Prometheus semantics (a missing label matches as ""), staleness markers stored with their
 * exact NaN bit pattern.
 */
import type { Labels, LabelMatcher, Querier, Series } from '../../src/model/index.js';
import { compareLabels, labelsKey, STALE_NAN_BITS_HI, STALE_NAN_BITS_LO } from '../../src/model/index.js';
import { compileLabelRegex } from '../../src/promql/parser.js';

interface StoredSeries {
  labels: Labels;
  timestamps: number[];
  values: number[];
  /** Parallel to values: true where the sample is a staleness marker. */
  stale: boolean[];
}

export class MemoryQuerier implements Querier {
  private readonly series = new Map<string, StoredSeries>();
  private readonly regexCache = new Map<string, { test(v: string): boolean }>();

  clear(): void {
    this.series.clear();
  }

  /** Appends one sample; samples of a series must arrive in time order (later duplicates replace). */
  append(labels: Labels, t: number, v: number, stale = false): void {
    const key = labelsKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, timestamps: [], values: [], stale: [] };
      this.series.set(key, s);
    }
    const n = s.timestamps.length;
    if (n > 0 && s.timestamps[n - 1]! >= t) {
      // Out of order: insert in place (tests are small), replacing an equal timestamp.
      let i = n - 1;
      while (i >= 0 && s.timestamps[i]! > t) i--;
      if (i >= 0 && s.timestamps[i] === t) {
        s.values[i] = v;
        s.stale[i] = stale;
        return;
      }
      s.timestamps.splice(i + 1, 0, t);
      s.values.splice(i + 1, 0, v);
      s.stale.splice(i + 1, 0, stale);
      return;
    }
    s.timestamps.push(t);
    s.values.push(v);
    s.stale.push(stale);
  }

  /** Removes a series entirely (a later `load` line for the same labels replaces it). */
  drop(labels: Labels): void {
    this.series.delete(labelsKey(labels));
  }

  get seriesCount(): number {
    return this.series.size;
  }

  private matches(labels: Labels, m: LabelMatcher): boolean {
    let value = '';
    for (const l of labels) {
      if (l.name === m.name) {
        value = l.value;
        break;
      }
    }
    switch (m.type) {
      case '=':
        return value === m.value;
      case '!=':
        return value !== m.value;
      case '=~':
      case '!~': {
        let re = this.regexCache.get(m.value);
        if (!re) {
          re = compileLabelRegex(m.value);
          this.regexCache.set(m.value, re);
        }
        return re.test(value) === (m.type === '=~');
      }
    }
  }

  async select(matchers: readonly LabelMatcher[], minT: number, maxT: number): Promise<Series[]> {
    const out: Series[] = [];
    for (const s of this.series.values()) {
      if (!matchers.every((m) => this.matches(s.labels, m))) continue;
      let lo = 0;
      while (lo < s.timestamps.length && s.timestamps[lo]! < minT) lo++;
      let hi = lo;
      while (hi < s.timestamps.length && s.timestamps[hi]! <= maxT) hi++;
      if (hi === lo) continue;
      const timestamps = new Float64Array(hi - lo);
      const values = new Float64Array(hi - lo);
      const bits = new Uint32Array(values.buffer);
      for (let i = lo; i < hi; i++) {
        timestamps[i - lo] = s.timestamps[i]!;
        if (s.stale[i]) {
          // Write the marker's bits directly: NaN payloads are not guaranteed to survive by value.
          bits[(i - lo) * 2] = STALE_NAN_BITS_LO;
          bits[(i - lo) * 2 + 1] = STALE_NAN_BITS_HI;
        } else values[i - lo] = s.values[i]!;
      }
      out.push({ labels: s.labels, timestamps, values });
    }
    out.sort((a, b) => compareLabels(a.labels, b.labels));
    return out;
  }
}
