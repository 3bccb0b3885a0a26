/**
 * `snapshot.json`, written last into a snapshot directory: when it was taken, the format versions
 * of what it holds, and every file with its size and sha256 (see docs/format/backup.md). A
 * snapshot directory without it was never finished.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SNAPSHOT_FILE = 'snapshot.json';
export const SNAPSHOT_FORMAT_VERSION = 1;

export interface SnapshotFile {
  /** Path relative to the snapshot directory, `/`-separated. */
  readonly path: string;
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
}

export interface SnapshotInfo {
  readonly formatVersion: typeof SNAPSHOT_FORMAT_VERSION;
  readonly name: string;
  readonly createdAt: string;
  /** Format versions of the parts, manifests and label index the files are in. */
  readonly formats: { readonly part: number; readonly manifest: number; readonly index: string };
  /** Whether rows not yet flushed were left out (Prometheus's skip_head). */
  readonly skipHead: boolean;
  readonly files: readonly SnapshotFile[];
}

/** sha256 and byte count of a file, read as a stream so large files never sit in memory. */
export function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let size = 0;
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (b: Buffer | string) => {
        const buf = typeof b === 'string' ? Buffer.from(b) : b;
        size += buf.length;
        h.update(buf);
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: h.digest('hex'), size }));
  });
}

export class SnapshotFormatError extends Error {}

/** Reads and checks a snapshot directory's `snapshot.json`. */
export function readSnapshotInfo(dir: string): SnapshotInfo {
  const path = join(dir, SNAPSHOT_FILE);
  let info: SnapshotInfo;
  try {
    info = JSON.parse(readFileSync(path, 'utf8')) as SnapshotInfo;
  } catch (e) {
    throw new SnapshotFormatError(`${path} is missing or not JSON (${(e as Error).message}): the snapshot was never finished`);
  }
  if (info.formatVersion !== SNAPSHOT_FORMAT_VERSION || !Array.isArray(info.files)) {
    throw new SnapshotFormatError(`${path} is not a Strata snapshot description (formatVersion ${SNAPSHOT_FORMAT_VERSION} with a file list)`);
  }
  for (const f of info.files) {
    if (
      typeof f.path !== 'string' ||
      !Number.isSafeInteger(f.size) ||
      !/^[0-9a-f]{64}$/.test(f.sha256) ||
      f.path.split('/').some((s: string) => s === '..' || s === '')
    ) {
      throw new SnapshotFormatError(`${path} lists a bad file entry ${JSON.stringify(f)}`);
    }
  }
  return info;
}
