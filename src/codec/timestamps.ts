import { Reader, Writer } from './bits.js';
import { checkDecodeArgs, checkEncodeArgs, checkHeader } from './check.js';
import { CodecError } from './errors.js';
import { MAX_INT, TS_KIND_CONST, TS_KIND_DELTA, TS_KIND_DOD, TS_KIND_RAW, header } from './format.js';
import { planSequence, readSequence, writeSequence } from './intseq.js';
import { scratchBytes } from './scratch.js';

/** True when t can travel on the integer path: an integer in [-2^50, 2^50] that is not -0. */
function isPlainInt(t: number): boolean {
  return Number.isInteger(t) && t <= MAX_INT && t >= -MAX_INT && !(t === 0 && 1 / t < 0);
}

/** Reference timestamp encoder (pure TypeScript). */
export function encodeTimestampsRef(ts: Float64Array, count: number): Uint8Array {
  checkEncodeArgs('encodeTimestamps', ts, count);
  const w = new Writer(scratchBytes(count));
  let ints = count > 0;
  for (let i = 0; i < count; i++) {
    if (!isPlainInt(ts[i]!)) {
      ints = false;
      break;
    }
  }
  if (!ints) {
    w.byte(header(TS_KIND_RAW));
    w.uvarint(count);
    const bytes = new Uint8Array(ts.buffer, ts.byteOffset, count * 8);
    w.bytes(bytes, 0, count * 8);
    return w.result();
  }
  const first = ts[0]!;
  const d0 = count > 1 ? ts[1]! - first : 0;
  let equal = true;
  for (let i = 2; i < count; i++) {
    if (ts[i]! - ts[i - 1]! !== d0) {
      equal = false;
      break;
    }
  }
  if (equal) {
    w.byte(header(TS_KIND_CONST));
    w.uvarint(count);
    w.zvarint(first);
    w.zvarint(d0);
    return w.result();
  }
  const useDod = planSequence(ts, count);
  w.byte(header(useDod ? TS_KIND_DOD : TS_KIND_DELTA));
  w.uvarint(count);
  writeSequence(w, ts, count, useDod);
  return w.result();
}

/** Reference timestamp decoder; throws CodecError on any malformed block. */
export function decodeTimestampsRef(src: Uint8Array, count: number, out: Float64Array): void {
  checkDecodeArgs('decodeTimestamps', src, count, out);
  const r = new Reader(src);
  const h = r.byte();
  const kind = h & 15;
  checkHeader('decodeTimestamps', h >>> 4, r.uvarint(), count);
  switch (kind) {
    case TS_KIND_RAW: {
      r.need(count * 8, 'raw timestamps');
      new Uint8Array(out.buffer, out.byteOffset, count * 8).set(src.subarray(r.pos, r.pos + count * 8));
      r.pos += count * 8;
      break;
    }
    case TS_KIND_CONST: {
      const first = r.zvarint();
      const d = r.zvarint();
      for (let i = 0; i < count; i++) out[i] = first + i * d;
      break;
    }
    case TS_KIND_DOD:
    case TS_KIND_DELTA: {
      const dod = kind === TS_KIND_DOD;
      if (count < (dod ? 3 : 1)) throw new CodecError(`decodeTimestamps: block kind ${kind} cannot hold only ${count} samples`);
      readSequence(r, count, count, dod, out);
      break;
    }
    default:
      throw new CodecError(`decodeTimestamps: unknown timestamp codec kind ${kind}`);
  }
  if (r.remaining !== 0) throw new CodecError(`decodeTimestamps: ${r.remaining} trailing bytes after the block`);
}
