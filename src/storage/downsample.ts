/**
 * Per-series lifecycle rules as merges apply them, in absolute time (the main thread turns the
 * configured ages into cutoffs when it starts a merge, so a worker needs no clock and no labels):
 * a retention cutoff, and downsampling levels that keep one sample per interval (or, in
 * `extremes` mode, the minimum, maximum and last sample of each interval) of data older than
 * each level's cutoff. Downsampling runs only here, in merges, never on the query path.
 */
import type { SampleBuffer } from './samples.js';
import { hasId } from './sorted-ids.js';

export type DownsampleMode = 'last' | 'extremes';

/** Samples before `beforeT` keep one sample (or extremes) per `intervalMs`; interval 0 drops them. */
export interface AbsoluteLevel {
  readonly beforeT: number;
  readonly intervalMs: number;
}

export interface SeriesRule {
  /** Samples before this are dropped (retention). */
  readonly minValidT: number;
  /** Oldest cutoff first: the first level whose cutoff a sample is before applies to it. */
  readonly levels: readonly AbsoluteLevel[];
}

export interface RuleGroup {
  /** Ascending. */
  readonly ids: Float64Array;
  readonly rule: SeriesRule;
}

export interface MergeRules {
  readonly fallback: SeriesRule;
  readonly groups: readonly RuleGroup[];
  readonly mode: DownsampleMode;
}

export function ruleFor(rules: MergeRules, id: number): SeriesRule {
  for (const g of rules.groups) if (hasId(g.ids, id)) return g.rule;
  return rules.fallback;
}

/** Which level applies at t: the coarsest one whose cutoff t is before, or -1 (kept raw). */
function levelAt(levels: readonly AbsoluteLevel[], t: number): number {
  for (let i = 0; i < levels.length; i++) if (t < levels[i]!.beforeT) return i;
  return -1;
}

/**
 * Thins sorted, deduplicated samples in place. Buckets are aligned to the epoch, so the same
 * samples thin the same way in every merge, and a second pass over thinned data changes nothing.
 */
export function downsample(buf: SampleBuffer, levels: readonly AbsoluteLevel[], mode: DownsampleMode): void {
  if (levels.length === 0 || buf.length === 0 || buf.timestamps[0]! >= levels[levels.length - 1]!.beforeT) return;
  const ts = buf.timestamps;
  const vs = buf.values;
  const n = buf.length;
  let w = 0;
  let i = 0;
  while (i < n) {
    const t = ts[i]!;
    const lv = levelAt(levels, t);
    if (lv < 0) {
      // The rest is younger than every cutoff: kept as it is.
      vs.copyWithin(w, i, n);
      ts.copyWithin(w, i, n);
      w += n - i;
      break;
    }
    const { beforeT, intervalMs } = levels[lv]!;
    if (intervalMs === 0) {
      while (i < n && ts[i]! < beforeT) i++;
      continue;
    }
    // One bucket: samples in the same interval and under the same level.
    const bucket = Math.floor(t / intervalMs);
    let end = i + 1;
    while (end < n && ts[end]! < beforeT && Math.floor(ts[end]! / intervalMs) === bucket) end++;
    if (mode === 'last') {
      keep(end - 1);
    } else {
      let lo = -1;
      let hi = -1;
      for (let k = i; k < end; k++) {
        const v = vs[k]!;
        if (v !== v) continue;
        if (lo < 0 || v < vs[lo]!) lo = k;
        if (hi < 0 || v > vs[hi]!) hi = k;
      }
      // In time order, each sample once.
      const picks = [lo, hi, end - 1].filter((k) => k >= 0).sort((a, b) => a - b);
      for (let p = 0; p < picks.length; p++) if (p === 0 || picks[p] !== picks[p - 1]) keep(picks[p]!);
    }
    i = end;
  }
  buf.length = w;

  function keep(k: number): void {
    // copyWithin moves the value's bits untouched (staleness markers are NaNs with a payload).
    ts[w] = ts[k]!;
    vs.copyWithin(w, k, k + 1);
    w++;
  }
}
