import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMemoryCollector } from '../../src/app/memory-collector.js';
import { canTrimMalloc } from '../../src/runtime/index.js';

/** Buffers nobody holds on to, outside the JS heap; returns one of them to watch. */
function makeGarbage(bytes: number): object {
  const parts = Array.from({ length: Math.ceil(bytes / 65536) }, () => new Float64Array(8192));
  return parts[0]!;
}

/** JS objects nobody holds on to (label-like strings); returns the array to watch. */
function makeHeapGarbage(n: number): object {
  return Array.from({ length: n }, (_, i) => `label-value-${i}`);
}

describe('memory collector', () => {
  it('runs a full GC once garbage outside the JS heap has grown past its slack', async () => {
    const c = startMemoryCollector({ intervalMs: 20, slackBytes: 8 * 1024 * 1024 });
    try {
      const before = c.collections;
      const dropped = new WeakRef(makeGarbage(40 * 512 * 1024));
      for (let i = 0; i < 100 && c.collections === before; i++) await sleep(20);
      await sleep(20);
      expect(c.collections).toBeGreaterThan(before);
      expect(dropped.deref()).toBeUndefined();
      expect(c.pauseMs).toBeGreaterThan(0);
    } finally {
      c.stop();
    }
  });

  it('runs a full GC once the JS heap has grown past its heap slack', async () => {
    const c = startMemoryCollector({ intervalMs: 20, slackBytes: 1024 * 1024 * 1024, heapSlackBytes: 4 * 1024 * 1024 });
    try {
      const before = c.collections;
      const dropped = new WeakRef(makeHeapGarbage(200_000));
      for (let i = 0; i < 100 && c.collections === before; i++) await sleep(20);
      await sleep(20);
      expect(c.collections).toBeGreaterThan(before);
      expect(dropped.deref()).toBeUndefined();
    } finally {
      c.stop();
    }
  });

  it.skipIf(!canTrimMalloc())('trims malloc once resident memory has grown past its trim slack', async () => {
    const c = startMemoryCollector({
      intervalMs: 20,
      slackBytes: 1024 * 1024 * 1024,
      heapSlackBytes: 1024 * 1024 * 1024,
      trimSlackBytes: 8 * 1024 * 1024,
      trimIntervalMs: 20,
    });
    try {
      const held = Array.from({ length: 2048 }, () => Buffer.allocUnsafeSlow(32 * 1024).fill(1));
      for (let i = 0; i < 100 && c.trims === 0; i++) await sleep(20);
      expect(c.trims).toBeGreaterThan(0);
      expect(held.length).toBe(2048);
    } finally {
      c.stop();
    }
  });

  it('does not trim while resident memory stays within its trim slack', async () => {
    const c = startMemoryCollector({ intervalMs: 10, trimSlackBytes: 1024 * 1024 * 1024 });
    await sleep(60);
    c.stop();
    expect(c.trims).toBe(0);
  });

  it('does nothing while external memory stays within its slack', async () => {
    const c = startMemoryCollector({ intervalMs: 10, slackBytes: 1024 * 1024 * 1024, heapSlackBytes: 1024 * 1024 * 1024 });
    await sleep(60);
    c.stop();
    expect(c.collections).toBe(0);
  });

  it('rejects a non-positive interval or slack', () => {
    expect(() => startMemoryCollector({ intervalMs: 0 })).toThrow(RangeError);
    expect(() => startMemoryCollector({ slackBytes: -1 })).toThrow(/slackBytes/);
    expect(() => startMemoryCollector({ heapSlackBytes: 0 })).toThrow(/heapSlackBytes/);
  });
});
