import { RegexError } from './errors.js';

/**
 * A parsed RE2 (Go regexp/syntax) pattern. Prometheus matches label regexes with Go's RE2, whose
 * syntax and semantics differ from JavaScript's RegExp in many small ways (`\Q..\E`, `(?i)` in the
 * middle of a pattern, `[]a]`, POSIX classes, `\s` being ASCII-only, octal escapes, `(?U)` …).
 * So we parse the RE2 syntax ourselves, reject what RE2 rejects, and emit our own matcher from the tree.
 * Case folding is resolved at parse time (literals and classes carry their folded code points).
 */
export type RegexNode =
  | { readonly t: 'lit'; readonly cps: readonly number[] } // one position matching any of cps (several when case-folded)
  | { readonly t: 'class'; readonly ranges: readonly Range[]; readonly props: readonly string[]; readonly negated: boolean }
  | { readonly t: 'any'; readonly nl: boolean }
  | { readonly t: 'assert'; readonly kind: AssertKind }
  | { readonly t: 'cat'; readonly items: readonly RegexNode[] }
  | { readonly t: 'alt'; readonly items: readonly RegexNode[] }
  | { readonly t: 'rep'; readonly min: number; readonly max: number; readonly greedy: boolean; readonly body: RegexNode }
  // A capture group; only produced when parsing with captures (label_replace, relabeling). `index` counts from 1.
  | { readonly t: 'cap'; readonly index: number; readonly name: string | undefined; readonly body: RegexNode };

export type Range = readonly [number, number];
export type AssertKind = 'bot' | 'eot' | 'bol' | 'eol' | 'wordb' | 'nwordb';

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const MAX_CP = 0x10ffff;
const MAX_REPEAT = 1000; // RE2's limit on {n,m}

const PERL: Record<string, Range[]> = {
  d: [[0x30, 0x39]],
  s: [
    [0x09, 0x0a],
    [0x0c, 0x0d],
    [0x20, 0x20],
  ],
  w: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
};

const POSIX: Record<string, Range[]> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

const GENERAL_CATEGORIES = new Set('C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '));

/** Code points that case-fold together beyond simple upper/lower (Go's fold orbits). */
const FOLD_EXTRA: Record<number, number[]> = {
  0x6b: [0x212a],
  0x4b: [0x212a],
  0x212a: [0x6b, 0x4b],
  0x73: [0x17f],
  0x53: [0x17f],
  0x17f: [0x73, 0x53],
  0xe5: [0x212b],
  0xc5: [0x212b],
  0x212b: [0xe5, 0xc5],
};

export function foldCodePoint(cp: number): number[] {
  const s = String.fromCodePoint(cp);
  const out = new Set<number>([cp]);
  for (const v of [s.toLowerCase(), s.toUpperCase()]) {
    // Only single-code-point mappings fold (ß → SS does not, as in RE2's simple folding).
    if ([...v].length === 1) out.add(v.codePointAt(0)!);
  }
  for (const e of FOLD_EXTRA[cp] ?? []) out.add(e);
  return [...out].sort((a, b) => a - b);
}

function foldRanges(ranges: Range[]): Range[] {
  const out: Range[] = [...ranges];
  for (const [lo, hi] of ranges) {
    // A range spanning most of Unicode already covers its own folds; folding it cp by cp is waste.
    if (hi - lo > 4096) continue;
    for (let cp = lo; cp <= hi; cp++) {
      for (const f of foldCodePoint(cp)) if (f < lo || f > hi) out.push([f, f]);
    }
  }
  return normalizeRanges(out);
}

export function normalizeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function negateRanges(ranges: Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalizeRanges(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

function isDigit(cp: number): boolean {
  return cp >= 0x30 && cp <= 0x39;
}
function isOctal(cp: number): boolean {
  return cp >= 0x30 && cp <= 0x37;
}
function isHex(cp: number): boolean {
  return isDigit(cp) || (cp >= 0x41 && cp <= 0x46) || (cp >= 0x61 && cp <= 0x66);
}
function isAlnum(cp: number): boolean {
  return isDigit(cp) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
}
function isWordChar(cp: number): boolean {
  return isAlnum(cp) || cp === 0x5f;
}

/** A parsed escape: a single code point, or a class (\d, \pL …). */
type Escape = { readonly cp: number } | { readonly ranges: Range[]; readonly props: string[] };

const MAX_NESTING = 1000; // RE2's limit, which also keeps our recursive passes off the stack limit

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly names = new Set<string>();
  private readonly cps: number[];
  /** Capture groups opened so far; group names by index (undefined for unnamed ones). */
  readonly groupNames: (string | undefined)[] = [];

  constructor(
    private readonly src: string,
    private readonly captures = false,
  ) {
    this.cps = Array.from(src, (c) => c.codePointAt(0)!);
  }

  fail(what: string): never {
    throw new RegexError(`invalid regex ${JSON.stringify(this.src)}: ${what}`);
  }

  parse(): RegexNode {
    const node = this.parseAlt({ i: false, m: false, s: true, U: false });
    if (this.pos < this.cps.length) this.fail('unexpected )');
    return node;
  }

  private peek(off = 0): number | undefined {
    return this.cps[this.pos + off];
  }

  private parseAlt(flags: Flags): RegexNode {
    const f: Flags = { ...flags }; // (?i) mid-group changes flags up to the end of this group
    const alts: RegexNode[] = [];
    let items: RegexNode[] = [];
    let lastIsRepeat = false;
    const n = this.cps.length;
    while (this.pos < n) {
      const c = this.cps[this.pos]!;
      if (c === 0x29 /* ) */) break;
      if (c === 0x7c /* | */) {
        this.pos++;
        alts.push(cat(items));
        items = [];
        lastIsRepeat = false;
        continue;
      }
      const rep = this.tryRepeat(c);
      if (rep) {
        if (items.length === 0) this.fail(`missing argument to repetition operator ${rep.text}`);
        if (lastIsRepeat) this.fail(`invalid nested repetition operator ${rep.text}`);
        const greedy = f.U ? !rep.greedy : rep.greedy;
        items[items.length - 1] = { t: 'rep', min: rep.min, max: rep.max, greedy, body: items[items.length - 1]! };
        lastIsRepeat = true;
        continue;
      }
      lastIsRepeat = false;
      if (c === 0x28 /* ( */) {
        const g = this.parseGroup(f);
        if (g) items.push(g);
        continue;
      }
      this.pos++;
      switch (c) {
        case 0x5b /* [ */:
          items.push(this.parseClass(f));
          break;
        case 0x2e /* . */:
          items.push({ t: 'any', nl: f.s });
          break;
        case 0x5e /* ^ */:
          items.push({ t: 'assert', kind: f.m ? 'bol' : 'bot' });
          break;
        case 0x24 /* $ */:
          items.push({ t: 'assert', kind: f.m ? 'eol' : 'eot' });
          break;
        case 0x5c /* \ */:
          this.parseEscapeAtom(f, items);
          break;
        default:
          items.push(lit(c, f.i));
      }
    }
    alts.push(cat(items));
    return alts.length === 1 ? alts[0]! : { t: 'alt', items: alts };
  }

  private tryRepeat(c: number): { min: number; max: number; greedy: boolean; text: string } | undefined {
    const start = this.pos;
    let min: number;
    let max: number;
    if (c === 0x2a /* * */) [min, max] = [0, Infinity];
    else if (c === 0x2b /* + */) [min, max] = [1, Infinity];
    else if (c === 0x3f /* ? */) [min, max] = [0, 1];
    else if (c === 0x7b /* { */) {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 24)));
      if (!m) return undefined; // RE2 reads a `{` that is not a repeat as a literal
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT) || max < min) this.fail(`invalid repeat count ${m[0]}`);
      this.pos += m[0].length - 1;
    } else return undefined;
    this.pos++;
    let greedy = true;
    if (this.peek() === 0x3f) {
      greedy = false;
      this.pos++;
    }
    return { min, max, greedy, text: String.fromCodePoint(...this.cps.slice(start, this.pos)) };
  }

  /** Returns undefined for a bare flag group `(?i)`, which only changes `f`. */
  private parseGroup(f: Flags): RegexNode | undefined {
    this.pos++; // (
    let inner: Flags = f;
    let capture = true;
    let name: string | undefined;
    if (this.peek() === 0x3f /* ? */) {
      const rest = String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 40));
      const named = /^\?P?<([A-Za-z0-9_]+)>/.exec(rest);
      if (named) {
        if (this.names.has(named[1]!)) this.fail(`duplicate capture group name ${named[1]}`);
        this.names.add(named[1]!);
        name = named[1]!;
        this.pos += named[0].length;
      } else if (/^\?(P=|=|!|<=|<!|>|#|\||P>)/.test(rest) || /^\?<[^A-Za-z0-9_]/.test(rest)) {
        this.fail(`unsupported group syntax (${rest.slice(0, 3)} (RE2 has no lookaround, backreferences or atomic groups)`);
      } else {
        this.pos++; // ?
        const nf: Flags = { ...f };
        let negate = false;
        let sawFlag = false;
        for (;;) {
          const c = this.peek();
          if (c === undefined) this.fail('missing closing )');
          this.pos++;
          const ch = String.fromCodePoint(c);
          if (ch === 'i' || ch === 'm' || ch === 's' || ch === 'U') {
            nf[ch] = !negate;
            sawFlag = true;
          } else if (ch === '-') {
            if (negate) this.fail('invalid flag group: two -');
            negate = true;
            sawFlag = false;
          } else if (ch === ')' || ch === ':') {
            if (!sawFlag && (negate || ch === ')')) this.fail('invalid or empty flag group');
            if (ch === ')') {
              Object.assign(f, nf);
              return undefined;
            }
            inner = nf;
            capture = false;
            break;
          } else this.fail(`invalid flag ${JSON.stringify(ch)} in group`);
        }
      }
    }
    if (++this.depth > MAX_NESTING) this.fail('expression nests too deeply');
    const index = capture && this.captures ? this.groupNames.push(name) : 0;
    const body = this.parseAlt(inner);
    this.depth--;
    if (this.peek() !== 0x29) this.fail('missing closing )');
    this.pos++;
    // Captures do not change whether a value matches: without `captures` every group is a plain node.
    if (index > 0) return { t: 'cap', index, name, body };
    return body.t === 'cat' && body.items.length === 1 ? body.items[0]! : body;
  }

  private parseEscapeAtom(f: Flags, items: RegexNode[]): void {
    const c = this.peek();
    if (c === undefined) this.fail('trailing backslash at end of expression');
    const ch = String.fromCodePoint(c);
    switch (ch) {
      case 'A':
        this.pos++;
        items.push({ t: 'assert', kind: 'bot' });
        return;
      case 'z':
        this.pos++;
        items.push({ t: 'assert', kind: 'eot' });
        return;
      case 'b':
        this.pos++;
        items.push({ t: 'assert', kind: 'wordb' });
        return;
      case 'B':
        this.pos++;
        items.push({ t: 'assert', kind: 'nwordb' });
        return;
      case 'C':
        return this.fail('\\C (any byte) is not supported');
      case 'Q': {
        this.pos++;
        while (this.pos < this.cps.length) {
          if (this.cps[this.pos] === 0x5c && this.cps[this.pos + 1] === 0x45 /* \E */) {
            this.pos += 2;
            return;
          }
          items.push(lit(this.cps[this.pos]!, f.i));
          this.pos++;
        }
        return;
      }
    }
    const e = this.parseEscape(false);
    if ('cp' in e) items.push(lit(e.cp, f.i));
    else items.push(classNode(e.ranges, e.props, false, f.i));
  }

  /** After a backslash: one escape (a code point or a Perl/Unicode class). */
  private parseEscape(inClass: boolean): Escape {
    const c = this.peek();
    if (c === undefined) this.fail('trailing backslash at end of expression');
    this.pos++;
    const ch = String.fromCodePoint(c);
    if (c >= 0x31 && c <= 0x37) {
      if (!isOctal(this.peek() ?? 0)) this.fail(`invalid escape sequence \\${ch} (backreferences are not supported)`);
    }
    if (c >= 0x30 && c <= 0x37) {
      let v = c - 0x30;
      for (let k = 0; k < 2 && isOctal(this.peek() ?? 0); k++) v = v * 8 + (this.cps[this.pos++]! - 0x30);
      return { cp: v };
    }
    switch (ch) {
      case 'a':
        return { cp: 7 };
      case 'f':
        return { cp: 12 };
      case 't':
        return { cp: 9 };
      case 'n':
        return { cp: 10 };
      case 'r':
        return { cp: 13 };
      case 'v':
        return { cp: 11 };
      case 'x': {
        if (this.peek() === 0x7b) {
          let end = this.pos + 1;
          while (end < this.cps.length && isHex(this.cps[end]!)) end++;
          if (this.cps[end] !== 0x7d || end === this.pos + 1) this.fail('invalid escape sequence \\x{...}');
          const v = parseInt(String.fromCodePoint(...this.cps.slice(this.pos + 1, end)), 16);
          if (v > MAX_CP) this.fail('invalid escape sequence: code point out of range');
          this.pos = end + 1;
          return { cp: v };
        }
        const a = this.peek();
        const b = this.peek(1);
        if (a === undefined || b === undefined || !isHex(a) || !isHex(b)) this.fail('invalid escape sequence \\x');
        this.pos += 2;
        return { cp: parseInt(String.fromCodePoint(a, b), 16) };
      }
      case 'd':
      case 's':
      case 'w':
        return { ranges: [...PERL[ch]!], props: [] };
      case 'D':
      case 'S':
      case 'W':
        return { ranges: negateRanges(PERL[ch.toLowerCase()]!), props: [] };
      case 'p':
      case 'P':
        return this.parseUnicodeClass(ch === 'P');
    }
    if (c < 0x80 && !isAlnum(c)) return { cp: c }; // RE2: any escaped ASCII punctuation is itself
    this.fail(`invalid escape sequence \\${ch}${inClass ? ' in character class' : ''}`);
  }

  private parseUnicodeClass(negated: boolean): Escape {
    let name: string;
    const c = this.peek();
    if (c === undefined) this.fail('invalid character class range \\p');
    if (c === 0x7b) {
      let end = this.pos + 1;
      while (end < this.cps.length && this.cps[end] !== 0x7d) end++;
      if (end >= this.cps.length) this.fail('invalid character class range: missing }');
      name = String.fromCodePoint(...this.cps.slice(this.pos + 1, end));
      this.pos = end + 1;
    } else {
      name = String.fromCodePoint(c);
      this.pos++;
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    if (name === 'Any') return { ranges: negated ? [] : [[0, MAX_CP]], props: [] };
    if (!/^[A-Za-z_]+$/.test(name)) this.fail(`invalid character class range \\p{${name}}`);
    const body = GENERAL_CATEGORIES.has(name) ? name : `Script=${name}`;
    const prop = `\\${negated ? 'P' : 'p'}{${body}}`;
    try {
      new RegExp(prop, 'u');
    } catch {
      this.fail(`unknown Unicode class \\p{${name}}`);
    }
    return { ranges: [], props: [prop] };
  }

  private parseClass(f: Flags): RegexNode {
    let negated = false;
    if (this.peek() === 0x5e) {
      negated = true;
      this.pos++;
    }
    const ranges: Range[] = [];
    const props: string[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('missing closing ]');
      if (c === 0x5d && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (c === 0x5b && this.peek(1) === 0x3a /* [: */) {
        const rest = String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 12));
        const m = /^\[:(\^?)([a-z]+):\]/.exec(rest);
        if (m) {
          const r = POSIX[m[2]!];
          if (!r) this.fail(`invalid character class range [:${m[2]}:]`);
          ranges.push(...(m[1] ? negateRanges(r) : r));
          this.pos += m[0].length;
          continue;
        }
      }
      const lo = this.classAtom();
      if ('ranges' in lo) {
        ranges.push(...lo.ranges);
        props.push(...lo.props);
        continue;
      }
      if (this.peek() === 0x2d && this.peek(1) !== undefined && this.peek(1) !== 0x5d) {
        this.pos++;
        const hi = this.classAtom();
        if (!('cp' in hi) || hi.cp < lo.cp) this.fail('invalid character class range');
        ranges.push([lo.cp, hi.cp]);
      } else ranges.push([lo.cp, lo.cp]);
    }
    return classNode(ranges, props, negated, f.i);
  }

  private classAtom(): Escape {
    const c = this.cps[this.pos++]!;
    if (c === 0x5c) return this.parseEscape(true);
    return { cp: c };
  }
}

function lit(cp: number, fold: boolean): RegexNode {
  return { t: 'lit', cps: fold ? foldCodePoint(cp) : [cp] };
}

function classNode(ranges: Range[], props: string[], negated: boolean, fold: boolean): RegexNode {
  // RE2 folds the class before negating it: (?i)[^a] matches neither a nor A.
  return { t: 'class', ranges: fold ? foldRanges(ranges) : normalizeRanges(ranges), props, negated };
}

function cat(items: RegexNode[]): RegexNode {
  return items.length === 1 ? items[0]! : { t: 'cat', items };
}

/** Parses an RE2 pattern (without Prometheus's anchoring) or throws RegexError naming it. */
export function parseRegex(src: string): RegexNode {
  return new Parser(src).parse();
}

/** parseRegex keeping capture groups as `cap` nodes; `groupNames[i - 1]` names group i. */
export function parseRegexWithCaptures(src: string): { node: RegexNode; groupNames: readonly (string | undefined)[] } {
  const p = new Parser(src, true);
  const node = p.parse();
  return { node, groupNames: p.groupNames };
}

export function isWordCodePoint(cp: number): boolean {
  return isWordChar(cp);
}
