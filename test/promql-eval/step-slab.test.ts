import { describe, it, expect } from 'vitest';
import { SlabPool, StepSlab } from '../../src/promql/eval/types.js';

describe('step slabs', () => {
  it('hands out zeroed, non-overlapping step arrays', () => {
    const slab = new StepSlab(3, 2, new SlabPool(8, 4));
    const a = slab.series([]);
    const b = slab.series([]);
    const c = slab.series([]); // past the first buffer's 8 cells
    a.values.fill(1);
    c.present.fill(1);
    expect([...b.values, ...b.present]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(c.values.length).toBe(3);
  });

  it('returns pooled buffers zeroed, so the next query starts from clean cells', () => {
    const pool = new SlabPool(8, 4);
    const first = new StepSlab(4, 2, pool);
    for (let i = 0; i < 3; i++) {
      const s = first.series([]);
      s.values.fill(7);
      s.present.fill(1);
    }
    first.release();
    const second = new StepSlab(4, 2, pool);
    for (let i = 0; i < 3; i++) {
      const s = second.series([]);
      expect([...s.values]).toEqual([0, 0, 0, 0]);
      expect([...s.present]).toEqual([0, 0, 0, 0]);
    }
  });

  it('reuses the cells of a series given back', () => {
    const slab = new StepSlab(2, 4, new SlabPool(8, 4));
    const a = slab.series([]);
    a.values[0] = 5;
    slab.giveBack(a);
    const b = slab.series([]);
    expect(b.values.byteOffset).toBe(a.values.byteOffset);
    expect(b.values[0]).toBe(0);
  });

  it('uses memory of its own when one step row exceeds a pool buffer', () => {
    const slab = new StepSlab(16, 1, new SlabPool(8, 4));
    expect(slab.series([]).values.length).toBe(16);
  });
});
