import type { LabelMatcher } from '../model/index.js';
import { TwoGenerationCache } from './cache.js';
import { IndexError } from './errors.js';
import { compileRegex, type CompiledRegex, type RegexPlan } from '../regex/index.js';

/**
 * Which stored (non-empty) values of a label to take postings from:
 * `exact` values, values under a `prefix`, or `every` value; `test`, when set, filters each value.
 */
export type ValueSet =
  | { readonly kind: 'none' }
  | { readonly kind: 'exact'; readonly values: readonly string[] }
  | { readonly kind: 'prefix'; readonly prefix: string; readonly test: ((v: string) => boolean) | undefined }
  | { readonly kind: 'every'; readonly test: ((v: string) => boolean) | undefined };

/**
 * How one matcher selects series, following Prometheus: a series without the label has value "".
 * When the matcher does not match "", the answer is the union of the postings of `values`
 * (`include`); when it does, it is every series minus the postings of the values it rejects (`exclude`).
 */
export interface MatcherPlan {
  readonly matcher: LabelMatcher;
  readonly mode: 'include' | 'exclude';
  readonly values: ValueSet;
  /** The matcher itself on a label value ("" for an absent label). */
  readonly test: (value: string) => boolean;
}

const regexCache = new TwoGenerationCache<string, CompiledRegex>(2000);

function regex(source: string): CompiledRegex {
  let r = regexCache.get(source);
  if (!r) {
    r = compileRegex(source);
    regexCache.set(source, r);
  }
  return r;
}

function checkMatcher(m: LabelMatcher): void {
  if (m === null || typeof m !== 'object' || typeof m.name !== 'string' || typeof m.value !== 'string') {
    throw new IndexError('invalid label matcher: want {name, type, value} with string name and value');
  }
  if (m.type !== '=' && m.type !== '!=' && m.type !== '=~' && m.type !== '!~') {
    throw new IndexError(`invalid label matcher type ${JSON.stringify(m.type)} for ${m.name}: want =, !=, =~ or !~`);
  }
}

/**
 * A label matcher as a predicate on a label value, with Prometheus semantics: regexes are RE2,
 * fully anchored, `.` matches newline. Throws RegexError for an invalid regex, naming it.
 */
export function compileMatcher(m: LabelMatcher): (value: string) => boolean {
  checkMatcher(m);
  const want = m.value;
  switch (m.type) {
    case '=':
      return (v) => v === want;
    case '!=':
      return (v) => v !== want;
    case '=~': {
      const r = regex(want);
      return (v) => r.test(v);
    }
    case '!~': {
      const r = regex(want);
      return (v) => !r.test(v);
    }
  }
}

function fromRegexPlan(plan: RegexPlan, test: (v: string) => boolean): ValueSet {
  switch (plan.kind) {
    case 'exact':
      return { kind: 'exact', values: plan.values.filter((v) => v !== '') };
    case 'prefix':
      return { kind: 'prefix', prefix: plan.prefix, test: plan.rest === 'any' ? undefined : test };
    case 'all':
    case 'nonempty': // stored values are never empty
      return { kind: 'every', test: undefined };
    case 'scan':
      return { kind: 'every', test };
  }
}

export function planMatcher(m: LabelMatcher): MatcherPlan {
  const test = compileMatcher(m);
  const matchesEmpty = test('');
  const mode = matchesEmpty ? 'exclude' : 'include';
  let values: ValueSet;
  switch (m.type) {
    case '=':
      // {a="x"}: series with a=x. {a=""}: all series minus those that have any value of a.
      values = matchesEmpty ? { kind: 'every', test: undefined } : { kind: 'exact', values: [m.value] };
      break;
    case '!=':
      // {a!=""}: series that have a. {a!="x"}: all series minus those with a=x.
      values = matchesEmpty ? { kind: 'exact', values: [m.value] } : { kind: 'every', test: undefined };
      break;
    case '=~': {
      const r = regex(m.value);
      if (!matchesEmpty) values = fromRegexPlan(r.plan, r.test);
      else if (r.plan.kind === 'all')
        values = { kind: 'none' }; // .* rejects nothing
      else values = { kind: 'every', test: (v) => !r.test(v) };
      break;
    }
    case '!~': {
      const r = regex(m.value);
      if (matchesEmpty)
        values = fromRegexPlan(r.plan, r.test); // exclude the values the regex matches
      else if (r.plan.kind === 'all')
        values = { kind: 'none' }; // !~".*" matches no series at all
      else values = { kind: 'every', test: (v) => !r.test(v) };
      break;
    }
  }
  return { matcher: m, mode, values, test };
}
