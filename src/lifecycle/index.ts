export { parseDownsamplingRule, parseRetentionFilter, type DownsampleLevel, type DownsamplingRule, type RetentionFilter } from './rules.js';
export { SeriesPolicies, type AppliedPolicy, type LifecycleConfig } from './series-policy.js';
