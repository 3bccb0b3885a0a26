/**
 * Long loops call this every few iterations; it resolves at once unless the evaluation has held
 * the event loop long enough that other work (ingestion, requests) should run first.
 */
export type Pause = () => Promise<void>;

export const noPause: Pause = () => Promise.resolve();

/** Loop iterations between pause checks in per-step loops. */
export const PAUSE_EVERY = 64;
