import { CodecError } from './errors.js';
import { FORMAT_VERSION, header } from './format.js';
import { ROW_HEADER, histogramRowLength, type HistogramRows } from './histogram-row.js';

/**
 * The histogram column: count native histograms of one series block, in the byte layout of
 * docs/format/codec.md ("Histogram column"). Modelled on Prometheus's histogram chunk: the bucket
 * layout (schema, zero threshold, spans, custom bounds) is written once per run of samples that
 * share it, and a layout change starts a new run; inside a run the counts of integer-valued runs
 * are delta-of-delta varints (bucket to bucket within a sample, then sample to sample, as
 * Prometheus's integer chunk does) and other counts and every sum are XORed with the previous
 * sample's, keeping only the bytes that differ.
 *
 * Input and output are flat rows (codec/histogram-row.ts), the form the WASM build can take as
 * one byte buffer: native/histograms.ts is the same algorithm and must write the same bytes.
 */

export const HIST_KIND = 8;
/** Integer mode holds counts up to 2^50, so every delta-of-delta and zig-zag stays an exact float64 integer. */
const MAX_INT_COUNT = 2 ** 50;
const MODE_INT = 0;
const MODE_FLOAT = 1;

class Out {
  buf = new Uint8Array(256);
  n = 0;
  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.n++] = b;
  }
  uvarint(v: number): void {
    this.ensure(10);
    while (v >= 128) {
      this.buf[this.n++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.n++] = v;
  }
  svarint(v: number): void {
    this.uvarint(v >= 0 ? 2 * v : -2 * v - 1);
  }
  raw(src: Uint8Array, at: number, len: number): void {
    this.ensure(len);
    for (let i = 0; i < len; i++) this.buf[this.n++] = src[at + i]!;
  }
}

const f64 = new Float64Array(2);
const f64b = new Uint8Array(f64.buffer);

/** The bytes of a XOR b (float64 bit patterns): a byte (low << 4 | length), then the bytes that differ. */
function writeXor(out: Out, a: number, b: number): void {
  f64[0] = a;
  f64[1] = b;
  let lo = 0;
  while (lo < 8 && f64b[lo] === f64b[8 + lo]) lo++;
  if (lo === 8) {
    out.byte(0);
    return;
  }
  let hi = 7;
  while (f64b[hi] === f64b[8 + hi]) hi--;
  out.byte((lo << 4) | (hi - lo + 1));
  for (let i = lo; i <= hi; i++) out.byte(f64b[i]! ^ f64b[8 + i]!);
}

function isIntCount(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= MAX_INT_COUNT && !Object.is(v, -0);
}

/** Encodes rows [0, count) of `rows`. Throws CodecError on a malformed row. */
export function encodeHistogramsRef(rows: HistogramRows, count: number): Uint8Array {
  if (!(count >= 0 && count <= rows.count)) throw new CodecError(`histogram column: count ${count} does not fit ${rows.count} rows`);
  const src = rows.bytes;
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const out = new Out();
  out.byte(header(HIST_KIND));
  out.uvarint(count);
  let i = 0;
  while (i < count) {
    const at = rows.offsets[i]!;
    histogramRowLength(src, at, rows.offsets[i + 1]!);
    // A run: the following rows whose layout bytes (everything but the counts) are identical.
    let end = i + 1;
    while (end < count && sameLayout(src, dv, at, rows.offsets[end]!, rows.offsets[end + 1]!)) end++;
    let intMode = true;
    for (let k = i; k < end && intMode; k++) intMode = countsAreInts(dv, rows.offsets[k]!);
    writeRun(out, src, dv, rows.offsets, i, end, intMode);
    i = end;
  }
  return out.buf.slice(0, out.n);
}

interface Shape {
  ps: number;
  ns: number;
  pb: number;
  nb: number;
  cv: number;
}

function shapeAt(dv: DataView, at: number): Shape {
  return { ps: dv.getUint32(at + 4, true), ns: dv.getUint32(at + 8, true), pb: dv.getUint32(at + 12, true), nb: dv.getUint32(at + 16, true), cv: dv.getUint32(at + 20, true) };
}

function sameLayout(src: Uint8Array, dv: DataView, a: number, b: number, bEnd: number): boolean {
  histogramRowLength(src, b, bEnd);
  // schema, spans/bucket/custom counts, zero threshold
  if (src[a] !== src[b]) return false;
  for (let k = 4; k < 24; k++) if (src[a + k] !== src[b + k]) return false;
  for (let k = 24; k < 32; k++) if (src[a + k] !== src[b + k]) return false;
  const s = shapeAt(dv, a);
  const spanBytes = 8 * (s.ps + s.ns);
  for (let k = 0; k < spanBytes; k++) if (src[a + ROW_HEADER + k] !== src[b + ROW_HEADER + k]) return false;
  const cvAt = ROW_HEADER + spanBytes + 8 * (s.pb + s.nb);
  for (let k = 0; k < 8 * s.cv; k++) if (src[a + cvAt + k] !== src[b + cvAt + k]) return false;
  return true;
}

function countsAreInts(dv: DataView, at: number): boolean {
  const s = shapeAt(dv, at);
  if (!isIntCount(dv.getFloat64(at + 32, true)) || !isIntCount(dv.getFloat64(at + 40, true))) return false;
  const b = at + ROW_HEADER + 8 * (s.ps + s.ns);
  for (let k = 0; k < s.pb + s.nb; k++) if (!isIntCount(dv.getFloat64(b + 8 * k, true))) return false;
  return true;
}

function writeRun(out: Out, src: Uint8Array, dv: DataView, offsets: Uint32Array, from: number, end: number, intMode: boolean): void {
  const at = offsets[from]!;
  const s = shapeAt(dv, at);
  out.uvarint(end - from);
  out.svarint(dv.getInt8(at));
  out.raw(src, at + 24, 8); // zero threshold
  out.uvarint(s.ps);
  out.uvarint(s.ns);
  for (let k = 0; k < s.ps + s.ns; k++) {
    out.svarint(dv.getInt32(at + ROW_HEADER + 8 * k, true));
    out.uvarint(dv.getUint32(at + ROW_HEADER + 8 * k + 4, true));
  }
  out.uvarint(s.pb);
  out.uvarint(s.nb);
  out.uvarint(s.cv);
  const cvAt = at + ROW_HEADER + 8 * (s.ps + s.ns) + 8 * (s.pb + s.nb);
  out.raw(src, cvAt, 8 * s.cv);
  out.byte(intMode ? MODE_INT : MODE_FLOAT);
  const nb = s.pb + s.nb;
  // Per bucket: the previous sample's value (float mode) or bucket-to-bucket delta (integer mode).
  const prev = new Float64Array(nb);
  let prevCount = 0;
  let prevZero = 0;
  let prevSum = 0;
  for (let r = from; r < end; r++) {
    const p = offsets[r]!;
    out.byte(src[p + 1]!);
    const zero = dv.getFloat64(p + 32, true);
    const count = dv.getFloat64(p + 40, true);
    const sum = dv.getFloat64(p + 48, true);
    if (intMode) {
      out.svarint(count - prevCount);
      out.svarint(zero - prevZero);
    } else {
      writeXor(out, count, prevCount);
      writeXor(out, zero, prevZero);
    }
    writeXor(out, sum, prevSum);
    prevCount = count;
    prevZero = zero;
    prevSum = sum;
    const b = p + ROW_HEADER + 8 * (s.ps + s.ns);
    let last = 0;
    for (let k = 0; k < nb; k++) {
      // The negative side starts its own delta chain, as in Prometheus's chunks.
      if (k === s.pb) last = 0;
      const v = dv.getFloat64(b + 8 * k, true);
      if (intMode) {
        const d = v - last;
        out.svarint(d - prev[k]!);
        prev[k] = d;
        last = v;
      } else {
        writeXor(out, v, prev[k]!);
        prev[k] = v;
      }
    }
  }
}

class In {
  constructor(
    readonly buf: Uint8Array,
    public p: number,
  ) {}
  fail(what: string): CodecError {
    return new CodecError(`histogram column: ${what} at byte ${this.p}`);
  }
  byte(): number {
    if (this.p >= this.buf.length) throw this.fail('truncated');
    return this.buf[this.p++]!;
  }
  uvarint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const c = this.byte();
      v += (c & 127) * mul;
      if (c < 128) return v;
      mul *= 128;
    }
    throw this.fail('varint too long');
  }
  svarint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  xor(prev: number): number {
    const c = this.byte();
    if (c === 0) return prev;
    const lo = c >> 4;
    const len = c & 15;
    if (len === 0 || lo + len > 8) throw this.fail(`bad XOR control byte ${c}`);
    f64[0] = prev;
    for (let i = lo; i < lo + len; i++) f64b[i] = f64b[i]! ^ this.byte();
    return f64[0]!;
  }
}

/** Decodes a histogram column of `count` samples back into flat rows. Throws CodecError if malformed. */
export function decodeHistogramsRef(src: Uint8Array, count: number): HistogramRows {
  const inp = new In(src, 0);
  const h = inp.byte();
  if (h !== header(HIST_KIND)) throw inp.fail(`header byte ${h}, want version ${FORMAT_VERSION} kind ${HIST_KIND}`);
  const n = inp.uvarint();
  if (n !== count) throw inp.fail(`block holds ${n} histograms, expected ${count}`);
  const offsets = new Uint32Array(count + 1);
  let out = new Uint8Array(Math.max(64, count * 128));
  let dv = new DataView(out.buffer);
  let w = 0;
  let r = 0;
  while (r < count) {
    const run = inp.uvarint();
    if (run === 0 || r + run > count) throw inp.fail(`run of ${run} histograms past the block's ${count}`);
    const schema = inp.svarint();
    if (schema < -128 || schema > 127) throw inp.fail(`schema ${schema}`);
    const zt = inp.p;
    if (zt + 8 > src.length) throw inp.fail('truncated');
    inp.p += 8;
    const ps = inp.uvarint();
    const ns = inp.uvarint();
    if (ps + ns > src.length) throw inp.fail('span count past the block');
    const spans: number[] = [];
    for (let k = 0; k < ps + ns; k++) spans.push(inp.svarint(), inp.uvarint());
    const pb = inp.uvarint();
    const nb = inp.uvarint();
    const cv = inp.uvarint();
    if (pb + nb + cv > src.length * 8) throw inp.fail('bucket count past the block');
    const cvAt = inp.p;
    if (cvAt + 8 * cv > src.length) throw inp.fail('truncated');
    inp.p += 8 * cv;
    const mode = inp.byte();
    if (mode !== MODE_INT && mode !== MODE_FLOAT) throw inp.fail(`mode ${mode}`);
    const size = ROW_HEADER + 8 * (ps + ns) + 8 * (pb + nb + cv);
    const nbk = pb + nb;
    const prev = new Float64Array(nbk);
    let prevCount = 0;
    let prevZero = 0;
    let prevSum = 0;
    for (let j = 0; j < run; j++, r++) {
      if (w + size > out.length) {
        const b = new Uint8Array(Math.max(out.length * 2, w + size));
        b.set(out.subarray(0, w));
        out = b;
        dv = new DataView(out.buffer);
      }
      offsets[r] = w;
      dv.setInt8(w, schema);
      dv.setUint8(w + 1, inp.byte());
      dv.setUint16(w + 2, 0, true);
      dv.setUint32(w + 4, ps, true);
      dv.setUint32(w + 8, ns, true);
      dv.setUint32(w + 12, pb, true);
      dv.setUint32(w + 16, nb, true);
      dv.setUint32(w + 20, cv, true);
      out.set(src.subarray(zt, zt + 8), w + 24);
      let count_: number;
      let zero: number;
      if (mode === MODE_INT) {
        count_ = prevCount + inp.svarint();
        zero = prevZero + inp.svarint();
      } else {
        count_ = inp.xor(prevCount);
        zero = inp.xor(prevZero);
      }
      const sum = inp.xor(prevSum);
      prevCount = count_;
      prevZero = zero;
      prevSum = sum;
      dv.setFloat64(w + 32, zero, true);
      dv.setFloat64(w + 40, count_, true);
      dv.setFloat64(w + 48, sum, true);
      let q = w + ROW_HEADER;
      for (let k = 0; k < spans.length; k += 2) {
        dv.setInt32(q, spans[k]!, true);
        dv.setUint32(q + 4, spans[k + 1]!, true);
        q += 8;
      }
      let last = 0;
      for (let k = 0; k < nbk; k++) {
        if (k === pb) last = 0;
        let v: number;
        if (mode === MODE_INT) {
          const d = prev[k]! + inp.svarint();
          prev[k] = d;
          v = last + d;
          last = v;
        } else {
          v = inp.xor(prev[k]!);
          prev[k] = v;
        }
        dv.setFloat64(q, v, true);
        q += 8;
      }
      out.set(src.subarray(cvAt, cvAt + 8 * cv), q);
      w += size;
    }
  }
  offsets[count] = w;
  if (inp.p !== src.length) throw inp.fail(`${src.length - inp.p} trailing bytes`);
  return { count, offsets, bytes: out.slice(0, w) };
}
