/**
 * One element of a binary operation where either side is a native histogram (Prometheus's
 * `vectorElemBinop`): histogram ± histogram, histogram × or ÷ float, float × histogram, and
 * == / != between histograms. Every other pairing drops the element with an info.
 */
import type { ArithmeticOp, ComparisonOp, TrimOp } from '../ast.js';
import type { FloatHistogram } from '../../model/index.js';
import { HistogramMixError, combine, compact, divide, histogramsIdentical, scale, trimHistogram } from '../histogram/index.js';

export interface BinopNotes {
  /** `incompatible sample types` infos, as `left op right` descriptions. */
  incompatible?: Set<string>;
  reconciled?: 'addition' | 'subtraction';
  resetCollision?: 'addition' | 'subtraction';
  mixedSchemas?: boolean;
}

/** The result: a float, a histogram, or nothing (the element is dropped). */
export type ElemResult = { h: FloatHistogram } | { f: number } | null;

export function isTrim(op: string): op is TrimOp {
  return op === '</' || op === '>/';
}

export function histogramElemBinop(
  op: ArithmeticOp | ComparisonOp | TrimOp,
  lf: number,
  lh: FloatHistogram | undefined,
  rf: number,
  rh: FloatHistogram | undefined,
  returnBool: boolean,
  notes: BinopNotes,
): ElemResult {
  const incompatible = (): null => {
    (notes.incompatible ??= new Set()).add(`${lh ? 'histogram' : 'float'} ${op} ${rh ? 'histogram' : 'float'}`);
    return null;
  };
  if (!lh && rh) {
    if (op === '*') return { h: compact(scale(rh, lf)) };
    return incompatible();
  }
  if (lh && !rh) {
    if (op === '*') return { h: compact(scale(lh, rf)) };
    if (op === '/') return { h: compact(divide(lh, rf)) };
    if (isTrim(op)) return { h: trimHistogram(lh, rf, op === '</') };
    return incompatible();
  }
  if (!lh || !rh) return isTrim(op) ? incompatible() : null;
  switch (op) {
    case '+':
    case '-': {
      try {
        const r = combine(lh, rh, op === '+' ? 1 : -1);
        const what = op === '+' ? 'addition' : 'subtraction';
        if (r.reconciled) notes.reconciled = what;
        if (r.resetCollision) notes.resetCollision = what;
        return { h: r.h };
      } catch (e) {
        if (!(e instanceof HistogramMixError)) throw e;
        notes.mixedSchemas = true;
        return null;
      }
    }
    case '==':
    case '!=': {
      const keep = histogramsIdentical(lh, rh) === (op === '==');
      if (returnBool) return { f: keep ? 1 : 0 };
      return keep ? { h: lh } : null;
    }
    default:
      return incompatible();
  }
}
