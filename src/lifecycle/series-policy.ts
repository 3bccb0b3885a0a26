/**
 * Which lifecycle rules apply to which series: the first retention filter and the first filtered
 * downsampling rule whose selector matches a series' labels (else the global retention and the
 * unfiltered downsampling rule). Results are cached per series id, since a series' labels never
 * change. Hands storage its rules as plain cutoffs per group of ids (StorageLifecycle).
 */
import { compileMatcher } from '../index/index.js';
import type { LabelMatcher, Labels } from '../model/index.js';
import type { DownsampleMode, MergeRules, RuleGroup, StorageLifecycle } from '../storage/index.js';
import type { DownsampleLevel, DownsamplingRule, RetentionFilter } from './rules.js';

export interface LifecycleConfig {
  readonly retentionMs: number;
  readonly retentionFilters: readonly RetentionFilter[];
  readonly downsampling: readonly DownsamplingRule[];
  readonly mode: DownsampleMode;
}

/** What applies to one series, for status pages. */
export interface AppliedPolicy {
  readonly retentionFilter: string | null;
  readonly retentionMs: number;
  readonly downsampling: string | null;
  readonly levels: readonly DownsampleLevel[];
}

type Predicate = (labels: Labels) => boolean;

function compileSelector(matchers: readonly LabelMatcher[]): Predicate {
  const tests = matchers.map((m) => ({ name: m.name, test: compileMatcher(m) }));
  return (labels) => tests.every(({ name, test }) => test(labels.find((l) => l.name === name)?.value ?? ''));
}

const NO_FILTER = -1;

export class SeriesPolicies implements StorageLifecycle {
  private readonly retention: Predicate[];
  private readonly filtered: { rule: DownsamplingRule; test: Predicate }[];
  private readonly global: DownsamplingRule | null;
  /** id → retention filter index * 65536 + downsampling rule index (+1 each; 0 = none). */
  private readonly cache = new Map<number, number>();
  readonly thresholdsMs: readonly number[];
  readonly signature: string;

  constructor(
    private readonly cfg: LifecycleConfig,
    private readonly labelsOf: (id: number) => Labels,
  ) {
    this.retention = cfg.retentionFilters.map((f) => compileSelector(f.matchers));
    this.filtered = cfg.downsampling.filter((r) => r.matchers !== null).map((rule) => ({ rule, test: compileSelector(rule.matchers!) }));
    this.global = cfg.downsampling.find((r) => r.matchers === null) ?? null;
    const ages = new Set<number>();
    for (const f of cfg.retentionFilters) ages.add(f.retentionMs);
    for (const r of cfg.downsampling) for (const l of r.levels) ages.add(l.afterMs);
    this.thresholdsMs = [...ages].sort((a, b) => a - b);
    this.signature = JSON.stringify({
      f: cfg.retentionFilters.map((f) => [f.selector, f.retentionMs]),
      d: cfg.downsampling.map((r) => [r.selector, r.levels]),
      m: cfg.mode,
    });
  }

  /** Whether any rule is configured at all (else storage need not ask). */
  get active(): boolean {
    return this.cfg.retentionFilters.length > 0 || this.cfg.downsampling.length > 0;
  }

  get hasDownsampling(): boolean {
    return this.cfg.downsampling.length > 0;
  }

  get hasRetentionFilters(): boolean {
    return this.cfg.retentionFilters.length > 0;
  }

  private codeOf(id: number): number {
    let code = this.cache.get(id);
    if (code === undefined) {
      code = this.codeFor(this.labelsOf(id));
      this.cache.set(id, code);
    }
    return code;
  }

  private codeFor(labels: Labels): number {
    const r = this.retention.findIndex((t) => t(labels));
    const d = this.filtered.findIndex((f) => f.test(labels));
    return (r + 1) * 65536 + (d + 1);
  }

  private retentionOfCode(code: number): number {
    const r = Math.floor(code / 65536) - 1;
    if (r !== NO_FILTER) return this.cfg.retentionFilters[r]!.retentionMs;
    // 0 (or unset): kept forever.
    return this.cfg.retentionMs > 0 ? this.cfg.retentionMs : Infinity;
  }

  private downsamplingOfCode(code: number): DownsamplingRule | null {
    const d = (code % 65536) - 1;
    return d === NO_FILTER ? this.global : this.filtered[d]!.rule;
  }

  /** How long this series' samples are kept. */
  retentionMsOf(id: number): number {
    return this.retentionOfCode(this.codeOf(id));
  }

  /** What applies to a label set. */
  describe(labels: Labels): AppliedPolicy {
    const code = this.codeFor(labels);
    const r = Math.floor(code / 65536) - 1;
    const ds = this.downsamplingOfCode(code);
    return {
      retentionFilter: r === NO_FILTER ? null : this.cfg.retentionFilters[r]!.selector,
      retentionMs: this.retentionOfCode(code),
      downsampling: ds === null ? null : (ds.selector ?? '(all series)'),
      levels: ds?.levels ?? [],
    };
  }

  /**
   * The coarsest sample interval any rule gives data at time t (0: raw), for a query's stats.
   * Merges apply it, so data not merged since it aged may still be finer.
   */
  resolutionAt(t: number, now: number): number {
    let out = 0;
    for (const r of this.cfg.downsampling) {
      for (const l of r.levels) if (t < now - l.afterMs && l.intervalMs > out) out = l.intervalMs;
    }
    return out;
  }

  /** StorageLifecycle: the ids grouped by the rules they follow, ages turned into cutoffs. */
  rulesFor(ids: readonly number[], now: number): MergeRules {
    const byCode = new Map<number, number[]>();
    for (const id of ids) {
      const code = this.codeOf(id);
      let list = byCode.get(code);
      if (!list) byCode.set(code, (list = []));
      list.push(id);
    }
    const ruleOf = (code: number) => {
      const ds = this.downsamplingOfCode(code);
      // Oldest cutoff first: the longest offset gives the earliest cutoff.
      const levels = (ds?.levels ?? []).map((l) => ({ beforeT: now - l.afterMs, intervalMs: l.intervalMs })).sort((a, b) => a.beforeT - b.beforeT);
      return { minValidT: now - this.retentionOfCode(code), levels };
    };
    const groups: RuleGroup[] = [];
    for (const [code, list] of byCode) groups.push({ ids: Float64Array.from(list).sort(), rule: ruleOf(code) });
    return { fallback: ruleOf(0), groups, mode: this.cfg.mode };
  }
}
