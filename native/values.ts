// Value column codec, mirroring src/codec/values.ts, decimal.ts and gorilla.ts byte for byte.
import {
  E_COUNT, E_EXCEPTIONS, E_EXCEPTION_INDEX, E_EXPONENT, E_GORILLA_NO_WINDOW, E_GORILLA_WINDOW, E_KIND,
  E_SHORT_BLOCK, E_TRAILING, E_VERSION, EXCEPTION_SHIFT, MAX_EXP, MAX_INT,
  VAL_KIND_CONST, VAL_KIND_DECIMAL_DELTA, VAL_KIND_DECIMAL_DOD, VAL_KIND_GORILLA, header, pow10,
} from './format';
import { planSequence, readSequence, writeSequence } from './intseq';
import {
  err, fail, rAddr, rBits, rBitsToEnd, rByte, rEndBits, rNeed, rPos, rRemaining, rSeek, rSkip, rStart, rUvarint,
  wBits, wByte, wBytes, wCopy, wStart, wUvarint, wWide,
} from './io';

const EXCEPTION: i32 = -128;

// ---- decimal conversion (see src/codec/decimal.ts)

let decMant: i64 = 0;

@inline function roundHalfUp(x: f64): f64 {
  const f = Math.floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

@inline function fromDecimal(m: i64, e: i32): f64 {
  return e >= 0 ? <f64>m * pow10(e) : <f64>m / pow10(-e);
}

/** Returns the exponent (mantissa in decMant) or EXCEPTION. */
function toDecimal(v: f64): i32 {
  if (v == 0) {
    if (reinterpret<u64>(v) != 0) return EXCEPTION; // -0
    decMant = 0;
    return MAX_EXP;
  }
  if (!(v >= -MAX_INT && v <= MAX_INT)) return EXCEPTION;
  if (v - Math.trunc(v) == 0) {
    let m = <i64>v;
    let e = 0;
    while (e < MAX_EXP && m % 10 == 0) {
      m /= 10;
      e++;
    }
    decMant = m;
    return e;
  }
  for (let k = 1; k <= MAX_EXP; k++) {
    const x = v * pow10(k);
    if (!(x >= -MAX_INT && x <= MAX_INT)) return EXCEPTION;
    const m = roundHalfUp(x);
    if (m / pow10(k) == v) {
      decMant = <i64>m;
      return -k;
    }
  }
  return EXCEPTION;
}

/**
 * Writes a decimal block and returns true, or returns false (having written nothing that matters:
 * the caller restarts the writer) when the block is not decimal.
 * Scratch: mant (count i64), deltas and dods (count u64 each), exps (count i8).
 */
function writeDecimal(vals: usize, count: i32, mant: usize, deltas: usize, dods: usize, exps: usize): bool {
  let exceptions = 0;
  const maxExceptions = count >>> EXCEPTION_SHIFT;
  let minExp = MAX_EXP;
  let firstRegular = -1;
  for (let i = 0; i < count; i++) {
    const e = toDecimal(load<f64>(vals + (<usize>i << 3)));
    store<i8>(exps + i, <i8>e);
    if (e == EXCEPTION) {
      if (++exceptions > maxExceptions) return false;
      continue;
    }
    store<i64>(mant + (<usize>i << 3), decMant);
    if (firstRegular < 0) firstRegular = i;
    if (e < minExp) minExp = e;
  }
  if (firstRegular < 0) return false;
  let prev: i64 = 0;
  for (let i = 0; i < count; i++) {
    const e = <i32>load<i8>(exps + i);
    const p = mant + (<usize>i << 3);
    if (e == EXCEPTION) {
      store<i64>(p, prev);
      continue;
    }
    let m = load<i64>(p);
    const shift = e - minExp;
    if (shift > 0 && m != 0) {
      if (shift > 15) return false;
      const mf = <f64>m * pow10(shift);
      if (!(mf >= -MAX_INT && mf <= MAX_INT)) return false;
      m = <i64>mf;
      store<i64>(p, m);
    }
    if (fromDecimal(m, minExp) != load<f64>(vals + (<usize>i << 3))) return false;
    prev = m;
  }
  const firstM = load<i64>(mant + (<usize>firstRegular << 3));
  for (let i = 0; i < firstRegular; i++) store<i64>(mant + (<usize>i << 3), firstM);

  const useDod = planSequence(mant, count, deltas, dods);
  wByte(header(useDod ? VAL_KIND_DECIMAL_DOD : VAL_KIND_DECIMAL_DELTA));
  wUvarint(<u64>count);
  wByte(<u32>minExp & 255);
  wUvarint(<u64>exceptions);
  let last = -1;
  for (let i = 0; i < count && exceptions > 0; i++) {
    if (<i32>load<i8>(exps + i) != EXCEPTION) continue;
    wUvarint(<u64>(i - last - 1));
    wCopy(vals + (<usize>i << 3), 8);
    last = i;
  }
  writeSequence(mant, count, useDod, deltas, dods);
  return true;
}

// ---- Gorilla XOR (see src/codec/gorilla.ts)

function writeGorilla(vals: usize, count: i32): void {
  if (count == 0) return;
  let prev = load<u64>(vals);
  wWide(prev, 64);
  let lead: i32 = -1;
  let trail: i32 = 0;
  for (let i = 1; i < count; i++) {
    const cur = load<u64>(vals + (<usize>i << 3));
    const x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      wBits(0, 1);
      continue;
    }
    let lz = <i32>clz<u64>(x);
    if (lz > 31) lz = 31;
    const tz = <i32>ctz<u64>(x);
    let shift: i32;
    let len: i32;
    if (lead >= 0 && lz >= lead && tz >= trail) {
      wBits(1, 2);
      shift = trail;
      len = 64 - lead - trail;
    } else {
      len = 64 - lz - tz;
      // control 1,1 then 5 bits lead then 6 bits (len − 1): one 13-bit field, LSB first.
      wBits(3 | (<u64>lz << 2) | (<u64>(len - 1) << 7), 13);
      shift = tz;
      lead = lz;
      trail = tz;
    }
    wWide(x >> <u64>shift, len);
  }
}

function readGorilla(n: i32, out: usize): void {
  if (n == 0) return;
  const lo = rBits(32);
  const hi = rBits(32);
  let cur = lo | (hi << 32);
  store<u64>(out, cur);
  let lead: i32 = -1;
  let trail: i32 = 0;
  for (let i = 1; i < n; i++) {
    if (rBits(1) != 0) {
      let len: i32;
      if (rBits(1) == 0) {
        if (lead < 0) {
          fail(E_GORILLA_NO_WINDOW);
          return;
        }
        len = 64 - lead - trail;
      } else {
        lead = <i32>rBits(5);
        len = <i32>rBits(6) + 1;
        trail = 64 - lead - len;
        if (trail < 0) {
          fail(E_GORILLA_WINDOW, <f64>lead, <f64>len);
          return;
        }
      }
      let v: u64;
      if (len <= 32) v = rBits(len);
      else {
        v = rBits(32);
        v |= rBits(len - 32) << 32;
      }
      if (err != 0) return;
      cur ^= v << <u64>trail;
    } else if (err != 0) return;
    store<u64>(out + (<usize>i << 3), cur);
  }
  if (err != 0) return;
}

// ---- block entry points

/** Encodes count values into out. Scratch needs 3 × count × 8 + count bytes. Returns the block length. */
export function encodeVals(vals: usize, count: i32, out: usize, scratch: usize): i32 {
  wStart(out);
  if (count > 0) {
    const first = load<u64>(vals);
    let same = true;
    for (let i = 1; i < count; i++) {
      if (load<u64>(vals + (<usize>i << 3)) != first) {
        same = false;
        break;
      }
    }
    if (same) {
      wByte(header(VAL_KIND_CONST));
      wUvarint(<u64>count);
      wCopy(vals, 8);
      return <i32>wBytes();
    }
    const bytes = <usize>count << 3;
    if (writeDecimal(vals, count, scratch, scratch + bytes, scratch + 2 * bytes, scratch + 3 * bytes)) return <i32>wBytes();
    wStart(out);
  }
  wByte(header(VAL_KIND_GORILLA));
  wUvarint(<u64>count);
  writeGorilla(vals, count);
  return <i32>wBytes();
}

/**
 * Decodes the first n of the block's count values into out. Scratch needs count × 8 bytes.
 * Returns 0 or −error.
 */
export function decodeVals(src: usize, len: usize, count: i32, n: i32, out: usize, scratch: usize): i32 {
  rStart(src, len);
  const h = rByte();
  const blockCount = rUvarint();
  if (err != 0) return -err;
  if (h >> 4 != 1) {
    fail(E_VERSION, <f64>(h >> 4));
    return -err;
  }
  if (blockCount != <u64>count) {
    fail(E_COUNT, <f64>blockCount, <f64>count);
    return -err;
  }
  const kind = h & 15;
  if (kind == VAL_KIND_CONST) {
    if (count == 0) {
      fail(E_SHORT_BLOCK, <f64>kind, 0);
      return -err;
    }
    if (!rNeed(8)) return -err;
    const v = load<u64>(rAddr());
    for (let i = 0; i < n; i++) store<u64>(out + (<usize>i << 3), v);
    rSkip(8);
  } else if (kind == VAL_KIND_GORILLA) {
    rBitsToEnd();
    readGorilla(n, out);
    if (err != 0) return -err;
    rEndBits();
    if (n < count) return 0;
  } else if (kind == VAL_KIND_DECIMAL_DELTA || kind == VAL_KIND_DECIMAL_DOD) {
    if (count == 0) {
      fail(E_SHORT_BLOCK, <f64>kind, 0);
      return -err;
    }
    const expByte = <i32>rByte();
    const exp = expByte >= 128 ? expByte - 256 : expByte;
    if (err != 0) return -err;
    if (exp < -MAX_EXP || exp > MAX_EXP) {
      fail(E_EXPONENT, <f64>exp);
      return -err;
    }
    const exceptions = rUvarint();
    if (err != 0) return -err;
    if (exceptions > <u64>count) {
      fail(E_EXCEPTIONS, <f64>exceptions, <f64>count);
      return -err;
    }
    const excStart = rPos;
    let idx: i64 = -1;
    for (let k: u64 = 0; k < exceptions; k++) {
      idx += <i64>rUvarint() + 1;
      if (err != 0) return -err;
      if (idx >= <i64>count) {
        fail(E_EXCEPTION_INDEX, <f64>idx, <f64>count);
        return -err;
      }
      if (!rNeed(8)) return -err;
      rSkip(8);
    }
    const dod = kind == VAL_KIND_DECIMAL_DOD;
    const minCount = dod ? 3 : 1;
    if (count < minCount) {
      fail(E_SHORT_BLOCK, <f64>kind, <f64>count);
      return -err;
    }
    readSequence(count, n, dod, out);
    if (err != 0) return -err;
    if (exp >= 0) {
      const p = pow10(exp);
      for (let i = 0; i < n; i++) {
        const q = out + (<usize>i << 3);
        store<f64>(q, <f64>load<i64>(q) * p);
      }
    } else {
      const p = pow10(-exp);
      for (let i = 0; i < n; i++) {
        const q = out + (<usize>i << 3);
        store<f64>(q, <f64>load<i64>(q) / p);
      }
    }
    const end = rPos;
    rSeek(excStart);
    idx = -1;
    for (let k: u64 = 0; k < exceptions; k++) {
      idx += <i64>rUvarint() + 1;
      if (idx < <i64>n) store<u64>(out + (<usize>idx << 3), load<u64>(rAddr()));
      rSkip(8);
    }
    rSeek(end);
  } else {
    fail(E_KIND, <f64>kind);
    return -err;
  }
  if (rRemaining() != 0) {
    fail(E_TRAILING, <f64>rRemaining());
    return -err;
  }
  return 0;
}
