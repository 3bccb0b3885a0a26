import { describe, expect, it } from 'vitest';
import { Memtable } from '../../src/storage/memtable.js';
import { SampleBuffer } from '../../src/storage/samples.js';

function table(rows: [number, number, number][]): Memtable {
  const m = new Memtable(2);
  m.append(
    Float64Array.from(rows, (r) => r[0]),
    Float64Array.from(rows, (r) => r[1]),
    Float64Array.from(rows, (r) => r[2]),
    0,
    rows.length,
  );
  return m;
}

describe('memtable', () => {
  it('returns a series in write order, whatever the timestamps', () => {
    const m = table([[1, 30, 3], [2, 5, 0], [1, 10, 1], [1, 20, 2]]);
    const b = new SampleBuffer(1);
    m.collect(1, -Infinity, Infinity, b);
    expect(Array.from(b.timestamps.subarray(0, b.length))).toEqual([30, 10, 20]);
    expect(Array.from(b.values.subarray(0, b.length))).toEqual([3, 1, 2]);
  });

  it('grows past its initial capacity and tracks its time range and series', () => {
    const rows: [number, number, number][] = Array.from({ length: 1000 }, (_, i) => [i % 7, 1000 - i, i]);
    const m = table(rows);
    expect(m.length).toBe(1000);
    expect(m.seriesCount).toBe(7);
    expect([m.minT, m.maxT]).toEqual([1, 1000]);
    expect(Array.from(m.sortedIds())).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('filters by time when collecting and when listing ids', () => {
    const m = table([[1, 10, 1], [1, 20, 2], [2, 30, 3]]);
    const b = new SampleBuffer();
    m.collect(1, 15, 25, b);
    expect(b.length).toBe(1);
    const ids = new Set<number>();
    m.idsInRange(25, 40, ids);
    expect([...ids]).toEqual([2]);
  });
});
