import { describe, it, expect } from 'vitest';
import { compileRegex } from '../../src/regex/index.js';
import { RegexError } from '../../src/regex/index.js';

/** [pattern, values that fully match, values that do not] — as Go's regexp with ^(?s:re)$. */
const TABLE: [string, string[], string[]][] = [
  ['a|b', ['a', 'b'], ['ab', '', 'c']],
  ['foo.*', ['foo', 'foobar', 'foo\nbar'], ['fo', 'xfoo']],
  ['.*', ['', 'x', 'a\nb', '日本'], []],
  ['.+', ['x', '\n', '日本'], ['']],
  ['(?i)foo', ['FOO', 'fOo', 'foo'], ['fo', 'foox']],
  ['foo(?i)bar', ['fooBAR', 'foobar'], ['FOObar']],
  ['(?i:a)b', ['Ab', 'ab'], ['aB']],
  ['(?i)k', ['k', 'K', '\u212a'], ['x']],
  ['\\d+', ['123', '0'], ['12a', '\u0663', '']],
  ['\\s', [' ', '\t', '\n'], ['\u00a0', '\u2003']],
  ['\\w+', ['ab_1'], ['é', 'a-b']],
  ['[]a]+', [']a]', 'a'], ['b']],
  ['[^]a]', ['b'], [']', 'a']],
  ['\\Qa.b\\E', ['a.b'], ['axb']],
  ['a{,2}', ['a{,2}'], ['aa', '']],
  ['a{2,3}', ['aa', 'aaa'], ['a', 'aaaa']],
  ['x*', ['', 'xxx'], ['y']],
  ['[[:alpha:]]+', ['abc', 'XYZ'], ['a1']],
  ['[[:^digit:]]', ['a'], ['1']],
  ['\\pL+', ['héllo', '日本'], ['1']],
  ['\\p{Greek}', ['α'], ['a']],
  ['\\x41\\x{42}\\101', ['ABA'], ['AB']],
  ['\\.\\-\\_', ['.-_'], ['x-_']],
  ['a.c', ['abc', 'a\nc', 'a日c'], ['ac', 'abbc']],
  ['(?-s)a.c', ['abc'], ['a\nc']],
  ['(?m)^a$\\nb', ['a\nb'], ['ab']],
  ['^foo$', ['foo'], ['foox']],
  ['\\bfoo\\b', ['foo'], []],
  ['(?U)a+', ['aaa'], ['']],
  ['(?P<name>a)|(?<b>b)', ['a', 'b'], ['c']],
  ['日本|中国', ['日本', '中国'], ['日', '']],
  ['foo|', ['foo', ''], ['bar']],
  ['', [''], ['a']],
  ['()', [''], ['a']],
  ['(a+)+', ['aaaa'], ['aaab', '']],
  ['(a|aa)*b', ['aab', 'b'], ['aa']],
  ['[a-c]{2}x?', ['ab', 'cax'], ['abx_', 'a']],
];

describe('compileRegex: Prometheus (RE2, fully anchored) semantics', () => {
  for (const [pattern, yes, no] of TABLE) {
    it(`/${pattern}/ matches ${JSON.stringify(yes)} and not ${JSON.stringify(no)}`, () => {
      const r = compileRegex(pattern);
      for (const v of yes) expect(r.test(v), `${JSON.stringify(v)} should match`).toBe(true);
      for (const v of no) expect(r.test(v), `${JSON.stringify(v)} should not match`).toBe(false);
    });
  }

  it('rejects what RE2 rejects, naming the pattern', () => {
    for (const p of [
      '(?P<x>a)(?P<x>b)',
      '('.repeat(1001) + 'a' + ')'.repeat(1001),
      'a(',
      'a)',
      '(?=a)',
      '(?!a)',
      '(?<=a)b',
      '\\1',
      'a**',
      '[z-a]',
      '\\C',
      '\\pX',
      'x{1001}',
      '*a',
      '[a',
      '\\',
      '\\e',
      '(?z)',
    ]) {
      expect(() => compileRegex(p), p).toThrow(RegexError);
      expect(() => compileRegex(p)).toThrow(JSON.stringify(p));
    }
  });

  it('matches catastrophic-backtracking patterns in linear time', () => {
    const r = compileRegex('(a|aa)*b');
    const t0 = performance.now();
    expect(r.test('a'.repeat(5000))).toBe(false);
    expect(compileRegex('(x+x+)+y').test('x'.repeat(3000))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('plans literal alternations as lookups', () => {
    expect(compileRegex('a|b|c').plan).toEqual({ kind: 'exact', values: ['a', 'b', 'c'] });
    expect(compileRegex('(prod|dev)-eu').plan).toEqual({ kind: 'exact', values: ['prod-eu', 'dev-eu'] });
    expect(compileRegex('foo').plan).toEqual({ kind: 'exact', values: ['foo'] });
  });

  it('plans literal prefixes as range scans', () => {
    expect(compileRegex('foo.*').plan).toEqual({ kind: 'prefix', prefix: 'foo', rest: 'any' });
    expect(compileRegex('foo.+').plan).toEqual({ kind: 'prefix', prefix: 'foo', rest: 'nonempty' });
    expect(compileRegex('foo\\d+').plan).toEqual({ kind: 'prefix', prefix: 'foo', rest: 'other' });
  });

  it('special-cases .* and .+', () => {
    expect(compileRegex('.*').plan).toEqual({ kind: 'all' });
    expect(compileRegex('.+').plan).toEqual({ kind: 'nonempty' });
    expect(compileRegex('(?-s).*').plan).toEqual({ kind: 'scan' });
  });

  it('knows whether the empty string matches', () => {
    expect(compileRegex('a|').matchesEmpty).toBe(true);
    expect(compileRegex('a*').matchesEmpty).toBe(true);
    expect(compileRegex('a+').matchesEmpty).toBe(false);
  });
});

describe('compileRegex: no pattern makes matching super-linear', () => {
  it('three wildcards in a row on a long value', () => {
    const r = compileRegex('.*a.*b.*c');
    const t0 = performance.now();
    expect(r.test('a'.repeat(1900))).toBe(false);
    expect(r.test('xaxbxc')).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('rejects a program too large to match in bounded time', () => {
    expect(() => compileRegex('(x{1000}){1000}')).toThrow(/too large/);
  });
});

describe('compileRegex: the linear-time automaton agrees with the JavaScript engine', () => {
  it('on random patterns and values', async () => {
    const fc = (await import('fast-check')).default;
    const { compileRegexWith } = await import('../../src/regex/index.js');
    const atom = fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\n', '(?i)A', '\\w', '^', '$', '\\b');
    const pattern: ReturnType<typeof fc.string> = fc.letrec<{ re: string }>((tie) => ({
      re: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        atom,
        fc.tuple(tie('re'), tie('re')).map(([x, y]) => x + y),
        fc.tuple(tie('re'), tie('re')).map(([x, y]) => `(?:${x}|${y})`),
        fc.tuple(tie('re'), fc.constantFrom('*', '+', '?', '{1,2}', '*?')).map(([x, q]) => `(?:${x})${q}`),
      ),
    })).re;
    fc.assert(
      fc.property(
        pattern,
        fc.array(fc.constantFrom('a', 'b', 'A', '\n', ' '), { maxLength: 8 }).map((cs) => cs.join('')),
        (p, v) => {
          expect(compileRegexWith(p, 'automaton').test(v)).toBe(compileRegexWith(p, 'js').test(v));
        },
      ),
      { numRuns: 3000, seed: 5 },
    );
  });
});
