/**
 * Decoded label blocks kept for queries: bounded by bytes in two generations, a block found in
 * the older one moves to the newer, and its sets keep sharing the Label objects they share.
 */
import { describe, expect, it } from 'vitest';
import { LabelBlockCache, labelBlockBytes } from '../../src/index/label-block-cache.js';
import type { LabelBlock } from '../../src/index/label-blocks.js';
import type { Label, Labels } from '../../src/model/index.js';

/** A block of `n` node_exporter-like sets from id `first`, sharing name and job as decodeBlock does. */
function block(first: number, n: number): LabelBlock {
  const name: Label = { name: '__name__', value: 'node_cpu_seconds_total' };
  const job: Label = { name: 'job', value: 'node' };
  const sets: Labels[] = [];
  for (let k = 0; k < n; k++) sets.push([name, { name: 'cpu', value: String(k) }, job]);
  return { first, tenant: Buffer.alloc(8), sets };
}

describe('label block cache', () => {
  it('finds every id of a cached block', () => {
    const c = new LabelBlockCache(1 << 20);
    const b = block(100, 32);
    c.put(b);
    for (let id = 100; id < 132; id++) expect(c.get(id)).toBe(b);
    expect(c.get(99)).toBeUndefined();
    expect(c.get(132)).toBeUndefined();
  });

  it('counts shared Label objects once', () => {
    const b = block(1, 32);
    const unshared: LabelBlock = { ...b, sets: b.sets.map((s) => s.map((l) => ({ ...l }))) };
    expect(labelBlockBytes(b)).toBeLessThan(labelBlockBytes(unshared));
  });

  it('stays within its budget, keeping the blocks asked for again', () => {
    const one = labelBlockBytes(block(0, 32));
    const c = new LabelBlockCache(one * 20);
    const hot = block(0, 32);
    c.put(hot);
    for (let i = 1; i <= 100; i++) {
      c.put(block(i * 32, 32));
      expect(c.get(5)).toBe(hot);
      expect(c.bytes).toBeLessThanOrEqual(one * 20);
    }
    expect(c.get(32)).toBeUndefined(); // the first cold block is long gone
    expect(c.get(100 * 32)).toBeDefined();
  });

  it('keeps nothing with a budget of 0', () => {
    const c = new LabelBlockCache(0);
    c.put(block(0, 4));
    expect(c.get(0)).toBeUndefined();
  });
});
