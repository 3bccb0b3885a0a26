/**
 * Bounds how many queries evaluate at once (--search.maxConcurrentRequests, as VictoriaMetrics
 * names it); the rest wait in arrival order. Evaluation shares one thread with ingestion: sixteen
 * dashboard panels evaluated interleaved all finish late, hold their data at once (memory, GC)
 * and time out together, while queued ones finish one after another. The query's own deadline
 * starts when it gets its slot; waiting longer than --search.maxQueueDuration gives 503 (errorType timeout).
 */
import { PromQLError } from '../promql/index.js';

export class QuerySlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly capacity: number,
    private readonly maxWaitMs: number,
  ) {}

  get current(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.running < this.capacity) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.running++;
        resolve();
      };
      const leave = (e: PromQLError): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(e);
      };
      const onAbort = (): void => leave(new PromQLError('canceled', 'the client went away while the query waited for a slot'));
      const timer = setTimeout(
        () =>
          leave(
            new PromQLError(
              'timeout',
              `the query waited ${this.maxWaitMs} ms for one of --search.maxConcurrentRequests=${this.capacity} slots (--search.maxQueueDuration); retry later`,
            ),
          ),
        this.maxWaitMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }
}
