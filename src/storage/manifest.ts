import * as fs from 'node:fs';
import { join } from 'node:path';
import { StorageError } from './errors.js';
import { syncDir } from './wal.js';

/**
 * A partition's manifest (docs/format/manifest.md) names its live parts, oldest data first (on
 * equal timestamps a later part wins). It is replaced atomically, so a part directory not named
 * here is garbage from a crash.
 */
export interface Manifest {
  formatVersion: 1;
  parts: string[];
}

export const MANIFEST = 'manifest.json';

export function readManifest(partitionDir: string): Manifest | null {
  const path = join(partitionDir, MANIFEST);
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new StorageError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (m.formatVersion !== 1 || !Array.isArray(m.parts) || !m.parts.every((p) => typeof p === 'string' && /^[0-9a-f]{16}$/.test(p))) {
    throw new StorageError(`${path} is not a Strata manifest (formatVersion 1 with a list of part names)`);
  }
  return m;
}

export function writeManifest(partitionDir: string, parts: readonly string[]): void {
  const path = join(partitionDir, MANIFEST);
  const tmp = path + '.tmp';
  const body: Manifest = { formatVersion: 1, parts: [...parts] };
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(body) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  syncDir(partitionDir);
}
