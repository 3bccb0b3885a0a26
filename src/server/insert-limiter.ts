/**
 * Bounds concurrent insert work (--maxConcurrentInserts). Requests past the bound wait in a
 * bounded queue for a short while; when the queue is full or the wait runs out the request gets
 * 429 with Retry-After, which Prometheus's remote-write client backs off on and retries.
 *
 * A slot is held from before the body is read until the handler settles, so the handler must
 * settle on every path: the body read rejects when the client leaves or the body-read deadline
 * passes (http-server.ts). A request whose client left while it waited leaves the queue at once.
 */
import { HttpError } from './errors.js';

export class InsertLimiter {
  private running = 0;
  private readonly waiting: Array<{ grant: () => void; fail: (e: unknown) => void }> = [];

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueued: number = maxConcurrent * 4,
    private readonly maxWaitMs: number = 10_000,
  ) {}

  /** Slots held right now. */
  get current(): number {
    return this.running;
  }

  get capacity(): number {
    return this.maxConcurrent;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(gone(signal));
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueued) return Promise.reject(overloaded('the insert queue is full'));
    return new Promise((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
      };
      const entry = {
        grant: () => {
          leave();
          this.running++;
          resolve();
        },
        fail: (e: unknown) => {
          leave();
          reject(e);
        },
      };
      const onAbort = () => entry.fail(gone(signal!));
      const timer = setTimeout(() => entry.fail(overloaded(`no insert slot became free within ${this.maxWaitMs} ms`)), this.maxWaitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private release(): void {
    this.running--;
    this.waiting[0]?.grant();
  }
}

function overloaded(why: string): HttpError {
  return new HttpError(429, `Strata is overloaded: ${why} (--maxConcurrentInserts); retry later`, 'too_many_requests', { 'Retry-After': '1' });
}

function gone(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new Error('request aborted');
}
