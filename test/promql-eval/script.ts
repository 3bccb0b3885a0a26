/**
 * A compact runner for Prometheus's PromQL test scripts (format: /work/shared/promql-testdata/README.md),
 * used by the evaluator's own conformance check. Native-histogram content is skipped.
 */
import { readFileSync } from 'node:fs';
import type { Label, Labels } from '../../src/model/index.js';
import { compareLabels, labelsKey, sortLabels } from '../../src/model/index.js';
import { Engine, formatAnnotation, type QueryResult } from '../../src/promql/engine.js';
import { parseSeriesSelector } from '../../src/promql/parser.js';
import { TestQuerier, type SamplePair } from './helpers.js';
import { atModifierVariant } from '../promql/script-runner.js';

export interface EvalOutcome {
  file: string;
  line: number;
  query: string;
  status: 'pass' | 'fail' | 'skip';
  reason?: string;
}

const UNITS: [string, number][] = [
  ['ms', 1],
  ['y', 365 * 86400000],
  ['w', 7 * 86400000],
  ['d', 86400000],
  ['h', 3600000],
  ['m', 60000],
  ['s', 1000],
];

export function parseDur(s: string): number {
  if (s === '0') return 0;
  let rest = s;
  let total = 0;
  while (rest.length > 0) {
    const m = /^(\d+)(ms|y|w|d|h|m|s)/.exec(rest);
    if (!m) throw new Error(`bad duration ${s}`);
    total += Number(m[1]) * UNITS.find(([u]) => u === m[2])![1];
    rest = rest.slice(m[0].length);
  }
  return total;
}

function parseNum(s: string): number {
  const t = s.toLowerCase().replace(/^\+/, '');
  if (t === 'inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan' || t === '-nan') return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) throw new Error(`bad number ${s}`);
  return Number(t);
}

type Item = number | 'stale' | null; // null = skipped slot

function expandItems(tokens: string[]): Item[] {
  const out: Item[] = [];
  for (const tok of tokens) {
    if (tok === '_') {
      out.push(null);
      continue;
    }
    if (tok === 'stale') {
      out.push('stale');
      continue;
    }
    let m = /^_x(\d+)$/.exec(tok);
    if (m) {
      for (let i = 0; i < Number(m[1]); i++) out.push(null);
      continue;
    }
    m = /^([^x]+?)([+-])([^x+-][^x]*)x(\d+)$/.exec(tok);
    if (m && !/e$/i.test(m[1]!)) {
      let cur = parseNum(m[1]!);
      const step = parseNum(m[3]!) * (m[2] === '-' ? -1 : 1);
      const n = Number(m[4]);
      out.push(cur);
      for (let i = 0; i < n; i++) {
        cur += step;
        out.push(cur);
      }
      continue;
    }
    m = /^(.+)x(\d+)$/.exec(tok);
    if (m) {
      const v = parseNum(m[1]!);
      for (let i = 0; i <= Number(m[2]); i++) out.push(v);
      continue;
    }
    out.push(parseNum(tok));
  }
  return out;
}

function splitSeriesLine(line: string): [string, string] {
  let i = 0;
  let depth = 0;
  let quote = '';
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        i++;
        break;
      }
    } else if (depth === 0 && /\s/.test(c)) break;
  }
  return [line.slice(0, i), line.slice(i).trim()];
}

function parseLabels(sel: string): Labels {
  if (sel.replace(/\s/g, '') === '{}') return [];
  const ms = parseSeriesSelector(sel);
  return sortLabels(ms.map((m): Label => ({ name: m.name, value: m.value })));
}

function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const minNormal = 2.2250738585072014e-308;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < 1e-6 * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < 1e-6;
}

interface Expect {
  fail: { mode?: string; text?: string } | null;
  warn: { mode?: string; text?: string }[];
  info: { mode?: string; text?: string }[];
  noWarn: boolean;
  noInfo: boolean;
  ordered: boolean;
  scalar: number | null;
  str: string | null;
  series: Map<string, { labels: Labels; items: Item[] }>;
  rangeVector: { start: number; end: number; step: number } | null;
}

const SKIP_FILES = new Set(['start_timestamps.test', 'native_histograms.test']);

function textMatches(spec: { mode?: string; text?: string }, s: string): boolean {
  if (!spec.mode) return true;
  if (spec.mode === 'msg') return s.trim() === spec.text!.trim();
  return new RegExp(spec.text!.trim()).test(s);
}

function checkAnnos(exp: Expect, res: QueryResult, query: string): string | null {
  const warns = res.warnings.map((a) => formatAnnotation(a, query));
  const infos = res.infos.map((a) => formatAnnotation(a, query));
  if (exp.noWarn && warns.length) return `unexpected warnings ${JSON.stringify(warns)}`;
  if (exp.noInfo && infos.length) return `unexpected infos ${JSON.stringify(infos)}`;
  for (const [specs, got, kind] of [
    [exp.warn, warns, 'warn'],
    [exp.info, infos, 'info'],
  ] as const) {
    if (specs.length === 0) continue;
    if (got.length === 0) return `expected ${kind} but got none`;
    for (const sp of specs) if (!got.some((g) => textMatches(sp, g))) return `expected ${kind} ${sp.text} not in ${JSON.stringify(got)}`;
    for (const g of got) if (!specs.some((sp) => textMatches(sp, g))) return `unexpected ${kind} ${g}`;
  }
  return null;
}

function fmt(l: Labels): string {
  return '{' + l.map((x) => `${x.name}="${x.value}"`).join(',') + '}';
}

function checkInstant(exp: Expect, res: QueryResult): string | null {
  const v = res.value;
  if (exp.str !== null) return v.type === 'string' && v.v === exp.str ? null : `expected string ${exp.str}, got ${JSON.stringify(v)}`;
  if (exp.scalar !== null) {
    if (v.type !== 'scalar') return `expected scalar, got ${v.type}`;
    return almostEqual(v.v, exp.scalar) ? null : `scalar ${v.v} != ${exp.scalar}`;
  }
  if (v.type === 'scalar' || v.type === 'string') return `expected vector, got ${v.type}`;
  if (v.type === 'matrix') {
    if (!exp.rangeVector) return 'got matrix for instant eval';
    return checkMatrix(exp, v.series, exp.rangeVector.start, exp.rangeVector.step);
  }
  const got = v.samples;
  if (got.length !== exp.series.size) return `expected ${exp.series.size} series, got ${got.length}: ${got.map((s) => fmt(s.labels) + ' ' + s.v).join(' ')}`;
  const expList = [...exp.series.values()];
  for (let i = 0; i < got.length; i++) {
    const s = got[i]!;
    const e = exp.series.get(labelsKey(s.labels));
    if (!e) return `unexpected series ${fmt(s.labels)} ${s.v}`;
    const want = e.items[0];
    if (typeof want !== 'number' || !almostEqual(s.v, want)) return `value of ${fmt(s.labels)}: got ${s.v} want ${want}`;
    if (exp.ordered && labelsKey(expList[i]!.labels) !== labelsKey(s.labels))
      return `order: position ${i} got ${fmt(s.labels)} want ${fmt(expList[i]!.labels)}`;
  }
  return null;
}

function checkMatrix(exp: Expect, series: { labels: Labels; timestamps: Float64Array; values: Float64Array }[], start: number, step: number): string | null {
  if (series.length !== exp.series.size)
    return `expected ${exp.series.size} series, got ${series.length}: ${series.map((s) => fmt(s.labels) + ' ' + Array.from(s.values).join(',')).join(' ')}`;
  for (let i = 1; i < series.length; i++) if (compareLabels(series[i - 1]!.labels, series[i]!.labels) >= 0) return 'matrix not sorted';
  for (const s of series) {
    const e = exp.series.get(labelsKey(s.labels));
    if (!e) return `unexpected series ${fmt(s.labels)}`;
    const pts: [number, number][] = [];
    e.items.forEach((it, i) => {
      if (typeof it === 'number') pts.push([start + i * step, it]);
    });
    if (pts.length !== s.timestamps.length)
      return `${fmt(s.labels)}: got ${s.timestamps.length} points [${Array.from(s.timestamps).join(',')}]=[${Array.from(s.values).join(',')}], want ${pts.length} [${pts.map((p) => p.join(':')).join(',')}]`;
    for (let i = 0; i < pts.length; i++) {
      if (s.timestamps[i] !== pts[i]![0] || !almostEqual(s.values[i]!, pts[i]![1]))
        return `${fmt(s.labels)}: point ${i} got ${s.timestamps[i]}:${s.values[i]} want ${pts[i]![0]}:${pts[i]![1]}`;
    }
  }
  return null;
}

const TIME_FUNCS = /\b(start|end|range|step)\s*\(/;

export async function runFile(path: string, engine = new Engine({ maxSamples: 10000 })): Promise<EvalOutcome[]> {
  const file = path.split('/').pop()!;
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => (l.trim().startsWith('#') ? '' : l.trim()));
  const outcomes: EvalOutcome[] = [];
  let q = new TestStore();
  let histSegment = false;
  const histNames = new Set<string>();
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line === '') {
      i++;
      continue;
    }
    const lineNo = i + 1;
    if (line === 'clear') {
      q = new TestStore();
      histSegment = false;
      histNames.clear();
      i++;
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j] !== '') body.push(lines[j++]!);
    i = j;
    const lm = /^load(?:_(with_nhcb))?\s+(.+)$/.exec(line);
    if (lm) {
      if (lm[1]) histSegment = true;
      const interval = parseDur(lm[2]!);
      for (const b of body) {
        const name = /^[^{\s]*/.exec(b)![0];
        if (lm[1] && /_(bucket|count|sum)$/.test(name)) histNames.add(name.replace(/_(bucket|count|sum)$/, ''));
        if (b.includes('{{')) {
          histSegment = true;
          histNames.add(name);
          const nm = /__name__\s*=\s*"([^"]+)"/.exec(b);
          if (nm) histNames.add(nm[1]!);
          continue;
        }
        if (/@st\s/.test(b.split(/\s/)[0]! + ' ')) continue;
        const [sel, rest] = splitSeriesLine(b);
        const labels = parseLabels(sel);
        const items = expandItems(rest.split(/\s+/).filter(Boolean));
        q.load(labels, items, interval);
      }
      continue;
    }
    const im = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(\S+))?\s+(.+)$/.exec(line);
    const rm = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+?)\s+(.+)$/.exec(line);
    if (!im && !rm) throw new Error(`${file}:${lineNo}: unknown command ${line}`);
    const query = (im ? im[3] : rm![5])!;
    const outcome: EvalOutcome = { file, line: lineNo, query, status: 'pass' };
    outcomes.push(outcome);
    if (SKIP_FILES.has(file)) {
      outcome.status = 'skip';
      outcome.reason = 'file';
      continue;
    }
    const idents = query.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
    const strictHist = histSegment && (idents.some((x) => histNames.has(x)) || /(^|[^\w}\]])\{/.test(query) || query.includes('__name__'));
    if ((process.env.CONSERVATIVE_NH ? histSegment : strictHist) || body.some((b) => b.includes('{{'))) {
      outcome.status = 'skip';
      outcome.reason = 'native histograms';
      continue;
    }
    const exp: Expect = {
      fail: null,
      warn: [],
      info: [],
      noWarn: false,
      noInfo: false,
      ordered: false,
      scalar: null,
      str: null,
      series: new Map(),
      rangeVector: null,
    };
    const legacy = (im ? im[1] : rm![1]) ?? '';
    if (legacy === 'fail') exp.fail = {};
    if (legacy === 'ordered') exp.ordered = true;
    let evalAt = im ? parseDur(im[2]!) : 0;
    for (const b of body) {
      let m = /^expect\s+range\s+vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(b);
      if (m) {
        exp.rangeVector = { start: parseDur(m[1]!), end: parseDur(m[2]!), step: parseDur(m[3]!) };
        evalAt = exp.rangeVector.end;
        continue;
      }
      m = /^expect\s+string\s+(.+)$/.exec(b);
      if (m) {
        const s = m[1]!.trim();
        exp.str = s.startsWith('`') ? s.slice(1, -1) : (JSON.parse(s) as string);
        continue;
      }
      m = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/.exec(b);
      if (m) {
        const spec = m[2] ? { mode: m[2], text: m[3]! } : {};
        if (m[1] === 'ordered') exp.ordered = true;
        else if (m[1] === 'fail') exp.fail = spec;
        else if (m[1] === 'warn') exp.warn.push(spec);
        else if (m[1] === 'info') exp.info.push(spec);
        else if (m[1] === 'no_warn') exp.noWarn = true;
        else exp.noInfo = true;
        continue;
      }
      if (/^expected_fail_(message|regexp)/.test(b)) continue;
      try {
        exp.scalar = parseNum(b);
        continue;
      } catch {
        /* not a number */
      }
      const [sel, rest] = splitSeriesLine(b);
      const labels = parseLabels(sel);
      exp.series.set(labelsKey(labels), { labels, items: expandItems(rest.split(/\s+/).filter(Boolean)) });
    }
    const failWith = (reason: string): void => {
      outcome.status = 'fail';
      outcome.reason = reason;
    };
    try {
      if (im) {
        const res = await engine.instantQuery(q, query, evalAt);
        if (exp.fail) {
          failWith('expected failure, got success');
          continue;
        }
        const problem = checkAnnos(exp, res, query) ?? checkInstant(exp, res);
        if (problem) {
          failWith(problem);
          continue;
        }
        if (process.env.AT_VARIANTS && exp.str === null && !exp.rangeVector) {
          const variant = atModifierVariant(query, evalAt);
          if (variant) {
            const times = evalAt === 0 ? [-1000, 0, 1000] : [-10 * evalAt, 0, Math.trunc(evalAt / 5), evalAt, 10 * evalAt];
            for (const t of times) {
              const vr = await engine.instantQuery(q, variant, t);
              const p = checkAnnos(exp, vr, variant) ?? checkInstant(exp, vr);
              if (p) {
                failWith(`@ variant ${variant} at ${t}: ${p}`);
                break;
              }
            }
            if (outcome.status === 'fail') continue;
          }
        }
        if (exp.str === null && !exp.rangeVector && !TIME_FUNCS.test(query)) {
          const rr = await engine.rangeQuery(q, query, evalAt - 60000, evalAt + 60000, 60000);
          if (!exp.ordered) {
            const v = rr.value;
            if (v.type !== 'matrix') throw new Error('range query did not return a matrix');
            let p: string | null;
            if (exp.scalar !== null) {
              const s = v.series[0];
              const k = s ? Array.from(s.timestamps).indexOf(evalAt) : -1;
              p = k >= 0 && almostEqual(s!.values[k]!, exp.scalar) ? null : `range-mode scalar mismatch`;
            } else {
              const samples = v.series.flatMap((s) => {
                const k = Array.from(s.timestamps).indexOf(evalAt);
                return k >= 0 ? [{ labels: s.labels, t: evalAt, v: s.values[k]! }] : [];
              });
              p = checkInstant({ ...exp, ordered: false }, { ...rr, value: { type: 'vector', samples } });
            }
            if (p) failWith('range-mode: ' + p);
            else {
              const a = checkAnnos(exp, rr, query);
              if (a) failWith('range-mode: ' + a);
            }
          }
        }
      } else {
        const start = parseDur(rm![2]!);
        const end = parseDur(rm![3]!);
        const step = parseDur(rm![4]!);
        const res = await engine.rangeQuery(q, query, start, end, step);
        if (exp.fail) {
          failWith('expected failure, got success');
          continue;
        }
        const problem =
          checkAnnos(exp, res, query) ?? (res.value.type === 'matrix' ? checkMatrix(exp, res.value.series, start, step) : `got ${res.value.type}`);
        if (problem) failWith(problem);
      }
    } catch (e) {
      const msg = (e as Error).message;
      if (exp.fail) {
        if (!textMatches(exp.fail, msg)) failWith(`error text ${JSON.stringify(msg)} does not match ${exp.fail.text}`);
      } else failWith(`error: ${msg}`);
    }
  }
  return outcomes;
}

/** Storage for one script: every `load` starts at t = 0; a repeated series line replaces the series. */
class TestStore extends TestQuerier {
  private readonly data = new Map<string, { labels: Labels; samples: SamplePair[] }>();

  load(labels: Labels, items: Item[], interval: number): void {
    const key = labelsKey(labels);
    let entry = this.data.get(key);
    if (!entry) {
      entry = { labels, samples: [] };
      this.data.set(key, entry);
    }
    const samples = entry.samples.filter(([t]) => t >= items.length * interval || items[t / interval] === null || t % interval !== 0);
    items.forEach((it, k) => {
      if (it !== null) samples.push([k * interval, it]);
    });
    samples.sort((a, b) => a[0] - b[0]);
    entry.samples = samples;
    const obj: Record<string, string> = {};
    for (const l of labels) obj[l.name] = l.value;
    const idx = this.series.findIndex((s) => labelsKey(s.labels) === key);
    if (idx >= 0) this.series.splice(idx, 1);
    this.add(obj, samples);
  }
}
