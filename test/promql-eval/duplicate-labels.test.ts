import { describe, it, expect } from 'vitest';
import { hasDuplicateLabels } from '../../src/promql/binary/index.js';
import type { Labels } from '../../src/model/index.js';

const l = (...pairs: [string, string][]): { labels: Labels } => ({ labels: pairs.map(([name, value]) => ({ name, value })) });

describe('duplicate label sets', () => {
  it('finds none among distinct sets, sorted or not', () => {
    expect(hasDuplicateLabels([l(['a', '1']), l(['a', '2']), l(['b', '1'])])).toBe(false);
    expect(hasDuplicateLabels([l(['b', '1']), l(['a', '2']), l(['a', '1'])])).toBe(false);
    expect(hasDuplicateLabels([])).toBe(false);
  });

  it('finds equal neighbours', () => {
    expect(hasDuplicateLabels([l(['a', '1']), l(['a', '1'], ['b', '2']), l(['a', '1'], ['b', '2'])])).toBe(true);
  });

  it('finds equal sets far apart in an unsorted list', () => {
    expect(hasDuplicateLabels([l(['x', '1']), l(['a', '1']), l(['m', '3']), l(['a', '1'])])).toBe(true);
  });

  it('tells a proper prefix from an equal set', () => {
    expect(hasDuplicateLabels([l(['a', '1']), l(['a', '1'], ['b', ''])])).toBe(false);
  });
});
