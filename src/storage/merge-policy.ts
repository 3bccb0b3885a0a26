import type { MergeRules } from './downsample.js';
import type { Part } from './part.js';

/**
 * Which parts merge, and when: the tiered window choice, when a merge deflates its output, and
 * when lifecycle rules (per-series retention, downsampling) call for a partition to be merged
 * again. Pure decisions over part metadata; merge-scheduler.ts acts on them.
 */

const MIN_FAN_IN = 4;
const MAX_FAN_IN = 8;
/** Above this many parts in a partition, merges take any window to bring the count down. */
const MAX_PARTS = 24;

/**
 * Merges whose inputs hold fewer rows than this write without deflate: their output is merged
 * again soon (zlib cost ~25 µs a block, as much CPU as the rest of such a merge). Bigger merges,
 * and every force_merge, deflate. VictoriaMetrics likewise picks its zstd level by part size.
 */
export const DEFLATE_MIN_MERGE_ROWS = 16 << 20;
/** A partition is re-merged for crossed lifecycle thresholds at most this often. */
export const REMERGE_GAP_MS = 3_600_000;
/** How often partitions are checked for data that crossed a lifecycle threshold. */
export const LIFECYCLE_CHECK_MS = 60_000;

/** What storage needs to apply per-series lifecycle rules without knowing labels. */
export interface StorageLifecycle {
  /** The rules for a merge over these series, with ages turned into cutoffs from `now`. */
  rulesFor(ids: readonly number[], now: number): MergeRules;
  /**
   * The ages (ms) at which data crosses a rule (each downsampling offset, each filter's
   * retention): a part holding data that crossed one since its last merge is merged again.
   */
  readonly thresholdsMs: readonly number[];
  /** Identifies the configuration; a part merged under another one is merged again. */
  readonly signature: string;
}

/**
 * A window qualifies when its biggest part is at most this share of the others together (so at
 * most a third of the output). Each merge then at least triples the biggest part's size, so a
 * sample is rewritten about log3(output / flush part) times before force_merge. With 2 (two
 * thirds of the output) a 72M-sample burst at 100k series rewrote each sample ~3.2 times in
 * background merges (big parts kept absorbing three flush parts at a time); with 0.5, ~2.3 times
 * (a simulation of the policy at the bench's ingest and merge rates), for ~1 more part on average.
 */
const MAX_PART_SHARE = 0.5;

/**
 * Tiered merge choice over a contiguous window of parts (contiguous so that "later part wins"
 * keeps meaning what it says): among windows of MIN..MAX_FAN_IN parts whose biggest part is not
 * most of the work (MAX_PART_SHARE), take the one with the smallest average part (ties: the
 * longer window), so small parts merge with each other long before they are folded into big
 * ones. When a partition has too many parts, any window of two or more qualifies.
 */
export function pickMergeWindow(parts: readonly Part[]): [number, number] | null {
  return pickWindow(parts.map((p) => p.meta.rows));
}

export function pickWindow(rows: readonly number[]): [number, number] | null {
  const n = rows.length;
  const crowded = n > MAX_PARTS;
  const minLen = crowded ? 2 : MIN_FAN_IN;
  let best: [number, number] | null = null;
  let bestScore = Infinity;
  for (let len = Math.min(MAX_FAN_IN, n); len >= minLen; len--) {
    for (let start = 0; start + len <= n; start++) {
      let sum = 0;
      let max = 0;
      for (let i = start; i < start + len; i++) {
        sum += rows[i]!;
        if (rows[i]! > max) max = rows[i]!;
      }
      if (!crowded && max > MAX_PART_SHARE * (sum - max)) continue;
      const score = sum / len;
      if (score < bestScore) {
        bestScore = score;
        best = [start, len];
      }
    }
  }
  return best;
}

/**
 * Whether a part holds data its lifecycle rules have not been applied to: it was written
 * without them (or under another configuration) and holds data past a threshold, or data in it
 * crossed a threshold since its merge (`gapMs` apart at least, so a partition the threshold is
 * sliding through is not merged again every minute).
 */
export function needsLifecycleMerge(part: Part, lc: StorageLifecycle | undefined, now: number, gapMs: number): boolean {
  if (!lc || lc.thresholdsMs.length === 0) return false;
  const pol = part.meta.policy;
  const { minT, maxT } = part.meta;
  // A part written without these rules goes through them once it is gapMs old: younger parts
  // are merged soon anyway (and re-merging a partition per fresh flush would thrash a backfill).
  if (!pol || pol.signature !== lc.signature) return now - Date.parse(part.meta.createdAt) >= gapMs && lc.thresholdsMs.some((age) => minT < now - age);
  if (now - pol.at < gapMs) return false;
  return lc.thresholdsMs.some((age) => minT < now - age && maxT >= pol.at - age);
}

/** Whether a merge over these inputs deflates its output (see DEFLATE_MIN_MERGE_ROWS). */
export function mergeDeflates(inputs: readonly Part[], final: boolean): boolean {
  return final || inputs.reduce((n, x) => n + x.meta.rows, 0) >= DEFLATE_MIN_MERGE_ROWS;
}
