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
    default:
      break;
  }
  const { index, labels } = assignGroups(input, spec);
  const G = labels.length;
  const out = labels.map((l) => newStepSeries(l, numSteps));
  const op = spec.op;
  if (op === 'quantile') {
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
  // Per group and step accumulators, laid out as [group * numSteps + step].
  const size = G * numSteps;
  // Only the accumulators the operation uses get real storage (they are groups × steps each).
  const none = new Float64Array(0);
  const value = new Float64Array(size);
  const count = new Float64Array(size);
  const comp = op === 'sum' || op === 'avg' ? new Float64Array(size) : none;
  const mean = op === 'avg' || op === 'stddev' || op === 'stdvar' ? new Float64Array(size) : none;
  const incremental = op === 'avg' ? new Uint8Array(size) : new Uint8Array(0);
  for (let s = 0; s < input.length; s++) {
    if (s % PAUSE_EVERY === PAUSE_EVERY - 1) await pause();
    const ser = input[s]!;
    const g = index[s]!;
    const base = g * numSteps;
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
      if (seenSum && ser.dropName) out[g]!.dropName = true;
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
    if (seen && ser.dropName) out[g]!.dropName = true;
  }
  for (let g = 0; g < G; g++) {
    const o = out[g]!;
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
  return out.filter((s) => s.present.includes(1));
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
