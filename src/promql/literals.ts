/**
 * PromQL number and string literals decoded exactly as Prometheus does (Go's strconv rules).
 */

/** Go's `strconv.ParseInt(s, 0, 64)` then `ParseFloat(s, 64)`, as Prometheus reads numbers. */
export function parseNumber(text: string): number {
  const lower = text.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(lower)) return NaN;
  if (/^0x_?[0-9a-f][0-9a-f_]*$/.test(lower)) {
    const v = Number.parseInt(lower.slice(2).replace(/_/g, ''), 16);
    return v;
  }
  if (/^[0-9][0-9_]*$/.test(lower)) {
    const digits = lower.replace(/_/g, '');
    // A leading zero means octal to Go; 08 and 09 fall back to decimal float parsing.
    if (digits.length > 1 && digits[0] === '0' && /^[0-7]+$/.test(digits)) return Number.parseInt(digits, 8);
    const v = Number(digits);
    if (!Number.isFinite(v)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(text)}: value out of range`);
    return v;
  }
  if (lower.includes('_')) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(text)}: invalid syntax`);
  const v = Number(text);
  if (Number.isNaN(v)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(text)}: invalid syntax`);
  if (!Number.isFinite(v)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(text)}: value out of range`);
  return v;
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

/** Go's `%#U` of a character: `U+0063 'c'`. */
function runeU(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

/**
 * Go's `strconv.Unquote` for PromQL strings: `"..."` and `'...'` with Go escapes (`\n`, `\x41`,
 * `\101`, `\u00e9`, `\U0001F600`...), and raw `` `...` ``. Throws with the message Prometheus's
 * lexer gives for the same mistake (`unknown escape sequence U+0063 'c'`).
 */
export function unquoteString(raw: string): string {
  const quote = raw[0];
  if (quote === '`') {
    if (raw.length < 2 || raw[raw.length - 1] !== '`' || raw.slice(1, -1).includes('`')) throw new Error('unterminated raw string');
    return raw.slice(1, -1).replace(/\r/g, '');
  }
  if ((quote !== '"' && quote !== "'") || raw.length < 2) throw new Error('unterminated quoted string');
  const body = raw.slice(1, -1);
  if (raw[raw.length - 1] !== quote) throw new Error('unterminated quoted string');
  if (!body.includes('\\')) {
    if (body.includes(quote) || body.includes('\n')) throw new Error('unterminated quoted string');
    return body;
  }
  // \x and octal escapes produce raw bytes, so assemble UTF-8 bytes and decode once.
  const bytes: number[] = [];
  const pushCodePoint = (cp: number): void => {
    for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
  };
  for (let i = 0; i < body.length;) {
    const c = body[i]!;
    if (c === quote || c === '\n') throw new Error('unterminated quoted string');
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      pushCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) throw new Error('escape sequence not terminated');
    if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]!);
      i += 2;
      continue;
    }
    if (e === quote) {
      bytes.push(quote.charCodeAt(0));
      i += 2;
      continue;
    }
    let n: number;
    let base = 16;
    let first = i + 2;
    if (e >= '0' && e <= '7') {
      n = 3;
      base = 8;
      first = i + 1;
    } else if (e === 'x') n = 2;
    else if (e === 'u') n = 4;
    else if (e === 'U') n = 8;
    else throw new Error(`unknown escape sequence ${runeU(e)}`);
    const digits = body.slice(first, first + n);
    for (const d of digits) {
      if (Number.isNaN(Number.parseInt(d, base))) throw new Error(`illegal character ${runeU(d)} in escape sequence`);
    }
    if (digits.length < n) throw new Error('escape sequence not terminated');
    const v = Number.parseInt(digits, base);
    if (e === 'u' || e === 'U') {
      if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) throw new Error('escape sequence is an invalid Unicode code point');
      pushCodePoint(v);
    } else {
      if (v > 255) throw new Error('escape sequence is an invalid Unicode code point');
      bytes.push(v);
    }
    i = first + n;
  }
  return decodeUtf8Escaping(Uint8Array.from(bytes));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 bytes as a string; bytes that are not valid UTF-8 (`"\xc5"` alone) become the lone
 * surrogates U+DC80..U+DCFF, so Go's `%q` can print them back as `\xc5` (goQuote) instead of
 * losing them to U+FFFD.
 */
function decodeUtf8Escaping(b: Uint8Array): string {
  try {
    return strictUtf8.decode(b);
  } catch {
    let out = '';
    let i = 0;
    while (i < b.length) {
      const c = b[i]!;
      const len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
      if (len > 0 && i + len <= b.length) {
        try {
          out += strictUtf8.decode(b.subarray(i, i + len));
          i += len;
          continue;
        } catch {
          // not a whole character: escape the lead byte below
        }
      }
      out += String.fromCharCode(0xdc00 + c);
      i++;
    }
    return out;
  }
}
