import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/server/errors.js';
import { InsertLimiter } from '../../src/server/insert-limiter.js';

const gate = () => {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
};

describe('InsertLimiter', () => {
  it('runs at most maxConcurrent inserts at once and queues the rest', async () => {
    const limiter = new InsertLimiter(2, 10, 5000);
    let running = 0;
    let peak = 0;
    const g = gate();
    const jobs = Array.from({ length: 5 }, () =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await g.p;
        running--;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(peak).toBe(2);
    g.open();
    await Promise.all(jobs);
    expect(peak).toBe(2);
  });

  it('answers 429 with Retry-After once the queue is full', async () => {
    const limiter = new InsertLimiter(1, 1, 5000);
    const g = gate();
    const first = limiter.run(() => g.p);
    const queued = limiter.run(async () => undefined);
    const err = await limiter.run(async () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(429);
    expect((err as HttpError).headers['Retry-After']).toBe('1');
    g.open();
    await Promise.all([first, queued]);
  });

  it('answers 429 when no slot frees up within the wait limit', async () => {
    const limiter = new InsertLimiter(1, 5, 20);
    const g = gate();
    const first = limiter.run(() => g.p);
    const err = await limiter.run(async () => undefined).catch((e: unknown) => e);
    expect((err as HttpError).status).toBe(429);
    g.open();
    await first;
  });

  it('frees the slot when an insert fails', async () => {
    const limiter = new InsertLimiter(1, 1, 1000);
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 7)).resolves.toBe(7);
  });
});
