/**
 * Runs Prometheus's PromQL conformance scripts (`/work/shared/promql-testdata/*.test`, format in
 * that folder's README) against our engine: loads series into a MemoryQuerier, runs every `eval`
 * (plus the range-mode re-check and, optionally, the `@`-modifier variants of instant evals) and
 * judges each result as the upstream runner does (README §5.3, §6).
 */
import type { Labels, Label, Querier } from '../../src/model/index.js';
import { compareLabels, isStaleNaN, labelsKey, sortLabels } from '../../src/model/index.js';
import type { Expr, PosRange } from '../../src/promql/ast.js';
import { parseDuration } from '../../src/promql/duration.js';
import { formatPosition, parseExpr, parseNumber, parseSeriesSelector, unquoteString } from '../../src/promql/parser.js';
import { printExpr } from '../../src/promql/printer.js';
import { MemoryQuerier } from './memory-querier.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { combine, compact } from '../../src/promql/histogram/index.js';
import { appendNhcbSeries, parseHistogramLiteral, histogramsEqual, formatHistogram } from './histogram-notation.js';

// ---------------------------------------------------------------------------------------------
// The engine contract (src/promql/engine.ts), restated so this runner compiles before it exists.

export interface AnnotationLike {
  message: string;
  pos?: PosRange;
}
export type ValueLike =
  | { type: 'scalar'; t: number; v: number }
  | { type: 'string'; t: number; v: string }
  | { type: 'vector'; samples: { labels: Labels; t: number; v: number; h?: FloatHistogram }[] }
  | {
      type: 'matrix';
      series: {
        labels: Labels;
        timestamps: Float64Array;
        values: Float64Array;
        histograms?: { timestamps: Float64Array; histograms: readonly FloatHistogram[] };
      }[];
    };
export interface QueryResultLike {
  value: ValueLike;
  warnings: AnnotationLike[];
  infos: AnnotationLike[];
}
export interface EngineLike {
  instantQuery(q: Querier, expr: Expr | string, timeMs: number): Promise<QueryResultLike>;
  rangeQuery(q: Querier, expr: Expr | string, startMs: number, endMs: number, stepMs: number): Promise<QueryResultLike>;
}

// ---------------------------------------------------------------------------------------------
// Outcomes

export type EvalStatus = 'pass' | 'fail' | 'skip';

export interface EvalOutcome {
  readonly file: string;
  readonly line: number;
  readonly query: string;
  readonly status: EvalStatus;
  /** For skips: why. For failures: what differed. */
  readonly reason?: string;
}

export interface ScriptReport {
  readonly file: string;
  readonly outcomes: EvalOutcome[];
  /** Set when the whole file could not be run (script syntax error). */
  readonly error?: string;
}

export interface RunOptions {
  /** Also run the `@`-modifier variants of instant evals (README §6.2). */
  readonly atVariants: boolean;
  /** Also run the range-mode re-check of instant evals (README §6.3). */
  readonly rangeCheck: boolean;
  /** Skip every eval after a histogram load (README §8's conservative rule) instead of only those reading histograms. */
  readonly conservativeSkip?: boolean;
  /** Skip evals that need native histograms (the engine's state before it had them). */
  readonly skipHistograms?: boolean;
}

/** Files that need features the storage model does not have, with the reason. */
export const SKIPPED_FILES: Readonly<Record<string, string>> = {
  'start_timestamps.test': 'needs start timestamps (created timestamps) in storage',
};

// ---------------------------------------------------------------------------------------------
// Series descriptions: `name{l="v"} 1+2x3 _ stale`

/** One expanded value slot: a float, a skipped slot, a staleness marker or a histogram. */
export type SlotValue = { kind: 'float'; v: number } | { kind: 'omit' } | { kind: 'stale' } | { kind: 'histogram'; h: FloatHistogram; hintGiven: boolean };

const NUM = String.raw`[+-]?(?:inf|nan|[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?|[0-9]+\.)`;
const ITEM_SINGLE = new RegExp(`^(${NUM})$`, 'i');
const ITEM_REPEAT = new RegExp(`^(${NUM})x([0-9]+)$`, 'i');
const ITEM_SERIES = new RegExp(`^(${NUM})([+-])(${NUM})x([0-9]+)$`, 'i');

class ScriptError extends Error {}

function parseFloatItem(s: string): number {
  const l = s.toLowerCase();
  if (/^[+-]?inf$/.test(l)) return l.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(l)) return NaN;
  const v = Number(s);
  if (Number.isNaN(v)) throw new ScriptError(`bad number ${JSON.stringify(s)}`);
  return v;
}

/** Expands the value items of a series line (README §3.1). */
export function expandItems(items: string[]): SlotValue[] {
  const out: SlotValue[] = [];
  for (const item of items) {
    if (item === '_') {
      out.push({ kind: 'omit' });
      continue;
    }
    let m = /^_x([0-9]+)$/.exec(item);
    if (m) {
      for (let i = 0; i < Number(m[1]); i++) out.push({ kind: 'omit' });
      continue;
    }
    if (item === 'stale') {
      out.push({ kind: 'stale' });
      continue;
    }
    if (item.startsWith('{{')) {
      out.push(...expandHistogramItem(item));
      continue;
    }
    if ((m = ITEM_SINGLE.exec(item))) {
      out.push({ kind: 'float', v: parseFloatItem(m[1]!) });
      continue;
    }
    if ((m = ITEM_REPEAT.exec(item))) {
      const v = parseFloatItem(m[1]!);
      for (let i = 0; i <= Number(m[2]); i++) out.push({ kind: 'float', v });
      continue;
    }
    if ((m = ITEM_SERIES.exec(item))) {
      let cur = parseFloatItem(m[1]!);
      const step = parseFloatItem(m[3]!) * (m[2] === '-' ? -1 : 1);
      const n = Number(m[4]);
      out.push({ kind: 'float', v: cur });
      // Repeated addition, not a + i*b, so the inputs are bit-identical to upstream's.
      for (let i = 0; i < n; i++) {
        cur += step;
        out.push({ kind: 'float', v: cur });
      }
      continue;
    }
    throw new ScriptError(`bad series value item ${JSON.stringify(item)}`);
  }
  return out;
}

/** `{{h}}`, `{{h}}xN`, `{{a}}+{{b}}xN`, `{{a}}-{{b}}xN` (README §3.1). */
function expandHistogramItem(item: string): SlotValue[] {
  const m = /^\{\{(.*?)\}\}(?:([+-])\{\{(.*?)\}\})?(?:x([0-9]+))?$/.exec(item);
  if (!m) throw new ScriptError(`bad histogram item ${JSON.stringify(item)}`);
  const first = parseHistogramLiteral(m[1]!);
  const hintGiven = /counter_reset_hint:/.test(m[1]!);
  const n = m[4] === undefined ? 0 : Number(m[4]);
  if (m[2] && m[4] === undefined) throw new ScriptError(`histogram series item needs a repeat count: ${item}`);
  const out: SlotValue[] = [{ kind: 'histogram', h: first, hintGiven }];
  const step = m[3] !== undefined ? parseHistogramLiteral(m[3]) : null;
  let cur = first;
  for (let i = 0; i < n; i++) {
    if (step) cur = { ...compact(combine(cur, step, m[2] === '-' ? -1 : 1).h), counterResetHint: cur.counterResetHint };
    out.push({ kind: 'histogram', h: cur, hintGiven });
  }
  return out;
}

/** Splits `metric{labels} items...` into the label set and the item tokens. */
export function parseSeriesLine(line: string): { labels: Labels; items: string[] } {
  let i = 0;
  let braceEnd = -1;
  // The metric part ends at the first space outside braces/quotes (a `{` may follow the name).
  let inBraces = false;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"' || c === "'" || c === '`') {
      const q = c;
      for (i++; i < line.length && line[i] !== q; i++) if (line[i] === '\\' && q !== '`') i++;
    } else if (c === '{' && !line.startsWith('{{', i)) inBraces = true;
    else if (c === '}' && inBraces) {
      inBraces = false;
      braceEnd = i;
      break;
    } else if (!inBraces && /\s/.test(c)) break;
  }
  const metricEnd = braceEnd >= 0 ? braceEnd + 1 : i;
  const metric = line.slice(0, metricEnd).trim();
  const rest = line.slice(metricEnd).trim();
  const items = rest === '' ? [] : splitItems(rest);
  return { labels: parseLabelSet(metric), items };
}

/** Whitespace-separated items, keeping `{{...}}` histogram literals (which contain spaces) whole. */
function splitItems(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (s.startsWith('{{', i)) {
      depth++;
      cur += '{{';
      i++;
      continue;
    }
    if (s.startsWith('}}', i) && depth > 0) {
      depth--;
      cur += '}}';
      i++;
      continue;
    }
    if (/\s/.test(c) && depth === 0) {
      if (cur !== '') out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** `name{a="b"}`, `{__name__="x"}`, `name` or `{}` → a sorted label set. */
export function parseLabelSet(metric: string): Labels {
  if (/^\{\s*\}$/.test(metric)) return [];
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{\s*\}$/.exec(metric);
  if (m) return [{ name: '__name__', value: m[1]! }];
  const matchers = parseSeriesSelector(metric);
  const labels: Label[] = [];
  for (const mt of matchers) {
    if (mt.type !== '=') throw new ScriptError(`series description must use "=": ${metric}`);
    if (mt.value === '') continue;
    const existing = labels.findIndex((l) => l.name === mt.name);
    if (existing >= 0) labels.splice(existing, 1);
    labels.push({ name: mt.name, value: mt.value });
  }
  return sortLabels(labels);
}

// ---------------------------------------------------------------------------------------------
// Script commands

interface ExpectLine {
  readonly kind: 'fail' | 'warn' | 'info' | 'no_warn' | 'no_info' | 'ordered';
  readonly mode: 'msg' | 'regex' | null;
  readonly text: string;
}

interface ExpectedSeries {
  readonly labels: Labels;
  readonly values: SlotValue[];
  /** 1-based position among the listed series, for `expect ordered`. */
  readonly order: number;
}

interface EvalCommand {
  readonly line: number;
  readonly query: string;
  readonly instant: boolean;
  /** Instant: evaluation time. Range: start. (ms) */
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly expects: ExpectLine[];
  readonly legacyFail: boolean;
  readonly legacyWarn: boolean;
  readonly legacyInfo: boolean;
  readonly legacyOrdered: boolean;
  readonly expectedScalar: number | null;
  readonly expectedString: string | null;
  /** `expect range vector from a to b step s`: the grid for an instant matrix result. */
  readonly rangeVector: { start: number; end: number; step: number } | null;
  readonly series: Map<string, ExpectedSeries>;
  readonly hasHistogram: boolean;
}

function parseDurationOrZero(s: string): number {
  try {
    return parseDuration(s);
  } catch (e) {
    throw new ScriptError(`bad duration ${JSON.stringify(s)}: ${(e as Error).message}`);
  }
}

/** Go's ParseInt(s, 0, 64) then ParseFloat: the scalar-expectation test of README §5.2 rule 4. */
function parseScalarLine(s: string): number | null {
  if (!/^[+-]?(?:0x[0-9a-f_]+|[0-9_]*\.?[0-9_]+(?:e[+-]?[0-9]+)?|[0-9]+\.|inf|infinity|nan)$/i.test(s)) return null;
  try {
    const neg = s.startsWith('-');
    const v = parseNumber(s.replace(/^[+-]/, ''));
    return neg ? -v : v;
  } catch {
    return null;
  }
}

function parseEval(header: string, body: string[], lineNo: number): EvalCommand {
  const inst = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/.exec(header);
  const rng = inst ? null : /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/.exec(header);
  if (!inst && !rng) throw new ScriptError(`line ${lineNo}: invalid eval header: ${header}`);
  const legacy = (inst ? inst[1] : rng![1]) ?? '';
  let start: number;
  let end: number;
  let step: number;
  let query: string;
  if (inst) {
    start = end = parseDurationOrZero(inst[2] ?? '0');
    step = 0;
    query = inst[3]!;
  } else {
    start = parseDurationOrZero(rng![2]!);
    end = parseDurationOrZero(rng![3]!);
    step = parseDurationOrZero(rng![4]!);
    query = rng![5]!;
    if (end < start) throw new ScriptError(`line ${lineNo}: end before start`);
  }
  const expects: ExpectLine[] = [];
  const series = new Map<string, ExpectedSeries>();
  let expectedScalar: number | null = null;
  let expectedString: string | null = null;
  let rangeVector: EvalCommand['rangeVector'] = null;
  let hasHistogram = false;
  let order = 0;
  for (const raw of body) {
    const l = raw.trim();
    let m = /^expect\s+range\s+vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(l);
    if (m) {
      rangeVector = { start: parseDurationOrZero(m[1]!), end: parseDurationOrZero(m[2]!), step: parseDurationOrZero(m[3]!) };
      continue;
    }
    m = /^expect\s+string\s+(.+)$/.exec(l);
    if (m) {
      expectedString = unquoteString(m[1]!.trim());
      continue;
    }
    m = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/.exec(l);
    if (m) {
      expects.push({ kind: m[1] as ExpectLine['kind'], mode: (m[2] as 'msg' | 'regex' | undefined) ?? null, text: (m[3] ?? '').trim() });
      continue;
    }
    if (/^expected_fail_(message|regexp)\s/.test(l)) {
      const mm = /^expected_fail_(message|regexp)\s+(.*)$/.exec(l)!;
      expects.push({ kind: 'fail', mode: mm[1] === 'message' ? 'msg' : 'regex', text: mm[2]!.trim() });
      continue;
    }
    const scalar = parseScalarLine(l);
    if (scalar !== null) {
      expectedScalar = scalar;
      break;
    }
    if (l.includes('{{')) hasHistogram = true;
    const { labels, items } = parseSeriesLine(l);
    series.set(labelsKey(labels), { labels, values: expandItems(items), order: ++order });
  }
  if (rangeVector) {
    start = rangeVector.start;
    end = rangeVector.end;
    step = rangeVector.step;
  }
  return {
    line: lineNo,
    query,
    instant: inst !== null,
    start,
    end,
    step,
    expects,
    legacyFail: legacy === 'fail',
    legacyWarn: legacy === 'warn',
    legacyInfo: legacy === 'info',
    legacyOrdered: legacy === 'ordered',
    expectedScalar,
    expectedString,
    rangeVector,
    series,
    hasHistogram,
  };
}

// ---------------------------------------------------------------------------------------------
// Judging

const MIN_NORMAL = 2.2250738585072014e-308;

/** Prometheus's `util/almost.Equal` with ε = 1e-6, plus the staleness-marker rule. */
export function almostEqual(a: number, b: number, aStale = false, bStale = false): boolean {
  if (aStale || bStale) return aStale && bStale;
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < 1e-6 * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < 1e-6;
}

function fmtLabels(labels: Labels): string {
  return `{${labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`;
}

function isFail(ev: EvalCommand): boolean {
  return ev.legacyFail || ev.expects.some((e) => e.kind === 'fail');
}
function isOrdered(ev: EvalCommand): boolean {
  return ev.legacyOrdered || ev.expects.some((e) => e.kind === 'ordered');
}

function textMatches(e: ExpectLine, text: string): boolean {
  if (e.mode === null) return true;
  if (e.mode === 'msg') return text.trim() === e.text;
  return new RegExp(e.text).test(text);
}

function checkFailure(ev: EvalCommand, err: unknown): string | null {
  const message = err instanceof Error ? err.message : String(err);
  const fails = ev.expects.filter((e) => e.kind === 'fail');
  for (const f of fails) {
    if (!textMatches(f, message)) return `expected error ${f.mode}:${JSON.stringify(f.text)}, got ${JSON.stringify(message)}`;
  }
  return null;
}

function checkAnnotationsOfKind(kind: 'warn' | 'info', ev: EvalCommand, texts: string[]): string | null {
  const expected = ev.expects.filter((e) => e.kind === kind);
  if (expected.length === 0) return null;
  if (texts.length === 0) return `expected ${kind} annotations but got none`;
  for (const e of expected) {
    if (!texts.some((t) => textMatches(e, t))) return `expected ${kind} ${e.mode}:${JSON.stringify(e.text)} not found in ${JSON.stringify(texts)}`;
  }
  for (const t of texts) {
    if (!expected.some((e) => textMatches(e, t))) return `unexpected ${kind} annotation ${JSON.stringify(t)}`;
  }
  return null;
}

function checkAnnotations(ev: EvalCommand, res: QueryResultLike, query: string): string | null {
  const render = (a: AnnotationLike): string => (a.pos ? `${a.message} (${formatPosition(query, a.pos.start)})` : a.message);
  const warnings = res.warnings.map(render);
  const infos = res.infos.map(render);
  if (ev.legacyWarn && warnings.length === 0) return 'expected warnings but got none';
  if (ev.legacyInfo && infos.length === 0) return 'expected info annotations but got none';
  const w = checkAnnotationsOfKind('warn', ev, warnings);
  if (w) return w;
  const i = checkAnnotationsOfKind('info', ev, infos);
  if (i) return i;
  if (ev.expects.some((e) => e.kind === 'no_warn') && warnings.length > 0) return `unexpected warnings ${JSON.stringify(warnings)}`;
  if (ev.expects.some((e) => e.kind === 'no_info') && infos.length > 0) return `unexpected infos ${JSON.stringify(infos)}`;
  return null;
}

function sortedKey(labels: Labels): string {
  return labelsKey(sortLabels([...labels]));
}

function checkMatrixSorted(series: { labels: Labels }[]): string | null {
  for (let i = 1; i < series.length; i++) {
    if (compareLabels(series[i - 1]!.labels, series[i]!.labels) > 0) {
      return `matrix results should always be sorted by labels, but ${fmtLabels(series[i]!.labels)} comes after ${fmtLabels(series[i - 1]!.labels)}`;
    }
  }
  return null;
}

/** Compares a result with the expectations (README §5.3 rule 4). Returns a failure text or null. */
function compareResult(ev: EvalCommand, value: ValueLike): string | null {
  switch (value.type) {
    case 'scalar':
      if (ev.expectedScalar === null) return `expected vector or matrix result, but got scalar ${value.v}`;
      return almostEqual(ev.expectedScalar, value.v) ? null : `expected scalar ${ev.expectedScalar} but got ${value.v}`;
    case 'string':
      if (ev.expectedString === null) return `unexpected string result ${JSON.stringify(value.v)}`;
      return ev.expectedString === value.v ? null : `expected string ${JSON.stringify(ev.expectedString)} but got ${JSON.stringify(value.v)}`;
    case 'vector': {
      if (ev.expectedScalar !== null) return `expected scalar result, but got vector with ${value.samples.length} samples`;
      if (ev.expectedString !== null) return 'expected string result, but got vector';
      const seen = new Set<string>();
      const ordered = isOrdered(ev);
      for (let pos = 0; pos < value.samples.length; pos++) {
        const s = value.samples[pos]!;
        const key = sortedKey(s.labels);
        const exp = ev.series.get(key);
        if (!exp) return `unexpected metric ${fmtLabels(s.labels)} in result, has value ${s.v}`;
        if (seen.has(key)) return `duplicate metric ${fmtLabels(s.labels)} in result`;
        if (ordered && exp.order !== pos + 1) return `expected metric ${fmtLabels(s.labels)} at position ${exp.order} but was at ${pos + 1}`;
        const e0 = exp.values[0];
        if (!e0 || e0.kind === 'omit') return `no expected value for ${fmtLabels(s.labels)}`;
        if (e0.kind === 'histogram') {
          if (!s.h) return `expected histogram for ${fmtLabels(s.labels)} but got float ${s.v}`;
          if (!histogramsEqual(e0.h, s.h, e0.hintGiven, (a, b) => almostEqual(a, b)))
            return `expected ${formatHistogram(e0.h)} for ${fmtLabels(s.labels)} but got ${formatHistogram(s.h)}`;
          seen.add(key);
          continue;
        }
        if (s.h) return `expected float ${e0.kind === 'stale' ? 'stale' : e0.v} for ${fmtLabels(s.labels)} but got histogram ${formatHistogram(s.h)}`;
        const ok = e0.kind === 'stale' ? isStaleNaN(s.v) : almostEqual(e0.v, s.v, false, isStaleNaN(s.v));
        if (!ok) return `expected ${e0.kind === 'stale' ? 'stale' : e0.v} for ${fmtLabels(s.labels)} but got ${s.v}`;
        seen.add(key);
      }
      for (const [key, exp] of ev.series) {
        if (!seen.has(key)) return `expected metric ${fmtLabels(exp.labels)} not found`;
      }
      return null;
    }
    case 'matrix': {
      if (isOrdered(ev)) return 'expected ordered result, but query returned a matrix';
      if (ev.expectedScalar !== null) return 'expected scalar result, but got matrix';
      const unsorted = checkMatrixSorted(value.series);
      if (unsorted) return unsorted;
      const seen = new Set<string>();
      for (const s of value.series) {
        const key = sortedKey(s.labels);
        const exp = ev.series.get(key);
        const got = (): string =>
          Array.from(s.values, (v, i) => `${v} @[${s.timestamps[i]}]`)
            .concat(s.histograms ? s.histograms.histograms.map((h, i) => `${formatHistogram(h)} @[${s.histograms!.timestamps[i]}]`) : [])
            .join(', ');
        if (!exp) return `unexpected metric ${fmtLabels(s.labels)} in result, has ${got()}`;
        seen.add(key);
        const expected: { t: number; v: number; stale: boolean }[] = [];
        const expectedH: { t: number; h: FloatHistogram; hintGiven: boolean }[] = [];
        for (let i = 0; i < exp.values.length; i++) {
          const t = ev.start + i * ev.step;
          if (t > ev.end) return `expected ${exp.values.length} points for ${fmtLabels(exp.labels)}, but query time range cannot return this many points`;
          const e = exp.values[i]!;
          if (e.kind === 'float') expected.push({ t, v: e.v, stale: false });
          else if (e.kind === 'stale') expected.push({ t, v: NaN, stale: true });
          else if (e.kind === 'histogram') expectedH.push({ t, h: e.h, hintGiven: e.hintGiven });
        }
        const gotH = s.histograms ?? { timestamps: new Float64Array(0), histograms: [] };
        if (expectedH.length !== gotH.histograms.length) return `expected ${expectedH.length} histogram points for ${fmtLabels(exp.labels)}, but got ${got()}`;
        for (let i = 0; i < expectedH.length; i++) {
          const e = expectedH[i]!;
          if (gotH.timestamps[i] !== e.t) return `expected histogram point ${i} of ${fmtLabels(exp.labels)} at t=${e.t}, but got ${got()}`;
          if (!histogramsEqual(e.h, gotH.histograms[i]!, e.hintGiven, (a, b) => almostEqual(a, b))) {
            return `expected histogram value at index ${i} (t=${e.t}) for ${fmtLabels(exp.labels)} to be ${formatHistogram(e.h)}, but got ${got()}`;
          }
        }
        if (expected.length !== s.values.length) {
          return `expected ${expected.length} float points for ${fmtLabels(exp.labels)}, but got ${got()}`;
        }
        for (let i = 0; i < expected.length; i++) {
          const e = expected[i]!;
          if (s.timestamps[i] !== e.t) return `expected point ${i} of ${fmtLabels(exp.labels)} at t=${e.t}, but got ${got()}`;
          if (!almostEqual(e.v, s.values[i]!, e.stale, isStaleNaN(s.values[i]!))) {
            return `expected float value at index ${i} (t=${e.t}) for ${fmtLabels(exp.labels)} to be ${e.v}, but got ${got()}`;
          }
        }
      }
      for (const [key, exp] of ev.series) {
        if (!seen.has(key)) return `expected metric ${fmtLabels(exp.labels)} not found`;
      }
      return null;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Executing evals

const AT_UNSAFE_FUNCTIONS = new Set([
  'time',
  'timestamp',
  'predict_linear',
  'hour',
  'minute',
  'month',
  'year',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'start',
  'end',
  'range',
  'step',
]);
const CONTEXT_FUNCS = /(start|end|range|step)\(\)/;

/** The `@` variants of README §6.2: the query with `@ t` on every top-level selector, re-printed. */
export function atModifierVariant(query: string, tMs: number): string | null {
  let unsafe = false;
  const at = { kind: 'time' as const, ms: tMs };
  const visit = (e: Expr, inSubqueryWithAt: boolean): Expr => {
    switch (e.kind) {
      case 'VectorSelector':
        return inSubqueryWithAt || e.at ? e : { ...e, at };
      case 'MatrixSelector':
        return inSubqueryWithAt || e.vector.at ? e : { ...e, vector: { ...e.vector, at } };
      case 'SubqueryExpr': {
        if (inSubqueryWithAt) return { ...e, expr: visit(e.expr, true) };
        const withAt = e.at ? e : { ...e, at };
        return { ...withAt, expr: visit(e.expr, true) };
      }
      case 'Call':
        if (AT_UNSAFE_FUNCTIONS.has(e.func)) unsafe = true;
        return { ...e, args: e.args.map((a) => visit(a, inSubqueryWithAt)) };
      case 'AggregateExpr':
        return { ...e, expr: visit(e.expr, inSubqueryWithAt), param: e.param ? visit(e.param, inSubqueryWithAt) : null };
      case 'BinaryExpr':
        return { ...e, lhs: visit(e.lhs, inSubqueryWithAt), rhs: visit(e.rhs, inSubqueryWithAt) };
      case 'UnaryExpr':
      case 'ParenExpr':
        return { ...e, expr: visit(e.expr, inSubqueryWithAt) };
      default:
        return e;
    }
  };
  const out = visit(parseExpr(query), false);
  return unsafe ? null : printExpr(out);
}

async function runInstantQuery(engine: EngineLike, q: Querier, ev: EvalCommand, query: string, t: number, opts: RunOptions): Promise<string | null> {
  let res: QueryResultLike;
  try {
    res = await engine.instantQuery(q, query, t);
  } catch (err) {
    if (isFail(ev)) return checkFailure(ev, err);
    return `error evaluating ${query} at ${t}: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (isFail(ev)) return `expected error evaluating ${query} but got none`;
  const anno = checkAnnotations(ev, res, query);
  if (anno) return `${query} at ${t}: ${anno}`;
  const cmp = compareResult(ev, res.value);
  if (cmp) return `${query} at ${t}: ${cmp}`;
  if (!opts.rangeCheck || ev.rangeVector || ev.expectedString !== null || CONTEXT_FUNCS.test(query)) return null;

  let rangeRes: QueryResultLike;
  try {
    rangeRes = await engine.rangeQuery(q, query, t - 60_000, t + 60_000, 60_000);
  } catch (err) {
    return `error evaluating ${query} in range mode: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (isOrdered(ev)) return null;
  if (rangeRes.value.type !== 'matrix') return `range query returned ${rangeRes.value.type}, not matrix`;
  const mat = rangeRes.value.series;
  const unsorted = checkMatrixSorted(mat);
  if (unsorted) return `${query} range mode: ${unsorted}`;
  const samples: { labels: Labels; t: number; v: number; h?: FloatHistogram }[] = [];
  for (const s of mat) {
    let found = false;
    for (let i = 0; i < s.timestamps.length; i++) {
      if (s.timestamps[i] === t) {
        samples.push({ labels: s.labels, t, v: s.values[i]! });
        found = true;
        break;
      }
    }
    const hs = s.histograms;
    if (found || !hs) continue;
    for (let i = 0; i < hs.timestamps.length; i++) {
      if (hs.timestamps[i] === t) {
        samples.push({ labels: s.labels, t, v: 0, h: hs.histograms[i]! });
        break;
      }
    }
  }
  const asValue: ValueLike = res.value.type === 'scalar' ? { type: 'scalar', t, v: samples[0]?.v ?? NaN } : { type: 'vector', samples };
  const rc = compareResult(ev, asValue);
  return rc ? `${query} at ${t} (range mode): ${rc}` : null;
}

async function runEval(engine: EngineLike, q: Querier, ev: EvalCommand, opts: RunOptions): Promise<string | null> {
  if (!ev.instant) {
    let res: QueryResultLike;
    try {
      res = await engine.rangeQuery(q, ev.query, ev.start, ev.end, ev.step);
    } catch (err) {
      if (isFail(ev)) return checkFailure(ev, err);
      return `error evaluating range query: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (isFail(ev)) return 'expected error but got none';
    const anno = checkAnnotations(ev, res, ev.query);
    if (anno) return anno;
    return compareResult(ev, res.value);
  }
  const evalTime = ev.rangeVector ? ev.end : ev.start;
  const first = await runInstantQuery(engine, q, ev, ev.query, evalTime, opts);
  if (first || !opts.atVariants) return first;
  const variant = atModifierVariant(ev.query, evalTime);
  if (variant === null) return null;
  const times = evalTime === 0 ? [-1000, 0, 1000] : [-10 * evalTime, 0, Math.trunc(evalTime / 5), evalTime, 10 * evalTime];
  for (const t of times) {
    const r = await runInstantQuery(engine, q, ev, variant, t, opts);
    if (r) return `@-variant: ${r}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Scripts

/**
 * True when the query reads a series holding native histograms: a selector naming one of
 * `names`, or a selector without a fixed metric name (it may match them). Unparseable queries
 * are left to the parse check.
 */
export function needsHistograms(query: string, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  let expr: unknown;
  try {
    expr = parseExpr(query);
  } catch {
    return false;
  }
  let needs = false;
  const walk = (node: unknown): void => {
    if (needs || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    const rec = node as Record<string, unknown>;
    if (rec.kind === 'VectorSelector') {
      const matchers = rec.matchers as ReadonlyArray<{ name: string; type: string; value: string }>;
      const eq = matchers.find((mm) => mm.name === '__name__' && mm.type === '=');
      if (!eq || names.has(eq.value)) needs = true;
      return;
    }
    for (const v of Object.values(rec)) walk(v);
  };
  walk(expr);
  return needs;
}

/** Runs one script file. Never throws for script content problems: they end up in `error`. */
export async function runScript(file: string, text: string, engine: EngineLike, opts: RunOptions): Promise<ScriptReport> {
  const outcomes: EvalOutcome[] = [];
  const lines = text.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const skipFile = SKIPPED_FILES[file];
  const storage = new MemoryQuerier();
  let histogramSegment = false;
  // Metric names that carry native-histogram samples since the last clear (README §8, "strict"):
  // only evals that read them, or that select without a fixed name, need native histograms.
  const histogramNames = new Set<string>();
  try {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      const word = line.split(/\s+/)[0]!.toLowerCase();
      // A load or eval block runs to the next blank (or comment) line; `clear` is one line.
      const body: string[] = [];
      const lineNo = i + 1;
      if (word !== 'clear') {
        let j = i + 1;
        for (; j < lines.length && lines[j] !== ''; j++) body.push(lines[j]!);
        i = j - 1;
      }
      if (word === 'clear') {
        storage.clear();
        histogramSegment = false;
        histogramNames.clear();
      } else if (word.startsWith('load')) {
        const m = /^load(?:_(with_nhcb))?\s+(.+?)$/.exec(line);
        if (!m) throw new ScriptError(`line ${lineNo}: invalid load command: ${line}`);
        if (m[1]) histogramSegment = true;
        const interval = parseDurationOrZero(m[2]!);
        const block = new Map<string, { labels: Labels; values: SlotValue[] }>();
        for (const l of body) {
          if (l.includes('{{')) histogramSegment = true;
          if (/^\S+@st\s/.test(l)) continue;
          const { labels, items } = parseSeriesLine(l);
          const name = labels.find((x) => x.name === '__name__')?.value ?? '';
          if (l.includes('{{')) histogramNames.add(name);
          // load_with_nhcb also writes the classic histogram as a native one under its base name.
          if (m[1]) {
            const base = /^(.*)_(bucket|count|sum)$/.exec(name);
            if (base) histogramNames.add(base[1]!);
          }
          block.set(labelsKey(labels), { labels, values: expandItems(items) });
        }
        for (const { labels, values } of block.values()) {
          values.forEach((v, k) => {
            if (v.kind === 'float') storage.append(labels, k * interval, v.v);
            else if (v.kind === 'stale') storage.append(labels, k * interval, NaN, true);
            else if (v.kind === 'histogram') storage.appendHistogram(labels, k * interval, v.h);
          });
        }
        if (m[1]) {
          const classic = [...block.values()].map(({ labels, values }) => ({
            labels,
            points: values.flatMap((v, k) => (v.kind === 'float' ? [{ t: k * interval, v: v.v }] : [])),
          }));
          appendNhcbSeries(classic, (labels, t, h) => storage.appendHistogram(labels, t, h));
        }
      } else if (word.startsWith('eval')) {
        const ev = parseEval(line, body, lineNo);
        const base = { file, line: lineNo, query: ev.query };
        // Every eval must parse, skipped or not (README §5.1).
        let parseError: string | null = null;
        try {
          parseExpr(ev.query);
        } catch (e) {
          parseError = (e as Error).message;
        }
        const skipH = opts.skipHistograms || opts.conservativeSkip;
        if (skipFile) outcomes.push({ ...base, status: 'skip', reason: skipFile });
        else if (skipH && ev.hasHistogram) outcomes.push({ ...base, status: 'skip', reason: 'expects native histogram values' });
        else if (skipH && histogramSegment && (opts.conservativeSkip || needsHistograms(ev.query, histogramNames))) {
          outcomes.push({
            ...base,
            status: 'skip',
            reason: opts.conservativeSkip ? 'native histograms loaded since last clear' : 'reads series that hold native histograms',
          });
        } else if (parseError) outcomes.push({ ...base, status: 'fail', reason: `parse error: ${parseError}` });
        else {
          let failure: string | null;
          try {
            failure = await runEval(engine, storage, ev, opts);
          } catch (e) {
            failure = `runner crashed: ${(e as Error).stack ?? String(e)}`;
          }
          outcomes.push(failure ? { ...base, status: 'fail', reason: failure } : { ...base, status: 'pass' });
        }
      } else {
        throw new ScriptError(`line ${lineNo}: unknown command ${JSON.stringify(line)}`);
      }
    }
  } catch (e) {
    return { file, outcomes, error: (e as Error).message };
  }
  return { file, outcomes };
}

/** Counts by status and, for skips, by reason. */
export function summarize(outcomes: readonly EvalOutcome[]): { passed: number; failed: number; skipped: number; skipReasons: Map<string, number> } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const skipReasons = new Map<string, number>();
  for (const o of outcomes) {
    if (o.status === 'pass') passed++;
    else if (o.status === 'fail') failed++;
    else {
      skipped++;
      skipReasons.set(o.reason ?? '', (skipReasons.get(o.reason ?? '') ?? 0) + 1);
    }
  }
  return { passed, failed, skipped, skipReasons };
}
