/**
 * An in-memory Querier for PromQL tests: series kept as sorted sample arrays, matchers applied
 * with Prometheus semantics (a missing label matches as ""), staleness markers stored with their
 * exact NaN bit pattern.
 */
import type { Labels, LabelMatcher, Querier, Series } from '../../src/model/index.js';
import { compareLabels, labelsKey, STALE_NAN_BITS_HI, STALE_NAN_BITS_LO } from '../../src/model/index.js';
import { compileLabelRegex } from '../../src/promql/parser.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { tsdbResetHints } from '../../src/storage/index.js';

/** The counter-reset hints Prometheus's TSDB hands back: the very function the database applies. */
function chunkHints(s: StoredSeries): FloatHistogram[] {
  return [...tsdbResetHints({ timestamps: Float64Array.from(s.htimestamps), histograms: s.histograms }, Float64Array.from(s.timestamps)).histograms];
}

interface StoredSeries {
  labels: Labels;
  timestamps: number[];
  values: number[];
  /** Parallel to values: true where the sample is a staleness marker. */
  stale: boolean[];
  htimestamps: number[];
  histograms: FloatHistogram[];
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
      s = { labels, timestamps: [], values: [], stale: [], htimestamps: [], histograms: [] };
      this.series.set(key, s);
    }
    const hAt = s.htimestamps.indexOf(t);
    if (hAt >= 0) {
      s.htimestamps.splice(hAt, 1);
      s.histograms.splice(hAt, 1);
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

  /** Appends one native-histogram sample (replacing a float or histogram at the same time). */
  appendHistogram(labels: Labels, t: number, h: FloatHistogram): void {
    const key = labelsKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, timestamps: [], values: [], stale: [], htimestamps: [], histograms: [] };
      this.series.set(key, s);
    }
    const f = s.timestamps.indexOf(t);
    if (f >= 0) {
      s.timestamps.splice(f, 1);
      s.values.splice(f, 1);
      s.stale.splice(f, 1);
    }
    let i = s.htimestamps.length - 1;
    while (i >= 0 && s.htimestamps[i]! > t) i--;
    if (i >= 0 && s.htimestamps[i] === t) {
      s.histograms[i] = h;
      return;
    }
    s.htimestamps.splice(i + 1, 0, t);
    s.histograms.splice(i + 1, 0, h);
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
      const hinted = s.histograms.length > 0 ? chunkHints(s) : s.histograms;
      let lo = 0;
      while (lo < s.timestamps.length && s.timestamps[lo]! < minT) lo++;
      let hi = lo;
      while (hi < s.timestamps.length && s.timestamps[hi]! <= maxT) hi++;
      let hlo = 0;
      while (hlo < s.htimestamps.length && s.htimestamps[hlo]! < minT) hlo++;
      let hhi = hlo;
      while (hhi < s.htimestamps.length && s.htimestamps[hhi]! <= maxT) hhi++;
      if (hi === lo && hhi === hlo) continue;
      const histograms = hhi > hlo ? { timestamps: Float64Array.from(s.htimestamps.slice(hlo, hhi)), histograms: hinted.slice(hlo, hhi) } : undefined;
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
      out.push(histograms ? { labels: s.labels, timestamps, values, histograms } : { labels: s.labels, timestamps, values });
    }
    out.sort((a, b) => compareLabels(a.labels, b.labels));
    return out;
  }
}
