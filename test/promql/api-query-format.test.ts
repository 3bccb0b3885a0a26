import { describe, it, expect } from 'vitest';
import {
  errorResponse,
  formatError,
  formatQueryResponse,
  formatSampleValue,
  formatTimestamp,
  formatFormatQueryResponse,
} from '../../src/server/query-format.js';
import { ApiParamError } from '../../src/server/query-params.js';
import { PromQLError } from '../../src/promql/engine.js';
import { parseExpr, ParseError } from '../../src/promql/parser.js';

describe('value formatting', () => {
  it('writes special values as Prometheus does', () => {
    expect(formatSampleValue(Infinity)).toBe('+Inf');
    expect(formatSampleValue(-Infinity)).toBe('-Inf');
    expect(formatSampleValue(NaN)).toBe('NaN');
  });

  it('writes the shortest round-trip decimal', () => {
    expect(formatSampleValue(1.5)).toBe('1.5');
    expect(formatSampleValue(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatSampleValue(123456789)).toBe('123456789');
  });

  it('uses a two-digit exponent below 1e-6 and from 1e21', () => {
    expect(formatSampleValue(1e-7)).toBe('1e-07');
    expect(formatSampleValue(0.000001)).toBe('0.000001');
    expect(formatSampleValue(1.5e21)).toBe('1.5e+21');
    expect(formatSampleValue(1e100)).toBe('1e+100');
  });

  it('writes timestamps as seconds with millisecond digits', () => {
    expect(formatTimestamp(1_700_000_000_123)).toBe('1700000000.123');
    expect(formatTimestamp(1_700_000_000_000)).toBe('1700000000');
    expect(formatTimestamp(1_005)).toBe('1.005');
    expect(formatTimestamp(1_500)).toBe('1.500');
    expect(formatTimestamp(-1_500)).toBe('-1.500');
  });
});

describe('query responses', () => {
  it('renders an instant vector', () => {
    const body = formatQueryResponse(
      {
        value: {
          type: 'vector',
          samples: [
            {
              labels: [
                { name: '__name__', value: 'up' },
                { name: 'job', value: 'a' },
              ],
              t: 1_700_000_000_123,
              v: 1.5,
            },
          ],
        },
        warnings: [],
        infos: [],
      },
      'up',
    );
    expect(body).toBe('{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1700000000.123,"1.5"]}]}}');
  });

  it('renders a matrix', () => {
    const body = formatQueryResponse(
      {
        value: {
          type: 'matrix',
          series: [{ labels: [{ name: 'a', value: 'b' }], timestamps: Float64Array.from([0, 15_000]), values: Float64Array.from([1, Infinity]) }],
        },
        warnings: [],
        infos: [],
      },
      'x',
    );
    expect(body).toBe('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[0,"1"],[15,"+Inf"]]}]}}');
  });

  it('renders scalars and strings', () => {
    expect(formatQueryResponse({ value: { type: 'scalar', t: 1000, v: 2 }, warnings: [], infos: [] }, '2')).toBe(
      '{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}',
    );
    expect(formatQueryResponse({ value: { type: 'string', t: 1000, v: 'a"b' }, warnings: [], infos: [] }, '"a"')).toBe(
      '{"status":"success","data":{"resultType":"string","result":[1,"a\\"b"]}}',
    );
  });

  it('lists annotations with their query positions', () => {
    const body = formatQueryResponse(
      {
        value: { type: 'vector', samples: [] },
        warnings: [
          { message: 'PromQL warning: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "foo"', pos: { start: 5, end: 12 } },
        ],
        infos: [{ message: 'PromQL info: something' }],
      },
      'rate(foo[5m])',
    );
    expect(JSON.parse(body)).toEqual({
      status: 'success',
      data: { resultType: 'vector', result: [] },
      warnings: ['PromQL warning: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "foo" (1:6)'],
      infos: ['PromQL info: something'],
    });
  });

  it('caps annotations at ten per kind', () => {
    const warnings = Array.from({ length: 12 }, (_, i) => ({ message: `PromQL warning: w${i}` }));
    const parsed = JSON.parse(formatQueryResponse({ value: { type: 'vector', samples: [] }, warnings, infos: [] }, 'x')) as { warnings: string[] };
    expect(parsed.warnings).toHaveLength(11);
    expect(parsed.warnings[10]).toBe('2 more warning annotations omitted');
  });

  it('wraps a formatted query', () => {
    expect(formatFormatQueryResponse('sum(x)')).toBe('{"status":"success","data":"sum(x)"}');
  });
});

describe('error responses', () => {
  it('uses the Prometheus envelope and status codes', () => {
    expect(formatError('bad_data', 'nope')).toEqual({ status: 400, body: '{"status":"error","errorType":"bad_data","error":"nope"}' });
    expect(formatError('execution', 'x').status).toBe(422);
    expect(formatError('timeout', 'x').status).toBe(503);
  });

  it('maps thrown errors to their error types', () => {
    expect(errorResponse(new ApiParamError('bad')).status).toBe(400);
    expect(errorResponse(new PromQLError('execution', 'many-to-many matching not allowed')).status).toBe(422);
    expect(errorResponse(new PromQLError('timeout', 'query timed out')).status).toBe(503);
    let parseError: unknown;
    try {
      parseExpr('sum(');
    } catch (e) {
      parseError = e;
    }
    expect(parseError).toBeInstanceOf(ParseError);
    expect(errorResponse(parseError).status).toBe(400);
    expect(errorResponse(new Error('boom'))).toEqual({ status: 422, body: '{"status":"error","errorType":"execution","error":"boom"}' });
  });
});
