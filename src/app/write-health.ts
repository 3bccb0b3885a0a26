/**
 * Whether the server may accept writes, checked every second, so it never acknowledges samples it
 * cannot keep. Writes are refused (503, the reason in the body; /-/ready not ready) while:
 * - free space on the data directory's file system is below --storage.minFreeDiskSpaceBytes;
 * - a directory Strata writes into is not writable (read-only mount, permissions): access(2)
 *   asks the file system itself, so nothing is created to find out;
 * - flushes keep failing: rows are pending, no flush has completed for two flush intervals, and
 *   the storage engine has reported FLUSH_FAILURES errors since the last one that did (so a
 *   failing merge between two good flushes does not count).
 * Every condition clears by itself once the next check finds it gone (a completed flush clears
 * the last one), and each change is logged.
 */
import { accessSync, constants, readdirSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { log } from '../logger.js';
import type { CollectedMetric } from '../metrics.js';

/** Storage errors with rows pending and no flush completing before writes are refused. */
const FLUSH_FAILURES = 3;

export interface StorageProgress {
  readonly flushesTotal: number;
  readonly backgroundErrorsTotal: number;
  readonly pendingRows: number;
}

export interface WriteHealthOptions {
  readonly dataPath: string;
  readonly minFreeDiskSpaceBytes: number;
  readonly checkIntervalMs?: number;
  /** --flushInterval: a flush is overdue after two of them. */
  readonly flushIntervalMs: number;
  readonly progress: () => StorageProgress;
}

export type ReadOnlyCause = 'low_disk_space' | 'not_writable' | 'flushes_failing';

export class WriteHealth {
  private readonly dirs: string[];
  private readonly causes = new Map<ReadOnlyCause, string>();
  private freeBytes = NaN;
  private lastFlushes = -1;
  private lastFlushAt = Date.now();
  private lastErrors = 0;
  private failuresSinceFlush = 0;
  private lastStorageError = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: WriteHealthOptions) {
    const root = resolve(opts.dataPath);
    this.dirs = [root, join(root, 'data'), join(root, 'wal'), join(root, 'index')];
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => {
      // A timer's exception would end the process: a health check must never do that.
      try {
        this.check();
      } catch (e) {
        log.error('write health check failed', { error: e instanceof Error ? e.message : String(e) });
      }
    }, this.opts.checkIntervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Database's onStorageError: the words of the last failure, for the read-only reason. */
  noteStorageError(message: string): void {
    this.lastStorageError = message;
  }

  /** Why writes are refused right now, or null when they are accepted. */
  readOnlyReason(): string | null {
    if (this.causes.size === 0) return null;
    return `read-only: ${[...this.causes.values()].join('; ')}`;
  }

  check(): void {
    const before = this.readOnlyReason();
    this.checkDiskSpace();
    this.checkWritable();
    this.checkFlushes();
    const after = this.readOnlyReason();
    if (after !== before) {
      if (after) log.error('writes refused until the cause is gone', { reason: after });
      else log.info('writes accepted again', { was: before ?? '' });
    }
  }

  metrics(): CollectedMetric[] {
    const causes: ReadOnlyCause[] = ['low_disk_space', 'not_writable', 'flushes_failing'];
    return [
      {
        name: 'strata_read_only',
        help: 'Writes are refused (503) for this reason (1) or not (0); see /-/ready for the words.',
        type: 'gauge',
        samples: causes.map((c) => ({ labels: { reason: c }, value: this.causes.has(c) ? 1 : 0 })),
      },
      {
        name: 'strata_free_disk_space_bytes',
        help: 'Free space on the file system of --storageDataPath, as available to Strata.',
        type: 'gauge',
        samples: [{ value: Number.isNaN(this.freeBytes) ? 0 : this.freeBytes }],
      },
      {
        name: 'strata_storage_failures_since_last_flush',
        help: 'Storage errors reported since the last flush completed, while rows were pending.',
        type: 'gauge',
        samples: [{ value: this.failuresSinceFlush }],
      },
    ];
  }

  private set(cause: ReadOnlyCause, reason: string | null): void {
    if (reason === null) this.causes.delete(cause);
    else this.causes.set(cause, reason);
  }

  private checkDiskSpace(): void {
    const min = this.opts.minFreeDiskSpaceBytes;
    try {
      const st = statfsSync(this.opts.dataPath);
      this.freeBytes = Number(st.bavail) * Number(st.bsize);
    } catch {
      return; // keep the last answer: a failing statfs says nothing about space
    }
    this.set(
      'low_disk_space',
      min > 0 && this.freeBytes < min
        ? `free disk space below ${min} bytes (--storage.minFreeDiskSpaceBytes): ${this.freeBytes} bytes free at ${this.opts.dataPath}`
        : null,
    );
  }

  private checkWritable(): void {
    // Partition directories too: one of them may be a mount of its own (or have lost permissions).
    let partitions: string[] = [];
    try {
      const data = this.dirs[1]!;
      partitions = readdirSync(data, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => join(data, e.name));
    } catch {
      // no data/ yet, or unreadable: the loop below reports what matters
    }
    for (const dir of [...this.dirs, ...partitions]) {
      try {
        accessSync(dir, constants.W_OK);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'ENOENT') continue; // created on demand; its parent is checked too
        const why =
          err.code === 'EROFS'
            ? 'is on a read-only file system'
            : err.code === 'EACCES' || err.code === 'EPERM'
              ? 'is not writable by this user'
              : `cannot be written (${err.code ?? err.message})`;
        this.set('not_writable', `the directory ${dir} ${why}`);
        return;
      }
    }
    this.set('not_writable', null);
  }

  private checkFlushes(): void {
    const p = this.opts.progress();
    if (p.flushesTotal !== this.lastFlushes || p.pendingRows === 0) {
      this.lastFlushes = p.flushesTotal;
      this.lastFlushAt = Date.now();
      this.failuresSinceFlush = 0;
    } else if (p.backgroundErrorsTotal > this.lastErrors) {
      this.failuresSinceFlush += p.backgroundErrorsTotal - this.lastErrors;
    }
    this.lastErrors = p.backgroundErrorsTotal;
    const overdue = Date.now() - this.lastFlushAt > 2 * this.opts.flushIntervalMs;
    this.set(
      'flushes_failing',
      overdue && this.failuresSinceFlush >= FLUSH_FAILURES ? `flushes to disk keep failing (last error: ${this.lastStorageError || 'unknown'})` : null,
    );
  }
}
