import { Reader, Writer } from './bits.js';
import { checkDecodeArgs, checkEncodeArgs, checkHeader } from './check.js';
import { EXCEPTION, fromDecimal, toDecimal } from './decimal.js';
import { CodecError } from './errors.js';
import { EXCEPTION_SHIFT, MAX_EXP, MAX_INT, POW10, VAL_KIND_CONST, VAL_KIND_DECIMAL_DELTA, VAL_KIND_DECIMAL_DOD, VAL_KIND_GORILLA, header } from './format.js';
import { readGorilla, writeGorilla } from './gorilla.js';
import { planSequence, readSequence, writeSequence } from './intseq.js';
import { scratchA, scratchBytes, scratchI8 } from './scratch.js';

/** Reference value encoder (pure TypeScript): constant, decimal delta / delta-of-delta, or Gorilla. */
export function encodeValuesRef(values: Float64Array, count: number): Uint8Array {
  checkEncodeArgs('encodeValues', values, count);
  const w = new Writer(scratchBytes(count));
  const words = new Uint32Array(values.buffer, values.byteOffset, count * 2);
  if (count > 0) {
    const lo = words[0]!;
    const hi = words[1]!;
    let same = true;
    for (let i = 1; i < count; i++) {
      if (words[2 * i] !== lo || words[2 * i + 1] !== hi) {
        same = false;
        break;
      }
    }
    if (same) {
      w.byte(header(VAL_KIND_CONST));
      w.uvarint(count);
      w.bytes(new Uint8Array(values.buffer, values.byteOffset, 8), 0, 8);
      return w.result();
    }
    if (writeDecimal(w, values, count)) return w.result();
  }
  w.byte(header(VAL_KIND_GORILLA));
  w.uvarint(count);
  writeGorilla(w, words, count);
  return w.result();
}

/** Writes a decimal block and returns true, or writes nothing and returns false when the block is not decimal. */
function writeDecimal(w: Writer, values: Float64Array, count: number): boolean {
  const mant = scratchA(count);
  const exps = scratchI8(count);
  let exceptions = 0;
  const maxExceptions = count >>> EXCEPTION_SHIFT;
  let minExp = MAX_EXP;
  let firstRegular = -1;
  for (let i = 0; i < count; i++) {
    const e = toDecimal(values[i]!, mant, i);
    exps[i] = e;
    if (e === EXCEPTION) {
      // Stop at the first exception too many: a float-noise gauge would otherwise pay the whole search.
      if (++exceptions > maxExceptions) return false;
      continue;
    }
    if (firstRegular < 0) firstRegular = i;
    if (e < minExp) minExp = e;
  }
  if (firstRegular < 0) return false;
  // Bring every mantissa to the common exponent; exceptions repeat their neighbour so deltas stay 0.
  let prev = 0;
  for (let i = 0; i < count; i++) {
    const e = exps[i]!;
    if (e === EXCEPTION) {
      mant[i] = i < firstRegular ? NaN : prev;
      continue;
    }
    let m = mant[i]!;
    const shift = e - minExp;
    if (shift > 0 && m !== 0) {
      if (shift > 15) return false; // 10^16 > MAX_INT: cannot fit
      m *= POW10[shift]!;
      if (!(m >= -MAX_INT && m <= MAX_INT)) return false;
      mant[i] = m;
    }
    if (fromDecimal(m, minExp) !== values[i]) return false;
    prev = m;
  }
  for (let i = 0; i < firstRegular; i++) mant[i] = mant[firstRegular]!;

  const useDod = planSequence(mant, count);
  w.byte(header(useDod ? VAL_KIND_DECIMAL_DOD : VAL_KIND_DECIMAL_DELTA));
  w.uvarint(count);
  w.byte(minExp & 255);
  w.uvarint(exceptions);
  const bytes = new Uint8Array(values.buffer, values.byteOffset, count * 8);
  let last = -1;
  for (let i = 0; i < count && exceptions > 0; i++) {
    if (exps[i] !== EXCEPTION) continue;
    w.uvarint(i - last - 1);
    w.bytes(bytes, i * 8, 8);
    last = i;
  }
  writeSequence(w, mant, count, useDod);
  return true;
}

/** Reference value decoder; throws CodecError on any malformed block. */
export function decodeValuesRef(src: Uint8Array, count: number, out: Float64Array): void {
  decodeValuesPrefixRef(src, count, count, out);
}

/**
 * Decodes only the first n of the block's count values (the rest of the block is still validated
 * where that costs nothing). Range decoding stops early with it.
 */
export function decodeValuesPrefixRef(src: Uint8Array, count: number, n: number, out: Float64Array): void {
  checkDecodeArgs('decodeValues', src, n, out);
  if (!Number.isInteger(count) || count < n) throw new CodecError(`decodeValues: count ${count} is smaller than the ${n} values asked for`);
  const r = new Reader(src);
  const h = r.byte();
  const kind = h & 15;
  checkHeader('decodeValues', h >>> 4, r.uvarint(), count);
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, n * 8);
  switch (kind) {
    case VAL_KIND_CONST: {
      if (count === 0) throw new CodecError('decodeValues: constant block with no samples');
      r.need(8, 'constant value');
      const p = r.pos;
      const lo = (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24)) >>> 0;
      const hi = (src[p + 4]! | (src[p + 5]! << 8) | (src[p + 6]! << 16) | (src[p + 7]! << 24)) >>> 0;
      // Whole words, never a JS number, so a NaN payload cannot be canonicalised on the way.
      const words = new Uint32Array(out.buffer, out.byteOffset, n * 2);
      for (let i = 0; i < n; i++) {
        words[2 * i] = lo;
        words[2 * i + 1] = hi;
      }
      r.pos += 8;
      break;
    }
    case VAL_KIND_GORILLA: {
      r.beginBitsToEnd();
      readGorilla(r, n, new Uint32Array(out.buffer, out.byteOffset, n * 2));
      r.endBits();
      if (n < count) return;
      break;
    }
    case VAL_KIND_DECIMAL_DELTA:
    case VAL_KIND_DECIMAL_DOD: {
      if (count === 0) throw new CodecError('decodeValues: decimal block with no samples');
      const expByte = r.byte();
      const exp = expByte >= 128 ? expByte - 256 : expByte;
      if (exp < -MAX_EXP || exp > MAX_EXP) throw new CodecError(`decodeValues: decimal exponent ${exp} out of range`);
      const exceptions = r.uvarint();
      if (exceptions > count) throw new CodecError(`decodeValues: ${exceptions} exceptions in a block of ${count}`);
      const excStart = r.pos;
      let idx = -1;
      for (let k = 0; k < exceptions; k++) {
        idx += r.uvarint() + 1;
        if (idx >= count) throw new CodecError(`decodeValues: exception index ${idx} beyond the block's ${count} samples`);
        r.need(8, 'exception value');
        r.pos += 8;
      }
      const dod = kind === VAL_KIND_DECIMAL_DOD;
      if (count < (dod ? 3 : 1)) throw new CodecError(`decodeValues: block kind ${kind} cannot hold only ${count} samples`);
      readSequence(r, count, n, dod, out);
      if (exp >= 0) {
        const p = POW10[exp]!;
        for (let i = 0; i < n; i++) out[i] = out[i]! * p;
      } else {
        const p = POW10[-exp]!;
        for (let i = 0; i < n; i++) out[i] = out[i]! / p;
      }
      // Exceptions overwrite their slots with the raw bit patterns.
      const end = r.pos;
      r.pos = excStart;
      idx = -1;
      for (let k = 0; k < exceptions; k++) {
        idx += r.uvarint() + 1;
        if (idx < n) outBytes.set(src.subarray(r.pos, r.pos + 8), idx * 8);
        r.pos += 8;
      }
      r.pos = end;
      break;
    }
    default:
      throw new CodecError(`decodeValues: unknown value codec kind ${kind}`);
  }
  if (r.remaining !== 0) throw new CodecError(`decodeValues: ${r.remaining} trailing bytes after the block`);
}
