import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's `gc` function for this thread, made available at run time (no command-line flag needed),
 * or null if V8 refuses. Strata's threads leave most of their garbage outside the JS heap
 * (request bodies, column buffers), which V8's own heuristics collect late; the callers decide
 * when a full collection is worth its pause.
 */
export function exposeGc(): (() => void) | null {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}
