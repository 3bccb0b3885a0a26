/**
 * A fixed number of slots for work that must not all run at once, with waiters served in
 * arrival order: the one mechanism behind --maxConcurrentInserts (insert-limiter.ts) and
 * --search.maxConcurrentRequests (query-slots.ts). A waiter leaves the queue when its wait runs
 * out, when its client goes away (its AbortSignal), or at once when the queue is full; what each
 * of those answers is the caller's (`SlotErrors`).
 */

export interface SlotErrors {
  /** The queue already holds `maxQueued` waiters. */
  queueFull(): unknown;
  /** A waiter waited `maxWaitMs` without a slot freeing. */
  timedOut(waitedMs: number): unknown;
  /** The waiter's signal aborted before it got a slot. */
  aborted(signal: AbortSignal): unknown;
}

export interface SlotOptions {
  readonly capacity: number;
  readonly maxQueued: number;
  readonly maxWaitMs: number;
  readonly errors: SlotErrors;
}

interface Waiter {
  grant(): void;
  fail(e: unknown): void;
}

export class Slots {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly opts: SlotOptions) {}

  get capacity(): number {
    return this.opts.capacity;
  }

  /** Slots held right now. */
  get current(): number {
    return this.running;
  }

  /** Work waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` in a slot; the slot is given back however `fn` settles. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting[0]?.grant();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    const { capacity, maxQueued, maxWaitMs, errors } = this.opts;
    if (signal?.aborted) return Promise.reject(errors.aborted(signal));
    if (this.running < capacity) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= maxQueued) return Promise.reject(errors.queueFull());
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          this.running++;
          resolve();
        },
        fail: (e) => {
          leave();
          reject(e);
        },
      };
      const onAbort = (): void => waiter.fail(errors.aborted(signal!));
      const timer = setTimeout(() => waiter.fail(errors.timedOut(maxWaitMs)), maxWaitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }
}
