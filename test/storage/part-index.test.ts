import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import {
  HEADER_SIZE,
  HeaderGroupError,
  decodeHeaderGroup,
  encodeHeaderGroup,
  readHeader,
  writeHeader,
  type BlockHeader,
} from '../../src/storage/part-format.js';

function pack(headers: readonly BlockHeader[]): Buffer {
  const buf = Buffer.alloc(headers.length * HEADER_SIZE);
  headers.forEach((h, i) => writeHeader(buf, i * HEADER_SIZE, h));
  return buf;
}

function roundTrip(headers: readonly BlockHeader[]): BlockHeader[] {
  const stored = encodeHeaderGroup(pack(headers), headers.length);
  const plain = decodeHeaderGroup(stored, headers.length);
  return headers.map((_, i) => readHeader(plain, i * HEADER_SIZE));
}

/** Headers as a part writer makes them: ascending ids, one scrape's times, data back to back. */
function scrapeLike(n: number): BlockHeader[] {
  const out: BlockHeader[] = [];
  let ts = 0;
  let vs = 0;
  for (let i = 0; i < n; i++) {
    const h = {
      seriesId: 1000 + i * 3,
      minT: 1_763_900_000_000 + (i % 5),
      maxT: 1_763_905_400_000 + (i % 7),
      count: 360,
      tsCodec: 1,
      valCodec: 0x81,
      tsOffset: ts,
      tsSize: 90 + (i % 13),
      valSize: 400 + i,
      valOffset: vs,
      crc: (i * 2654435761) >>> 0,
    };
    ts += h.tsSize;
    vs += h.valSize;
    out.push(h);
  }
  return out;
}

describe('compressed header groups', () => {
  it('round-trip the headers a part writer makes, in about an eighth of their in-memory size', () => {
    const headers = scrapeLike(256);
    expect(roundTrip(headers)).toEqual(headers);
    expect(encodeHeaderGroup(pack(headers), 256).length).toBeLessThan((256 * HEADER_SIZE) / 5);
  });

  it('round-trip extreme values: ids near 2^53, times far apart or negative, gaps between blocks', () => {
    const headers: BlockHeader[] = [
      {
        seriesId: 0,
        minT: -8.64e15,
        maxT: 8.64e15,
        count: 1,
        tsCodec: 0,
        valCodec: 0,
        tsOffset: 0,
        tsSize: 0,
        valSize: 0,
        valOffset: 2 ** 40,
        crc: 0xffffffff,
      },
      {
        seriesId: 2 ** 53 - 1,
        minT: 1e300,
        maxT: 1e300,
        count: 8192,
        tsCodec: 255,
        valCodec: 255,
        tsOffset: 2 ** 52,
        tsSize: 0xffffffff,
        valSize: 0xffffffff,
        valOffset: 5,
        crc: 1,
      },
      { seriesId: 2 ** 53, minT: -1e300, maxT: 0, count: 0xffffffff, tsCodec: 7, valCodec: 9, tsOffset: 3, tsSize: 1, valSize: 1, valOffset: 2 ** 53, crc: 2 },
    ];
    expect(roundTrip(headers)).toEqual(headers);
  });

  it('round-trip arbitrary header sequences', () => {
    const int = (max: number) => fc.integer({ min: 0, max });
    const header = fc.record({
      gap: int(1000),
      minT: fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
      span: int(2 ** 40),
      count: int(8192),
      tsCodec: int(255),
      valCodec: int(255),
      tsOffset: int(2 ** 50),
      tsSize: int(2 ** 32 - 1),
      valSize: int(2 ** 32 - 1),
      valOffset: int(2 ** 50),
      crc: int(2 ** 32 - 1),
    });
    fc.assert(
      fc.property(fc.array(header, { minLength: 1, maxLength: 256 }), (hs) => {
        let id = 0;
        const headers = hs.map((h) => {
          id += h.gap;
          return {
            seriesId: id,
            minT: h.minT,
            maxT: h.minT + h.span,
            count: h.count,
            tsCodec: h.tsCodec,
            valCodec: h.valCodec,
            tsOffset: h.tsOffset,
            tsSize: h.tsSize,
            valSize: h.valSize,
            valOffset: h.valOffset,
            crc: h.crc,
          };
        });
        expect(roundTrip(headers)).toEqual(headers);
      }),
      { numRuns: 200 },
    );
  });

  it('reject damaged blocks with HeaderGroupError, never a crash or a wrong header', () => {
    const stored = encodeHeaderGroup(pack(scrapeLike(40)), 40);
    expect(() => decodeHeaderGroup(stored, 41)).toThrow(/holds 40 headers, the metaindex says 41/);
    expect(() => decodeHeaderGroup(stored.subarray(0, stored.length >> 1), 40)).toThrow(HeaderGroupError);
    expect(() => decodeHeaderGroup(Buffer.from([0xff, 0xff, 0xff]), 40)).toThrow(/does not inflate/);
    expect(() => decodeHeaderGroup(deflateRawSync(Buffer.from([40, 1, 2])), 40)).toThrow(/truncated/);
    expect(() => decodeHeaderGroup(deflateRawSync(Buffer.alloc(1 << 20, 1)), 1)).toThrow(HeaderGroupError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 256 }), (bytes, n) => {
        try {
          decodeHeaderGroup(bytes, n);
        } catch (e) {
          expect(e).toBeInstanceOf(HeaderGroupError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
