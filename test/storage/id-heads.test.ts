import { describe, expect, it } from 'vitest';
import { IdHeads } from '../../src/storage/id-heads.js';

describe('memtable id → head row table', () => {
  it('returns -1 for a new id and the previous head for a known one', () => {
    const h = new IdHeads();
    expect(h.swap(7, 0)).toBe(-1);
    expect(h.swap(7, 5)).toBe(0);
    expect(h.get(7)).toBe(5);
    expect(h.get(8)).toBe(-1);
    expect(h.size).toBe(1);
  });

  it('keeps every id through growth, including id 0 and ids past 2^32', () => {
    const h = new IdHeads();
    const ids = [0, 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1];
    for (let i = 0; i < 20_000; i++) ids.push(i * 7919 + 3);
    ids.forEach((id, row) => h.swap(id, row));
    const unique = new Map<number, number>();
    ids.forEach((id, row) => unique.set(id, row));
    expect(h.size).toBe(unique.size);
    for (const [id, row] of unique) expect(h.get(id)).toBe(row);
    const seen: number[] = [];
    h.forEach((id) => seen.push(id));
    expect(seen.sort((a, b) => a - b)).toEqual([...unique.keys()].sort((a, b) => a - b));
  });

  it('forgets everything on clear', () => {
    const h = new IdHeads();
    h.swap(3, 1);
    h.clear();
    expect(h.get(3)).toBe(-1);
    expect(h.size).toBe(0);
    expect(h.swap(3, 2)).toBe(-1);
  });
});

describe('memtable id → head row table, counter-assigned ids', () => {
  it('keeps ids below and above the flat range apart, and lists the flat ones in ascending order', () => {
    const h = new IdHeads();
    const ids = [5_000_000, 3, 1, 4_194_303, 4_194_304, 2, 70_000];
    ids.forEach((id, row) => h.swap(id, row));
    expect(h.size).toBe(ids.length);
    ids.forEach((id, row) => expect(h.get(id)).toBe(row));
    const seen: number[] = [];
    h.forEach((id) => seen.push(id));
    expect(seen.slice(0, 5)).toEqual([1, 2, 3, 70_000, 4_194_303]);
    expect(seen.slice(5).sort((a, b) => a - b)).toEqual([4_194_304, 5_000_000]);
  });

  it('starts empty again after clear, in the flat range too', () => {
    const h = new IdHeads();
    for (let id = 1; id <= 100_000; id++) h.swap(id, id);
    h.clear();
    expect(h.size).toBe(0);
    expect(h.get(50_000)).toBe(-1);
    expect(h.swap(50_000, 9)).toBe(-1);
    const seen: number[] = [];
    h.forEach((id) => seen.push(id));
    expect(seen).toEqual([50_000]);
  });
});
