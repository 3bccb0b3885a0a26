import { describe, expect, it } from 'vitest';
import { IdCollector, intersect, subtract, union } from '../../src/index/postings.js';
import { TwoGenerationCache } from '../../src/index/cache.js';

describe('sorted id list operations', () => {
  it('intersects, including a short list against a long one', () => {
    expect(intersect([1, 3, 5, 7], [2, 3, 4, 7, 9])).toEqual([3, 7]);
    const big = Array.from({ length: 1000 }, (_, i) => i * 2);
    expect(intersect([4, 5, 1998, 2000], big)).toEqual([4, 1998]);
    expect(intersect(big, [4, 5, 1998, 2000])).toEqual([4, 1998]);
    expect(intersect([], big)).toEqual([]);
  });

  it('subtracts and unions', () => {
    expect(subtract([1, 2, 3, 4], [2, 4, 6])).toEqual([1, 3]);
    expect(subtract([1, 2], [])).toEqual([1, 2]);
    expect(union([1, 4, 9], [2, 4, 10])).toEqual([1, 2, 4, 9, 10]);
  });

  it('collects ids from many lists into one ascending list without duplicates', () => {
    const c = new IdCollector();
    for (let i = 3000; i > 0; i--) c.push(i % 1500);
    c.push(2 ** 53);
    const out = c.finish();
    expect(out).toHaveLength(1501);
    expect(out[0]).toBe(0);
    expect(out[1500]).toBe(2 ** 53);
  });
});

describe('two-generation cache', () => {
  it('keeps at most its capacity and keeps recently used entries', () => {
    const c = new TwoGenerationCache<number, number>(10);
    for (let i = 0; i < 100; i++) {
      c.set(i, i);
      expect(c.get(0)).toBe(0); // touched every time, so it survives every rotation
    }
    expect(c.size).toBeLessThanOrEqual(10);
    expect(c.get(99)).toBe(99);
    expect(c.get(50)).toBeUndefined();
  });
});

describe('UTF-8 byte order (Prometheus sorts label values as Go strings)', () => {
  it('sorts astral characters after U+E000..U+FFFF, unlike JavaScript code-unit order', async () => {
    const { sortUtf8 } = await import('../../src/index/order.js');
    const values = ['\u{1F600}', '\uFF5E', 'b', 'a', 'ab', ''];
    expect(sortUtf8([...values])).toEqual(['', 'a', 'ab', 'b', '\uFF5E', '\u{1F600}']);
    const bytes = [...values].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(sortUtf8([...values])).toEqual(bytes);
  });
});
