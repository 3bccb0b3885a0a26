// Byte/bit writer and reader over the shared arena. State lives in globals: the module is
// single-threaded per instance and this keeps the hot loops free of object indirection.
import { CHUNK, E_TRUNCATED, E_VARINT } from './format';

// ---- errors: the first failure wins; callers check `err` after each step and return early.
export let err: i32 = 0;
export let errA: f64 = 0;
export let errB: f64 = 0;

export function fail(code: i32, a: f64 = 0, b: f64 = 0): void {
  if (err == 0) {
    err = code;
    errA = a;
    errB = b;
  }
}

export function clearError(): void {
  err = 0;
  errA = 0;
  errB = 0;
}

// ---- writer: LSB-first bit fields gathered in a 64-bit accumulator and stored 32 bits at a time
// (stores never overlap a later load, which would stall store forwarding); bytes only when aligned.
let wBase: usize = 0;
let wPtr: usize = 0;
let wAcc: u64 = 0;
let wAccBits: u32 = 0;

export function wStart(ptr: usize): void {
  wBase = ptr;
  wPtr = ptr;
  wAcc = 0;
  wAccBits = 0;
}

/** Flushes pending bits (the last byte padded with zeros) and returns the block length so far. */
export function wBytes(): usize {
  wAlign();
  return wPtr - wBase;
}

/** Only at a byte boundary (after wAlign, or before any bit field). */
@inline export function wByte(b: u32): void {
  store<u8>(wPtr, <u8>b);
  wPtr++;
}

export function wUvarint(v: u64): void {
  while (v >= 128) {
    wByte(<u32>(v & 127) | 128);
    v >>= 7;
  }
  wByte(<u32>v);
}

@inline export function zigzag(v: i64): u64 {
  return <u64>((v << 1) ^ (v >> 63));
}

@inline export function unzigzag(z: u64): i64 {
  return <i64>(z >> 1) ^ -(<i64>(z & 1));
}

export function wZvarint(v: i64): void {
  wUvarint(zigzag(v));
}

/** n ≤ 32 bits; v < 2^n. */
@inline export function wBits(v: u64, n: u32): void {
  wAcc |= v << <u64>wAccBits;
  wAccBits += n;
  if (wAccBits >= 32) {
    store<u32>(wPtr, <u32>wAcc);
    wPtr += 4;
    wAcc >>= 32;
    wAccBits -= 32;
  }
}

/** n ≤ 64 bits; v < 2^n. */
@inline export function wWide(v: u64, n: u32): void {
  if (n <= 32) {
    wBits(v, n);
  } else {
    wBits(v & 0xffffffff, 32);
    wBits(v >> 32, n - 32);
  }
}

export function wAlign(): void {
  while (wAccBits > 0) {
    store<u8>(wPtr, <u8>wAcc);
    wPtr++;
    wAcc >>= 8;
    wAccBits = wAccBits > 8 ? wAccBits - 8 : 0;
  }
  wAcc = 0;
}

export function wCopy(src: usize, n: usize): void {
  memory.copy(wPtr, src, n);
  wPtr += n;
}

// ---- reader: every access is checked against the end of the block.
let rBase: usize = 0;
let rLen: usize = 0;
export let rPos: usize = 0;
let rBit: usize = 0;
let rBitEnd: usize = 0;

export function rStart(ptr: usize, len: usize): void {
  rBase = ptr;
  rLen = len;
  rPos = 0;
}

export function rSeek(pos: usize): void {
  rPos = pos;
}

@inline export function rRemaining(): usize {
  return rLen - rPos;
}

@inline export function rAddr(): usize {
  return rBase + rPos;
}

export function rByte(): u32 {
  if (rPos >= rLen) {
    fail(E_TRUNCATED);
    return 0;
  }
  return load<u8>(rBase + rPos++);
}

export function rUvarint(): u64 {
  let v: u64 = 0;
  let shift: u64 = 0;
  for (let i = 0; i < 8; i++) {
    const b = rByte();
    if (err != 0) return 0;
    v |= <u64>(b & 127) << shift;
    if (b < 128) {
      if (v > (<u64>1 << 53)) {
        fail(E_VARINT);
        return 0;
      }
      return v;
    }
    shift += 7;
  }
  fail(E_VARINT);
  return 0;
}

@inline export function rZvarint(): i64 {
  return unzigzag(rUvarint());
}

/** Fails unless n more bytes are in the block. */
export function rNeed(n: usize): bool {
  if (n > rLen - rPos) {
    fail(E_TRUNCATED, <f64>n, <f64>(rLen - rPos));
    return false;
  }
  return true;
}

export function rSkip(n: usize): void {
  rPos += n;
}

/** Opens a bit section running to the end of the block. */
export function rBitsToEnd(): void {
  rBit = rPos << 3;
  rBitEnd = rLen << 3;
}

/** Closes the bit section; the byte cursor moves past the last byte touched. */
export function rEndBits(): void {
  rPos = (rBit + 7) >> 3;
}

/** n ≤ 56 bits, checked. */
@inline export function rBits(n: u32): u64 {
  const p = rBit;
  if (p + n > rBitEnd) {
    fail(E_TRUNCATED);
    return 0;
  }
  rBit = p + n;
  return (load<u64>(rBase + (p >> 3)) >> <u64>(p & 7)) & ((<u64>1 << <u64>n) - 1);
}

// ---- chunked, frame-of-reference bit packing (see src/codec/chunks.ts).

@inline function widthOf(spread: u64): u32 {
  return spread == 0 ? 0 : 64 - <u32>clz<u64>(spread);
}

@inline export function varintSize(v: u64): i32 {
  let n = 1;
  while (v >= 128) {
    v >>= 7;
    n++;
  }
  return n;
}

// Chunk minimum and maximum, left in globals by chunkRange.
let cMin: i64 = 0;
let cMax: i64 = 0;

@inline function chunkRange(v: usize, start: i32, end: i32): void {
  let lo = load<i64>(v + (<usize>start << 3));
  let hi = lo;
  for (let i = start + 1; i < end; i++) {
    const x = load<i64>(v + (<usize>i << 3));
    if (x < lo) lo = x;
    else if (x > hi) hi = x;
  }
  cMin = lo;
  cMax = hi;
}

/** Writes n signed i64 values at v in chunks. */
export function writeChunks(v: usize, n: i32): void {
  for (let start = 0; start < n; start += CHUNK) {
    const end = min(n, start + CHUNK);
    chunkRange(v, start, end);
    const lo = cMin;
    const width = widthOf(<u64>(cMax - lo));
    wZvarint(lo);
    wByte(width);
    if (width == 0) continue;
    if (width <= 32) {
      // The hot loop keeps the accumulator in locals: globals live in memory in V8.
      let acc: u64 = 0;
      let bits: u32 = 0;
      let ptr = wPtr;
      for (let i = start; i < end; i++) {
        acc |= <u64>(load<i64>(v + (<usize>i << 3)) - lo) << <u64>bits;
        bits += width;
        if (bits >= 32) {
          store<u32>(ptr, <u32>acc);
          ptr += 4;
          acc >>= 32;
          bits -= 32;
        }
      }
      wPtr = ptr;
      wAcc = acc;
      wAccBits = bits;
    } else {
      for (let i = start; i < end; i++) wWide(<u64>(load<i64>(v + (<usize>i << 3)) - lo), width);
    }
    wAlign();
  }
}

export function chunksSize(v: usize, n: i32): i32 {
  let size = 0;
  for (let start = 0; start < n; start += CHUNK) {
    const end = min(n, start + CHUNK);
    chunkRange(v, start, end);
    size += varintSize(zigzag(cMin)) + 1 + <i32>((widthOf(<u64>(cMax - cMin)) * <u32>(end - start) + 7) >> 3);
  }
  return size;
}
