/**
 * Per-series data lifecycle rules from the command line, with VictoriaMetrics's flag syntax:
 *   --retentionFilter='{env="dev"}:7d'                      (repeatable; first match wins)
 *   --downsampling.period=30d:5m,180d:1h                    (every series)
 *   --downsampling.period='{__name__=~"node_.*"}:30d:1m'   (only matching series; `:0s` drops)
 * Parsing only: matching series to rules is series-policy.ts.
 */
import { parseDurationFlag } from '../duration-flag.js';
import type { LabelMatcher } from '../model/index.js';
import { parseSeriesSelector } from '../promql/index.js';

export interface RetentionFilter {
  /** The selector as written, for status pages. */
  readonly selector: string;
  readonly matchers: readonly LabelMatcher[];
  readonly retentionMs: number;
}

/** Samples older than `afterMs` keep one sample per `intervalMs` (0: none at all). */
export interface DownsampleLevel {
  readonly afterMs: number;
  readonly intervalMs: number;
}

export interface DownsamplingRule {
  /** null: every series without a filtered rule of its own. */
  readonly selector: string | null;
  readonly matchers: readonly LabelMatcher[] | null;
  /** Sorted by afterMs, ascending. */
  readonly levels: readonly DownsampleLevel[];
}

/** Splits `SELECTOR:REST` where the selector is `{…}` or `name{…}` (colons inside quotes allowed). */
function splitSelector(raw: string): [string | null, string] {
  const s = raw.trim();
  const close = s.lastIndexOf('}');
  if (close < 0) return [null, s];
  if (s[close + 1] !== ':') throw new Error(`want SELECTOR:DURATION after "}", got ${JSON.stringify(raw)}`);
  return [s.slice(0, close + 1), s.slice(close + 2)];
}

function selectorMatchers(selector: string): LabelMatcher[] {
  try {
    return parseSeriesSelector(selector);
  } catch (e) {
    throw new Error(`invalid series selector ${JSON.stringify(selector)}: ${(e as Error).message}`);
  }
}

/** `{env="dev"}:7d` → a filter; its retention must not exceed the global one. */
export function parseRetentionFilter(raw: string, globalRetentionMs: number): RetentionFilter {
  const [selector, rest] = splitSelector(raw);
  if (selector === null) throw new Error(`want {SELECTOR}:DURATION such as '{env="dev"}:7d', got ${JSON.stringify(raw)}`);
  const retentionMs = parseDurationFlag(rest);
  if (retentionMs <= 0) throw new Error(`retention of ${selector} must be positive`);
  if (retentionMs > globalRetentionMs) throw new Error(`retention ${rest} of ${selector} exceeds --retentionPeriod; a filter can only shorten it`);
  return { selector, matchers: selectorMatchers(selector), retentionMs };
}

/** `30d:5m,180d:1h` or `{sel}:30d:1m` (repeatable: each occurrence is one rule). */
export function parseDownsamplingRule(raw: string): DownsamplingRule {
  const [selector, rest] = splitSelector(raw);
  const levels: DownsampleLevel[] = [];
  for (const part of rest.split(',')) {
    const m = /^\s*([^:\s]+)\s*:\s*([^:\s]+)\s*$/.exec(part);
    if (!m) throw new Error(`want OFFSET:INTERVAL pairs such as 30d:5m,180d:1h, got ${JSON.stringify(part)}`);
    const afterMs = parseDurationFlag(m[1]!);
    const intervalMs = parseDurationFlag(m[2]!);
    if (afterMs <= 0) throw new Error(`offset ${JSON.stringify(m[1])} must be positive`);
    levels.push({ afterMs, intervalMs });
  }
  levels.sort((a, b) => a.afterMs - b.afterMs);
  for (let i = 1; i < levels.length; i++) {
    const prev = levels[i - 1]!;
    const cur = levels[i]!;
    if (cur.afterMs === prev.afterMs) throw new Error(`offset ${cur.afterMs / 1000}s is given twice`);
    if (prev.intervalMs === 0) throw new Error('nothing can follow a level that drops samples (:0s)');
    if (cur.intervalMs !== 0 && cur.intervalMs < prev.intervalMs) throw new Error('intervals must grow with the offset (older data keeps fewer samples)');
    if (cur.intervalMs !== 0 && cur.intervalMs % prev.intervalMs !== 0)
      throw new Error(`interval ${cur.intervalMs / 1000}s is not a multiple of ${prev.intervalMs / 1000}s`);
  }
  return { selector, matchers: selector === null ? null : selectorMatchers(selector), levels };
}
