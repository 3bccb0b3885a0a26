/** The scale profile queries each system once its data is past both caches' 5-minute offset. */
import { describe, expect, it } from 'vitest';
import { CACHE_OFFSET_MS, cacheableAgeWaitMs } from '../../bench/scale.js';

describe('cacheableAgeWaitMs', () => {
  it('waits until the last scrape is older than the cache offset, with a margin', () => {
    const end = 1_700_000_000_000;
    expect(cacheableAgeWaitMs(end, end + 60_000)).toBe(CACHE_OFFSET_MS - 60_000 + 15_000);
  });

  it('does not wait for data that is old enough already', () => {
    const end = 1_700_000_000_000;
    expect(cacheableAgeWaitMs(end, end + CACHE_OFFSET_MS + 60_000)).toBe(0);
  });
});
