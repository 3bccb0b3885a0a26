import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { JsonWriter } from '../../src/server/json-writer.js';
import { formatQueryBody, formatQueryResponse, formatSampleValue, formatTimestamp } from '../../src/server/query-format.js';
import type { Value } from '../../src/promql/engine.js';

const written = (f: (w: JsonWriter) => void): string => {
  const w = new JsonWriter(8);
  f(w);
  return w.toString();
};

describe('JSON writer', () => {
  it('writes integer sample values with the same digits as formatSampleValue', () => {
    for (const v of [1, -1, 9, 10, 99, 100, 123456789, 2 ** 31, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 1e15 + 7, 4503599627370497]) {
      expect(written((w) => w.sampleValue(v, formatSampleValue))).toBe(formatSampleValue(v));
    }
  });

  it('writes any double as formatSampleValue does', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double(),
          fc.integer().map((x) => x * 1000),
          fc.maxSafeInteger(),
          fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e21, 1e-7),
        ),
        (v) => {
          expect(written((w) => w.sampleValue(v, formatSampleValue))).toBe(formatSampleValue(v));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('writes timestamps as formatTimestamp does', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), fc.maxSafeInteger(), fc.constantFrom(0, -0, 1005, -1500, 1_700_000_000_123)), (t) => {
        expect(written((w) => w.timestamp(t))).toBe(formatTimestamp(t));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes strings exactly as JSON.stringify, UTF-8 intact', () => {
    for (const s of ['plain', 'a"b', 'back\\slash', 'tab\t', 'ünïcödé', '😀', '<&>', '', '\u007f', '\u2028']) {
      expect(written((w) => w.jsonString(s))).toBe(JSON.stringify(s));
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(written((w) => w.jsonString(s))).toBe(JSON.stringify(s));
      }),
    );
  });

  it('grows past its initial capacity without losing bytes', () => {
    const long = 'x'.repeat(10_000);
    expect(
      written((w) => {
        w.ascii('[');
        w.ascii(long);
        w.ascii(']');
      }),
    ).toBe(`[${long}]`);
  });
});

describe('query body bytes', () => {
  const matrix: Value = {
    type: 'matrix',
    series: [
      {
        labels: [
          { name: '__name__', value: 'up' },
          { name: 'job', value: 'ünï "q"' },
        ],
        timestamps: Float64Array.from([0, 15_000, 30_500]),
        values: Float64Array.from([1, 0.1 + 0.2, NaN]),
      },
      { labels: [], timestamps: Float64Array.from([1_700_000_000_123]), values: Float64Array.from([-1e-7]) },
    ],
  };

  it('matches the string rendering for every result type', () => {
    const values: Value[] = [
      matrix,
      {
        type: 'vector',
        samples: [
          { labels: [{ name: 'a', value: 'b' }], t: 1000, v: 2 ** 40 },
          { labels: [], t: 1001, v: -Infinity },
        ],
      },
      { type: 'scalar', t: 1000, v: -0 },
      { type: 'string', t: 1000, v: 'a"b' },
    ];
    for (const value of values) {
      const bytes = formatQueryBody(value, ['w'], ['i']);
      expect(Buffer.from(bytes).toString('utf8')).toBe(formatQueryResponse({ value, warnings: [{ message: 'w' }], infos: [{ message: 'i' }] }, 'x'));
    }
  });

  it('puts extra members inside data', () => {
    const body = Buffer.from(formatQueryBody({ type: 'scalar', t: 1000, v: 1 }, [], [], '"stats":{"n":1}')).toString('utf8');
    expect(JSON.parse(body)).toEqual({ status: 'success', data: { resultType: 'scalar', result: [1, '1'], stats: { n: 1 } } });
  });
});
