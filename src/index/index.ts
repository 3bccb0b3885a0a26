export { LabelIndex, MAX_DAYS_FOR_DAY_POSTINGS, type CompactOptions, type LabelIndexOptions, type TsdbStatusOptions } from './label-index.js';
export { compileMatcher, planMatcher, type MatcherPlan, type ValueSet } from './matcher.js';
export { IndexError } from './errors.js';
export { TwoGenerationCache } from './cache.js';
export { MAX_LABEL_BYTES, canonicalLabels } from './keys.js';
export type { TsdbStatus, TopEntry } from './tsdb-status.js';
export { DAY_MS, dayOf, dayStart } from './days.js';
