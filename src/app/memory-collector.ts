import { canTrimMalloc, exposeGc, trimMalloc } from '../runtime/index.js';

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
 *
 * Freed native memory does not leave the process by itself either: glibc returns a malloc arena's
 * pages only from the top of its heap, so what the workers freed after an ingestion burst and the
 * main thread after a round of queries stayed resident (~90 MiB of ~300 after the bench's 30-host
 * ingest). When resident memory has grown by `trimSlackBytes` since the last trim, at most every
 * `trimIntervalMs` (`busyTrimIntervalMs` while the event loop is busy), the collector has
 * malloc_trim hand the free pages back (see runtime's trimMalloc: on a pool thread, a no-op
 * without its addon).
 */

export interface MemoryCollectorOptions {
  /** How often external memory is looked at (default 1000 ms). */
  readonly intervalMs?: number;
  /** Growth of external memory that triggers a collection (default 24 MiB). */
  readonly slackBytes?: number;
  /** Growth of the JS heap in use that triggers a collection (default 48 MiB). */
  readonly heapSlackBytes?: number;
  /** Growth of resident memory since the last malloc trim that triggers one (default 16 MiB). */
  readonly trimSlackBytes?: number;
  /** Least time between two malloc trims (default 5000 ms). */
  readonly trimIntervalMs?: number;
  /**
   * The same while the event loop was more than half busy over the last interval (default
   * 30000 ms): freed pages a busy process hands back it mostly faults in again soon, and a trim
   * holds each arena's lock while it walks it.
   */
  readonly busyTrimIntervalMs?: number;
}

export interface MemoryCollector {
  /** Collections run so far. */
  readonly collections: number;
  /** Milliseconds spent in them. */
  readonly pauseMs: number;
  /** malloc trims run so far, and milliseconds spent in them. */
  readonly trims: number;
  readonly trimMs: number;
  stop(): void;
}

export function startMemoryCollector(opts: MemoryCollectorOptions = {}): MemoryCollector {
  const intervalMs = opts.intervalMs ?? 1000;
  const slack = opts.slackBytes ?? 24 * 1024 * 1024;
  const heapSlack = opts.heapSlackBytes ?? 48 * 1024 * 1024;
  if (!(intervalMs > 0) || !(slack > 0) || !(heapSlack > 0)) {
    throw new RangeError(`memory collector: intervalMs, slackBytes and heapSlackBytes must be > 0, got ${intervalMs}, ${slack} and ${heapSlack}`);
  }
  const trimSlack = opts.trimSlackBytes ?? 16 * 1024 * 1024;
  const trimInterval = opts.trimIntervalMs ?? 5000;
  const busyTrimInterval = Math.max(trimInterval, opts.busyTrimIntervalMs ?? 30_000);
  const gc = exposeGc();
  const canTrim = canTrimMalloc();
  const start = process.memoryUsage();
  let rssAfterTrim = start.rss;
  let lastTrim = -Infinity;
  let trims = 0;
  let trimMs = 0;
  let baseline = start.external;
  let heapBaseline = start.heapUsed;
  let collections = 0;
  let pauseMs = 0;
  let trimming = false;
  let elu = performance.eventLoopUtilization();
  const maybeTrim = (): void => {
    const busy = performance.eventLoopUtilization(elu).utilization > 0.5;
    elu = performance.eventLoopUtilization();
    if (!canTrim || trimming) return;
    const rss = process.memoryUsage.rss();
    if (rss < rssAfterTrim) rssAfterTrim = rss;
    const started = performance.now();
    if (rss - rssAfterTrim < trimSlack || started - lastTrim < (busy ? busyTrimInterval : trimInterval)) return;
    trimming = true;
    void trimMalloc().then(
      () => {
        trimming = false;
        lastTrim = performance.now();
        trimMs += lastTrim - started;
        trims++;
        rssAfterTrim = process.memoryUsage.rss();
      },
      () => {
        trimming = false;
      },
    );
  };
  const timer = setInterval(() => {
    maybeTrim();
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
    get trims() {
      return trims;
    },
    get trimMs() {
      return trimMs;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
