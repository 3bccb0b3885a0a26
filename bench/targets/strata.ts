/** Strata itself, run as the CLI would run it: `node dist/cli.js serve ...` from the repository. */
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirBytes } from './process.js';
import { ServerTarget } from './server-target.js';
import { waitForStableSize } from './settle.js';
import { Unsupported, type PersistResult, type TargetId } from './target.js';

/** The repository root: the nearest ancestor whose package.json is named "strata". */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'strata') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no strata package.json above ${from}`);
    dir = up;
  }
}

export class StrataTarget extends ServerTarget {
  readonly id: TargetId = 'strata';
  readonly label: string = 'Strata';
  protected readonly readyPath = '/health';
  private cli = '';

  override readonly queryParams: Readonly<Record<string, string>>;

  /** Without `rollupCache` every query carries `nocache=1`, so repeats are computed each time. */
  constructor(
    private readonly cliPath?: string,
    rollupCache = false,
  ) {
    super();
    this.queryParams = rollupCache ? {} : { nocache: '1' };
  }

  async prepare(): Promise<string | null> {
    const root = repoRoot();
    this.cli = this.cliPath ? resolve(this.cliPath) : join(root, 'dist', 'cli.js');
    if (!existsSync(this.cli)) return `${this.cli} missing (build with: node scripts/prepare.mjs)`;
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
    const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
    const rev = git.status === 0 ? ` (${git.stdout.trim()}${this.dirty(root) ? '+dirty' : ''})` : '';
    this.version = `strata ${pkg.version ?? '?'}${rev}, node ${process.version}`;
    return null;
  }

  private dirty(root: string): boolean {
    const r = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
    return r.status === 0 && r.stdout.trim().length > 0;
  }

  protected command(dataDir: string, port: number): { cmd: string; args: string[]; cwd: string; env: Record<string, string> } {
    return {
      // As `npm start` and the Docker image run it (see README, Design: memory).
      env: { MALLOC_MMAP_THRESHOLD_: '131072' },
      cmd: process.execPath,
      // STRATA_BENCH_NODE_ARGS lets a profiling run add node flags (e.g. --cpu-prof), which
      // NODE_OPTIONS refuses.
      args: [
        ...(process.env.STRATA_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        this.cli,
        'serve',
        `--storageDataPath=${dataDir}`,
        `--httpListenAddr=127.0.0.1:${port}`,
      ],
      cwd: repoRoot(),
    };
  }

  async makeQueryable(): Promise<void> {
    try {
      await this.call('/internal/force_flush', 'POST');
    } catch (e) {
      // Acknowledged samples are queryable from the memtable; flushing is only an optimisation.
      if (!(e instanceof Unsupported)) throw e;
    }
  }

  async persist(): Promise<PersistResult> {
    // Without a flush the directory would mostly be WAL, which is not what this row compares.
    await this.call('/internal/force_flush', 'POST');
    let note = 'data dir after force_flush+force_merge';
    try {
      await this.call('/internal/force_merge', 'POST');
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      note = `data dir after force_flush (force_merge: ${e.message})`;
    }
    const bytes = await waitForStableSize(() => dirBytes(this.dataDir, ['snapshots', 'flock.lock']), 2000, 120_000);
    return { diskBytes: bytes, indexBytes: dirBytes(join(this.dataDir, 'index')), note };
  }
}
