// The histogram column (src/codec/histograms.ts is the reference; both must write the same
// bytes). Input and output are flat histogram rows (src/codec/histogram-row.ts):
//   i8 schema, u8 hint, u16 0, u32 ps, ns, pb, nb, cv, f64 zero threshold, zero count, count, sum,
//   (i32 offset, u32 length) × (ps + ns), f64 × (pb + nb), f64 × cv.
// Errors return a negative code with details in hErrA/hErrB (read through histErrorDetail*).

const ROW_HEADER: usize = 56;
const HIST_HEADER: u32 = (1 << 4) | 8;
const MAX_INT_COUNT: f64 = 1125899906842624.0; // 2^50
const MODE_INT: u32 = 0;
const MODE_FLOAT: u32 = 1;

export const H_E_TRUNCATED: i32 = 1;
export const H_E_HEADER: i32 = 2;
export const H_E_COUNT: i32 = 3;
export const H_E_VARINT: i32 = 4;
export const H_E_XOR: i32 = 5;
export const H_E_RUN: i32 = 6;
export const H_E_LAYOUT: i32 = 7;
export const H_E_TRAILING: i32 = 8;
export const H_E_ROW: i32 = 9;
export const H_E_SPACE: i32 = 10;

export let hErrA: f64 = 0;
export let hErrB: f64 = 0;
let hErr: i32 = 0;

function fail(code: i32, a: f64, b: f64): void {
  if (hErr == 0) {
    hErr = code;
    hErrA = a;
    hErrB = b;
  }
}

// ---- writer
let w: usize = 0;

@inline function wByte(b: u32): void {
  store<u8>(w, <u8>b);
  w++;
}

function wUvarint(v: u64): void {
  while (v >= 128) {
    wByte(<u32>(v & 127) | 128);
    v >>= 7;
  }
  wByte(<u32>v);
}

@inline function wSvarint(v: i64): void {
  wUvarint(<u64>((v << 1) ^ (v >> 63)));
}

let bitAcc: u32 = 0;
let bitCount: u32 = 0;

/** `width` bits of v, least significant first (src/codec/histograms.ts, Out.putBits). */
function putBits(v: u64, width: u32): void {
  while (width > 0) {
    const take = min<u32>(8 - bitCount, width);
    bitAcc |= <u32>(v & ((<u64>1 << take) - 1)) << bitCount;
    bitCount += take;
    v >>= take;
    width -= take;
    if (bitCount == 8) flushBits();
  }
}

function flushBits(): void {
  if (bitCount == 0) return;
  wByte(bitAcc);
  bitAcc = 0;
  bitCount = 0;
}

/** A packed sequence (zz first, then chunked frame-of-reference deltas) of the i64s at v. */
function writeSeq(v: usize, n: i32): void {
  wSvarint(load<i64>(v));
  for (let start = 1; start < n; start += 128) {
    const end = min<i32>(n, start + 128);
    let mn: i64 = i64.MAX_VALUE;
    let mx: i64 = i64.MIN_VALUE;
    for (let i = start; i < end; i++) {
      const d = load<i64>(v + (<usize>i << 3)) - load<i64>(v + (<usize>(i - 1) << 3));
      if (d < mn) mn = d;
      if (d > mx) mx = d;
    }
    const spread = <u64>(mx - mn);
    const width: u32 = spread == 0 ? 0 : 64 - <u32>clz<u64>(spread);
    wSvarint(mn);
    wByte(width);
    if (width == 0) continue;
    for (let i = start; i < end; i++) {
      const d = load<i64>(v + (<usize>i << 3)) - load<i64>(v + (<usize>(i - 1) << 3));
      putBits(<u64>(d - mn), width);
    }
    flushBits();
  }
}

function wXor(a: f64, b: f64): void {
  const x = reinterpret<u64>(a) ^ reinterpret<u64>(b);
  if (x == 0) {
    wByte(0);
    return;
  }
  const lo = <u32>(ctz<u64>(x) >> 3);
  const hi = <u32>((63 - clz<u64>(x)) >> 3);
  wByte((lo << 4) | (hi - lo + 1));
  for (let i = lo; i <= hi; i++) wByte(<u32>((x >> (<u64>i << 3)) & 0xff));
}

// ---- rows
@inline function shape(at: usize, k: usize): u32 {
  return load<u32>(at + 4 + (k << 2));
}

function rowSize(at: usize): usize {
  return ROW_HEADER + 8 * (<usize>shape(at, 0) + <usize>shape(at, 1)) + 8 * (<usize>shape(at, 2) + <usize>shape(at, 3) + <usize>shape(at, 4));
}

/** Checks row [at, end) against its header; false (and the error set) when it does not fit. */
function rowFits(at: usize, end: usize): bool {
  if (at + ROW_HEADER > end) {
    fail(H_E_ROW, <f64>at, <f64>end);
    return false;
  }
  // Counts are u32 each, so the size cannot overflow a 64-bit sum but may a 32-bit usize.
  const n: u64 = 56 + 8 * (<u64>shape(at, 0) + <u64>shape(at, 1)) + 8 * (<u64>shape(at, 2) + <u64>shape(at, 3) + <u64>shape(at, 4));
  if (<u64>at + n > <u64>end) {
    fail(H_E_ROW, <f64>at, <f64>end);
    return false;
  }
  return true;
}

function sameLayout(a: usize, b: usize): bool {
  if (load<u8>(a) != load<u8>(b)) return false;
  for (let k: usize = 4; k < 32; k++) if (load<u8>(a + k) != load<u8>(b + k)) return false;
  const spanBytes: usize = 8 * (<usize>shape(a, 0) + <usize>shape(a, 1));
  for (let k: usize = 0; k < spanBytes; k++) if (load<u8>(a + ROW_HEADER + k) != load<u8>(b + ROW_HEADER + k)) return false;
  const cvAt: usize = ROW_HEADER + spanBytes + 8 * (<usize>shape(a, 2) + <usize>shape(a, 3));
  const cvBytes: usize = 8 * <usize>shape(a, 4);
  for (let k: usize = 0; k < cvBytes; k++) if (load<u8>(a + cvAt + k) != load<u8>(b + cvAt + k)) return false;
  return true;
}

@inline function isIntCount(v: f64): bool {
  return v >= 0 && v <= MAX_INT_COUNT && Math.floor(v) == v && reinterpret<u64>(v) != 0x8000000000000000;
}

function countsAreInts(at: usize): bool {
  if (!isIntCount(load<f64>(at + 32)) || !isIntCount(load<f64>(at + 40))) return false;
  const b = at + ROW_HEADER + 8 * (<usize>shape(at, 0) + <usize>shape(at, 1));
  const n = <usize>shape(at, 2) + <usize>shape(at, 3);
  for (let k: usize = 0; k < n; k++) if (!isIntCount(load<f64>(b + (k << 3)))) return false;
  return true;
}

@inline function rowAt(rows: usize, offsets: usize, i: i32): usize {
  return rows + <usize>load<u32>(offsets + (<usize>i << 2));
}

/**
 * Encodes `count` rows (rows + offsets[i] .. rows + offsets[i + 1]) into out; returns the length.
 * prev: scratch of 8 bytes per bucket of the widest row and per row. out must hold 16 + 2 × the rows' bytes.
 */
export function encodeHist(rows: usize, offsets: usize, count: i32, out: usize, prev: usize): i32 {
  hErr = 0;
  w = out;
  bitAcc = 0;
  bitCount = 0;
  wByte(HIST_HEADER);
  wUvarint(<u64>count);
  let i = 0;
  while (i < count) {
    const at = rowAt(rows, offsets, i);
    if (!rowFits(at, rowAt(rows, offsets, i + 1))) return -hErr;
    let end = i + 1;
    while (end < count) {
      const b = rowAt(rows, offsets, end);
      if (!rowFits(b, rowAt(rows, offsets, end + 1))) return -hErr;
      if (!sameLayout(at, b)) break;
      end++;
    }
    let intMode = true;
    for (let k = i; k < end && intMode; k++) intMode = countsAreInts(rowAt(rows, offsets, k));
    writeRun(rows, offsets, i, end, intMode, prev);
    i = end;
  }
  return <i32>(w - out);
}

function writeRun(rows: usize, offsets: usize, from: i32, end: i32, intMode: bool, prev: usize): void {
  const at = rowAt(rows, offsets, from);
  const ps = <usize>shape(at, 0);
  const ns = <usize>shape(at, 1);
  const pb = <usize>shape(at, 2);
  const nbNeg = <usize>shape(at, 3);
  const cv = <usize>shape(at, 4);
  wUvarint(<u64>(end - from));
  wSvarint(<i64>load<i8>(at));
  memory.copy(w, at + 24, 8);
  w += 8;
  wUvarint(<u64>ps);
  wUvarint(<u64>ns);
  for (let k: usize = 0; k < ps + ns; k++) {
    wSvarint(<i64>load<i32>(at + ROW_HEADER + (k << 3)));
    wUvarint(<u64>load<u32>(at + ROW_HEADER + (k << 3) + 4));
  }
  wUvarint(<u64>pb);
  wUvarint(<u64>nbNeg);
  wUvarint(<u64>cv);
  const cvAt = at + ROW_HEADER + 8 * (ps + ns) + 8 * (pb + nbNeg);
  memory.copy(w, cvAt, cv << 3);
  w += cv << 3;
  wByte(intMode ? MODE_INT : MODE_FLOAT);
  const nb = pb + nbNeg;
  const n = end - from;
  if (intMode) {
    // Column by column into `prev` (n i64s): hints, counts, zero counts, sums (XOR), buckets.
    const col = prev;
    for (let r = 0; r < n; r++) store<i64>(col + (<usize>r << 3), <i64>load<u8>(rowAt(rows, offsets, from + r) + 1));
    writeSeq(col, n);
    for (let r = 0; r < n; r++) store<i64>(col + (<usize>r << 3), <i64>load<f64>(rowAt(rows, offsets, from + r) + 40));
    writeSeq(col, n);
    for (let r = 0; r < n; r++) store<i64>(col + (<usize>r << 3), <i64>load<f64>(rowAt(rows, offsets, from + r) + 32));
    writeSeq(col, n);
    let prevSum: f64 = 0;
    for (let r = from; r < end; r++) {
      const sum = load<f64>(rowAt(rows, offsets, r) + 48);
      wXor(sum, prevSum);
      prevSum = sum;
    }
    const b = ROW_HEADER + 8 * (ps + ns);
    for (let k: usize = 0; k < nb; k++) {
      for (let r = 0; r < n; r++) store<i64>(col + (<usize>r << 3), <i64>load<f64>(rowAt(rows, offsets, from + r) + b + (k << 3)));
      writeSeq(col, n);
    }
    return;
  }
  memory.fill(prev, 0, nb << 3);
  let prevCount: f64 = 0;
  let prevZero: f64 = 0;
  let prevSum: f64 = 0;
  for (let r = from; r < end; r++) {
    const p = rowAt(rows, offsets, r);
    wByte(<u32>load<u8>(p + 1));
    const zero = load<f64>(p + 32);
    const count = load<f64>(p + 40);
    const sum = load<f64>(p + 48);
    wXor(count, prevCount);
    wXor(zero, prevZero);
    wXor(sum, prevSum);
    prevCount = count;
    prevZero = zero;
    prevSum = sum;
    const b = p + ROW_HEADER + 8 * (ps + ns);
    for (let k: usize = 0; k < nb; k++) {
      const v = load<f64>(b + (k << 3));
      wXor(v, load<f64>(prev + (k << 3)));
      store<f64>(prev + (k << 3), v);
    }
  }
}

// ---- reader
let rp: usize = 0;
let rEnd: usize = 0;

function rByte(): u32 {
  if (rp >= rEnd) {
    fail(H_E_TRUNCATED, <f64>rp, <f64>rEnd);
    return 0;
  }
  const b = <u32>load<u8>(rp);
  rp++;
  return b;
}

function rUvarint(): u64 {
  let v: u64 = 0;
  for (let i: u64 = 0; i < 8; i++) {
    const c = rByte();
    if (hErr != 0) return 0;
    v |= <u64>(c & 127) << (7 * i);
    if (c < 128) return v;
  }
  fail(H_E_VARINT, <f64>rp, 0);
  return 0;
}

@inline function rSvarint(): i64 {
  const u = rUvarint();
  return <i64>(u >> 1) ^ -(<i64>(u & 1));
}

let rAcc: u32 = 0;
let rBits: u32 = 0;

function getBits(width: u32): u64 {
  let v: u64 = 0;
  let shift: u64 = 0;
  while (width > 0) {
    if (rBits == 0) {
      rAcc = rByte();
      rBits = 8;
      if (hErr != 0) return 0;
    }
    const take = min<u32>(rBits, width);
    v |= <u64>(rAcc & ((1 << take) - 1)) << shift;
    rAcc >>= take;
    rBits -= take;
    shift += take;
    width -= take;
  }
  return v;
}

/** Reads a packed sequence of n values into the f64 (or u8 hint) slot at row(i) + at, rows `size` apart. */
function readSeq(n: i32, base: usize, size: usize, at: usize, hint: bool): void {
  let x = rSvarint();
  if (hErr != 0) return;
  if (!putSeq(base, at, hint, x)) return;
  for (let start = 1; start < n; start += 128) {
    const end = min<i32>(n, start + 128);
    const mn = rSvarint();
    const width = rByte();
    if (hErr != 0) return;
    if (width > 53) {
      fail(H_E_LAYOUT, <f64>width, 0);
      return;
    }
    for (let i = start; i < end; i++) {
      x += mn + (width == 0 ? 0 : <i64>getBits(width));
      if (hErr != 0) return;
      if (!putSeq(base + <usize>i * size, at, hint, x)) return;
    }
    rAcc = 0;
    rBits = 0;
  }
}

function putSeq(row: usize, at: usize, hint: bool, x: i64): bool {
  if (hint) {
    if (x < 0 || x > 255) {
      fail(H_E_LAYOUT, <f64>x, 0);
      return false;
    }
    store<u8>(row + at, <u8>x);
  } else {
    store<f64>(row + at, <f64>x);
  }
  return true;
}

function rXor(prev: f64): f64 {
  const c = rByte();
  if (c == 0) return prev;
  const lo = c >> 4;
  const len = c & 15;
  if (len == 0 || lo + len > 8) {
    fail(H_E_XOR, <f64>c, <f64>rp);
    return 0;
  }
  let x: u64 = 0;
  for (let i = lo; i < lo + len; i++) x |= <u64>rByte() << (<u64>i << 3);
  return reinterpret<f64>(reinterpret<u64>(prev) ^ x);
}

/**
 * Decodes a column of `count` histograms at src[0, len) into rows at out (capacity outCap bytes)
 * with offsets (count + 1 u32s) at outOffsets. Returns the rows' byte length, or a negative code;
 * H_E_SPACE (with the bytes needed so far in hErrA) when out is too small. spans: 8 bytes per
 * span of the widest run; prev: 8 bytes per bucket (both within len × 8 + 64).
 */
export function decodeHist(src: usize, len: usize, count: i32, out: usize, outCap: usize, outOffsets: usize, scratch: usize): i32 {
  hErr = 0;
  rAcc = 0;
  rBits = 0;
  rp = src;
  rEnd = src + len;
  const h = rByte();
  if (hErr == 0 && h != HIST_HEADER) fail(H_E_HEADER, <f64>h, 0);
  const n = rUvarint();
  if (hErr != 0) return -hErr;
  if (n != <u64>count) {
    fail(H_E_COUNT, <f64>n, <f64>count);
    return -hErr;
  }
  let wo: usize = 0;
  let r = 0;
  while (r < count) {
    const run = rUvarint();
    if (hErr != 0) return -hErr;
    if (run == 0 || <u64>r + run > <u64>count) {
      fail(H_E_RUN, <f64>run, <f64>count);
      return -hErr;
    }
    const schema = rSvarint();
    if (hErr != 0) return -hErr;
    if (schema < -128 || schema > 127) {
      fail(H_E_LAYOUT, <f64>schema, 0);
      return -hErr;
    }
    const zt = rp;
    if (zt + 8 > rEnd) {
      fail(H_E_TRUNCATED, <f64>rp, <f64>rEnd);
      return -hErr;
    }
    rp += 8;
    const ps = rUvarint();
    const ns = rUvarint();
    if (hErr != 0) return -hErr;
    if (ps + ns > <u64>len) {
      fail(H_E_LAYOUT, <f64>(ps + ns), <f64>len);
      return -hErr;
    }
    const nsp = <usize>(ps + ns);
    const spans = scratch;
    for (let k: usize = 0; k < nsp; k++) {
      store<i32>(spans + (k << 3), <i32>rSvarint());
      store<u32>(spans + (k << 3) + 4, <u32>rUvarint());
    }
    const pb = rUvarint();
    const nbNeg = rUvarint();
    const cv = rUvarint();
    if (hErr != 0) return -hErr;
    if (pb + nbNeg > <u64>(rEnd - rp) || 8 * cv > <u64>(rEnd - rp)) {
      fail(H_E_LAYOUT, <f64>(pb + nbNeg + cv), <f64>len);
      return -hErr;
    }
    const cvAt = rp;
    if (<u64>cvAt + 8 * cv > <u64>rEnd) {
      fail(H_E_TRUNCATED, <f64>rp, <f64>rEnd);
      return -hErr;
    }
    rp += <usize>(cv << 3);
    const mode = rByte();
    if (hErr != 0) return -hErr;
    if (mode != MODE_INT && mode != MODE_FLOAT) {
      fail(H_E_LAYOUT, <f64>mode, 0);
      return -hErr;
    }
    const nbk = <usize>(pb + nbNeg);
    const size: usize = ROW_HEADER + 8 * nsp + 8 * <usize>(pb + nbNeg + cv);
    if (<u64>wo + <u64>size * run > <u64>outCap) {
      fail(H_E_SPACE, <f64>(<u64>wo + <u64>size * run), <f64>outCap);
      return -hErr;
    }
    const base = out + wo;
    const runN = <i32>run;
    for (let j = 0; j < runN; j++) {
      const q0 = base + <usize>j * size;
      store<u32>(outOffsets + ((<usize>r + <usize>j) << 2), <u32>(wo + <usize>j * size));
      store<i8>(q0, <i8>schema);
      store<u8>(q0 + 1, 0);
      store<u16>(q0 + 2, 0);
      store<u32>(q0 + 4, <u32>ps);
      store<u32>(q0 + 8, <u32>ns);
      store<u32>(q0 + 12, <u32>pb);
      store<u32>(q0 + 16, <u32>nbNeg);
      store<u32>(q0 + 20, <u32>cv);
      memory.copy(q0 + 24, zt, 8);
      memory.copy(q0 + ROW_HEADER, spans, nsp << 3);
      memory.copy(q0 + ROW_HEADER + (nsp << 3) + (nbk << 3), cvAt, <usize>(cv << 3));
    }
    const bucketsAt: usize = ROW_HEADER + (nsp << 3);
    if (mode == MODE_INT) {
      readSeq(runN, base, size, 1, true);
      if (hErr != 0) return -hErr;
      readSeq(runN, base, size, 40, false);
      if (hErr != 0) return -hErr;
      readSeq(runN, base, size, 32, false);
      if (hErr != 0) return -hErr;
      let prevSum: f64 = 0;
      for (let j = 0; j < runN; j++) {
        prevSum = rXor(prevSum);
        store<f64>(base + <usize>j * size + 48, prevSum);
      }
      if (hErr != 0) return -hErr;
      for (let k: usize = 0; k < nbk; k++) {
        readSeq(runN, base, size, bucketsAt + (k << 3), false);
        if (hErr != 0) return -hErr;
      }
    } else {
      const prev = scratch + (nsp << 3);
      memory.fill(prev, 0, nbk << 3);
      let prevCount: f64 = 0;
      let prevZero: f64 = 0;
      let prevSum: f64 = 0;
      for (let j = 0; j < runN; j++) {
        const q0 = base + <usize>j * size;
        store<u8>(q0 + 1, <u8>rByte());
        prevCount = rXor(prevCount);
        prevZero = rXor(prevZero);
        prevSum = rXor(prevSum);
        if (hErr != 0) return -hErr;
        store<f64>(q0 + 32, prevZero);
        store<f64>(q0 + 40, prevCount);
        store<f64>(q0 + 48, prevSum);
        for (let k: usize = 0; k < nbk; k++) {
          const v = rXor(load<f64>(prev + (k << 3)));
          store<f64>(prev + (k << 3), v);
          store<f64>(q0 + bucketsAt + (k << 3), v);
        }
        if (hErr != 0) return -hErr;
      }
    }
    wo += <usize>size * <usize>runN;
    r += runN;
  }
  store<u32>(outOffsets + (<usize>count << 2), <u32>wo);
  if (rp != rEnd) {
    fail(H_E_TRAILING, <f64>(rEnd - rp), 0);
    return -hErr;
  }
  return <i32>wo;
}
