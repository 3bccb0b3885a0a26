import { RegexError } from './errors.js';
import { isWordCodePoint, parseRegex, parseRegexWithCaptures, type AssertKind, type Range, type RegexNode } from './syntax.js';

/**
 * How to find the label values a regex can match without testing every value:
 * - `exact`: only these values (a literal or a small literal alternation) — point lookups;
 * - `prefix`: values starting with `prefix`; `rest` says what may follow (`any`: anything, so no test
 *   is needed; `nonempty`: at least one character; `other`: test each value);
 * - `all` (`.*`): every value; `nonempty` (`.+`): every non-empty value; `scan`: test every value.
 */
export type RegexPlan =
  | { readonly kind: 'exact'; readonly values: readonly string[] }
  | { readonly kind: 'prefix'; readonly prefix: string; readonly rest: 'any' | 'nonempty' | 'other' }
  | { readonly kind: 'all' }
  | { readonly kind: 'nonempty' }
  | { readonly kind: 'scan' };

export interface CompiledRegex {
  readonly source: string;
  /** Full (anchored) match, as Prometheus does with `^(?s:re)$`. */
  test(value: string): boolean;
  readonly plan: RegexPlan;
  readonly matchesEmpty: boolean;
}

const LITERAL_SET_LIMIT = 64;
const MAX_PROGRAM = 100_000;

function cpString(cp: number): string {
  return String.fromCodePoint(cp);
}

function rangesSize(ranges: readonly Range[]): number {
  let n = 0;
  for (const [lo, hi] of ranges) n += hi - lo + 1;
  return n;
}

/** All strings the node can match, when they are few and the node has no assertions. */
export function literalSet(node: RegexNode, limit = LITERAL_SET_LIMIT): string[] | undefined {
  switch (node.t) {
    case 'lit':
      return node.cps.length <= limit ? node.cps.map(cpString) : undefined;
    case 'class': {
      if (node.negated || node.props.length > 0 || rangesSize(node.ranges) > limit) return undefined;
      const out: string[] = [];
      for (const [lo, hi] of node.ranges) for (let cp = lo; cp <= hi; cp++) out.push(cpString(cp));
      return out;
    }
    case 'cat': {
      let acc: string[] = [''];
      for (const item of node.items) {
        const s = literalSet(item, limit);
        if (!s || acc.length * s.length > limit) return undefined;
        const next: string[] = [];
        for (const a of acc) for (const b of s) next.push(a + b);
        acc = next;
      }
      return acc;
    }
    case 'alt': {
      const out = new Set<string>();
      for (const item of node.items) {
        const s = literalSet(item, limit);
        if (!s) return undefined;
        for (const v of s) out.add(v);
        if (out.size > limit) return undefined;
      }
      return [...out];
    }
    case 'rep': {
      if (node.max > 4) return undefined;
      const body = literalSet(node.body, limit);
      if (!body) return undefined;
      const out = new Set<string>();
      let pow: string[] = [''];
      for (let k = 0; k <= node.max; k++) {
        if (k >= node.min) for (const v of pow) out.add(v);
        if (k === node.max) break;
        if (pow.length * body.length > limit) return undefined;
        const next: string[] = [];
        for (const a of pow) for (const b of body) next.push(a + b);
        pow = next;
      }
      return out.size <= limit ? [...out] : undefined;
    }
    case 'cap':
      return literalSet(node.body, limit);
    case 'any':
    case 'assert':
      return undefined;
  }
}

function isDotStar(n: RegexNode, min: number): boolean {
  return n.t === 'rep' && n.min === min && n.max === Infinity && n.body.t === 'any' && n.body.nl;
}

export function planRegex(node: RegexNode): RegexPlan {
  const set = literalSet(node);
  if (set) return { kind: 'exact', values: set };
  if (isDotStar(node, 0)) return { kind: 'all' };
  if (isDotStar(node, 1)) return { kind: 'nonempty' };
  if (node.t !== 'cat') return { kind: 'scan' };
  let prefix = '';
  let i = 0;
  for (; i < node.items.length; i++) {
    const s = literalSet(node.items[i]!, 1);
    if (!s || s.length !== 1) break;
    prefix += s[0]!;
  }
  if (prefix === '') return { kind: 'scan' };
  const rest = node.items.slice(i);
  if (rest.length === 1 && isDotStar(rest[0]!, 0)) return { kind: 'prefix', prefix, rest: 'any' };
  if (rest.length === 1 && isDotStar(rest[0]!, 1)) return { kind: 'prefix', prefix, rest: 'nonempty' };
  return { kind: 'prefix', prefix, rest: 'other' };
}

// ---- JavaScript RegExp emission (fast, JIT-compiled; used when backtracking cannot blow up) ----

function esc(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

function emitClassBody(ranges: readonly Range[], props: readonly string[]): string {
  let s = '';
  for (const [lo, hi] of ranges) s += lo === hi ? esc(lo) : `${esc(lo)}-${esc(hi)}`;
  return s + props.join('');
}

const ASSERT_JS: Record<AssertKind, string> = {
  bot: '^',
  eot: '$',
  bol: '(?:^|(?<=\\n))',
  eol: '(?:$|(?=\\n))',
  wordb: '\\b',
  nwordb: '\\B',
};

function emitJs(n: RegexNode): string {
  switch (n.t) {
    case 'lit':
      return n.cps.length === 1 ? esc(n.cps[0]!) : `[${n.cps.map(esc).join('')}]`;
    case 'class':
      return `[${n.negated ? '^' : ''}${emitClassBody(n.ranges, n.props)}]`;
    case 'any':
      return n.nl ? '[^]' : '[^\\n]';
    case 'assert':
      return ASSERT_JS[n.kind];
    case 'cat':
      return n.items.map((x) => (x.t === 'alt' ? `(?:${emitJs(x)})` : emitJs(x))).join('');
    case 'alt':
      return n.items.map(emitJs).join('|');
    case 'rep': {
      const q =
        n.min === 0 && n.max === Infinity
          ? '*'
          : n.min === 1 && n.max === Infinity
            ? '+'
            : n.min === 0 && n.max === 1
              ? '?'
              : n.max === Infinity
                ? `{${n.min},}`
                : n.min === n.max
                  ? `{${n.min}}`
                  : `{${n.min},${n.max}}`;
      return `(?:${emitJs(n.body)})${q}${n.greedy ? '' : '?'}`;
    }
    case 'cap':
      return `(?:${emitJs(n.body)})`;
  }
}

/**
 * True when a backtracking engine could take super-linear time: a repetition whose body can
 * itself repeat or branch (`(a+)+`, `(a|a)*`), or more than two long repetitions in sequence
 * (`.*a.*b.*c` is cubic on a 2 KB value). Those patterns go to the linear-time automaton instead,
 * as RE2 promises linear matching.
 */
export function backtrackRisk(node: RegexNode): boolean {
  let unbounded = 0;
  const walk = (n: RegexNode, insideRep: boolean): boolean => {
    switch (n.t) {
      case 'cat':
        return n.items.some((x) => walk(x, insideRep));
      case 'alt':
        if (insideRep) return true;
        return n.items.some((x) => walk(x, insideRep));
      case 'rep':
        if (n.max > 16) unbounded++;
        if (insideRep && n.max > 1) return true;
        return walk(n.body, insideRep || n.max > 1);
      case 'cap':
        return walk(n.body, insideRep);
      default:
        return false;
    }
  };
  return walk(node, false) || unbounded > 2;
}

// ---- Linear-time automaton (Thompson NFA simulated Pike-style over code points) ----

const OP_CHAR = 0;
const OP_SPLIT = 1;
const OP_JMP = 2;
const OP_ASSERT = 3;
const OP_MATCH = 4;
const OP_SAVE = 5; // records the position in capture slot `y`, then continues at `x`

type CharPred = (cp: number) => boolean;

class Program {
  readonly op: number[] = [];
  readonly x: number[] = [];
  readonly y: number[] = [];
  readonly preds: (CharPred | AssertKind | undefined)[] = [];

  constructor(private readonly source: string) {}

  emit(op: number, x = 0, y = 0, pred?: CharPred | AssertKind): number {
    if (this.op.length >= MAX_PROGRAM) throw new RegexError(`invalid regex ${JSON.stringify(this.source)}: expression too large`);
    this.op.push(op);
    this.x.push(x);
    this.y.push(y);
    this.preds.push(pred);
    return this.op.length - 1;
  }

  compile(n: RegexNode): void {
    switch (n.t) {
      case 'lit': {
        const cps = n.cps;
        this.emit(OP_CHAR, 0, 0, cps.length === 1 ? (c) => c === cps[0] : (c) => cps.includes(c));
        return;
      }
      case 'class':
        this.emit(OP_CHAR, 0, 0, classPredicate(n.ranges, n.props, n.negated));
        return;
      case 'any':
        this.emit(OP_CHAR, 0, 0, n.nl ? () => true : (c) => c !== 10);
        return;
      case 'assert':
        this.emit(OP_ASSERT, 0, 0, n.kind);
        this.x[this.x.length - 1] = this.op.length;
        return;
      case 'cat':
        for (const item of n.items) this.compile(item);
        return;
      case 'alt': {
        const jumps: number[] = [];
        for (let i = 0; i < n.items.length; i++) {
          if (i < n.items.length - 1) {
            const split = this.emit(OP_SPLIT);
            this.x[split] = split + 1;
            this.compile(n.items[i]!);
            jumps.push(this.emit(OP_JMP));
            this.y[split] = this.op.length;
          } else this.compile(n.items[i]!);
        }
        for (const j of jumps) this.x[j] = this.op.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < n.min; k++) this.compile(n.body);
        // `x` is the preferred branch: only the capture matcher's answers depend on the order.
        const prefer = (split: number) => {
          if (!n.greedy) [this.x[split], this.y[split]] = [this.y[split]!, this.x[split]!];
        };
        if (n.max === Infinity) {
          const split = this.emit(OP_SPLIT);
          this.x[split] = split + 1;
          this.compile(n.body);
          this.emit(OP_JMP, split);
          this.y[split] = this.op.length;
          prefer(split);
        } else {
          const splits: number[] = [];
          for (let k = n.min; k < n.max; k++) {
            const split = this.emit(OP_SPLIT);
            this.x[split] = split + 1;
            splits.push(split);
            this.compile(n.body);
          }
          for (const s of splits) {
            this.y[s] = this.op.length;
            prefer(s);
          }
        }
        return;
      }
      case 'cap': {
        const open = this.emit(OP_SAVE, 0, n.index * 2);
        this.x[open] = this.op.length;
        this.compile(n.body);
        const close = this.emit(OP_SAVE, 0, n.index * 2 + 1);
        this.x[close] = this.op.length;
        return;
      }
    }
  }
}

function classPredicate(ranges: readonly Range[], props: readonly string[], negated: boolean): CharPred {
  const lo = Int32Array.from(ranges, (r) => r[0]);
  const hi = Int32Array.from(ranges, (r) => r[1]);
  const propRe = props.length > 0 ? new RegExp(`^[${props.join('')}]$`, 'u') : undefined;
  return (cp) => {
    let a = 0;
    let b = lo.length - 1;
    let hit = false;
    while (a <= b) {
      const mid = (a + b) >> 1;
      if (cp < lo[mid]!) b = mid - 1;
      else if (cp > hi[mid]!) a = mid + 1;
      else {
        hit = true;
        break;
      }
    }
    if (!hit && propRe) hit = propRe.test(String.fromCodePoint(cp));
    return hit !== negated;
  };
}

function assertHolds(kind: AssertKind, cps: readonly number[], pos: number): boolean {
  const prev = pos > 0 ? cps[pos - 1]! : -1;
  const next = pos < cps.length ? cps[pos]! : -1;
  switch (kind) {
    case 'bot':
      return pos === 0;
    case 'eot':
      return pos === cps.length;
    case 'bol':
      return pos === 0 || prev === 10;
    case 'eol':
      return pos === cps.length || next === 10;
    case 'wordb':
      return (prev >= 0 && isWordCodePoint(prev)) !== (next >= 0 && isWordCodePoint(next));
    case 'nwordb':
      return (prev >= 0 && isWordCodePoint(prev)) === (next >= 0 && isWordCodePoint(next));
  }
}

function automatonMatcher(node: RegexNode, source: string): (value: string) => boolean {
  const prog = new Program(source);
  prog.compile(node);
  prog.emit(OP_MATCH);
  const size = prog.op.length;
  const { op, x, y, preds } = prog;
  let clist = new Int32Array(size);
  let nlist = new Int32Array(size);
  const mark = new Int32Array(size);
  const stack = new Int32Array(size * 2 + 2);
  let gen = 0;

  const add = (list: Int32Array, count: number, pc0: number, cps: readonly number[], pos: number): number => {
    let sp = 0;
    stack[sp++] = pc0;
    while (sp > 0) {
      const pc = stack[--sp]!;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      switch (op[pc]) {
        case OP_JMP:
        case OP_SAVE:
          stack[sp++] = x[pc]!;
          break;
        case OP_SPLIT:
          stack[sp++] = y[pc]!;
          stack[sp++] = x[pc]!;
          break;
        case OP_ASSERT:
          if (assertHolds(preds[pc] as AssertKind, cps, pos)) stack[sp++] = x[pc]!;
          break;
        default:
          list[count++] = pc;
      }
    }
    return count;
  };

  return (value: string): boolean => {
    const cps = Array.from(value, (c) => c.codePointAt(0)!);
    gen++;
    let ccount = add(clist, 0, 0, cps, 0);
    for (let pos = 0; pos < cps.length && ccount > 0; pos++) {
      const cp = cps[pos]!;
      gen++;
      let ncount = 0;
      for (let i = 0; i < ccount; i++) {
        const pc = clist[i]!;
        if (op[pc] === OP_CHAR && (preds[pc] as CharPred)(cp)) ncount = add(nlist, ncount, pc + 1, cps, pos + 1);
      }
      [clist, nlist] = [nlist, clist];
      ccount = ncount;
    }
    for (let i = 0; i < ccount; i++) if (op[clist[i]!] === OP_MATCH) return true;
    return false;
  };
}

/**
 * Compiles a Prometheus label regex: RE2 syntax, fully anchored, `.` matching newlines (Prometheus
 * wraps every pattern as `^(?s:re)$`). Throws RegexError naming the pattern when RE2 would reject it.
 */
export function compileRegex(source: string): CompiledRegex {
  return compileRegexWith(source, 'auto');
}

/** compileRegex choosing the matching engine; tests use it to hold the two engines to each other. */
export function compileRegexWith(source: string, engine: 'auto' | 'js' | 'automaton'): CompiledRegex {
  const node = parseRegex(source);
  let test: (value: string) => boolean;
  if (engine === 'automaton' || (engine === 'auto' && backtrackRisk(node))) {
    test = automatonMatcher(node, source);
  } else {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${emitJs(node)})$`, 'u');
    } catch (e) {
      throw new RegexError(`invalid regex ${JSON.stringify(source)}: ${(e as Error).message}`);
    }
    test = (value) => re.test(value);
  }
  return { source, test, plan: planRegex(node), matchesEmpty: test('') };
}

/** An anchored match: index 0 is the whole value, then each group (undefined when it took no part). */
export type RegexMatch = Array<string | undefined> & { groups?: Record<string, string | undefined> };

export interface CapturingRegex {
  readonly source: string;
  /** Full (anchored) match, as compileRegex. */
  test(value: string): boolean;
  /** Full (anchored) match with the submatches Go's regexp would report (leftmost-first), or null. */
  exec(value: string): RegexMatch | null;
}

/**
 * Compiles an RE2 pattern, anchored as Prometheus anchors label_replace and relabeling regexes
 * (`^(?s:re)$`), for matching with capture groups in linear time: a Pike VM whose threads carry
 * their capture slots, kept in priority order so the submatches are the ones a backtracking
 * engine would pick, without its exponential worst case (`(a+)+$` on a long value).
 */
export function compileCapturingRegex(source: string): CapturingRegex {
  const matcher = compileRegex(source);
  // Most callers only test (matchers); the capture program is built on the first exec.
  let exec: ((value: string) => RegexMatch | null) | null = null;
  return {
    source,
    test: (v) => matcher.test(v),
    exec: (v) => (exec ??= captureMatcher(source, matcher))(v),
  };
}

function captureMatcher(source: string, matcher: CompiledRegex): (value: string) => RegexMatch | null {
  const { node, groupNames } = parseRegexWithCaptures(source);
  const prog = new Program(source);
  prog.compile(node);
  prog.emit(OP_MATCH);
  const { op, x, y, preds } = prog;
  const size = op.length;
  const slots = (groupNames.length + 1) * 2;
  const mark = new Int32Array(size);
  let gen = 0;
  const stackPc: number[] = [];
  const stackCaps: Int32Array[] = [];

  /** Adds pc0's closure to the list in priority order; a thread's slots are copied only when it saves. */
  const add = (pcs: number[], caps: Int32Array[], pc0: number, caps0: Int32Array, cps: readonly number[], pos: number): void => {
    stackPc.push(pc0);
    stackCaps.push(caps0);
    while (stackPc.length > 0) {
      const pc = stackPc.pop()!;
      const c = stackCaps.pop()!;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      switch (op[pc]) {
        case OP_JMP:
          stackPc.push(x[pc]!);
          stackCaps.push(c);
          break;
        case OP_SPLIT:
          stackPc.push(y[pc]!, x[pc]!);
          stackCaps.push(c, c);
          break;
        case OP_ASSERT:
          if (assertHolds(preds[pc] as AssertKind, cps, pos)) {
            stackPc.push(x[pc]!);
            stackCaps.push(c);
          }
          break;
        case OP_SAVE: {
          const copy = c.slice();
          copy[y[pc]!] = pos;
          stackPc.push(x[pc]!);
          stackCaps.push(copy);
          break;
        }
        default:
          pcs.push(pc);
          caps.push(c);
      }
    }
  };

  const exec = (value: string): RegexMatch | null => {
    if (!matcher.test(value)) return null; // the common miss costs no capture bookkeeping
    const cps: number[] = [];
    const offsets: number[] = [];
    for (let i = 0; i < value.length;) {
      const cp = value.codePointAt(i)!;
      cps.push(cp);
      offsets.push(i);
      i += cp > 0xffff ? 2 : 1;
    }
    offsets.push(value.length);
    let cpcs: number[] = [];
    let ccaps: Int32Array[] = [];
    let npcs: number[] = [];
    let ncaps: Int32Array[] = [];
    gen++;
    add(cpcs, ccaps, 0, new Int32Array(slots).fill(-1), cps, 0);
    for (let pos = 0; pos < cps.length && cpcs.length > 0; pos++) {
      const cp = cps[pos]!;
      gen++;
      for (let i = 0; i < cpcs.length; i++) {
        const pc = cpcs[i]!;
        if (op[pc] === OP_CHAR && (preds[pc] as CharPred)(cp)) add(npcs, ncaps, pc + 1, ccaps[i]!, cps, pos + 1);
      }
      [cpcs, npcs] = [npcs, cpcs];
      [ccaps, ncaps] = [ncaps, ccaps];
      npcs.length = 0;
      ncaps.length = 0;
    }
    for (let i = 0; i < cpcs.length; i++) {
      if (op[cpcs[i]!] !== OP_MATCH) continue;
      const c = ccaps[i]!;
      const m: RegexMatch = [value];
      for (let g = 1; g <= groupNames.length; g++) {
        const a = c[g * 2]!;
        const b = c[g * 2 + 1]!;
        m.push(a >= 0 && b >= 0 ? value.slice(offsets[a], offsets[b]) : undefined);
      }
      if (groupNames.some((n) => n !== undefined)) {
        m.groups = {};
        groupNames.forEach((n, k) => {
          if (n !== undefined) m.groups![n] = m[k + 1];
        });
      }
      return m;
    }
    return null;
  };
  return exec;
}
