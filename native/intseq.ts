// Integer sequences as first element + deltas or delta-of-deltas (see src/codec/intseq.ts).
import { CHUNK, E_WIDTH, MAX_WIDTH } from './format';
import { chunksSize, err, fail, rAddr, rByte, rNeed, rSkip, rZvarint, varintSize, writeChunks, wZvarint, zigzag } from './io';

/**
 * Fills deltas (count − 1) and dods (count − 2) from the i64 sequence at ints and returns true
 * when delta-of-deltas pack smaller.
 */
export function planSequence(ints: usize, count: i32, deltas: usize, dods: usize): bool {
  let prev = load<i64>(ints);
  let prevDelta: i64 = 0;
  for (let i = 1; i < count; i++) {
    const x = load<i64>(ints + (<usize>i << 3));
    const d = x - prev;
    store<i64>(deltas + (<usize>(i - 1) << 3), d);
    if (i >= 2) store<i64>(dods + (<usize>(i - 2) << 3), d - prevDelta);
    prev = x;
    prevDelta = d;
  }
  return count >= 3 && varintSize(zigzag(load<i64>(deltas))) + chunksSize(dods, count - 2) < chunksSize(deltas, count - 1);
}

export function writeSequence(ints: usize, count: i32, useDod: bool, deltas: usize, dods: usize): void {
  wZvarint(load<i64>(ints));
  if (useDod) {
    wZvarint(load<i64>(deltas));
    writeChunks(dods, count - 2);
  } else {
    writeChunks(deltas, count - 1);
  }
}

/**
 * Reads a sequence of count integers and writes the first n (≤ count) to out as i64, unpacking and
 * summing in one pass. Chunks past the n-th value are only checked for length, not unpacked.
 */
export function readSequence(count: i32, n: i32, useDod: bool, out: usize): void {
  let x = rZvarint();
  let d: i64 = 0;
  if (useDod) d = rZvarint();
  if (err != 0) return;
  if (n > 0) store<i64>(out, x);
  const offset = useDod ? 2 : 1;
  if (useDod) {
    x += d;
    if (n > 1) store<i64>(out + 8, x);
  }
  const total = count - offset;
  for (let start = 0; start < total; start += CHUNK) {
    const end = min(total, start + CHUNK);
    const lo = rZvarint();
    const width = rByte();
    if (err != 0) return;
    if (width > MAX_WIDTH) {
      fail(E_WIDTH, <f64>width);
      return;
    }
    const bytes = <usize>((width * <u32>(end - start) + 7) >> 3);
    if (!rNeed(bytes)) return;
    const stop = min(end, n - offset);
    if (start < stop) {
      // The chunk's length was checked; loads may touch up to 7 bytes past it, inside the arena's slack.
      const base = rAddr();
      const mask: u64 = (<u64>1 << <u64>width) - 1;
      let bit: usize = 0;
      let p = out + (<usize>(start + offset) << 3);
      if (useDod) {
        for (let k = start; k < stop; k++) {
          d += lo + <i64>((load<u64>(base + (bit >> 3)) >> <u64>(bit & 7)) & mask);
          x += d;
          store<i64>(p, x);
          p += 8;
          bit += width;
        }
      } else {
        for (let k = start; k < stop; k++) {
          x += lo + <i64>((load<u64>(base + (bit >> 3)) >> <u64>(bit & 7)) & mask);
          store<i64>(p, x);
          p += 8;
          bit += width;
        }
      }
    }
    rSkip(bytes);
  }
}
