import { describe, expect, it } from 'vitest';
import { groupByKeyHash } from '../../src/db/new-series.js';
import { hashKeyString, KEY_HASH_LANES } from '../../src/ingest/index.js';

const hashes = (keys: readonly string[]): Uint32Array => {
  const out = new Uint32Array(keys.length * KEY_HASH_LANES);
  keys.forEach((k, i) => hashKeyString(k, out, i * KEY_HASH_LANES));
  return out;
};

describe('new series of a batch', () => {
  it('are grouped by key, in order of first appearance, each group listing its series indexes', () => {
    const h = hashes(['a', 'b', 'a', 'c', 'b', 'a']);
    expect(groupByKeyHash(h, [0, 1, 2, 3, 4, 5])).toEqual([[0, 2, 5], [1, 4], [3]]);
  });

  it('leave out the series not listed (those the id cache knew)', () => {
    const h = hashes(['a', 'b', 'a', 'c']);
    expect(groupByKeyHash(h, [1, 2, 3])).toEqual([[1], [2], [3]]);
    expect(groupByKeyHash(h, [])).toEqual([]);
  });

  it('keep thousands of distinct keys apart', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `series-${i}`);
    const h = hashes([...keys, ...keys]);
    const groups = groupByKeyHash(
      h,
      Array.from({ length: 10_000 }, (_, i) => i),
    );
    expect(groups.length).toBe(5000);
    expect(groups.every((g, i) => g.length === 2 && g[0] === i && g[1] === i + 5000)).toBe(true);
  });
});
