export { LabelIndex, MAX_DAYS_FOR_DAY_POSTINGS, type CompactOptions, type LabelIndexOptions, type TsdbStatusOptions } from './label-index.js';
export { compileMatcher, planMatcher, type MatcherPlan, type ValueSet } from './matcher.js';
export { compileCapturingRegex, compileRegex, type CapturingRegex, type CompiledRegex, type RegexMatch, type RegexPlan } from './regex.js';
export { IndexError } from './errors.js';
export { IndexDamage, type IndexDamageEntry } from './index-damage.js';
export type { SalvageResult } from './salvage.js';
export { verifyIndexFile } from './verify-file.js';
export { TwoGenerationCache } from './cache.js';
export { MAX_LABEL_BYTES, canonicalLabels } from './keys.js';
export type { TsdbStatus, TopEntry } from './tsdb-status.js';

/** Days since 1970-01-01 (UTC) of a millisecond timestamp: the `day` of resolve/addToDay. */
export function dayOf(timestampMs: number): number {
  return Math.floor(timestampMs / 86_400_000);
}
