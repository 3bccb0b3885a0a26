/**
 * RE2-compatible regular expressions in linear time (a Pike VM), for every user-supplied regex:
 * label matchers, `label_replace`, relabeling. Also plans which label values a matcher can hit.
 */
export { compileCapturingRegex, compileRegex, compileRegexWith, type CapturingRegex, type CompiledRegex, type RegexMatch, type RegexPlan } from './regex.js';
export { RegexError } from './errors.js';
