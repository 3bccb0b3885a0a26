import { describe, expect, it } from 'vitest';
import { SeriesIdCache } from '../../src/db/series-id-cache.js';
import { hashKeyString, KEY_HASH_LANES, lookupIds } from '../../src/ingest/index.js';

const h = (key: string): Uint32Array => {
  const out = new Uint32Array(KEY_HASH_LANES);
  hashKeyString(key, out, 0);
  return out;
};

describe('series id cache', () => {
  it('returns -1 for an unknown hash and the id set for a known one (id 0 included)', () => {
    const c = new SeriesIdCache(100);
    expect(c.get(h('a'), 0)).toBe(-1);
    c.set(h('a'), 0, 0);
    c.set(h('b'), 0, 2 ** 40);
    expect(c.get(h('a'), 0)).toBe(0);
    expect(c.get(h('b'), 0)).toBe(2 ** 40);
  });

  it('reads the hash at an offset of a larger array', () => {
    const c = new SeriesIdCache(100);
    const many = new Uint32Array(3 * KEY_HASH_LANES);
    many.set(h('x'), 0);
    many.set(h('y'), KEY_HASH_LANES);
    many.set(h('z'), 2 * KEY_HASH_LANES);
    c.set(many, KEY_HASH_LANES, 7);
    expect(c.get(h('y'), 0)).toBe(7);
    expect(c.get(many, 0)).toBe(-1);
    expect(c.get(many, 2 * KEY_HASH_LANES)).toBe(-1);
  });

  it('keeps every entry while it grows past its initial table size', () => {
    const c = new SeriesIdCache(1_000_000);
    for (let i = 0; i < 50_000; i++) c.set(h(`series-${i}`), 0, i);
    for (let i = 0; i < 50_000; i++) expect(c.get(h(`series-${i}`), 0)).toBe(i);
    expect(c.size).toBe(50_000);
  });

  it('holds at most its capacity, dropping the generation not used recently', () => {
    const c = new SeriesIdCache(1000);
    for (let i = 0; i < 5000; i++) c.set(h(`s${i}`), 0, i);
    expect(c.size).toBeLessThanOrEqual(1000);
    expect(c.get(h('s4999'), 0)).toBe(4999);
    expect(c.get(h('s0'), 0)).toBe(-1);
  });

  it('keeps an entry that is read while its generation ages out', () => {
    const c = new SeriesIdCache(1000);
    c.set(h('hot'), 0, 1);
    for (let i = 0; i < 5000; i++) {
      c.set(h(`cold${i}`), 0, i + 10);
      if (i % 100 === 0) expect(c.get(h('hot'), 0)).toBe(1);
    }
    expect(c.get(h('hot'), 0)).toBe(1);
  });

  it('forgets everything on clear', () => {
    const c = new SeriesIdCache(100);
    c.set(h('a'), 0, 1);
    c.clear();
    expect(c.get(h('a'), 0)).toBe(-1);
    expect(c.size).toBe(0);
  });

  describe('shared table (decode workers look series up in it)', () => {
    const hashes = (keys: string[]): Uint32Array => {
      const out = new Uint32Array(keys.length * KEY_HASH_LANES);
      keys.forEach((k, i) => hashKeyString(k, out, i * KEY_HASH_LANES));
      return out;
    };

    it('finds the ids of the current generation as id + 1, and 0 for unknown series', () => {
      const c = new SeriesIdCache(1_000_000);
      for (let i = 0; i < 5000; i++) c.set(h(`s${i}`), 0, i);
      const known = lookupIds(c.shared(), hashes(['s0', 'nope', 's4999']), 3);
      expect([...known.ids]).toEqual([1, 0, 5000]);
      expect(c.trusted(known, 3)).toBe(known.ids);
    });

    it('leaves ids of 2^32 − 1 and above to the main thread', () => {
      const c = new SeriesIdCache(100);
      c.set(h('big'), 0, 2 ** 40);
      c.set(h('edge'), 0, 2 ** 32 - 1);
      expect([...lookupIds(c.shared(), hashes(['big', 'edge']), 2).ids]).toEqual([0, 0]);
    });

    it('distrusts ids found before a clear (series were deleted since)', () => {
      const c = new SeriesIdCache(100);
      c.set(h('a'), 0, 1);
      const known = lookupIds(c.shared(), hashes(['a']), 1);
      c.clear();
      expect(c.trusted(known, 1)).toBeNull();
      expect(c.trusted(undefined, 1)).toBeNull();
    });

    it('never changes or clears a filled slot a worker may still read, while the table grows and rotates out', () => {
      const c = new SeriesIdCache(1000);
      c.set(h('first'), 0, 1);
      const old = c.shared();
      const filled = (w: Uint32Array): number[] => [...w].filter((_, i) => i % 6 === 4 && w[i] !== 0);
      const before = old.words.slice();
      for (let i = 0; i < 5000; i++) c.set(h(`s${i}`), 0, i + 2);
      for (let k = 0; k < before.length; k += 6) {
        if (before[k + 4] !== 0) expect(old.words.subarray(k, k + 6)).toEqual(before.subarray(k, k + 6));
      }
      expect(filled(before).length).toBe(1);
      expect([...lookupIds(old, hashes(['first']), 1).ids]).toEqual([2]);
    });
  });
});
