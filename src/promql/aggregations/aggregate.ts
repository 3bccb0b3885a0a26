import type { AggregateOp } from '../ast.js';
import { type Labels, labelsKey } from '../../model/index.js';
import { PromQLError } from '../eval/errors.js';
import { groupingKey, groupingLabels, setLabel } from '../eval/labels.js';
import { type StepSeries, newStepSeries } from '../eval/types.js';
import { kahanInc } from '../functions/kahan.js';
import { quantile } from '../functions/quantile.js';
import { formatFloatF } from '../../go-format/index.js';
import { xxhash64 } from './xxhash64.js';
import { type Pause, PAUSE_EVERY, noPause } from '../eval/cooperative.js';

export interface AggregateSpec {
  op: AggregateOp;
  grouping: readonly string[];
  without: boolean;
  /** Per-step numeric parameter (topk k, quantile φ, limit ratio); empty when none. */
  param: Float64Array | null;
  /** The label name of `count_values`. */
  label: string;
}

interface Groups {
  index: Int32Array;
  labels: Labels[];
}

function assignGroups(input: readonly StepSeries[], spec: AggregateSpec): Groups {
  const names = new Set(spec.grouping);
  const idx = new Map<string, number>();
  const index = new Int32Array(input.length);
  const labels: Labels[] = [];
  input.forEach((s, i) => {
    const key = groupingKey(s.labels, spec.without, names);
    let g = idx.get(key);
    if (g === undefined) {
      g = labels.length;
      idx.set(key, g);
      labels.push(groupingLabels(s.labels, spec.without, names));
    }
    index[i] = g;
  });
  return { index, labels };
}

const pair = new Float64Array(2);

/** The operations whose per-group state folds one series at a time (what a stream can feed). */
export const FOLDING_AGGREGATIONS: ReadonlySet<string> = new Set(['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar']);

/** sum, avg, min, max, count, group, stddev, stdvar, quantile: one output series per group. */
export async function aggregate(input: readonly StepSeries[], spec: AggregateSpec, numSteps: number, pause: Pause = noPause): Promise<StepSeries[]> {
  switch (spec.op) {
    case 'topk':
    case 'bottomk':
    case 'limitk':
    case 'limit_ratio':
      return aggregateK(input, spec, numSteps, pause);
    case 'count_values':
      return countValues(input, spec, numSteps, pause);
    case 'quantile':
      return aggregateQuantile(input, spec, numSteps, pause);
    default:
      break;
  }
  const acc = new AggregateAccumulator(spec, numSteps);
  await acc.add(input, pause);
  return acc.finish();
}

async function aggregateQuantile(input: readonly StepSeries[], spec: AggregateSpec, numSteps: number, pause: Pause): Promise<StepSeries[]> {
  const { index, labels } = assignGroups(input, spec);
  const G = labels.length;
  const out = labels.map((l) => newStepSeries(l, numSteps));
  const buf: number[][] = labels.map(() => []);
  for (let i = 0; i < numSteps; i++) {
    if (i % PAUSE_EVERY === PAUSE_EVERY - 1) await pause();
    for (const b of buf) b.length = 0;
    for (let s = 0; s < input.length; s++) {
      const ser = input[s]!;
      if (!ser.present[i]) continue;
      const g = index[s]!;
      buf[g]!.push(ser.values[i]!);
      if (ser.dropName) out[g]!.dropName = true;
    }
    for (let g = 0; g < G; g++) {
      if (buf[g]!.length === 0) continue;
      out[g]!.values[i] = quantile(spec.param ? spec.param[i]! : NaN, Float64Array.from(buf[g]!));
      out[g]!.present[i] = 1;
    }
  }
  return out.filter((s) => s.present.includes(1));
}

const NONE: Float64Array = new Float64Array(0);

/**
 * The state of a folding aggregation (FOLDING_AGGREGATIONS): series are added in any number of
 * calls, in the order they are to be folded, and finish() gives the groups in the order they were
 * first seen. Adding a selection in one call or batch by batch gives the same bits.
 */
export class AggregateAccumulator {
  private readonly names: ReadonlySet<string>;
  private readonly groupOf = new Map<string, number>();
  /** The one label of a `by` with a single name, else null; its groups by value, and the group of series without it. */
  private readonly single: string | null;
  private readonly byValue = new Map<string, number>();
  private unlabelled = -1;
  private readonly out: StepSeries[] = [];
  private capacity = 0;
  // Per group and step, laid out as [group * numSteps + step]; only what the operation uses.
  private value: Float64Array = NONE;
  private count: Float64Array = NONE;
  private comp: Float64Array = NONE;
  private mean: Float64Array = NONE;
  private incremental: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly spec: AggregateSpec,
    private readonly numSteps: number,
  ) {
    if (!FOLDING_AGGREGATIONS.has(spec.op)) throw new PromQLError('execution', `unsupported aggregation ${spec.op}`);
    this.names = new Set(spec.grouping);
    this.single = !spec.without && this.names.size === 1 ? spec.grouping[0]! : null;
  }

  private group(labels: Labels): number {
    // `by (one_label)`: the label's value is the key, with no key string built per series.
    if (this.single !== null) {
      let v: string | undefined;
      for (const l of labels) {
        if (l.name === this.single) {
          v = l.value;
          break;
        }
      }
      if (v === undefined) {
        if (this.unlabelled < 0) this.unlabelled = this.newGroup(labels);
        return this.unlabelled;
      }
      let g = this.byValue.get(v);
      if (g === undefined) this.byValue.set(v, (g = this.newGroup(labels)));
      return g;
    }
    const key = groupingKey(labels, this.spec.without, this.names);
    let g = this.groupOf.get(key);
    if (g !== undefined) return g;
    g = this.newGroup(labels);
    this.groupOf.set(key, g);
    return g;
  }

  private newGroup(labels: Labels): number {
    const g = this.out.length;
    this.out.push(newStepSeries(groupingLabels(labels, this.spec.without, this.names), this.numSteps));
    if (this.out.length > this.capacity) this.grow();
    return g;
  }

  private grow(): void {
    const op = this.spec.op;
    this.capacity = Math.max(8, this.capacity * 2);
    const size = this.capacity * this.numSteps;
    const widen = (a: Float64Array): Float64Array => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.value = widen(this.value);
    this.count = widen(this.count);
    if (op === 'sum' || op === 'avg') this.comp = widen(this.comp);
    if (op === 'avg' || op === 'stddev' || op === 'stdvar') this.mean = widen(this.mean);
    if (op === 'avg') {
      const inc = new Uint8Array(size);
      inc.set(this.incremental);
      this.incremental = inc;
    }
  }

  async add(input: readonly StepSeries[], pause: Pause = noPause): Promise<void> {
    const op = this.spec.op;
    const numSteps = this.numSteps;
    for (let s = 0; s < input.length; s++) {
      if (s % PAUSE_EVERY === PAUSE_EVERY - 1) await pause();
      const ser = input[s]!;
      const g = this.group(ser.labels);
      const base = g * numSteps;
      const { value, count, comp, mean, incremental } = this;
      if (op === 'sum') {
        // The common case, without the per-sample dispatch below: Neumaier summation as kahanInc,
        // inlined.
        const present = ser.present;
        const vals = ser.values;
        let seenSum = false;
        for (let i = 0; i < numSteps; i++) {
          if (!present[i]) continue;
          seenSum = true;
          const f = vals[i]!;
          const k = base + i;
          if (count[k] === 0) {
            count[k] = 1;
            value[k] = f;
            continue;
          }
          const sum = value[k]!;
          const t = sum + f;
          let c = comp[k]!;
          if (t === Infinity || t === -Infinity) c = 0;
          else if (Math.abs(sum) >= Math.abs(f)) c += sum - t + f;
          else c += f - t + sum;
          value[k] = t;
          comp[k] = c;
          count[k]!++;
        }
        if (seenSum && ser.dropName) this.out[g]!.dropName = true;
        continue;
      }
      let seen = false;
      for (let i = 0; i < numSteps; i++) {
        if (!ser.present[i]) continue;
        seen = true;
        const f = ser.values[i]!;
        const k = base + i;
        if (count[k] === 0) {
          count[k] = 1;
          if (mean.length > 0) mean[k] = f;
          switch (op) {
            case 'stddev':
            case 'stdvar':
              value[k] = Number.isFinite(f) ? 0 : NaN;
              break;
            case 'group':
              value[k] = 1;
              break;
            default:
              value[k] = f;
          }
          continue;
        }
        switch (op) {
          case 'avg': {
            const n = ++count[k]!;
            if (!incremental[k]) {
              kahanInc(f, value[k]!, comp[k]!, pair);
              if (pair[0] !== Infinity && pair[0] !== -Infinity) {
                value[k] = pair[0]!;
                comp[k] = pair[1]!;
                break;
              }
              incremental[k] = 1;
              mean[k] = value[k]! / (n - 1);
              comp[k] = comp[k]! / (n - 1);
            }
            const q = (n - 1) / n;
            kahanInc(f / n, q * mean[k]!, q * comp[k]!, pair);
            mean[k] = pair[0]!;
            comp[k] = pair[1]!;
            break;
          }
          case 'max':
            if (value[k]! < f || Number.isNaN(value[k]!)) value[k] = f;
            break;
          case 'min':
            if (value[k]! > f || Number.isNaN(value[k]!)) value[k] = f;
            break;
          case 'count':
          case 'group':
            count[k]!++;
            break;
          case 'stddev':
          case 'stdvar': {
            const n = ++count[k]!;
            const d = f - mean[k]!;
            mean[k] = mean[k]! + d / n;
            value[k] = value[k]! + d * (f - mean[k]!);
            break;
          }
          default:
            throw new PromQLError('execution', `unsupported aggregation ${op}`);
        }
      }
      if (seen && ser.dropName) this.out[g]!.dropName = true;
    }
  }

  /** The groups that got a sample, in the order first seen. */
  finish(): StepSeries[] {
    const op = this.spec.op;
    const numSteps = this.numSteps;
    const { value, count, comp, mean, incremental } = this;
    for (let g = 0; g < this.out.length; g++) {
      const o = this.out[g]!;
      const base = g * numSteps;
      for (let i = 0; i < numSteps; i++) {
        const k = base + i;
        const n = count[k]!;
        if (n === 0) continue;
        let v: number;
        switch (op) {
          case 'sum':
            v = value[k]! + comp[k]!;
            break;
          case 'avg':
            v = incremental[k] ? mean[k]! + comp[k]! : value[k]! / n + comp[k]! / n;
            break;
          case 'count':
            v = n;
            break;
          case 'stdvar':
            v = value[k]! / n;
            break;
          case 'stddev':
            v = Math.sqrt(value[k]! / n);
            break;
          default:
            v = value[k]!;
        }
        o.values[i] = v;
        o.present[i] = 1;
      }
    }
    return this.out.filter((s) => s.present.includes(1));
  }
}

const utf8 = new TextEncoder();

/**
 * Deterministic offset in [0, 1] per label set for `limit_ratio` sampling: Prometheus's
 * `Labels.Hash()` (XXH64 over `name 0xff value 0xff ...`) over the largest uint64.
 */
function ratioOffset(labels: Labels): number {
  const parts: Uint8Array[] = [];
  let n = 0;
  for (const l of labels) {
    for (const s of [l.name, l.value]) {
      const b = utf8.encode(s);
      parts.push(b);
      n += b.length + 1;
    }
  }
  const buf = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    buf.set(p, at);
    at += p.length;
    buf[at++] = 0xff;
  }
  return Number(xxhash64(buf)) / 18446744073709551615;
}

/**
 * The k best of `cand` at step i in rank order: largest first for topk, smallest first for
 * bottomk, NaN last; ties keep input order. One pass with a sorted buffer of k, O(n·k).
 */
function selectK(cand: readonly number[], input: readonly StepSeries[], i: number, k: number, top: boolean): number[] {
  const best: number[] = [];
  const bestV: number[] = [];
  // true when a ranks strictly before b
  const before = (a: number, b: number): boolean => {
    if (Number.isNaN(a)) return false;
    if (Number.isNaN(b)) return true;
    return top ? a > b : a < b;
  };
  if (k > 32) {
    // A stable sort is cheaper than insertion once k is large.
    const sorted = [...cand].sort((a, b) => {
      const va = input[a]!.values[i]!;
      const vb = input[b]!.values[i]!;
      return before(va, vb) ? -1 : before(vb, va) ? 1 : 0;
    });
    return sorted.slice(0, k);
  }
  for (const s of cand) {
    const v = input[s]!.values[i]!;
    if (best.length === k && !before(v, bestV[k - 1]!)) continue;
    let pos = best.length;
    while (pos > 0 && before(v, bestV[pos - 1]!)) pos--;
    best.splice(pos, 0, s);
    bestV.splice(pos, 0, v);
    if (best.length > k) {
      best.pop();
      bestV.pop();
    }
  }
  return best;
}

async function aggregateK(input: readonly StepSeries[], spec: AggregateSpec, numSteps: number, pause: Pause): Promise<StepSeries[]> {
  const { index, labels } = assignGroups(input, spec);
  const G = labels.length;
  const op = spec.op;
  const param = spec.param!;
  let maxP = -Infinity;
  let minP = Infinity;
  let anyNaN = false;
  for (let i = 0; i < numSteps; i++) {
    const p = param[i]!;
    if (Number.isNaN(p)) anyNaN = true;
    else {
      if (p > maxP) maxP = p;
      if (p < minP) minP = p;
    }
  }
  if (op === 'limit_ratio') {
    if (maxP === 0 && minP === 0) return [];
    if (anyNaN) throw new PromQLError('execution', 'Ratio value is NaN');
  } else {
    if (maxP < 1 && !anyNaN) return [];
    if (anyNaN) throw new PromQLError('execution', 'Parameter value is NaN');
    if (minP <= -9223372036854775808) throw new PromQLError('execution', `Scalar value ${minP} underflows int64`);
    if (maxP >= 9223372036854775807) throw new PromQLError('execution', `Scalar value ${maxP} overflows int64`);
  }
  // Output: one series per input series (labels unchanged); order follows group order then rank.
  const outs: (StepSeries | undefined)[] = new Array(input.length);
  const order: number[] = [];
  const members: number[][] = Array.from({ length: G }, () => []);
  for (let i = 0; i < numSteps; i++) {
    if (i % PAUSE_EVERY === PAUSE_EVERY - 1) await pause();
    const p = param[i]!;
    for (const m of members) m.length = 0;
    // limitk/limit_ratio pick series, whatever their samples' kind; topk/bottomk rank floats only.
    const anyKind = op === 'limitk' || op === 'limit_ratio';
    for (let s = 0; s < input.length; s++) if (input[s]!.present[i] || (anyKind && input[s]!.hist?.[i])) members[index[s]!]!.push(s);
    for (let g = 0; g < G; g++) {
      const cand = members[g]!;
      if (cand.length === 0) continue;
      let chosen: number[];
      if (op === 'limit_ratio') {
        const r = p < -1 ? -1 : p > 1 ? 1 : p;
        chosen = cand.filter((s) => {
          const off = ratioOffset(input[s]!.labels);
          return r >= 0 ? off < r : off >= 1 + r;
        });
      } else {
        const k = Math.min(Math.trunc(p), input.length);
        if (k < 1) continue;
        if (op === 'limitk') chosen = cand.slice(0, k);
        else chosen = selectK(cand, input, i, k, op === 'topk');
      }
      for (const s of chosen) {
        let o = outs[s];
        if (!o) {
          o = newStepSeries(input[s]!.labels, numSteps, input[s]!.dropName);
          outs[s] = o;
          order.push(s);
        }
        const h = input[s]!.hist?.[i];
        if (h) (o.hist ??= new Array(numSteps))[i] = h;
        else {
          o.values[i] = input[s]!.values[i]!;
          o.present[i] = 1;
        }
      }
    }
  }
  return order.map((s) => outs[s]!);
}

async function countValues(input: readonly StepSeries[], spec: AggregateSpec, numSteps: number, pause: Pause): Promise<StepSeries[]> {
  const names = new Set(spec.grouping);
  if (!spec.without) names.add(spec.label);
  const outs = new Map<string, StepSeries>();
  for (let i = 0; i < numSteps; i++) {
    if (i % PAUSE_EVERY === PAUSE_EVERY - 1) await pause();
    for (const s of input) {
      if (!s.present[i]) continue;
      const withValue = setLabel(s.labels, spec.label, formatFloatF(s.values[i]!));
      const key = groupingKey(withValue, spec.without, names);
      let o = outs.get(key);
      if (!o) {
        o = newStepSeries(groupingLabels(withValue, spec.without, names), numSteps);
        outs.set(key, o);
      }
      o.values[i] = o.present[i] ? o.values[i]! + 1 : 1;
      o.present[i] = 1;
    }
  }
  return [...outs.values()];
}
