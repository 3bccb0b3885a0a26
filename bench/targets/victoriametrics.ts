/** VictoriaMetrics single-node (Debian package `victoria-metrics`, binary `victoria-metrics`). */
import { join } from 'node:path';
import { ensureBinary, versionOf } from './install.js';
import { dirBytes } from './process.js';
import { ServerTarget } from './server-target.js';
import { waitForStableSize } from './settle.js';
import type { PersistResult, TargetId } from './target.js';

export class VictoriaMetricsTarget extends ServerTarget {
  readonly id: TargetId = 'victoriametrics';
  readonly label = 'VictoriaMetrics';
  protected readonly readyPath = '/health';
  private bin = '';

  /** `rollupCache`: run with VictoriaMetrics's rollup result cache on, as users run it (the scale
   * profile); off, repeated queries are computed each time (the quick and full profiles). */
  constructor(private readonly rollupCache = false) {
    super();
  }

  async prepare(opts: { install: boolean }): Promise<string | null> {
    const { path, reason } = ensureBinary('victoria-metrics', 'victoria-metrics', opts.install);
    if (!path) return reason;
    this.bin = path;
    this.version = versionOf(path, ['-version'], 'victoria-metrics');
    return null;
  }

  protected command(dataDir: string, port: number): { cmd: string; args: string[] } {
    return {
      cmd: this.bin,
      args: [
        `-storageDataPath=${dataDir}`,
        `-httpListenAddr=127.0.0.1:${port}`,
        '-retentionPeriod=1y',
        // Data right up to "now" must be visible (the default hides the last 30 s).
        ...(this.rollupCache ? [] : ['-search.disableCache']),
        '-search.latencyOffset=0s',
        '-loggerLevel=WARN',
      ],
    };
  }

  async makeQueryable(): Promise<void> {
    await this.call('/internal/force_flush');
  }

  async persist(): Promise<PersistResult> {
    await this.call('/internal/force_flush');
    await this.call('/internal/force_merge');
    // force_merge may return before the merge finishes; wait until the files stop changing.
    const exclude = ['cache', 'snapshots', 'tmp', 'flock.lock'];
    const bytes = await waitForStableSize(() => dirBytes(this.dataDir, exclude), 2000, 120_000);
    return { diskBytes: bytes, indexBytes: dirBytes(join(this.dataDir, 'indexdb')), note: 'data+indexdb after force_flush+force_merge' };
  }
}
