/**
 * Snapshots of the data directory under `<data>/snapshots/<name>/`, for backups. A snapshot
 * costs almost no disk: part files are immutable, so they are hard-linked; only the label index
 * (LMDB rewrites its file in place) is copied. Order matters for consistency:
 *   1. flush acknowledged rows into parts (unless skipHead);
 *   2. link the parts of the current manifests and write copies of the manifests;
 *   3. then copy the index: series are committed to it before their samples are acknowledged,
 *      so a copy taken after the links covers every series the parts name;
 *   4. write snapshot.json with every file's sha256, then rename the directory into place.
 * A snapshot is built under `.tmp-<name>`, so a crash never leaves a half snapshot listed.
 */
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { log } from '../logger.js';
import {
  SNAPSHOT_FILE,
  SNAPSHOT_FORMAT_VERSION,
  hashFile,
  isSnapshotName,
  newSnapshotName,
  snapshotTime,
  type SnapshotFile,
  type SnapshotInfo,
} from '../snapshot/index.js';
import type { LabelIndex } from '../index/index.js';
import type { Storage } from '../storage/index.js';

/** The part format these snapshots hold (storage/part-format.ts) and the manifest version. */
const PART_FORMAT = 2;
const MANIFEST_FORMAT = 1;
const INDEX_FORMAT = 'lmdb-packed-postings-1';
const TMP_PREFIX = '.tmp-';
/** The exemplar store's log (docs/format/exemplars.md), relative to the data directory. */
const EXEMPLAR_LOG = 'exemplars/exemplars.log';

export class SnapshotNotFoundError extends Error {}

export interface SnapshotDeps {
  readonly dataPath: string;
  readonly storage: Storage;
  readonly index: LabelIndex;
  /** Writes the metric metadata file so the snapshot's copy is current. */
  readonly saveMetadata: () => void;
}

export class Snapshots {
  readonly dir: string;
  /** One snapshot at a time: each already holds every part, a second at once gains nothing. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SnapshotDeps) {
    this.dir = join(deps.dataPath, 'snapshots');
    this.removeLeftovers();
  }

  /** Half-built snapshots of a process that died while making them. */
  private removeLeftovers(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) if (n.startsWith(TMP_PREFIX)) fs.rmSync(join(this.dir, n), { recursive: true, force: true });
  }

  create(skipHead = false): Promise<string> {
    const run = this.running.then(() => this.createNow(skipHead));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async createNow(skipHead: boolean): Promise<string> {
    const started = Date.now();
    if (!skipHead) await this.deps.storage.forceFlush();
    const name = newSnapshotName();
    const tmp = join(this.dir, TMP_PREFIX + name);
    fs.mkdirSync(tmp, { recursive: true });
    try {
      const partFiles = this.deps.storage.linkLiveParts(join(tmp, 'data'));
      await this.deps.index.backup(join(tmp, 'index'));
      const paths = partFiles.map((p) => `data/${p}`);
      paths.push('index/data.mdb');
      this.deps.saveMetadata();
      const metadataPath = join(this.deps.dataPath, 'metadata.json');
      if (fs.existsSync(metadataPath)) {
        fs.copyFileSync(metadataPath, join(tmp, 'metadata.json'));
        paths.push('metadata.json');
      }
      // Appended by this thread only, a whole record per write: a synchronous copy is consistent.
      const exemplarLog = join(this.deps.dataPath, EXEMPLAR_LOG);
      if (fs.existsSync(exemplarLog)) {
        fs.mkdirSync(dirname(join(tmp, EXEMPLAR_LOG)), { recursive: true });
        fs.copyFileSync(exemplarLog, join(tmp, EXEMPLAR_LOG));
        paths.push(EXEMPLAR_LOG);
      }
      const files: SnapshotFile[] = [];
      for (const path of paths.sort()) {
        const { sha256, size } = await hashFile(join(tmp, path));
        files.push({ path, size, sha256 });
      }
      const info: SnapshotInfo = {
        formatVersion: SNAPSHOT_FORMAT_VERSION,
        name,
        createdAt: new Date(started).toISOString(),
        formats: { part: PART_FORMAT, manifest: MANIFEST_FORMAT, index: INDEX_FORMAT },
        skipHead,
        files,
      };
      const fd = fs.openSync(join(tmp, SNAPSHOT_FILE), 'w');
      try {
        fs.writeSync(fd, JSON.stringify(info, null, 1) + '\n');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, join(this.dir, name));
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    log.info('snapshot created', { name, ms: Date.now() - started });
    return name;
  }

  /** Finished snapshots, oldest first. */
  list(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => isSnapshotName(n) && fs.existsSync(join(this.dir, n, SNAPSHOT_FILE))).sort();
  }

  delete(name: string): void {
    if (!isSnapshotName(name) || !fs.existsSync(join(this.dir, name))) throw new SnapshotNotFoundError(`snapshot ${JSON.stringify(name)} does not exist`);
    fs.rmSync(join(this.dir, name), { recursive: true, force: true });
  }

  deleteAll(): number {
    const names = this.list();
    for (const n of names) fs.rmSync(join(this.dir, n), { recursive: true, force: true });
    return names.length;
  }

  /** Deletes snapshots taken more than `maxAgeMs` ago (by the time in their names). */
  deleteOlderThan(maxAgeMs: number, now = Date.now()): string[] {
    const gone: string[] = [];
    for (const n of this.list()) {
      if (now - snapshotTime(n) > maxAgeMs) {
        fs.rmSync(join(this.dir, n), { recursive: true, force: true });
        gone.push(n);
      }
    }
    if (gone.length > 0) log.info('old snapshots deleted', { count: gone.length });
    return gone;
  }
}
