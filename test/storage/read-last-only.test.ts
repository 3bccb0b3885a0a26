/**
 * Reads for an instant selector (lastOnly): each series' newest sample in the range is what a
 * full read ends with, whatever parts, blocks and memtables hold it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/index.js';
import { isStaleNaNAt } from '../../src/model/index.js';
import { T0, asPairs, openStorage, rows, staleAt, tempDir } from './helpers.js';

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function fresh(): Promise<Storage> {
  const d = tempDir();
  const s = await openStorage(d.path);
  cleanups.push(d.cleanup, () => s.close());
  return s;
}

/** The newest sample of every id in [minT, maxT], as a full read gives it, and as a lastOnly read does. */
async function lastOfBoth(s: Storage, ids: number[], minT: number, maxT: number): Promise<{ full: [number, number][]; last: [number, number][] }> {
  const full = await s.read(ids, minT, maxT);
  const last = await s.read(ids, minT, maxT, undefined, true);
  const pick = (m: Map<number, { timestamps: Float64Array; values: Float64Array }>): [number, number][] =>
    ids.map((id) => asPairs(m.get(id)).at(-1) ?? [NaN, NaN]);
  return { full: pick(full), last: pick(last) };
}

describe('Storage.read with lastOnly', () => {
  it('ends with the same newest sample as a full read, across parts, blocks read twice and the memtable', async () => {
    const s = await fresh();
    const list: [number, number, number][] = [];
    for (let id = 1; id <= 20; id++) for (let k = 0; k < 90; k++) list.push([id, T0 + k * 10_000, id * 1000 + k]);
    await s.append(...rows(list));
    await s.forceFlush();
    // A later part overwrites one timestamp of id 3 and adds newer samples to id 4.
    await s.append(
      ...rows([
        [3, T0 + 89 * 10_000, -1],
        [4, T0 + 95 * 10_000, -2],
      ]),
    );
    await s.forceFlush();
    await s.append(...rows([[5, T0 + 96 * 10_000, -3]]));
    for (const maxT of [T0 + 89 * 10_000, T0 + 50 * 10_000 + 1, T0 + 100 * 10_000]) {
      const minT = maxT - 300_000;
      // Twice: the first read fills the block cache, the second is served from it.
      for (let round = 0; round < 2; round++) {
        const { full, last } = await lastOfBoth(
          s,
          Array.from({ length: 20 }, (_, i) => i + 1),
          minT,
          maxT,
        );
        expect(last).toEqual(full);
      }
    }
  });

  it('returns a staleness marker when it is the newest sample', async () => {
    const s = await fresh();
    const [ids, ts] = rows([
      [1, T0, 0],
      [1, T0 + 10_000, 0],
      [1, T0 + 20_000, 0],
    ]);
    await s.append(ids, ts, staleAt([1, 2, 0], 2), 3);
    await s.forceFlush();
    const got = (await s.read([1], T0, T0 + 20_000, undefined, true)).get(1)!;
    expect(got.timestamps.at(-1)).toBe(T0 + 20_000);
    expect(isStaleNaNAt(got.values, got.values.length - 1)).toBe(true);
  });
});
