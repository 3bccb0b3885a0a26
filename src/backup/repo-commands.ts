/** `strata backup list|prune|lock|unlock|gc`: housekeeping of a backup repository. */
import { UsageError } from './errors.js';
import { openBackup, openRepository, type S3Flags } from './location.js';
import { formatBytes } from './progress.js';
import { decidePrune, type KeepRules, type PruneDecision } from './retention.js';
import { objectKey, Repository } from './repository.js';

type Out = NodeJS.WritableStream;

export async function listBackups(dst: string, s3: S3Flags, out: Out = process.stdout): Promise<void> {
  const dest = await openRepository(dst, 'dst', s3);
  try {
    for (const b of await new Repository(dest).backups()) {
      const size = b.manifest ? b.manifest.files.reduce((n, f) => n + f.size, 0) : 0;
      const when = b.manifest?.createdAt ?? '-';
      out.write(
        `${b.name}\t${when}\t${b.manifest?.files.length ?? 0} files\t${formatBytes(size)}\t${b.complete ? 'complete' : 'incomplete'}${b.locked ? '\tlocked' : ''}\n`,
      );
    }
  } finally {
    dest.close();
  }
}

export async function pruneBackups(dst: string, rules: KeepRules, dryRun: boolean, s3: S3Flags, out: Out = process.stdout): Promise<PruneDecision[]> {
  if (rules.hourly + rules.daily + rules.weekly + rules.monthly <= 0) {
    throw new UsageError('prune needs at least one of -keepLastHourly, -keepLastDaily, -keepLastWeekly, -keepLastMonthly (it would delete every backup)');
  }
  const dest = await openRepository(dst, 'dst', s3);
  try {
    const repo = new Repository(dest);
    const complete = (await repo.backups()).filter((b) => b.complete && b.manifest);
    const decisions = decidePrune(
      complete.map((b) => ({ name: b.name, createdAt: new Date(b.manifest!.createdAt), locked: b.locked })),
      rules,
    );
    for (const d of decisions) {
      out.write(`${d.keep ? 'keep' : dryRun ? 'would delete' : 'delete'}\t${d.name}${d.keep ? `\t(${d.reasons.join(', ')})` : ''}\n`);
      if (!d.keep && !dryRun) await repo.deleteBackup(d.name);
    }
    return decisions;
  } finally {
    dest.close();
  }
}

export async function setLock(dst: string, locked: boolean, s3: S3Flags, out: Out = process.stdout): Promise<void> {
  const { repo: dest, name } = await openBackup(dst, 'dst', s3);
  try {
    await new Repository(dest).setLocked(name, locked);
    out.write(`${locked ? 'locked' : 'unlocked'} ${name}\n`);
  } finally {
    dest.close();
  }
}

/**
 * Deletes objects no manifest references (complete or not, so a running or interrupted backup
 * keeps what it uploaded), and what interrupted writes left behind. Run it while no backup is
 * starting: a backup that has not written its manifest yet is invisible to it.
 */
export async function gcRepository(
  dst: string,
  dryRun: boolean,
  s3: S3Flags,
  out: Out = process.stdout,
): Promise<{ removed: number; bytes: number; kept: number }> {
  const dest = await openRepository(dst, 'dst', s3);
  try {
    const repo = new Repository(dest);
    const referenced = new Set<string>();
    for (const b of await repo.backups()) for (const f of b.manifest?.files ?? []) referenced.add(f.sha256);
    const garbage: string[] = [];
    let bytes = 0;
    let kept = 0;
    for (const [hash, size] of await repo.objects()) {
      if (referenced.has(hash)) kept++;
      else {
        garbage.push(objectKey(hash));
        bytes += size;
      }
    }
    if (!dryRun) {
      await dest.delete(garbage);
      await dest.cleanupIncomplete();
    }
    out.write(`gc: ${dryRun ? 'would remove' : 'removed'} ${garbage.length} objects (${formatBytes(bytes)}), kept ${kept}\n`);
    return { removed: garbage.length, bytes, kept };
  } finally {
    dest.close();
  }
}
