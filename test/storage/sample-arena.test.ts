import { describe, it, expect } from 'vitest';
import { normalize } from '../../src/storage/dedup.js';
import { SlabPool, ReadAbandonedError, SampleArena, SampleBuffer } from '../../src/storage/samples.js';
import { openStorage, rows, tempDir } from './helpers.js';

const filled = (arena: SampleArena, ts: number[]): SampleBuffer => {
  const b = new SampleBuffer(0, arena);
  b.pushRange(Float64Array.from(ts), Float64Array.from(ts.map((t) => t * 10)), ts.length, -Infinity, Infinity);
  return b;
};

describe('sample arena', () => {
  it('gives each buffer its own space, exact for the first source and growing after', () => {
    const arena = new SampleArena(8);
    const a = filled(arena, [1, 2, 3]);
    const b = filled(arena, [7]);
    a.pushRange(Float64Array.from([4, 5]), Float64Array.from([40, 50]), 2, -Infinity, Infinity);
    expect([...a.snapshot().timestamps]).toEqual([1, 2, 3, 4, 5]);
    expect([...a.snapshot().values]).toEqual([10, 20, 30, 40, 50]);
    expect([...b.snapshot().timestamps]).toEqual([7]);
  });

  it('keeps only the samples in range', () => {
    const b = new SampleBuffer(0, new SampleArena());
    b.pushRange(Float64Array.from([1, 2, 3, 4]), Float64Array.from([1, 2, 3, 4]), 4, 2, 3);
    expect([...b.snapshot().timestamps]).toEqual([2, 3]);
  });

  it('serves a series larger than a pool slab from memory of its own', () => {
    const pool = new SlabPool(4, 8);
    const arena = SampleArena.pooled(pool);
    const b = filled(arena, [1, 2, 3, 4, 5, 6]);
    expect([...b.snapshot().timestamps]).toEqual([1, 2, 3, 4, 5, 6]);
    arena.release();
    expect(pool.idle).toBe(0);
  });

  it('returns pooled slabs on release, and the next arena reuses them', () => {
    const pool = new SlabPool(16, 8);
    const first = SampleArena.pooled(pool);
    const s = filled(first, [1, 2]).snapshot();
    const slabs = [s.timestamps.buffer, s.values.buffer];
    first.release();
    expect(first.released).toBe(true);
    expect(pool.idle).toBe(2);
    const b = filled(SampleArena.pooled(pool), [5, 6, 7]).snapshot();
    expect([...b.timestamps]).toEqual([5, 6, 7]);
    expect(slabs).toContain(b.timestamps.buffer);
    expect(slabs).toContain(b.values.buffer);
  });

  it('hands out fresh memory once released, never the slabs it gave back', () => {
    const pool = new SlabPool(16, 8);
    const arena = SampleArena.pooled(pool);
    filled(arena, [1]);
    arena.release();
    const late = filled(arena, [9, 10]);
    expect(pool.idle).toBe(2);
    expect([...late.snapshot().timestamps]).toEqual([9, 10]);
  });

  it('leaves a single sorted source untouched by normalize', () => {
    const b = filled(new SampleArena(), [1, 2, 3]);
    normalize(b, 0);
    expect([...b.snapshot().timestamps]).toEqual([1, 2, 3]);
  });

  it('refuses a read into an arena already released', async () => {
    const dir = tempDir();
    const storage = await openStorage(dir.path);
    try {
      await storage.append(
        ...rows([
          [1, 1000, 1],
          [1, 2000, 2],
        ]),
      );
      const arena = SampleArena.pooled(new SlabPool(16, 4));
      const got = await storage.read([1], 0, 3000, arena);
      expect([...got.get(1)!.values]).toEqual([1, 2]);
      arena.release();
      await expect(storage.read([1], 0, 3000, arena)).rejects.toThrow(ReadAbandonedError);
    } finally {
      await storage.close();
      dir.cleanup();
    }
  });
});
