/**
 * Bounds concurrent insert work (--maxConcurrentInserts). Requests past the bound wait in a
 * bounded queue for a short while; when the queue is full or the wait runs out the request gets
 * 429 with Retry-After, which Prometheus's remote-write client backs off on and retries.
 */
import { HttpError } from './errors.js';

export class InsertLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueued: number = maxConcurrent * 4,
    private readonly maxWaitMs: number = 10_000,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueued) return Promise.reject(overloaded('the insert queue is full'));
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        this.running++;
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(overloaded(`no insert slot became free within ${this.maxWaitMs} ms`));
      }, this.maxWaitMs);
      this.waiting.push(grant);
    });
  }

  private release(): void {
    this.running--;
    const next = this.waiting.shift();
    if (next) next();
  }
}

function overloaded(why: string): HttpError {
  return new HttpError(429, `Strata is overloaded: ${why} (--maxConcurrentInserts); retry later`, 'too_many_requests', { 'Retry-After': '1' });
}
