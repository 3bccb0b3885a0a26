/**
 * Go's string quoting, for the texts Prometheus builds with `%q` (error messages, annotations,
 * printed label matchers): the same bytes Prometheus would show.
 */

/** Go's unicode.IsPrint beyond ASCII: letters, marks, numbers, punctuation and symbols (no spaces). */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's `strconv.Quote`: double quotes, Go escapes for control and non-printable characters. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    // A byte that was not UTF-8 (a PromQL literal keeps it as U+DC80..U+DCFF) prints as Go prints it.
    else if (cp >= 0xdc80 && cp <= 0xdcff) out += '\\x' + (cp - 0xdc00).toString(16);
    else if (cp < 0x7f || PRINTABLE.test(ch)) out += ch;
    else out += cp > 0xffff ? '\\U' + cp.toString(16).padStart(8, '0') : '\\u' + cp.toString(16).padStart(4, '0');
  }
  return out + '"';
}
