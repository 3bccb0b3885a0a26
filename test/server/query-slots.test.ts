/** Query slots: at most N queries evaluate at once, the rest run in arrival order or time out waiting. */
import { describe, expect, it } from 'vitest';
import { QuerySlots } from '../../src/server/query-slots.js';
import { PromQLError } from '../../src/promql/engine.js';

const later = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('QuerySlots', () => {
  it('runs at most capacity queries at once, the rest in arrival order', async () => {
    const slots = new QuerySlots(2, 5_000);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        slots.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await later(20);
          order.push(i);
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(slots.current).toBe(0);
  });

  it('fails a query that waited longer than the queue duration with a timeout naming the flag', async () => {
    const slots = new QuerySlots(1, 30);
    const first = slots.run(() => later(200));
    const err = await slots.run(async () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromQLError);
    expect((err as PromQLError).errorType).toBe('timeout');
    expect((err as PromQLError).message).toContain('--search.maxConcurrentRequests=1');
    await first;
    expect(await slots.run(async () => 2)).toBe(2);
  });

  it('frees the slot when a query fails', async () => {
    const slots = new QuerySlots(1, 1_000);
    await expect(
      slots.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await slots.run(async () => 3)).toBe(3);
  });
});
