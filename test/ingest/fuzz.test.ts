import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IngestError,
  decodeRemoteWriteV1,
  decodeRemoteWriteV2,
  decodeWriteRequestV1,
  decodeWriteRequestV2,
  encodeRemoteWriteV1,
  parseInfluxLines,
  parseJsonLines,
  parsePrometheusText,
  snappyCompress,
} from '../../src/ingest/index.js';

/** Every decoder, on any input, either returns a batch or throws an IngestError: no other outcome. */
function onlyIngestErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof IngestError)) throw e;
  }
}

const textish = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .array(
      fc.constantFrom('m', '{', '}', '"', '=', ',', ' ', '\\', 'n', '1', '.', 'e', '-', '#', 'HELP', 'TYPE', '\n', 'i', 'NaN', '+Inf', ':', '[', ']', 'a'),
      { maxLength: 80 },
    )
    .map((a) => a.join('')),
);

describe('decoders never crash on arbitrary input', () => {
  it('text exposition', () => {
    fc.assert(
      fc.property(textish, (s) => onlyIngestErrors(() => parsePrometheusText(s, 0))),
      { numRuns: 2000 },
    );
  });

  it('Influx line protocol', () => {
    fc.assert(
      fc.property(textish, (s) => onlyIngestErrors(() => parseInfluxLines(s, 'ns', 0))),
      { numRuns: 2000 },
    );
  });

  it('JSON lines', () => {
    fc.assert(
      fc.property(textish, (s) => onlyIngestErrors(() => parseJsonLines(s))),
      { numRuns: 2000 },
    );
  });

  it('remote write bodies, raw and snappy-wrapped', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        onlyIngestErrors(() => decodeWriteRequestV1(b));
        onlyIngestErrors(() => decodeWriteRequestV2(b));
        onlyIngestErrors(() => decodeRemoteWriteV1(b));
        onlyIngestErrors(() => decodeRemoteWriteV2(snappyCompress(b)));
      }),
      { numRuns: 2000 },
    );
  });

  it('remote write bodies with flipped bytes', () => {
    const good = encodeRemoteWriteV1(
      [
        {
          labels: [
            { name: '__name__', value: 'abc' },
            { name: 'job', value: 'x' },
          ],
          timestamps: [1, 2],
          values: [1, 2],
          exemplars: 1,
        },
        { labels: [{ name: '__name__', value: 'def' }], timestamps: [3], values: [3] },
      ],
      { compress: false },
    );
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const b = good.slice();
        b[at] = byte;
        onlyIngestErrors(() => decodeWriteRequestV1(b));
        onlyIngestErrors(() => decodeRemoteWriteV1(snappyCompress(b)));
      }),
      { numRuns: 2000 },
    );
  });

  it('reports the whole request size limit before decoding', () => {
    expect(() => decodeRemoteWriteV1(snappyCompress(new Uint8Array(1000)), { maxDecompressedBytes: 999 })).toThrow(/more than the limit of 999 bytes/);
  });
});
