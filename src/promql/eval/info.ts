/**
 * The experimental `info(v, {data labels})` function: enriches each series of `v` with the data
 * labels of the info series (default `target_info`) that share its identifying labels
 * (`instance`, `job`), as Prometheus's `info.go`.
 */
import type { Call, Expr } from '../ast.js';
import { type Label, type LabelMatcher, type Labels, METRIC_NAME, type Series, getLabel, labelsKey, sortLabels } from '../../model/index.js';
import { compileLabelRegex } from '../parser.js';
import { atMs, durationMs, type QueryBounds } from '../duration.js';
import { PromQLError } from './errors.js';
import { goLabelsString } from './labels.js';
import type { StepSeries } from './types.js';

const TARGET_INFO = 'target_info';
const IDENTIFYING = ['instance', 'job'];

export function matcherMatches(m: LabelMatcher, value: string): boolean {
  switch (m.type) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return compileLabelRegex(m.value).test(value);
    case '!~':
      return !compileLabelRegex(m.value).test(value);
  }
}

function effectiveNameMatchers(matchers: LabelMatcher[]): LabelMatcher[] {
  if (matchers.some((m) => m.type === '=' || m.type === '=~')) return matchers;
  if (matchers.length > 0) return [{ name: METRIC_NAME, type: '=~', value: '.+_info' }, ...matchers];
  return [{ name: METRIC_NAME, type: '=', value: TARGET_INFO }];
}

function dataSelector(call: Call): readonly LabelMatcher[] {
  const sel = call.args[1];
  return sel && sel.kind === 'VectorSelector' ? sel.matchers : [];
}

function nameMatchersOf(call: Call): LabelMatcher[] {
  if (call.args.length < 2) return [{ name: METRIC_NAME, type: '=', value: TARGET_INFO }];
  return dataSelector(call).filter((m) => m.name === METRIC_NAME);
}

/** The matchers that select every info series `info()` could use (before the identifying-label filter). */
export function infoFetchMatchers(call: Call): LabelMatcher[] {
  const data = dataSelector(call);
  const nameMatchers = data.filter((m) => m.name === METRIC_NAME);
  return [...data.filter((m) => m.name !== METRIC_NAME), ...effectiveNameMatchers(nameMatchers)];
}

/** The @ time and offset of the first selector of the argument (and its enclosing subqueries). */
export function infoTimestampAndOffset(arg: Expr, bounds: QueryBounds): { at: number | null; offset: number } {
  let found: { at: number | null; offset: number } | null = null;
  const walk = (e: Expr, path: Expr[]): void => {
    if (found) return;
    if (e.kind === 'VectorSelector') {
      let at = atMs(e.at, bounds);
      let offset = durationMs(e.offset, bounds, true);
      for (let i = path.length - 1; at === null && i >= 0; i--) {
        const p = path[i]!;
        if (p.kind === 'SubqueryExpr') {
          offset += durationMs(p.offset, bounds);
          at = atMs(p.at, bounds);
        }
      }
      found = { at, offset };
      return;
    }
    const next = [...path, e];
    switch (e.kind) {
      case 'MatrixSelector':
        walk(e.vector, next);
        break;
      case 'SubqueryExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
        walk(e.expr, next);
        break;
      case 'AggregateExpr':
        if (e.param) walk(e.param, next);
        walk(e.expr, next);
        break;
      case 'BinaryExpr':
        walk(e.lhs, next);
        walk(e.rhs, next);
        break;
      case 'Call':
        for (const a of e.args) walk(a, next);
        break;
      default:
        break;
    }
  };
  walk(arg, []);
  return found ?? { at: null, offset: 0 };
}

/**
 * Info series whose identifying labels occur in the base vector, and the data-label matchers
 * without their name matchers.
 */
export function selectInfoSeries(
  call: Call,
  base: readonly StepSeries[],
  fetched: readonly Series[],
): { series: Series[]; ignored: Set<number>; dataMatchers: Map<string, LabelMatcher[]> } {
  const dataMatchers = new Map<string, LabelMatcher[]>();
  for (const m of dataSelector(call)) {
    if (m.name === METRIC_NAME) continue;
    const list = dataMatchers.get(m.name) ?? [];
    list.push(m);
    dataMatchers.set(m.name, list);
  }
  const effective = effectiveNameMatchers(nameMatchersOf(call));
  const ignored = new Set<number>();
  const idValues = new Map<string, Set<string>>();
  base.forEach((s, i) => {
    const name = getLabel(s.labels, METRIC_NAME);
    if (effective.every((m) => matcherMatches(m, name))) {
      ignored.add(i);
      return;
    }
    for (const l of IDENTIFYING) {
      const v = getLabel(s.labels, l);
      if (v === '') continue;
      let set = idValues.get(l);
      if (!set) idValues.set(l, (set = new Set()));
      set.add(v);
    }
  });
  if (idValues.size === 0) return { series: [], ignored, dataMatchers };
  const series = fetched.filter((s) => [...idValues].every(([l, vals]) => vals.has(getLabel(s.labels, l))));
  return { series, ignored, dataMatchers };
}

function signature(name: string, labels: Labels): string {
  let s = name;
  for (const l of labels) if (IDENTIFYING.includes(l.name)) s += '\u0000' + l.name + '\u0001' + l.value;
  return s;
}

/**
 * Joins base series with info series per step. `infoTimes` holds, per info series and step, the
 * timestamp of the sample found (so the newest wins when several match).
 */
export function combineWithInfo(
  base: readonly StepSeries[],
  info: readonly StepSeries[],
  ignored: ReadonlySet<number>,
  dataMatchers: ReadonlyMap<string, LabelMatcher[]>,
  numSteps: number,
): StepSeries[] {
  const infoNames = [...new Set(info.map((s) => getLabel(s.labels, METRIC_NAME)))];
  const baseSigs = base.map((s) => infoNames.map((n) => signature(n, s.labels)));
  const infoSigs = info.map((s) => signature(getLabel(s.labels, METRIC_NAME), s.labels));
  const allMatchEmpty = [...dataMatchers.values()].every((ms) => ms.every((m) => matcherMatches(m, '')));
  const outputs = new Map<string, StepSeries>();
  const order: StepSeries[] = [];
  const emit = (labels: Labels, dropName: boolean, step: number, value: number): void => {
    const key = labelsKey(labels);
    let o = outputs.get(key);
    if (!o) {
      o = { labels, values: new Float64Array(numSteps), present: new Uint8Array(numSteps), dropName };
      outputs.set(key, o);
      order.push(o);
    }
    if (o.present[step]) throw new PromQLError('execution', 'vector cannot contain metrics with the same labelset');
    o.present[step] = 1;
    o.values[step] = value;
  };
  const right = new Map<string, number>();
  for (let step = 0; step < numSteps; step++) {
    right.clear();
    info.forEach((s, k) => {
      if (!s.present[step]) return;
      const sig = infoSigs[k]!;
      const prev = right.get(sig);
      if (prev === undefined) {
        right.set(sig, k);
        return;
      }
      const prevT = Math.trunc(info[prev]!.values[step]! * 1000);
      const t = Math.trunc(s.values[step]! * 1000);
      if (prevT < t) right.set(sig, k);
      else if (prevT === t) {
        throw new PromQLError(
          'execution',
          `found duplicate series for info metric: existing ${goLabelsString(info[prev]!.labels)} @ ${prevT}, new ${goLabelsString(s.labels)} @ ${t}`,
        );
      }
    });
    base.forEach((bs, b) => {
      if (!bs.present[step]) return;
      const value = bs.values[step]!;
      if (ignored.has(b)) {
        emit(bs.labels, bs.dropName, step, value);
        return;
      }
      const added = new Map<string, string>();
      let seen = 0;
      infoNames.forEach((_, n) => {
        const k = right.get(baseSigs[b]![n]!);
        if (k === undefined) return;
        for (const l of info[k]!.labels) {
          if (l.name === METRIC_NAME) continue;
          if (dataMatchers.size > 0 && !dataMatchers.has(l.name)) continue;
          const have = added.get(l.name);
          if (have !== undefined && have !== l.value) throw new PromQLError('execution', `conflicting label: ${l.name}`);
          if (getLabel(bs.labels, l.name) !== '' || bs.labels.some((x) => x.name === l.name)) continue;
          added.set(l.name, l.value);
        }
        seen++;
      });
      if (seen === 0 && !allMatchEmpty) return;
      let labels: Labels = bs.labels;
      if (added.size > 0) {
        const merged: Label[] = [...bs.labels];
        for (const [name, v] of added) merged.push({ name, value: v });
        labels = sortLabels(merged);
      }
      emit(labels, bs.dropName, step, value);
    });
  }
  return order;
}
