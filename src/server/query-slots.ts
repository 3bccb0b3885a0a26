/**
 * Bounds how many queries evaluate at once (--search.maxConcurrentRequests, as VictoriaMetrics
 * names it); the rest wait in arrival order. Evaluation shares one thread with ingestion: sixteen
 * dashboard panels evaluated interleaved all finish late, hold their data at once (memory, GC)
 * and time out together, while queued ones finish one after another. The query's own deadline
 * starts when it gets its slot; waiting longer than --search.maxQueueDuration gives 503 (errorType timeout).
 */
import { PromQLError } from '../promql/index.js';
import { Slots } from './slots.js';

export class QuerySlots extends Slots {
  constructor(capacity: number, maxWaitMs: number) {
    super({
      capacity,
      // Queries wait until their time is up, however many there are.
      maxQueued: Infinity,
      maxWaitMs,
      errors: {
        queueFull: () => new PromQLError('timeout', 'the query queue is full'),
        timedOut: (ms) =>
          new PromQLError(
            'timeout',
            `the query waited ${ms} ms for one of --search.maxConcurrentRequests=${capacity} slots (--search.maxQueueDuration); retry later`,
          ),
        aborted: () => new PromQLError('canceled', 'the client went away while the query waited for a slot'),
      },
    });
  }
}
