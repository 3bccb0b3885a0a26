// Snappy block elements (the part after the length header), decoded in linear memory. JavaScript
// reads the header, applies the size limit, lays out the arena and turns the codes below into the
// 400 messages of src/ingest/snappy.ts. Every inconsistency the JavaScript loop rejected is
// rejected here too, at the same byte position.
//
// Slack: the caller leaves 16 readable bytes after the input and 16 writable bytes after the
// output, so literals up to 64 bytes and copies move 16 (or 8) bytes at a time; bytes written past an
// element's end are overwritten by the next elements or land in the slack.

export const SNAPPY_TRUNCATED_LITERAL_LENGTH: i32 = -1;
export const SNAPPY_LITERAL_PAST_END: i32 = -2;
export const SNAPPY_OUTPUT_TOO_LONG: i32 = -3;
export const SNAPPY_TRUNCATED_COPY: i32 = -4;
export const SNAPPY_BAD_OFFSET: i32 = -5;
export const SNAPPY_LENGTH_MISMATCH: i32 = -6;

/** Byte position (from the start of the input) of the last failure, and its number (length, offset or size). */
export let snappyErrAt: f64 = 0;
export let snappyErrValue: f64 = 0;

function fail(code: i32, at: usize, value: f64): i32 {
  snappyErrAt = <f64>at;
  snappyErrValue = value;
  return code;
}

/**
 * Decodes the elements in src[start, n) into out[0, length). Returns 0, or a negative code with
 * snappyErrAt/snappyErrValue set.
 */
export function snappyDecode(src: usize, start: usize, n: usize, out: usize, length: usize): i32 {
  let p: usize = start;
  let o: usize = 0;
  while (p < n) {
    const tag = <u32>load<u8>(src + p);
    p++;
    const kind = tag & 3;
    if (kind == 0) {
      let len = <u64>(tag >> 2);
      if (len >= 60) {
        const extra = <usize>(len - 59);
        if (p + extra > n) return fail(SNAPPY_TRUNCATED_LITERAL_LENGTH, p, 0);
        len = <u64>load<u8>(src + p);
        if (extra > 1) len |= <u64>load<u8>(src + p + 1) << 8;
        if (extra > 2) len |= <u64>load<u8>(src + p + 2) << 16;
        if (extra > 3) len |= <u64>load<u8>(src + p + 3) << 24;
        p += extra;
      }
      len += 1;
      if (<u64>p + len > <u64>n) return fail(SNAPPY_LITERAL_PAST_END, p, <f64>len);
      if (<u64>o + len > <u64>length) return fail(SNAPPY_OUTPUT_TOO_LONG, p, 0);
      const l = <usize>len;
      // memory.copy is a call into the engine: worth it only for long runs.
      if (l <= 64) {
        for (let i: usize = 0; i < l; i += 16) v128.store(out + o + i, v128.load(src + p + i));
      } else memory.copy(out + o, src + p, l);
      p += l;
      o += l;
      continue;
    }
    let len: usize;
    let offset: usize;
    if (kind == 1) {
      if (p >= n) return fail(SNAPPY_TRUNCATED_COPY, p, 0);
      len = 4 + ((tag >> 2) & 7);
      offset = ((tag >> 5) << 8) | <u32>load<u8>(src + p);
      p += 1;
    } else if (kind == 2) {
      if (p + 2 > n) return fail(SNAPPY_TRUNCATED_COPY, p, 0);
      len = 1 + (tag >> 2);
      offset = <usize>load<u16>(src + p);
      p += 2;
    } else {
      if (p + 4 > n) return fail(SNAPPY_TRUNCATED_COPY, p, 0);
      len = 1 + (tag >> 2);
      offset = <usize>load<u32>(src + p);
      p += 4;
    }
    if (offset == 0 || offset > o) return fail(SNAPPY_BAD_OFFSET, p, <f64>offset);
    if (o + len > length) return fail(SNAPPY_OUTPUT_TOO_LONG, p, 0);
    const to = out + o;
    const from = to - offset;
    // Copies are at most 64 bytes. Each 16- or 8-byte read ends at or before the bytes it writes,
    // so overlapping copies repeat their pattern as snappy means them to.
    if (offset >= 16) {
      for (let i: usize = 0; i < len; i += 16) v128.store(to + i, v128.load(from + i));
    } else if (offset >= 8) {
      for (let i: usize = 0; i < len; i += 8) store<u64>(to + i, load<u64>(from + i));
    } else {
      for (let i: usize = 0; i < len; i++) store<u8>(to + i, load<u8>(from + i));
    }
    o += len;
  }
  if (o != length) return fail(SNAPPY_LENGTH_MISMATCH, p, <f64>o);
  return 0;
}
