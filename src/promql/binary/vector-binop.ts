import type { ArithmeticOp, BinaryOp, ComparisonOp, SetOp, TrimOp, VectorMatching } from '../ast.js';
import { type Labels, METRIC_NAME, compareLabels, labelsKey } from '../../model/index.js';
import { PromQLError } from '../eval/errors.js';
import { dropMetricName, goLabelsString, matchSignature, setLabel } from '../eval/labels.js';
import { type StepSeries, newStepSeries } from '../eval/types.js';
import { arithmetic, compare, isComparison } from './ops.js';
import { type Pause, PAUSE_EVERY, noPause } from '../eval/cooperative.js';
import type { FloatHistogram } from '../../model/index.js';
import { type BinopNotes, type ElemResult, histogramElemBinop, isTrim } from './histogram-binop.js';

function setResult(o: StepSeries, i: number, r: ElemResult): boolean {
  if (!r) return false;
  if ('h' in r) (o.hist ??= new Array<FloatHistogram | undefined>(o.present.length))[i] = r.h;
  else {
    o.values[i] = r.f;
    o.present[i] = 1;
  }
  return true;
}

/** `vector op scalar` (or `scalar op vector` with `swap`), per step. */
export function vectorScalarBinop(
  op: Exclude<BinaryOp, SetOp>,
  vec: readonly StepSeries[],
  scalar: Float64Array,
  swap: boolean,
  returnBool: boolean,
  notes: BinopNotes = {},
): StepSeries[] {
  const out: StepSeries[] = [];
  const cmp = isComparison(op);
  const trim = isTrim(op);
  for (const s of vec) {
    const n = s.values.length;
    const o = newStepSeries(s.labels, n, s.dropName || !(cmp || trim) || returnBool);
    let any = false;
    for (let i = 0; i < n; i++) {
      if (!s.present[i]) {
        const h = s.hist?.[i];
        if (
          h &&
          setResult(
            o,
            i,
            swap
              ? histogramElemBinop(op as ArithmeticOp | ComparisonOp | TrimOp, scalar[i]!, undefined, 0, h, returnBool, notes)
              : histogramElemBinop(op as ArithmeticOp | ComparisonOp | TrimOp, 0, h, scalar[i]!, undefined, returnBool, notes),
          )
        )
          any = true;
        continue;
      }
      if (trim) {
        // Trimming applies to histograms only: a float sample is dropped.
        (notes.incompatible ??= new Set()).add(swap ? `float ${op} float` : `float ${op} float`);
        continue;
      }
      const v = s.values[i]!;
      const l = swap ? scalar[i]! : v;
      const r = swap ? v : scalar[i]!;
      if (cmp) {
        const keep = compare(op as ComparisonOp, l, r);
        if (returnBool) o.values[i] = keep ? 1 : 0;
        else if (keep) o.values[i] = v;
        else continue;
      } else o.values[i] = arithmetic(op as ArithmeticOp, l, r);
      o.present[i] = 1;
      any = true;
    }
    if (any) out.push(o);
  }
  return out;
}

function signatures(series: readonly StepSeries[], matching: VectorMatching, ordinals: Map<string, number>): Int32Array {
  const names = new Set(matching.matchingLabels);
  const sigs = new Int32Array(series.length);
  series.forEach((s, i) => {
    const sig = matchSignature(s.labels, matching.on, names);
    let ord = ordinals.get(sig);
    if (ord === undefined) {
      ord = ordinals.size;
      ordinals.set(sig, ord);
    }
    sigs[i] = ord;
  });
  return sigs;
}

function matchedLabelsString(labels: Labels, matching: VectorMatching): string {
  const names = new Set(matching.matchingLabels);
  const kept = labels.filter((l) => (matching.on ? names.has(l.name) : !names.has(l.name) && l.name !== METRIC_NAME));
  return goLabelsString(kept);
}

/** Go's `Labels.MatchLabels`: the `on` labels, or all but the `ignoring` labels and the name. */
function matchLabels(labels: Labels, on: boolean, names: ReadonlySet<string>): Labels {
  return labels.filter((l) => (on ? names.has(l.name) : !names.has(l.name) && l.name !== METRIC_NAME));
}

/** Labels of a one-to-one / many-to-one result as Prometheus's `resultMetric`. */
function resultLabels(lhs: Labels, rhs: Labels, op: BinaryOp, matching: VectorMatching): Labels {
  let out = lhs;
  if (!isComparison(op) && !isTrim(op)) out = dropMetricName(out);
  if (matching.card === 'one-to-one') {
    const names = new Set(matching.matchingLabels);
    out = out.filter((l) => (matching.on ? names.has(l.name) : !names.has(l.name)));
  }
  for (const name of matching.include) {
    let v = '';
    for (const l of rhs) if (l.name === name) v = l.value;
    out = setLabel(out, name, v);
  }
  return out;
}

/** Arithmetic and comparison between two instant vectors with vector matching. */
export async function vectorVectorBinop(
  op: Exclude<BinaryOp, SetOp>,
  lhsIn: readonly StepSeries[],
  rhsIn: readonly StepSeries[],
  matching: VectorMatching,
  returnBool: boolean,
  numSteps: number,
  pause: Pause = noPause,
  notes: BinopNotes = {},
): Promise<StepSeries[]> {
  if (matching.card === 'many-to-many') throw new PromQLError('execution', 'many-to-many only allowed for set operators');
  const fill = matching.fill;
  const fillLeft = fill?.left ?? null;
  const fillRight = fill?.right ?? null;
  const swapped = matching.card === 'one-to-many';
  const lhs = swapped ? rhsIn : lhsIn;
  const rhs = swapped ? lhsIn : rhsIn;
  const ordinals = new Map<string, number>();
  const lsig = signatures(lhs, matching, ordinals);
  const rsig = signatures(rhs, matching, ordinals);
  const numSigs = ordinals.size;
  const rightAt = new Int32Array(numSigs);
  const matchedAt = new Int32Array(numSigs);
  const cmp = isComparison(op);
  const matchNames = new Set(matching.matchingLabels);

  interface Out {
    series: StepSeries;
    lastStep: number;
    lastSig: number;
  }
  const outputs = new Map<string, Out>();
  const pairCache = new Map<string, Out>();
  // A comparison filters the left side: a name that side was already to lose (it came out of a
  // function such as avg_over_time) is still dropped from the result.
  const outputFor = (li: number, ri: number, lLabels: Labels, rLabels: Labels, lDropName: boolean): Out => {
    const pk = li + ':' + ri;
    let o = pairCache.get(pk);
    if (o) return o;
    const labels = resultLabels(lLabels, rLabels, op, matching);
    const key = labelsKey(labels);
    const dropName = returnBool || (cmp && lDropName);
    o = outputs.get(key);
    if (!o) {
      o = { series: newStepSeries(labels, numSteps, dropName), lastStep: -1, lastSig: -1 };
      outputs.set(key, o);
    } else o.series.dropName ||= dropName;
    pairCache.set(pk, o);
    return o;
  };

  const apply = (o: Out, sig: number, step: number, fl: number, fr: number, hl?: FloatHistogram, hr?: FloatHistogram): void => {
    if (matching.card !== 'one-to-one') {
      if (o.lastStep === step) {
        if (o.lastSig === sig) throw new PromQLError('execution', 'multiple matches for labels: grouping labels must ensure unique matches');
        throw new PromQLError('execution', 'vector cannot contain metrics with the same labelset');
      }
    } else if (o.lastStep === step) {
      throw new PromQLError('execution', 'vector cannot contain metrics with the same labelset');
    }
    o.lastStep = step;
    o.lastSig = sig;
    if (hl || hr || isTrim(op)) {
      setResult(o.series, step, histogramElemBinop(op as ArithmeticOp | ComparisonOp | TrimOp, fl, hl, fr, hr, returnBool, notes));
      return;
    }
    let value: number;
    if (cmp) {
      const keep = compare(op as ComparisonOp, fl, fr);
      if (returnBool) value = keep ? 1 : 0;
      else if (keep) value = fl;
      else return;
    } else value = arithmetic(op as ArithmeticOp, fl, fr);
    o.series.values[step] = value;
    o.series.present[step] = 1;
  };

  for (let step = 0; step < numSteps; step++) {
    if (step % PAUSE_EVERY === PAUSE_EVERY - 1) await pause();
    rightAt.fill(-1);
    matchedAt.fill(-1);
    for (let r = 0; r < rhs.length; r++) {
      if (!rhs[r]!.present[step] && !rhs[r]!.hist?.[step]) continue;
      const sig = rsig[r]!;
      const prev = rightAt[sig]!;
      if (prev >= 0) {
        const side = swapped ? 'left' : 'right';
        let d1 = goLabelsString(rhs[r]!.labels);
        let d2 = goLabelsString(rhs[prev]!.labels);
        if (d1 > d2) [d1, d2] = [d2, d1];
        throw new PromQLError(
          'execution',
          `found duplicate series for the match group ${matchedLabelsString(rhs[r]!.labels, matching)} on the ${side} hand-side of the operation: [${d1}, ${d2}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      rightAt[sig] = r;
    }
    for (let l = 0; l < lhs.length; l++) {
      const ls = lhs[l]!;
      const lh = ls.hist?.[step];
      if (!ls.present[step] && !lh) continue;
      const sig = lsig[l]!;
      const r = rightAt[sig]!;
      let rv: number;
      let rh: FloatHistogram | undefined;
      let rLabels: Labels;
      if (r >= 0) {
        rv = rhs[r]!.values[step]!;
        rh = rhs[r]!.hist?.[step];
        rLabels = rhs[r]!.labels;
      } else {
        // Prometheus applies fill(right) while walking the (possibly swapped) left side.
        if (fillRight === null) continue;
        rv = fillRight;
        rLabels = matchLabels(ls.labels, matching.on, matchNames);
      }
      if (matching.card === 'one-to-one') {
        if (matchedAt[sig]! >= 0)
          throw new PromQLError('execution', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        matchedAt[sig] = l;
      } else matchedAt[sig] = l;
      const o = outputFor(l, r >= 0 ? r : -1 - sig, ls.labels, rLabels, ls.dropName);
      const lv = ls.values[step]!;
      if (swapped) apply(o, sig, step, rv, lv, rh, lh);
      else apply(o, sig, step, lv, rv, lh, rh);
    }
    const fillOther = fillLeft;
    if (fillOther !== null) {
      for (let r = 0; r < rhs.length; r++) {
        const rs = rhs[r]!;
        const rh = rs.hist?.[step];
        if (!rs.present[step] && !rh) continue;
        const sig = rsig[r]!;
        if (matchedAt[sig]! >= 0) continue;
        const lLabels = matchLabels(rs.labels, matching.on, matchNames);
        const o = outputFor(-1 - sig, r, lLabels, rs.labels, false);
        const rv = rs.values[step]!;
        if (swapped) apply(o, sig, step, rv, fillOther, rh, undefined);
        else apply(o, sig, step, fillOther, rv, undefined, rh);
      }
    }
  }
  const result: StepSeries[] = [];
  for (const o of outputs.values()) {
    if (o.series.present.includes(1) || o.series.hist) result.push(o.series);
  }
  return result;
}

/** `and`, `or`, `unless` between two instant vectors, per step. */
export async function setOperation(
  op: SetOp,
  lhs: readonly StepSeries[],
  rhs: readonly StepSeries[],
  matching: VectorMatching,
  numSteps: number,
  pause: Pause = noPause,
): Promise<StepSeries[]> {
  const ordinals = new Map<string, number>();
  const lsig = signatures(lhs, matching, ordinals);
  const rsig = signatures(rhs, matching, ordinals);
  const seen = new Uint8Array(ordinals.size);
  const out: StepSeries[] = lhs.map((s) => newStepSeries(s.labels, numSteps, s.dropName));
  const rOut: StepSeries[] = op === 'or' ? rhs.map((s) => newStepSeries(s.labels, numSteps, s.dropName)) : [];
  for (let step = 0; step < numSteps; step++) {
    if (step % PAUSE_EVERY === PAUSE_EVERY - 1) await pause();
    seen.fill(0);
    if (op === 'or') {
      for (let l = 0; l < lhs.length; l++) {
        const s = lhs[l]!;
        if (!s.present[step] && !s.hist?.[step]) continue;
        seen[lsig[l]!] = 1;
        copyStep(s, out[l]!, step);
      }
      for (let r = 0; r < rhs.length; r++) {
        const s = rhs[r]!;
        if ((!s.present[step] && !s.hist?.[step]) || seen[rsig[r]!]) continue;
        copyStep(s, rOut[r]!, step);
      }
      continue;
    }
    for (let r = 0; r < rhs.length; r++) if (rhs[r]!.present[step] || rhs[r]!.hist?.[step]) seen[rsig[r]!] = 1;
    const want = op === 'and' ? 1 : 0;
    for (let l = 0; l < lhs.length; l++) {
      const s = lhs[l]!;
      if ((!s.present[step] && !s.hist?.[step]) || seen[lsig[l]!] !== want) continue;
      copyStep(s, out[l]!, step);
    }
  }
  return [...out, ...rOut].filter((s) => s.present.includes(1) || s.hist);
}

function copyStep(from: StepSeries, to: StepSeries, step: number): void {
  const h = from.hist?.[step];
  if (h) (to.hist ??= new Array<FloatHistogram | undefined>(to.present.length))[step] = h;
  else {
    to.values[step] = from.values[step]!;
    to.present[step] = 1;
  }
}

/**
 * Merges series whose label sets are equal (they arise when names are dropped or labels
 * rewritten); two of them holding a point at the same step is Prometheus's duplicate-labelset error.
 */
/**
 * Whether two of the series share one label set. Results mostly arrive sorted by labels (selector
 * order survives most operations): one pass over neighbours then answers, without building a key
 * string per series; otherwise a sorted copy is checked the same way.
 */
export function hasDuplicateLabels(series: readonly { labels: Labels }[]): boolean {
  const n = series.length;
  for (let i = 1; i < n; i++) {
    const c = compareLabels(series[i - 1]!.labels, series[i]!.labels);
    if (c === 0) return true;
    if (c > 0) {
      const sorted = series.map((s) => s.labels).sort(compareLabels);
      for (let j = 1; j < n; j++) if (compareLabels(sorted[j - 1]!, sorted[j]!) === 0) return true;
      return false;
    }
  }
  return false;
}

export function mergeSameLabels(series: StepSeries[]): StepSeries[] {
  if (series.length < 2 || !hasDuplicateLabels(series)) return series;
  const byKey = new Map<string, StepSeries>();
  let merged = false;
  const out: StepSeries[] = [];
  for (const s of series) {
    const key = labelsKey(s.labels);
    const prev = byKey.get(key);
    if (!prev) {
      byKey.set(key, s);
      out.push(s);
      continue;
    }
    merged = true;
    for (let i = 0; i < s.present.length; i++) {
      const h = s.hist?.[i];
      if (!s.present[i] && !h) continue;
      if (prev.present[i] || prev.hist?.[i]) throw new PromQLError('execution', 'vector cannot contain metrics with the same labelset');
      if (h) (prev.hist ??= new Array(s.present.length))[i] = h;
      else {
        prev.present[i] = 1;
        prev.values[i] = s.values[i]!;
      }
    }
    prev.dropName = prev.dropName || s.dropName;
  }
  return merged ? out : series;
}

export function sortByLabels<T extends { labels: Labels }>(series: T[]): T[] {
  return series.sort((a, b) => compareLabels(a.labels, b.labels));
}
