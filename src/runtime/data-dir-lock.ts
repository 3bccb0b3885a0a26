/**
 * One process per data directory. Node has no flock(2), so the lock is `<data>/flock.lock` created
 * with O_EXCL holding the owner's PID. A lock left by a process that died (kill -9) is taken over
 * when that PID is no longer a live process, so a crash never blocks the restart.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class DataDirLockedError extends Error {}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A file-system error as the operator needs it: the cause in words, then the system's text. */
function fsCause(e: unknown, dir: string): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'EROFS':
      return `the data directory ${dir} is on a read-only file system (${err.message})`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to write in the data directory ${dir} as uid ${process.getuid?.() ?? '?'} (${err.message})`;
    case 'ENOSPC':
      return `no space left on the device of ${dir} (${err.message})`;
    default:
      return err.message;
  }
}

function openSyncNaming(path: string): number {
  try {
    return openSync(path, 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw e;
    throw new DataDirLockedError(`cannot create the lock file ${path}: ${fsCause(e, resolve(path, '..'))}`);
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'flock.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSyncNaming(path);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
          } catch {
            // already gone: nothing to release
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(path, 'utf8').trim());
    } catch {
      continue; // removed between our open and read: try again
    }
    // Our own PID in the file means a previous life of this PID left it (PID 1 in a restarted
    // container): stale like any other dead holder.
    if (alive(holder) && holder !== process.pid) {
      throw new DataDirLockedError(`data directory ${dir} is locked by another Strata process (pid ${holder}, lock file ${path})`);
    }
    try {
      unlinkSync(path); // stale: its owner is gone
    } catch (e) {
      // ENOENT: another starter removed it first, and the next attempt decides. Anything else
      // (a read-only file system, no permission) will not change by retrying: name it.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new DataDirLockedError(`cannot take over the stale lock ${path} (its owner, pid ${holder}, is gone): ${fsCause(e, dir)}`);
      }
    }
  }
  throw new DataDirLockedError(`could not lock data directory ${dir}: ${path} keeps changing hands`);
}
