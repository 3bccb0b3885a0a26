import { describe, expect, it } from 'vitest';
import { IngestError, parseInfluxLines, parseInfluxPrecision } from '../../src/ingest/index.js';

const L = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));
const NOW = 1700000000000;

describe('Influx line protocol', () => {
  it('maps fields to measurement_field series and tags to labels', () => {
    const b = parseInfluxLines('cpu,host=a,region=eu usage_idle=99.5,usage_user=0.5 1700000000000000000\n', 'ns', NOW);
    expect(b.seriesCount).toBe(2);
    expect(b.labels(0)).toEqual(L({ __name__: 'cpu_usage_idle', host: 'a', region: 'eu' }));
    expect(b.labels(1)).toEqual(L({ __name__: 'cpu_usage_user', host: 'a', region: 'eu' }));
    expect([...b.values]).toEqual([99.5, 0.5]);
    expect([...b.timestamps]).toEqual([NOW, NOW]);
  });

  it('names a field called value after the measurement alone', () => {
    const b = parseInfluxLines('temperature,room=k value=21.5 1700000000', 's', NOW);
    expect(b.labels(0)).toEqual(L({ __name__: 'temperature', room: 'k' }));
  });

  it('reads integers, unsigned integers and booleans, and skips string fields', () => {
    const b = parseInfluxLines('m i=42i,u=7u,t=true,f=F,s="hello, \\"world\\" x=1",g=-3e2', 'ns', NOW);
    const got = Object.fromEntries([...Array(b.seriesCount).keys()].map((i) => [b.labels(i)[0]!.value, b.values[i]]));
    expect(got).toEqual({ m_i: 42, m_u: 7, m_t: 1, m_f: 0, m_g: -300 });
  });

  it('uses the current time when the timestamp is missing', () => {
    const b = parseInfluxLines('m v=1', 'ns', NOW);
    expect(b.timestamps[0]).toBe(NOW);
  });

  it('converts every precision to milliseconds exactly', () => {
    const ts = (line: string, p: Parameters<typeof parseInfluxLines>[1]) => parseInfluxLines(line, p, NOW).timestamps[0];
    expect(ts('m v=1 1700000000123999999', 'ns')).toBe(1700000000123);
    expect(ts('m v=1 1700000000123999', 'us')).toBe(1700000000123);
    expect(ts('m v=1 1700000000123', 'ms')).toBe(1700000000123);
    expect(ts('m v=1 1700000000', 's')).toBe(1700000000000);
    expect(ts('m v=1 28333333', 'm')).toBe(28333333 * 60000);
    expect(ts('m v=1 472222', 'h')).toBe(472222 * 3600000);
    expect(ts('m v=1 -1500000', 'ns')).toBe(-1);
  });

  it('parses the precision argument', () => {
    expect(parseInfluxPrecision(undefined)).toBe('ns');
    expect(parseInfluxPrecision('u')).toBe('us');
    expect(parseInfluxPrecision('s')).toBe('s');
    expect(() => parseInfluxPrecision('days')).toThrow(/unknown precision "days"/);
  });

  it('unescapes commas, spaces and equals signs in names and tags', () => {
    const b = parseInfluxLines('my\\ meas\\,ure,tag\\ key=va\\=l\\,ue\\ x fi\\=eld=1 1', 'ms', NOW);
    expect(b.labels(0)).toEqual(L({ __name__: 'my meas,ure_fi=eld', 'tag key': 'va=l,ue x' }));
  });

  it('skips comments and blank lines', () => {
    const b = parseInfluxLines('# comment\n\nm v=1 1\r\n', 'ms', NOW);
    expect(b.sampleCount).toBe(1);
  });

  it('adds a db label from the db argument unless a tag sets it', () => {
    const b = parseInfluxLines('m value=1 1\nn,db=own value=1 1', 'ms', NOW, undefined, { db: 'telegraf' });
    expect(b.labels(0)).toEqual(L({ __name__: 'm', db: 'telegraf' }));
    expect(b.labels(1)).toEqual(L({ __name__: 'n', db: 'own' }));
  });

  it('rejects malformed lines with the line number', () => {
    for (const [line, msg] of [
      ['m', /missing fields/],
      ['m v=', /empty field value/],
      ['m v=abc', /invalid field value "abc"/],
      ['m v=1 12x', /invalid timestamp "12x"/],
      ['m,t v=1', /tag "t v" has no '='|has no '='/],
      ['m s="open', /unterminated string/],
      ['m v=1.5i', /invalid integer field value/],
    ] as const) {
      try {
        parseInfluxLines(`ok v=1\n${line}`, 'ns', NOW);
        expect.unreachable(line);
      } catch (e) {
        expect(e).toBeInstanceOf(IngestError);
        expect((e as IngestError).message).toMatch(/^invalid Influx line 2: /);
        expect((e as IngestError).message).toMatch(msg);
      }
    }
  });
});
