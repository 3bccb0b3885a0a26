import { describe, expect, it } from 'vitest';
import { pickWindow } from '../../src/storage/index.js';
import { T0, openStorage, rows, tempDir } from './helpers.js';

describe('merge policy', () => {
  it('leaves a partition with fewer than four parts alone', () => {
    expect(pickWindow([10, 10, 10])).toBeNull();
  });

  it('merges a run of similar small parts, at most eight at a time', () => {
    expect(pickWindow(Array(12).fill(100))).toEqual([0, 8]);
  });

  it('does not rewrite a big part just to absorb a few tiny ones', () => {
    expect(pickWindow([1_000_000, 10, 10, 10])).toBeNull();
  });

  it('picks the window of the smallest parts, contiguous so newer parts still win ties', () => {
    expect(pickWindow([1_000_000, 500_000, 10, 12, 11, 10])).toEqual([2, 4]);
  });

  it('takes any window when a partition has too many parts', () => {
    const crowded = Array.from({ length: 30 }, (_, i) => (i % 2 ? 1_000_000 : 1));
    expect(pickWindow(crowded)).not.toBeNull();
  });

  it('keeps the part count bounded while flushes keep coming', async () => {
    const d = tempDir();
    const s = await openStorage(d.path);
    try {
      for (let i = 0; i < 60; i++) {
        await s.append(
          ...rows([
            [1, T0 + i, i],
            [2 + (i % 5), T0 + i, i],
          ]),
        );
        await s.forceFlush();
      }
      await s.whenIdle();
      const st = s.stats();
      expect(st.partsByType.small + st.partsByType.big).toBeLessThanOrEqual(8);
      expect(st.mergesTotal).toBeGreaterThan(5);
      expect((await s.read([1], 0, Infinity)).get(1)!.values.length).toBe(60);
    } finally {
      await s.close();
      d.cleanup();
    }
  });
});
