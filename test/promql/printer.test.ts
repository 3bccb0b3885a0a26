import { describe, it, expect } from 'vitest';
import { parseExpr } from '../../src/promql/parser.js';
import { printExpr, prettyExpr } from '../../src/promql/printer.js';

const print = (q: string): string => printExpr(parseExpr(q));

describe('printExpr (Prometheus String() format)', () => {
  it('sorts matchers and folds the metric name', () => {
    expect(print('foo{z="1", a=~"x.*"}')).toBe('foo{a=~"x.*",z="1"}');
    expect(print('{__name__="foo"}')).toBe('{__name__="foo"}');
  });

  it('prints durations in canonical units', () => {
    expect(print('rate(foo[90s])')).toBe('rate(foo[1m30s])');
    expect(print('foo[86400s]')).toBe('foo[1d]');
    expect(print('foo[14d]')).toBe('foo[2w]');
  });

  it('prints @ before offset, with three decimals', () => {
    expect(print('foo offset 5m @ 100')).toBe('foo @ 100.000 offset 5m');
    expect(print('foo offset -1h')).toBe('foo offset -1h');
    expect(print('rate(foo[5m] @ end() offset 1m)')).toBe('rate(foo[5m] @ end() offset 1m)');
  });

  it('prints subqueries with and without a step', () => {
    expect(print('max_over_time(rate(foo[1m])[1h:]  offset 5m)')).toBe('max_over_time(rate(foo[1m])[1h:] offset 5m)');
    expect(print('foo[1h:5m]')).toBe('foo[1h:5m]');
  });

  it('prints aggregations with the grouping clause first', () => {
    expect(print('sum(foo) by (a,b)')).toBe('sum by (a, b) (foo)');
    expect(print('topk without(x)(5, foo)')).toBe('topk without (x) (5, foo)');
    expect(print('sum by () (foo)')).toBe('sum(foo)');
  });

  it('prints binary operators with their modifiers', () => {
    expect(print('a > bool on(x) group_left(y) b')).toBe('a > bool on (x) group_left (y) b');
    expect(print('a+ignoring(x)b')).toBe('a + ignoring (x) b');
    expect(print('a + fill(0) b')).toBe('a + fill (0) b');
    expect(print('a + fill_left(1) fill_right(2) b')).toBe('a + fill_left (1) fill_right (2) b');
  });

  it('keeps parentheses and unary operators as written', () => {
    expect(print('-(a + b) * 2')).toBe('-(a + b) * 2');
    expect(print('- 1')).toBe('-1');
  });

  it('prints numbers in Go %f style and durations as durations', () => {
    expect(print('0x10')).toBe('16');
    expect(print('1e3')).toBe('1000');
    expect(print('1e-7')).toBe('0.0000001');
    expect(print('Inf')).toBe('+Inf');
    expect(print('5m')).toBe('5m');
  });

  it('quotes strings the Go way', () => {
    expect(print('label_replace(up, "a", "$1\\n", "b", `(.*)`)')).toBe('label_replace(up, "a", "$1\\n", "b", "(.*)")');
  });

  it('quotes label names that are not plain identifiers', () => {
    expect(print('{"my.metric", "a.b"="c"}')).toBe('{"a.b"="c",__name__="my.metric"}');
    expect(print('sum by ("a.b") (foo)')).toBe('sum by ("a.b") (foo)');
  });

  it('prints duration expressions as written', () => {
    expect(print('foo[5m+step()]')).toBe('foo[5m + step()]');
    expect(print('foo offset min_of(step(), 1s)')).toBe('foo offset min_of(step(), 1s)');
  });
});

describe('prettyExpr (format_query)', () => {
  it('splits an aggregation whose body is too long', () => {
    const q = 'sum by (job) (rate(http_requests_total{job="api-server",handler="/api/v1/query",instance="localhost:9090"}[5m]))';
    expect(prettyExpr(parseExpr(q))).toBe(
      ['sum by (job) (', '  rate(http_requests_total{handler="/api/v1/query",instance="localhost:9090",job="api-server"}[5m])', ')'].join('\n'),
    );
  });

  it('keeps a short expression on one line', () => {
    expect(prettyExpr(parseExpr('sum(rate(foo[5m])) by (job)'))).toBe('sum by (job) (rate(foo[5m]))');
  });

  it('splits a long expression over indented lines', () => {
    const q =
      'sum by (job) (rate(http_requests_total{job="api-server",handler="/api/v1/query"}[5m])) / sum by (job) (rate(http_requests_total{job="api-server"}[5m]))';
    expect(prettyExpr(parseExpr(q))).toBe(
      [
        '  sum by (job) (rate(http_requests_total{handler="/api/v1/query",job="api-server"}[5m]))',
        '/',
        '  sum by (job) (rate(http_requests_total{job="api-server"}[5m]))',
      ].join('\n'),
    );
  });
});
