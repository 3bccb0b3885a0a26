import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IngestError, formatJsonLine, formatVMFloat, parseJsonLines } from '../../src/ingest/index.js';

const L = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

describe('VictoriaMetrics float formatting', () => {
  it('prints integral values as integers', () => {
    expect(formatVMFloat(0)).toBe('0');
    expect(formatVMFloat(42)).toBe('42');
    expect(formatVMFloat(-7)).toBe('-7');
    expect(formatVMFloat(1e15)).toBe('1000000000000000');
  });

  it('prints integral values within int64 with every digit, as Go int conversion does', () => {
    expect(formatVMFloat(2 ** 60)).toBe('1152921504606846976');
    expect(formatVMFloat(-(2 ** 63))).toBe('-9223372036854775808');
  });

  it('prints integral values beyond int64 with shortest digits padded by zeros', () => {
    expect(formatVMFloat(12345678901234567890)).toBe('12345678901234567000');
    expect(formatVMFloat(2 ** 63)).toBe('9223372036854776000');
  });

  it('keeps the sign of -0, as the query API does', () => {
    expect(formatVMFloat(-0)).toBe('-0');
  });

  it('prints huge integral values in the shortest exponent form', () => {
    expect(formatVMFloat(1e21)).toBe('1e+21');
    expect(formatVMFloat(-1.5e22)).toBe('-1.5e+22');
  });

  it('prints fractions with the shortest round-trip digits, tiny ones with an exponent', () => {
    expect(formatVMFloat(0.1)).toBe('0.1');
    expect(formatVMFloat(0.000001)).toBe('0.000001');
    expect(formatVMFloat(1.5e-7)).toBe('1.5e-7');
    expect(formatVMFloat(123.456)).toBe('123.456');
    expect(formatVMFloat(1e-300)).toBe('1e-300');
    expect(formatVMFloat(5e-324)).toBe('5e-324');
  });

  it('prints every finite value so that JSON reads back the same bits', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(Object.is(JSON.parse(formatVMFloat(v)), v)).toBe(true);
      }),
    );
  });

  it('prints NaN and infinities as VictoriaMetrics does', () => {
    expect(formatVMFloat(NaN)).toBe('NaN');
    expect(formatVMFloat(Infinity)).toBe('+Inf');
    expect(formatVMFloat(-Infinity)).toBe('-Inf');
  });

  it('round-trips every finite double through its text', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const back = Number(formatVMFloat(v));
        expect(Object.is(back, v) || (v === 0 && back === 0)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('JSON lines import', () => {
  it('parses the VictoriaMetrics export format', () => {
    const b = parseJsonLines(
      '{"metric":{"__name__":"up","job":"node","instance":"a"},"values":[1,0.5],"timestamps":[1700000000000,1700000015000]}\n' +
        '{"metric":{"__name__":"temp"},"values":[21],"timestamps":[1700000000000]}\n',
    );
    expect(b.seriesCount).toBe(2);
    expect(b.labels(0)).toEqual(L({ __name__: 'up', instance: 'a', job: 'node' }));
    expect([...b.values]).toEqual([1, 0.5, 21]);
    expect([...b.timestamps]).toEqual([1700000000000, 1700000015000, 1700000000000]);
    expect([...b.seriesIndex]).toEqual([0, 0, 1]);
  });

  it('accepts bare NaN/+Inf/-Inf as VictoriaMetrics exports them, and null / special strings', () => {
    const b = parseJsonLines('{"metric":{"__name__":"x"},"values":[NaN,+Inf,-Inf,null,"Infinity","-inf","nan"],"timestamps":[1,2,3,4,5,6,7]}');
    const v = [...b.values];
    expect(Number.isNaN(v[0])).toBe(true);
    expect(v.slice(1, 3)).toEqual([Infinity, -Infinity]);
    expect(Number.isNaN(v[3])).toBe(true);
    expect(v.slice(4, 6)).toEqual([Infinity, -Infinity]);
    expect(Number.isNaN(v[6])).toBe(true);
  });

  it('gives lines of the same series the same key, whatever the label order', () => {
    const b = parseJsonLines(
      '{"metric":{"__name__":"x","a":"1"},"values":[1],"timestamps":[1]}\n{"metric":{"a":"1","__name__":"x"},"values":[2],"timestamps":[2]}\n',
    );
    expect(b.keys[1]).toBe(b.keys[0]);
    expect([...b.seriesIndex]).toEqual([0, 1]);
  });

  it('skips blank lines and tolerates CRLF', () => {
    const b = parseJsonLines('\n{"metric":{"__name__":"x"},"values":[1],"timestamps":[1]}\r\n\n');
    expect(b.sampleCount).toBe(1);
  });

  it('decodes string escapes in labels', () => {
    const b = parseJsonLines('{"metric":{"__name__":"x","p":"a\\"b\\\\c\\n\\u00e9\\u003c"},"values":[1],"timestamps":[1]}');
    expect(b.labels(0)).toEqual(L({ __name__: 'x', p: 'a"b\\c\né<' }));
  });

  it('rejects mismatched array lengths with the line number', () => {
    const e = (() => {
      try {
        parseJsonLines('{"metric":{"__name__":"x"},"values":[1],"timestamps":[1]}\n{"metric":{"__name__":"x"},"values":[1,2],"timestamps":[1]}');
      } catch (err) {
        return err as IngestError;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(IngestError);
    expect(e.status).toBe(400);
    expect(e.message).toBe('invalid JSON line 2: "timestamps" has 1 entries but "values" has 2');
  });

  it('rejects syntax errors, missing fields and non-integer timestamps', () => {
    expect(() => parseJsonLines('{"metric":{"__name__":"x"},"values":[1],"timestamps":[1]')).toThrow(/invalid JSON line 1/);
    expect(() => parseJsonLines('{"values":[1],"timestamps":[1]}')).toThrow(/missing "metric" object/);
    expect(() => parseJsonLines('{"metric":{"__name__":"x"},"timestamps":[1]}')).toThrow(/missing "values" array/);
    expect(() => parseJsonLines('{"metric":{"__name__":"x"},"values":[1],"timestamps":[1.5]}')).toThrow(/timestamp at position 0 is not an integer/);
    expect(() => parseJsonLines('{"metric":{"__name__":"x"},"values":[true],"timestamps":[1]}')).toThrow(/value at position 0 is not a number/);
    expect(() => parseJsonLines('{"metric":{"__name__":1},"values":[1],"timestamps":[1]}')).toThrow(/must be a string/);
    expect(() => parseJsonLines(new Uint8Array([0x7b, 0xff]))).toThrow(/not valid UTF-8/);
  });

  it('drops a series with invalid labels and keeps the other lines', () => {
    const b = parseJsonLines(
      '{"metric":{"__name__":"x","a":"\\ud800"},"values":[1,2],"timestamps":[1,2]}\n{"metric":{"__name__":"y"},"values":[1],"timestamps":[1]}',
    );
    expect(b.seriesCount).toBe(1);
    expect(b.dropped).toMatchObject({ series: 1, samples: 2 });
    expect(b.dropped.reasons[0]).toMatch(/invalid UTF-8 in the value of label "a"/);
  });
});

describe('JSON lines export', () => {
  it('writes __name__ first, then labels, VictoriaMetrics-formatted values and a newline', () => {
    const line = formatJsonLine(L({ __name__: 'up', instance: 'a', job: 'node' }), [1700000000000, 1700000015000], [1, 0.25]);
    expect(line).toBe('{"metric":{"__name__":"up","instance":"a","job":"node"},"values":[1,0.25],"timestamps":[1700000000000,1700000015000]}\n');
  });

  it("escapes strings as VictoriaMetrics's quicktemplate does", () => {
    const line = formatJsonLine(L({ __name__: 'x', p: `a"b\\c\n<'\u0001é` }), [1], [1]);
    expect(line).toBe('{"metric":{"__name__":"x","p":"a\\"b\\\\c\\n\\u003c\\u0027\\u0001é"},"values":[1],"timestamps":[1]}\n');
  });

  it('round-trips a VictoriaMetrics export line byte for byte through import', () => {
    const original =
      '{"metric":{"__name__":"node_load1","instance":"h:9100","job":"node"},"values":[0.15,0.000015,NaN,+Inf,1152921504606846976,12345678901234567000,-3.5],"timestamps":[1,2,3,4,5,6,7]}\n';
    const b = parseJsonLines(original);
    expect(formatJsonLine(b.labels(0), b.timestamps, b.values)).toBe(original);
  });

  it('round-trips random values and labels byte for byte', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 20 }), fc.string({ minLength: 1 }), (vals, labelValue) => {
        const ts = vals.map((_, i) => 1700000000000 + i * 1000);
        const line = formatJsonLine(L({ __name__: 'm', l: labelValue }), ts, vals);
        const b = parseJsonLines(line);
        expect(formatJsonLine(b.labels(0), b.timestamps, b.values)).toBe(line);
      }),
      { numRuns: 300 },
    );
  });
});
