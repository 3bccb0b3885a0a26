import { describe, expect, it } from 'vitest';
import { DayTracker } from '../../src/db/day-tracker.js';

const collect = (t: DayTracker, pairs: [number, number][]): Record<number, number[]> => {
  const out = new Map<number, number[]>();
  for (const [day, id] of pairs) t.collectNew(day, id, out);
  return Object.fromEntries(out);
};

describe('day tracker', () => {
  it('reports a series once per day', () => {
    const t = new DayTracker();
    expect(
      collect(t, [
        [10, 1],
        [10, 1],
        [10, 2],
        [11, 1],
      ]),
    ).toEqual({ 10: [1, 2], 11: [1] });
    expect(
      collect(t, [
        [10, 1],
        [10, 2],
        [11, 1],
      ]),
    ).toEqual({});
  });

  it('handles ids far apart, including ids beyond the bitmap', () => {
    const t = new DayTracker();
    const ids = [0, 31, 32, 1_000_003, 2 ** 31, 2 ** 40];
    expect(
      collect(
        t,
        ids.map((id) => [5, id]),
      ),
    ).toEqual({ 5: ids });
    expect(
      collect(
        t,
        ids.map((id) => [5, id]),
      ),
    ).toEqual({});
  });

  it('forgets days well behind the newest one, so a backfill registers again', () => {
    const t = new DayTracker();
    collect(t, [[1, 7]]);
    collect(t, [[10, 7]]);
    expect(
      collect(t, [
        [1, 7],
        [10, 7],
      ]),
    ).toEqual({ 1: [7] });
  });

  it('forgets everything on clear', () => {
    const t = new DayTracker();
    collect(t, [[3, 1]]);
    t.clear();
    expect(collect(t, [[3, 1]])).toEqual({ 3: [1] });
  });
});
