import { sleep } from './process.js';

/** Polls a size until it is unchanged for `quietMs` (or `maxMs` passes) and returns it. */
export async function waitForStableSize(measure: () => number, quietMs: number, maxMs: number): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = measure();
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(250);
    const now = measure();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) break;
  }
  return last;
}
