/** Ranged deletions: hidden at read time, kept across restarts, dropped by merges. */
import { afterEach, describe, expect, it } from 'vitest';
import { SampleBuffer } from '../../src/storage/samples.js';
import { cutIntervals } from '../../src/storage/tombstones.js';
import { STALE_NAN_BITS_HI } from '../../src/model/index.js';
import { T0, asPairs, openStorage, rows, staleAt, tempDir } from './helpers.js';

describe('cutIntervals', () => {
  it('removes the samples inside any interval and keeps the others in order', () => {
    const b = new SampleBuffer();
    for (let t = 0; t < 10; t++) b.push(t, t * 10);
    cutIntervals(b, 0, [
      [2, 3],
      [7, 7],
    ]);
    expect(Array.from(b.timestamps.subarray(0, b.length))).toEqual([0, 1, 4, 5, 6, 8, 9]);
    expect(Array.from(b.values.subarray(0, b.length))).toEqual([0, 10, 40, 50, 60, 80, 90]);
  });

  it('leaves samples before `from` alone', () => {
    const b = new SampleBuffer();
    for (const t of [5, 6, 5, 6]) b.push(t, t);
    cutIntervals(b, 2, [[5, 5]]);
    expect(Array.from(b.timestamps.subarray(0, b.length))).toEqual([5, 6, 6]);
  });

  it('moves staleness markers bit for bit', () => {
    const b = new SampleBuffer();
    const vs = staleAt([1, 2, 3], 2);
    for (let i = 0; i < 3; i++) b.push(i, 0);
    b.values.set(vs);
    cutIntervals(b, 0, [[1, 1]]);
    expect(new Uint32Array(b.values.buffer, 8, 2)[1]).toBe(STALE_NAN_BITS_HI);
  });
});

describe('Storage.deleteRange', () => {
  let dir: ReturnType<typeof tempDir>;
  afterEach(() => dir.cleanup());
  const list = (id: number): [number, number, number][] => Array.from({ length: 6 }, (_, i) => [id, T0 + i * 1000, i]);

  it('hides the range of the named series only, also after a restart', async () => {
    dir = tempDir();
    let s = await openStorage(dir.path);
    await s.append(...rows([...list(1), ...list(2)]));
    await s.deleteRange([1], T0 + 1000, T0 + 2000);
    await s.close();
    s = await openStorage(dir.path);
    const got = await s.read([1, 2], -Infinity, Infinity);
    expect(asPairs(got.get(1)).map(([, v]) => v)).toEqual([0, 3, 4, 5]);
    expect(asPairs(got.get(2)).map(([, v]) => v)).toEqual([0, 1, 2, 3, 4, 5]);
    await s.close();
  });

  it('drops the samples in a merge and then forgets the tombstone', async () => {
    dir = tempDir();
    const s = await openStorage(dir.path);
    await s.append(...rows(list(1)));
    await s.deleteRange([1], T0, T0 + 4000);
    await s.forceMerge();
    expect(asPairs((await s.read([1], -Infinity, Infinity)).get(1)).map(([, v]) => v)).toEqual([5]);
    expect(s.stats().rowsByPartType.big).toBe(1);
    await s.close();
    const { readFileSync } = await import('node:fs');
    expect(JSON.parse(readFileSync(`${dir.path}/data/tombstones.json`, 'utf8')).tombstones).toEqual([]);
  });
});
