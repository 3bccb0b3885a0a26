import { describe, expect, it } from 'vitest';
import { measureCompression } from '../../bench/codec.js';

// The bar: on realistic node_exporter-like series (counters, gauges, histogram buckets,
// 1 s and 15 s scrapes with jitter) at least 40% fewer bytes than Gorilla XOR on the same blocks.
describe('compression against Gorilla XOR', () => {
  const rows = measureCompression(8192);
  const all = rows.find((r) => r.series === 'all series')!;

  it('is at least 40% smaller over all series', () => {
    expect(all.reduction).toBeGreaterThanOrEqual(0.4);
  });

  it('is smaller for every kind of series at both scrape intervals', () => {
    for (const r of rows) expect(r.reduction, r.series).toBeGreaterThan(0.3);
  });

  it('keeps jittered timestamps under one byte a sample', () => {
    for (const r of rows) expect(r.strataTsBytesPerSample, r.series).toBeLessThan(1);
  });
});
