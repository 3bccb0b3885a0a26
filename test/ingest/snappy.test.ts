import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateDataset } from '../../bench/gen/index.js';
import { IngestError, snappyCompress, snappyUncompress } from '../../src/ingest/index.js';

/**
 * The reference: the block format's definition, byte by byte, for valid blocks only. (snappyjs is
 * no reference: it rejects legal blocks it would not write itself, such as a short literal whose
 * length takes an extra byte.)
 */
function referenceUncompress(b: Uint8Array): Uint8Array {
  let p = 0;
  let size = 0;
  for (let shift = 0; ; shift += 7) {
    const c = b[p++]!;
    size += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) break;
  }
  const out = new Uint8Array(size);
  let o = 0;
  while (p < b.length) {
    const tag = b[p++]!;
    if ((tag & 3) === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        len = 0;
        for (let i = 0; i < extra; i++) len += b[p++]! * 2 ** (8 * i);
      }
      for (let i = 0; i <= len; i++) out[o++] = b[p++]!;
      continue;
    }
    let len: number;
    let offset: number;
    if ((tag & 3) === 1) {
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | b[p++]!;
    } else if ((tag & 3) === 2) {
      len = 1 + (tag >>> 2);
      offset = b[p]! | (b[p + 1]! << 8);
      p += 2;
    } else {
      len = 1 + (tag >>> 2);
      offset = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! * 2 ** 24);
      p += 4;
    }
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset]!;
  }
  return out;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A literal in the given length encoding: 0 = in the tag, 1..4 = that many extra bytes. */
function literal(bytes: readonly number[], extra: number): number[] {
  const n = bytes.length - 1;
  if (extra === 0) return [n << 2, ...bytes];
  const len: number[] = [];
  for (let i = 0; i < extra; i++) len.push((n >>> (8 * i)) & 0xff);
  return [(59 + extra) << 2, ...len, ...bytes];
}

/** A copy of `len` bytes from `offset` back, in element kind 1, 2 or 3. */
function copy(kind: 1 | 2 | 3, offset: number, len: number): number[] {
  if (kind === 1) return [((offset >> 8) << 5) | ((len - 4) << 2) | 1, offset & 0xff];
  if (kind === 2) return [((len - 1) << 2) | 2, offset & 0xff, offset >> 8];
  return [((len - 1) << 2) | 3, offset & 0xff, (offset >> 8) & 0xff, (offset >> 16) & 0xff, offset >>> 24];
}

type Element = { lit: number[]; extra: number } | { kind: 1 | 2 | 3; back: number; len: number };

/** Valid blocks built element by element: every length encoding, overlapping copies of every offset class. */
const elements = fc.array(
  fc.oneof(
    fc.record({ lit: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 200 }), extra: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant<1>(1), back: fc.integer({ min: 1, max: 2047 }), len: fc.integer({ min: 4, max: 11 }) }),
    fc.record({ kind: fc.constantFrom<2 | 3>(2, 3), back: fc.integer({ min: 1, max: 40 }), len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constantFrom<2 | 3>(2, 3), back: fc.integer({ min: 1, max: 5000 }), len: fc.integer({ min: 1, max: 64 }) }),
  ),
  { maxLength: 120 },
);

function block(els: readonly Element[]): Uint8Array {
  const body: number[] = [];
  let size = 0;
  for (const e of els) {
    if ('lit' in e) {
      // A literal's length must fit the extra bytes it declares.
      if (e.extra === 0 && e.lit.length > 60) continue;
      body.push(...literal(e.lit, e.extra));
      size += e.lit.length;
    } else {
      if (size === 0) continue;
      const offset = Math.min(e.back, size, e.kind === 1 ? 2047 : Infinity);
      body.push(...copy(e.kind, offset, e.len));
      size += e.len;
    }
  }
  return new Uint8Array([...varint(size), ...body]);
}

function failure(bytes: readonly number[], maxBytes = 1000): { status: number; message: string } {
  try {
    snappyUncompress(new Uint8Array(bytes), maxBytes);
  } catch (e) {
    expect(e).toBeInstanceOf(IngestError);
    return { status: (e as IngestError).status, message: (e as IngestError).message };
  }
  throw new Error('expected an IngestError');
}

describe('snappy block decompression (WebAssembly)', () => {
  it('inverts snappyjs compression for arbitrary and repetitive data', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 5000 }),
          fc
            .array(fc.constantFrom('abc', 'abcd', 'x', '__name__', 'production', '\u0000'), { maxLength: 2000 })
            .map((a) => new TextEncoder().encode(a.join(''))),
        ),
        (data) => {
          expect(new Uint8Array(snappyUncompress(snappyCompress(data), 1 << 20))).toEqual(data);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with the reference decoder on blocks of every element kind, overlapping copies included', () => {
    fc.assert(
      fc.property(elements, (els) => {
        const b = block(els);
        expect(new Uint8Array(snappyUncompress(b, 1 << 24))).toEqual(referenceUncompress(b));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the reference decoder on real remote-write bodies', () => {
    const ds = generateDataset({
      seed: 7,
      hosts: 1,
      scrapeIntervalMs: 10_000,
      durationMs: 60_000,
      endMs: 1_700_000_000_000,
      churnFraction: 0,
      churnIntervalMs: 1_800_000,
      samplesPerRequest: 2_000,
      shards: 1,
      hostShape: 'wide',
    });
    let bodies = 0;
    for (const shard of ds.shards) {
      for (const b of shard) {
        expect(new Uint8Array(snappyUncompress(b.data, 1 << 26))).toEqual(referenceUncompress(b.data));
        bodies++;
      }
    }
    expect(bodies).toBeGreaterThan(1);
  });

  it('returns a Buffer of its own, unaffected by later bodies', () => {
    const a = snappyUncompress(snappyCompress(new TextEncoder().encode('first body, first body')), 100);
    snappyUncompress(snappyCompress(new TextEncoder().encode('second body overwrites the arena')), 100);
    expect(a.toString()).toBe('first body, first body');
    expect(a.byteOffset).toBe(0);
    expect(a.byteLength).toBe(a.buffer.byteLength);
  });

  it('keeps working after a body large enough that its arena is given back', () => {
    const big = new Uint8Array(40 << 20).fill(7);
    expect(snappyUncompress(snappyCompress(big), 64 << 20).equals(big)).toBe(true);
    expect(snappyUncompress(snappyCompress(new TextEncoder().encode('small after big')), 100).toString()).toBe('small after big');
  });

  it('decodes an empty block', () => {
    expect(snappyUncompress(new Uint8Array([0]), 10).length).toBe(0);
  });

  it('rejects an empty body', () => {
    expect(failure([])).toEqual({ status: 400, message: 'malformed snappy body: empty body at byte 0' });
  });

  it('rejects a truncated length header', () => {
    expect(failure([0x80])).toEqual({ status: 400, message: 'malformed snappy body: truncated length header at byte 1' });
  });

  it('rejects a length header longer than 5 bytes', () => {
    expect(failure([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).toEqual({
      status: 400,
      message: 'malformed snappy body: length header longer than 5 bytes at byte 5',
    });
  });

  it('rejects a declared length over 4 GiB', () => {
    expect(failure([0xff, 0xff, 0xff, 0xff, 0x7f])).toEqual({ status: 400, message: 'malformed snappy body: declared length exceeds 4 GiB at byte 0' });
  });

  it('answers 413 when the declared length exceeds the limit, before decompressing', () => {
    expect(failure([0x80, 0x80, 0x80, 0x01, 0xff])).toEqual({
      status: 413,
      message: 'decompressed body would be 2097152 bytes, more than the limit of 1000 bytes',
    });
  });

  it('rejects a truncated literal length', () => {
    expect(failure([10, 61 << 2, 5])).toEqual({ status: 400, message: 'malformed snappy body: truncated literal length at byte 2' });
  });

  it('rejects a literal running past the end of the body', () => {
    expect(failure([10, 9 << 2, 1, 2, 3])).toEqual({ status: 400, message: 'malformed snappy body: literal of 10 bytes runs past the end at byte 2' });
    expect(failure([10, 63 << 2, 0xff, 0xff, 0xff, 0xff])).toEqual({
      status: 400,
      message: 'malformed snappy body: literal of 4294967296 bytes runs past the end at byte 6',
    });
  });

  it('rejects a literal making the output longer than declared', () => {
    expect(failure([3, 0x0c, 1, 2, 3, 4])).toEqual({ status: 400, message: 'malformed snappy body: output longer than declared length at byte 2' });
  });

  it('rejects a truncated copy of each kind', () => {
    const truncated = { status: 400, message: 'malformed snappy body: truncated copy at byte 4' };
    expect(failure([10, 0x00, 0x61, 0x01])).toEqual(truncated);
    expect(failure([10, 0x00, 0x61, 0x02, 0x01])).toEqual(truncated);
    expect(failure([10, 0x00, 0x61, 0x03, 0x01, 0, 0])).toEqual(truncated);
  });

  it('rejects a copy with offset 0', () => {
    expect(failure([10, 0x00, 0x61, 0x01, 0x00])).toEqual({ status: 400, message: 'malformed snappy body: copy offset 0 outside the output at byte 5' });
  });

  it('rejects a copy reaching before the start of the output', () => {
    expect(failure([8, 0x00, 0x61, 0x01, 0x05])).toEqual({ status: 400, message: 'malformed snappy body: copy offset 5 outside the output at byte 5' });
    expect(failure([8, 0x00, 0x61, 0x03, 0x05, 0, 0, 0])).toEqual({
      status: 400,
      message: 'malformed snappy body: copy offset 5 outside the output at byte 8',
    });
  });

  it('rejects a copy making the output longer than declared', () => {
    expect(failure([3, 0x00, 0x61, 0x05, 0x01])).toEqual({ status: 400, message: 'malformed snappy body: output longer than declared length at byte 5' });
    expect(failure([3, 0x00, 0x61, (9 << 2) | 2, 0x01, 0x00])).toEqual({
      status: 400,
      message: 'malformed snappy body: output longer than declared length at byte 6',
    });
  });

  it('rejects output shorter than declared', () => {
    expect(failure([5, 0x0c, 1, 2, 3, 4])).toEqual({
      status: 400,
      message: 'malformed snappy body: body decompresses to 4 bytes, header declared 5 at byte 6',
    });
  });

  it('answers arbitrary bytes with a block or an IngestError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        try {
          snappyUncompress(b, 1 << 16);
        } catch (e) {
          expect(e).toBeInstanceOf(IngestError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
