/**
 * `strata backup`: uploads a snapshot into a repository. Files are stored once by content hash,
 * so a second backup uploads only what is new (parts written since, the index, the manifest).
 * Order: remove the completion marker, write the manifest (so gc keeps what this run uploads),
 * upload the objects the repository lacks (hashing as they stream, so a file that changed since
 * the snapshot hashed it is caught), then write the marker. After a kill the same command
 * resumes: objects already stored are skipped.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readSnapshotInfo, SnapshotFormatError, type SnapshotInfo } from '../snapshot/index.js';
import { IntegrityError, UsageError } from './errors.js';
import { checkSha256 } from './hashing.js';
import { openBackup, type S3Flags } from './location.js';
import { Progress, type ProgressMode, type Summary } from './progress.js';
import { BACKUP_FORMAT_VERSION, objectKey, Repository, type BackupManifest } from './repository.js';
import { SnapshotClient } from './snapshot-client.js';
import { meter, RateLimiter } from './throttle.js';
import { runPool } from './transfer.js';

export interface BackupOptions {
  readonly storageDataPath: string;
  readonly snapshotCreateURL?: string;
  readonly snapshotName?: string;
  readonly dst: string;
  readonly origin?: string;
  readonly concurrency: number;
  readonly maxBytesPerSecond: number;
  readonly progress: ProgressMode;
  readonly s3: S3Flags;
  /** Backup time recorded in the manifest (tests of prune); default now. */
  readonly now?: Date;
}

export async function runBackup(o: BackupOptions): Promise<Summary> {
  if (!o.snapshotCreateURL === !o.snapshotName) throw new UsageError('give exactly one of -snapshot.createURL and -snapshotName');
  const started = performance.now();
  const { repo: dest, name } = await openBackup(o.dst, 'dst', o.s3);
  const client = o.snapshotCreateURL ? new SnapshotClient(o.snapshotCreateURL) : null;
  const snapshotName = client ? await client.create() : o.snapshotName!;
  try {
    const snapDir = join(o.storageDataPath, 'snapshots', snapshotName);
    let info: SnapshotInfo;
    try {
      info = readSnapshotInfo(snapDir);
    } catch (e) {
      if (e instanceof SnapshotFormatError) throw new UsageError(`snapshot ${JSON.stringify(snapshotName)} in ${o.storageDataPath}: ${e.message}`);
      throw e;
    }
    const repo = new Repository(dest);
    await repo.markIncomplete(name);
    await dest.cleanupIncomplete();
    const stored = await repo.objects();
    const manifest: BackupManifest = {
      formatVersion: BACKUP_FORMAT_VERSION,
      name,
      createdAt: (o.now ?? new Date()).toISOString(),
      snapshot: { name: info.name, createdAt: info.createdAt, formats: info.formats },
      ...(o.origin ? { origin: o.origin } : {}),
      files: info.files,
    };
    await repo.writeManifest(manifest);

    // One upload per distinct content (reuse is counted per distinct content too); a stored
    // object of the wrong size is replaced.
    const todo = new Map<string, { path: string; size: number; sha256: string }>();
    let reused = 0;
    const distinct = new Map(info.files.map((f) => [f.sha256, f]));
    for (const f of distinct.values()) {
      if (stored.get(f.sha256) === f.size) reused += f.size;
      else todo.set(f.sha256, f);
    }
    const uploads = [...todo.values()];
    const total = uploads.reduce((n, f) => n + f.size, 0);
    const progress = new Progress(o.progress, 'backup');
    const limiter = o.maxBytesPerSecond > 0 ? new RateLimiter(o.maxBytesPerSecond) : null;
    progress.start(total, uploads.length);
    try {
      await runPool(uploads, o.concurrency, async (f) => {
        const src = createReadStream(join(snapDir, f.path), { highWaterMark: 1 << 20 });
        const body = new PassThrough({ highWaterMark: 1 << 20 });
        const piped = pipeline(
          src,
          checkSha256(f.sha256, f.path, f.size),
          meter(limiter, (n) => progress.add(n)),
          body,
        );
        try {
          await Promise.all([dest.write(objectKey(f.sha256), body, f.size), piped]);
        } catch (e) {
          body.destroy();
          src.destroy();
          await piped.catch(() => undefined);
          if (e instanceof IntegrityError) throw new IntegrityError(`${e.message} (the snapshot file changed after it was hashed)`);
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new IntegrityError(`snapshot file ${join(snapDir, f.path)} is missing`);
          throw e;
        }
      });
    } catch (e) {
      progress.stop();
      throw e;
    }
    await repo.markComplete(name);
    const summary: Summary = {
      op: 'backup',
      files: info.files.length,
      filesTransferred: uploads.length,
      bytesTransferred: total,
      bytesReused: reused,
      seconds: (performance.now() - started) / 1000,
    };
    progress.finish(summary);
    return summary;
  } finally {
    dest.close();
    if (client)
      await client
        .delete(snapshotName)
        .catch((e: unknown) => process.stderr.write(`strata: could not delete snapshot ${snapshotName}: ${(e as Error).message}\n`));
  }
}
