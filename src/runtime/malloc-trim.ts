import { createRequire } from 'node:module';

/**
 * glibc keeps memory freed inside its malloc arenas resident: it gives an arena's pages back only
 * from the top of its heap, and a few live chunks up there pin the rest. After an ingestion burst
 * the storage and decode workers' arenas held tens of MiB with almost nothing in use, and queries
 * left the main arena the same way. malloc_trim(0) releases those free pages in every arena, on a
 * libuv pool thread (it walks every free chunk: tens of milliseconds); it comes from a small
 * optional addon (native/malloc-trim.c), and without it (not built, not glibc) this does nothing.
 */
type Addon = { trim(): Promise<boolean> | undefined };

let addon: Addon | null | undefined;

function load(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.platform !== 'linux') return addon;
  try {
    addon = createRequire(import.meta.url)('./generated/malloc-trim.node') as Addon;
  } catch {
    // Not built (no C compiler at build time) or not loadable here (musl): nothing to trim with.
  }
  return addon;
}

/** Whether trimMalloc can return memory on this build and platform. */
export function canTrimMalloc(): boolean {
  return load() !== null;
}

/**
 * Hands free malloc pages of every arena back to the OS, off the event loop. Resolves to whether
 * a trim ran (false without the addon).
 */
export async function trimMalloc(): Promise<boolean> {
  const a = load();
  if (a === null) return false;
  const done = a.trim();
  if (done === undefined) return false;
  await done;
  return true;
}
