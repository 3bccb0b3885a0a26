/**
 * `strata restore`: brings a backup back into a data directory, never leaving a mix behind.
 *   1. Holds the directory's flock.lock for the whole run (refused while a server holds it).
 *   2. Downloads into a staging directory beside the target, hashing as it writes; a file whose
 *      hash differs fails the run (exit 3) before anything in the target is touched. Files
 *      already staged with the right hash are kept, so a rerun after a kill resumes.
 *   3. Swaps: writes restore-in-progress.json into the target (the server refuses to start while
 *      it exists), moves the old contents aside, moves the staged ones in, removes the marker,
 *      then deletes the old contents. A rerun after a kill during the swap finishes it.
 */
import * as fs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DataDirLockedError, lockDataDir } from '../runtime/index.js';
import { hashFile, RESTORE_MARKER } from '../snapshot/index.js';
import { IntegrityError, RefusedError, TransferError } from './errors.js';
import { checkSha256, corruptLine } from './hashing.js';
import { fsyncFile } from './fs.js';
import { openBackup, type S3Flags } from './location.js';
import { Progress, type ProgressMode, type Summary } from './progress.js';
import { COMPLETE_MARKER, objectKey, Repository, type BackupFile } from './repository.js';
import { meter, RateLimiter } from './throttle.js';
import { runPool } from './transfer.js';

export interface RestoreOptions {
  readonly src: string;
  readonly storageDataPath: string;
  readonly skipBackupCompleteCheck: boolean;
  readonly force: boolean;
  readonly concurrency: number;
  readonly maxBytesPerSecond: number;
  readonly progress: ProgressMode;
  readonly s3: S3Flags;
}

const LOCK_FILE = 'flock.lock';
const OLD_DIR = '.restore-old';
const PART_SUFFIX = '.part';

interface SwapState {
  phase: 'move-out' | 'move-in';
  staging: string;
}

export function stagingDirFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.restore-staging`);
}

function writeDurably(path: string, body: string): void {
  const tmp = path + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, body);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  syncDir(dirname(path));
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Moves the staged tree into the target; each step can be repeated after a kill. */
function swap(target: string, state: SwapState): void {
  const marker = join(target, RESTORE_MARKER);
  const old = join(target, OLD_DIR);
  if (state.phase === 'move-out') {
    fs.mkdirSync(old, { recursive: true });
    for (const e of fs.readdirSync(target)) {
      if (e === LOCK_FILE || e === RESTORE_MARKER || e === OLD_DIR || e === RESTORE_MARKER + '.tmp') continue;
      fs.rmSync(join(old, e), { recursive: true, force: true });
      fs.renameSync(join(target, e), join(old, e));
    }
    syncDir(target);
    state = { ...state, phase: 'move-in' };
    writeDurably(marker, JSON.stringify(state) + '\n');
  }
  for (const e of fs.readdirSync(state.staging)) fs.renameSync(join(state.staging, e), join(target, e));
  syncDir(target);
  fs.rmSync(marker, { force: true });
  syncDir(target);
  fs.rmSync(old, { recursive: true, force: true });
  fs.rmSync(state.staging, { recursive: true, force: true });
}

export async function runRestore(o: RestoreOptions): Promise<Summary> {
  const started = performance.now();
  const target = resolve(o.storageDataPath);
  let lock;
  try {
    lock = lockDataDir(target);
  } catch (e) {
    if (e instanceof DataDirLockedError) throw new RefusedError(`refusing to restore: ${e.message}; stop the server first`);
    throw e;
  }
  try {
    const marker = join(target, RESTORE_MARKER);
    if (fs.existsSync(marker)) {
      // A kill during an earlier swap: the staged files were all verified; finish it.
      const state = JSON.parse(fs.readFileSync(marker, 'utf8')) as SwapState;
      swap(target, state);
      return { op: 'restore', files: 0, filesTransferred: 0, bytesTransferred: 0, bytesReused: 0, seconds: (performance.now() - started) / 1000 };
    }
    // A kill after the swap, before the old contents were deleted: they are garbage now.
    fs.rmSync(join(target, OLD_DIR), { recursive: true, force: true });
    const { repo: dest, name } = await openBackup(o.src, 'src', o.s3);
    try {
      const repo = new Repository(dest);
      const manifest = await repo.readManifest(name);
      if (!manifest) throw new TransferError(`no backup at ${o.src}: ${dest.url}/${name}/manifest.json does not exist`);
      if (!o.skipBackupCompleteCheck && !(await repo.isComplete(name))) {
        throw new RefusedError(
          `refusing to restore ${o.src}: ${COMPLETE_MARKER} is missing, so the backup never finished; pass -skipBackupCompleteCheck to restore it anyway`,
        );
      }
      const occupied = fs.readdirSync(target).filter((e) => e !== LOCK_FILE);
      if (occupied.length > 0 && !o.force) {
        throw new RefusedError(
          `refusing to restore into ${target}: it is not empty (${occupied.slice(0, 3).join(', ')}${occupied.length > 3 ? ', …' : ''}); pass -force to replace its contents`,
        );
      }
      const staging = stagingDirFor(target);
      fs.mkdirSync(staging, { recursive: true });

      // Keep staged files that hash right; fetch the rest.
      const todo: BackupFile[] = [];
      let reused = 0;
      for (const f of manifest.files) {
        const path = join(staging, f.path);
        let ok = false;
        try {
          if (fs.statSync(path).size === f.size) ok = (await hashFile(path)).sha256 === f.sha256;
        } catch {
          // not staged yet
        }
        if (ok) reused += f.size;
        else todo.push(f);
      }
      const total = todo.reduce((n, f) => n + f.size, 0);
      const progress = new Progress(o.progress, 'restore');
      const limiter = o.maxBytesPerSecond > 0 ? new RateLimiter(o.maxBytesPerSecond) : null;
      progress.start(total, todo.length);
      try {
        await runPool(todo, o.concurrency, async (f) => {
          const path = join(staging, f.path);
          fs.mkdirSync(dirname(path), { recursive: true });
          const size = await dest.size(objectKey(f.sha256));
          if (size === null) throw new IntegrityError(`MISSING ${f.path} object=${objectKey(f.sha256)}`);
          if (size !== f.size) throw new IntegrityError(corruptLine(f.path, `size:${f.size}`, `size:${size}`));
          const part = path + PART_SUFFIX;
          try {
            await pipeline(
              await dest.read(objectKey(f.sha256)),
              checkSha256(f.sha256, f.path, f.size),
              meter(limiter, (n) => progress.add(n)),
              fs.createWriteStream(part),
            );
            await fsyncFile(part);
          } catch (e) {
            await fs.promises.rm(part, { force: true });
            throw e instanceof IntegrityError || e instanceof TransferError ? e : new TransferError(`cannot fetch ${f.path}: ${(e as Error).message}`);
          }
          await fs.promises.rename(part, path);
        });
      } catch (e) {
        progress.stop();
        throw e;
      }
      // Anything else in staging (another backup's leftovers) must not come along.
      const wanted = new Set(manifest.files.map((f) => f.path));
      const dirs = new Set<string>();
      for (const w of wanted) for (let i = w.indexOf('/'); i >= 0; i = w.indexOf('/', i + 1)) dirs.add(w.slice(0, i));
      pruneExtra(staging, '', wanted, dirs);
      for (const dir of new Set(manifest.files.map((f) => dirname(join(staging, f.path))))) syncDir(dir);

      writeDurably(marker, JSON.stringify({ phase: 'move-out', staging } satisfies SwapState) + '\n');
      swap(target, { phase: 'move-out', staging });
      const summary: Summary = {
        op: 'restore',
        files: manifest.files.length,
        filesTransferred: todo.length,
        bytesTransferred: total,
        bytesReused: reused,
        seconds: (performance.now() - started) / 1000,
      };
      progress.finish(summary);
      return summary;
    } finally {
      dest.close();
    }
  } finally {
    lock.release();
  }
}

function pruneExtra(root: string, rel: string, wanted: ReadonlySet<string>, dirs: ReadonlySet<string>): void {
  for (const e of fs.readdirSync(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (dirs.has(r)) pruneExtra(root, r, wanted, dirs);
      else fs.rmSync(join(root, r), { recursive: true, force: true });
    } else if (!wanted.has(r)) fs.rmSync(join(root, r), { force: true });
  }
}
