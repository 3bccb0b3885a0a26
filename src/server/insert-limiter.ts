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
import { Slots } from './slots.js';

export class InsertLimiter extends Slots {
  constructor(maxConcurrent: number, maxQueued: number = maxConcurrent * 4, maxWaitMs = 10_000) {
    super({
      capacity: maxConcurrent,
      maxQueued,
      maxWaitMs,
      errors: {
        queueFull: () => overloaded('the insert queue is full'),
        timedOut: (ms) => overloaded(`no insert slot became free within ${ms} ms`),
        aborted: (signal) => (signal.reason instanceof Error ? signal.reason : new Error('request aborted')),
      },
    });
  }
}

function overloaded(why: string): HttpError {
  return new HttpError(429, `Strata is overloaded: ${why} (--maxConcurrentInserts); retry later`, 'too_many_requests', { 'Retry-After': '1' });
}
