import { describe, it, expect } from 'vitest';
import { DurationError, formatDuration, parseDuration, resolveDuration } from '../../src/promql/duration.js';
import { parseExpr } from '../../src/promql/parser.js';
import type { MatrixSelector, VectorSelector } from '../../src/promql/ast.js';

describe('parseDuration', () => {
  it('reads compound durations, largest unit first', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1y')).toBe(365 * 86_400_000);
    expect(parseDuration('2w1d')).toBe(15 * 86_400_000);
    expect(parseDuration('10s53ms')).toBe(10_053);
    expect(parseDuration('0')).toBe(0);
  });

  it('rejects units out of order, fractions, signs and bare numbers', () => {
    for (const bad of ['30m1h', '1.5m', '-5m', '100', '', '5m5m', '1hh']) {
      expect(() => parseDuration(bad), bad).toThrow(DurationError);
    }
  });

  it('names an unknown unit', () => {
    expect(() => parseDuration('5x')).toThrow('unknown unit "x" in duration "5x"');
  });
});

describe('formatDuration', () => {
  it('uses years and weeks only when exact', () => {
    expect(formatDuration(90 * 86_400_000)).toBe('90d');
    expect(formatDuration(91 * 86_400_000)).toBe('13w');
    expect(formatDuration(365 * 86_400_000)).toBe('1y');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(1_500)).toBe('1s500ms');
    expect(formatDuration(0)).toBe('0s');
  });
});

describe('resolveDuration', () => {
  const range = (q: string) => (parseExpr(q) as MatrixSelector).range;

  it('evaluates arithmetic with step() and range()', () => {
    expect(resolveDuration(range('foo[5m+step()]'), { stepMs: 15_000, rangeMs: 0 })).toBe(315_000);
    expect(resolveDuration(range('foo[max_of(range(), 1m) * 2]'), { stepMs: 0, rangeMs: 3_600_000 })).toBe(7_200_000);
  });

  it('refuses a non-positive range but allows a negative offset', () => {
    expect(() => resolveDuration(range('foo[step()]'), { stepMs: 0, rangeMs: 0 })).toThrow('duration must be greater than 0');
    const offset = (parseExpr('foo offset -(step())') as VectorSelector).offset!;
    expect(resolveDuration(offset, { stepMs: 10_000, rangeMs: 0 }, true)).toBe(-10_000);
  });
});
