/**
 * Label regexes with Prometheus's semantics (RE2 syntax, fully anchored, `.` matching newlines),
 * compiled by src/regex's RE2 parser into matchers that run in linear time: Prometheus
 * matches with RE2, so a query must not be able to hang the process with `(a+)+$` on a long value.
 */
import { RegexError, compileCapturingRegex, type CapturingRegex } from '../regex/index.js';
import { MAX_LABEL_BYTES, type LabelMatcher } from '../model/index.js';

export { RegexError } from '../regex/index.js';

export type LabelRegex = CapturingRegex;

/**
 * Compiles a label regex with Prometheus's semantics: fully anchored, `.` matches newline, RE2
 * syntax. Throws RegexError with RE2-style text when the pattern is invalid.
 */
export function compileLabelRegex(pattern: string): LabelRegex {
  try {
    return compileCapturingRegex(pattern);
  } catch (e) {
    if (e instanceof RegexError) throw new RegexError(`error parsing regexp: ${e.message.replace(/^invalid regex "(?:[^"\\]|\\.)*": /, '')}`);
    throw e;
  }
}

/** True when the matcher matches the empty string (so it cannot select series on its own). */
export function matcherMatchesEmpty(m: LabelMatcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return compileLabelRegex(m.value).test('');
    case '!~':
      return !compileLabelRegex(m.value).test('');
  }
}

/**
 * Why the label index cannot look the matcher up, or null: a label name, or a name and an
 * equality value, over its key limit (no series can hold them: writes reject such labels).
 */
export function matcherIndexProblem(m: LabelMatcher): string | null {
  if (m.name.includes('\u0000')) return 'label names cannot contain NUL';
  const nameBytes = Buffer.byteLength(m.name);
  if (nameBytes > MAX_LABEL_BYTES) return `label name of ${nameBytes} bytes in a matcher is longer than the index's limit of ${MAX_LABEL_BYTES} bytes`;
  if (m.type === '=' || m.type === '!=') {
    const bytes = nameBytes + Buffer.byteLength(m.value);
    if (bytes > MAX_LABEL_BYTES)
      return `matcher ${m.name}${m.type}"…" is too long: name and value together are ${bytes} bytes, the index's limit is ${MAX_LABEL_BYTES}`;
  }
  return null;
}
