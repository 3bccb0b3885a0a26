/** Every storable timestamp has a partition, so no single row can make a flush fail. */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_STORABLE_T, MIN_STORABLE_T, monthRange, partitionKey, partitionRange } from '../../src/storage/partition.js';
import { asPairs, openStorage, rows, tempDir } from './helpers.js';

describe('partition names', () => {
  it('names a month of year 58,902 and reads the name back', () => {
    const t = Date.UTC(58902, 4, 17);
    expect(partitionKey(t)).toBe('58902_05');
    expect(partitionRange('58902_05')).toEqual([Date.UTC(58902, 4, 1), Date.UTC(58902, 5, 1)]);
  });

  it('names years below 100 without JavaScript mapping them to 19xx', () => {
    const t = new Date(0).setUTCFullYear(50, 0, 15);
    expect(partitionKey(t)).toBe('0050_01');
    expect(partitionRange('0050_01')[0]).toBe(new Date(0).setUTCFullYear(50, 0, 1));
  });

  it('names years before year 0 with a sign', () => {
    const t = new Date(0).setUTCFullYear(-3, 6, 1);
    expect(partitionKey(t)).toBe('-0003_07');
    expect(partitionRange('-0003_07')).toEqual(monthRange(t));
  });

  it('gives the first and last storable milliseconds a partition that contains them', () => {
    for (const t of [MIN_STORABLE_T, MAX_STORABLE_T]) {
      const [start, end] = partitionRange(partitionKey(t));
      expect(start).toBeLessThanOrEqual(t);
      expect(end).toBeGreaterThan(t);
    }
  });
});

describe('storage with extreme timestamps', () => {
  let dir: ReturnType<typeof tempDir>;
  afterEach(() => dir.cleanup());

  it('flushes a row in year 58,902 next to ordinary rows and reads both back after a restart', async () => {
    dir = tempDir();
    const far = Date.UTC(58902, 4, 17);
    const near = Date.UTC(2026, 10, 1);
    let s = await openStorage(dir.path);
    await s.append(
      ...rows([
        [1, far, 42],
        [2, near, 7],
      ]),
    );
    await s.forceFlush();
    await s.close();
    s = await openStorage(dir.path);
    const got = await s.read([1, 2], -Infinity, Infinity);
    expect(asPairs(got.get(1))).toEqual([[far, 42]]);
    expect(asPairs(got.get(2))).toEqual([[near, 7]]);
    await s.close();
  });

  it('drops and counts rows past the storable range or past maxFutureMs instead of failing the append', async () => {
    dir = tempDir();
    const now = Date.UTC(2026, 10, 1);
    const s = await openStorage(dir.path, { maxFutureMs: 2 * 86_400_000, now: () => now });
    const res = await s.append(
      ...rows([
        [1, MAX_STORABLE_T + 1, 1],
        [1, now + 3 * 86_400_000, 2],
        [1, now, 3],
      ]),
    );
    expect(res).toEqual({ stored: 1, droppedOutOfRetention: 0, droppedOutOfBounds: 2 });
    await s.forceFlush();
    expect(asPairs((await s.read([1], -Infinity, Infinity)).get(1))).toEqual([[now, 3]]);
    await s.close();
  });
});
