import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { canTrimMalloc, exposeGc, trimMalloc } from '../../src/runtime/index.js';

const MiB = 1024 * 1024;

/**
 * Leaves `bytes` of freed malloc memory below a live allocation: buffers under glibc's mmap
 * threshold come from the arena, and the pin allocated after them keeps free() from trimming the
 * heap's top, as the long-lived allocations of a running server do.
 */
async function freedBelowAPin(bytes: number): Promise<Buffer> {
  const gc = exposeGc()!;
  let garbage: Buffer[] | null = Array.from({ length: bytes / (32 * 1024) }, () => Buffer.allocUnsafeSlow(32 * 1024).fill(1));
  const pin = Buffer.allocUnsafeSlow(1024).fill(2);
  expect(garbage.length).toBeGreaterThan(0);
  garbage = null;
  // ArrayBuffer memory is freed by a background sweeper after the GC that found it dead.
  for (let i = 0; i < 5; i++) {
    gc();
    await sleep(50);
  }
  return pin;
}

describe.skipIf(!canTrimMalloc())('malloc trim', () => {
  it('hands memory freed inside malloc arenas back to the OS', async () => {
    const pin = await freedBelowAPin(64 * MiB);
    const before = process.memoryUsage.rss();
    expect(await trimMalloc()).toBe(true);
    const after = process.memoryUsage.rss();
    expect(before - after).toBeGreaterThan(32 * MiB);
    expect(pin[0]).toBe(2);
  });
});

describe.skipIf(canTrimMalloc())('malloc trim without its addon', () => {
  it('does nothing and says so', async () => {
    expect(await trimMalloc()).toBe(false);
  });
});
