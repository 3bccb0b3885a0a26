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
  /** `width` bits of v (0 ≤ v < 2^width ≤ 2^53), least significant first, after `bits` bits of the current byte. */
  private acc = 0;
  private bits = 0;
  putBits(v: number, width: number): void {
    while (width > 0) {
      const take = Math.min(8 - this.bits, width);
      const part = v % 2 ** take;
      this.acc |= part << this.bits;
      this.bits += take;
      v = (v - part) / 2 ** take;
      width -= take;
      if (this.bits === 8) this.flushBits();
    }
  }
  flushBits(): void {
    if (this.bits === 0) return;
    this.byte(this.acc);
    this.acc = 0;
    this.bits = 0;
  }
}

/** Bits needed for 0 ≤ x (0 for 0). */
function bitWidth(x: number): number {
  let w = 0;
  while (x >= 2 ** w) w++;
  return w;
}

const CHUNK = 128;

/**
 * A packed integer sequence: zz(first), then the deltas in chunks of CHUNK, each chunk
 * uvarint(zz(min)), a width byte, then (delta − min) in `width` bits each, LSB first, padded to a
 * byte: a counter growing at a steady rate costs a few bits a sample, an unused bucket nothing.
 */
function writeSeq(out: Out, v: Float64Array, n: number): void {
  out.svarint(v[0]!);
  for (let start = 1; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    let min = Infinity;
    let max = -Infinity;
    for (let i = start; i < end; i++) {
      const d = v[i]! - v[i - 1]!;
      if (d < min) min = d;
      if (d > max) max = d;
    }
    const width = bitWidth(max - min);
    out.svarint(min);
    out.byte(width);
    if (width === 0) continue;
    for (let i = start; i < end; i++) out.putBits(v[i]! - v[i - 1]! - min, width);
    out.flushBits();
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
  return {
    ps: dv.getUint32(at + 4, true),
    ns: dv.getUint32(at + 8, true),
    pb: dv.getUint32(at + 12, true),
    nb: dv.getUint32(at + 16, true),
    cv: dv.getUint32(at + 20, true),
  };
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
  const n = end - from;
  if (intMode) {
    // Column by column: hints, counts, zero counts, sums, then each bucket over the run's samples.
    const col = new Float64Array(n);
    const column = (read: (p: number) => number): void => {
      for (let r = 0; r < n; r++) col[r] = read(offsets[from + r]!);
      writeSeq(out, col, n);
    };
    column((p) => src[p + 1]!);
    column((p) => dv.getFloat64(p + 40, true));
    column((p) => dv.getFloat64(p + 32, true));
    let prevSum = 0;
    for (let r = from; r < end; r++) {
      const sum = dv.getFloat64(offsets[r]! + 48, true);
      writeXor(out, sum, prevSum);
      prevSum = sum;
    }
    const b = ROW_HEADER + 8 * (s.ps + s.ns);
    for (let k = 0; k < nb; k++) column((p) => dv.getFloat64(p + b + 8 * k, true));
    return;
  }
  // Float mode, sample by sample: each value XORed with the previous sample's.
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
    writeXor(out, count, prevCount);
    writeXor(out, zero, prevZero);
    writeXor(out, sum, prevSum);
    prevCount = count;
    prevZero = zero;
    prevSum = sum;
    const b = p + ROW_HEADER + 8 * (s.ps + s.ns);
    for (let k = 0; k < nb; k++) {
      const v = dv.getFloat64(b + 8 * k, true);
      writeXor(out, v, prev[k]!);
      prev[k] = v;
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
  private acc = 0;
  private bits = 0;
  /** `width` bits, LSB first (see Out.putBits). */
  getBits(width: number): number {
    let v = 0;
    let shift = 0;
    while (width > 0) {
      if (this.bits === 0) {
        this.acc = this.byte();
        this.bits = 8;
      }
      const take = Math.min(this.bits, width);
      v += (this.acc & ((1 << take) - 1)) * 2 ** shift;
      this.acc >>>= take;
      this.bits -= take;
      shift += take;
      width -= take;
    }
    return v;
  }
  endBits(): void {
    this.bits = 0;
    this.acc = 0;
  }
  /** A packed sequence of n values, each stored at out[at + stride × i] as a float64 (or by `put`). */
  seq(n: number, put: (i: number, v: number) => void): void {
    let x = this.svarint();
    put(0, x);
    for (let start = 1; start < n; start += CHUNK) {
      const end = Math.min(n, start + CHUNK);
      const min = this.svarint();
      const width = this.byte();
      if (width > 53) throw this.fail(`packed width ${width}`);
      for (let i = start; i < end; i++) {
        x += min + (width === 0 ? 0 : this.getBits(width));
        put(i, x);
      }
      this.endBits();
    }
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
    // Every bucket costs at least a byte in either mode, every custom bound eight.
    if (pb + nb > src.length - inp.p || 8 * cv > src.length - inp.p) throw inp.fail('bucket count past the block');
    const cvAt = inp.p;
    if (cvAt + 8 * cv > src.length) throw inp.fail('truncated');
    inp.p += 8 * cv;
    const mode = inp.byte();
    if (mode !== MODE_INT && mode !== MODE_FLOAT) throw inp.fail(`mode ${mode}`);
    const size = ROW_HEADER + 8 * (ps + ns) + 8 * (pb + nb + cv);
    const nbk = pb + nb;
    if (w + size * run > out.length) {
      const b = new Uint8Array(Math.max(out.length * 2, w + size * run));
      b.set(out.subarray(0, w));
      out = b;
      dv = new DataView(out.buffer);
    }
    // Every row of the run: its layout first, the counts after.
    for (let j = 0; j < run; j++) {
      const q0 = w + j * size;
      offsets[r + j] = q0;
      dv.setInt8(q0, schema);
      dv.setUint32(q0 + 4, ps, true);
      dv.setUint32(q0 + 8, ns, true);
      dv.setUint32(q0 + 12, pb, true);
      dv.setUint32(q0 + 16, nb, true);
      dv.setUint32(q0 + 20, cv, true);
      out.set(src.subarray(zt, zt + 8), q0 + 24);
      let q = q0 + ROW_HEADER;
      for (let k = 0; k < spans.length; k += 2, q += 8) {
        dv.setInt32(q, spans[k]!, true);
        dv.setUint32(q + 4, spans[k + 1]!, true);
      }
      out.set(src.subarray(cvAt, cvAt + 8 * cv), q + 8 * nbk);
    }
    const bucketsAt = ROW_HEADER + 8 * (ps + ns);
    if (mode === MODE_INT) {
      const rowAt = (i: number): number => w + i * size;
      const o = out;
      const d = dv;
      inp.seq(run, (i, v) => {
        if (v < 0 || v > 255) throw inp.fail(`counter-reset hint ${v}`);
        o[rowAt(i) + 1] = v;
      });
      inp.seq(run, (i, v) => d.setFloat64(rowAt(i) + 40, v, true));
      inp.seq(run, (i, v) => d.setFloat64(rowAt(i) + 32, v, true));
      let prevSum = 0;
      for (let j = 0; j < run; j++) {
        prevSum = inp.xor(prevSum);
        d.setFloat64(rowAt(j) + 48, prevSum, true);
      }
      for (let k = 0; k < nbk; k++) inp.seq(run, (i, v) => d.setFloat64(rowAt(i) + bucketsAt + 8 * k, v, true));
    } else {
      const prev = new Float64Array(nbk);
      let prevCount = 0;
      let prevZero = 0;
      let prevSum = 0;
      for (let j = 0; j < run; j++) {
        const q0 = w + j * size;
        dv.setUint8(q0 + 1, inp.byte());
        prevCount = inp.xor(prevCount);
        prevZero = inp.xor(prevZero);
        prevSum = inp.xor(prevSum);
        dv.setFloat64(q0 + 32, prevZero, true);
        dv.setFloat64(q0 + 40, prevCount, true);
        dv.setFloat64(q0 + 48, prevSum, true);
        for (let k = 0; k < nbk; k++) {
          prev[k] = inp.xor(prev[k]!);
          dv.setFloat64(q0 + bucketsAt + 8 * k, prev[k]!, true);
        }
      }
    }
    w += size * run;
    r += run;
  }
  offsets[count] = w;
  if (inp.p !== src.length) throw inp.fail(`${src.length - inp.p} trailing bytes`);
  return { count, offsets, bytes: out.slice(0, w) };
}
