import { describe, expect, it } from 'vitest';
import { compileMatcher, IndexError, planMatcher } from '../../src/index/index.js';
import { RegexError } from '../../src/regex/index.js';
import type { LabelMatcher } from '../../src/model/index.js';

const m = (name: string, type: LabelMatcher['type'], value: string): LabelMatcher => ({ name, type, value });

describe('compileMatcher', () => {
  it('= and != compare whole values, "" standing for an absent label', () => {
    expect(compileMatcher(m('a', '=', 'x'))('x')).toBe(true);
    expect(compileMatcher(m('a', '=', 'x'))('xy')).toBe(false);
    expect(compileMatcher(m('a', '=', ''))('')).toBe(true);
    expect(compileMatcher(m('a', '!=', 'x'))('')).toBe(true);
    expect(compileMatcher(m('a', '!=', ''))('')).toBe(false);
  });

  it('=~ and !~ are fully anchored RE2', () => {
    expect(compileMatcher(m('a', '=~', 'b.*'))('abc')).toBe(false);
    expect(compileMatcher(m('a', '!~', 'b.*'))('abc')).toBe(true);
    expect(compileMatcher(m('a', '!~', ''))('')).toBe(false);
    expect(compileMatcher(m('a', '!~', ''))('x')).toBe(true);
  });

  it('rejects an unknown matcher type with IndexError', () => {
    expect(() => compileMatcher({ name: 'a', type: '==' as LabelMatcher['type'], value: 'x' })).toThrow(IndexError);
  });

  it('rejects a bad regex with RegexError naming it', () => {
    expect(() => compileMatcher(m('a', '=~', '[b'))).toThrow(/invalid regex "\[b": missing closing \]/);
    expect(() => compileMatcher(m('a', '!~', '\\8'))).toThrow(RegexError);
  });
});

describe('planMatcher turns matchers into postings work', () => {
  it('a literal alternation becomes point lookups', () => {
    expect(planMatcher(m('job', '=~', 'api|web'))).toMatchObject({ mode: 'include', values: { kind: 'exact', values: ['api', 'web'] } });
    expect(planMatcher(m('job', '!~', 'api|web'))).toMatchObject({ mode: 'exclude', values: { kind: 'exact', values: ['api', 'web'] } });
  });

  it('a literal prefix becomes a range scan, needing no test when followed by .*', () => {
    expect(planMatcher(m('i', '=~', 'host-.*'))).toMatchObject({ mode: 'include', values: { kind: 'prefix', prefix: 'host-', test: undefined } });
  });

  it('empty-matching matchers subtract the values they reject', () => {
    expect(planMatcher(m('a', '=', ''))).toMatchObject({ mode: 'exclude', values: { kind: 'every', test: undefined } });
    expect(planMatcher(m('a', '!=', 'x'))).toMatchObject({ mode: 'exclude', values: { kind: 'exact', values: ['x'] } });
    expect(planMatcher(m('a', '=~', '.*'))).toMatchObject({ mode: 'exclude', values: { kind: 'none' } });
    expect(planMatcher(m('a', '=~', 'x|'))).toMatchObject({ mode: 'exclude', values: { kind: 'every' } });
  });

  it('.+ and != "" select every series that has the label', () => {
    expect(planMatcher(m('a', '=~', '.+'))).toMatchObject({ mode: 'include', values: { kind: 'every', test: undefined } });
    expect(planMatcher(m('a', '!=', ''))).toMatchObject({ mode: 'include', values: { kind: 'every', test: undefined } });
    expect(planMatcher(m('a', '!~', '.*'))).toMatchObject({ mode: 'include', values: { kind: 'none' } });
  });
});
