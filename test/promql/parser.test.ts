import { describe, it, expect } from 'vitest';
import { parseExpr, parseSeriesSelector, ParseError, compileLabelRegex, unquoteString, parseNumber } from '../../src/promql/parser.js';
import type { BinaryExpr, Expr } from '../../src/promql/ast.js';

function errorOf(q: string): string {
  try {
    parseExpr(q);
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return (e as Error).message;
  }
  throw new Error(`expected ${q} to fail`);
}

/** A compact bracketed rendering of operator structure, for precedence tests. */
function shape(e: Expr): string {
  switch (e.kind) {
    case 'BinaryExpr':
      return `(${shape(e.lhs)} ${e.op} ${shape(e.rhs)})`;
    case 'UnaryExpr':
      return `(${e.op}${shape(e.expr)})`;
    case 'NumberLiteral':
      return String(e.value);
    case 'VectorSelector':
      return e.name;
    case 'ParenExpr':
      return `[${shape(e.expr)}]`;
    default:
      return e.kind;
  }
}

describe('number and string literals', () => {
  it('reads decimal, exponent, hex, octal and special numbers', () => {
    expect(parseNumber('1.5e3')).toBe(1500);
    expect(parseNumber('0x1F')).toBe(31);
    expect(parseNumber('017')).toBe(15);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('Inf')).toBe(Infinity);
    expect(Number.isNaN(parseNumber('nan'))).toBe(true);
  });

  it('parses a number literal with its value', () => {
    expect(parseExpr('0x10')).toMatchObject({ kind: 'NumberLiteral', value: 16 });
    expect(parseExpr('-Inf')).toMatchObject({ kind: 'NumberLiteral', value: -Infinity });
  });

  it('folds a unary minus into a number literal, as Prometheus does', () => {
    expect(parseExpr('-1')).toMatchObject({ kind: 'NumberLiteral', value: -1, pos: { start: 0, end: 2 } });
  });

  it('reads a duration used as a number as seconds', () => {
    expect(parseExpr('1h30m')).toMatchObject({ kind: 'NumberLiteral', value: 5400, isDuration: true });
  });

  it('decodes Go escapes in double- and single-quoted strings and keeps raw strings raw', () => {
    expect(unquoteString('"a\\nb\\t\\"\\x41\\101\\u00e9\\U0001F600"')).toBe('a\nb\t"AAé😀');
    expect(unquoteString("'it\\'s'")).toBe("it's");
    expect(unquoteString('`a\\nb`')).toBe('a\\nb');
  });

  it('rejects an escape of the other quote kind', () => {
    expect(() => unquoteString('"\\\'"')).toThrow();
  });

  it('parses a string literal expression', () => {
    expect(parseExpr('"hello"')).toMatchObject({ kind: 'StringLiteral', value: 'hello' });
  });
});

describe('selectors', () => {
  it('puts the name matcher last, after the braces matchers', () => {
    const e = parseExpr('foo{a="b", c!~"d.*"}');
    expect(e).toMatchObject({
      kind: 'VectorSelector',
      name: 'foo',
      matchers: [
        { name: 'a', type: '=', value: 'b' },
        { name: 'c', type: '!~', value: 'd.*' },
        { name: '__name__', type: '=', value: 'foo' },
      ],
      offset: null,
      at: null,
    });
  });

  it('accepts quoted UTF-8 metric and label names', () => {
    const e = parseExpr('{"my.metric", "label.with.dots"="x"}');
    expect(e).toMatchObject({
      name: 'my.metric',
      matchers: [
        { name: '__name__', type: '=', value: 'my.metric' },
        { name: 'label.with.dots', type: '=', value: 'x' },
      ],
    });
  });

  it('accepts a trailing comma in the matcher list', () => {
    expect(parseExpr('foo{a="b",}').kind).toBe('VectorSelector');
  });

  it('requires at least one matcher that does not match the empty string', () => {
    expect(errorOf('{a=""}')).toBe('1:1: parse error: vector selector must contain at least one non-empty matcher');
    expect(errorOf('{a=~".*"}')).toContain('vector selector must contain at least one non-empty matcher');
    expect(parseExpr('{a=~".+"}').kind).toBe('VectorSelector');
  });

  it('refuses a metric name given twice', () => {
    expect(errorOf('foo{__name__="bar"}')).toBe('1:1: parse error: metric name must not be set twice: "foo" or "bar"');
  });

  it('reports an invalid regex', () => {
    expect(errorOf('foo{a=~"("}')).toMatch(/^1:5: parse error: error parsing regexp/);
  });

  it('parses a range selector with a compound duration', () => {
    expect(parseExpr('foo[1h30m]')).toMatchObject({ kind: 'MatrixSelector', range: { kind: 'DurationLiteral', ms: 5_400_000 } });
  });

  it('reads a bare number range as seconds', () => {
    expect(parseExpr('foo[90]')).toMatchObject({ range: { kind: 'DurationLiteral', ms: 90_000 } });
  });

  it('parses offset (also negative) and @ on either side of each other', () => {
    const a = parseExpr('foo offset -5m @ 100');
    const b = parseExpr('foo @ 100 offset -5m');
    expect(a).toMatchObject({ offset: { kind: 'DurationLiteral', ms: -300_000 }, at: { kind: 'time', ms: 100_000 } });
    expect(b).toMatchObject({ offset: { kind: 'DurationLiteral', ms: -300_000 }, at: { kind: 'time', ms: 100_000 } });
  });

  it('parses @ start() and @ end()', () => {
    expect(parseExpr('foo @ start()')).toMatchObject({ at: { kind: 'start' } });
    expect(parseExpr('rate(foo[1m] @ end())')).toMatchObject({ args: [{ vector: { at: { kind: 'end' } } }] });
  });

  it('moves offset and @ written after a range onto the inner selector', () => {
    expect(parseExpr('foo[5m] offset 1m')).toMatchObject({ kind: 'MatrixSelector', vector: { offset: { ms: 60_000 } } });
  });

  it('rejects offset before a range', () => {
    expect(errorOf('foo offset 1m [5m]')).toBe('1:15: parse error: no offset modifiers allowed before range');
  });

  it('rejects a range on something other than a selector', () => {
    expect(errorOf('(foo)[5m]')).toBe('1:6: parse error: ranges only allowed for vector selectors');
  });

  it('rejects a zero range', () => {
    expect(errorOf('foo[0s]')).toContain('duration must be greater than 0');
  });

  it('rejects an offset set twice', () => {
    expect(errorOf('foo offset 1m offset 2m')).toContain('offset may not be set multiple times');
  });

  it('rejects offset on a function call', () => {
    expect(errorOf('rate(foo[1m]) offset 5m')).toContain(
      'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
    );
  });

  it('parses the anchored and smoothed range modifiers', () => {
    expect(parseExpr('rate(foo[5m] anchored)')).toMatchObject({ args: [{ kind: 'MatrixSelector', modifier: 'anchored' }] });
    expect(parseExpr('foo smoothed')).toMatchObject({ kind: 'VectorSelector', modifier: 'smoothed' });
  });

  it('parses a series selector for match[]', () => {
    expect(parseSeriesSelector('up{job=~"a|b"}')).toEqual([
      { name: 'job', type: '=~', value: 'a|b' },
      { name: '__name__', type: '=', value: 'up' },
    ]);
  });

  it('refuses a series selector that matches everything unless asked not to', () => {
    expect(() => parseSeriesSelector('{a=~".*"}')).toThrow('vector selector must contain at least one non-empty matcher');
    expect(parseSeriesSelector('{}', { allowEmpty: true })).toEqual([]);
  });

  it('rejects a full expression as a series selector', () => {
    expect(() => parseSeriesSelector('rate(up[5m])')).toThrow(ParseError);
  });
});

describe('subqueries and duration expressions', () => {
  it('parses a subquery with and without a step', () => {
    expect(parseExpr('rate(foo[1m])[1h:5m]')).toMatchObject({ kind: 'SubqueryExpr', range: { ms: 3_600_000 }, step: { ms: 300_000 } });
    expect(parseExpr('foo[1h:]')).toMatchObject({ kind: 'SubqueryExpr', step: null });
  });

  it('parses offset and @ on a subquery', () => {
    expect(parseExpr('foo[1h:] offset 5m @ 10')).toMatchObject({ kind: 'SubqueryExpr', offset: { ms: 300_000 }, at: { kind: 'time', ms: 10_000 } });
  });

  it('refuses a subquery of a range vector', () => {
    expect(errorOf('foo[5m][1h:]')).toContain('subquery is only allowed on instant vector, got matrix instead');
  });

  it('keeps duration arithmetic as an expression in seconds', () => {
    const e = parseExpr('foo[5m+step()]');
    expect(e).toMatchObject({ kind: 'MatrixSelector', range: { kind: 'DurationExpr', expr: { kind: 'BinaryExpr', op: '+' } } });
  });

  it('binds offset tighter than arithmetic: `foo offset 100 + 2` adds 2', () => {
    const e = parseExpr('foo offset 100 + 2') as BinaryExpr;
    expect(e).toMatchObject({ kind: 'BinaryExpr', op: '+', lhs: { kind: 'VectorSelector', offset: { ms: 100_000 } } });
  });

  it('takes a signed function call as an offset', () => {
    const e = parseExpr('foo offset -min_of(step(), 1s) ^ 0') as BinaryExpr;
    expect(e).toMatchObject({ op: '^', lhs: { offset: { kind: 'DurationExpr', expr: { kind: 'UnaryExpr', op: '-' } } } });
  });

  it('refuses division by a literal zero in a duration', () => {
    expect(errorOf('foo[5m/0]')).toContain('division by zero');
  });
});

describe('operators', () => {
  it('gives * precedence over +', () => {
    expect(shape(parseExpr('a + b * c'))).toBe('(a + (b * c))');
  });

  it('associates ^ to the right', () => {
    expect(shape(parseExpr('a ^ b ^ c'))).toBe('(a ^ (b ^ c))');
  });

  it('binds unary minus below ^ and like *', () => {
    expect(shape(parseExpr('-a ^ b'))).toBe('(-(a ^ b))');
    expect(shape(parseExpr('-a * b'))).toBe('((-a) * b)');
    expect(shape(parseExpr('-2 ^ 2'))).toBe('(-(2 ^ 2))');
  });

  it('orders or < and/unless < comparison < additive', () => {
    expect(shape(parseExpr('a or b and c unless d == e + f'))).toBe('(a or ((b and c) unless (d == (e + f))))');
  });

  it('associates comparisons to the left', () => {
    expect(shape(parseExpr('a > b > c'))).toBe('((a > b) > c)');
  });

  it('keyword operators are case-insensitive', () => {
    expect(parseExpr('a AND b')).toMatchObject({ op: 'and' });
  });

  it('parses bool and vector matching', () => {
    const e = parseExpr('a == bool on(x, y) group_left(z) b');
    expect(e).toMatchObject({
      kind: 'BinaryExpr',
      op: '==',
      returnBool: true,
      matching: { card: 'many-to-one', on: true, matchingLabels: ['x', 'y'], include: ['z'] },
    });
  });

  it('parses ignoring with group_right and no label list', () => {
    expect(parseExpr('a * ignoring(x) group_right b')).toMatchObject({ matching: { card: 'one-to-many', on: false, matchingLabels: ['x'], include: [] } });
  });

  it('makes set operators many-to-many', () => {
    expect(parseExpr('a and b')).toMatchObject({ matching: { card: 'many-to-many' } });
  });

  it('has no vector matching when a side is a scalar', () => {
    expect(parseExpr('a + 1')).toMatchObject({ matching: null });
  });

  it('parses fill modifiers', () => {
    expect(parseExpr('a + fill(0) b')).toMatchObject({ matching: { fill: { left: 0, right: 0 } } });
    expect(parseExpr('a + fill_left(1) fill_right(-2) b')).toMatchObject({ matching: { fill: { left: 1, right: -2 } } });
  });

  it('requires bool between scalars', () => {
    expect(errorOf('1 > 2')).toBe('1:3: parse error: comparisons between scalars must use BOOL modifier');
  });

  it('refuses bool on arithmetic', () => {
    expect(errorOf('a + bool b')).toContain('bool modifier can only be used on comparison operators');
  });

  it('refuses vector matching with a scalar', () => {
    expect(errorOf('1 + on(a) b')).toContain('vector matching only allowed between instant vectors');
  });

  it('refuses set operators on scalars', () => {
    expect(errorOf('1 and b')).toContain('set operator "and" not allowed in binary scalar expression');
  });

  it('refuses grouping on set operators', () => {
    expect(errorOf('a and on(x) group_left b')).toContain('no grouping allowed for "and" operation');
  });

  it('refuses a range vector operand', () => {
    expect(errorOf('a[5m] + 1')).toBe('1:1: parse error: binary expression must contain only scalar and instant vector types');
  });

  it('refuses a label in both on() and group_left()', () => {
    expect(errorOf('a + on(x) group_left(x) b')).toContain('label "x" must not occur in ON and GROUP clause at once');
  });
});

describe('aggregations and functions', () => {
  it('accepts by/without before or after the body', () => {
    const before = parseExpr('sum by (a, b) (foo)');
    const after = parseExpr('sum(foo) by (a, b)');
    expect(before).toMatchObject({ kind: 'AggregateExpr', op: 'sum', grouping: ['a', 'b'], without: false, hasGrouping: true });
    expect(after).toMatchObject({ kind: 'AggregateExpr', op: 'sum', grouping: ['a', 'b'], without: false, hasGrouping: true });
  });

  it('parses aggregations with a parameter', () => {
    expect(parseExpr('topk(3, foo)')).toMatchObject({ op: 'topk', param: { kind: 'NumberLiteral', value: 3 } });
    expect(parseExpr('count_values without (x) ("v", foo)')).toMatchObject({ op: 'count_values', without: true, param: { kind: 'StringLiteral' } });
  });

  it('accepts keywords as grouping labels', () => {
    expect(parseExpr('sum by (on, offset) (foo)')).toMatchObject({ grouping: ['on', 'offset'] });
  });

  it('checks aggregation parameter types', () => {
    expect(errorOf('topk("a", foo)')).toContain('expected type scalar in aggregation parameter, got string');
    expect(errorOf('count_values(1, foo)')).toContain('expected type string in aggregation parameter, got scalar');
    expect(errorOf('sum(foo[5m])')).toContain('expected type instant vector in aggregation expression, got range vector');
  });

  it('checks aggregation argument counts', () => {
    expect(errorOf('topk(foo)')).toContain('wrong number of arguments for aggregate expression provided, expected 2, got 1');
    expect(errorOf('sum()')).toContain('no arguments for aggregate expression provided');
  });

  it('checks function argument types and counts', () => {
    expect(errorOf('rate(foo)')).toBe('1:6: parse error: expected type range vector in call to function "rate", got instant vector');
    expect(errorOf('abs()')).toContain('expected 1 argument(s) in call to "abs", got 0');
    expect(errorOf('round(a, 1, 2)')).toContain('expected at most 2 argument(s) in call to "round", got 3');
    expect(errorOf('label_join(a)')).toContain('expected at least 3 argument(s) in call to "label_join", got 1');
  });

  it('accepts optional and variadic arguments', () => {
    expect(parseExpr('hour()')).toMatchObject({ kind: 'Call', func: 'hour', args: [] });
    expect(parseExpr('label_join(a, "d", ",", "x", "y", "z")')).toMatchObject({ args: { length: 6 } });
  });

  it('refuses unknown functions', () => {
    expect(errorOf('nope(foo)')).toBe('1:1: parse error: unknown function with name "nope"');
  });

  it('refuses trailing commas in calls', () => {
    expect(errorOf('abs(foo,)')).toContain('trailing commas not allowed in function call args');
  });
});

describe('syntax errors', () => {
  it('reports position and the unexpected token', () => {
    expect(errorOf('foo +')).toBe('1:6: parse error: unexpected end of input');
    expect(errorOf('foo bar')).toBe('1:5: parse error: unexpected identifier "bar"');
  });

  it('counts lines and columns across newlines', () => {
    expect(errorOf('sum(\n  foo\n) bar')).toBe('3:3: parse error: unexpected identifier "bar"');
  });

  it('reports an empty query', () => {
    expect(errorOf('  # only a comment')).toBe('1:1: parse error: no expression found in input');
  });

  it('reports an unterminated string', () => {
    expect(errorOf('foo{a="b}')).toContain('unterminated quoted string');
  });

  it('allows comments', () => {
    expect(parseExpr('foo # the metric\n + 1')).toMatchObject({ kind: 'BinaryExpr' });
  });

  it('fails cleanly on deep nesting instead of crashing', () => {
    const q = '('.repeat(20000) + '1' + ')'.repeat(20000);
    expect(() => parseExpr(q)).toThrow(ParseError);
  });
});

describe('label regexes', () => {
  it('is fully anchored and lets . match newlines', () => {
    const re = compileLabelRegex('a.c');
    expect(re.test('a\nc')).toBe(true);
    expect(re.test('xa.c')).toBe(false);
  });

  it('supports RE2 inline case-insensitive groups', () => {
    expect(compileLabelRegex('(?i:PRO).*').test('production')).toBe(true);
    expect(compileLabelRegex('(?i)abc').test('ABC')).toBe(true);
    expect(compileLabelRegex('x((?i)abc)y').test('xABCy')).toBe(true);
    expect(compileLabelRegex('x((?i)abc)y').test('XABCy')).toBe(false);
  });
});

describe('lexical errors, in the lexer’s words', () => {
  it('reports bad number or duration syntax', () => {
    expect(errorOf('foo[5mm]')).toBe('1:5: parse error: bad number or duration syntax: "5mm"');
    expect(errorOf('foo[5y1hs]')).toBe('1:5: parse error: unknown unit "hs" in duration "5y1hs"');
  });

  it('reports characters that cannot appear inside braces', () => {
    expect(errorOf('foo{a*"b"}')).toBe("1:6: parse error: unexpected character inside braces: '*'");
  });

  it('reports bad escape sequences', () => {
    expect(errorOf('"\\c"')).toBe("1:1: parse error: unknown escape sequence U+0063 'c'");
    expect(errorOf('"\\x.1"')).toBe("1:1: parse error: illegal character U+002E '.' in escape sequence");
  });

  it('names what was expected in context', () => {
    expect(errorOf('foo{a=}')).toBe('1:7: parse error: unexpected "}" in label matching, expected string');
    expect(errorOf('sum (foo) by test')).toBe('1:14: parse error: unexpected identifier "test" in grouping opts, expected "("');
    expect(errorOf('foo offset')).toBe('1:11: parse error: unexpected end of input in offset, expected number, duration, step(), or range()');
    expect(errorOf('foo[]')).toBe('1:5: parse error: unexpected "]" in subquery or range selector, expected number, duration, step(), or range()');
  });

  it('reports an unbalanced parenthesis', () => {
    expect(errorOf('sum(foo')).toBe('1:8: parse error: unclosed left parenthesis');
  });
});

describe('string errors inside selectors', () => {
  it('points at the string, not the matcher', () => {
    expect(errorOf('foo{a="\\q"}')).toBe("1:7: parse error: unknown escape sequence U+0071 'q'");
  });
});

describe('native histogram syntax', () => {
  it('parses the bucket trim operators at comparison precedence', () => {
    expect(parseExpr('h </ 0.5 + 1')).toMatchObject({ kind: 'BinaryExpr', op: '</', rhs: { kind: 'BinaryExpr', op: '+' } });
    expect(parseExpr('h >/ -Inf')).toMatchObject({ op: '>/', rhs: { value: -Infinity }, matching: null });
  });
});
