// Timestamp column codec, mirroring src/codec/timestamps.ts byte for byte.
import { E_COUNT, E_KIND, E_SHORT_BLOCK, E_TRAILING, E_VERSION, MAX_INT, TS_KIND_CONST, TS_KIND_DELTA, TS_KIND_DOD, TS_KIND_RAW, header } from './format';
import { planSequence, readSequence, writeSequence } from './intseq';
import { err, fail, rAddr, rByte, rNeed, rRemaining, rSkip, rStart, rUvarint, rZvarint, wByte, wBytes, wCopy, wStart, wUvarint, wZvarint } from './io';

@inline function isPlainInt(t: f64): bool {
  return t - Math.trunc(t) == 0 && t <= MAX_INT && t >= -MAX_INT && reinterpret<u64>(t) != 0x8000000000000000;
}

/** Encodes count f64 timestamps at tsPtr into out. scratch: count × 24 bytes. Returns the block length. */
export function encodeTs(tsPtr: usize, count: i32, out: usize, scratch: usize): i32 {
  wStart(out);
  let ints = count > 0;
  for (let i = 0; i < count; i++) {
    if (!isPlainInt(load<f64>(tsPtr + (<usize>i << 3)))) {
      ints = false;
      break;
    }
  }
  if (!ints) {
    wByte(header(TS_KIND_RAW));
    wUvarint(<u64>count);
    wCopy(tsPtr, <usize>count << 3);
    return <i32>wBytes();
  }
  const first = <i64>load<f64>(tsPtr);
  const d0: i64 = count > 1 ? <i64>load<f64>(tsPtr + 8) - first : 0;
  let equal = true;
  let prevT = first + d0;
  for (let i = 2; i < count; i++) {
    const t = <i64>load<f64>(tsPtr + (<usize>i << 3));
    if (t - prevT != d0) {
      equal = false;
      break;
    }
    prevT = t;
  }
  if (equal) {
    wByte(header(TS_KIND_CONST));
    wUvarint(<u64>count);
    wZvarint(first);
    wZvarint(d0);
    return <i32>wBytes();
  }
  const bytes = <usize>count << 3;
  const ints64 = scratch;
  const deltas = scratch + bytes;
  const dods = scratch + 2 * bytes;
  for (let i = 0; i < count; i++) {
    const p = <usize>i << 3;
    store<i64>(ints64 + p, <i64>load<f64>(tsPtr + p));
  }
  const useDod = planSequence(ints64, count, deltas, dods);
  wByte(header(useDod ? TS_KIND_DOD : TS_KIND_DELTA));
  wUvarint(<u64>count);
  writeSequence(ints64, count, useDod, deltas, dods);
  return <i32>wBytes();
}

/** Decodes a timestamp block into count f64 at out. scratch: count × 8 bytes. Returns 0 or −error. */
export function decodeTs(src: usize, len: usize, count: i32, out: usize, scratch: usize): i32 {
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
  if (kind == TS_KIND_RAW) {
    const n = <usize>count << 3;
    if (!rNeed(n)) return -err;
    memory.copy(out, rAddr(), n);
    rSkip(n);
  } else if (kind == TS_KIND_CONST) {
    const first = rZvarint();
    const d = rZvarint();
    if (err != 0) return -err;
    let t = first;
    for (let i = 0; i < count; i++) {
      store<f64>(out + (<usize>i << 3), <f64>t);
      t += d;
    }
  } else if (kind == TS_KIND_DOD || kind == TS_KIND_DELTA) {
    const dod = kind == TS_KIND_DOD;
    const minCount = dod ? 3 : 1;
    if (count < minCount) {
      fail(E_SHORT_BLOCK, <f64>kind, <f64>count);
      return -err;
    }
    readSequence(count, count, dod, out);
    if (err != 0) return -err;
    for (let i = 0; i < count; i++) {
      const p = out + (<usize>i << 3);
      store<f64>(p, <f64>load<i64>(p));
    }
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
