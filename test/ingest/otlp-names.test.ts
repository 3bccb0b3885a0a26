import { describe, expect, it } from 'vitest';
import { labelName, metricName, unitName } from '../../src/ingest/otlp/index.js';

const P3 = 'UnderscoreEscapingWithSuffixes' as const;

describe('OTLP metric names, Prometheus 3 default (UnderscoreEscapingWithSuffixes)', () => {
  it('turns dots and other invalid characters into single underscores', () => {
    expect(metricName('http.server..request-count', '', 'gauge', P3)).toBe('http_server_request_count');
  });

  it('appends the unit word: s → seconds, By → bytes, ms → milliseconds', () => {
    expect(metricName('http.server.request.duration', 's', 'histogram', P3)).toBe('http_server_request_duration_seconds');
    expect(metricName('process.memory.usage', 'By', 'gauge', P3)).toBe('process_memory_usage_bytes');
    expect(metricName('rpc.latency', 'ms', 'summary', P3)).toBe('rpc_latency_milliseconds');
  });

  it('writes x/y units as x_per_y with the singular per-unit', () => {
    expect(metricName('network.io', 'By/s', 'gauge', P3)).toBe('network_io_bytes_per_second');
    expect(metricName('queue.rate', '{item}/m', 'gauge', P3)).toBe('queue_rate_per_minute');
  });

  it('drops {annotation} units and does not repeat a unit already in the name', () => {
    expect(metricName('http.requests', '{request}', 'counter', P3)).toBe('http_requests_total');
    expect(metricName('duration.seconds', 's', 'gauge', P3)).toBe('duration_seconds');
  });

  it('ends a monotonic sum in _total exactly once, after the unit', () => {
    expect(metricName('cpu.time', 's', 'counter', P3)).toBe('cpu_time_seconds_total');
    expect(metricName('requests.total', '', 'counter', P3)).toBe('requests_total');
    expect(metricName('up.down', '', 'nonMonotonicCounter', P3)).toBe('up_down');
  });

  it('gives gauges of unit 1 the _ratio suffix, but not counters', () => {
    expect(metricName('cpu.utilization', '1', 'gauge', P3)).toBe('cpu_utilization_ratio');
    expect(metricName('hits', '1', 'counter', P3)).toBe('hits_total');
  });

  it('prefixes a leading digit with _ and refuses a name with nothing left', () => {
    expect(metricName('5xx.count', '', 'gauge', P3)).toBe('_5xx_count');
    expect(metricName('...', '', 'gauge', P3)).toBe('');
  });

  it('keeps unknown units as words, cleaned', () => {
    expect(metricName('disk.ops', 'op s', 'gauge', P3)).toBe('disk_ops_op_s');
  });
});

describe('OTLP metric names, other strategies', () => {
  it('UnderscoreEscapingWithoutSuffixes escapes but adds no unit or type suffix', () => {
    expect(metricName('http.server.duration', 's', 'counter', 'UnderscoreEscapingWithoutSuffixes')).toBe('http_server_duration');
    expect(metricName('a__b', '', 'gauge', 'UnderscoreEscapingWithoutSuffixes')).toBe('a__b');
  });

  it('NoUTF8EscapingWithSuffixes keeps the name and adds suffixes', () => {
    expect(metricName('http.server.duration', 's', 'counter', 'NoUTF8EscapingWithSuffixes')).toBe('http.server.duration_seconds_total');
    expect(metricName('cpu.ratio', '1', 'gauge', 'NoUTF8EscapingWithSuffixes')).toBe('cpu_ratio');
  });

  it('NoTranslation keeps the name as sent (VictoriaMetrics-like)', () => {
    expect(metricName('http.server.duration', 's', 'counter', 'NoTranslation')).toBe('http.server.duration');
  });
});

describe('OTLP label names', () => {
  it('replaces invalid characters with _ and keeps multiple underscores', () => {
    expect(labelName('http.request.method', P3)).toBe('http_request_method');
    expect(labelName('a..b', P3)).toBe('a__b');
  });

  it('replaces a character outside the BMP with one underscore, as Go does per rune', () => {
    expect(labelName('a\u{1F600}b', P3)).toBe('a_b');
  });

  it('prefixes a leading digit with key_ and a single leading underscore with key', () => {
    expect(labelName('1st', P3)).toBe('key_1st');
    expect(labelName('_private', P3)).toBe('key_private');
    expect(labelName('__reserved__', P3)).toBe('__reserved__');
  });

  it('skips empty and underscore-only names', () => {
    expect(labelName('', P3)).toBe('');
    expect(labelName('...', P3)).toBe('');
  });

  it('keeps UTF-8 names as sent under the no-escaping strategies', () => {
    expect(labelName('http.method', 'NoTranslation')).toBe('http.method');
    expect(labelName('größe', 'NoUTF8EscapingWithSuffixes')).toBe('größe');
  });
});

describe('OTLP units', () => {
  it('records the unit in metadata as Prometheus words', () => {
    expect(unitName('By/s', P3)).toBe('bytes_per_second');
    expect(unitName('{request}', P3)).toBe('');
    expect(unitName('1', P3)).toBe('');
  });
});
