import { describe, it, expect } from 'vitest';
import {
  ApiParamError,
  mergeFormValues,
  parseApiDuration,
  parseInstantQueryParams,
  parseMatchParams,
  parseRangeQueryParams,
  parseTime,
} from '../../src/server/query-params.js';

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiParamError);
    return (e as Error).message;
  }
  throw new Error('expected an ApiParamError');
}

describe('time parameters', () => {
  it('reads float Unix seconds with millisecond precision', () => {
    expect(parseTime('1700000000.123')).toBe(1_700_000_000_123);
    expect(parseTime('1700000000')).toBe(1_700_000_000_000);
    expect(parseTime('-1.5')).toBe(-1500);
  });

  it('reads RFC 3339 with fractions and zone offsets', () => {
    expect(parseTime('2023-11-14T22:13:20.123Z')).toBe(1_700_000_000_123);
    expect(parseTime('2023-11-15T00:13:20+02:00')).toBe(1_700_000_000_000);
  });

  it("accepts Prometheus's min and max time strings", () => {
    expect(parseTime('-292273086-05-16T16:47:06Z')).toBe(Number.MIN_SAFE_INTEGER);
    expect(parseTime('292277025-08-18T07:12:54.999999999Z')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects anything else with the Prometheus message', () => {
    expect(errorOf(() => parseTime('yesterday'))).toBe('cannot parse "yesterday" to a valid timestamp');
    expect(errorOf(() => parseTime('2023-02-30T00:00:00Z'))).toBe('cannot parse "2023-02-30T00:00:00Z" to a valid timestamp');
    expect(errorOf(() => parseTime(''))).toBe('cannot parse "" to a valid timestamp');
  });
});

describe('duration parameters', () => {
  it('reads float seconds and Prometheus durations', () => {
    expect(parseApiDuration('15')).toBe(15_000);
    expect(parseApiDuration('0.5')).toBe(500);
    expect(parseApiDuration('1m30s')).toBe(90_000);
  });

  it('rejects a malformed duration', () => {
    expect(errorOf(() => parseApiDuration('1x'))).toBe('cannot parse "1x" to a valid duration');
  });

  it('rejects a duration that overflows int64 nanoseconds', () => {
    expect(errorOf(() => parseApiDuration('1e20'))).toBe('cannot parse "1e20" to a valid duration. It overflows int64');
  });
});

describe('/api/v1/query parameters', () => {
  it('defaults the time to now and parses the query', () => {
    const p = parseInstantQueryParams(new URLSearchParams({ query: 'up' }), 42_000);
    expect(p.timeMs).toBe(42_000);
    expect(p.expr).toMatchObject({ kind: 'VectorSelector', name: 'up' });
    expect(p.timeoutMs).toBeNull();
  });

  it('reads time and timeout', () => {
    const p = parseInstantQueryParams(new URLSearchParams({ query: 'up', time: '10.5', timeout: '30s' }), 0);
    expect(p).toMatchObject({ timeMs: 10_500, timeoutMs: 30_000 });
  });

  it('reports a bad time like Prometheus', () => {
    expect(errorOf(() => parseInstantQueryParams(new URLSearchParams({ query: 'up', time: 'x' }), 0))).toBe(
      `invalid parameter "time": invalid time value for 'time': cannot parse "x" to a valid timestamp`,
    );
  });

  it('reports a query that does not parse as a bad parameter', () => {
    expect(errorOf(() => parseInstantQueryParams(new URLSearchParams({ query: 'up +' }), 0))).toBe(
      'invalid parameter "query": 1:5: parse error: unexpected end of input',
    );
  });

  it('takes POST form values before URL values', () => {
    const form = mergeFormValues('query=from_url&time=1', 'query=from_body');
    expect(parseInstantQueryParams(form, 0)).toMatchObject({ query: 'from_body', timeMs: 1000 });
  });
});

describe('/api/v1/query_range parameters', () => {
  const range = (o: Record<string, string>) => parseRangeQueryParams(new URLSearchParams({ query: 'up', ...o }));

  it('reads start, end and step', () => {
    expect(range({ start: '0', end: '3600', step: '15' })).toMatchObject({ startMs: 0, endMs: 3_600_000, stepMs: 15_000 });
    expect(range({ start: '2023-11-14T22:13:20Z', end: '2023-11-14T23:13:20Z', step: '1m' })).toMatchObject({ stepMs: 60_000 });
  });

  it('rejects end before start', () => {
    expect(errorOf(() => range({ start: '10', end: '5', step: '1' }))).toBe('invalid parameter "end": end timestamp must not be before start time');
  });

  it('rejects a zero step', () => {
    expect(errorOf(() => range({ start: '0', end: '5', step: '0' }))).toBe(
      'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
    );
  });

  it('refuses more than 11,000 points per series', () => {
    expect(range({ start: '0', end: '11000', step: '1' }).stepMs).toBe(1000);
    expect(errorOf(() => range({ start: '0', end: '11001', step: '1' }))).toBe(
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    );
  });

  it('reports a missing start', () => {
    expect(errorOf(() => parseRangeQueryParams(new URLSearchParams({ query: 'up', end: '1', step: '1' })))).toBe(
      'invalid parameter "start": cannot parse "" to a valid timestamp',
    );
  });
});

describe('match[] parameters', () => {
  it('parses each selector into its matchers', () => {
    expect(parseMatchParams(['up', '{job=~"a|b"}'])).toEqual([[{ name: '__name__', type: '=', value: 'up' }], [{ name: 'job', type: '=~', value: 'a|b' }]]);
  });

  it('refuses a selector that matches everything', () => {
    expect(errorOf(() => parseMatchParams(['{job=~".*"}']))).toBe('invalid parameter "match[]": match[] must contain at least one non-empty matcher');
  });

  it('reports a selector that does not parse', () => {
    expect(errorOf(() => parseMatchParams(['up{']))).toBe('invalid parameter "match[]": 1:4: parse error: unexpected end of input inside braces');
  });
});
