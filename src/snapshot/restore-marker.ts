/**
 * `restore-in-progress.json` in a data directory: `strata restore` writes it (fsynced) before it
 * starts swapping restored files in and removes it once the swap is complete. While it exists the
 * directory holds a mix of old and restored data, so the server refuses to start on it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const RESTORE_MARKER = 'restore-in-progress.json';

export class HalfRestoredError extends Error {}

export function assertNotHalfRestored(dataDir: string): void {
  const path = join(dataDir, RESTORE_MARKER);
  if (existsSync(path)) {
    throw new HalfRestoredError(`${path} exists: a restore into this directory did not finish; rerun the same 'strata restore' command to complete it`);
  }
}
