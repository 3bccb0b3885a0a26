import { exposeGc } from '../runtime/index.js';

/**
 * Ingestion leaves most of its garbage outside the JS heap: request bodies, decoded columns and
 * key bytes are ArrayBuffers, and the ones still in flight across a WAL group commit (up to the
 * fsync interval) survive into the old generation. V8 only starts a full collection for them once
 * external memory has grown by ~64 MB since the last one, and an idle process never does, so
 * resident memory tracked the write rate rather than the series count. This nudges V8 sooner:
 * when external memory has grown by `slackBytes` since the last collection, it runs a full GC.
 * The same goes for the JS heap once it has grown by `heapSlackBytes`: creating series leaves
 * tens of MB of label objects in the old generation, which V8's own heuristics (collect when the
 * heap has roughly doubled) would otherwise keep through minutes of steady ingestion.
 * (V8's `execution: 'async'` variant was tried: it did not release the buffers.) A full GC of the
 * main heap takes tens of milliseconds; at most one per interval.
 */

export interface MemoryCollectorOptions {
  /** How often external memory is looked at (default 1000 ms). */
  readonly intervalMs?: number;
  /** Growth of external memory that triggers a collection (default 24 MiB). */
  readonly slackBytes?: number;
  /** Growth of the JS heap in use that triggers a collection (default 48 MiB). */
  readonly heapSlackBytes?: number;
}

export interface MemoryCollector {
  /** Collections run so far. */
  readonly collections: number;
  /** Milliseconds spent in them. */
  readonly pauseMs: number;
  stop(): void;
}

export function startMemoryCollector(opts: MemoryCollectorOptions = {}): MemoryCollector {
  const intervalMs = opts.intervalMs ?? 1000;
  const slack = opts.slackBytes ?? 24 * 1024 * 1024;
  const heapSlack = opts.heapSlackBytes ?? 48 * 1024 * 1024;
  if (!(intervalMs > 0) || !(slack > 0) || !(heapSlack > 0)) {
    throw new RangeError(`memory collector: intervalMs, slackBytes and heapSlackBytes must be > 0, got ${intervalMs}, ${slack} and ${heapSlack}`);
  }
  const gc = exposeGc();
  const start = process.memoryUsage();
  let baseline = start.external;
  let heapBaseline = start.heapUsed;
  let collections = 0;
  let pauseMs = 0;
  const timer = setInterval(() => {
    if (gc === null) return;
    const { external, heapUsed } = process.memoryUsage();
    // A V8-initiated collection since the last look lowers the baselines by itself.
    if (external < baseline) baseline = external;
    if (heapUsed < heapBaseline) heapBaseline = heapUsed;
    if (external - baseline < slack && heapUsed - heapBaseline < heapSlack) return;
    const started = performance.now();
    gc();
    pauseMs += performance.now() - started;
    collections++;
    const after = process.memoryUsage();
    baseline = after.external;
    heapBaseline = after.heapUsed;
  }, intervalMs);
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    get pauseMs() {
      return pauseMs;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
