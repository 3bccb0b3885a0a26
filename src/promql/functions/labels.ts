import { PromQLError } from '../eval/errors.js';
import { compileLabelRegex, type LabelRegex } from '../label-regex.js';
import type { RegexMatch } from '../../regex/index.js';

/**
 * Compiles a `label_replace` regex anchored at both ends with `.` matching newlines, as
 * Prometheus's `^(?s:re)$`.
 */
export function compileAnchored(re: string): LabelRegex {
  try {
    return compileLabelRegex(re);
  } catch {
    throw new PromQLError('execution', `invalid regular expression in label_replace(): ${re}`);
  }
}

/**
 * Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}` refer to groups (a name is the longest
 * run of letters, digits and `_`, so `$1x` means group "1x"); `$$` is a literal `$`; unknown
 * groups expand to "".
 */
export function expandTemplate(template: string, m: RegexMatch): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '$' || i + 1 >= template.length) {
      out += ch;
      continue;
    }
    const next = template[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    let end: number;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close < 0 || !/^\w+$/.test(inner)) {
        out += ch;
        continue;
      }
      name = inner;
      end = close + 1;
    } else {
      const mm = /^\w+/.exec(template.slice(i + 1));
      if (!mm) {
        out += ch;
        continue;
      }
      name = mm[0];
      end = i + 1 + name.length;
    }
    out += groupValue(m, name);
    i = end - 1;
  }
  return out;
}

function groupValue(m: RegexMatch, name: string): string {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    return n < m.length ? (m[n] ?? '') : '';
  }
  return m.groups?.[name] ?? '';
}

/** Prometheus 3 accepts any non-empty valid UTF-8 string as a label name. */
export function isValidLabelName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const hi = c <= 0xdbff;
      const n = name.charCodeAt(i + 1);
      if (!hi || !(n >= 0xdc00 && n <= 0xdfff)) return false;
      i++;
    }
    if (c === 0xfffd) return false;
  }
  return true;
}

/** Natural ordering used by `sort_by_label`: digit runs compare numerically. */
export function naturalLess(a: string, b: string): boolean {
  const ca = chunks(a);
  const cb = chunks(b);
  for (let i = 0; i < ca.length && i < cb.length; i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      const xt = x.replace(/^0+/, '');
      const yt = y.replace(/^0+/, '');
      if (xt.length !== yt.length) return xt.length < yt.length;
      if (xt !== yt) return xt < yt;
      return x.length < y.length;
    }
    return x < y;
  }
  return ca.length < cb.length;
}

function chunks(s: string): string[] {
  return s.match(/\d+|\D+/g) ?? [];
}
