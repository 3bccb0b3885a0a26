/**
 * Prometheus-style texts for syntax errors. The Peggy grammar only says where it got stuck; this
 * module replays Prometheus's lexer up to that point, so lexical problems get the lexer's own
 * message (`bad number or duration syntax: "5mm"`, `unexpected character inside braces: '*'`)
 * and grammar problems get the parser's (`unexpected "}" in label matching, expected string`).
 */

export interface SyntaxProblem {
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

type TokType = 'EOF' | 'IDENTIFIER' | 'METRIC_IDENTIFIER' | 'KEYWORD' | 'AGGREGATOR' | 'OPERATOR' | 'NUMBER' | 'DURATION' | 'STRING' | 'PUNCT';

interface Token {
  readonly type: TokType;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

class LexError extends Error {
  constructor(
    readonly start: number,
    message: string,
  ) {
    super(message);
  }
}

const KEYWORDS = new Set([
  'offset',
  'smoothed',
  'anchored',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'fill',
  'fill_left',
  'fill_right',
  'bool',
  'start',
  'end',
  'step',
  'range',
  'max_of',
  'min_of',
]);
const OPERATOR_WORDS = new Set(['and', 'or', 'unless', 'atan2']);
const AGGREGATORS = new Set([
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'count_values',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const DURATION_KEYWORDS = new Set(['step', 'range', 'min_of', 'max_of']);

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isAlpha = (c: string): boolean => c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlnum = (c: string): boolean => isAlpha(c) || isDigit(c);

/** Go's `%q` of a rune: `'x'`. */
function runeQuote(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '\\') return "'\\\\'";
  if (c === '\n') return "'\\n'";
  if (c === '\t') return "'\\t'";
  return `'${c}'`;
}

/** Go's `%#U` of a rune: `U+0063 'c'`. */
function runeU(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

/** A replica of Prometheus's lexer (promql/parser/lex.go), used only to explain failures. */
class Lexer {
  private pos = 0;
  private parenDepth = 0;
  private braceOpen = false;
  private bracketOpen = false;
  private gotColon = false;
  private gotDuration = false;
  /** Right after "[" Prometheus lexes a duration expression; after its first number, statements again. */
  private durationMode = false;

  constructor(private readonly input: string) {}

  private peek(): string {
    return this.input[this.pos] ?? '';
  }

  /** The next token, or a LexError. */
  next(): Token {
    for (;;) {
      if (this.input.startsWith('#', this.pos)) {
        while (this.pos < this.input.length && this.input[this.pos] !== '\n') this.pos++;
        continue;
      }
      if (isSpace(this.peek())) {
        this.pos++;
        continue;
      }
      break;
    }
    const start = this.pos;
    const c = this.peek();
    if (c === '') {
      if (this.braceOpen) throw new LexError(start, 'unexpected end of input inside braces');
      if (this.bracketOpen) throw new LexError(start, 'unexpected end of input in duration expression');
      if (this.parenDepth !== 0) throw new LexError(start, 'unclosed left parenthesis');
      return { type: 'EOF', text: '', start, end: start };
    }
    if (this.braceOpen) return this.insideBraces(start, c);
    if (this.bracketOpen && this.durationMode) return this.insideBrackets(start, c);
    return this.statement(start, c);
  }

  private tok(type: TokType, start: number, len: number): Token {
    this.pos = start + len;
    return { type, text: this.input.slice(start, start + len), start, end: start + len };
  }

  private statement(start: number, c: string): Token {
    const two = this.input.slice(start, start + 2);
    if (c === ',') return this.tok('PUNCT', start, 1);
    if ('*/%+-^@'.includes(c)) return this.tok('OPERATOR', start, 1);
    if (c === '=') {
      if (two === '==') return this.tok('OPERATOR', start, 2);
      if (two === '=~') throw new LexError(start, "unexpected character after '=': '~'");
      return this.tok('PUNCT', start, 1);
    }
    if (c === '!') {
      if (two === '!=') return this.tok('OPERATOR', start, 2);
      throw new LexError(start, `unexpected character after '!': ${runeQuote(this.input[start + 1] ?? '')}`);
    }
    if (c === '<' || c === '>') return this.tok('OPERATOR', start, two === c + '=' || two === c + '/' ? 2 : 1);
    if (isDigit(c) || (c === '.' && isDigit(this.input[start + 1] ?? ''))) return this.numberOrDuration(start);
    if (c === '"' || c === "'") return this.string(start, c);
    if (c === '`') return this.rawString(start);
    if ((isAlpha(c) || c === ':') && this.bracketOpen) {
      if (c === ':') {
        if (this.gotColon) throw new LexError(start, "unexpected colon ':'");
        this.gotColon = true;
        return this.tok('PUNCT', start, 1);
      }
      let e = start;
      while (e < this.input.length && isAlpha(this.input[e]!)) e++;
      if (DURATION_KEYWORDS.has(this.input.slice(start, e).toLowerCase())) return this.tok('KEYWORD', start, e - start);
      throw new LexError(start, `unexpected character: ${runeQuote(c)}, expected ':'`);
    }
    if (isAlpha(c) || c === ':') return this.word(start);
    if (c === '(') {
      this.parenDepth++;
      return this.tok('PUNCT', start, 1);
    }
    if (c === ')') {
      this.parenDepth--;
      // Prometheus emits the ")" first, so the error is reported one past it.
      if (this.parenDepth < 0) throw new LexError(start + 1, "unexpected right parenthesis ')'");
      return this.tok('PUNCT', start, 1);
    }
    if (c === '{') {
      this.braceOpen = true;
      return this.tok('PUNCT', start, 1);
    }
    if (c === '[') {
      if (this.bracketOpen) throw new LexError(start, "unexpected left bracket '['");
      this.durationMode = true;
      this.bracketOpen = true;
      this.gotColon = false;
      this.gotDuration = false;
      return this.tok('PUNCT', start, 1);
    }
    if (c === ']') {
      if (!this.bracketOpen) throw new LexError(start, "unexpected right bracket ']'");
      this.bracketOpen = false;
      this.gotColon = false;
      return this.tok('PUNCT', start, 1);
    }
    if (c === '}') throw new LexError(start, "unexpected character: '}'");
    throw new LexError(start, `unexpected character: ${runeQuote(String.fromCodePoint(this.input.codePointAt(start)!))}`);
  }

  private insideBraces(start: number, c: string): Token {
    if (isAlpha(c)) {
      let e = start;
      while (e < this.input.length && isAlnum(this.input[e]!)) e++;
      return this.tok('IDENTIFIER', start, e - start);
    }
    if (c === ',') return this.tok('PUNCT', start, 1);
    if (c === '"' || c === "'") return this.string(start, c);
    if (c === '`') return this.rawString(start);
    if (c === '=') return this.input[start + 1] === '~' ? this.tok('OPERATOR', start, 2) : this.tok('PUNCT', start, 1);
    if (c === '!') {
      const n = this.input[start + 1] ?? '';
      if (n === '~' || n === '=') return this.tok('OPERATOR', start, 2);
      throw new LexError(start, `unexpected character after '!' inside braces: ${runeQuote(n)}`);
    }
    if (c === '{') throw new LexError(start, "unexpected left brace '{'");
    if (c === '}') {
      this.braceOpen = false;
      return this.tok('PUNCT', start, 1);
    }
    throw new LexError(start, `unexpected character inside braces: ${runeQuote(c)}`);
  }

  private insideBrackets(start: number, c: string): Token {
    if (c === ']') {
      this.bracketOpen = false;
      this.durationMode = false;
      this.gotColon = false;
      return this.tok('PUNCT', start, 1);
    }
    if (c === ':') {
      if (!this.gotDuration) throw new LexError(start, 'unexpected colon before duration in duration expression');
      if (this.gotColon) throw new LexError(start, 'unexpected repeated colon in duration expression');
      this.gotColon = true;
      return this.tok('PUNCT', start, 1);
    }
    if (c === '(') {
      this.parenDepth++;
      return this.tok('PUNCT', start, 1);
    }
    if (c === ')') {
      this.parenDepth--;
      if (this.parenDepth < 0) throw new LexError(start + 1, "unexpected right parenthesis ')'");
      return this.tok('PUNCT', start, 1);
    }
    if ('+-*/%^'.includes(c)) return this.tok('OPERATOR', start, 1);
    if (c === ',') return this.tok('PUNCT', start, 1);
    if (isAlpha(c)) {
      let e = start;
      while (e < this.input.length && (isAlpha(this.input[e]!) || (e > start && isDigit(this.input[e]!)))) e++;
      const w = this.input.slice(start, e).toLowerCase();
      if (DURATION_KEYWORDS.has(w)) return this.tok('KEYWORD', start, e - start);
      throw new LexError(start, `unexpected character in duration expression: ${runeQuote(c)}`);
    }
    if (isDigit(c) || (c === '.' && isDigit(this.input[start + 1] ?? ''))) {
      this.gotDuration = true;
      this.durationMode = false;
      return this.numberOrDuration(start);
    }
    throw new LexError(start, `unexpected character in duration expression: ${runeQuote(c)}`);
  }

  private word(start: number): Token {
    let e = start;
    while (e < this.input.length && (isAlnum(this.input[e]!) || this.input[e] === ':')) e++;
    const w = this.input.slice(start, e);
    const l = w.toLowerCase();
    if (l === 'inf' || l === 'nan') return this.tok('NUMBER', start, e - start);
    if (OPERATOR_WORDS.has(l)) return this.tok('OPERATOR', start, e - start);
    if (AGGREGATORS.has(l)) return this.tok('AGGREGATOR', start, e - start);
    if (KEYWORDS.has(l)) {
      // fill* are keywords only before "(" (so they stay usable as metric names).
      if (l.startsWith('fill') && !/^\s*\(/.test(this.input.slice(e))) return this.tok('IDENTIFIER', start, e - start);
      return this.tok('KEYWORD', start, e - start);
    }
    return this.tok(w.includes(':') ? 'METRIC_IDENTIFIER' : 'IDENTIFIER', start, e - start);
  }

  /** Prometheus's scanNumber + acceptRemainingDuration. */
  private numberOrDuration(start: number): Token {
    const s = this.input;
    let p = start;
    const accept = (set: string): boolean => {
      if (p < s.length && set.includes(s[p]!)) {
        p++;
        return true;
      }
      return false;
    };
    const is = (set: string): boolean => p < s.length && set.includes(s[p]!);
    let digits = '0123456789';
    const numberOk = ((): boolean => {
      if (accept('0') && accept('xX')) {
        accept('_');
        digits = '0123456789abcdefABCDEF';
      }
      accept('.');
      accept(digits);
      let dot = false;
      let exp = false;
      while (is(digits + '._eE')) {
        if (is('.') && dot) {
          p++;
          return false;
        }
        if (is('eE') && exp && digits.length === 10) {
          p++;
          return false;
        }
        if (accept('.')) {
          dot = true;
          if (accept('_.')) return false;
          if (digits.length > 10) return false;
          continue;
        }
        if (digits.length === 10 && accept('eE')) {
          exp = true;
          accept('+-');
          if (accept('._eE') || p >= s.length) return false;
          continue;
        }
        if (accept('_')) {
          if (accept('._eE') || p >= s.length) return false;
          continue;
        }
        while (is(digits)) p++;
      }
      if (p === start) return false;
      return !isAlnum(s[p] ?? '');
    })();
    if (numberOk) return this.tok('NUMBER', start, p - start);
    // A duration: a unit, optional "s" (for ms), then more number+unit groups, then a non-alphanumeric.
    const durationOk = ((): boolean => {
      if (!accept('smhdwy')) return false;
      accept('s');
      while (accept('0123456789')) {
        while (accept('0123456789'));
        if (!accept('smhdw')) return false;
        accept('s');
      }
      const next = s[p] ?? '';
      p++;
      return !isAlnum(next);
    })();
    if (durationOk) return this.tok('DURATION', start, p - 1 - start);
    throw new LexError(start, `bad number or duration syntax: ${JSON.stringify(s.slice(start, Math.min(p, s.length)))}`);
  }

  private string(start: number, q: string): Token {
    const s = this.input;
    let p = start + 1;
    for (;;) {
      const c = s[p];
      if (c === undefined || c === '\n') throw new LexError(start, 'unterminated quoted string');
      if (c === q) break;
      if (c === '\\') {
        const e = s[p + 1];
        if (e === undefined) throw new LexError(start, 'escape sequence not terminated');
        if ('abfnrtv\\'.includes(e) || e === q) {
          p += 2;
          continue;
        }
        let n = 0;
        let base = 16;
        let first = p + 2;
        if (e >= '0' && e <= '7') {
          n = 3;
          base = 8;
          first = p + 1;
        } else if (e === 'x') n = 2;
        else if (e === 'u') n = 4;
        else if (e === 'U') n = 8;
        else throw new LexError(start, `unknown escape sequence ${runeU(e)}`);
        for (let k = 0; k < n; k++) {
          const d = s[first + k];
          if (d === undefined) throw new LexError(start, 'escape sequence not terminated');
          if (Number.isNaN(Number.parseInt(d, base))) throw new LexError(start, `illegal character ${runeU(d)} in escape sequence`);
        }
        p = first + n;
        continue;
      }
      p++;
    }
    return this.tok('STRING', start, p + 1 - start);
  }

  private rawString(start: number): Token {
    const end = this.input.indexOf('`', start + 1);
    if (end < 0) throw new LexError(start, 'unterminated raw string');
    return this.tok('STRING', start, end + 1 - start);
  }
}

/** How Prometheus's parser describes a token in "unexpected ..." messages. */
function describe(t: Token): string {
  switch (t.type) {
    case 'EOF':
      return 'end of input';
    case 'IDENTIFIER':
      return `identifier ${JSON.stringify(t.text)}`;
    case 'METRIC_IDENTIFIER':
      return `metric identifier ${JSON.stringify(t.text)}`;
    case 'KEYWORD':
      return `<${t.text}>`;
    case 'AGGREGATOR':
      return `<aggr:${t.text}>`;
    case 'OPERATOR':
      return `<op:${t.text}>`;
    case 'PUNCT':
      return JSON.stringify(t.text);
    default: {
      const shown = t.text.length > 10 ? `${JSON.stringify(t.text.slice(0, 10))}...` : JSON.stringify(t.text);
      return `${t.type.toLowerCase()} ${shown}`;
    }
  }
}

const GROUPING_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** The parser's context phrase for a failure at `cur`, from the tokens before it. */
function context(tokens: readonly Token[], cur: Token): string {
  const prev = tokens[tokens.length - 1];
  const word = (t: Token | undefined): string => (t ? t.text.toLowerCase() : '');
  // Inside braces: find the innermost unclosed "{".
  let depth = 0;
  let brace = -1;
  let bracket = -1;
  let paren: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!.text;
    if (tokens[i]!.type !== 'PUNCT') continue;
    if (t === '{') {
      depth++;
      brace = i;
    } else if (t === '}') depth--;
    else if (t === '[') bracket = i;
    else if (t === ']') bracket = -1;
    else if (t === '(') paren.push(i);
    else if (t === ')') paren = paren.slice(0, -1);
  }
  if (depth > 0 && brace >= 0 && prev) {
    if (prev.text === '{' || prev.text === ',') return ' in label matching, expected identifier or "}"';
    if (prev.type === 'PUNCT' && prev.text === '=') return ' in label matching, expected string';
    if (prev.type === 'OPERATOR') return ' in label matching, expected string';
    const before = tokens[tokens.length - 2];
    if (prev.type === 'STRING' && before && (before.text === '=' || before.type === 'OPERATOR')) return ' in label matching, expected "," or "}"';
    if (prev.type === 'IDENTIFIER') return ' in label matching, expected label matching operator';
    if (prev.type === 'STRING') return ' in label matching, expected "," or "}"';
    return ' in label matching';
  }
  if (bracket >= 0 && prev) {
    const colon = tokens.slice(bracket).some((t) => t.text === ':');
    if (prev.text === '[' || prev.text === '(' || prev.type === 'KEYWORD' || prev.type === 'OPERATOR') {
      return colon
        ? ' in subquery selector, expected number, duration, step(), range(), or "]"'
        : ' in subquery or range selector, expected number, duration, step(), or range()';
    }
    if (prev.text === ':') return ' in subquery selector, expected number, duration, step(), range(), or "]"';
    return colon ? ' in subquery selector, expected "]"' : ' in subquery or range, expected ":" or "]"';
  }
  if (prev && word(prev) === 'offset' && prev.type === 'KEYWORD') return ' in offset, expected number, duration, step(), or range()';
  if (prev && prev.text === '@') return ' in @, expected timestamp';
  if (prev && prev.type === 'KEYWORD' && GROUPING_KEYWORDS.has(word(prev)) && cur.text !== '(') {
    return word(prev).startsWith('group_') ? '' : ' in grouping opts, expected "("';
  }
  const open = paren[paren.length - 1];
  if (open !== undefined && open > 0) {
    const kw = tokens[open - 1]!;
    if (kw.type === 'KEYWORD' && GROUPING_KEYWORDS.has(word(kw)) && prev) {
      if (prev.text === '(' || prev.text === ',') return ' in grouping opts, expected label';
      return ' in grouping opts, expected "," or ")"';
    }
  }
  return '';
}

/**
 * Explains a syntax failure at `offset` (where the grammar got stuck) as Prometheus would: the
 * lexer's error if the text up to that point does not even lex, else the unexpected token there.
 */
export function explainSyntaxError(query: string, offset: number): SyntaxProblem {
  const lexer = new Lexer(query);
  const tokens: Token[] = [];
  try {
    for (;;) {
      const t = lexer.next();
      if (t.end > offset || t.start >= offset || t.type === 'EOF') {
        return { start: t.start, end: t.end, message: `unexpected ${describe(t)}${context(tokens, t)}` };
      }
      tokens.push(t);
    }
  } catch (e) {
    if (e instanceof LexError) return { start: e.start, end: query.length, message: e.message };
    throw e;
  }
}
