/**
 * Bad input never crashes or hangs the parser: any string either parses or throws ParseError.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseExpr, ParseError } from '../../src/promql/parser.js';

const SEEDS = [
  'sum by (job) (rate(http_requests_total{job=~"api.*"}[5m] offset 1m))',
  'a + on(x) group_left(y) b > bool 1',
  'foo[1h:5m] @ start()',
  'label_replace(up, "a", "$1", "b", "(.*)")',
  'topk(3, -x ^ 2 % 5 unless y)',
  'count_values("v", foo{a!="b"}) or vector(1)',
];

function parsesOrParseError(q: string): void {
  try {
    parseExpr(q);
  } catch (e) {
    if (!(e instanceof ParseError)) throw new Error(`${JSON.stringify(q)} threw ${String(e)}`);
    expect(e.message).toMatch(/^\d+:\d+: parse error: /);
  }
}

describe('parser robustness', () => {
  it('handles arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (q) => parsesOrParseError(q)),
      { numRuns: 2000 },
    );
  });

  it('handles arbitrary edits of valid queries', () => {
    const edit = fc.tuple(fc.constantFrom(...SEEDS), fc.nat(), fc.nat(8), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(edit, ([seed, at, del, ins]) => {
        const i = at % (seed.length + 1);
        parsesOrParseError(seed.slice(0, i) + ins + seed.slice(i + del));
      }),
      { numRuns: 3000 },
    );
  });

  it('handles token soup built from PromQL tokens', () => {
    const token = fc.constantFrom(
      'sum',
      'by',
      '(',
      ')',
      '{',
      '}',
      '[',
      ']',
      '5m',
      ':',
      'offset',
      '@',
      '-',
      '+',
      '^',
      'foo',
      '"x"',
      ',',
      '=~',
      'on',
      'bool',
      '>',
      'rate',
      '1',
      'and',
      ' ',
      'start()',
      'group_left',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 25 }), (ts) => parsesOrParseError(ts.join(''))),
      { numRuns: 3000 },
    );
  });
});
