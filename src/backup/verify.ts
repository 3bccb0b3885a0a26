/**
 * `strata verify`: checks a backup (`-src`) or a data directory (`-storageDataPath`, live or not).
 *   quick: the completion marker is there, every file exists with its size.
 *   full:  also rehashes every file, walks every part's block headers, and opens the index copy
 *          to check it and that every series id in the parts resolves in it.
 * Each problem is one line on stdout (`CORRUPT <path> expected=… got=…`, `MISSING <path> …`);
 * any problem makes the run fail with exit code 3.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import { LabelIndex, verifyIndexFile } from '../index/index.js';
import { fileCrc32, inspectPart, PARTITION_RE, PartCorruptError } from '../storage/index.js';
import { hashFile, readSnapshotInfo, SnapshotFormatError } from '../snapshot/index.js';
import { IntegrityError, TransferError, UsageError } from './errors.js';
import { corruptLine } from './hashing.js';
import { openBackup, type S3Flags } from './location.js';
import { COMPLETE_MARKER, objectKey, Repository } from './repository.js';
import { runPool } from './transfer.js';

export type VerifyLevel = 'quick' | 'full';

export interface VerifyOptions {
  readonly src?: string;
  readonly storageDataPath?: string;
  /** With storageDataPath: check this snapshot against its snapshot.json instead of the live data. */
  readonly snapshotName?: string;
  readonly level: VerifyLevel;
  readonly concurrency: number;
  readonly s3: S3Flags;
}

export interface VerifyResult {
  readonly files: number;
  readonly problems: readonly string[];
}

/** Files of a part or index that the full check needs on disk (column files are only hashed). */
const STRUCTURE_RE = /^(data\/\d{4}_\d{2}\/(manifest\.json|[0-9a-f]{16}\/(metadata\.json|index\.bin|metaindex\.bin))|index\/data\.mdb)$/;
const PART_FILES = ['timestamps.bin', 'values.bin', 'index.bin', 'metaindex.bin'] as const;

export async function runVerify(o: VerifyOptions, out: NodeJS.WritableStream = process.stdout): Promise<VerifyResult> {
  if (!o.src === !o.storageDataPath) throw new UsageError('give exactly one of -src and -storageDataPath');
  const problems: string[] = [];
  const report = (line: string): void => {
    problems.push(line);
    out.write(line + '\n');
  };
  const files = o.src
    ? await verifyBackup(o, o.src, report)
    : o.snapshotName
      ? await verifySnapshot(o.storageDataPath!, o.snapshotName, o.level, report)
      : await verifyDataDir(o.storageDataPath!, o.level, report);
  if (problems.length > 0) throw new IntegrityError(`verify found ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${files} files`);
  out.write(`verify ok: ${files} files (${o.level})\n`);
  return { files, problems };
}

async function verifyBackup(o: VerifyOptions, src: string, report: (l: string) => void): Promise<number> {
  const { repo: dest, name } = await openBackup(src, 'src', o.s3);
  try {
    const repo = new Repository(dest);
    const manifest = await repo.readManifest(name);
    if (!manifest) throw new TransferError(`no backup at ${src}: ${dest.url}/${name}/manifest.json does not exist`);
    if (!(await repo.isComplete(name))) report(`INCOMPLETE ${name} ${COMPLETE_MARKER} is missing: the backup never finished`);
    const stored = await repo.objects();
    for (const f of manifest.files) {
      const size = stored.get(f.sha256);
      if (size === undefined) report(`MISSING ${f.path} object=${objectKey(f.sha256)}`);
      else if (size !== f.size) report(corruptLine(f.path, `size:${f.size}`, `size:${size}`));
    }
    if (o.level === 'quick') return manifest.files.length;

    const work = fs.mkdtempSync(join(tmpdir(), 'strata-verify-'));
    try {
      await runPool(
        manifest.files.filter((f) => stored.get(f.sha256) === f.size),
        o.concurrency,
        async (f) => {
          const keep = STRUCTURE_RE.test(f.path);
          const local = join(work, f.path);
          fs.mkdirSync(dirname(local), { recursive: true });
          const h = createHash('sha256');
          const fd = keep ? fs.openSync(local, 'w') : -1;
          try {
            await pipeline(
              await dest.read(objectKey(f.sha256)),
              new Writable({
                write(chunk: Buffer, _e, done) {
                  h.update(chunk);
                  if (fd >= 0) fs.writeSync(fd, chunk);
                  done();
                },
              }),
            );
          } finally {
            if (fd >= 0) fs.closeSync(fd);
          }
          const got = h.digest('hex');
          if (got !== f.sha256) report(corruptLine(f.path, `sha256:${f.sha256}`, `sha256:${got}`));
          // Column files are checked by hash only; the part opener wants them at their size.
          if (!keep) {
            fs.closeSync(fs.openSync(local, 'w'));
            fs.truncateSync(local, f.size);
          }
        },
      );
      await checkStructure(work, join(work, 'index'), report);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    return manifest.files.length;
  } finally {
    dest.close();
  }
}

/**
 * Walks the part headers under `root/data` and checks that the index copy in `indexDir` (opened
 * read-write, so never the original of a snapshot) is consistent and covers them.
 */
async function checkStructure(root: string, indexDir: string, report: (l: string) => void): Promise<void> {
  const ids = await walkParts(root, false, report);
  if (!fs.existsSync(join(indexDir, 'data.mdb'))) {
    report(`MISSING index/data.mdb`);
    return;
  }
  const damaged = verifyIndexFile(join(indexDir, 'data.mdb'));
  for (const p of damaged) report(`CORRUPT index/data.mdb ${p}`);
  if (damaged.length > 0) return;
  let idx: LabelIndex;
  try {
    idx = LabelIndex.open(indexDir);
  } catch (e) {
    report(`CORRUPT index/data.mdb cannot be opened: ${(e as Error).message}`);
    return;
  }
  try {
    for (const p of idx.checkConsistency(20)) report(`CORRUPT index/data.mdb ${p}`);
    let unresolved = 0;
    let example = -1;
    const deleted = idx.deletedIds();
    for (const id of ids) {
      if (deleted.has(id)) continue;
      try {
        idx.labelsOf(id);
      } catch {
        unresolved++;
        example = id;
      }
    }
    if (unresolved > 0) report(`CORRUPT index/data.mdb ${unresolved} series ids in parts do not resolve in the index (e.g. ${example})`);
  } finally {
    idx.close();
  }
}

/**
 * Every part listed in the partition manifests under `dataDir` (partition name, part name), in
 * order; an unreadable manifest is reported and its partition skipped.
 */
function* listedParts(dataDir: string, report: (l: string) => void): Generator<{ partition: string; part: string }> {
  let partitions: string[] = [];
  try {
    partitions = fs.readdirSync(dataDir).filter((n) => PARTITION_RE.test(n));
  } catch {
    return; // an empty data dir has no partitions yet
  }
  for (const partition of partitions.sort()) {
    let parts: string[];
    try {
      parts = (JSON.parse(fs.readFileSync(join(dataDir, partition, 'manifest.json'), 'utf8')) as { parts: string[] }).parts;
    } catch (e) {
      report(`CORRUPT data/${partition}/manifest.json ${(e as Error).message}`);
      continue;
    }
    for (const part of parts) yield { partition, part };
  }
}

/** Every part in every partition manifest under `root/data`; returns the series ids they hold. */
async function walkParts(root: string, verifyData: boolean, report: (l: string) => void): Promise<Set<number>> {
  const ids = new Set<number>();
  const dataDir = join(root, 'data');
  for (const { partition: p, part } of listedParts(dataDir, report)) {
    try {
      for (const id of await inspectPart(join(dataDir, p, part), part, verifyData)) ids.add(id);
    } catch (e) {
      if (!(e instanceof PartCorruptError)) throw e;
      report(`CORRUPT data/${p}/${part} ${e.message.replace(/^part \S+ is corrupt: /, '')}`);
    }
  }
  return ids;
}

interface PartMeta {
  files: Record<string, { size: number; crc32: number }>;
}

/**
 * A data directory, possibly with a server running on it: parts are immutable, so checking them
 * against their metadata.json races only with merges deleting them (those are skipped). The
 * index is opened read-only and walked, which LMDB allows beside a writer.
 */
async function verifyDataDir(dir: string, level: VerifyLevel, report: (l: string) => void): Promise<number> {
  const dataDir = join(dir, 'data');
  if (!fs.existsSync(dir)) throw new UsageError(`-storageDataPath=${dir} does not exist`);
  let files = 0;
  for (const { partition: p, part } of listedParts(dataDir, report)) {
    const partDir = join(dataDir, p, part);
    const rel = `data/${p}/${part}`;
    let meta: PartMeta;
    try {
      meta = JSON.parse(fs.readFileSync(join(partDir, 'metadata.json'), 'utf8')) as PartMeta;
    } catch (e) {
      if (!fs.existsSync(partDir)) continue; // merged away since the manifest was read
      report(`CORRUPT ${rel}/metadata.json ${(e as Error).message}`);
      continue;
    }
    for (const f of PART_FILES) {
      files++;
      const want = meta.files[f];
      const path = join(partDir, f);
      let size: number;
      try {
        size = fs.statSync(path).size;
      } catch {
        if (fs.existsSync(partDir)) report(`MISSING ${rel}/${f}`);
        continue;
      }
      if (!want) report(`CORRUPT ${rel}/metadata.json has no entry for ${f}`);
      else if (size !== want.size) report(corruptLine(`${rel}/${f}`, `size:${want.size}`, `size:${size}`));
      else if (level === 'full') {
        const got = fileCrc32(path);
        if (got !== want.crc32)
          report(corruptLine(`${rel}/${f}`, `crc32:${want.crc32.toString(16).padStart(8, '0')}`, `crc32:${got.toString(16).padStart(8, '0')}`));
      }
    }
    if (level === 'full') {
      try {
        await inspectPart(partDir, part, false);
      } catch (e) {
        if (!(e instanceof PartCorruptError)) throw e;
        if (fs.existsSync(partDir)) report(`CORRUPT ${rel} ${e.message.replace(/^part \S+ is corrupt: /, '')}`);
      }
    }
  }
  const mdb = join(dir, 'index', 'data.mdb');
  if (fs.existsSync(mdb)) {
    files++;
    // Read with plain file reads, never through LMDB: a damaged page must not crash the check.
    for (const p of verifyIndexFile(mdb)) report(`CORRUPT index/data.mdb ${p}`);
  } else if (files > 0) report('MISSING index/data.mdb');
  return files;
}

/** A snapshot inside a data directory, against the sha256 list in its snapshot.json. */
async function verifySnapshot(dir: string, name: string, level: VerifyLevel, report: (l: string) => void): Promise<number> {
  const snapDir = join(dir, 'snapshots', name);
  let info;
  try {
    info = readSnapshotInfo(snapDir);
  } catch (e) {
    if (e instanceof SnapshotFormatError) throw new UsageError(e.message);
    throw e;
  }
  for (const f of info.files) {
    const path = join(snapDir, f.path);
    let size: number;
    try {
      size = fs.statSync(path).size;
    } catch {
      report(`MISSING ${f.path}`);
      continue;
    }
    if (size !== f.size) report(corruptLine(f.path, `size:${f.size}`, `size:${size}`));
    else if (level === 'full') {
      const got = (await hashFile(path)).sha256;
      if (got !== f.sha256) report(corruptLine(f.path, `sha256:${f.sha256}`, `sha256:${got}`));
    }
  }
  if (level === 'full' && fs.existsSync(join(snapDir, 'index', 'data.mdb'))) {
    const work = fs.mkdtempSync(join(tmpdir(), 'strata-verify-'));
    try {
      fs.mkdirSync(join(work, 'index'));
      fs.copyFileSync(join(snapDir, 'index', 'data.mdb'), join(work, 'index', 'data.mdb'));
      await checkStructure(snapDir, join(work, 'index'), report);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  return info.files.length;
}
