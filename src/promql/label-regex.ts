/**
 * Label-matcher regexes with Prometheus's semantics (RE2 syntax, fully anchored, `.` matching
 * newlines) compiled to JavaScript RegExps.
 */
import type { LabelMatcher } from '../model/index.js';

/** A label regex Prometheus accepts (RE2 syntax) that has no JavaScript equivalent here. */
export class RegexError extends Error {
  override readonly name = 'RegexError';
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Both cases of an ASCII letter, or the character alone. */
function caseVariants(ch: string): string {
  const lo = ch.toLowerCase();
  const up = ch.toUpperCase();
  return lo !== up && ch.length === 1 ? lo + up : ch;
}

/**
 * Rewrites RE2 syntax that JavaScript (Node 20) lacks: inline flag groups `(?i)`, `(?i:...)`,
 * `(?-i:...)` become explicit case alternatives; `(?P<n>` → `(?<n>`; `\z` → `$`; `\A` → `^`;
 * `\Q...\E` → escaped literal; POSIX `[:alpha:]` classes are expanded.
 */
function re2ToJs(pattern: string): string {
  let out = '';
  let ci = false;
  const stack: boolean[] = [];
  const n = pattern.length;
  for (let i = 0; i < n; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) throw new RegexError('error parsing regexp: trailing backslash at end of expression: ``');
      if (e === 'Q') {
        const endQ = pattern.indexOf('\\E', i + 2);
        const lit = pattern.slice(i + 2, endQ < 0 ? n : endQ);
        for (const ch of lit) out += ci && caseVariants(ch).length > 1 ? `[${caseVariants(ch)}]` : ch.replace(/[.*+?^${}()|[\]\\\/-]/g, '\\$&');
        i = endQ < 0 ? n : endQ + 1;
        continue;
      }
      if (e === 'z') out += '$';
      else if (e === 'A') out += '^';
      else out += c + e;
      i++;
      continue;
    }
    if (c === '[') {
      // Copy a character class, adding the other case of letters when case-insensitive.
      let j = i + 1;
      let cls = '[';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      if (pattern[j] === ']') {
        cls += '\\]';
        j++;
      }
      let extra = '';
      for (; j < n && pattern[j] !== ']'; j++) {
        const d = pattern[j]!;
        if (d === '[' && pattern[j + 1] === ':') {
          const close = pattern.indexOf(':]', j + 2);
          if (close > 0) {
            const name = pattern.slice(j + 2, close);
            const neg = name.startsWith('^');
            const posix = POSIX_CLASSES[neg ? name.slice(1) : name];
            if (posix === undefined) throw new RegexError(`error parsing regexp: invalid character class range: \`${pattern.slice(j, close + 2)}\``);
            if (neg) throw new RegexError(`error parsing regexp: negated POSIX class not supported: \`${pattern.slice(j, close + 2)}\``);
            cls += posix;
            j = close + 1;
            continue;
          }
        }
        if (d === '\\') {
          cls += d + (pattern[j + 1] ?? '');
          j++;
          continue;
        }
        if (d === '[') {
          cls += '\\[';
          continue;
        }
        cls += d;
        if (ci) {
          const v = caseVariants(d);
          if (v.length > 1) extra += v;
        }
      }
      if (j >= n) throw new RegexError(`error parsing regexp: missing closing ]: \`${pattern.slice(i)}\``);
      out += cls + extra.replace(/[\]\\^-]/g, '\\$&') + ']';
      i = j;
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] === '?') {
        const flagGroup = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(pattern.slice(i));
        if (pattern.startsWith('(?P<', i)) {
          stack.push(ci);
          out += '(?<';
          i += 3;
          continue;
        }
        if (flagGroup && (flagGroup[1] !== '' || flagGroup[2] !== undefined)) {
          const on = flagGroup[1]!;
          const off = flagGroup[2] ?? '';
          if (/[^imsU]/.test(on + off)) throw new RegexError(`error parsing regexp: invalid or unsupported Perl syntax: \`${flagGroup[0]}\``);
          const next: boolean = on.includes('i') ? true : off.includes('i') ? false : ci;
          if (flagGroup[3] === ')') {
            ci = next; // applies to the rest of the enclosing group
          } else {
            stack.push(ci);
            ci = next;
            out += '(?:';
          }
          i += flagGroup[0].length - 1;
          continue;
        }
      }
      stack.push(ci);
      out += c;
      continue;
    }
    if (c === ')') {
      ci = stack.pop() ?? false;
      out += c;
      continue;
    }
    if (ci) {
      const v = caseVariants(c);
      out += v.length > 1 ? `[${v}]` : c;
      continue;
    }
    out += c;
  }
  return out;
}

/**
 * Compiles a label-matcher regex with Prometheus's semantics: fully anchored, `.` matches newline,
 * RE2 syntax translated where JavaScript differs. Throws RegexError with RE2-style text when the
 * pattern is invalid.
 */
export function compileLabelRegex(pattern: string): RegExp {
  const src = re2ToJs(pattern);
  const flags = /\\[pP]/.test(src) ? 'su' : 's';
  try {
    return new RegExp(`^(?:${src})$`, flags);
  } catch (e) {
    throw new RegexError(`error parsing regexp: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
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
