import { describe, expect, it } from 'vitest';
import { Memtable, collectChain } from '../../src/storage/memtable.js';
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
    const m = table([
      [1, 30, 3],
      [2, 5, 0],
      [1, 10, 1],
      [1, 20, 2],
    ]);
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
    const m = table([
      [1, 10, 1],
      [1, 20, 2],
      [2, 30, 3],
    ]);
    const b = new SampleBuffer();
    m.collect(1, 15, 25, b);
    expect(b.length).toBe(1);
    const ids = new Set<number>();
    m.idsInRange(25, 40, ids);
    expect([...ids]).toEqual([2]);
  });

  it('keeps its columns in shared memory when asked, so a flush worker gets them without a copy', () => {
    const m = new Memtable(2, true);
    m.append(Float64Array.of(1, 2, 1), Float64Array.of(10, 20, 30), Float64Array.of(0.5, 1.5, 2.5), 0, 3);
    const c = m.chains(true);
    expect(c.timestamps.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(c.prev.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(c.values.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(c.timestamps)).toEqual([10, 20, 30]);
  });

  it('copies unshared columns handed to a worker, so they can be transferred', () => {
    const m = table([[1, 10, 1]]);
    const c = m.chains(true);
    expect(c.timestamps.buffer).toBeInstanceOf(ArrayBuffer);
    c.timestamps[0] = 99;
    const b = new SampleBuffer();
    m.collect(1, -Infinity, Infinity, b);
    expect(b.timestamps[0]).toBe(10);
  });

  it('lists each series with its newest row, and following the links gives what collect gives', () => {
    const rows: [number, number, number][] = Array.from({ length: 500 }, (_, i) => [(i * 7) % 13, 1000 - i, i]);
    const m = table(rows);
    const c = m.chains(false);
    expect(Array.from(c.seriesIds)).toEqual(Array.from(m.sortedIds()));
    for (let k = 0; k < c.seriesIds.length; k++) {
      const viaChain = new SampleBuffer();
      collectChain(c.timestamps, c.values, c.prev, c.heads[k]!, -Infinity, Infinity, viaChain);
      const viaCollect = new SampleBuffer();
      m.collect(c.seriesIds[k]!, -Infinity, Infinity, viaCollect);
      expect(Array.from(viaChain.values.subarray(0, viaChain.length))).toEqual(Array.from(viaCollect.values.subarray(0, viaCollect.length)));
      expect(viaChain.length).toBeGreaterThan(0);
    }
  });

  it('reports its capacity, which a full memtable may exceed only by growing', () => {
    const m = new Memtable(4);
    expect(m.capacity).toBe(4);
    m.append(new Float64Array(5), Float64Array.of(1, 2, 3, 4, 5), new Float64Array(5), 0, 5);
    expect(m.capacity).toBe(8);
    expect(m.length).toBe(5);
  });
});
