import { describe, expect, it } from 'vitest';
import { STALE_NAN } from '../../src/model/index.js';
import { IngestError, formatExposition, formatPromFloat, parsePrometheusText } from '../../src/ingest/index.js';

const L = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));
const NOW = 1700000000000;

describe('Prometheus text exposition parsing', () => {
  it('parses samples with and without labels and timestamps', () => {
    const b = parsePrometheusText('up 1\nhttp_requests_total{method="get",code="200"} 1027 1395066363000\n', NOW);
    expect(b.seriesCount).toBe(2);
    expect(b.labels(0)).toEqual(L({ __name__: 'up' }));
    expect(b.labels(1)).toEqual(L({ __name__: 'http_requests_total', code: '200', method: 'get' }));
    expect([...b.timestamps]).toEqual([NOW, 1395066363000]);
    expect([...b.values]).toEqual([1, 1027]);
  });

  it('turns HELP and TYPE lines into metadata, unescaping HELP', () => {
    const b = parsePrometheusText(
      '# HELP http_requests_total The total number\\nof requests \\\\ served.\n# TYPE http_requests_total counter\nhttp_requests_total 3\n# TYPE temp gauge\n# TYPE old untyped\n',
      NOW,
    );
    expect(b.metadata).toEqual([
      { metricFamilyName: 'http_requests_total', type: 'counter', help: 'The total number\nof requests \\ served.', unit: '' },
      { metricFamilyName: 'temp', type: 'gauge', help: '', unit: '' },
      { metricFamilyName: 'old', type: 'unknown', help: '', unit: '' },
    ]);
  });

  it('ignores comments, blank lines and CRLF endings', () => {
    const b = parsePrometheusText('# just a comment\n\n   \nx 1\r\n#\n', NOW);
    expect(b.sampleCount).toBe(1);
  });

  it('decodes label value escapes', () => {
    const b = parsePrometheusText('x{path="C:\\\\dir\\"q\\"\\nnext"} 1\n', NOW);
    expect(b.labels(0)).toEqual(L({ __name__: 'x', path: 'C:\\dir"q"\nnext' }));
  });

  it('parses NaN, +Inf, -Inf and exponents', () => {
    const b = parsePrometheusText('a NaN\nb +Inf\nc -Inf\nd 1.5e-3\ne -0.5\nf .5\n', NOW);
    const v = [...b.values];
    expect(Number.isNaN(v[0])).toBe(true);
    expect(v.slice(1)).toEqual([Infinity, -Infinity, 0.0015, -0.5, 0.5]);
  });

  it('accepts negative timestamps, tabs, spaces and a trailing comma in labels', () => {
    const b = parsePrometheusText('x{a="1",} \t 2 \t -5000\n', NOW);
    expect(b.timestamps[0]).toBe(-5000);
    expect(b.labels(0)).toEqual(L({ __name__: 'x', a: '1' }));
  });

  it("accepts Prometheus 3's quoted UTF-8 metric and label names", () => {
    const b = parsePrometheusText('{"http.server.duration", "service.name"="api", le="0.5"} 3\n', NOW);
    expect(b.labels(0)).toEqual(L({ __name__: 'http.server.duration', le: '0.5', 'service.name': 'api' }));
  });

  it('rejects a syntax error with its line number', () => {
    try {
      parsePrometheusText('ok 1\nbad{a="1" 2\n', NOW);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IngestError);
      expect((e as IngestError).status).toBe(400);
      expect((e as IngestError).message).toMatch(/^invalid exposition line 2: expected ',' or '}'/);
    }
  });

  it('rejects bad values, bad timestamps, bad escapes and unknown types', () => {
    expect(() => parsePrometheusText('x abc\n', NOW)).toThrow(/invalid value "abc"/);
    expect(() => parsePrometheusText('x 1 1.5\n', NOW)).toThrow(/invalid timestamp "1.5"/);
    expect(() => parsePrometheusText('x 1 2 3\n', NOW)).toThrow(/unexpected text after the timestamp/);
    expect(() => parsePrometheusText('x{a="\\t"} 1\n', NOW)).toThrow(/invalid escape sequence/);
    expect(() => parsePrometheusText('# TYPE x bogus\n', NOW)).toThrow(/unknown metric type "bogus"/);
    expect(() => parsePrometheusText('x\n', NOW)).toThrow(/expected a space before the value/);
    expect(() => parsePrometheusText('x{a="1"\n', NOW)).toThrow(IngestError);
  });

  it('drops series with duplicate labels, keeping the others', () => {
    const b = parsePrometheusText('x{a="1",a="2"} 1\ny 2\n', NOW);
    expect(b.seriesCount).toBe(1);
    expect(b.dropped.reasons[0]).toMatch(/^duplicate label name "a"/);
  });
});

describe('exposition output (/federate)', () => {
  it('formats values as Prometheus does (Go %g, shortest)', () => {
    expect(formatPromFloat(1)).toBe('1');
    expect(formatPromFloat(-0)).toBe('0');
    expect(formatPromFloat(123456)).toBe('123456');
    expect(formatPromFloat(1e6)).toBe('1e+06');
    expect(formatPromFloat(1605619424)).toBe('1.605619424e+09');
    expect(formatPromFloat(0.0001)).toBe('0.0001');
    expect(formatPromFloat(0.00001)).toBe('1e-05');
    expect(formatPromFloat(1.5e-300)).toBe('1.5e-300');
    expect(formatPromFloat(NaN)).toBe('NaN');
    expect(formatPromFloat(-Infinity)).toBe('-Inf');
  });

  it('writes one untyped TYPE line per metric name and escapes label values', () => {
    const out = formatExposition([
      { labels: L({ __name__: 'up', instance: 'a', job: 'n' }), timestamp: 1000, value: 1 },
      { labels: L({ __name__: 'up', instance: 'b', job: 'n' }), timestamp: 1000, value: 0 },
      { labels: L({ __name__: 'x', p: 'q"\\\n' }), timestamp: 2000, value: 0.5 },
    ]);
    expect(out).toBe('# TYPE up untyped\nup{instance="a",job="n"} 1 1000\nup{instance="b",job="n"} 0 1000\n# TYPE x untyped\nx{p="q\\"\\\\\\n"} 0.5 2000\n');
  });

  it('quotes UTF-8 metric and label names', () => {
    const out = formatExposition([{ labels: L({ __name__: 'a.b', 'c.d': 'e', f: 'g' }), timestamp: 1, value: 2 }]);
    expect(out).toBe('# TYPE "a.b" untyped\n{"a.b","c.d"="e",f="g"} 2 1\n');
  });

  it('skips staleness markers', () => {
    expect(formatExposition([{ labels: L({ __name__: 'x' }), timestamp: 1, value: STALE_NAN }])).toBe('');
  });

  it('round-trips through the parser', () => {
    const text = formatExposition([
      { labels: L({ __name__: 'a.b', 'c.d': 'e"\n' }), timestamp: 5, value: 1e-7 },
      { labels: L({ __name__: 'm', z: 'x' }), timestamp: 6, value: -Infinity },
    ]);
    const b = parsePrometheusText(text, 0);
    expect(b.labels(0)).toEqual(L({ __name__: 'a.b', 'c.d': 'e"\n' }));
    expect([...b.values]).toEqual([1e-7, -Infinity]);
    expect([...b.timestamps]).toEqual([5, 6]);
  });
});
