import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_TENANT, getLabel, type Label, type LabelMatcher, type Labels } from '../../src/model/index.js';
import { compileMatcher, LabelIndex } from '../../src/index/index.js';
import { DAY, tempDir } from './helpers.js';

/**
 * The index must agree with the definition of a selector: a series matches when every matcher
 * accepts its value of the label ("" when absent). Checked on random series and matchers, for the
 * all-time postings and the per-day postings alike.
 */
const VALUES = ['', 'a', 'b', 'ab', 'abc', 'ä', '日本', 'x\ny', 'A'];
const NAMES = ['__name__', 'job', 'env', 'path'];
const REGEXES = ['a|b', 'a.*', '.*', '.+', '', 'a?', '(?i)A', '[ab]+', '\\w+', 'b|', '日.*', '.', '..', 'ab|abc', 'x.y', '(?-s)x.y', 'a(b|bc)?'];
const D0 = 20100;

const T = DEFAULT_TENANT;
let idx: LabelIndex;
let cleanup: () => void;
const series: { id: number; labels: Labels; day: number }[] = [];

function setup(filterByLabelsBelow: number): void {
  series.length = 0;
  const t = tempDir('prop');
  cleanup = t.cleanup;
  idx = LabelIndex.open(t.dir, { filterByLabelsBelow });
  const rnd = fc.sample(fc.tuple(...NAMES.map(() => fc.constantFrom(...VALUES)), fc.integer({ min: 0, max: 2 })), { numRuns: 300, seed: 42 });
  const seen = new Set<string>();
  for (const tuple of rnd) {
    const day = tuple[NAMES.length] as number;
    const labels: Label[] = [];
    NAMES.forEach((n, i) => {
      const v = tuple[i] as string;
      if (v !== '') labels.push({ name: n, value: v });
    });
    labels.sort((a, b) => (a.name < b.name ? -1 : 1));
    const key = JSON.stringify(labels);
    if (labels.length === 0 || seen.has(key)) continue;
    seen.add(key);
    const [id] = idx.resolve(T, [labels], D0 + day);
    series.push({ id: id!, labels, day });
  }
}

const matcherArb: fc.Arbitrary<LabelMatcher> = fc.oneof(
  fc.record({ name: fc.constantFrom(...NAMES), type: fc.constantFrom('=' as const, '!=' as const), value: fc.constantFrom(...VALUES) }),
  fc.record({ name: fc.constantFrom(...NAMES), type: fc.constantFrom('=~' as const, '!~' as const), value: fc.constantFrom(...REGEXES) }),
);

function expected(ms: readonly LabelMatcher[], day?: number): number[] {
  const tests = ms.map((m) => ({ name: m.name, f: compileMatcher(m) }));
  return series
    .filter((s) => (day === undefined || s.day === day) && tests.every((t) => t.f(getLabel(s.labels, t.name))))
    .map((s) => s.id)
    .sort((a, b) => a - b);
}

for (const filterByLabelsBelow of [0, 2000]) {
  describe(`select agrees with the selector definition (filterByLabelsBelow=${filterByLabelsBelow})`, () => {
    beforeAll(() => setup(filterByLabelsBelow));
    afterAll(() => {
      idx.close();
      cleanup();
    });

    it('over all time', () => {
      fc.assert(
        fc.property(fc.array(matcherArb, { minLength: 1, maxLength: 4 }), (ms) => {
          expect(idx.select(T, ms, -Infinity, Infinity)).toEqual(expected(ms));
        }),
        { numRuns: 400, seed: 7 },
      );
    });

    it('over a single day', () => {
      fc.assert(
        fc.property(fc.array(matcherArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 2 }), (ms, day) => {
          const t = (D0 + day) * DAY;
          expect(idx.select(T, ms, t + 1000, t + 2000)).toEqual(expected(ms, day));
        }),
        { numRuns: 300, seed: 11 },
      );
    });

    it('label values of matching series', () => {
      fc.assert(
        fc.property(fc.array(matcherArb, { minLength: 1, maxLength: 3 }), fc.constantFrom(...NAMES), (ms, name) => {
          const want = [
            ...new Set(
              expected(ms)
                .map((id) => getLabel(idx.labelsOf(id), name))
                .filter((v) => v !== ''),
            ),
          ].sort();
          expect(idx.labelValues(T, name, [ms], -Infinity, Infinity)).toEqual(want);
        }),
        { numRuns: 200, seed: 3 },
      );
    });

    it('cardinality counted from postings equals cardinality counted from labels', () => {
      const everything = [
        [
          { name: '__name__', type: '=~' as const, value: '.*' },
          { name: 'job', type: '!=' as const, value: 'no' },
        ],
      ];
      for (const topN of [1, 3, 50]) {
        for (const focusLabel of ['job', 'path']) {
          const fromPostings = idx.tsdbStatus(T, { topN, focusLabel });
          const fromLabels = idx.tsdbStatus(T, { topN, focusLabel, matchers: everything });
          expect(fromPostings).toEqual(fromLabels);
          expect(idx.tsdbStatus(T, { topN, focusLabel, date: D0 + 1 })).toEqual(idx.tsdbStatus(T, { topN, focusLabel, date: D0 + 1, matchers: everything }));
        }
      }
    });

    it('the stored index is consistent', () => {
      expect(idx.checkConsistency()).toEqual([]);
    });
  });
}
